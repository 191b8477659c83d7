#!/usr/bin/python3
"""End-to-end tests of `kindred sweep` and `kindred merge`, run as subprocesses.

Usage: test_sweep_cli.py --kindred PATH [--mpi ON|OFF] [-k SUBSTRING]

Without -k every test but the MPI ones runs; `-k mpi` runs the MPI test, which exits 77
(CTest: skipped) with the reason when Kindred was built without MPI or mpirun is missing.
Ends with "N passed, M failed". Every output goes to a fresh temporary directory. Fixtures:
tests/sweep/data/.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

# A sweep file is read here while a sweep writes it: no HDF5 file locks (set before h5py loads).
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import Skip, check, check_rc, one_error_line  # noqa: E402
import harness  # noqa: E402

DATA = REPO / "tests" / "sweep" / "data"
SMALL = DATA / "small.yaml"      # 12 runs of a few milliseconds
KILL = DATA / "kill.yaml"        # 48 runs of some tens of milliseconds
KINDRED = None
MPI_STATE = "ON"


def kindred(*args, cwd, env=None, launcher=()):
    return harness.run(KINDRED, *args, cwd=cwd, env=harness.environment(env), launcher=launcher,
                       timeout=240)


def done_count(path):
    with h5py.File(path, "r") as f:
        return int(f["runs/done"][()].sum()), int(f.attrs["runs_in_file"]), int(f.attrs["complete"])


# ---- tests ---------------------------------------------------------------------------------------


def test_sweep_writes_a_complete_file(tmp):
    result = kindred("sweep", SMALL, "-o", "out.h5", cwd=tmp)
    check_rc(result, 0)
    check("12 runs in" in result.stdout and "complete" in result.stdout, "no summary", result)
    check("[sweep] 12/12 runs (100%)" in result.stderr, "no final progress line", result)
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
    # Runs long enough (about 0.15 s each) that done flags, set at most a second after their
    # runs, appear before the sweep ends.
    slower = ["--set", "population.patients=2500"]
    whole = kindred("sweep", KILL, "-o", "whole.h5", "-q", *slower, cwd=tmp)
    check_rc(whole, 0)
    killed_at = None
    for attempt in range(5):
        target = tmp / "killed.h5"
        target.unlink(missing_ok=True)
        process = harness.start(KINDRED, "sweep", KILL, "-o", target, "-q", *slower, cwd=tmp,
                                env=harness.environment(), stdout=subprocess.DEVNULL,
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
    resumed = kindred("sweep", KILL, "-o", "killed.h5", "--resume", "-q", *slower, cwd=tmp)
    check_rc(resumed, 0)
    check(f"{done} runs were already done" in resumed.stdout or done == 0,
          "the summary does not say how many runs were resumed", resumed)
    harness.check_same_hdf5(tmp / "whole.h5", tmp / "killed.h5", "killed and resumed vs whole")


def test_a_file_another_process_writes_is_said_to_be_in_use(tmp):
    # With HDF5's file locking on, a file a running sweep holds is in use, not damaged.
    locking = {"HDF5_USE_FILE_LOCKING": "TRUE"}
    slower = ["--set", "population.patients=2500"]
    target = tmp / "busy.h5"
    process = harness.start(KINDRED, "sweep", KILL, "-o", target, "-q", "--threads", "1",
                            *slower, cwd=tmp, env=harness.environment(locking),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        check(target.exists() and process.poll() is None, "the sweep did not start in time")
        for args in (["verify", target, "--sample", "0"],
                     ["sweep", KILL, "-o", target, "--resume", "-q", *slower],
                     # Nor may --overwrite replace it (in use is not damaged).
                     ["sweep", KILL, "-o", target, "--overwrite", "-q", *slower]):
            result = kindred(*args, cwd=tmp, env=locking)
            if process.poll() is not None:
                break  # finished meanwhile: nothing to test
            check_rc(result, 2)
            check("found one in use (HDF5 could not lock it)" in one_error_line(result),
                  "message", result)
    finally:
        process.kill()
        process.wait()


def test_a_finished_runs_flag_does_not_wait_for_the_next_run(tmp):
    # One thread: a small run, then one that takes seconds. The small run's done flag is set
    # within about a second of its end, while the big run is still running.
    scenario = tmp / "gap.yaml"
    scenario.write_text(SMALL.read_text().split("sweep:")[0].replace("weeks: 20", "weeks: 30") +
                        "sweep:\n  replicates: 1\n  variables:\n"
                        "    population.patients: [60, 120000]\n")
    target = tmp / "gap.h5"
    process = harness.start(KINDRED, "sweep", scenario, "-o", target, "-q", "--threads", "1",
                            cwd=tmp, env=harness.environment(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        flagged_at = None
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < 60:
            if target.exists():
                try:
                    done, _, _ = done_count(target)
                except OSError:
                    done = 0
                if done >= 1:
                    flagged_at = time.monotonic() - started
                    break
            time.sleep(0.05)
        check(flagged_at is not None and process.poll() is None,
              "the small run's flag was not set while the big run ran (it waited for the big "
              "run to end, or the big run is too short to tell)")
    finally:
        process.kill()
        process.wait()


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
    harness.check_same_hdf5(tmp / "single.h5", tmp / "merged.h5", "merged shards vs single")


def test_a_rerun_of_some_array_tasks_needs_its_shard_named(tmp):
    # sbatch --array=5,11 (or --array=5) of a 0-15 array: MIN, MAX and COUNT are the re-run's,
    # so the shard cannot be computed from them; --shard names it.
    for stem, env in (("a", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5",
                             "SLURM_ARRAY_TASK_MAX": "11", "SLURM_ARRAY_TASK_COUNT": "2"}),
                      ("b", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5",
                             "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "1"})):
        result = kindred("sweep", SMALL, "-o", f"{stem}.h5", "-q", cwd=tmp, env=env)
        check_rc(result, 2)
        check("pass --shard I/N" in one_error_line(result), "message", result)
        check(not list(tmp.glob(f"{stem}*.h5")), "a refused re-run left a file", result)
        named = kindred("sweep", SMALL, "-o", f"{stem}.h5", "-q", "--shard", "5/16", cwd=tmp,
                        env=env)
        check_rc(named, 0)
        check((tmp / f"{stem}.shard-05-of-16.h5").exists(), "--shard 5/16 not written", named)


def test_a_shard_beyond_the_runs_has_nothing_to_do_and_succeeds(tmp):
    # An array of more tasks than runs: the extra tasks exit 0 (a merge job waiting on the
    # array with --dependency=afterok still runs) and write nothing.
    result = kindred("sweep", SMALL, "-o", "x.h5", "--shard", "13/16", cwd=tmp)
    check_rc(result, 0)
    check("holds no runs (the sweep has 12): nothing to do" in result.stdout, "message", result)
    check(not list(tmp.glob("x*")), "a shard without runs wrote a file", result)


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


def test_a_point_whose_state_overflows_stops_the_sweep_with_one_line(tmp):
    # alpha_help_given is valid up to infinity, but 1e308 overflows in the first weeks: the
    # sweep stops with one line naming the value instead of storing NaN outcomes.
    result = kindred("sweep", SMALL, "-o", "x.h5", "-q", "--threads", "1",
                     "--set", "alpha_help_given=1e308", cwd=tmp)
    check_rc(result, 2)
    line = one_error_line(result)
    check("expected parameter values that keep the model's state finite" in line and
          "alpha_help_given = 1e+308" in line, "message", result)
    with h5py.File(tmp / "x.h5", "r") as f:
        check(int(f.attrs["complete"]) == 0, "a stopped sweep says complete")


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
    check("2 ranks" in result.stdout, "the sweep did not run on 2 ranks", result)
    check(result.stdout.count("Results:") == 1, "more than one rank printed a summary", result)
    harness.check_same_hdf5(tmp / "serial.h5", tmp / "mpi.h5", "mpirun -np 2 vs serial")
    # An existing file is refused once, by rank 0, with every rank exiting.
    again = kindred("sweep", KILL, "-o", "mpi.h5", "-q", cwd=tmp, env=env, launcher=launcher)
    check(again.returncode != 0, "an existing file was accepted under MPI", again)
    check(again.stderr.count("already exists") == 1, "the error was not printed once", again)


def main():
    global KINDRED, MPI_STATE
    parser = harness.arguments(__doc__)
    parser.add_argument("--mpi", default="ON", choices=["ON", "OFF"])
    options = parser.parse_args()
    KINDRED = Path(options.kindred).resolve()
    MPI_STATE = options.mpi
    tests = [(name, fn) for name, fn in harness.tests_of(globals())
             if (options.select in name if options.select else "mpi" not in name)]
    return harness.main(tests, temporary="kindred_sweep_cli_")


if __name__ == "__main__":
    sys.exit(main())
