"""Plumbing shared by the Python test scripts under tests/: running the `kindred` program,
checks that fail with the details of a run, comparing HDF5 files, and the runner of a script's
test_* functions.

A script imports it from its own location, so that it works from any build folder and from a
fresh clone (CTest runs the scripts by their path in the source tree):

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/
    import harness  # noqa: E402

Only the standard library is imported here; numpy and h5py are imported by the HDF5 helpers
when called (a script may set HDF5 variables before h5py loads, or skip without h5py).
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIPPED = 77  # the exit code CTest counts as skipped (SKIP_RETURN_CODE)


class Failure(Exception):
    """A failed check; the message carries the details."""


class Skip(Exception):
    """The test cannot run here; the message says why."""


# ---- running kindred -----------------------------------------------------------------------------


def environment(extra=None):
    """This process's environment for a run of kindred, plus `extra`: without KINDRED_MODELS_PATH
    (only the catalogue and --models-dir count) nor the variables of a batch system's task or
    MPI launch (SLURM_*, OMPI_COMM_WORLD*, PMI*)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SLURM_", "OMPI_COMM_WORLD", "PMI"))}
    env.pop("KINDRED_MODELS_PATH", None)
    env.update(extra or {})
    return env


def command(program, *args, launcher=()):
    """The argument list of `launcher program args`, as strings."""
    return [str(a) for a in (*launcher, program, *args)]


def run(program, *args, cwd, env=None, launcher=(), timeout=600, expect=None):
    """Runs `program args` in `cwd` (under `launcher`, e.g. mpirun) with `env` (None: this
    process's environment) and returns the subprocess.CompletedProcess (text stdout and stderr),
    with its folder as .cwd. With `expect`, another exit code is a Failure."""
    result = subprocess.run(command(program, *args, launcher=launcher), cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    result.cwd = cwd
    if expect is not None:
        check_rc(result, expect)
    return result


def start(program, *args, cwd, env=None, **popen):
    """Starts `program args` in `cwd` without waiting: a subprocess.Popen (`popen`: its other
    arguments, e.g. stdout)."""
    return subprocess.Popen(command(program, *args), cwd=cwd, env=env, **popen)


# ---- checks --------------------------------------------------------------------------------------


def indent(text):
    return "\n".join("    | " + line for line in text.splitlines()) or "    | (empty)"


def describe(result):
    """The command, folder, exit code, stdout and stderr of a finished run."""
    return (f"  command: {' '.join(map(str, result.args))}\n  cwd: {getattr(result, 'cwd', None)}\n"
            f"  exit code: {result.returncode}\n  stdout:\n{indent(result.stdout)}\n"
            f"  stderr:\n{indent(result.stderr)}")


def check(condition, message, result=None):
    """A Failure with `message` (and the details of the run `result`) unless `condition`."""
    if not condition:
        raise Failure(message + ("\n" + describe(result) if result is not None else ""))


def check_rc(result, expected):
    check(result.returncode == expected,
          f"expected exit code {expected}, got {result.returncode}", result)


def one_error_line(result):
    """stderr with its trailing newline stripped, checked to be exactly one line."""
    err = result.stderr
    text = err[:-1] if err.endswith("\n") else err
    check(text != "" and "\n" not in text,
          f"stderr is not exactly one line ({len(err.splitlines())} lines)", result)
    return text


def tree(directory):
    """Every file and folder under `directory`, relative: "dir", or a file's kind, size and
    modification time."""
    entries = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root) / name
            stat = path.lstat()
            entries[str(path.relative_to(directory))] = (
                "dir" if path.is_dir() else (stat.st_mode >> 12, stat.st_size, stat.st_mtime_ns))
    return entries


# ---- HDF5 files ----------------------------------------------------------------------------------


def arrays_equal(a, b, bitwise=True):
    """Same shape, type and values; floating point bit for bit (NaN included), or with
    bitwise=False by value (a NaN equal to a NaN)."""
    import numpy as np
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return a.tobytes() == b.tobytes() if bitwise else np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def hdf5_contents(path, ignore_root=("created",)):
    """Every object of an HDF5 file ("object", name), its datasets' values ("dataset", name) and
    its attributes ("attribute", object, key), but the root attributes named in `ignore_root`."""
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if name != "/":
                out[("object", name)] = type(obj).__name__
            if isinstance(obj, h5py.Dataset):
                out[("dataset", name)] = obj[()]
            for key, value in obj.attrs.items():
                out[("attribute", name, key)] = value
        visit("/", f)
        f.visititems(visit)
    for key in ignore_root:
        out.pop(("attribute", "/", key), None)
    return out


def check_same_hdf5(a, b, what, equal=arrays_equal, ignore_root=("created",)):
    """The two HDF5 files hold the same objects, and datasets and attributes `equal`, but the
    root attributes in `ignore_root` (by default 'created', the time of writing)."""
    ca, cb = hdf5_contents(a, ignore_root), hdf5_contents(b, ignore_root)
    check(sorted(ca) == sorted(cb), f"{what}: different objects: {sorted(set(ca) ^ set(cb))[:10]}")
    differing = [key for key in ca if not equal(ca[key], cb[key])]
    check(not differing, f"{what}: differ in {differing[:10]}")


# ---- the runner ----------------------------------------------------------------------------------


def arguments(doc, kindred_required=True):
    """The command line every script takes: --kindred PATH and -k SUBSTRING (as .select)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--kindred", required=kindred_required, help="path of the kindred program")
    parser.add_argument("-k", dest="select", default="",
                        help="run only the tests whose name contains this")
    return parser


def tests_of(namespace, select=""):
    """The test_* functions of a script's globals() whose name contains `select`, in order."""
    return [(name, fn) for name, fn in namespace.items()
            if name.startswith("test_") and callable(fn) and select in name]


def run_tests(tests, call=None, temporary=None, timed=False):
    """Runs each (name, test) of `tests`: call(test), by default test(), or with `temporary` (a
    prefix) test(folder) with a fresh temporary folder, removed afterwards. Prints "ok   NAME"
    (with the seconds taken when `timed`), "skip NAME: reason" for a Skip, and "FAIL NAME" with
    a Failure's message or another exception's traceback. Returns (passed, failed, skipped)."""
    passed = failed = skipped = 0
    for name, test in tests:
        started = time.time()
        folder = Path(tempfile.mkdtemp(prefix=temporary)) if temporary else None
        try:
            if call is not None:
                call(test)
            elif folder is not None:
                test(folder)
            else:
                test()
        except Skip as reason:
            skipped += 1
            print(f"skip {name}: {reason}", flush=True)
        except Failure as failure:
            failed += 1
            print(f"FAIL {name}\n{failure}\n", flush=True)
        except Exception:  # a crash of the test itself (or a timeout) is a failure too
            failed += 1
            print(f"FAIL {name} (exception)\n{traceback.format_exc()}", flush=True)
        else:
            passed += 1
            print(f"ok   {name}" + (f" ({time.time() - started:.1f} s)" if timed else ""),
                  flush=True)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
    return passed, failed, skipped


def summary(passed, failed, skipped=0):
    """Prints "N passed, M failed" (", K skipped") and returns the exit code: 1 on any failure,
    SKIPPED when tests were skipped and none passed, else 0."""
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if failed:
        return 1
    return SKIPPED if skipped and not passed else 0


def main(tests, **options):
    """run_tests(tests, **options), then the summary line; returns the exit code."""
    return summary(*run_tests(tests, **options))
