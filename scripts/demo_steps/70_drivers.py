"""Why the ground moves: land use, zonal and mining statistics, bowls, rain/GRACE lags.

Runs on the SBAS velocity and time series when they exist, else on the scene truth; scores
the detected bowls against the scene's true bowls (drivers/bowls_vs_truth.csv).
"""

import csv
from pathlib import Path

import numpy as np


def _first(*paths):
    return next((Path(p) for p in paths if Path(p).exists()), None)


def run(ctx):
    scene = ctx.output / "scene"
    landuse = scene / "landuse"
    out = ctx.folder("drivers")
    # the SBAS results once steps 30-39 have run; the scene truth until then
    velocity = _first(
        ctx.output / "sbas" / "velocity_vertical.tif",
        scene / "truth" / "truth_velocity_vertical.tif",
    )
    timeseries = _first(
        ctx.output / "sbas" / "timeseries.h5", scene / "truth" / "truth_timeseries.h5"
    )
    ctx.results["drivers: velocity used"] = str(velocity)

    ctx.run(
        "landusetransition",
        {
            "INPUT_BEFORE": str(landuse / "landuse_2019.tif"),
            "INPUT_AFTER": str(landuse / "landuse_2021.tif"),
            "CLASS_NAMES": str(landuse / "class_names.csv"),
            "VELOCITY": str(velocity),
            "OUTPUT_TABLE": str(out / "landuse_matrix.csv"),
            "OUTPUT_SUMMARY": str(out / "landuse_summary.csv"),
            "OUTPUT_RATES": str(out / "landuse_rates.csv"),
            "OUTPUT_PLOT": str(out / "landuse_sankey.png"),
        },
    )
    zonal = ctx.run(
        "zonalstats",
        {
            "INPUT": str(landuse / "counties.gpkg"),
            "VELOCITY": str(velocity),
            "THRESHOLD": -10,
            "MINING": str(landuse / "mining.gpkg"),
            "OUTPUT": str(out / "zonal_counties.gpkg"),
            "OUTPUT_MINING_TABLE": str(out / "mining_consistency.csv"),
        },
    )
    ctx.results["drivers: mining enrichment ratio"] = round(zonal["ENRICHMENT_RATIO"], 2)
    ctx.run(
        "zonalstats",
        {
            "INPUT": str(landuse / "mining.gpkg"),
            "VELOCITY": str(velocity),
            "THRESHOLD": -10,
            "OUTPUT": str(out / "zonal_concessions.gpkg"),
        },
    )
    bowls = ctx.run(
        "detectbowls",
        {
            "INPUT": str(velocity),
            "THRESHOLD": -10,
            "MIN_AREA": 0.05,
            "MINING": str(landuse / "mining.gpkg"),
            "OUTPUT": str(out / "bowls.gpkg"),
        },
    )
    ctx.results["drivers: bowls found"] = bowls["BOWL_COUNT"]
    _score_bowls(ctx, out / "bowls.gpkg", scene, out / "bowls_vs_truth.csv")

    ctx.run(
        "correlatedrivers",
        {
            "INPUT": str(timeseries),
            "REGION": str(landuse / "groundwater_basin.gpkg"),
            "SERIES": [str(landuse / "rainfall.csv"), str(landuse / "grace.csv")],
            "MIN_LAG": 0,
            "MAX_LAG": 6,
            "OUTPUT_TABLE": str(out / "drivers_correlation.csv"),
            "OUTPUT_LAGS": str(out / "drivers_correlation_lags.csv"),
            "OUTPUT_PLOT": str(out / "drivers_correlation.png"),
        },
    )
    with open(out / "drivers_correlation.csv") as f:
        for row in csv.DictReader(f):
            ctx.results[f"drivers: best lag {row['driver']} (months)"] = (
                f"{row['best_lag_months']} (r={row['r']}, p={row['p_value']})"
            )


def _score_bowls(ctx, bowls_path, scene_folder, table_path):
    """Match each true bowl of the scene to the detected bowl whose polygon holds or is
    nearest to its centre, and compare peak rates with the truth velocity."""
    from osgeo import ogr

    from insar_subsidence.core.demo.scene import make_scene
    from insar_subsidence.core.io.geotiff import read_raster

    truth, grid = read_raster(scene_folder / "truth" / "truth_velocity_vertical.tif")
    scene = make_scene(seed=ctx.seed, size=grid.width)
    ds = ogr.Open(str(bowls_path))
    detected = [
        (f.GetField("bowl_id"), f.GetField("peak"), f.GetGeometryRef().Clone())
        for f in ds.GetLayer(0)
    ]
    rows = []
    matched = set()
    for bowl in scene.bowls:
        centre = ogr.CreateGeometryFromWkt(f"POINT ({bowl.x} {bowl.y})")
        distances = [geometry.Distance(centre) for _, _, geometry in detected]
        distance = np.hypot(*np.meshgrid(scene.x - bowl.x, scene.y - bowl.y))
        near = distance < 2 * bowl.radius * bowl.elongation
        true_peak = float(np.nanmin(np.where(near, truth, np.nan)))
        if distances and min(distances) < bowl.radius:
            k = int(np.argmin(distances))
            matched.add(detected[k][0])
            rows.append(
                [
                    bowl.name,
                    detected[k][0],
                    f"{true_peak:.1f}",
                    f"{detected[k][1]:.1f}",
                    f"{detected[k][1] - true_peak:+.1f}",
                ]
            )
        else:
            rows.append([bowl.name, "", f"{true_peak:.1f}", "", ""])
    with open(table_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "true bowl",
                "detected bowl_id",
                "true peak (mm/yr)",
                "detected peak (mm/yr)",
                "difference (mm/yr)",
            ]
        )
        writer.writerows(rows)
    found = sum(1 for row in rows if row[1] != "")
    ctx.results["drivers: true bowls found"] = f"{found} of {len(scene.bowls)}"
    ctx.results["drivers: detections not a mining bowl"] = len(detected) - len(matched)
