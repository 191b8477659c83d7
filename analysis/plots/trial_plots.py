"""Pictures of a trial: trajectories per arm with CI bands, the forest plot next to the
published effect sizes, time to recovery, and the mediation / knock-out decomposition."""
import math
import os

import h5py
import numpy as np

import common
from common import plt

Z975 = 1.959963984540054


def trial_info(source):
    """Arms (names, control name), programs per arm, enrolment periods, weeks T."""
    with h5py.File(source, "r") as f:
        arms = list(f["arms/name"].asstr()[()])
        control_flags = f["arms/control"][()]
        control = next((a for a, c in zip(arms, control_flags) if c), None)
        programs = {a: [] for a in arms}
        periods = {a: [] for a in arms}
        if "arms/enrolments/arm" in f:
            for arm, program, start, end in zip(f["arms/enrolments/arm"][()],
                                                f["arms/enrolments/program"].asstr()[()],
                                                f["arms/enrolments/start_week"][()],
                                                f["arms/enrolments/end_week"][()]):
                programs[arms[arm]].append(program)
                periods[arms[arm]].append((int(start), int(end)))
        replicates = sorted(k for k in f.keys() if k.startswith("replicate_"))
        return {"arms": arms, "control": control, "programs": programs, "periods": periods,
                "weeks": int(f.attrs["weeks"]), "replicates": replicates,
                "scenario": f.attrs["scenario_name"]}


def pooled_series(source, arm, variable, replicates):
    """Mean, sd and n per week of an arm's patients, pooled over replicates."""
    with h5py.File(source, "r") as f:
        total_n = total = total_sq = None
        share = None
        for replicate in replicates:
            g = f[replicate]["aggregates"][arm]
            n = g["n_patients"][()].astype(float)
            summary = g[variable][()]
            mean, sd = summary[:, 0], np.nan_to_num(summary[:, 1])
            sq = (n - 1) * sd ** 2 + n * mean ** 2
            recovered = g["share_recovered"][()] * n
            if total_n is None:
                total_n, total, total_sq, share = n, n * mean, sq, recovered
            else:
                total_n, total, total_sq = total_n + n, total + n * mean, total_sq + sq
                share = share + recovered
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / total_n
        var = (total_sq - total_n * mean ** 2) / (total_n - 1)
        sd = np.sqrt(np.maximum(var, 0))
        share = share / total_n
    return mean, sd, total_n, share


def shade_programs(ax, info):
    """Light shading of the weeks any program is active."""
    spans = sorted({p for a in info["arms"] for p in info["periods"][a]})
    for start, end in spans:
        ax.axvspan(start, min(end, info["weeks"]), color="#000000", alpha=0.05, lw=0)


def nearest(values, target):
    values = sorted(set(int(v) for v in values))
    return min(values, key=lambda v: (abs(v - target), v)) if values else None


