#!/usr/bin/python3
"""Runs the tutorial's lessons (scenarios/tutorial/) and draws their pictures (docs/tutorial/).

Usage: scripts/tutorial_pictures.py [--kindred build/sim/cli/kindred] [--out docs/tutorial]

Each lesson_N() function runs the lesson's scenario as docs/tutorial.md tells (with the --set
overrides of its variants) and returns the numbers the lesson is about; draw_N() turns them into
docs/tutorial/lessonN.png. tests/tutorial/test_tutorial.py calls the same lesson_N() functions
on shorter runs and checks that each lesson's statement holds. Needs numpy and h5py (and
matplotlib for the pictures): Debian's python3-numpy, python3-h5py, python3-matplotlib.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios" / "tutorial"


# ---- running kindred and reading its files ------------------------------------------------------


def run(kindred, scenario, output, overrides=(), extra=()):
    """Runs `kindred run` (or `sweep` when extra starts with "sweep") quietly; returns its stdout."""
    command = [str(kindred)]
    if extra and extra[0] == "sweep":
        command += ["sweep", str(SCENARIOS / scenario), "-o", str(output), "-q", "--overwrite"]
        extra = extra[1:]
    else:
        command += ["run", str(SCENARIOS / scenario), "-o", str(output), "-q"]
    for override in overrides:
        command += ["--set", override]
    command += list(extra)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def arm_series(path, arm, quantity="distress", column="mean"):
    """Weekly values of an arm's aggregate (rows 0 … T) from a trial file."""
    with h5py.File(path, "r") as f:
        data = f[f"replicate_000/aggregates/{arm}/{quantity}"]
        if data.ndim == 1:
            return data[()]
        columns = [c.decode() if isinstance(c, bytes) else c for c in data.attrs["columns"]]
        return data[:, columns.index(column)]


def individual_effect(path, arm, week):
    """Mean individual effect (distress with − without programs) of an arm's patients at a week,
    from the paired counterfactual runs. Negative: the programs helped."""
    with h5py.File(path, "r") as f:
        names = list(f["arms/name"].asstr()[()])
        group = f["replicate_000/counterfactual"]
        row = list(group["week"][()]).index(week)
        members = group["arm"][()] == names.index(arm)
        return float(np.mean(group["individual_effect"][row][members]))


def effect_at_52(path, arm):
    """individual_effect at week 52, or at the last week of a shorter run."""
    with h5py.File(path, "r") as f:
        weeks = int(f.attrs["weeks"])
    return individual_effect(path, arm, min(52, weeks))


# ---- the lessons: runs and the numbers each is about -------------------------------------------


def lesson_1(kindred, tmp, base=()):
    """A first trial: befriending against usual care."""
    path = Path(tmp) / "lesson1.h5"
    summary = run(kindred, "01_first_trial.yaml", path, base, ["--narrate", "2"])
    return {
        "summary": summary,
        "control": {c: arm_series(path, "control", column=c) for c in ("mean", "q25", "q75")},
        "befriending": {c: arm_series(path, "befriending", column=c) for c in ("mean", "q25", "q75")},
    }


def lesson_2(kindred, tmp, base=()):
    """Why relationships: the effects with help on ties knocked out, and without the
    social-relationships resource."""
    variants = {
        "as written": [],
        "no help on ties\n(knockout help_flow)": ["knockout.help_flow=1"],
        "no social-relationships\nresource": [
            "befriending.befriending.resources.social_relationships=0",
            "open_dialogue.open_dialogue.resources.social_relationships=0"],
        "no activation of\nfamily and friends": ["knockout.activation=1"],
    }
    effects = {}
    for k, (label, overrides) in enumerate(variants.items()):
        path = Path(tmp) / f"lesson2_{k}.h5"
        run(kindred, "02_why_relationships.yaml", path, list(base) + overrides)
        effects[label] = {arm: effect_at_52(path, arm) for arm in ("befriending", "open_dialogue")}
    return effects


def lesson_3(kindred, tmp, base=()):
    """Reciprocity of peer support: individual effects and help given as reciprocity varies."""
    out = {"reciprocity": [0.0, 0.25, 0.5, 0.75, 1.0], "effect": [], "help_given": {}, "agency": {}}
    for rho in out["reciprocity"]:
        path = Path(tmp) / f"lesson3_{rho}.h5"
        run(kindred, "03_reciprocity.yaml", path,
            list(base) + [f"peer_support.peer_support_workers.reciprocity={rho}"])
        out["effect"].append(effect_at_52(path, "peer_support"))
        out["help_given"][rho] = arm_series(path, "peer_support", "help_given")
        out["agency"][rho] = arm_series(path, "peer_support", "agency")
    return out


