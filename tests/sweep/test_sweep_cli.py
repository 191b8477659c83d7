#!/usr/bin/python3
"""End-to-end tests of `kindred sweep` and `kindred merge`, run as subprocesses.

Usage: test_sweep_cli.py --kindred PATH [--mpi ON|OFF] [-k SUBSTRING]

Without -k every test but the MPI ones runs; `-k mpi` runs the MPI test, which exits 77
(CTest: skipped) with the reason when Kindred was built without MPI or mpirun is missing.
Ends with "N passed, M failed". Every output goes to a fresh temporary directory. Fixtures:
tests/sweep/data/.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

# A sweep file is read here while a sweep writes it: no HDF5 file locks (set before h5py loads).
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "sweep" / "data"
SMALL = DATA / "small.yaml"      # 12 runs of a few milliseconds
KILL = DATA / "kill.yaml"        # 48 runs of some tens of milliseconds
KINDRED = None
MPI_STATE = "ON"
SKIP = 77


class Failure(Exception):
    """A failed check; the message carries the details."""


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Result:
    def __init__(self, args, completed):
        self.args = args
        self.rc = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def describe(self):
        return (f"  command: {' '.join(self.args)}\n  exit code: {self.rc}\n"
                f"  stdout:\n{self.out}\n  stderr:\n{self.err}")


def environment(extra=None):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("SLURM_", "OMPI_COMM_WORLD", "PMI")):
            env.pop(name)
    env.pop("KINDRED_MODELS_PATH", None)
    env.update(extra or {})
    return env


def kindred(*args, cwd, env=None, launcher=()):
    argv = list(launcher) + [str(KINDRED)] + [str(a) for a in args]
    completed = subprocess.run(argv, cwd=cwd, env=environment(env), capture_output=True,
                               text=True, timeout=240, check=False)
    return Result(argv, completed)


def check(condition, message, result=None):
    if not condition:
        raise Failure(message + ("\n" + result.describe() if result is not None else ""))


def check_rc(result, expected):
    check(result.rc == expected, f"expected exit code {expected}, got {result.rc}", result)


def one_error_line(result):
    text = result.err.rstrip("\n")
    check(text != "" and "\n" not in text, "stderr is not exactly one line", result)
    return text


def contents(path):
    """Every dataset and attribute of an HDF5 file but the root attribute 'created'."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[("dataset", name)] = obj[()]
            for key, value in obj.attrs.items():
                out[("attribute", name, key)] = value
        visit("/", f)
        f.visititems(visit)
    out.pop(("attribute", "/", "created"), None)
    return out


def equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":   # bit for bit, NaN included
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def check_same_contents(a, b, what):
    ca, cb = contents(a), contents(b)
    check(sorted(ca) == sorted(cb),
          f"{what}: different objects: {sorted(set(ca) ^ set(cb))[:10]}")
    differing = [key for key in ca if not equal(ca[key], cb[key])]
    check(not differing, f"{what}: differ in {differing[:10]}")


def done_count(path):
    with h5py.File(path, "r") as f:
        return int(f["runs/done"][()].sum()), int(f.attrs["runs_in_file"]), int(f.attrs["complete"])


# ---- tests ---------------------------------------------------------------------------------------


def test_sweep_writes_a_complete_file(tmp):
    result = kindred("sweep", SMALL, "-o", "out.h5", cwd=tmp)
    check_rc(result, 0)
    check("12 runs in" in result.out and "complete" in result.out, "no summary", result)
    check("[sweep] 12/12 runs (100%)" in result.err, "no final progress line", result)
    with h5py.File(tmp / "out.h5", "r") as f:
        check(f.attrs["format"] == "kindred-sweep" and f.attrs["complete"] == 1, "not complete")
        check(list(f["runs/run_id"][()]) == list(range(12)), "run ids not 0 … 11")
        check(f["runs/done"][()].all(), "runs not done")
        check(f["runs/distress"].shape == (12, 2, 2), "distress not [runs, arms, weeks]")
        check(f["runs/trajectories/distress"].shape == (12, 2, 21), "no trajectories")
        check(list(f["design/variables"].asstr()[()]) == ["beta_help", "sigma", "rec_weeks"],
              "variables")
        values = f["runs/values"][()]
        check(np.all(values[:, 2] == np.round(values[:, 2])), "rec_weeks not integers")
    check(not list(tmp.glob("*.tmp-*")), "temporary file left behind")


