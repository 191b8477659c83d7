#!/usr/bin/python3
"""Compare the C++ Kindred binary with the independent Python reference (deterministic mode).

    compare_with_kindred.py --kindred build/sim/cli/kindred \
        --scenario tests/data/deterministic/scenario.yaml \
        --models-dir tests/data/deterministic/models

Runs `KINDRED run SCENARIO -o TMP.h5 --quiet --models-dir DIR` (and again with --threads 1 and
--threads 2), reads /replicate_000/trajectories/{distress,...,strain} ([weeks x agents]; rows are the
weeks in /replicate_000/trajectories/week, columns the agents in .../agent_id), and compares them
with kindred_reference.py to 1e-9 absolute; NaN positions must match.  The three C++ runs must be
bit-identical.  Prints the largest difference per variable and the first disagreement; exits 1 on
any disagreement, 2 when something could not be run or read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kindred_reference as K  # noqa: E402

try:
    import h5py
except ImportError:  # pragma: no cover
    sys.exit("compare_with_kindred: h5py is missing (apt-get install -y python3-h5py)")

TRAJ = "/replicate_000/trajectories"
# Datasets whose values may legitimately differ between runs (timings, thread counts).
VOLATILE = ("time", "elapsed", "wall", "thread", "seconds", "date", "host", "version")


def run_kindred(binary: str, scenario: str, models_dir: str, out: str,
                extra: List[str]) -> None:
    cmd = [binary, "run", scenario, "-o", out, "--quiet", "--models-dir", models_dir] + extra
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}")


def read_trajectories(path: str) -> Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]:
    """Returns (weeks, agent_ids, {variable: [W x N] float64})."""
    with h5py.File(path, "r") as f:
        if TRAJ not in f:
            raise RuntimeError(f"{path}: no group {TRAJ}")
        g = f[TRAJ]
        weeks = np.asarray(g["week"][()]).astype(np.int64).ravel()
        agents = np.asarray(g["agent_id"][()]).astype(np.int64).ravel()
        data = {}
        for var in K.VARIABLES:
            if var not in g:
                raise RuntimeError(f"{path}: no dataset {TRAJ}/{var}")
            arr = np.asarray(g[var][()], dtype=np.float64)
            if arr.shape == (len(weeks), len(agents)):
                pass
            elif arr.shape == (len(agents), len(weeks)):
                arr = arr.T  # stored [N x W]
            else:
                raise RuntimeError(f"{path}: {TRAJ}/{var} has shape {arr.shape}; expected "
                                   f"[{len(weeks)} weeks x {len(agents)} agents]")
            data[var] = arr
    return weeks, agents, data


def all_datasets(path: str) -> Dict[str, np.ndarray]:
    out: Dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["/" + name] = np.asarray(obj[()])
        f.visititems(visit)
    return out


def bit_identical(a_path: str, b_path: str, label: str) -> List[str]:
    """Names of datasets that differ (bitwise) between two output files."""
    a, b = all_datasets(a_path), all_datasets(b_path)
    bad = []
    for name in sorted(set(a) | set(b)):
        if any(v in name.lower() for v in VOLATILE) and not name.startswith(TRAJ):
            continue
        if name not in a or name not in b:
            bad.append(f"{label}: {name} present in only one file")
            continue
        x, y = a[name], b[name]
        if x.dtype != y.dtype or x.shape != y.shape:
            bad.append(f"{label}: {name} dtype/shape {x.dtype}{x.shape} vs {y.dtype}{y.shape}")
        elif x.dtype.kind in "OSU":
            if not np.array_equal(x, y):
                bad.append(f"{label}: {name} differs")
        elif x.tobytes() != y.tobytes():
            bad.append(f"{label}: {name} differs bitwise")
    return bad


def compare(ref: Dict[str, np.ndarray], weeks: np.ndarray, agents: np.ndarray,
            cpp: Dict[str, np.ndarray], tol: float) -> int:
    """Prints a per-variable report; returns the number of disagreeing variables."""
    T1, N = ref["distress"].shape
    problems = 0
    if sorted(weeks.tolist()) != list(range(T1)) or sorted(agents.tolist()) != list(range(N)):
        print(f"coverage: C++ has weeks {weeks.min()}..{weeks.max()} ({len(weeks)}) and "
              f"{len(agents)} agents (max id {agents.max()}); reference has weeks 0..{T1 - 1} and "
              f"{N} agents. Only the common part is compared.")
        problems += 1
    wi = [(row, int(w)) for row, w in enumerate(weeks) if 0 <= w < T1]
    ai = [(col, int(a)) for col, a in enumerate(agents) if 0 <= a < N]
    rows = np.array([r for r, _ in wi]); rweeks = np.array([w for _, w in wi])
    cols = np.array([c for c, _ in ai]); rids = np.array([a for _, a in ai])
    print(f"{'variable':15s} {'max |diff|':>12s}  first disagreement")
    for var in K.VARIABLES:
        c = cpp[var][np.ix_(rows, cols)]
        r = ref[var][np.ix_(rweeks, rids)]
        nan_c, nan_r = np.isnan(c), np.isnan(r)
        both = ~nan_c & ~nan_r
        diff = np.where(both, np.abs(c - r), 0.0)
        bad = (nan_c != nan_r) | (diff > tol) | (both & ~np.isfinite(diff))
        maxd = float(diff.max()) if diff.size else 0.0
        first = ""
        if bad.any():
            problems += 1
            wr, ac = np.argwhere(bad)[0]  # week-major order
            first = (f"week {rweeks[wr]}, agent {rids[ac]}: C++ {c[wr, ac]!r}, "
                     f"reference {r[wr, ac]!r}  ({int(bad.sum())} cells)")
        print(f"{var:15s} {maxd:12.3e}  {first or 'none'}")
    return problems


def export_csv(directory: str, weeks: np.ndarray, agents: np.ndarray,
               cpp: Dict[str, np.ndarray], path: str, final_week: int) -> None:
    """Writes <variable>.csv (header: week, then one column per agent id; NaN before an agent
    exists) for every recorded variable, and ties_week_T.csv (u,v,type,w,q,enrolment)."""
    os.makedirs(directory, exist_ok=True)
    header = "week," + ",".join(str(int(a)) for a in agents)
    for var in K.VARIABLES:
        rows = [header]
        for r, w in enumerate(weeks):
            rows.append(str(int(w)) + "," + ",".join(repr(float(x)) for x in cpp[var][r]))
        with open(os.path.join(directory, f"{var}.csv"), "w") as out:
            out.write("\n".join(rows) + "\n")
    group = f"replicate_000/ties/week_{final_week:04d}"
    with h5py.File(path, "r") as f:
        if group in f:
            g = f[group]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in g["type"].attrs["names"]]
            with open(os.path.join(directory, f"ties_week_{final_week}.csv"), "w") as out:
                out.write("u,v,type,w,q,enrolment\n")
                for u, v, t, w, q, e in zip(g["u"][()], g["v"][()], g["type"][()], g["w"][()],
                                            g["q"][()], g["enrolment"][()]):
                    out.write(f"{u},{v},{names[t]},{float(w)!r},{float(q)!r},{e}\n")


def compare_final_ties(res, path: str, tol: float) -> int:
    """Compares the ties at week T (C++ snapshot /replicate_000/ties/week_TTTT) with the
    reference's: same pairs, types, enrolments, and w, q to tol. Returns 0 or 1."""
    group = f"replicate_000/ties/week_{res.weeks:04d}"
    with h5py.File(path, "r") as f:
        if group not in f:
            print(f"ties: the C++ file has no snapshot {group}; add {res.weeks} to tie_snapshots")
            return 1
        g = f[group]
        type_names = [n.decode() if isinstance(n, bytes) else str(n)
                      for n in g["type"].attrs["names"]]
        cpp = sorted(zip(g["u"][()].tolist(), g["v"][()].tolist(),
                         [type_names[t] for t in g["type"][()].tolist()],
                         g["enrolment"][()].tolist(), g["w"][()].tolist(), g["q"][()].tolist()))
    ref = sorted((e.u, e.v, e.type, -1 if e.enrolment is None else e.enrolment, e.w, e.q)
                 for e in res.final_ties)
    if [c[:4] for c in cpp] != [r[:4] for r in ref]:
        print(f"ties at week {res.weeks}: different sets of ties ({len(cpp)} in C++, "
              f"{len(ref)} in the reference)")
        for c, r in zip(cpp, ref):
            if c[:4] != r[:4]:
                print(f"  first difference: C++ {c[:4]}, reference {r[:4]}")
                break
        return 1
    worst = max((max(abs(c[4] - r[4]), abs(c[5] - r[5])) for c, r in zip(cpp, ref)), default=0.0)
    print(f"ties at week {res.weeks}: {len(cpp)} ties, same pairs, types and enrolments; "
          f"max |diff| of w, q {worst:.3e}")
    return 0 if worst <= tol else 1


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Cross-check the C++ Kindred with the Python reference")
    ap.add_argument("--kindred", required=True, help="path to the kindred binary")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--keep", metavar="DIR", help="keep the C++ outputs in DIR")
    ap.add_argument("--export", metavar="DIR",
                    help="write the C++ run as CSV files in DIR (one per variable: rows = weeks, "
                         "columns = agent ids; and the ties at week T), for comparison with any "
                         "other implementation of the spec")
    args = ap.parse_args(argv)

    try:
        res = K.run_scenario(args.scenario, args.models_dir)
    except K.ReferenceInputError as exc:
        print(f"reference refused the scenario: {exc}", file=sys.stderr)
        return 2
    ref = res.arrays()
    print(f"reference: weeks 0..{res.weeks}, {len(res.agents)} agents, "
          f"{len(res.final_ties)} ties at week {res.weeks}")

    tmp = args.keep or tempfile.mkdtemp(prefix="kindred_compare_")
    os.makedirs(tmp, exist_ok=True)
    outs = {"default": os.path.join(tmp, "default.h5"),
            "threads1": os.path.join(tmp, "threads1.h5"),
            "threads2": os.path.join(tmp, "threads2.h5")}
    extras = {"default": [], "threads1": ["--threads", "1"], "threads2": ["--threads", "2"]}
    try:
        for key, out in outs.items():
            run_kindred(args.kindred, args.scenario, args.models_dir, out, extras[key])
        weeks, agents, cpp = read_trajectories(outs["default"])
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.export:
        export_csv(args.export, weeks, agents, cpp, outs["default"], res.weeks)
        print(f"exported the C++ run as CSV to {args.export}")
    failures = compare(ref, weeks, agents, cpp, args.tol)
    failures += compare_final_ties(res, outs["default"], args.tol)

    det = bit_identical(outs["threads1"], outs["threads2"], "--threads 1 vs --threads 2")
    det += bit_identical(outs["default"], outs["threads1"], "default vs --threads 1")
    if det:
        print("C++ runs are NOT bit-identical:")
        for line in det:
            print("  " + line)
        failures += 1
    else:
        print("C++ runs (default, --threads 1, --threads 2): bit-identical")

    if failures:
        print(f"DISAGREEMENT ({failures} problem(s)); C++ outputs kept in {tmp}")
        return 1
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"agreement to {args.tol:g}: all {len(K.VARIABLES)} variables, "
          f"{ref['distress'].shape[0]} weeks x {ref['distress'].shape[1]} agents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