def lesson_4(kindred, tmp, base=()):
    """Where expertise lies in client-centred therapy: agency and individual effects."""
    out = {"expertise": ["provider", "none", "patient"], "effect": {}, "agency": {}}
    for expertise in out["expertise"]:
        path = Path(tmp) / f"lesson4_{expertise}.h5"
        run(kindred, "04_expertise.yaml", path,
            list(base) + [f"therapy.client_centred_therapy.expertise={expertise}"])
        out["effect"][expertise] = effect_at_52(path, "therapy")
        out["agency"][expertise] = arm_series(path, "therapy", "agency")
        out["agency"]["control"] = arm_series(path, "control", "agency")
    return out


def lesson_5(kindred, tmp, base=()):
    """Harmful ties: usual care and family therapy with no, some and many high-EE families."""
    out = {"high_ee": [0.0, 0.45, 0.9], "control": {}, "strain": {}, "effect": {},
           "effect_no_activation": {}}
    for ee in out["high_ee"]:
        path = Path(tmp) / f"lesson5_{ee}.h5"
        run(kindred, "05_harmful_ties.yaml", path, list(base) + [f"population.high_ee_share={ee}"])
        out["control"][ee] = arm_series(path, "control")
        out["strain"][ee] = arm_series(path, "control", "strain")
        out["effect"][ee] = effect_at_52(path, "family_therapy")
        path = Path(tmp) / f"lesson5_{ee}_ko.h5"
        run(kindred, "05_harmful_ties.yaml", path,
            list(base) + [f"population.high_ee_share={ee}", "knockout.activation=1"])
        out["effect_no_activation"][ee] = effect_at_52(path, "family_therapy")
    return out


def lesson_6(kindred, tmp, base=()):
    """A sweep: the effect on distress at week 52 (peer support − control, common random
    numbers) against four quantities, and standardised regression coefficients."""
    path = Path(tmp) / "lesson6.sweep.h5"
    run(kindred, "06_sweep.yaml", path, base, ["sweep"])
    with h5py.File(path, "r") as f:
        names = list(f["design/variables"].asstr()[()])
        arms = list(f["arms/name"].asstr()[()])
        done = f["runs/done"][()] == 1
        values = f["runs/values"][()][done]
        distress = f["runs/distress"][()][done]  # runs × arms × outcome weeks
    # Treated minus control at week 52, less the same difference at week 0: the two arms are
    # the same patients at every point (common random numbers), so this removes the baseline
    # difference between the arms that randomisation left.
    difference = distress[:, arms.index("peer_support"), :] - distress[:, arms.index("control"), :]
    effect = difference[:, -1] - difference[:, 0]
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    design = np.column_stack([np.ones(len(effect)), z])
    coefficients, *_ = np.linalg.lstsq(design, effect, rcond=None)
    fitted = design @ coefficients
    r2 = 1.0 - np.sum((effect - fitted) ** 2) / np.sum((effect - effect.mean()) ** 2)
    short = [n.split(".")[-1] for n in names]
    return {"names": short, "values": values, "effect": effect,
            "coefficients": dict(zip(short, coefficients[1:])), "r2": float(r2)}


# ---- pictures -------------------------------------------------------------------------------------

TREATED = "#e76f51"
CONTROL = "#264653"


def save(fig, path, tight=True):
    """Writes the picture (laid out tightly unless the figure lays itself out) and closes it."""
    import matplotlib.pyplot as plt
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def weekly_lines(ax, lines, ylabel, title, **legend):
    """One line against the week per (series, colour, label); axis labels, title and legend."""
    for series, colour, label in lines:
        ax.plot(np.arange(len(series)), series, color=colour, lw=2, label=label)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**legend)


def draw_1(data, out):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    weeks = np.arange(len(data["control"]["mean"]))
    for arm, colour, label in [("control", CONTROL, "control (usual care)"),
                               ("befriending", TREATED, "befriending")]:
        series = data[arm]
        ax.fill_between(weeks, series["q25"], series["q75"], color=colour, alpha=0.15, lw=0)
        ax.plot(weeks, series["mean"], color=colour, lw=2, label=f"{label}: mean")
    ax.axvline(52, color="grey", ls="--", lw=1)
    ax.text(53, 0.79, "befriending ends\n(week 52)", fontsize=9, color="grey", va="top")
    ax.set_xlabel("week")
    ax.set_ylabel("distress of patients")
    ax.set_ylim(0.3, 0.8)
    ax.set_title("Lesson 1: a first trial (400 patients; bands: quartiles)")
    ax.legend(loc="lower left")
    save(fig, out / "lesson1.png")


def draw_2(data, out):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels = list(data)
    arms = [("befriending", "befriending", TREATED), ("open_dialogue", "open dialogue", "#2a9d8f")]
    width = 0.38
    x = np.arange(len(labels))
    for k, (arm, name, colour) in enumerate(arms):
        reductions = [-data[label][arm] for label in labels]
        full = reductions[0]
        bars = ax.bar(x + (k - 0.5) * width, reductions, width, color=colour, label=name)
        for bar, value in zip(bars, reductions):
            ax.text(bar.get_x() + bar.get_width() / 2, value + 0.004, f"{100 * value / full:.0f}%",
                    ha="center", fontsize=8)
    ax.set_xticks(x, labels, fontsize=9)
    ax.set_ylabel("distress reduced at week 52\n(mean individual effect)")
    ax.set_title("Lesson 2: take relationships away and most of the effect goes")
    ax.legend()
    save(fig, out / "lesson2.png")