def test_kill_and_resume_equals_uninterrupted(tmp):
    whole = kindred("sweep", KILL, "-o", "whole.h5", "-q", cwd=tmp)
    check_rc(whole, 0)
    killed_at = None
    for attempt in range(5):
        target = tmp / "killed.h5"
        target.unlink(missing_ok=True)
        process = subprocess.Popen([str(KINDRED), "sweep", str(KILL), "-o", str(target), "-q"],
                                   cwd=tmp, env=environment(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if target.exists():
                try:
                    done, total, _ = done_count(target)
                except OSError:
                    done, total = 0, 0
                if done >= 3 + attempt:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()
                    killed_at = done
                    break
            time.sleep(0.01)
        if process.poll() is None:
            process.kill()
            process.wait()
        if killed_at is not None and process.returncode == -signal.SIGKILL:
            break
        killed_at = None
    check(killed_at is not None, "the sweep always finished before it could be killed")
    done, total, complete = done_count(tmp / "killed.h5")
    check(complete == 0, "a killed sweep's file says complete")
    check(killed_at <= done < total, f"expected a partial file, found {done} of {total} runs")
    resumed = kindred("sweep", KILL, "-o", "killed.h5", "--resume", "-q", cwd=tmp)
    check_rc(resumed, 0)
    check(f"{done} runs were already done" in resumed.out or done == 0,
          "the summary does not say how many runs were resumed", resumed)
    check_same_contents(tmp / "whole.h5", tmp / "killed.h5", "killed and resumed vs whole")


def test_shards_from_flag_and_slurm_merge_into_the_single_file(tmp):
    check_rc(kindred("sweep", SMALL, "-o", "single.h5", "-q", cwd=tmp), 0)
    first = kindred("sweep", SMALL, "-o", "sharded.h5", "--shard", "0/2", "-q", cwd=tmp)
    check_rc(first, 0)
    check((tmp / "sharded.shard-0-of-2.h5").exists(), "no shard file", first)
    second = kindred("sweep", SMALL, "-o", "sharded.h5", "-q", cwd=tmp,
                     env={"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1",
                          "SLURM_ARRAY_TASK_COUNT": "2"})
    check_rc(second, 0)
    check((tmp / "sharded.shard-1-of-2.h5").exists(), "SLURM task 2 of 1-2 is not shard 1/2",
          second)
    merged = kindred("merge", "-o", "merged.h5", "sharded.shard-1-of-2.h5",
                     "sharded.shard-0-of-2.h5", cwd=tmp)
    check_rc(merged, 0)
    check_same_contents(tmp / "single.h5", tmp / "merged.h5", "merged shards vs single")


def test_merge_refuses_inconsistent_shards(tmp):
    for shard in ("0/3", "1/3", "2/3"):
        check_rc(kindred("sweep", SMALL, "-o", "a.h5", "--shard", shard, "-q", cwd=tmp), 0)
    check_rc(kindred("sweep", SMALL, "-o", "b.h5", "--shard", "2/3", "--set", "phi=0.03", "-q",
                     cwd=tmp), 0)
    cases = [
        (["a.shard-0-of-3.h5", "a.shard-1-of-3.h5"], "shards not given: 2/3"),
        (["a.shard-0-of-3.h5", "a.shard-1-of-3.h5", "a.shard-1-of-3.h5", "a.shard-2-of-3.h5"],
         "overlap"),
        (["a.shard-0-of-3.h5", "a.shard-1-of-3.h5", "b.shard-2-of-3.h5"], "different sweep"),
        (["a.shard-0-of-3.h5", str(SMALL)], "not an HDF5 file"),
    ]
    for inputs, expected in cases:
        result = kindred("merge", "-o", "merged.h5", *inputs, cwd=tmp)
        check_rc(result, 2)
        line = one_error_line(result)
        check(expected in line, f"expected {expected!r} in the error", result)
        check(not (tmp / "merged.h5").exists(), "a refused merge left a file", result)


def test_input_errors_are_one_line_and_leave_no_file(tmp):
    cases = [
        (["sweep", DATA / "no_sweep.yaml", "-o", "x.h5"], "key 'sweep'"),
        (["sweep", SMALL, "-o", "x.h5", "--shard", "2/2"], "--shard 2/2"),
        (["sweep", SMALL, "-o", "x.h5", "--set", "beta_help=-1"], "beta_help"),
        (["sweep", SMALL, "-o", "x.h5", "--resume", "--overwrite"], "excludes"),
    ]
    for args, expected in cases:
        result = kindred(*args, cwd=tmp)
        check_rc(result, 2)
        check(expected in one_error_line(result), f"expected {expected!r}", result)
        check(not (tmp / "x.h5").exists(), "bad input left a file", result)
    check_rc(kindred("sweep", SMALL, "-o", "x.h5", "-q", cwd=tmp), 0)
    again = kindred("sweep", SMALL, "-o", "x.h5", "-q", cwd=tmp)
    check_rc(again, 2)
    check("already exists (a sweep file with 12 of 12 runs done)" in one_error_line(again),
          "an existing file is not protected", again)
    check_rc(kindred("sweep", SMALL, "-o", "x.h5", "-q", "--overwrite", cwd=tmp), 0)


def test_mpi_equals_serial(tmp):
    if MPI_STATE != "ON":
        raise Skip("kindred was built without MPI (KINDRED_WITH_MPI=OFF): "
                   "install libopenmpi-dev openmpi-bin and reconfigure")
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise Skip("mpirun not found (Debian: apt-get install openmpi-bin)")
    check_rc(kindred("sweep", KILL, "-o", "serial.h5", "-q", cwd=tmp), 0)
    # As root (CI) OpenMPI needs --allow-run-as-root; on 2 cores 2 ranks need --oversubscribe.
    launcher = [mpirun, "-np", "2", "--oversubscribe", "--allow-run-as-root"]
    # Containers often forbid the cross-memory attach of OpenMPI's shared-memory transport.
    env = {"OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
    result = kindred("sweep", KILL, "-o", "mpi.h5", "-q", "--threads", "1", cwd=tmp, env=env,
                     launcher=launcher)
    check_rc(result, 0)
    check("2 ranks" in result.out, "the sweep did not run on 2 ranks", result)
    check(result.out.count("Results:") == 1, "more than one rank printed a summary", result)
    check_same_contents(tmp / "serial.h5", tmp / "mpi.h5", "mpirun -np 2 vs serial")
    # An existing file is refused once, by rank 0, with every rank exiting.
    again = kindred("sweep", KILL, "-o", "mpi.h5", "-q", cwd=tmp, env=env, launcher=launcher)
    check(again.rc != 0, "an existing file was accepted under MPI", again)
    check(again.err.count("already exists") == 1, "the error was not printed once", again)


def main():
    global KINDRED, MPI_STATE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kindred", required=True)
    parser.add_argument("--mpi", default="ON", choices=["ON", "OFF"])
    parser.add_argument("-k", dest="select", default="")
    options = parser.parse_args()
    KINDRED = Path(options.kindred).resolve()
    MPI_STATE = options.mpi
    tests = [(name, fn) for name, fn in globals().items()
             if name.startswith("test_") and callable(fn)
             and (options.select in name if options.select else "mpi" not in name)]
    passed = failed = skipped = 0
    for name, fn in tests:
        tmp = Path(tempfile.mkdtemp(prefix="kindred_sweep_cli_"))
        try:
            fn(tmp)
        except Skip as reason:
            skipped += 1
            print(f"skip {name}: {reason}", flush=True)
        except Failure as failure:
            failed += 1
            print(f"FAIL {name}\n{failure}\n", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {name} (exception)\n{traceback.format_exc()}", flush=True)
        else:
            passed += 1
            print(f"ok   {name}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if failed:
        return 1
    return SKIP if skipped and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
