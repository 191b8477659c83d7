#!/usr/bin/python3
"""Results are never lost or half-written: end-to-end tests of `kindred` under signals and kills.

Usage: test_robustness.py --kindred PATH [-k SUBSTRING]

- an existing output is not replaced without --force;
- SIGINT / SIGTERM during a trial keep the finished replicates in a valid file marked
  incomplete, and `run --resume` completes it bit-identical to an uninterrupted run;
- SIGINT during a sweep stops it cleanly (exit 130) and `sweep --resume` completes it;
  kill -9 at random moments, several times over, then --resume, equals an uninterrupted sweep;
- `kindred verify` passes intact files, and finds a changed value (re-run differs), a damaged
  structure, and a model file changed since the run;
- the memory estimate refuses what does not fit and bounds the measured peak memory.

Runs like tests/cli/test_cli.py (tests/harness.py): every test_* function in order, "N passed,
M failed" at the end.
"""
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import check  # noqa: E402
import harness  # noqa: E402

KINDRED = None
SANITIZED = False  # ASan/TSan builds: slower, and their memory is not the program's

TRIAL = """name: robust
seed: 5
weeks: 40
replicates: 5
counterfactual: true
population: {generator: ego_network, patients: 800}
arms:
  - {name: control, control: true, share: 0.5}
  - {name: befriending, share: 0.5, programs: [befriending]}
output: {tie_snapshots: [0, 4], trajectories: {every_weeks: 4}}
"""

SWEEP = """name: robust_sweep
seed: 11
weeks: 60
population: {generator: ego_network, patients: 200}
arms:
  - {name: control, control: true, share: 0.5}
  - {name: befriending, share: 0.5, programs: [befriending]}
sweep:
  design: grid
  replicates: 2
  outcome_weeks: [30, 60]
  variables:
    beta_help: {min: 0.005, max: 0.02, steps: 16}
    befriending.befriending.strength: [0.2, 0.3, 0.4, 0.5]
"""


def kindred(*args, cwd, expect=None):
    return harness.run(KINDRED, *args, cwd=cwd, env=harness.environment(), timeout=600,
                       expect=expect)


def ok(*args, cwd):
    """Runs kindred, requires exit code 0; the result has .seconds, the time it took."""
    started = time.time()
    result = kindred(*args, cwd=cwd, expect=0)
    result.seconds = time.time() - started
    return result


def start(*args, cwd):
    return harness.start(KINDRED, *args, cwd=cwd, env=harness.environment(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def summary_table(stdout):
    """The summary without its last line (the time taken)."""
    return [line for line in stdout.splitlines() if not line.startswith("Results:")]


# ---- never overwritten -------------------------------------------------------------------------


def test_existing_output_needs_force():
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.yaml").write_text(TRIAL.replace("replicates: 5", "replicates: 1")
                                          .replace("weeks: 40", "weeks: 4"))
        ok("run", "t.yaml", "-o", "out.h5", "-q", cwd=tmp)
        before = (Path(tmp) / "out.h5").read_bytes()
        inode = (Path(tmp) / "out.h5").stat().st_ino
        again = kindred("run", "t.yaml", "-o", "out.h5", "-q", cwd=tmp)
        check(again.returncode == 2 and "--force" in again.stderr,
              f"a second run was not refused: {again.returncode} {again.stderr}")
        check((Path(tmp) / "out.h5").read_bytes() == before, "the refused run changed the file")
        ok("run", "t.yaml", "-o", "out.h5", "-q", "--force", cwd=tmp)
        check((Path(tmp) / "out.h5").stat().st_ino != inode, "--force did not replace by rename")
        complete = kindred("run", "t.yaml", "-o", "out.h5", "-q", "--resume", cwd=tmp)
        check(complete.returncode == 0, f"--resume of a complete file: {complete.stderr}")
        check(sorted(os.listdir(tmp)) == ["out.h5", "t.yaml"], f"files: {os.listdir(tmp)}")


# ---- trial: signals and resume ------------------------------------------------------------------


def interrupted_trial(tmp, sig, delay):
    """Runs TRIAL to out.h5, sends `sig` after `delay` seconds; returns the finished process."""
    process = start("run", "t.yaml", "-o", "out.h5", "-q", cwd=tmp)
    time.sleep(delay)
    process.send_signal(sig)
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def test_sigint_trial_then_resume_equals_uninterrupted():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL)
        whole = ok("run", "t.yaml", "-o", "whole.h5", "-q", cwd=tmp)
        taken = None
        # Signals at fractions of the uninterrupted run's time: most land within a replicate.
        for fraction in (0.5, 0.3, 0.7, 0.15, 0.05):
            rc, out, err = interrupted_trial(tmp, signal.SIGINT, fraction * whole.seconds)
            if rc == 130:
                taken = (out, err)
                break
            check(rc == 0, f"exit {rc} after SIGINT: {err}")
            os.remove(Path(tmp, "out.h5"))  # finished before the signal: try earlier
        check(taken is not None, "the trial always finished before SIGINT arrived")
        out, err = taken
        check(out == "", f"an interrupted run printed a summary: {out}")
        check(err.count("\n") == 1 and "interrupted by SIGINT" in err and "--resume" in err,
              f"message: {err!r}")
        check(not list(Path(tmp).glob("*.tmp-*")), "a temporary file was left behind")
        with h5py.File(Path(tmp, "out.h5"), "r") as f:
            check(int(f.attrs["complete"]) == 0, "an interrupted file says complete")
            kept = sorted(k for k in f if k.startswith("replicate_"))
            for name in kept:
                check("patients" in f[name] and "aggregates" in f[name],
                      f"{name} is incomplete in the interrupted file")
        check(f"holds replicates" in err, err)
        verify = kindred("verify", "out.h5", "--sample", "1", cwd=tmp)
        check(verify.returncode == 0 and "incomplete" in verify.stdout,
              f"verify of the interrupted file: {verify.returncode}\n{verify.stdout}{verify.stderr}")
        resumed = ok("run", "t.yaml", "-o", "out.h5", "-q", "--resume", cwd=tmp)
        harness.check_same_hdf5(Path(tmp, "whole.h5"), Path(tmp, "out.h5"), "resumed vs whole")
        check(summary_table(resumed.stdout) == summary_table(whole.stdout),
              f"summaries differ:\n{whole.stdout}\n{resumed.stdout}")
        with h5py.File(Path(tmp, "out.h5"), "r") as f:
            check(int(f.attrs["complete"]) == 1, "a resumed file does not say complete")


