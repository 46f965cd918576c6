"""Benchmark: streaming import of a large EGMS-format CSV (subsidence:importpoints core).

Generates a synthetic EGMS L2b-format CSV (the real header's 25 attribute columns, then one
column per date in mm) under /tmp, imports it into a GeoPackage in a child process and prints
points per second, the child's peak resident memory (VmHWM) and, with --trace, the peak of
Python/numpy allocations (tracemalloc). Running a smaller file first shows that memory does
not grow with the number of points (bounded, chunked streaming).

    .venv/bin/python benchmarks/points.py [--points 1000000] [--dates 60] [--small 100000] [--trace]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "build" / "qgis_plugins"
ATTRIBUTES = [
    "pid",
    "mp_type",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "height_ortho",
    "height_ellipse",
    "line",
    "pixel",
    "rmse_ts",
    "temporal_coherence",
    "amplitude_dispersion",
    "incidence_angle",
    "track_angle",
    "los_east",
    "los_north",
    "los_up",
    "mean_velocity",
    "mean_velocity_std",
    "acceleration",
    "acceleration_std",
    "seasonality",
    "seasonality_std",
    "gnss_velocity",
]

CHILD = """
import json, sys, time, tracemalloc
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.ingest.point_import import import_points
if {trace}:
    tracemalloc.start()
started = time.perf_counter()
summary = import_points({csv!r}, {gpkg!r})
elapsed = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if {trace} else float("nan")
# VmHWM, not ru_maxrss: ru_maxrss carries over the parent's peak through fork and exec
with open("/proc/self/status") as status:
    hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({{"count": summary.count, "seconds": elapsed, "traced_peak_mb": peak / 2**20,
                  "max_rss_mb": hwm_kb / 1024}}))
"""


def write_egms_csv(
    path: Path, n_points: int, n_dates: int, seed: int = 0, chunk: int = 10_000
) -> float:
    """Write the synthetic CSV in chunks (bounded memory); return its size in MiB."""
    sys.path.insert(0, str(PLUGINS))
    from insar_subsidence.core.conventions import years_since

    rng = np.random.default_rng(seed)
    dates = [dt.date(2020, 1, 3) + dt.timedelta(days=6 * k) for k in range(n_dates)]
    years = years_since(dates)
    with open(path, "w") as f:
        f.write(",".join(ATTRIBUTES + [d.strftime("%Y%m%d") for d in dates]) + "\n")
        for start in range(0, n_points, chunk):
            n = min(chunk, n_points - start)
            velocity = rng.normal(-2, 4, n)
            attributes = np.column_stack(
                [
                    np.zeros(n),
                    38.6 + rng.uniform(0, 0.1, n),
                    13.1 + rng.uniform(0, 0.1, n),
                    4_598_000 + rng.uniform(0, 10_000, n),
                    1_739_000 + rng.uniform(0, 10_000, n),
                    rng.uniform(0, 300, n),
                    rng.uniform(40, 340, n),
                    rng.integers(0, 5000, n),
                    rng.integers(0, 20000, n),
                    rng.uniform(1, 4, n),
                    rng.uniform(0.6, 1, n),
                    rng.uniform(0.1, 0.5, n),
                    np.full(n, 37.3),
                    np.full(n, 191.4),
                    np.full(n, 0.594),
                    np.full(n, -0.12),
                    np.full(n, 0.795),
                    velocity,
                    rng.uniform(0.1, 0.5, n),
                    rng.normal(0, 0.3, n),
                    rng.uniform(0.1, 0.3, n),
                    rng.uniform(0, 2, n),
                    rng.uniform(0.1, 0.3, n),
                    rng.normal(0, 1, n),
                ]
            )
            series = velocity[:, None] * years[None] + rng.normal(0, 2, (n, n_dates))
            rows = np.column_stack([attributes, series])
            ids = [f"P{start + i:09d}" for i in range(n)]
            text = np.char.mod("%.2f", rows)
            f.writelines(
                pid + "," + ",".join(values) + "\n" for pid, values in zip(ids, text, strict=True)
            )
    return path.stat().st_size / 2**20


def run_import(csv_path: Path, gpkg: Path, trace: bool) -> dict:
    code = CHILD.format(plugins=str(PLUGINS), csv=str(csv_path), gpkg=str(gpkg), trace=trace)
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--dates", type=int, default=60)
    parser.add_argument(
        "--small", type=int, default=100_000, help="size of the first, smaller run (0 = skip)"
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="also trace Python allocations (tracemalloc; slows the import ~2x)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        folder = Path(folder)
        for n in ([args.small] if args.small else []) + [args.points]:
            csv_path = folder / f"EGMS_L2b_synthetic_{n}.csv"
            started = time.perf_counter()
            size = write_egms_csv(csv_path, n, args.dates)
            print(
                f"{n:,} points x {args.dates} dates: CSV {size:,.0f} MiB written in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            result = run_import(csv_path, folder / f"points_{n}.gpkg", args.trace)
            traced = (
                f", peak traced allocations {result['traced_peak_mb']:.0f} MiB"
                if args.trace
                else ""
            )
            print(
                f"  imported {result['count']:,} points in {result['seconds']:.1f} s = "
                f"{result['count'] / result['seconds']:,.0f} points/s; peak RSS "
                f"{result['max_rss_mb']:.0f} MiB{traced}",
                flush=True,
            )
            csv_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
