#!/usr/bin/python3
"""End-to-end test of the `kindred` command-line program, run as a subprocess.

Usage: test_cli.py --kindred PATH [-k SUBSTRING]

Every test is a function named test_*; the runner (tests/harness.py) runs them all in order,
prints each failure with the command, exit code, stdout and stderr, and ends with the line
"N passed, M failed" (exit code 1 on any failure). Only the standard library, numpy and h5py are
used. Every output goes to a fresh temporary directory: the test never writes into the
repository. Fixtures (bad scenarios, CSV populations) are in tests/data/cli/ (see its README).
"""
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import check, check_rc, one_error_line, tree  # noqa: E402
import harness  # noqa: E402

DATA = REPO / "tests" / "data" / "cli"
MODELS = REPO / "models"
DEFAULT_SCENARIO = REPO / "scenarios" / "default.yaml"

KINDRED = None  # set by main()

# Exit codes. main.cpp: InputError and command-line errors → 2, any other exception → 1.
INPUT_ERROR = 2
RUNTIME_FAILURE = 1

# Spec §6 (docs/spec/MODEL.md), in the spec's order: name → version-1 default.
PARAMETER_DEFAULTS = {
    "beta_0": 0.004, "beta_help": 0.01, "beta_agency": 0.015, "beta_knowledge": 0.01,
    "beta_strengths": 0.006, "beta_recreation": 0.006, "gamma_self_actualising": 0.5,
    "beta_peer": 1.0, "theta_0": 0.002, "theta_vulnerability": 0.03, "theta_strain": 0.01,
    "theta_loneliness": 0.03, "h_0": 0.5, "p_event": 0.02, "event_size": 0.1, "sigma": 0.02,
    "alpha_help_given": 0.01, "alpha_expert_self": 0.006, "alpha_decision": 0.004,
    "delta_dependency": 0.01, "delta_distress": 0.019, "mu": 0.01, "alpha_knowledge": 0.05,
    "alpha_experience": 0.02, "alpha_strengths": 0.05, "alpha_recreation": 0.05,
    "kappa_reciprocity": 0.01, "kappa_withdrawal": 0.01, "kappa_decay": 0.002, "w_min": 0.05,
    "w_floor_family": 0.2, "phi": 0.02, "p_triadic_closure": 0.7, "w_new": 0.2, "q_new": 0.5,
    "d_rec": 0.3, "rec_weeks": 12,
}
assert len(PARAMETER_DEFAULTS) == 37


# ---- helpers ------------------------------------------------------------------------------------


def kindred(*args, cwd):
    """Runs the program with `args` in `cwd` (always a temporary directory)."""
    return harness.run(KINDRED, *args, cwd=cwd, env=harness.environment(), timeout=120)


def tmp_leftovers(directory):
    return sorted(str(p) for p in Path(directory).rglob("*.tmp-*"))


def check_no_tmp(directory, result=None):
    left = tmp_leftovers(directory)
    check(not left, f"temporary files left behind: {left}", result)


def line_of(path, token):
    """1-based number of the first line of `path` (not a '#' comment) containing `token`."""
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if token in line and not line.startswith("#"):
            return number
    raise AssertionError(f"fixture {path} has no line with {token!r}")


def write_small_default(directory, weeks=12, patients=200):
    """A copy of scenarios/default.yaml with `patients` patients and `weeks` weeks (and tie
    snapshots at weeks 0 and 4); same arms: control vs befriending."""
    text = DEFAULT_SCENARIO.read_text()
    replacements = [("  patients: 1000\n", f"  patients: {patients}\n"),
                    ("\nweeks: 104\n", f"\nweeks: {weeks}\n"),
                    ("tie_snapshots: [0, 52, 104]", "tie_snapshots: [0, 4]")]
    for old, new in replacements:
        assert text.count(old) == 1, f"scenarios/default.yaml changed: no single {old!r}"
        text = text.replace(old, new)
    path = Path(directory) / "small.yaml"
    path.write_text(text)
    return path


def equal(a, b):
    """Same shape, type and values (a NaN equal to a NaN)."""
    return harness.arrays_equal(a, b, bitwise=False)


