#!/usr/bin/python3
"""End-to-end benchmarks of Kindred against two baselines, printed as one table.

For each size, one community world (Erdős–Rényi network, mean network degree 8, households,
10% patients, care coordinators: about 5.1 ties per agent) is written as the spec §5 CSV pair;
then, on that same world, in deterministic mode (sigma = 0, p_event = 0, phi = 0, no programs):

  1. Kindred (benchmarks/kindred_bench) runs W weeks on 1 thread and on 2 threads;
  2. the NumPy/SciPy baseline (baselines/numpy_step.py) is first checked against Kindred:
     both run --check-weeks weeks and their distress must agree to 1e-9; only then it is timed;
  3. the floor (baselines/spmv_floor): one Eigen sparse matrix-vector product over the same
     adjacency, on one thread.

Sizes above --csv-max skip the CSV and the NumPy baseline: Kindred and the floor build the same
world from the generator instead (same seed). Every program reports its own peak resident
memory (getrusage). Times are the best (minimum) of the repeated weeks or products: on a shared
machine the other processes can only slow a run down, so the minimum is the closest to the
machine's own speed; CPU seconds per week are shown beside them. The thread speed-up divides the
best 1-thread week by the best 2-thread week; with other work on the cores it understates the
speed-up, so the load average is printed and the per-thread CPU split is shown.

    /usr/bin/python3 benchmarks/run_benchmarks.py --build build
    /usr/bin/python3 benchmarks/run_benchmarks.py --sizes 1000,10000 --weeks 3   (quick)
    /usr/bin/python3 benchmarks/run_benchmarks.py --large      (adds 10^7 agents: ~8 GB, minutes)
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def run_json(command, env=None):
    """Runs a command that prints one JSON object on its last line; returns the object."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def human_bytes(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="CMake build directory")
    parser.add_argument("--sizes", default="1000,10000,100000,1000000",
                        help="comma-separated agent counts")
    parser.add_argument("--large", action="store_true", help="also 10^7 agents")
    parser.add_argument("--weeks", type=int, default=10, help="weeks timed per Kindred run")
    parser.add_argument("--numpy-weeks", type=int, default=3, help="weeks timed for NumPy")
    parser.add_argument("--check-weeks", type=int, default=5,
                        help="weeks of the agreement check")
    parser.add_argument("--csv-max", type=int, default=1000000,
                        help="largest size written as CSV and run by NumPy")
    parser.add_argument("--mean-degree", type=float, default=8.0)
    parser.add_argument("--work", help="directory for the worlds (default: a temporary one)")
    args = parser.parse_args()

    build = pathlib.Path(args.build)
    driver = build / "benchmarks" / "kindred_bench"
    floor = build / "benchmarks" / "spmv_floor"
    numpy_step = HERE / "baselines" / "numpy_step.py"
    for tool in (driver, floor):
        if not tool.exists():
            sys.exit(f"{tool} not found: build the benchmarks first (cmake --build {build})")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.large and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="kindred_bench_"))
    # NumPy: one thread for any BLAS call it might make; OPENBLAS_CORETYPE is left as set.
    numpy_env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")

    rows = []
    for size in sizes:
        print(f"[{size} agents]", file=sys.stderr, flush=True)
        world = ["--agents", size, "--mean-degree", args.mean_degree]
        use_csv = size <= args.csv_max
        if use_csv:
            folder = work / f"world_{size}"
            run_json([driver, *world, "--weeks", 0, "--write-csv", folder])
            agents_csv, ties_csv = folder / "agents.csv", folder / "ties.csv"
            source = ["--generator", "csv", "--agents-csv", agents_csv, "--ties-csv", ties_csv]
        else:
            source = world
        kindred = {}
        for threads in (1, 2):
            kindred[threads] = run_json([driver, *source, "--weeks", args.weeks,
                                         "--threads", threads])
        row = {"agents": kindred[1]["agents"], "ties": kindred[1]["ties"], "kindred": kindred}
        if use_csv:
            # Agreement first: distress after check_weeks, Kindred against NumPy.
            k_file, n_file = folder / "kindred_distress.bin", folder / "numpy_distress.bin"
            run_json([driver, *source, "--weeks", args.check_weeks, "--threads", 1,
                      "--dump-distress", k_file])
            run_json([sys.executable, numpy_step, "--agents", agents_csv, "--ties", ties_csv,
                      "--weeks", args.check_weeks, "--dump-distress", n_file], env=numpy_env)
            difference = float(np.max(np.abs(np.fromfile(k_file) - np.fromfile(n_file))))
            row["agreement"] = difference
            if difference > 1e-9:
                sys.exit(f"NumPy baseline disagrees with Kindred at {size} agents: "
                         f"max |Δd| = {difference:.3g} after {args.check_weeks} weeks")
            row["numpy"] = run_json([sys.executable, numpy_step, "--agents", agents_csv,
                                     "--ties", ties_csv, "--weeks", args.numpy_weeks],
                                    env=numpy_env)
            row["floor"] = run_json([floor, "--agents-csv", agents_csv, "--ties-csv", ties_csv])
        else:
            row["floor"] = run_json([floor, *world])
        rows.append(row)

    load = os.getloadavg()
    header = ("agents", "ties", "threads", "s/week", "CPU s/week", "peak memory",
              "NumPy s/week", "SpMV s", "× NumPy", "÷ SpMV", "speed-up", "thread CPU split")
    table = []
    for row in rows:
        for threads in (1, 2):
            k = row["kindred"][threads]
            week = k["best_week_seconds"]
            numpy_week = row.get("numpy", {}).get("best_week_seconds")
            floor = row["floor"]["best_seconds"]
            single = threads == 1
            split = k.get("thread_cpu_seconds", [])
            table.append((
                f"{row['agents']:,}", f"{row['ties']:,}", str(threads),
                f"{week:.4g}",
                f"{k['cpu_seconds_per_week']:.4g}",
                human_bytes(k["peak_rss_bytes"]),
                f"{numpy_week:.4g}" if single and numpy_week else ("" if not single else "n/a"),
                f"{floor:.4g}" if single else "",
                f"{numpy_week / week:.1f}" if single and numpy_week else "",
                f"{week / floor:.1f}" if single else "",
                "" if single else f"{row['kindred'][1]['best_week_seconds'] / week:.2f}",
                "" if single or not split else " / ".join(f"{x:.3g}" for x in split[:2]),
            ))
    widths = [max(len(h), *(len(r[c]) for r in table)) for c, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in table:
        print(" | ".join(v.rjust(w) for v, w in zip(r, widths)))
    print()
    for row in rows:
        if "agreement" in row:
            print(f"{row['agents']:,} agents: NumPy agrees with Kindred to "
                  f"{row['agreement']:.2g} (distress, {args.check_weeks} weeks); NumPy peak "
                  f"memory {human_bytes(row['numpy']['peak_rss_bytes'])}")
    print(f"weeks timed: Kindred {args.weeks}, NumPy {args.numpy_weeks}, SpMV products 20; "
          f"s/week = best wall-clock week; thread CPU split = CPU seconds of each thread over "
          f"all weeks; load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} cores")
    print(f"worlds in {work}")


if __name__ == "__main__":
    main()