def test_sigterm_trial_exits_143_with_a_valid_file():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL)
        whole = ok("run", "t.yaml", "-o", "whole.h5", "-q", cwd=tmp)
        for fraction in (0.5, 0.2, 0.05):
            rc, out, err = interrupted_trial(tmp, signal.SIGTERM, fraction * whole.seconds)
            if rc == 143:
                break
            os.remove(Path(tmp, "out.h5"))
        check(rc == 143, f"exit {rc} after SIGTERM: {err}")
        check("interrupted by SIGTERM" in err, err)
        with h5py.File(Path(tmp, "out.h5"), "r") as f:
            check(f.attrs["format"] == "kindred-trial" and int(f.attrs["complete"]) == 0,
                  "not a valid incomplete trial file")
        other = kindred("run", "t.yaml", "-o", "out.h5", "-q", "--resume", "--set", "seed=6",
                        cwd=tmp)
        check(other.returncode == 2 and "another trial" in other.stderr,
              f"--resume with other settings was not refused: {other.stderr}")


def test_interrupted_force_run_leaves_the_old_file_and_keeps_its_replicates():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL)
        whole = ok("run", "t.yaml", "-o", "out.h5", "-q", cwd=tmp)
        before = Path(tmp, "out.h5").read_bytes()
        rc = None
        for fraction in (0.5, 0.3, 0.7, 0.15, 0.05):
            process = start("run", "t.yaml", "-o", "out.h5", "-q", "--force", cwd=tmp)
            time.sleep(fraction * whole.seconds)
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=600)
            rc = process.returncode
            if rc == 143:
                break
            check(rc == 0, f"exit {rc} after SIGTERM: {err}")
            Path(tmp, "out.h5").write_bytes(before)  # finished before the signal: try earlier
        check(rc == 143, "the forced run always finished before SIGTERM arrived")
        check(Path(tmp, "out.h5").read_bytes() == before,
              "an interrupted --force run changed the file it was to replace")
        kept = sorted(Path(tmp).glob("out.interrupted-*.h5"))
        check(len(kept) == 1, f"files: {sorted(os.listdir(tmp))}")
        check(err.count("\n") == 1 and "out.h5 is left as it was" in err and
              f"-o {kept[0].name} --resume" in err, f"message: {err!r}")
        check(not list(Path(tmp).glob("*.tmp-*")), "a temporary file was left behind")
        with h5py.File(kept[0], "r") as f:
            check(int(f.attrs["complete"]) == 0, "the kept file says complete")
        ok("run", "t.yaml", "-o", kept[0].name, "-q", "--resume", cwd=tmp)
        harness.check_same_hdf5(Path(tmp, "out.h5"), kept[0], "resumed vs whole")


