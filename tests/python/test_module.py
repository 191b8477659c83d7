#!/usr/bin/python3
"""Tests of the `kindred` Python module (pybind11), run by CTest with PYTHONPATH set to the
built module.

Usage: test_module.py --kindred PATH [-k SUBSTRING]   |   test_module.py --skip REASON

The module's runs must equal `kindred run` of the same scenario: aggregates and trajectories
are compared with the trial file bit for bit (same code, same random streams). Every output
goes to a temporary directory.
"""
import math
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import Failure, check  # noqa: E402
import harness  # noqa: E402

SCENARIO = REPO / "tests" / "data" / "analysis" / "module_trial.yaml"
VARIABLES = ["distress", "agency", "knowledge", "strengths", "recreation", "help_received",
             "help_given", "strain"]

KINDRED = None
kindred = None  # the module, imported in main()


def run_cli(*args, cwd):
    return harness.run(KINDRED, *args, cwd=cwd, timeout=300, expect=0)


def test_module_basics():
    check(kindred.__version__.count(".") == 2, f"version {kindred.__version__}")
    parameters = kindred.parameters()
    check(len(parameters) == 37, f"{len(parameters)} parameters")
    check(parameters["beta_help"] == 0.01 and parameters["rec_weeks"] == 12, str(parameters))


def test_load_scenario_with_overrides():
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=12", "beta_help=0.02",
                                                          "befriending.befriending.strength=0.5"])
    check(scenario.name == "module_trial", scenario.name)
    check(scenario.weeks == 12, f"weeks {scenario.weeks}")
    check(scenario.parameters["beta_help"] == 0.02, "override of beta_help not applied")
    check(scenario.arms == ["control", "befriending", "self_help_groups"], str(scenario.arms))
    check(scenario.control_arm == "control", str(scenario.control_arm))
    check(scenario.programs["befriending"] == ["befriending"], str(scenario.programs))
    check("name: module_trial" in scenario.text, "scenario text")


def test_run_equals_the_trial_file():
    with tempfile.TemporaryDirectory() as tmp:
        run_cli("run", SCENARIO, "-o", "trial.h5", "-q", "--set", "weeks=12", cwd=tmp)
        scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=12"])
        result = scenario.run(roles=[])
        with h5py.File(Path(tmp) / "trial.h5", "r") as f:
            rep = f["replicate_000"]
            check(np.array_equal(result.weeks, rep["aggregates/week"][()]), "weeks")
            for arm in scenario.arms + ["all_patients"]:
                group = rep["aggregates"][arm]
                for name in VARIABLES + ["n_patients", "share_recovered", "ties_per_patient",
                                         "mean_tie_strength"]:
                    ours, theirs = result.aggregates[arm][name], group[name][()]
                    check(ours.shape == theirs.shape, f"{arm}/{name}: {ours.shape} vs "
                          f"{theirs.shape}")
                    check(np.array_equal(ours, theirs, equal_nan=True),
                          f"{arm}/{name} differs from the file: max "
                          f"{np.nanmax(np.abs(ours - theirs))}")
            traj = rep["trajectories"]
            check(np.array_equal(result.agent_id, traj["agent_id"][()]), "agent ids")
            check(np.array_equal(result.trajectory_weeks, traj["week"][()]), "trajectory weeks")
            for name in VARIABLES:
                check(np.array_equal(result.trajectories[name], traj[name][()], equal_nan=True),
                      f"trajectory {name} differs from the file")
            role_names = [r.decode() if isinstance(r, bytes) else r
                          for r in traj["role"].attrs["names"]]
            check(result.role == [role_names[c] for c in traj["role"][()]], "roles")
            check(np.array_equal(result.created_week, traj["created_week"][()]), "created weeks")
            patients = rep["patients"]
            for name in ("id", "arm", "recovered_week", "initial_distress", "final_distress"):
                check(np.array_equal(result.patients[name], patients[name][()]),
                      f"patients/{name} differs")


def test_agents_created_by_programs_are_nan_before_they_exist():
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=8",
                                                          "befriending.befriending.start_week=3"])
    result = scenario.run(roles=["volunteer"], variables=["distress"])
    d = result.trajectories["distress"]
    check(d.shape[1] > 0, "no volunteers")
    check(all(r == "volunteer" for r in result.role), "roles")
    check(np.all(np.isnan(d[:3])), "volunteers before week 3 must be NaN")
    check(np.all(np.isfinite(d[3:])), "volunteers from week 3 on must have values")
    check(np.all(result.created_week == 3), str(result.created_week))