def trajectories(path, replicate=0):
    with h5py.File(path, "r") as f:
        group = f[f"replicate_{replicate:03d}/trajectories"]
        return {name: group[name][()] for name in group}


def summary_rows(result):
    """Arm rows of the summary table: {arm name: [columns]} (control arm name without ' *')."""
    lines = result.stdout.splitlines()
    check(lines and lines[0].split()[:2] == ["arm", "n"], "no summary table header", result)
    rows = {}
    for line in lines[1:]:
        if line.startswith("* control arm") or line.startswith("Results:"):
            break
        fields = line.replace(" * ", " ").split()
        rows[fields[0]] = fields[1:]
    return rows


def run_ok(directory, *args):
    result = kindred("run", *args, "-q", cwd=directory)
    check_rc(result, 0)
    check(result.stderr == "", "a successful quiet run wrote to stderr", result)
    return result


# ---- run: a small copy of the default scenario ---------------------------------------------------


def test_version():
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("--version", cwd=tmp)
        check_rc(result, 0)
        check(re.fullmatch(r"\d+\.\d+\.\d+\S*\n", result.stdout), "--version: not a version",
              result)


def test_run_small_default_scenario_file_and_summary():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp)
        output = Path(tmp) / "out" / "sub" / "trial.h5"  # folders are created
        result = kindred("--models-dir", MODELS, "run", scenario, "-o", output, "--threads", 2,
                         "--set", "weeks=8", "--set", "kappa_decay=0.004", cwd=tmp)
        check_rc(result, 0)
        rows = summary_rows(result)
        check(sorted(rows) == ["befriending", "control"], f"summary arms {sorted(rows)}", result)
        check(re.search(r"^control \*", result.stdout, re.M), "control arm not marked *", result)
        results_lines = [l for l in result.stdout.splitlines() if l.startswith("Results:")]
        check(len(results_lines) == 1 and str(output) in results_lines[0],
              "no 'Results: <output>' line", result)
        check(output.is_file(), f"{output} was not written", result)
        check_no_tmp(tmp, result)
        check(sorted(os.listdir(output.parent)) == ["trial.h5"],
              f"unexpected files next to the output: {os.listdir(output.parent)}")

        version = kindred("--version", cwd=tmp).stdout.strip()
        with h5py.File(output, "r") as f:
            attrs = f.attrs
            check(attrs["format"] == "kindred-trial", f"format = {attrs['format']!r}")
            check(attrs["format_version"] == 1, "format_version != 1")
            check(attrs["kindred_version"] == version, "kindred_version != --version")
            check(attrs["scenario_name"] == "default", f"scenario_name {attrs['scenario_name']}")
            check(attrs["scenario_path"] == str(scenario), "scenario_path is not the path given")
            check(attrs["scenario_text"] == scenario.read_text(),
                  "scenario_text differs from the scenario file's text")
            check(attrs["overrides"] == "weeks=8\nkappa_decay=0.004",
                  f"overrides = {attrs['overrides']!r}")
            check(int(attrs["seed"]) == 20261126, f"seed = {attrs['seed']}")
            check(int(attrs["weeks"]) == 8, f"weeks = {attrs['weeks']} (--set weeks=8)")
            check(int(attrs["replicates"]) == 1, "replicates != 1")
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs["created"]),
                  f"created = {attrs['created']!r}")

            params = dict(f["parameters"].attrs)
            check(sorted(params) == sorted(PARAMETER_DEFAULTS),
                  f"/parameters names differ: {sorted(set(params) ^ set(PARAMETER_DEFAULTS))}")
            expected = dict(PARAMETER_DEFAULTS, kappa_decay=0.004)
            wrong = {k: (params[k], v) for k, v in expected.items() if params[k] != v}
            check(not wrong, f"/parameters (got, expected): {wrong}")
            check(f["parameters"].attrs["rec_weeks"].dtype == np.int64, "rec_weeks not int64")

            check(list(f["arms/name"].asstr()[()]) == ["control", "befriending"], "arms/name")
            check(list(f["arms/control"][()]) == [1, 0], "arms/control")
            check(list(f["arms/enrolments/program"].asstr()[()]) == ["befriending"],
                  "enrolments")
            rep = f["replicate_000"]
            check(list(rep["aggregates/week"][()]) == list(range(9)), "aggregates/week")
            check(sorted(rep["ties"]) == ["week_0000", "week_0004"], f"ties {list(rep['ties'])}")
            n = {arm: rep[f"aggregates/{arm}/n_patients"][()] for arm in ("control", "befriending")}
            check(n["control"][-1] + n["befriending"][-1] == 200, f"n_patients {n}")
            distress = rep["trajectories/distress"]
            check(distress.shape[0] == 9, f"trajectory weeks {distress.shape}")
            for arm in ("control", "befriending"):
                check(int(rows[arm][0]) == n[arm][-1], f"summary n of {arm} != n_patients")
                mean0 = rep[f"aggregates/{arm}/distress"][0, 0]
                check(rows[arm][1] == f"{mean0:.3f}",
                      f"summary d@0 of {arm} {rows[arm][1]} != HDF5 mean {mean0:.6f}")


