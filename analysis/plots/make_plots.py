#!/usr/bin/python3
"""Draws the pictures of a Kindred report.

Usage: make_plots.py --kind trial|sweep --source FILE --analysis ANALYSIS.h5 --out DIR
                     --manifest DIR/figures.tsv

Exit codes: 0 done (pictures that cannot be drawn from this file are listed as skipped in the
manifest); 2 bad arguments; 3 matplotlib, h5py or numpy missing; 1 any other failure.
"""
import argparse
import os
import sys
import traceback


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["trial", "sweep"], required=True)
    parser.add_argument("--source", required=True, help="the trial or sweep file")
    parser.add_argument("--analysis", required=True, help="the analysis file (analysis.h5)")
    parser.add_argument("--out", required=True, help="directory for the pictures")
    parser.add_argument("--manifest", required=True, help="list of pictures written (TSV)")
    args = parser.parse_args()
    try:
        import h5py  # noqa: F401
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as error:
        print(f"make_plots.py: {error} (Debian: apt-get install python3-matplotlib "
              f"python3-h5py python3-numpy; scripts/setup.sh)", file=sys.stderr)
        return 3
    sys.dont_write_bytecode = True  # never write __pycache__ into the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import common  # noqa: E402

    os.makedirs(args.out, exist_ok=True)
    manifest = common.Manifest()
    if args.kind == "trial":
        import network_plot
        import trial_plots
        steps = [lambda: trial_plots.trajectories(args.source, args.analysis, args.out, manifest),
                 lambda: trial_plots.forest(args.source, args.analysis, args.out, manifest),
                 lambda: trial_plots.recovery(args.source, args.analysis, args.out, manifest),
                 lambda: trial_plots.decomposition(args.source, args.analysis, args.out,
                                                   manifest),
                 lambda: network_plot.network(args.source, args.out, manifest)]
    else:
        import sweep_plots
        steps = [lambda: sweep_plots.prcc_bars(args.analysis, args.out, manifest),
                 lambda: sweep_plots.sobol_bars(args.analysis, args.out, manifest)]
    failed = False
    for step in steps:
        try:
            step()
        except Exception:  # report the failure, draw the other pictures
            traceback.print_exc()
            failed = True
    manifest.write(args.manifest)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
