"""Speed of the decomposition at 100,000 points per track, against a naive script.

    .venv/bin/python benchmarks/decomposition.py [points_per_track] [dates]

Writes an ascending and a descending track (GeoPackage, VEL, los_* fields and one DYYYYMMDD
field per date) over a 10 km x 10 km scene, then times

* ours: ``decompose`` (OGR's columnar reader in blocks, per-cell sums as the blocks stream,
  batched 2 x 2 solves), rates and series, both output layers written;
* the naive peer, measured in the same run: ``read_points`` of both layers (OGR feature by
  feature), then a Python loop over the cells with ``numpy.linalg.lstsq`` per cell and per
  date, no output written;

checks that both give the same east and up rates and prints the times and their ratio.
Opt-in; writes only under a scratch folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
sys.path.insert(0, str(ROOT))

from insar_subsidence.core.analysis.decomposition import (  # noqa: E402
    DecompositionOptions,
    cell_keys,
    decompose,
)
from insar_subsidence.core.analysis.los_products import LosProduct  # noqa: E402
from insar_subsidence.core.io.point_layers import read_points  # noqa: E402
from tests.core.analysis import two_tracks_synthetic as synthetic  # noqa: E402

SCENE = 10_000.0  # m


def naive(paths, size=100.0):
    """Read the layers whole, then solve every cell and date in a Python loop."""
    tracks = [read_points(p) for p in paths]
    per_track = []
    for t in tracks:
        keys = cell_keys(t.x, t.y, size)
        los = np.column_stack([t.fields[f"los_{c}"] for c in ("east", "up")])
        per_track.append((keys, t.fields["VEL"], los, t.displacement_mm))
    shared = np.intersect1d(per_track[0][0], per_track[1][0])
    east, up = {}, {}
    for key in shared:
        rows, rates, series = [], [], []
        for keys, rate, los, displacement in per_track:
            inside = keys == key
            rows.append(los[inside].mean(0))
            rates.append(rate[inside].mean())
            series.append(displacement[inside].mean(0))
        design = np.array(rows)
        solution = np.linalg.lstsq(design, np.array(rates), rcond=None)[0]
        east[key], up[key] = solution
        for k in range(min(len(s) for s in series)):
            np.linalg.lstsq(design, np.array([s[k] for s in series]), rcond=None)
    return east, up


def main(points: int = 100_000, dates: int = 150) -> None:
    folder = Path(tempfile.mkdtemp(prefix="decompose_bench_"))
    rng = np.random.default_rng(0)
    extent = (synthetic.X0, synthetic.Y0, synthetic.X0 + SCENE, synthetic.Y0 + SCENE)
    asc_track = synthetic.Track(-12.0, 31.0, 45.0, synthetic.START, 12, dates)
    desc_track = synthetic.Track(-168.0, 44.0, 32.0, synthetic.START, 12, dates)
    paths = [
        synthetic.write_track(folder / f"{name}.gpkg", track, rng, points, extent=extent)
        for name, track in (("asc", asc_track), ("desc", desc_track))
    ]
    print(f"{points:,} points per track, {dates} dates, {SCENE / 1000:g} km square, 100 m cells")
    started = time.perf_counter()
    result = decompose(
        [LosProduct(p) for p in paths],
        folder / "up.gpkg",
        folder / "east.gpkg",
        DecompositionOptions(time_step_days=12),
    )
    ours = time.perf_counter() - started
    cells = result.cells
    print(f"ours : {ours:7.1f} s  ({len(cells):,} cells, {len(cells.dates)} common dates)")
    started = time.perf_counter()
    east, up = naive(paths)
    peer = time.perf_counter() - started
    print(f"naive: {peer:7.1f} s  (read_points + per-cell lstsq)")
    keys = cell_keys(cells.x, cells.y, 100.0)
    # two tracks make a square system: weights do not change the solution, so both agree
    difference = np.array([east[k] for k in keys]) - cells.east
    print(f"median |east difference| {np.median(np.abs(difference)):.3f} mm/yr")
    print(f"ratio naive / ours: {peer / ours:.1f}x")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