def test_run_default_scenario_as_is():
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "default.h5"
        result = run_ok(tmp, DEFAULT_SCENARIO, "-o", output, "--threads", 2)
        check(sorted(summary_rows(result)) == ["befriending", "control"], "summary arms", result)
        with h5py.File(output, "r") as f:
            check(f.attrs["format"] == "kindred-trial", "format")
            check(f.attrs["scenario_text"] == DEFAULT_SCENARIO.read_text(), "scenario_text")
            check(f.attrs["overrides"] == "", f"overrides = {f.attrs['overrides']!r}")
            check(int(f.attrs["weeks"]) == 104, "weeks")
            params = dict(f["parameters"].attrs)
            check(params == PARAMETER_DEFAULTS, "/parameters are not the spec defaults")
        check_no_tmp(tmp)


def test_default_output_path_is_relative_to_working_directory():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp, weeks=4, patients=40)
        result = run_ok(tmp, scenario)
        check("Results: results/default.h5" in result.stdout, "Results line", result)
        check((Path(tmp) / "results" / "default.h5").is_file(), "results/default.h5 missing")
        check_no_tmp(tmp)


def test_set_weeks_on_default_scenario_checks_tie_snapshots():
    # Documented: --set applies "with the same checks"; default.yaml snapshots week 52 and 104.
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("run", DEFAULT_SCENARIO, "-o", Path(tmp) / "x.h5", "--set", "weeks=8",
                         cwd=tmp)
        check_rc(result, INPUT_ERROR)
        line = one_error_line(result)
        check("default.yaml" in line and "tie_snapshots" in line and "--set weeks=8" in line,
              "error does not name the file, tie_snapshots and --set weeks=8", result)
        check(tree(tmp) == {}, f"files written: {tree(tmp)}")


# ---- overrides, seeds, determinism ---------------------------------------------------------------


def run_as_is_and_with(directory, override):
    """Runs the small default scenario as it is (to base.h5) and with --set `override` (to
    changed.h5); returns the two paths."""
    scenario = write_small_default(directory)
    base, changed = Path(directory) / "base.h5", Path(directory) / "changed.h5"
    run_ok(directory, scenario, "-o", base)
    run_ok(directory, scenario, "-o", changed, "--set", override)
    return base, changed


def test_set_beta_help_is_recorded_and_changes_results():
    with tempfile.TemporaryDirectory() as tmp:
        base, changed = run_as_is_and_with(tmp, "beta_help=0.05")
        with h5py.File(base, "r") as f:
            check(f["parameters"].attrs["beta_help"] == 0.01, "default beta_help")
            check(f.attrs["overrides"] == "", "overrides without --set")
        with h5py.File(changed, "r") as f:
            check(f["parameters"].attrs["beta_help"] == 0.05, "beta_help not recorded as 0.05")
            check(f.attrs["overrides"] == "beta_help=0.05", f"overrides {f.attrs['overrides']!r}")
            others = {k: v for k, v in f["parameters"].attrs.items() if k != "beta_help"}
            check(others == {k: v for k, v in PARAMETER_DEFAULTS.items() if k != "beta_help"},
                  "other parameters changed")
        a, b = trajectories(base), trajectories(changed)
        check(equal(a["agent_id"], b["agent_id"]), "the sampled agents differ")
        check(not equal(a["distress"], b["distress"]), "beta_help=0.05 did not change distress")