def trajectories(source, analysis, out, manifest):
    info = trial_info(source)
    colours = common.arm_colours(info["arms"], info["control"])
    panels = [("distress", "mean distress", "distress d (lower is better)"),
              ("share_recovered", "share recovered", "share of patients recovered"),
              ("help_received", "mean help received", "help received H per week"),
              ("agency", "mean agency", "agency a")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for ax, (variable, title, label) in zip(axes.flat, panels):
        for arm in info["arms"]:
            source_variable = "distress" if variable == "share_recovered" else variable
            mean, sd, n, share = pooled_series(source, arm, source_variable, info["replicates"])
            weeks = np.arange(len(mean))
            if variable == "share_recovered":
                centre = share
                half = Z975 * np.sqrt(np.clip(share * (1 - share), 0, None) / n)
            else:
                centre = mean
                half = Z975 * sd / np.sqrt(n)
            ax.plot(weeks, centre, color=colours[arm], lw=1.8,
                    label=arm + (" (control)" if arm == info["control"] else ""))
            low, high = centre - half, centre + half
            if variable == "share_recovered":
                low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
            ax.fill_between(weeks, low, high, color=colours[arm], alpha=0.2, lw=0)
        shade_programs(ax, info)
        ax.set_title(title)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("week")
    axes[0, 0].legend(fontsize=8, loc="best")
    fig.suptitle(f"Trajectories per arm — {info['scenario']} (uncalibrated model output)")
    fig.tight_layout()
    common.save(fig, os.path.join(out, "trajectories.png"))
    reps = len(info["replicates"])
    manifest.add("trajectories.png", "Trajectories per arm",
                 "Weekly mean of each arm's patients with 95% confidence bands "
                 "(mean ± 1.96 sd/√n; share recovered: Wald interval)"
                 + (f", pooled over {reps} replicates (bands from patients pooled over "
                    "replicates)" if reps > 1 else "")
                 + ". Grey shading: weeks in which a program is active.")


def forest(source, analysis, out, manifest):
    effects = common.read_table(analysis, "effects")
    if effects is None or len(effects["arm"]) == 0:
        manifest.skip("forest plot", "no effects table (the trial needs a control arm)")
        return
    info = trial_info(source)
    week = nearest(effects["week"], 52)
    published = common.published_effects()
    rows = []  # (label, value, low, high, kind, text)
    for k in range(len(effects["arm"])):
        if int(effects["week"][k]) != week:
            continue
        arm = effects["arm"][k]
        low, high = effects["boot_low"][k], effects["boot_high"][k]
        if not (np.isfinite(low) and np.isfinite(high)):
            low, high = effects["ci_low"][k], effects["ci_high"][k]
        programs = info["programs"].get(arm, [])
        g = effects["g"][k]
        if not np.isfinite(g):  # nothing to draw: say why instead
            note = (f"g not estimable (n = {int(effects['n'][k])} vs "
                    f"{int(effects['n_control'][k])} control)")
        elif not (np.isfinite(low) and np.isfinite(high)):
            note = "no interval"
        else:
            note = ""
        rows.append((f"{arm}: Kindred g, distress @ week {week}", g, low, high, "kindred", note))
        for row in published:
            if row["model"] not in programs:
                continue
            label = f"  {row['outcome']} ({row['source']})"
            if row["direction"] in ("lower_better", "higher_better"):
                sign = 1.0 if row["direction"] == "lower_better" else -1.0
                lo, hi = sign * row["low"], sign * row["high"]
                lo, hi = (min(lo, hi), max(lo, hi)) if np.isfinite(lo) else (lo, hi)
                rows.append((label, sign * row["estimate"], lo, hi, "published",
                             f"{row['measure']} {fmt(row['estimate'])}"
                             + (f" ({fmt(row['low'])} to {fmt(row['high'])})"
                                if np.isfinite(row["low"]) else "")))
            else:
                text = row["measure"] + (" " + fmt(row["estimate"]) if np.isfinite(
                    row["estimate"]) else "")
                if np.isfinite(row["low"]):
                    text += f" ({fmt(row['low'])}–{fmt(row['high'])})"
                rows.append((label, math.nan, math.nan, math.nan, "text",
                             (text + ": not an SMD") if row["measure"] != "text" else "see label"))
        if not any(r["model"] in programs for r in published):
            rows.append(("  no published effect size in the reference", math.nan, math.nan,
                         math.nan, "text", ""))
    height = 0.38 * len(rows) + 1.6
    fig, ax = plt.subplots(figsize=(11, height))
    y = np.arange(len(rows))[::-1]
    for yi, (label, value, low, high, kind, text) in zip(y, rows):
        if kind == "kindred" and np.isfinite(value):
            if np.isfinite(low) and np.isfinite(high):
                ax.errorbar(value, yi, xerr=[[value - low], [high - value]], fmt="o",
                            color="#0072B2", ms=7, capsize=3)
            else:
                ax.plot(value, yi, "o", color="#0072B2", ms=7)
        elif kind == "published":
            if np.isfinite(low) and np.isfinite(high):
                ax.hlines(yi, low, high, color="#D55E00", lw=1.5)
            if np.isfinite(value):
                ax.plot(value, yi, "D", mfc="white", mec="#D55E00", ms=7, mew=1.5)
            else:  # a range only (d = 0.13 to 0.26)
                ax.plot([low, high], [yi, yi], "|", color="#D55E00", ms=10)
        if text:
            ax.annotate(text, xy=(1.01, yi), xycoords=("axes fraction", "data"), fontsize=8,
                        va="center", color="#444444")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([r[0] for r in rows], fontsize=8.5)
    for tick, row in zip(ax.get_yticklabels(), rows):
        if row[4] == "kindred":
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("standardised mean difference (negative = benefit: less distress, or a "
                  "better published outcome)")
    ax.grid(axis="x", alpha=0.3)
    ax.plot([], [], "o", color="#0072B2", label="Kindred: Hedges' g of distress, bootstrap 95% CI")
    ax.plot([], [], "D", mfc="white", mec="#D55E00",
            label="published: other outcomes and populations (sign aligned)")
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
    common.save(fig, os.path.join(out, "forest.png"))
    manifest.add("forest.png", f"Program effects at week {week} next to published effect sizes",
                 f"Blue: Kindred's Hedges' g of distress versus control at week {week} with "
                 "bootstrap 95% intervals — uncalibrated model output from the scenario's "
                 "parameters, not a prediction. Orange: the effect sizes of the reference table "
                 "(docs/reference/resource-oriented-models.md) for the same therapeutic "
                 "models; they measure other outcomes (depressive symptoms, quality of life, "
                 "relapse, …) in other populations, with signs aligned so that negative means "
                 "benefit. Ratios (RR, OR) and non-randomised figures are shown as text. The "
                 "comparison orients; it does not validate."
                 + (" A Kindred row without a dot has no estimate of g (too few patients or no "
                    "spread of distress in an arm): its text says why."
                    if any(r[4] == "kindred" and not np.isfinite(r[1]) for r in rows) else ""))


def fmt(x):
    return f"{x:.2f}" if np.isfinite(x) else ""


def recovery(source, analysis, out, manifest):
    km = common.read_table(analysis, "kaplan_meier")
    if km is None:
        manifest.skip("time to recovery", "no Kaplan–Meier table")
        return
    info = trial_info(source)
    colours = common.arm_colours(info["arms"], info["control"])
    fig, ax = plt.subplots(figsize=(8, 5))
    for arm in info["arms"]:
        rows = km["arm"] == arm
        weeks = np.concatenate([[0], km["week"][rows].astype(float), [info["weeks"]]])
        cumulative = np.concatenate([[0], km["cumulative_recovered"][rows],
                                     [km["cumulative_recovered"][rows][-1] if rows.any() else 0]])
        low = np.concatenate([[0], 1 - np.nan_to_num(km["ci_high"][rows], nan=1.0), [np.nan]])
        high = np.concatenate([[0], 1 - np.nan_to_num(km["ci_low"][rows], nan=1.0), [np.nan]])
        low[-1], high[-1] = low[-2], high[-2]
        ax.step(weeks, cumulative, where="post", color=colours[arm], lw=1.8,
                label=arm + (" (control)" if arm == info["control"] else ""))
        ax.fill_between(weeks, low, high, step="post", color=colours[arm], alpha=0.15, lw=0)
    ax.set_xlim(0, info["weeks"])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("week")
    ax.set_ylabel("share recovered (1 − Kaplan–Meier S)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Time to recovery")
    common.save(fig, os.path.join(out, "recovery.png"))
    manifest.add("recovery.png", "Time to recovery (Kaplan–Meier)",
                 "Cumulative share of each arm's patients recovered (distress below d_rec for "
                 "rec_weeks weeks in a row), 1 − S(t) of the Kaplan–Meier estimate, with 95% "
                 "log–log bands; patients not recovered by the last week are censored there.")


def decomposition(source, analysis, out, manifest):
    table = common.read_table(analysis, "decomposition")
    if table is None or len(table["arm"]) == 0:
        manifest.skip("decomposition", "no decomposition table (needs a control arm)")
        return
    week = nearest(table["week"], 52)
    rows = [k for k in range(len(table["arm"])) if int(table["week"][k]) == week]
    mediators = [c for c in table if c.startswith("mediated_")]
    mechanisms = [c for c in table if c.startswith("remaining_without_")]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.9 + 0.55 * len(rows) * max(1, len(mediators))
                                            / 2 + 2.2), squeeze=False)
    arms = [table["arm"][k] for k in rows]
    for ax, columns, title, transform, label in (
            (axes[0, 0], mediators, "mediated (a·b / c)", lambda v: v,
             lambda c: c.replace("mediated_", "")),
            (axes[0, 1], mechanisms, "lost when knocked out (1 − remaining)", lambda v: 1 - v,
             lambda c: c.replace("remaining_without_", ""))):
        if not columns:
            ax.text(0.5, 0.5, "not computed\n(knock-outs off, or no mediators)", ha="center",
                    va="center", transform=ax.transAxes, color="#666666")
            ax.set_axis_off()
            continue
        height = 0.8 / len(columns)
        for j, column in enumerate(columns):
            values = [transform(table[column][k]) for k in rows]
            ax.barh(np.arange(len(rows)) + j * height, values, height=height,
                    color=common.PALETTE[j % len(common.PALETTE)], label=label(column))
        ax.set_yticks(np.arange(len(rows)) + 0.4 - height / 2)
        ax.set_yticklabels(arms)
        ax.axvline(0, color="black", lw=0.8)
        ax.axvline(1, color="black", lw=0.5, ls=":")
        ax.set_title(f"share of the effect {title}, week {week}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        ax.invert_yaxis()
    fig.tight_layout()
    common.save(fig, os.path.join(out, "decomposition.png"))
    manifest.add("decomposition.png", f"How the effect arises (week {week})",
                 "Left: share of each program's effect on distress carried by a measured "
                 "mediator (product of coefficients a·b over the total effect c; statistical, "
                 "one run). Right: share of the effect that disappears when a mechanism is "
                 "switched off everywhere (re-runs of the stored scenario; causal within the "
                 "model). Values outside 0…1 mean a mediator or mechanism that works against "
                 "the effect, or a small total effect.")
