"""Sensitivity bars of a sweep: PRCC and Sobol indices with bootstrap intervals."""
import os

import numpy as np

import common
from common import plt

# Outcomes shown, in order of interest; at most this many panels per picture.
PREFERRED = ["effect_size", "distress", "share_recovered", "help_received"]
MAX_PANELS = 6


def outcome_keys(table, column):
    """Distinct (outcome, arm, week) of a table with a finite `column` somewhere, the preferred
    outcomes and last weeks first."""
    keys = sorted(set((o, a, int(w)) for o, a, w, v in zip(
        table["outcome"], table["arm"], table["week"], table[column]) if np.isfinite(v)))
    last_week = max(k[2] for k in keys) if keys else 0
    keys.sort(key=lambda k: (PREFERRED.index(k[0]) if k[0] in PREFERRED else 99,
                             k[2] != last_week, k[1], k[2]))
    return keys


def panels(count):
    columns = min(count, 3)
    rows = (count + columns - 1) // columns
    return rows, columns


def sensitivity_panels(analysis, name, column, what, missing, manifest):
    """The `name` table and a figure of one panel per outcome with a finite `column` (at most
    MAX_PANELS; spare panels hidden): (table, figure, axes, [(ax, selected rows, variable names,
    bar positions, title)]). None, with `what` skipped in the manifest, when there is nothing to
    draw (`missing`: why, when there is no table)."""
    table = common.read_table(analysis, name)
    if table is None or len(table["outcome"]) == 0:
        manifest.skip(what, missing)
        return None
    keys = outcome_keys(table, column)[:MAX_PANELS]
    if not keys:
        manifest.skip(what, "every outcome is constant over the sweep")
        return None
    rows, columns = panels(len(keys))
    fig, axes = plt.subplots(rows, columns, figsize=(4.8 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.set_axis_off()
    drawn = []
    for ax, (outcome, arm, week) in zip(axes.flat, keys):
        sel = (table["outcome"] == outcome) & (table["arm"] == arm) & (table["week"] == week)
        names = list(table["variable"][sel])
        drawn.append((ax, sel, names, np.arange(len(names)), f"{outcome} [{arm}] @ week {week}"))
    return table, fig, axes, drawn


def label_panel(ax, names, y, title):
    """Variable names on the bars, the zero line, the first variable on top, and the title."""
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def save_panels(fig, suptitle, out, file, manifest, title, caption):
    fig.suptitle(suptitle)
    fig.tight_layout()
    common.save(fig, os.path.join(out, file))
    manifest.add(file, title, caption)


def prcc_bars(analysis, out, manifest):
    found = sensitivity_panels(analysis, "prcc", "prcc", "PRCC bars", "no PRCC table", manifest)
    if found is None:
        return
    table, fig, _, drawn = found
    for ax, sel, names, y, title in drawn:
        value = np.nan_to_num(table["prcc"][sel])
        low, high = table["ci_low"][sel], table["ci_high"][sel]
        colours = ["#0072B2" if v >= 0 else "#D55E00" for v in np.nan_to_num(value)]
        ax.barh(y, value, color=colours, alpha=0.85)
        err = np.vstack([np.nan_to_num(value - low), np.nan_to_num(high - value)])
        ax.errorbar(value, y, xerr=np.abs(err), fmt="none", ecolor="black", capsize=3, lw=1)
        ax.set_xlim(-1, 1)
        label_panel(ax, names, y, title)
    save_panels(fig, "Partial rank correlation (PRCC) with bootstrap 95% intervals", out,
                "sensitivity_prcc.png", manifest, "Sensitivity: partial rank correlation",
                "PRCC of each varied parameter with each outcome (ranks, controlling for the "
                "other parameters): the sign and strength of a monotone influence over the "
                "sweep's ranges; black bars are bootstrap 95% intervals. Up to "
                f"{MAX_PANELS} outcomes are drawn; all are in the prcc table.")


def sobol_bars(analysis, out, manifest):
    found = sensitivity_panels(analysis, "sobol", "total", "Sobol bars",
                               "Sobol indices need a sweep with design: saltelli", manifest)
    if found is None:
        return
    table, fig, axes, drawn = found
    for ax, sel, names, y, title in drawn:
        for offset, column, low, high, colour, label in (
                (-0.2, "first_order", "first_low", "first_high", "#0072B2", "first order S"),
                (0.2, "total", "total_low", "total_high", "#E69F00", "total ST")):
            value = np.nan_to_num(table[column][sel])
            err = np.vstack([np.nan_to_num(value - table[low][sel]),
                             np.nan_to_num(table[high][sel] - value)])
            ax.barh(y + offset, value, height=0.38, color=colour, label=label, alpha=0.9)
            ax.errorbar(value, y + offset, xerr=np.abs(err), fmt="none", ecolor="black",
                        capsize=2, lw=0.8)
        label_panel(ax, names, y, title)
    axes.flat[0].legend(fontsize=8)
    save_panels(fig, "Sobol indices (Saltelli design) with bootstrap 95% intervals", out,
                "sensitivity_sobol.png", manifest, "Sensitivity: Sobol indices",
                "First-order (S) and total (ST) Sobol indices of each varied parameter: the "
                "share of the outcome's variance over the sweep due to the parameter alone, "
                "and with its interactions. Run-to-run noise of the simulation is variance no "
                "parameter explains; small sweeps give wide intervals and estimates outside "
                "[0, 1].")