def test_set_seed_changes_results():
    with tempfile.TemporaryDirectory() as tmp:
        base, changed = run_as_is_and_with(tmp, "seed=424242")
        with h5py.File(changed, "r") as f:
            check(int(f.attrs["seed"]) == 424242, "root seed attribute")
            check(int(f["replicate_000"].attrs["seed"]) == 424242, "replicate seed attribute")
            check(f.attrs["overrides"] == "seed=424242", "overrides")
        a, b = trajectories(base), trajectories(changed)
        check(not (equal(a["distress"], b["distress"]) and equal(a["agent_id"], b["agent_id"])),
              "--set seed did not change the trajectories")


def test_same_command_twice_is_identical():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp)
        first, second = Path(tmp) / "first.h5", Path(tmp) / "second.h5"
        r1 = run_ok(tmp, scenario, "-o", first)
        r2 = run_ok(tmp, scenario, "-o", second)
        ta, tb = trajectories(first), trajectories(second)
        for name in ta:
            check(equal(ta[name], tb[name]), f"trajectories/{name} differ between two runs")
        harness.check_same_hdf5(first, second, "two identical runs", equal=equal)
        strip = lambda text: re.sub(r"Results: .*", "", text)  # path and seconds differ
        check(strip(r1.stdout) == strip(r2.stdout), "summaries differ", r2)


def test_threads_1_and_2_are_identical():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp)
        one, two = Path(tmp) / "t1.h5", Path(tmp) / "t2.h5"
        run_ok(tmp, scenario, "-o", one, "--threads", 1, "--set", "replicates=2")
        run_ok(tmp, scenario, "-o", two, "--threads", 2, "--set", "replicates=2")
        for replicate in (0, 1):
            ta, tb = trajectories(one, replicate), trajectories(two, replicate)
            check(sorted(ta) == sorted(tb), "trajectory datasets differ")
            for name in ta:
                check(equal(ta[name], tb[name]),
                      f"replicate {replicate}: trajectories/{name} differ for 1 vs 2 threads")
        harness.check_same_hdf5(one, two, "--threads 1 vs --threads 2", equal=equal)
        with h5py.File(one, "r") as f:
            check("replicate_001" in f, "--set replicates=2 wrote no replicate_001")
            check(not equal(f["replicate_000/trajectories/distress"][()],
                            f["replicate_001/trajectories/distress"][()]),
                  "replicates 0 and 1 have identical trajectories")


# ---- validate, models, parameters ----------------------------------------------------------------


def test_validate_describes_and_writes_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp)
        before = tree(tmp)
        result = kindred("validate", scenario, "--set", "beta_help=0.05", cwd=tmp)
        check_rc(result, 0)
        check(result.stderr == "", "validate wrote to stderr", result)
        check(re.search(r"^scenario default \(.*small\.yaml\): valid$", result.stdout, re.M),
              "no 'scenario ...: valid' line", result)
        check(re.search(r"^arm control \(control\): share 0\.5$", result.stdout, re.M),
              "control arm not described", result)
        check(re.search(r"^arm befriending: share 0\.5$", result.stdout, re.M),
              "befriending arm not described", result)
        check("  befriending: weeks 0 to 52" in result.stdout, "program not described", result)
        check("parameter beta_help = 0.05 (default 0.01)" in result.stdout,
              "--set beta_help not shown", result)
        check(tree(tmp) == before, f"validate wrote files: {set(tree(tmp)) - set(before)}")

        csv = kindred("validate", DATA / "csv_population.yaml", cwd=tmp)
        check_rc(csv, 0)
        check("valid" in csv.stdout and "population: CSV" in csv.stdout, "CSV scenario", csv)
        check(tree(tmp) == before, "validate of the CSV scenario wrote files")


