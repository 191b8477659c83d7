#!/usr/bin/python3
"""End-to-end tests of `kindred analyze` on small trial and sweep files.

Usage: test_analyze_cli.py --kindred PATH [-k SUBSTRING]

The tables are checked against independent computations in numpy from the trial file itself
(distress, g, recovery, Kaplan–Meier, the mediation identity), against separate `kindred run
--set knockout.NAME=1` runs (the knock-out decomposition), and against numpy PRCC and Sobol
estimates from the sweep file. Every output goes to a temporary directory.
"""
import csv
import hashlib
import math
import shutil
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import check  # noqa: E402
import harness  # noqa: E402

DATA = REPO / "tests" / "data" / "analysis"
TRIAL = DATA / "small_trial.yaml"
SWEEP = DATA / "small_sweep.yaml"
KINDRED = None


def kindred(*args, cwd, expect=0):
    return harness.run(KINDRED, *args, cwd=cwd, timeout=600, expect=expect)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def number(text):
    return float(text)  # "NaN", "Inf" included


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Files:
    """The trial and sweep files, made once per test run."""
    tmp = None
    trial = None
    sweep = None

    @classmethod
    def make(cls):
        if cls.tmp is None:
            cls.tmp = Path(tempfile.mkdtemp(prefix="kindred-analyze-"))
            kindred("run", TRIAL, "-o", "trial.h5", "-q", cwd=cls.tmp)
            kindred("sweep", SWEEP, "-o", "sweep.h5", "-q", cwd=cls.tmp)
            cls.trial = cls.tmp / "trial.h5"
            cls.sweep = cls.tmp / "sweep.h5"
        return cls


def analyze_trial(tmp, *extra):
    Files.make()
    out = Path(tmp) / "out"
    kindred("analyze", Files.trial, "-o", out, "--weeks", "10,20,30", "--bootstrap", "200",
            "-q", *extra, cwd=tmp)
    return out


def trial_patients(path):
    """Per patient (replicate 0): arm, recovered week, baseline, and distress by week."""
    with h5py.File(path, "r") as f:
        rep = f["replicate_000"]
        p = {k: rep["patients"][k][()] for k in rep["patients"]}
        traj = rep["trajectories"]
        column = {a: j for j, a in enumerate(traj["agent_id"][()])}
        weeks = list(traj["week"][()])
        d = traj["distress"][()]
        p["distress"] = {w: d[weeks.index(w), [column[i] for i in p["id"]]] for w in weeks}
        p["arms"] = list(f["arms/name"].asstr()[()])
        p["weeks"] = int(f.attrs["weeks"])
        return p


def hedges_g(t, c):
    nt, nc = len(t), len(c)
    pooled = math.sqrt(((nt - 1) * np.var(t, ddof=1) + (nc - 1) * np.var(c, ddof=1))
                       / (nt + nc - 2))
    return (np.mean(t) - np.mean(c)) / pooled * (1 - 3 / (4 * (nt + nc) - 9))


# ---- trial files ----------------------------------------------------------------------------


def test_writes_every_table_as_csv_and_hdf5_and_leaves_the_trial_file_alone():
    Files.make()
    before = sha256(Files.trial)
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze_trial(tmp)
        names = ["distress", "effects", "recovery", "kaplan_meier", "recovery_time", "mediation",
                 "knockouts", "decomposition"]
        for name in names:
            check((out / f"{name}.csv").is_file(), f"{name}.csv missing")
        with h5py.File(out / "analysis.h5", "r") as f:
            check(f.attrs["format"] == "kindred-analysis", "format attribute")
            group = f["analysis"]
            check(sorted(group.attrs["tables"]) == sorted(names), str(list(group.attrs["tables"])))
            check(group.attrs["bootstrap"] == "200", "bootstrap attribute")
            for name in names:
                rows = read_csv(out / f"{name}.csv")
                table = group[name]
                columns = list(table.attrs["columns"])
                check(columns == list(rows[0].keys()), f"{name}: columns differ")
                for column in columns:
                    data = table[column]
                    check(data.shape == (len(rows),), f"{name}/{column}: {data.shape}")
                    check("meaning" in data.attrs, f"{name}/{column} has no meaning")
                    if data.dtype.kind == "f":
                        ours = np.array([number(r[column]) for r in rows])
                        check(np.array_equal(ours, data[()], equal_nan=True),
                              f"{name}/{column}: CSV and HDF5 differ")
    check(sha256(Files.trial) == before, "the trial file was modified")