def draw_3(data, out):
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4))
    left.plot(data["reciprocity"], [-e for e in data["effect"]], "o-", color=TREATED)
    left.set_ylim(0, None)
    left.set_xlabel("reciprocity of the peer tie (0 = one way, 1 = both ways)")
    left.set_ylabel("distress reduced at week 52")
    left.set_title("Effect of peer support")
    weekly_lines(right, [(data["help_given"][rho], colour, f"reciprocity {rho:g}")
                         for rho, colour in [(0.0, "#9aa3b2"), (0.5, "#f4a261"), (1.0, TREATED)]],
                 "help given per week (treated patients)",
                 "Patients give back: the helper-therapy principle", loc="lower right")
    right.axvline(26, color="grey", ls="--", lw=1)
    right.text(27, right.get_ylim()[1] * 0.98, "program ends", fontsize=8, color="grey", va="top")
    fig.suptitle("Lesson 3: reciprocity")
    save(fig, out / "lesson3.png")


def draw_4(data, out):
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4))
    colours = {"provider": "#9aa3b2", "none": "#f4a261", "patient": TREATED, "control": CONTROL}
    weekly_lines(left, [(data["agency"][key], colours[key],
                         "control (usual care)" if key == "control" else f"expertise: {key}")
                        for key in ["control"] + data["expertise"]],
                 "agency (treated patients)", "Agency while therapy runs (weeks 0-20)",
                 fontsize=8, loc="lower right")
    left.axvline(20, color="grey", ls="--", lw=1)
    keys = data["expertise"]
    right.bar(keys, [-data["effect"][k] for k in keys], color=[colours[k] for k in keys])
    right.set_ylabel("distress reduced at week 52")
    right.set_title("Effect of client-centred therapy")
    fig.suptitle("Lesson 4: where expertise lies")
    save(fig, out / "lesson4.png")


def draw_5(data, out):
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4))
    shades = {0.0: "#2a9d8f", 0.45: "#f4a261", 0.9: "#d00000"}
    weekly_lines(left, [(data["control"][ee], shades[ee], f"{100 * ee:.0f}% high-EE households")
                        for ee in data["high_ee"]],
                 "distress (control patients)", "Usual care: critical families hold distress up",
                 fontsize=8)
    x = np.arange(len(data["high_ee"]))
    right.bar(x - 0.2, [-data["effect"][ee] for ee in data["high_ee"]], 0.4, color=TREATED,
              label="family therapy")
    right.bar(x + 0.2, [-data["effect_no_activation"][ee] for ee in data["high_ee"]], 0.4,
              color="#9aa3b2", label="… with activation knocked out")
    right.set_xticks(x, [f"{100 * ee:.0f}% high EE" for ee in data["high_ee"]])
    right.set_ylabel("distress reduced at week 52")
    right.set_title("Family work helps most where families are critical")
    right.legend(fontsize=8)
    fig.suptitle("Lesson 5: harmful ties and family work")
    save(fig, out / "lesson5.png")


def draw_6(data, out):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.8), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.3]})
    reduction = -data["effect"]
    duration = data["values"][:, data["names"].index("duration_weeks")]
    for k, name in enumerate(data["names"]):
        ax = axes[k]
        points = ax.scatter(data["values"][:, k], reduction, s=16, c=duration, cmap="viridis")
        ax.set_xlabel(name)
        if k == 0:
            ax.set_ylabel("distress reduced at week 52")
    fig.colorbar(points, ax=list(axes[:4]), label="duration_weeks (colour)", pad=0.01)
    names = data["names"]
    coefficients = [-data["coefficients"][n] for n in names]
    axes[-1].barh(names, coefficients, color=[TREATED if c > 0 else "#9aa3b2" for c in coefficients])
    axes[-1].axvline(0, color="black", lw=0.8)
    axes[-1].set_xlabel("reduction per SD")
    axes[-1].set_title(f"what drives it (R² = {data['r2']:.2f})", fontsize=10)
    fig.suptitle("Lesson 6: a sweep of peer support (48 points, common random numbers)")
    save(fig, out / "lesson6.png", tight=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kindred", default=str(REPO / "build" / "sim" / "cli" / "kindred"))
    parser.add_argument("--out", default=str(REPO / "docs" / "tutorial"))
    args = parser.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lessons = [(lesson_1, draw_1), (lesson_2, draw_2), (lesson_3, draw_3), (lesson_4, draw_4),
               (lesson_5, draw_5), (lesson_6, draw_6)]
    with tempfile.TemporaryDirectory(prefix="kindred_tutorial_") as tmp:
        for number, (lesson, draw) in enumerate(lessons, start=1):
            data = lesson(args.kindred, tmp)
            draw(data, out)
            print(f"lesson {number}: {out / f'lesson{number}.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
