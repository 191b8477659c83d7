#!/usr/bin/python3
"""End-to-end test of `kindred report`: pictures (matplotlib) and the HTML page, rendered by a
real browser (headless Chromium).

Usage: test_report.py --kindred PATH [--chromium PATH] [-k SUBSTRING]

Every picture must be a valid, non-empty PNG; the page must load every picture in Chromium
(the page counts them into <body data-images-loaded="k/n">, read back with --dump-dom) and
its screenshot must be a valid PNG that is not blank. Exit 77 (skipped, with the reason) only
when matplotlib/h5py or Chromium is truly missing: scripts/setup.sh installs them.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness import check  # noqa: E402
import harness  # noqa: E402

DATA = REPO / "tests" / "data" / "analysis"
KINDRED = None
CHROMIUM = None
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def kindred(*args, cwd):
    return harness.run(KINDRED, *args, cwd=cwd, timeout=600, expect=0)


def png_info(path):
    """(width, height, decompressed pixel bytes) of a PNG; raises Failure when invalid."""
    data = Path(path).read_bytes()
    check(len(data) > 1000, f"{path}: only {len(data)} bytes")
    check(data[:8] == PNG_SIGNATURE, f"{path}: not a PNG (signature {data[:8]!r})")
    length, kind = struct.unpack(">I4s", data[8:16])
    check(kind == b"IHDR" and length == 13, f"{path}: no IHDR chunk first")
    width, height = struct.unpack(">II", data[16:24])
    check(width > 100 and height > 100, f"{path}: {width} × {height} pixels")
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        crc = struct.unpack(">I", data[position + 8 + length:position + 12 + length])[0]
        check(zlib.crc32(kind + chunk) & 0xFFFFFFFF == crc, f"{path}: bad CRC in {kind!r}")
        if kind == b"IDAT":
            idat += chunk
        position += 12 + length
        if kind == b"IEND":
            break
    pixels = zlib.decompress(idat)
    return width, height, pixels


def not_blank(pixels):
    """More than a handful of distinct byte values: something was drawn."""
    return len(set(pixels[::97])) > 8


def chromium(*args, timeout=120):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM] + CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]
                              + list(args), capture_output=True, text=True, timeout=timeout)


def check_report(directory, expected_figures):
    directory = Path(directory)
    page = directory / "index.html"
    check(page.is_file(), "no index.html")
    html = page.read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)"', html)
    check(sorted(Path(i).name for i in images) == sorted(expected_figures),
          f"pictures on the page: {images}")
    for name in os.listdir(directory / "figures"):
        if name.endswith(".png"):
            png_info(directory / "figures" / name)
    for image in images:
        png_info(directory / image)
    check("<table>" in html and "Uncalibrated model output" in html, "tables and caveat")
    # The browser: the DOM after load says how many pictures it decoded.
    dom = chromium("--dump-dom", page.resolve().as_uri())
    found = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom.stdout)
    check(found is not None, f"Chromium did not run the page's script:\n{dom.stderr[-2000:]}")
    check(found.group(1) == found.group(2) == str(len(expected_figures)),
          f"Chromium loaded {found.group(1)} of {found.group(2)} pictures")
    shot = directory / "screenshot.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,2400", page.resolve().as_uri())
    check(shot.is_file(), "Chromium wrote no screenshot")
    width, height, pixels = png_info(shot)
    check((width, height) == (1280, 2400), f"screenshot {width} × {height}")
    check(not_blank(pixels), "the screenshot is blank")


def test_trial_report_renders_in_chromium():
    with tempfile.TemporaryDirectory() as tmp:
        kindred("run", DATA / "small_trial.yaml", "-o", "trial.h5", "-q", cwd=tmp)
        result = kindred("report", "trial.h5", "-o", "report", "--weeks", "10,20,30",
                         "--bootstrap", "200", "-q", cwd=tmp)
        check("index.html" in result.stdout, result.stdout)
        check_report(Path(tmp) / "report", ["trajectories.png", "forest.png", "recovery.png",
                                            "decomposition.png", "network.png"])
        html = (Path(tmp) / "report" / "index.html").read_text(encoding="utf-8")
        for table in ("effects", "recovery", "mediation", "knockouts", "decomposition"):
            check(f'id="table-{table}"' in html, f"table {table} missing from the page")


def test_sweep_report_renders_in_chromium():
    with tempfile.TemporaryDirectory() as tmp:
        kindred("sweep", DATA / "small_sweep.yaml", "-o", "sweep.h5", "-q", cwd=tmp)
        kindred("report", "sweep.h5", "-o", "report", "--bootstrap", "100", "-q", cwd=tmp)
        check_report(Path(tmp) / "report", ["sensitivity_prcc.png", "sensitivity_sobol.png"])


def test_report_without_plots_has_tables_only():
    with tempfile.TemporaryDirectory() as tmp:
        kindred("run", DATA / "module_trial.yaml", "-o", "trial.h5", "-q", cwd=tmp)
        kindred("report", "trial.h5", "-o", "report", "--no-plots", "--bootstrap", "20",
                "--knockouts", "off", "-q", cwd=tmp)
        html = (Path(tmp) / "report" / "index.html").read_text(encoding="utf-8")
        check("<img" not in html and "<table>" in html, "tables only")


def test_one_patient_per_arm_draws_quietly_and_says_what_is_missing():
    """A CSV population with one patient per arm: g has no pooled sd (NaN). The forest plot
    used to hand NaN to matplotlib, which printed RuntimeWarnings on stderr; now the picture
    says why there is no estimate and stderr stays empty."""
    cli = REPO / "tests" / "data" / "cli"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in ("csv_population.yaml", "ties.csv"):
            shutil.copy(cli / name, tmp / name)
        lines = (cli / "agents.csv").read_text().splitlines()
        kept = {"control": 0, "befriending": 0}
        out = [lines[0]]
        for line in lines[1:]:
            arm = line.rsplit(",", 1)[1]
            if arm in kept:
                kept[arm] += 1
                if kept[arm] > 1:  # a second patient of the arm: in no arm
                    line = line.rsplit(",", 1)[0] + ","
            out.append(line)
        (tmp / "agents.csv").write_text("\n".join(out) + "\n")
        kindred("run", "csv_population.yaml", "-o", "trial.h5", "-q", cwd=tmp)
        result = kindred("report", "trial.h5", "-o", "report", "--bootstrap", "20", "-q",
                         cwd=tmp)
        check(result.stderr == "", f"stderr: {result.stderr!r}")
        effects = (tmp / "report" / "effects.csv").read_text().splitlines()
        check(len(effects) == 2 and ",1,1," in effects[1] and ",NaN," in effects[1],
              f"one patient per arm, g NaN: {effects}")
        png_info(tmp / "report" / "figures" / "forest.png")
        manifest = (tmp / "report" / "figures" / "figures.tsv").read_text()
        check("no estimate of g" in manifest, manifest)


def main():
    global KINDRED, CHROMIUM
    parser = harness.arguments(__doc__)
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args()
    KINDRED = Path(args.kindred).resolve()
    try:
        import h5py  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as error:
        print(f"SKIPPED: {error}: the report needs Debian's python3-matplotlib and python3-h5py "
              f"(scripts/setup.sh)")
        return 77
    CHROMIUM = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if CHROMIUM is None:
        print("SKIPPED: no Chromium found (Debian: apt-get install chromium; scripts/setup.sh)")
        return 77
    return harness.main(harness.tests_of(globals(), args.select))


if __name__ == "__main__":
    sys.exit(main())