def test_distress_and_effects_match_numpy():
    Files.make()
    p = trial_patients(Files.trial)
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze_trial(tmp)
        for row in read_csv(out / "distress.csv"):
            arm, week = p["arms"].index(row["arm"]), int(row["week"])
            values = p["distress"][week][p["arm"] == arm]
            check(int(row["n"]) == len(values), f"n of {row}")
            check(abs(number(row["mean"]) - values.mean()) < 1e-12, f"mean of {row}")
            check(abs(number(row["sd"]) - values.std(ddof=1)) < 1e-12, f"sd of {row}")
        rows = read_csv(out / "effects.csv")
        check(len(rows) == 2 * 3, f"{len(rows)} effect rows")
        for row in rows:
            arm, week = p["arms"].index(row["arm"]), int(row["week"])
            t = p["distress"][week][p["arm"] == arm]
            c = p["distress"][week][p["arm"] == 0]
            g = hedges_g(t, c)
            check(abs(number(row["g"]) - g) < 1e-10, f"g of {row}: numpy {g}")
            low, high = number(row["boot_low"]), number(row["boot_high"])
            check(low < g < high, f"bootstrap interval {low, high} excludes g {g}")
            # The bootstrap and analytic intervals agree roughly (n ≈ 80 per arm).
            check(abs((high - low) - (number(row["ci_high"]) - number(row["ci_low"]))) < 0.25,
                  f"interval widths differ too much: {row}")


def test_recovery_and_kaplan_meier_match_numpy():
    Files.make()
    p = trial_patients(Files.trial)
    T = p["weeks"]
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze_trial(tmp)
        for row in read_csv(out / "recovery.csv"):
            arm, week = p["arms"].index(row["arm"]), int(row["week"])
            r = p["recovered_week"][p["arm"] == arm]
            recovered = np.sum((r >= 0) & (r <= week))
            check(int(row["recovered"]) == recovered, f"recovered of {row}")
            check(abs(number(row["share"]) - recovered / len(r)) < 1e-12, f"share of {row}")
        km = read_csv(out / "kaplan_meier.csv")
        for arm_index, arm in enumerate(p["arms"]):
            r = p["recovered_week"][p["arm"] == arm_index]
            times = np.where(r >= 0, r, T)
            events = r >= 0
            s = 1.0
            expected = []
            for t in sorted(set(times)):
                at_risk = np.sum(times >= t)
                d = np.sum((times == t) & events)
                s *= 1 - d / at_risk
                expected.append((t, at_risk, d, s))
            rows = [row for row in km if row["arm"] == arm]
            check(len(rows) == len(expected), f"{arm}: {len(rows)} KM rows, expected "
                  f"{len(expected)}")
            for row, (t, at_risk, d, s) in zip(rows, expected):
                check(int(row["week"]) == t and int(row["at_risk"]) == at_risk and
                      int(row["recovered"]) == d, f"{arm} KM row {row}")
                check(abs(number(row["not_recovered"]) - s) < 1e-12, f"{arm} S at {t}")


def test_mediation_identity_and_intervals():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze_trial(tmp)
        rows = read_csv(out / "mediation.csv")
        mediators = {row["mediator"] for row in rows}
        check(mediators == {"help_received", "agency", "ties"}, str(mediators))
        for row in rows:
            a, b = number(row["a"]), number(row["b"])
            check(abs(number(row["indirect"]) - a * b) < 1e-12, f"a·b in {row}")
            # OLS: total = direct + indirect exactly with the same covariates.
            check(abs(number(row["total"]) - number(row["direct"]) - a * b) < 1e-10,
                  f"c = c' + ab in {row}")
            check(number(row["indirect_low"]) <= number(row["indirect_high"]), f"interval {row}")
            check(int(row["mediator_week"]) <= int(row["week"]), f"mediator after outcome {row}")
        # Ties need a snapshot between week 1 and the outcome week: none before week 20.
        check(not any(r["mediator"] == "ties" and r["week"] == "10" for r in rows),
              "ties mediator at week 10 without a snapshot")
        notes = (out / "notes.txt").read_text()
        check("no tie snapshot between week 1 and week 10" in notes, notes)