def test_models_list():
    with tempfile.TemporaryDirectory() as tmp:
        for args in (["models", "list"], ["--models-dir", MODELS, "models", "list"],
                     ["models", "list", "--models-dir", MODELS]):
            result = kindred(*args, cwd=tmp)
            check_rc(result, 0)
            names = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
            check("befriending" in names and "treatment_as_usual" in names,
                  "befriending / treatment_as_usual not listed", result)

        # A model in an extra --models-dir joins the catalogue.
        extra = Path(tmp) / "extra"
        extra.mkdir()
        text = (MODELS / "befriending.yaml").read_text()
        (extra / "cli_test_model.yaml").write_text(
            text.replace("name: befriending", "name: cli_test_model", 1))
        result = kindred("--models-dir", extra, "models", "list", cwd=tmp)
        check_rc(result, 0)
        check(re.search(r"^cli_test_model\s", result.stdout, re.M), "--models-dir ignored", result)

        # $KINDRED_MODELS_PATH likewise; an entry that is not a directory is said, not skipped.
        def with_path(value):
            return harness.run(KINDRED, "models", "list", cwd=tmp, timeout=120,
                               env=harness.environment({"KINDRED_MODELS_PATH": value}))
        result = with_path(f":{extra}:")
        check_rc(result, 0)
        check(re.search(r"^cli_test_model\s", result.stdout, re.M), "$KINDRED_MODELS_PATH ignored",
              result)
        missing = Path(tmp) / "no_such_dir"
        result = with_path(f"{extra}:{missing}")
        check_rc(result, INPUT_ERROR)
        check(f"KINDRED_MODELS_PATH: expected directories separated by ':', found '{missing}', "
              "which is not a directory" in one_error_line(result), "message", result)


def test_a_file_name_that_is_not_utf8_is_opened():
    # The name is shown escaped in messages, but the file itself is opened by its bytes.
    with tempfile.TemporaryDirectory() as tmp:
        name = os.fsencode(tmp) + b"/l\xe9.yaml"
        with open(name, "wb") as f:
            f.write(DEFAULT_SCENARIO.read_bytes())
        result = harness.run(KINDRED, "validate", os.fsdecode(name), cwd=tmp, timeout=120,
                             env=harness.environment())
        check_rc(result, 0)
        check("valid" in result.stdout, "not validated", result)
        with open(name, "ab") as f:
            f.write(b"unknown_key: 1\n")
        result = harness.run(KINDRED, "validate", os.fsdecode(name), cwd=tmp, timeout=120,
                             env=harness.environment())
        check_rc(result, INPUT_ERROR)
        check("l\\xe9.yaml:" in one_error_line(result), "escaped name", result)


def test_models_show_befriending():
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("models", "show", "befriending", cwd=tmp)
        check_rc(result, 0)
        check(result.stdout.startswith("befriending (Befriending)"), "title line", result)
        for text in ("resources:", "social_relationships     1", "recreational_activities  1",
                     "decision_making          0", "relationship types: friend",
                     "- volunteer", "persist_probability"):
            check(text in result.stdout, f"'models show befriending' lacks {text!r}", result)


def test_models_show_unknown_model():
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("models", "show", "nosuchmodel", cwd=tmp)
        check_rc(result, INPUT_ERROR)
        line = one_error_line(result)
        check("nosuchmodel" in line, "error does not name 'nosuchmodel'", result)
        check(result.stdout == "", "stdout not empty", result)


