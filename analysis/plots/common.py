"""Helpers shared by the plotting scripts: reading the analysis file, colours, saving."""
import csv
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Colour-blind-safe palette (Okabe & Ito 2008); the control arm is always grey.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
CONTROL_COLOUR = "#7f7f7f"
TIE_COLOURS = {"professional": "#0072B2", "peer": "#009E73", "friend": "#E69F00",
               "family": "#CC79A7"}
DPI = 110


def arm_colours(arms, control):
    """A colour per arm name; the control arm grey."""
    colours = {}
    k = 0
    for name in arms:
        if name == control:
            colours[name] = CONTROL_COLOUR
        else:
            colours[name] = PALETTE[k % len(PALETTE)]
            k += 1
    return colours


def read_table(analysis, name):
    """Table /analysis/NAME of the analysis file as a dict column → numpy array (strings
    decoded), or None when the table is absent."""
    with h5py.File(analysis, "r") as f:
        if "analysis" not in f or name not in f["analysis"]:
            return None
        group = f["analysis"][name]
        table = {}
        for column in group.attrs["columns"]:
            data = group[column]
            if data.dtype.kind == "O" or h5py.check_string_dtype(data.dtype) is not None:
                table[column] = np.array(data.asstr()[()], dtype=object)
            else:
                table[column] = data[()]
        return table


def analysis_attributes(analysis):
    with h5py.File(analysis, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v)
                for k, v in f["analysis"].attrs.items()}


def published_effects():
    """Rows of published_effects.csv (the reference's effect-size table)."""
    with open(os.path.join(HERE, "published_effects.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key in ("estimate", "low", "high"):
            row[key] = float(row[key]) if row[key] not in ("", None) else float("nan")
    return rows


def save(figure, path):
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(figure)


class Manifest:
    """The list of pictures drawn (file, title, caption) and left out (name, reason)."""

    def __init__(self):
        self.lines = []

    def add(self, file, title, caption):
        self.lines.append("\t".join(clean(x) for x in (file, title, caption)))

    def skip(self, name, reason):
        self.lines.append("\t".join(clean(x) for x in ("skipped", name, reason)))

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            for line in self.lines:
                f.write(line + "\n")


def clean(text):
    return " ".join(str(text).split())
