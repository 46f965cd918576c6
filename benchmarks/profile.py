"""Benchmark: sampling a 1-million-point layer along a line (issue: "under a second").

Ours: ``core.profile`` (GDAL Arrow read once, x-sorted index, vectorised projection).
Peer, measured in the same run: the naive QGIS approach of profile plugins — iterate the
features in the buffered line's bounding box (QgsFeatureRequest.setFilterRect, which uses the
GeoPackage R-tree) and keep those with QgsGeometry.distance(line) <= buffer, placing them with
lineLocatePoint. Both must find the same points. ``subsidence:profile`` end to end
(``profile_lines``: reads only the points in the line's buffered window, then samples, bins and
measures) is timed per line against the same peer, as both then read from disk.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/profile.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.analysis.profile import (  # noqa: E402
    PointIndex,
    ProfileOptions,
    make_profile,
    profile_lines,
    read_point_values,
    sample_points_along,
)
from insar_subsidence.core.io.point_layers import PointSeries, write_points  # noqa: E402

EXTENT = 20_000.0  # m
ORIGIN = (680_000.0, 3_920_000.0)


def make_layer(path: Path, n: int) -> Path:
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    x = ORIGIN[0] + rng.uniform(0, EXTENT, n)
    y = ORIGIN[1] + rng.uniform(0, EXTENT, n)
    r2 = (x - ORIGIN[0] - EXTENT / 2) ** 2 + (y - ORIGIN[1] - EXTENT / 2) ** 2
    vel = -60 * np.exp(-r2 / (2 * 1500.0**2)) + rng.normal(0, 2, n)
    started = time.perf_counter()
    write_points(
        path, PointSeries(x, y, 32649, [dt.date(2020, 1, 1)], np.zeros((n, 1)), {"VEL": vel})
    )
    print(f"wrote {n} points in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def lines():
    x0, y0 = ORIGIN
    zigzag = [(x0 + 1000 + i * 90, y0 + 10_000 + (300 if i % 2 else -300)) for i in range(200)]
    return {
        "straight E-W 20 km": [(x0, y0 + EXTENT / 2), (x0 + EXTENT, y0 + EXTENT / 2)],
        "diagonal 4 vertices": [
            (x0 + 500, y0 + 500),
            (x0 + 8000, y0 + 9000),
            (x0 + 12_000, y0 + 11_000),
            (x0 + 19_500, y0 + 19_000),
        ],
        "railway 200 vertices": zigzag,
    }


def timed(function, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def naive_qgis(layer, line, buffer):
    from qgis.core import QgsFeatureRequest, QgsGeometry, QgsPointXY

    geometry = QgsGeometry.fromPolylineXY([QgsPointXY(*p) for p in line])
    rect = geometry.boundingBox().buffered(buffer)
    ids, along, values = [], [], []
    for feature in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect)):
        point = feature.geometry()
        if geometry.distance(point) <= buffer:
            ids.append(feature.id())
            along.append(geometry.lineLocatePoint(point))
            values.append(feature["VEL"])
    return np.array(ids), np.array(along), np.array(values)


def full_profile(index, values, line, buffer):
    """Sampling plus binning, metrics and the degree axis (what the dock draws)."""
    return make_profile(
        "line", sample_points_along(index, values, line, buffer), line, buffer, -10.0, epsg=32649
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--buffer", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = ROOT / "build" / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    path = make_layer(folder / f"points_{args.points}.gpkg", args.points)

    read_s, points = timed(partial(read_point_values, path, "VEL"), 1)
    index_s, index = timed(partial(PointIndex, points.x, points.y), 1)
    print(
        f"read {len(points.x)} points (x, y, VEL) with GDAL Arrow: {read_s:.2f} s; "
        f"x-sorted index: {index_s:.2f} s (once per layer)"
    )

    from qgis.core import QgsApplication, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    layer = QgsVectorLayer(str(path), "points", "ogr")
    print(
        f"{'line':24s} {'found':>7s} {'ours s':>8s} {'+profile s':>10s} {'QGIS naive s':>13s} "
        f"{'speed-up':>9s} {'end-to-end s':>12s} {'speed-up':>9s}"
    )
    options = ProfileOptions(buffer_m=args.buffer, bin_m=args.buffer)
    for name, line in lines().items():
        ours_s, samples = timed(
            partial(sample_points_along, index, points.values, line, args.buffer), args.repeat
        )
        full_s, _ = timed(
            partial(full_profile, index, points.values, line, args.buffer), args.repeat
        )
        peer_s, (ids, along, _) = timed(partial(naive_qgis, layer, line, args.buffer), 1)
        window_s, _ = timed(
            partial(
                profile_lines,
                [(name, np.array(line))],
                points=[(path, None)],
                options=options,
                line_epsg=32649,
            ),
            args.repeat,
        )
        ours_fids = np.sort(samples.index + 1)  # GeoPackage fids start at 1, in write order
        same = np.array_equal(ours_fids, np.sort(ids))
        order = np.argsort(ids)
        close = np.allclose(np.sort(samples.distance_m), np.sort(along[order]), atol=1e-6)
        print(
            f"{name:24s} {samples.index.size:7d} {ours_s:8.3f} {full_s:10.3f} {peer_s:13.2f} "
            f"{peer_s / ours_s:8.0f}x {window_s:12.3f} {peer_s / window_s:8.1f}x  "
            f"same points: {same}, same distances: {close}",
            flush=True,
        )
    del layer  # before exitQgis: a layer outliving the providers crashes on exit
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