def test_models_compare():
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("models", "compare", "befriending", "peer_support_workers", cwd=tmp)
        check_rc(result, 0)
        check(result.stderr == "", "compare wrote to stderr", result)
        lines = result.stdout.splitlines()
        check(lines[0] == "compare befriending (Befriending) with peer_support_workers "
              "(Peer support workers)", "title line", result)
        check(re.match(r"^field\s+befriending\s+peer_support_workers$", lines[1]), "header", result)
        rows = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
        for field, values in (("relationship_types", ["friend", "peer"]),
                              ("reciprocity", ["reciprocal", "(1)", "partial", "(0.5)"]),
                              ("expertise", ["none", "peers"]),
                              ("experiential_knowledge", ["0", "1"]),
                              ("recreational_activities", ["1", "0"])):
            check(rows.get(field) == values, f"row {field}: {rows.get(field)}", result)
        check(re.search(r"^delivery volunteer\s+volunteer \(persist_probability 0\)\s+-$",
                        result.stdout, re.M), "volunteer row", result)
        check(re.search(r"^delivery peer_worker\s+-\s+peer_worker \(persist_probability",
                        result.stdout, re.M), "peer_worker row", result)
        same = lines[-1]
        check(same.startswith("same: social_relationships 1, decision_making 0"), "same line",
              result)
        for text in ("valence 0.8", "strength 0.3", "start_week 0"):
            check(text in same, f"same line lacks {text!r}", result)
        check("relationship_types" not in same and "expertise" not in same,
              "a differing field is listed as same", result)

        # A model against itself (once by name, once by path): no differences.
        itself = kindred("models", "compare", "open_dialogue", MODELS / "open_dialogue.yaml",
                         cwd=tmp)
        check_rc(itself, 0)
        check(itself.stdout.splitlines()[1] == "no differences", "model differs from itself",
              itself)
        check("delivery activate (types family,friend; a_w 0.02; a_q 0.02)" in itself.stdout,
              "delivery elements with their parameters", itself)

        # An unknown model: one error line naming it, nothing on stdout.
        bad = kindred("models", "compare", "befriending", "nosuchmodel", cwd=tmp)
        check_rc(bad, INPUT_ERROR)
        check("nosuchmodel" in one_error_line(bad) and bad.stdout == "", "unknown model", bad)
        missing = kindred("models", "compare", "befriending", cwd=tmp)
        check_rc(missing, INPUT_ERROR)
        one_error_line(missing)


def test_parameters_lists_all_37():
    with tempfile.TemporaryDirectory() as tmp:
        result = kindred("parameters", cwd=tmp)
        check_rc(result, 0)
        rows = [line.split() for line in result.stdout.splitlines()[1:] if line.strip()]
        names = [row[0] for row in rows]
        check(names == list(PARAMETER_DEFAULTS),
              f"parameter names differ from spec §6: {names}", result)
        for row in rows:
            # name symbol default range meaning…; the default is printed with {:g}
            shown = float(row[2])
            expected = PARAMETER_DEFAULTS[row[0]]
            check(abs(shown - expected) <= 1e-6 * abs(expected),
                  f"default of {row[0]}: shown {row[2]}, spec {expected}", result)


# ---- bad input: exit code, one line on stderr, nothing written -----------------------------------