def test_knockouts_equal_separate_runs_with_the_knockout_set():
    Files.make()
    p = trial_patients(Files.trial)
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze_trial(tmp)
        rows = read_csv(out / "knockouts.csv")
        mechanisms = {r["mechanism"] for r in rows}
        check(len(mechanisms) == 8 and "none" in mechanisms, str(mechanisms))
        kindred("run", TRIAL, "-o", "help_off.h5", "-q", "--set", "knockout.help_flow=1",
                cwd=tmp)
        off = trial_patients(Path(tmp) / "help_off.h5")
        for row in rows:
            arm, week = p["arms"].index(row["arm"]), int(row["week"])
            source = {"none": p, "help_flow": off}.get(row["mechanism"])
            if source is None:
                continue
            d = source["distress"][week]
            effect = d[source["arm"] == arm].mean() - d[source["arm"] == 0].mean()
            check(abs(number(row["effect"]) - effect) < 1e-12,
                  f"{row['mechanism']} effect {row['effect']} vs separate run {effect}")
            if row["mechanism"] == "none":
                check(number(row["share_remaining"]) == 1.0, "share of the stored run")
        with h5py.File(out / "analysis.h5", "r") as f:
            check(float(f["analysis"].attrs["knockout_reproduction_difference"]) == 0.0,
                  "the re-run does not reproduce the file")
        decomposition = read_csv(out / "decomposition.csv")
        check("remaining_without_help_flow" in decomposition[0], str(decomposition[0].keys()))


def test_knockouts_off_and_default_output_directory():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.h5"
        shutil.copy(Files.trial, copy)
        result = kindred("analyze", copy, "--bootstrap", "0", "--knockouts", "off", "-q", cwd=tmp)
        out = Path(tmp) / "copy-analysis"
        check(out.is_dir(), "default directory <file>-analysis")
        check(not (out / "knockouts.csv").exists(), "knock-outs were run")
        check("--knockouts off" in (out / "notes.txt").read_text(), "note on knock-outs")
        check("Hedges' g" in result.stdout, result.stdout)
        effects = read_csv(out / "effects.csv")
        check({r["week"] for r in effects} == {"26"}, "default weeks: 26 of 26,52,104 ≤ 30")
        check(all(math.isnan(number(r["boot_low"])) for r in effects), "--bootstrap 0")


def test_seeded_bootstrap():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        outputs = []
        for seed, name in ((5, "a"), (5, "b"), (6, "c")):
            kindred("analyze", Files.trial, "-o", name, "--weeks", "30", "--bootstrap", "100",
                    "--seed", seed, "--knockouts", "off", "-q", cwd=tmp)
            outputs.append((Path(tmp) / name / "effects.csv").read_text())
        check(outputs[0] == outputs[1], "the same seed must give the same tables")
        check(outputs[0] != outputs[2], "another seed must give other intervals")


def test_file_without_trajectories_uses_the_aggregates():
    with tempfile.TemporaryDirectory() as tmp:
        text = TRIAL.read_text().replace("    enabled: true", "    enabled: false")
        scenario = Path(tmp) / "no_trajectories.yaml"
        scenario.write_text(text)
        kindred("run", scenario, "-o", "plain.h5", "-q", cwd=tmp)
        kindred("analyze", "plain.h5", "-o", "out", "--weeks", "10,30", "--bootstrap", "50",
                "--knockouts", "off", "-q", cwd=tmp)
        out = Path(tmp) / "out"
        distress = read_csv(out / "distress.csv")
        sources = {(r["week"], r["source"]) for r in distress}
        check(sources == {("10", "aggregates"), ("30", "patients")}, str(sources))
        effects = read_csv(out / "effects.csv")
        week10 = [r for r in effects if r["week"] == "10"]
        check(all(math.isfinite(number(r["g"])) and math.isnan(number(r["boot_low"]))
                  for r in week10), "week 10: analytic g only")
        check("Week 10: no per-patient distress" in (out / "notes.txt").read_text(), "note")


