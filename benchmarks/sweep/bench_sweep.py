#!/usr/bin/python3
"""End-to-end sweep benchmark: runs per second and the share of time spent in output.

Usage: bench_sweep.py --kindred PATH [--threads 1,2] [--points N] [--patients N] [--trajectories]

Runs `kindred sweep benchmarks/sweep/sweep_500.yaml` (1000 runs of a 500-patient world, 104
weeks; --points and --patients shrink it) once per thread count into a temporary directory and
prints a table: runs, wall seconds of the runs, runs/s, seconds spent creating and writing the
sweep file, and that share of the wall time (target: under 10 %). Timings, not a test.
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "sweep_500.yaml"
SUMMARY = re.compile(
    r"(\d+) runs in .*?\(([\d.]+) runs/s, .*?\); output .*?\(([\d.]+)% of the time\)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kindred", required=True)
    parser.add_argument("--threads", default="", help="comma-separated (default: all cores)")
    parser.add_argument("--points", type=int, default=250, help="Latin hypercube points (×4 runs)")
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--trajectories", action="store_true", help="also weekly trajectories")
    options = parser.parse_args()

    text = SCENARIO.read_text()
    text = text.replace("  points: 250\n", f"  points: {options.points}\n")
    text = text.replace("patients: 500}", f"patients: {options.patients}}}")
    if options.trajectories:
        text = text.replace("  replicates: 4\n", "  replicates: 4\n  trajectories: true\n")
    threads = [t for t in options.threads.split(",") if t] or [""]
    rows = []
    with tempfile.TemporaryDirectory(prefix="kindred_bench_sweep_") as tmp:
        scenario = Path(tmp) / "sweep_bench.yaml"
        scenario.write_text(text)
        for count in threads:
            output = Path(tmp) / "bench.h5"
            argv = [options.kindred, "sweep", str(scenario), "-o", str(output), "-q",
                    "--overwrite", "--no-mpi"]
            if count:
                argv += ["--threads", count]
            completed = subprocess.run(argv, capture_output=True, text=True, check=False)
            if completed.returncode != 0:
                print(completed.stdout + completed.stderr)
                return 1
            line = completed.stdout.splitlines()[0]
            match = SUMMARY.search(line)
            if match is None:
                print("cannot read the summary:", line)
                return 1
            seconds = re.search(r"runs in (.*?) \(", line).group(1)
            output_seconds = re.search(r"output (.*?) \(", line).group(1)
            threads_used = re.search(r"runs/s, (\d+) thread", line).group(1)
            rows.append((threads_used, match.group(1), seconds, match.group(2), output_seconds,
                         match.group(3) + " %", f"{output.stat().st_size / 1e6:.1f} MB"))
    header = ("threads", "runs", "wall", "runs/s", "output", "output share", "file")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"sweep benchmark: {options.patients} patients, 104 weeks, {options.points * 4} runs"
          + (", trajectories" if options.trajectories else ""))
    for row in [header] + rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