# ---- sweep: signals, kill -9 and resume -----------------------------------------------------


def done_count(path):
    with h5py.File(path, "r") as f:
        return int(np.sum(f["runs/done"][()])), int(f["runs/done"].shape[0]), int(
            f.attrs["complete"])


def test_sigint_sweep_then_resume_equals_uninterrupted():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "s.yaml").write_text(SWEEP)
        whole = ok("sweep", "s.yaml", "-o", "whole.h5", "-q", cwd=tmp)
        stopped = None
        for fraction in (0.5, 0.3, 0.7, 0.1):
            process = start("sweep", "s.yaml", "-o", "out.h5", "-q", "--overwrite", cwd=tmp)
            time.sleep(fraction * whole.seconds)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=600)
            if process.returncode == 130:
                stopped = err
                break
            check(process.returncode == 0, f"exit {process.returncode}: {err}")
        check(stopped is not None, "the sweep always finished before SIGINT")
        check(stopped.count("\n") == 1 and "--resume" in stopped, f"message: {stopped!r}")
        done, total, complete = done_count(Path(tmp, "out.h5"))
        check(complete == 0 and done < total, f"{done} of {total} runs, complete {complete}")
        ok("sweep", "s.yaml", "-o", "out.h5", "-q", "--resume", cwd=tmp)
        harness.check_same_hdf5(Path(tmp, "whole.h5"), Path(tmp, "out.h5"), "resumed vs whole")


def test_kill9_sweep_at_random_moments_then_resume_equals_uninterrupted():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "s.yaml").write_text(SWEEP)
        whole = ok("sweep", "s.yaml", "-o", "whole.h5", "-q", cwd=tmp)
        chooser = random.Random(20261126)
        kills = 0
        for round_ in range(4):
            arguments = ["sweep", "s.yaml", "-o", "out.h5", "-q"]
            arguments.append("--resume" if Path(tmp, "out.h5").exists() else "--overwrite")
            process = start(*arguments, cwd=tmp)
            # A random moment within the first third of an uninterrupted sweep's time.
            time.sleep(chooser.uniform(0.02, 0.35) * whole.seconds)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=600)
            if process.returncode == -signal.SIGKILL:
                kills += 1
                if Path(tmp, "out.h5").exists():
                    done, total, complete = done_count(Path(tmp, "out.h5"))
                    check(complete == 0, "a killed sweep's file says complete")
        check(kills > 0, "no sweep was killed before it finished")
        ok("sweep", "s.yaml", "-o", "out.h5", "-q", "--resume", cwd=tmp)
        harness.check_same_hdf5(Path(tmp, "whole.h5"), Path(tmp, "out.h5"), "resumed vs whole")


# ---- verify ------------------------------------------------------------------------------------


def test_verify_passes_intact_files_and_finds_changes():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL.replace("replicates: 5", "replicates: 3"))
        ok("run", "t.yaml", "-o", "trial.h5", "-q", cwd=tmp)
        result = ok("verify", "trial.h5", "--sample", "2", cwd=tmp)
        check(result.stdout.count("bit-identical") == 2 and "verified:" in result.stdout,
              result.stdout)
        shutil.copy(Path(tmp, "trial.h5"), Path(tmp, "tampered.h5"))
        with h5py.File(Path(tmp, "tampered.h5"), "r+") as f:
            data = f["replicate_002/aggregates/control/distress"]
            values = data[()]
            values[10, 0] += 1e-12
            data[...] = values
        result = kindred("verify", "tampered.h5", "--sample", "3", cwd=tmp)
        check(result.returncode == 1 and "replicate 2 re-run differs" in result.stdout and
              "aggregates/control/distress" in result.stdout, result.stdout)
        shutil.copy(Path(tmp, "trial.h5"), Path(tmp, "broken.h5"))
        with h5py.File(Path(tmp, "broken.h5"), "r+") as f:
            del f["replicate_001/patients/final_distress"]
        result = kindred("verify", "broken.h5", "--sample", "0", cwd=tmp)
        check(result.returncode == 1 and "final_distress: missing" in result.stdout,
              result.stdout)
        # Root attributes the stored scenario determines: a changed one is found.
        for name, value in (("weeks", -5), ("seed", 6), ("replicates", 4)):
            shutil.copy(Path(tmp, "trial.h5"), Path(tmp, "header.h5"))
            with h5py.File(Path(tmp, "header.h5"), "r+") as f:
                f.attrs.modify(name, np.array(value, dtype=f.attrs[name].dtype))
            result = kindred("verify", "header.h5", "--sample", "1", cwd=tmp)
            check(result.returncode == 1 and f"header: attribute {name} is {value}, the stored "
                  "scenario gives" in result.stdout, f"{name}: {result.stdout}")

        Path(tmp, "s.yaml").write_text(SWEEP.replace("steps: 16", "steps: 2"))
        ok("sweep", "s.yaml", "-o", "sweep.h5", "-q", cwd=tmp)
        result = ok("verify", "sweep.h5", "--sample", "3", cwd=tmp)
        check(result.stdout.count("bit-identical") == 3 and "digest" in result.stdout,
              result.stdout)
        with h5py.File(Path(tmp, "sweep.h5"), "r+") as f:
            data = f["runs/distress"]
            values = data[()]
            values[0, 1, 0] = 0.5
            data[...] = values
        result = kindred("verify", "sweep.h5", "--sample", "2", cwd=tmp)
        check(result.returncode == 1 and "run 0 (point 0, replicate 0) re-run differs" in
              result.stdout, result.stdout)