def test_weeks_of_the_patient_table_use_every_patient_of_a_subsample():
    # With trajectories of half the agents, weeks 0, min(52, T) and T still have every patient
    # (the patient table), so that analyze's g at week 52 is the run summary's.
    with tempfile.TemporaryDirectory() as tmp:
        text = (TRIAL.read_text().replace("weeks: 30", "weeks: 60")
                .replace("    every_weeks: 1", "    every_weeks: 4\n    agent_fraction: 0.5"))
        scenario = Path(tmp) / "subsample.yaml"
        scenario.write_text(text)
        run = kindred("run", scenario, "-o", "sub.h5", "-q", cwd=tmp)
        kindred("analyze", "sub.h5", "-o", "out", "--weeks", "48,52,60", "--bootstrap", "50",
                "--knockouts", "off", "-q", cwd=tmp)
        with h5py.File(Path(tmp) / "sub.h5", "r") as f:
            patients = f["replicate_000/patients"]
            check(int(patients["mid_distress"].attrs["week"]) == 52, "middle week")
            arm = patients["arm"][()]
            middle = patients["mid_distress"][()]
            arms = list(f["arms/name"].asstr()[()])
        rows = {(r["arm"], r["week"]): r for r in read_csv(Path(tmp) / "out" / "distress.csv")}
        for a, name in enumerate(arms):
            everyone = middle[arm == a]
            row = rows[(name, "52")]
            check(int(row["n"]) == len(everyone) and row["source"] == "patients",
                  f"week 52 of {name}: {row}")
            check(abs(number(row["mean"]) - everyone.mean()) < 1e-12, f"mean of {row}")
            sampled = rows[(name, "48")]
            check(int(sampled["n"]) < len(everyone), f"week 48 is not the subsample: {sampled}")
        effects = {(r["arm"], r["week"]): r for r in read_csv(Path(tmp) / "out" / "effects.csv")}
        g = hedges_g(middle[arm == 1], middle[arm == 0])
        check(abs(number(effects[(arms[1], "52")]["g"]) - g) < 1e-10, "g at week 52")
        summary = [line for line in run.stdout.splitlines() if line.startswith(arms[1])][0]
        check(f" {g:.2f} [" in summary, f"run summary g@52 differs from {g:.2f}: {summary}")


def test_bad_input_is_one_line_with_exit_2():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        not_hdf5 = Path(tmp) / "notes.h5"
        not_hdf5.write_text("not HDF5")
        for args, words in [((Files.trial, "--weeks", "99"), "expected weeks 0 … 30"),
                            ((Files.trial, "--weeks", "1,x"), "--weeks"),
                            ((not_hdf5,), "found a file that is not HDF5"),
                            ((Path(tmp) / "missing.h5",), "found no such file"),
                            ((Files.trial, "--knockouts", "maybe"), "command line")]:
            result = kindred("analyze", *args, "-o", "out", "-q", cwd=tmp, expect=2)
            lines = result.stderr.strip().splitlines()
            check(len(lines) == 1 and words in lines[0], f"stderr: {result.stderr!r}")
        check(not (Path(tmp) / "out" / "analysis.h5").exists(), "output written on bad input")

        # An output "directory" that is a file: refused before any work, the file untouched.
        taken = Path(tmp) / "taken.txt"
        taken.write_text("keep me\n")
        for command in ("analyze", "report"):
            result = kindred(command, Files.trial, "-o", taken, "-q", "--no-plots"
                             if command == "report" else "--knockouts=off", cwd=tmp, expect=2)
            lines = result.stderr.strip().splitlines()
            check(len(lines) == 1 and f"{taken}: expected an output directory, found a file"
                  in lines[0], f"{command} stderr: {result.stderr!r}")
            check(taken.read_text() == "keep me\n", f"{command} changed the file")


