"""Benchmark: subsidence:importpoints against ogr2ogr on a real EGMS L2b layout at burst size.

The rows of a real EGMS L2b file (default: the shared Ustica burst, 11,590 points x 210
dates, 235 columns) are repeated, with new point ids, up to each size asked for, into a CSV
under /tmp. The import (core of subsidence:importpoints) and ``ogr2ogr -f GPKG`` (coordinates
from easting/northing, types detected, EPSG:3035, spatial index: the layer a user would make
with GDAL) each read that CSV in a child process of their own, measured by /usr/bin/time:
wall time, rows per second and peak resident memory. The ratio is ogr2ogr's time over ours
(above 1: the import is faster). Memory that does not grow with the size shows the reading
is chunked. ``--repeat N`` runs the two in turn N times and keeps each one's best time (the
machine's load varies between runs); the load average is printed with the results.

    .venv/bin/python benchmarks/points.py [--sizes 200000 1000000] [--repeat 1] [--source F]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "build" / "qgis_plugins"
SOURCE = Path("/work/shared/data/egms/EGMS_L2b_022_0845_IW2_VV_2020_2024_1.csv.gz")

IMPORT = """
import sys
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.ingest.point_import import import_points
print(import_points({csv!r}, {gpkg!r}).count)
"""


def write_burst(source: Path, rows: int, path: Path) -> float:
    """Repeat the data rows of ``source`` (each copy's ids suffixed) until ``rows`` rows are
    written to ``path``; return its size in MiB."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", newline="") as f:
        header = f.readline()
        lines = f.readlines()
    with open(path, "w", newline="") as out:
        out.write(header)
        written, copy = 0, 0
        while written < rows:
            batch = lines[: rows - written]
            if copy:
                batch = [
                    f"{pid}_{copy}," + rest for pid, rest in (li.split(",", 1) for li in batch)
                ]
            out.writelines(batch)
            written += len(batch)
            copy += 1
    return path.stat().st_size / 2**20


def timed(command) -> tuple:
    """Run ``command``; return (seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024, done.stdout


def ogr2ogr(csv_path: Path, gpkg: Path) -> list:
    return [
        "ogr2ogr",
        "-f",
        "GPKG",
        str(gpkg),
        str(csv_path),
        "-oo",
        "X_POSSIBLE_NAMES=easting",
        "-oo",
        "Y_POSSIBLE_NAMES=northing",
        "-oo",
        "AUTODETECT_TYPE=YES",
        "-a_srs",
        "EPSG:3035",
        "-nln",
        "points",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; best time kept")
    args = parser.parse_args()
    print(f"source {args.source.name}; one child process per run, measured by /usr/bin/time")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        folder = Path(folder)
        for rows in args.sizes:
            csv_path = folder / f"EGMS_L2b_{rows}.csv"
            size = write_burst(args.source, rows, csv_path)
            ours_gpkg, peer_gpkg = folder / "ours.gpkg", folder / "ogr2ogr.gpkg"
            code = IMPORT.format(plugins=str(PLUGINS), csv=str(csv_path), gpkg=str(ours_gpkg))
            ours = peer = float("inf")
            ours_mb = peer_mb = 0.0
            for _ in range(max(1, args.repeat)):
                for path in (ours_gpkg, peer_gpkg):
                    path.unlink(missing_ok=True)
                seconds, mb, count = timed([sys.executable, "-c", code])
                assert int(count) == rows, (count, rows)
                ours, ours_mb = min(ours, seconds), max(ours_mb, mb)
                seconds, mb, _ = timed(ogr2ogr(csv_path, peer_gpkg))
                peer, peer_mb = min(peer, seconds), max(peer_mb, mb)
            print(
                f"{rows:,} rows ({size:,.0f} MiB CSV): importpoints {ours:.1f} s "
                f"({rows / ours:,.0f} rows/s, peak RSS {ours_mb:,.0f} MiB); ogr2ogr {peer:.1f} s "
                f"({rows / peer:,.0f} rows/s, peak RSS {peer_mb:,.0f} MiB); "
                f"ratio ogr2ogr/importpoints {peer / ours:.2f}",
                flush=True,
            )
            print("load average: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
            for path in (csv_path, ours_gpkg, peer_gpkg):
                path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
