"""Evaluate every forecasting model and baseline on real EGMS series (tests/data/forecast) and,
when present, on demo-scene series; print the full metrics table (mean over points).

    .venv/bin/python benchmarks/forecast_evaluation.py [--demo demo_output] [--points 5]

Opt-in (minutes on 2 cores); not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]  # profile.py
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.io.point_layers import read_points  # noqa: E402
from insar_subsidence.core.prediction.evaluation import (  # noqa: E402
    ForecastOptions,
    compare_models,
    fill_gaps,
    point_names,
)
from insar_subsidence.core.prediction.hybrids import ForecastModel  # noqa: E402


def demo_series(demo: Path, n_points: int, seed: int):
    """Series at n_points bowl-centre pixels of the demo: SBAS result if present, else truth
    plus 2 mm white noise."""
    import csv

    from insar_subsidence.core.io.mintpy import read_timeseries
    from insar_subsidence.core.prediction.evaluation import sample_timeseries

    truth = demo / "scene" / "truth" / "truth_timeseries.h5"
    sbas = demo / "sbas" / "timeseries.h5"
    grid = read_timeseries(truth).grid
    with open(demo / "scene" / "truth" / "bowls.csv") as f:
        bowls = list(csv.DictReader(f))
    keys = bowls[0].keys()
    xk = next(k for k in keys if k.lower() in ("x", "x_m", "easting", "centre_x", "center_x"))
    yk = next(k for k in keys if k.lower() in ("y", "y_m", "northing", "centre_y", "center_y"))
    xs = np.array([float(b[xk]) for b in bowls])[:n_points]
    ys = np.array([float(b[yk]) for b in bowls])[:n_points]
    source = sbas if sbas.exists() else truth
    points = sample_timeseries(source, xs, ys, grid.epsg)
    if source == truth:
        rng = np.random.default_rng(seed)
        points.displacement_mm = points.displacement_mm + rng.normal(
            0, 2.0, points.displacement_mm.shape
        )
    return points, source


def evaluate(label: str, points, options: ForecastOptions, models) -> None:
    y, usable = fill_gaps(points.dates, points.displacement_mm)
    y = y[usable]
    names = [n for n, ok in zip(point_names(points), usable, strict=True) if ok]
    print(
        f"\n## {label}: {len(y)} points x {len(points.dates)} dates, test fraction "
        f"{options.test_fraction}"
    )
    print(f"{'model':32s} {'split':5s} {'RMSE mm':>8s} {'MAE mm':>8s} {'MAPE %':>8s} {'s':>7s}")
    per_point = {}
    for model in models:
        started = time.time()
        result = compare_models(points.dates, y, [model], options, names)
        seconds = time.time() - started
        for split in ("train", "test"):
            rows = [r for r in result.rows if r["split"] == split]
            per_point[(model, split)] = rows
            print(
                f"{model:32s} {split:5s} {np.nanmean([r['rmse'] for r in rows]):8.3f} "
                f"{np.nanmean([r['mae'] for r in rows]):8.3f} "
                f"{np.nanmean([r['mape'] for r in rows]):8.1f} {seconds:7.1f}",
                flush=True,
            )
    print("\nper-point test RMSE (mm):")
    print(f"{'model':32s} " + " ".join(f"{n[-8:]:>9s}" for n in names))
    for model in models:
        print(f"{model:32s} " + " ".join(f"{r['rmse']:9.3f}" for r in per_point[(model, "test")]))


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, default=ROOT / "demo_output")
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(ForecastModel.values()))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--absolute", action="store_true", help="networks on raw levels (the papers' setting)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    options = ForecastOptions()
    if args.absolute:
        from dataclasses import replace

        options = replace(
            options,
            model=replace(options.model, network=replace(options.model.network, relative=False)),
        )
    egms = read_points(ROOT / "tests" / "data" / "forecast" / "egms_l2b_5points.gpkg")
    evaluate("EGMS L2b (Ustica), real", egms, options, args.models)
    if (args.demo / "scene" / "truth" / "truth_timeseries.h5").exists():
        points, source = demo_series(args.demo, args.points, 0)
        evaluate(f"demo scene ({source.relative_to(args.demo)})", points, options, args.models)


if __name__ == "__main__":
    main()