def test_numeric_options_are_checked():
    """Bad numbers for --seed, --bootstrap, --mediator-week and --weeks: one line naming the
    option, what was expected and what was found, exit 2, nothing written (CLI11 used to wrap
    --seed -2 to 2^64 − 2 and saturate 2^64)."""
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("--seed", "-2", "expected an integer 0 … 18446744073709551615"),
                 ("--seed", "18446744073709551616", "expected an integer 0 … 1844674407"),
                 ("--seed", "1.5", "expected an integer"),
                 ("--seed", " 7", "expected an integer"),
                 ("--bootstrap", "-1", "expected an integer 0 … 1000000"),
                 ("--bootstrap", "1e3", "expected an integer 0 … 1000000"),
                 ("--bootstrap", "1000001", "expected an integer 0 … 1000000"),
                 ("--mediator-week", "-3", "expected a week"),
                 ("--mediator-week", "2.5", "expected a week"),
                 ("--mediator-week", "31", "expected a week 0 … 30"),
                 ("--weeks", "31", "expected weeks 0 … 30")]
        for command in ("analyze", "report"):
            for option, value, expected in cases:
                result = kindred(command, Files.trial, "-o", "out", "-q", "--no-plots"
                                 if command == "report" else "--knockouts=off", option, value,
                                 cwd=tmp, expect=2)
                line = harness.one_error_line(result)
                found = "found " + (f"'{value}'" if option != "--weeks" and value != "31"
                                    else value)
                check(line.startswith(f"kindred: error: {option}: ") and expected in line
                      and found in line, f"{command} {option} {value}: {line!r}")
                check(not (Path(tmp) / "out").exists(), f"{command} {option} {value}: output")
        # The largest seed is accepted and recorded as given.
        kindred("analyze", Files.trial, "-o", "out", "-q", "--knockouts=off", "--bootstrap", "10",
                "--seed", "18446744073709551615", cwd=tmp)
        with h5py.File(Path(tmp) / "out" / "analysis.h5", "r") as f:
            seed = f["analysis"].attrs["seed"]
            seed = seed.decode() if isinstance(seed, bytes) else seed
        check(seed == "18446744073709551615", f"seed recorded as {seed!r}")