def expect_bad_input(args, needles, rc=INPUT_ERROR, output=True):
    """Runs `args` in an empty temporary directory (with -o into it when `output`); checks
    the exit code, one line on stderr containing every needle (any one of a tuple), and that
    nothing was written: no file, no temporary file, not even the -o folder."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["-o", Path(tmp) / "out" / "result.h5"] if output else []
        result = kindred(*args, *extra, cwd=tmp)
        check_rc(result, rc)
        line = one_error_line(result)
        check(line.startswith("kindred: error: "), "no 'kindred: error:' prefix", result)
        for needle in needles:
            options = needle if isinstance(needle, tuple) else (needle,)
            check(any(option in line for option in options),
                  f"error line does not contain {' or '.join(map(repr, options))}", result)
        written = tree(tmp)
        check(written == {}, f"files written: {sorted(written)}", result)
        return result


def bad_scenario_case(fixture, token, *needles, next_line_ok=False):
    """Bad scenario file: both run and validate reject it naming FILE:LINE (the line with
    `token`, or with `next_line_ok` the line after it) and the needles."""
    path = DATA / fixture
    line = line_of(path, token)
    where = tuple(f"{fixture}:{n}:" for n in ([line, line + 1] if next_line_ok else [line]))
    expect_bad_input(["run", path], [where, *needles])
    expect_bad_input(["validate", path], [where, *needles], output=False)


def test_bad_yaml_syntax():
    # yaml-cpp reports an unclosed flow sequence where it notices it: the next line.
    bad_scenario_case("bad_yaml_syntax.yaml", "weeks: [6", "YAML", next_line_ok=True)


def test_bad_unknown_key():
    bad_scenario_case("bad_unknown_key.yaml", "bogus_key", "bogus_key")


def test_bad_wrong_type():
    bad_scenario_case("bad_wrong_type.yaml", "weeks: six", "weeks", "six")


def test_bad_out_of_range():
    bad_scenario_case("bad_out_of_range.yaml", "share: 1.5", "share", "1.5")


def test_bad_unknown_model():
    bad_scenario_case("bad_unknown_model.yaml", "no_such_model", "no_such_model")


def test_bad_missing_scenario_file():
    expect_bad_input(["run", "does_not_exist.yaml"], ["does_not_exist.yaml"])
    expect_bad_input(["validate", "does_not_exist.yaml"], ["does_not_exist.yaml"], output=False)


def test_bad_set_unknown_name():
    expect_bad_input(["run", DATA / "csv_population.yaml", "--set", "nosuch=1"],
                     ["--set nosuch=1", "nosuch"])


def test_bad_set_weeks_not_integer():
    expect_bad_input(["run", DATA / "csv_population.yaml", "--set", "weeks=abc"],
                     ["--set weeks=abc", "abc"])


def test_bad_set_parameter_out_of_range():
    expect_bad_input(["run", DATA / "csv_population.yaml", "--set", "beta_0=2"],
                     ["beta_0", "2"])


def test_bad_threads_zero():
    expect_bad_input(["run", DATA / "csv_population.yaml", "--threads", "0"], ["--threads"])


def test_bad_models_dir_missing():
    expect_bad_input(["--models-dir", "no_such_dir", "models", "list"], ["no_such_dir"], output=False)


def test_bad_csv_agent_value():
    # The CSV files are read when the run starts, after the results file is opened under its
    # temporary name: this is also the "fails during the run" case.
    line = line_of(DATA / "agents_bad_value.csv", "2,patient,1.5")
    expect_bad_input(["run", DATA / "csv_bad_agent_value.yaml"],
                     [f"agents_bad_value.csv:{line}", "'d'", "1.5"])


def test_bad_csv_self_tie():
    line = line_of(DATA / "ties_self_tie.csv", "1,1,friend")
    expect_bad_input(["run", DATA / "csv_self_tie.yaml"],
                     [f"ties_self_tie.csv:{line}", "self-tie"])


def test_validate_reads_the_csv_population():
    line = line_of(DATA / "agents_bad_value.csv", "2,patient,1.5")
    expect_bad_input(["validate", DATA / "csv_bad_agent_value.yaml"],
                     [f"agents_bad_value.csv:{line}", "'d'", "1.5"], output=False)


# ---- output never half-written, replaced atomically ----------------------------------------------


def test_output_folder_cannot_be_created():
    with tempfile.TemporaryDirectory() as tmp:
        blocker = Path(tmp) / "blocker"
        blocker.write_text("a regular file\n")
        before = tree(tmp)
        result = kindred("run", DATA / "csv_population.yaml", "-o", blocker / "sub" / "trial.h5",
                         cwd=tmp)
        check(result.returncode != 0, "exit code 0 for an impossible output path", result)
        check_rc(result, RUNTIME_FAILURE)
        line = one_error_line(result)
        check("blocker" in line, "error does not name the path", result)
        check(tree(tmp) == before, f"files written: {set(tree(tmp)) - set(before)}")
        check(blocker.read_text() == "a regular file\n", "the blocking file was changed")


def test_output_path_is_a_directory():
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "trial.h5"
        target.mkdir()
        result = kindred("run", DATA / "csv_population.yaml", "-o", target, cwd=tmp)
        check_rc(result, INPUT_ERROR)
        check("a directory" in one_error_line(result), "error does not say it is a directory",
              result)
        check(target.is_dir() and not any(target.iterdir()), "the directory was changed")
        check(sorted(tree(tmp)) == ["trial.h5"], f"files written: {sorted(tree(tmp))}", result)


def test_failed_run_keeps_previous_output_and_leaves_no_tmp():
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "trial.h5"
        run_ok(tmp, DATA / "csv_population.yaml", "-o", output)
        old = output.read_bytes()
        for scenario in ("csv_bad_agent_value.yaml", "csv_self_tie.yaml"):
            result = kindred("run", DATA / scenario, "-o", output, cwd=tmp)
            check_rc(result, INPUT_ERROR)
            one_error_line(result)
            check(output.read_bytes() == old, "a failed run changed the existing output", result)
            check(sorted(tree(tmp)) == ["trial.h5"], f"files: {sorted(tree(tmp))}", result)
            check_no_tmp(tmp, result)


def test_existing_output_is_replaced_atomically():
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_small_default(tmp, weeks=6, patients=60)
        output = Path(tmp) / "trial.h5"
        # A file that is not HDF5 is not a results file: --force leaves it alone.
        output.write_text("not an HDF5 file\n")
        refused = kindred("run", scenario, "-o", output, "--force", "-q", cwd=tmp)
        check_rc(refused, 2)
        check("found a file that is not HDF5" in refused.stderr, "message", refused)
        check(output.read_text() == "not an HDF5 file\n", "--force changed a text file")
        # An empty file (a results file never written) is replaced, by rename.
        output.write_text("")
        empty_inode = output.stat().st_ino
        run_ok(tmp, scenario, "-o", output, "--force")  # without --force: refused (bad_input)
        check(h5py.is_hdf5(output), "the output is not HDF5 after the run")
        check(output.stat().st_ino != empty_inode, "the old file was overwritten in place")
        check_no_tmp(tmp)

        keep = Path(tmp) / "previous.h5"
        os.link(output, keep)  # a hard link keeps the replaced file's content visible
        run_ok(tmp, scenario, "-o", output, "--set", "seed=99", "--force")
        check_no_tmp(tmp)
        with h5py.File(output, "r") as f:
            check(int(f.attrs["seed"]) == 99, "the output was not replaced by the second run")
        with h5py.File(keep, "r") as f:
            check(int(f.attrs["seed"]) == 20261126,
                  "the previous file was modified in place instead of replaced by rename")
        check(sorted(tree(tmp)) == ["previous.h5", "small.yaml", "trial.h5"],
              f"files: {sorted(tree(tmp))}")


# ---- a CSV population end to end -----------------------------------------------------------------


def test_run_csv_population():
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "csv.h5"
        result = run_ok(tmp, DATA / "csv_population.yaml", "-o", output)
        rows = summary_rows(result)
        check(rows.get("control", [None])[0] == "2" and rows.get("befriending", [None])[0] == "2",
              "summary n is not 2 per arm (the CSV arm column)", result)
        with h5py.File(output, "r") as f:
            rep = f["replicate_000"]
            check(list(rep["patients/id"][()]) == [0, 1, 2, 3], "patients/id")
            check(list(rep["patients/arm"][()]) == [0, 0, 1, 1], "patients/arm from CSV")
            traj = rep["trajectories"]
            roles = list(traj["role"].attrs["names"])
            role = [roles[c] for c in traj["role"][()]]
            ids = list(traj["agent_id"][()])
            check(ids[:8] == list(range(8)), f"agent ids {ids}")
            check(role.count("volunteer") == 2, f"expected 2 befriending volunteers: {role}")
            d0 = traj["distress"][0, :4]
            check(np.allclose(d0, [0.70, 0.65, 0.75, 0.68]), f"week-0 distress {d0} != CSV d")


# ---- runner --------------------------------------------------------------------------------------


def main():
    global KINDRED
    options = harness.arguments(__doc__).parse_args()
    KINDRED = Path(options.kindred).resolve()
    if not os.access(KINDRED, os.X_OK):
        print(f"not an executable: {KINDRED}")
        print("0 passed, 1 failed")
        return 1
    return harness.main(harness.tests_of(globals(), options.select))


if __name__ == "__main__":
    sys.exit(main())
