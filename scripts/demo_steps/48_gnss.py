"""GNSS as a check and as a tie: import the demo stations, compare them with the descending
track and the decomposed vertical, tie the descending points to them, and score the tie against
the absolute truth.

The InSAR products are relative to one reference pixel; GNSS and the truth are absolute. The
tie (a plane through the five stations) should bring the descending LOS rates onto the truth:
gnss/tie_vs_truth.csv gives the RMSE against the truth LOS velocity before and after.
"""

from __future__ import annotations

import csv

import numpy as np

from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.point_layers import read_points

#: m: the product's pixels (80 m) within this distance are averaged for a station
RADIUS = 120


def _rms(values) -> float:
    return float(np.sqrt(np.nanmean(np.square(values))))


def run(ctx):
    folder = ctx.folder("gnss")
    stations = sorted((ctx.output / "scene" / "gnss").glob("*.tenv3"))
    if not stations:
        raise FileNotFoundError("scene/gnss holds no .tenv3 file: run the scene step first.")
    gnss = ctx.run(
        "importgnss", {"INPUT": [str(p) for p in stations], "OUTPUT": str(folder / "gnss.gpkg")}
    )["OUTPUT"]
    descending = ctx.output / "two_tracks" / "descending_points.gpkg"
    compared = ctx.run(
        "gnsscompare",
        {
            "INPUT": str(descending),
            "LOS": str(ctx.output / "stack" / "geometryGeo.h5"),
            "GNSS": gnss,
            "RADIUS": RADIUS,
            "OUTPUT_TABLE": str(folder / "compare_descending.csv"),
            "OUTPUT_FOLDER": str(folder / "charts"),
        },
    )
    vertical = ctx.run(
        "gnsscompare",
        {
            "INPUT": str(ctx.output / "two_tracks" / "decomposed_vertical.gpkg"),
            "LOS": "vertical",
            "GNSS": gnss,
            "RADIUS": RADIUS,
            "OUTPUT_TABLE": str(folder / "compare_decomposed_vertical.csv"),
        },
    )
    tied = ctx.run(
        "gnsstie",
        {
            "INPUT": str(descending),
            "LOS": str(ctx.output / "stack" / "geometryGeo.h5"),
            "GNSS": gnss,
            "RADIUS": RADIUS,
            "MODEL": "plane",
            "OUTPUT": str(folder / "descending_tied.gpkg"),
            "OUTPUT_RESIDUALS": str(folder / "tie_residuals.csv"),
        },
    )
    truth, grid = read_raster(ctx.output / "scene" / "truth" / "truth_velocity_los.tif")
    rows = []
    for name, path in (("before the tie", descending), ("after the tie", tied["OUTPUT"])):
        points = read_points(path)
        r, c = grid.rowcol(points.x, points.y)
        error = points.fields["VEL"] - truth[r, c]
        rows.append((name, float(np.nanmean(error)), _rms(error), len(error)))
    with open(folder / "tie_vs_truth.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["descending LOS rate vs absolute truth", "mean_mm_yr", "rmse_mm_yr", "n"])
        writer.writerows([(n, f"{m:.2f}", f"{r:.2f}", k) for n, m, r, k in rows])
    results = {
        "GNSS vs descending: bias (mm/yr)": compared["BIAS"],
        "GNSS vs descending: rate RMS (mm/yr)": compared["RATE_RMS"],
        "GNSS vs descending: series RMSE (mm)": compared["SERIES_RMSE"],
        "GNSS vs decomposed vertical: bias (mm/yr)": vertical["BIAS"],
        "GNSS vs decomposed vertical: rate RMS (mm/yr)": vertical["RATE_RMS"],
    }
    for name, mean, rmse, _ in rows:
        results[f"descending vs absolute truth {name}: mean, RMSE (mm/yr)"] = (
            f"{mean:.2f}, {rmse:.2f}"
        )
    for key, value in results.items():
        ctx.results[key] = round(value, 2) if isinstance(value, float) else value
        print(f"    {key}: {ctx.results[key]}", flush=True)