def hashes(folder):
    """Every file under `folder` (relative path → SHA-256)."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(Path(folder).rglob("*"))
            if p.is_file()}


def test_output_folder_holds_the_outputs_of_exactly_one_analysis():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "out"
        common = ("--weeks", "30", "--bootstrap", "10", "-q")
        kindred("analyze", Files.trial, "-o", out, "--knockouts", "on", *common, cwd=tmp)
        check((out / "knockouts.csv").exists(), "knockouts.csv of the first analysis")
        (out / "mine.txt").write_text("the user's own file\n")
        (out / "mine.csv").write_text("a,b\n")

        # A second analysis without knock-outs: the old knockouts.csv goes, the user's files
        # stay, nothing temporary is left beside the folder.
        kindred("analyze", Files.trial, "-o", out, "--knockouts", "off", *common, cwd=tmp)
        check(not (out / "knockouts.csv").exists(), "knockouts.csv of the earlier analysis kept")
        check((out / "mine.txt").read_text() == "the user's own file\n", "user's file changed")
        check((out / "mine.csv").exists(), "user's CSV removed")
        with h5py.File(out / "analysis.h5", "r") as f:
            tables = [t.decode() if isinstance(t, bytes) else t
                      for t in f["analysis"].attrs["tables"]]
        csvs = sorted(p.stem for p in out.glob("*.csv") if p.name != "mine.csv")
        check(sorted(tables) == csvs, f"CSV files {csvs} vs tables of analysis.h5 {tables}")
        check(sorted(p.name for p in tmp.iterdir()) == ["out"], str(list(tmp.iterdir())))

        # A report, then an analysis: the page and the pictures of the report go.
        kindred("report", Files.trial, "-o", out, "--knockouts", "off", *common, cwd=tmp)
        check((out / "index.html").exists() and (out / "figures" / "forest.png").exists(),
              "report outputs")
        kindred("analyze", Files.trial, "-o", out, "--knockouts", "off", *common, cwd=tmp)
        check(not (out / "index.html").exists() and not (out / "figures").exists(),
              "the earlier report's page and pictures kept")

        # A report that fails after the tables are written (the plotting script fails): the
        # folder is left exactly as it was, and no temporary folder stays behind.
        plots = tmp / "failing_plots"
        plots.mkdir()
        (plots / "make_plots.py").write_text("import sys\nsys.exit(1)\n")
        before = hashes(out)
        env = harness.environment({"KINDRED_PLOTS_DIR": str(plots)})
        for target in (out, tmp / "new" / "report"):
            result = harness.run(KINDRED, "report", Files.trial, "-o", target, "--knockouts",
                                 "on", "--weeks", "20", "--bootstrap", "10", "-q", cwd=tmp,
                                 env=env, expect=1)
            check("plotting script" in result.stderr, result.stderr)
            check(hashes(out) == before, f"{target}: the folder changed on failure")
            check(sorted(p.name for p in tmp.iterdir()) == ["failing_plots", "out"],
                  f"left behind: {sorted(p.name for p in tmp.iterdir())}")


# ---- sweep files ----------------------------------------------------------------------------


def numpy_prcc(x, y):
    def rank(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(1, len(v) + 1)
        for value in np.unique(v):  # average ties
            same = v == value
            r[same] = r[same].mean()
        return r
    xr = np.column_stack([rank(x[:, j]) for j in range(x.shape[1])])
    yr = rank(y)
    out = []
    for j in range(x.shape[1]):
        others = np.column_stack([np.ones(len(y)), np.delete(xr, j, axis=1)])
        rx = xr[:, j] - others @ np.linalg.lstsq(others, xr[:, j], rcond=None)[0]
        ry = yr - others @ np.linalg.lstsq(others, yr, rcond=None)[0]
        out.append(np.corrcoef(rx, ry)[0, 1])
    return out


def test_sweep_prcc_and_sobol_match_numpy():
    Files.make()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        kindred("analyze", Files.sweep, "-o", out, "--bootstrap", "100", "-q", cwd=tmp)
        prcc = read_csv(out / "prcc.csv")
        sobol = read_csv(out / "sobol.csv")
        with h5py.File(Files.sweep, "r") as f:
            names = list(f["design/variables"].asstr()[()])
            values = f["design/values"][()]
            point = f["runs/point"][()]
            arms = list(f["arms/name"].asstr()[()])
            base = f["design/saltelli/base"][()]
            block = f["design/saltelli/block"][()]
            column = f["design/saltelli/column"][()]
            y_runs = f["runs/distress"][()]
        arm = arms.index("befriending")
        y = np.full(len(values), np.nan)
        y[point] = y_runs[:, arm, 0]  # one replicate per point
        expected = numpy_prcc(values, y)
        rows = [r for r in prcc if r["outcome"] == "distress" and r["arm"] == "befriending"]
        check([r["variable"] for r in rows] == names, "variables")
        for row, value in zip(rows, expected):
            check(abs(number(row["prcc"]) - value) < 1e-10,
                  f"PRCC {row['variable']}: {row['prcc']} vs numpy {value}")
            # Percentile intervals need not contain the estimate (near ±1 the bootstrap of a
            # rank statistic is biased towards 0), but they lie close to it.
            low, high = number(row["ci_low"]), number(row["ci_high"])
            check(-1 <= low <= high <= 1 and abs((low + high) / 2 - value) < 0.2,
                  f"interval of {row}")
        n = base.max() + 1
        fa, fb = np.empty(n), np.empty(n)
        fab = np.empty((n, len(names)))
        for p in range(len(y)):
            if block[p] == 0:
                fa[base[p]] = y[p]
            elif block[p] == 1:
                fb[base[p]] = y[p]
            elif block[p] == 2:
                fab[base[p], column[p]] = y[p]
        both = np.concatenate([fa, fb])
        v = both.var()
        rows = [r for r in sobol if r["outcome"] == "distress" and r["arm"] == "befriending"]
        for i, row in enumerate(rows):
            s1 = np.mean((fb - both.mean()) * (fab[:, i] - fa)) / v
            st = 0.5 * np.mean((fa - fab[:, i]) ** 2) / v
            check(abs(number(row["first_order"]) - s1) < 1e-10, f"S1 {row} vs {s1}")
            check(abs(number(row["total"]) - st) < 1e-10, f"ST {row} vs {st}")
        # beta_help drives distress: the largest total index and a PRCC near −1.
        beta = [r for r in rows if r["variable"] == "beta_help"][0]
        check(number(beta["total"]) > 0.5, f"beta_help total index {beta['total']}")


PRCC_SWEEP = """name: prcc
weeks: 10
population: {patients: 200}
arms:
  - {name: control, share: 0.5}
  - {name: befriending, share: 0.5, programs: [befriending]}