def test_verify_says_a_model_changed():
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp, "models")
        models.mkdir()
        shutil.copy(REPO / "models" / "befriending.yaml", models / "befriending.yaml")
        Path(tmp, "t.yaml").write_text(TRIAL.replace("replicates: 5", "replicates: 1")
                                       .replace("weeks: 40", "weeks: 8"))
        ok("--models-dir", "models", "run", "t.yaml", "-o", "trial.h5", "-q", cwd=tmp)
        ok("--models-dir", "models", "verify", "trial.h5", cwd=tmp)
        text = (models / "befriending.yaml").read_text()
        (models / "befriending.yaml").write_text(text.replace("strength: 0.3", "strength: 0.4"))
        result = kindred("--models-dir", "models", "verify", "trial.h5", cwd=tmp)
        check(result.returncode == 1 and "model 'befriending'" in result.stdout and
              "changed since the file was written" in result.stdout and
              "a model file changed" in result.stdout, result.stdout)
        resume = kindred("--models-dir", "models", "run", "t.yaml", "-o", "trial.h5", "-q",
                         "--resume", cwd=tmp)
        check(resume.returncode == 2 and "model 'befriending' changed" in resume.stderr,
              f"--resume with a changed model: {resume.stderr}")


# ---- limits ------------------------------------------------------------------------------------


def test_memory_limit_refuses_before_anything_is_written():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL)
        described = ok("validate", "t.yaml", cwd=tmp)
        check(re.search(r"Memory: an estimated [0-9.]+ MiB", described.stdout), described.stdout)
        refused = kindred("run", "t.yaml", "-q", "--max-memory", "100M", cwd=tmp)
        check(refused.returncode == 2 and "fits in memory" in refused.stderr and
              "100 MiB is the --max-memory limit" in refused.stderr, refused.stderr)
        check(sorted(os.listdir(tmp)) == ["t.yaml"], f"files: {os.listdir(tmp)}")
        Path(tmp, "s.yaml").write_text(SWEEP)
        refused = kindred("sweep", "s.yaml", "-q", "--max-memory", "10M", cwd=tmp)
        check(refused.returncode == 2 and "fits in memory" in refused.stderr, refused.stderr)


def test_memory_estimate_bounds_the_measured_peak():
    if SANITIZED:
        print("  (skipped under a sanitizer: its shadow memory is not the program's)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.yaml").write_text(TRIAL.replace("patients: 800", "patients: 20000")
                                       .replace("replicates: 5", "replicates: 1")
                                       .replace("weeks: 40", "weeks: 6"))
        described = ok("validate", "t.yaml", cwd=tmp).stdout
        match = re.search(r"Memory: an estimated ([0-9.]+) (MiB|GiB)", described)
        estimate = float(match.group(1)) * (1024 if match.group(2) == "GiB" else 1)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ok("run", "t.yaml", "-q", "-o", "t.h5", cwd=tmp)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB → MiB
        check(peak > before / 1024, "could not measure the run's peak memory")
        check(peak <= estimate <= 3 * peak,
              f"estimate {estimate:.0f} MiB against a measured peak of {peak:.0f} MiB")


def main():
    global KINDRED, SANITIZED
    options = harness.arguments(__doc__).parse_args()
    KINDRED = Path(options.kindred).resolve()
    binary = KINDRED.read_bytes()
    SANITIZED = b"__asan_init" in binary or b"__tsan_init" in binary
    return harness.main(harness.tests_of(globals(), options.select), timed=True)


if __name__ == "__main__":
    sys.exit(main())
