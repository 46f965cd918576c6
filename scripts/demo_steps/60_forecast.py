"""Forecasting: compare LSTM/GRU/VMD/SSA hybrids and baselines at bowl centres, forecast PS
points."""

from __future__ import annotations

import csv

import numpy as np

from insar_subsidence.core.io.point_layers import read_points, write_points
from insar_subsidence.core.prediction.evaluation import sample_timeseries


def _bowl_points(ctx, folder):
    """Five bowl-centre series: the SBAS result when it exists, else the truth + 2 mm noise."""
    truth = ctx.output / "scene" / "truth" / "truth_timeseries.h5"
    sbas = ctx.output / "sbas" / "timeseries.h5"
    with open(ctx.output / "scene" / "truth" / "bowls.csv") as f:
        bowls = list(csv.DictReader(f))[:5]
    xs = np.array([float(b["x"]) for b in bowls])
    ys = np.array([float(b["y"]) for b in bowls])
    source = sbas if sbas.exists() else truth
    points = sample_timeseries(source, xs, ys, int(bowls[0]["epsg"]))
    if source == truth:
        rng = np.random.default_rng(ctx.seed)
        points.displacement_mm += rng.normal(0.0, 2.0, points.displacement_mm.shape)
    points.fields = {"name": np.array([b["name"].replace(" ", "_") for b in bowls])}
    path = folder / "bowl_centres.gpkg"
    write_points(path, points)
    return path, source


def _forecast_input(ctx, folder):
    """PS points when step 40 made them (at most 400 of them), else the bowl centres."""
    ps = ctx.output / "ps" / "ps_points.gpkg"
    if not ps.exists():
        return None
    points = read_points(ps)
    if len(points) > 400:
        keep = np.random.default_rng(ctx.seed).choice(len(points), 400, replace=False)
        points.x, points.y = points.x[keep], points.y[keep]
        points.displacement_mm = points.displacement_mm[keep]
        points.fields = {k: v[keep] for k, v in points.fields.items()}
    path = folder / "ps_subset.gpkg"
    write_points(path, points)
    return path


def run(ctx):
    folder = ctx.folder("forecast")
    centres, source = _bowl_points(ctx, folder)
    print(f"    series from {source.relative_to(ctx.output)}")
    result = ctx.run(
        "forecastcompare",
        {
            "INPUT": str(centres),
            "TEST_FRACTION": 0.2,
            "HORIZON": 8,
            "SEED": ctx.seed,
            "EPOCHS": 40,
            "VMD_MODES": 4,
            "SPARROW_POPULATION": 3,
            "SPARROW_ITERATIONS": 1,
            "OUTPUT_TABLE": str(folder / "metrics.csv"),
            "OUTPUT_FOLDER": str(folder / "charts"),
        },
    )
    ctx.results["forecast metrics"] = result["OUTPUT_TABLE"]
    points = _forecast_input(ctx, folder) or centres
    result = ctx.run(
        "forecast",
        {
            "INPUT": str(points),
            "MODEL": "gru",
            "HORIZON": 8,
            "SEED": ctx.seed,
            "EPOCHS": 60,
            "ENSEMBLE": 3,
            "OUTPUT": str(folder / "forecast_points.gpkg"),
        },
    )
    ctx.results["forecast points (GRU, FYYYYMMDD/FLO/FHI)"] = result["OUTPUT"]