sweep:
  common_random_numbers: true
  replicates: 3
  variables:
    beta_help: [0.01, 0.1, 0.2, 0.4, 0.8]
"""


def spearman(x, y):
    def rank(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(1, len(v) + 1)
        for value in np.unique(v):  # ties: mean rank
            r[v == value] = r[v == value].mean()
        return r
    return np.corrcoef(rank(x), rank(y))[0, 1]


def test_sweep_prcc_of_a_monotone_outcome_is_exactly_one():
    """One varied parameter and outcomes strictly monotone in it: Spearman's rho is ±1, so is
    the PRCC (it was NaN: the rank correlation matrix is singular), p = 0 and the interval
    [±1, ±1]; a constant outcome is NaN with a note; the notes count the replicates done."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "prcc.yaml").write_text(PRCC_SWEEP)
        kindred("sweep", "prcc.yaml", "-o", "prcc.h5", "-q", "--threads", "1", cwd=tmp)
        kindred("analyze", "prcc.h5", "-o", "out", "--bootstrap", "100", "-q", cwd=tmp)
        rows = read_csv(tmp / "out" / "prcc.csv")
        notes = (tmp / "out" / "notes.txt").read_text()
        with h5py.File(tmp / "prcc.h5", "r") as f:
            x = f["design/values"][()][:, 0]
            point = f["runs/point"][()]
            arms = list(f["arms/name"].asstr()[()])
            runs = {name: f["runs"][name][()] for name in ("distress", "help_received",
                                                           "share_recovered")}
        exact = 0
        for row in rows:
            if row["outcome"] not in runs:
                continue
            values = runs[row["outcome"]][:, arms.index(row["arm"]), 0]
            y = np.array([values[point == p].mean() for p in range(len(x))])
            r = number(row["prcc"])
            if np.ptp(y) == 0:
                check(math.isnan(r) and math.isnan(number(row["p_value"])), f"constant: {row}")
                check(f"{row['outcome']} [{row['arm']}] at week 10 is the same at every point"
                      in notes, notes)
                continue
            rho = spearman(x, y)
            check(abs(r - rho) < 1e-12, f"{row}: PRCC {r} vs Spearman {rho}")
            if abs(abs(rho) - 1) < 1e-12:
                exact += 1
                check(r in (-1.0, 1.0) and number(row["p_value"]) == 0.0
                      and number(row["ci_low"]) == r and number(row["ci_high"]) == r,
                      f"exact ±1 row: {row}")
        check(exact >= 2, f"the sweep should have perfectly monotone outcomes: {rows}")
        check("The PRCC of beta_help is exactly ±1" in notes, notes)
        check("mean over its 3 replicates" in notes, notes)

        # Stop the sweep short by hand: replicates 0 everywhere, 1 at points 0 and 1, nothing
        # at point 4. The note counts what was done, not the design's 3.
        shutil.copy(tmp / "prcc.h5", tmp / "short.h5")
        with h5py.File(tmp / "short.h5", "r+") as f:
            replicate = f["runs/replicate"][()]
            keep = ((replicate == 0) | ((replicate == 1) & (point < 2))) & (point != 4)
            f["runs/done"][...] = keep.astype(np.int8)
            f.attrs["complete"] = np.int8(0)
        kindred("analyze", "short.h5", "-o", "short", "--bootstrap", "10", "-q", cwd=tmp)
        notes = (tmp / "short" / "notes.txt").read_text()
        check("over its finished replicates: 1 to 2 of 3" in notes, notes)
        check("1 of the 5 points has none and is left out" in notes, notes)
        check("mean over its 3 replicates" not in notes, notes)
        rows = read_csv(tmp / "short" / "prcc.csv")
        check(all(r["n"] == "4" for r in rows), f"4 points with a replicate: {rows}")


def main():
    global KINDRED
    options = harness.arguments(__doc__).parse_args()
    KINDRED = Path(options.kindred).resolve()
    try:
        return harness.main(harness.tests_of(globals(), options.select))
    finally:
        if Files.tmp is not None:
            shutil.rmtree(Files.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
