#!/usr/bin/python3
"""Runs one malformed-input case of tests/data/bad/ against the `kindred` program.

Usage: bad_input.py --kindred PATH CASE_DIR [CASE_DIR ...]

A case is a folder with a `case.yaml` and the input files it needs:

    what: one line saying what is wrong with the input
    args: [run, scenario.yaml]      # the command line, run in a temporary copy of the folder
    exit: 2                         # the expected exit code (default 2)
    stderr: ["scenario.yaml:4:8", "key 'weeks'", "expected an integer"]   # all must appear
    setup: [{fifo: x.csv}, {directory: d.yaml}, {chmod: [f.yaml, 0]},
            {repeat: [big.yaml, "text", 1000000]},         # a file of text × count
            {append_lines: [s.yaml, "  p{i}: 1\n", 100]}]  # lines with i = 0 … count-1
                                                           # (optional, made before the run)
    skip_as_root: reason            # optional: skipped (exit 77) when run as root

The case passes when the exit code is the expected one, stderr is exactly one line that starts
with "kindred: error: " (exit 2) or "kindred: failed: " (exit 1) and contains every `stderr`
substring, stdout is empty, and no file in the folder was created, changed or deleted (no
result, no temporary, no half-written file). Exit code: 0 passed, 1 failed, 77 skipped.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/
from harness import SKIPPED, environment, tree  # noqa: E402


def set_up(folder, steps):
    for step in steps or []:
        (kind, value), = step.items()
        if kind == "fifo":
            os.mkfifo(folder / value)
        elif kind == "directory":
            (folder / value).mkdir()
        elif kind == "chmod":
            os.chmod(folder / value[0], value[1])
        elif kind == "repeat":
            name, text, count = value
            with open(folder / name, "w") as f:
                f.write(text * count)
        elif kind == "append_lines":
            name, template, count = value
            with open(folder / name, "a") as f:
                f.write("".join(template.format(i=i) for i in range(count)))
        else:
            raise ValueError(f"unknown setup step {kind!r}")


def run_case(kindred, case_dir):
    """Returns (status, message): status 0 passed, 1 failed, 77 skipped."""
    spec = yaml.safe_load((case_dir / "case.yaml").read_text())
    if spec.get("skip_as_root") and os.geteuid() == 0:
        return SKIPPED, f"skipped: {spec['skip_as_root']}"
    expected_rc = spec.get("exit", 2)
    with tempfile.TemporaryDirectory(prefix="kindred-bad-") as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(case_dir, folder)
        set_up(folder, spec.get("setup"))
        before = tree(folder)
        argv = [str(kindred)] + [str(a) for a in spec["args"]]
        try:
            done = subprocess.run(argv, cwd=folder, env=environment(), capture_output=True,
                                  timeout=spec.get("timeout", 120), check=False,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return 1, f"timed out (a hang): {' '.join(argv)}"
        err = done.stderr.decode("utf-8", errors="replace")
        out = done.stdout.decode("utf-8", errors="replace")
        problems = []
        if done.returncode != expected_rc:
            problems.append(f"exit code {done.returncode}, expected {expected_rc}")
        lines = err.split("\n")
        if not (len(lines) == 2 and lines[1] == "" and lines[0]):
            problems.append(f"stderr is not exactly one line ({err.count(chr(10))} newlines)")
        prefix = "kindred: error: " if expected_rc == 2 else "kindred: failed: "
        if not err.startswith(prefix):
            problems.append(f"stderr does not start with {prefix!r}")
        for needle in spec.get("stderr", []):
            if needle not in err:
                problems.append(f"stderr lacks {needle!r}")
        if out and not spec.get("stdout_ok"):
            problems.append(f"stdout is not empty: {out[:200]!r}")
        after = tree(folder)
        if after != before:
            changed = sorted(set(after) ^ set(before) |
                             {k for k in after if k in before and after[k] != before[k]})
            problems.append(f"files created, changed or deleted: {changed}")
        # Give a chmod'ed file back its permissions so the folder can be removed.
        for path in folder.rglob("*"):
            if not path.is_symlink() and not path.is_fifo():
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        report = (f"{case_dir.name}: {spec.get('what', '')}\n  command: {' '.join(argv[1:])}\n"
                  f"  exit code: {done.returncode}\n  stderr: {err.rstrip()}")
        if problems:
            return 1, "FAIL " + report + "\n  problems:\n" + "\n".join(
                "    - " + p for p in problems)
        return 0, "ok   " + report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kindred", required=True)
    parser.add_argument("cases", nargs="+", type=Path)
    options = parser.parse_args()
    kindred = Path(options.kindred).resolve()
    statuses = []
    for case in options.cases:
        status, message = run_case(kindred, case.resolve())
        print(message, flush=True)
        statuses.append(status)
    if any(s == 1 for s in statuses):
        return 1
    if statuses and all(s == SKIPPED for s in statuses):
        return SKIPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