def test_every_weeks_and_variables():
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=12"])
    result = scenario.run(variables=["distress", "help_received"], every_weeks=5)
    check(list(result.trajectory_weeks) == [0, 5, 10, 12], str(result.trajectory_weeks))
    check(sorted(result.trajectories) == ["distress", "help_received"],
          str(list(result.trajectories)))
    check(result.trajectories["distress"].shape == (4, 240), "patients only by default")
    check(set(result.role) == {"patient"}, "default roles")
    control = result.aggregates["control"]
    check(control["distress"].shape == (13, 5), str(control["distress"].shape))


def test_callback_sees_every_week():
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=6"])
    seen = []

    def callback(week, state):
        seen.append(week)
        check(set(VARIABLES) <= set(state), f"state keys {sorted(state)}")
        check(state["distress"].shape == state["arm"].shape == state["role"].shape,
              "state arrays differ in length")
        check(state["ties"] > 0, "ties")
        state["distress"][:] = 1.0  # a copy: changing it must not change the run

    result = scenario.run(callback=callback)
    check(seen == list(range(7)), f"callback weeks {seen}")
    check(np.nanmax(result.trajectories["distress"]) < 1.0, "callback changed the run")


def test_replicates_differ_and_repeat():
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=4"])
    first = scenario.run(replicate=0, variables=["distress"])
    again = scenario.run(replicate=0, variables=["distress"])
    other = scenario.run(replicate=1, variables=["distress"])
    check(np.array_equal(first.trajectories["distress"], again.trajectories["distress"]),
          "the same replicate must repeat exactly")
    check(not np.array_equal(first.aggregates["control"]["distress"],
                             other.aggregates["control"]["distress"]),
          "another replicate must differ")
    quick = kindred.run(SCENARIO, overrides=["weeks=4"])
    check(np.array_equal(quick.aggregates["control"]["distress"],
                         first.aggregates["control"]["distress"]), "kindred.run")


def test_errors_are_python_exceptions():
    for call, expected in [
            (lambda: kindred.load_scenario(SCENARIO, overrides=["nonsense=1"]), "nonsense"),
            (lambda: kindred.load_scenario(REPO / "no" / "such.yaml"), "such.yaml"),
            (lambda: kindred.load_scenario(SCENARIO).run(variables=["mood"]), "mood"),
            (lambda: kindred.load_scenario(SCENARIO).run(every_weeks=0), "every_weeks"),
            (lambda: kindred.load_scenario_text("name: x\nweeks: -3\narms: []\n"), "weeks"),
            # A models folder that does not exist is said, not skipped.
            (lambda: kindred.load_scenario(SCENARIO, models_dirs=[REPO / "no_such_models"]),
             "models directory"),
            # A path that is not UTF-8 still gives a message (escaped as on the command line).
            (lambda: kindred.load_scenario_text("name: x", path="\udcff.yaml"), "\\xff.yaml"),
            # Refused before anything is built: too large for memory, or for 32-bit ids.
            (lambda: kindred.load_scenario(SCENARIO).run(max_memory="1K"), "max_memory"),
            (lambda: kindred.load_scenario(SCENARIO).run(max_memory="many"), "max_memory many"),
            (lambda: kindred.load_scenario(
                SCENARIO, overrides=["population.patients=2000000000"]).run(), "32-bit ids"),
            (lambda: kindred.load_scenario(SCENARIO, overrides=["weeks=100000"]).run(
                max_memory="2G", every_weeks=1), "trajectories fit in memory")]:
        try:
            call()
        except kindred.InputError as error:
            check(isinstance(error, ValueError), "InputError must be a ValueError")
            check(expected in str(error), f"message '{error}' does not name '{expected}'")
        else:
            raise Failure(f"no InputError for {expected}")


def test_keyboard_interrupt_stops_a_run_between_weeks():
    # A SIGINT (Ctrl-C) during a long run raises KeyboardInterrupt in the calling thread.
    import os
    import signal
    import threading
    scenario = kindred.load_scenario(SCENARIO, overrides=["weeks=100000"])
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        scenario.run(variables=["distress"], every_weeks=1000)
    except KeyboardInterrupt:
        pass
    else:
        raise Failure("a run of 100000 weeks ended without KeyboardInterrupt")
    finally:
        timer.cancel()


def main():
    global KINDRED, kindred
    parser = harness.arguments(__doc__, kindred_required=False)
    parser.add_argument("--skip")
    args = parser.parse_args()
    if args.skip:
        print(f"SKIPPED: {args.skip}")
        return 77
    KINDRED = Path(args.kindred).resolve()
    import kindred as module
    kindred = module
    return harness.main(harness.tests_of(globals(), args.select))


if __name__ == "__main__":
    sys.exit(main())
