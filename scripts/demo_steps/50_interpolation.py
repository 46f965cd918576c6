"""Continuous velocity surfaces from sparse PS-like points: terrain indices, driving forces,
kriging/IDW/RBF vs CNN on random and spatial-block splits."""

import csv
from pathlib import Path

import numpy as np

# small CNN so the step takes a few minutes on 2 CPU cores (the paper's network is the default
# of the algorithms; here: 16-cell patches, 8/16/32 channels, dense 256-128)
DEMO_CNN = {
    "PATCH_SIZE": 16,
    "EPOCHS": 20,
    "PATIENCE": 5,
    "CONV_WIDTH": 8,
    "DENSE": "small",
    "LEARNING_RATE": 1e-3,
}


def _drivers_folder(ctx) -> Path:
    folder = ctx.output / "scene" / "drivers"
    if not (folder / "ps_like.gpkg").exists():  # step run on its own: write the scene's drivers
        from insar_subsidence.core.demo.extensions import drivers
        from insar_subsidence.core.demo.scene import make_scene

        drivers.write(
            make_scene(seed=ctx.seed), ctx.output / "scene", np.random.default_rng(ctx.seed)
        )
    return folder


def _truth_rmse(ctx, raster: str) -> float:
    from insar_subsidence.core.demo.scene import make_scene
    from insar_subsidence.core.io.geotiff import read_raster

    scene = make_scene(seed=ctx.seed)
    truth = scene.vertical_velocity() * 1000.0
    surface, grid = read_raster(raster)
    rows, cols = np.indices(grid.shape)
    tr, tc = scene.grid.rowcol(*grid.xy(rows, cols))
    ok = (
        scene.grid.contains(tr, tc)
        & np.isfinite(surface)
        & ~scene.water[np.clip(tr, 0, scene.grid.length - 1), np.clip(tc, 0, scene.grid.width - 1)]
    )
    return float(np.sqrt(np.mean((surface[ok] - truth[tr[ok], tc[ok]]) ** 2)))


def run(ctx):
    src = _drivers_folder(ctx)
    out = ctx.folder("interpolation")
    terrain = {
        name: str(out / "terrain" / f"{name.split('_')[1].lower()}.tif")
        for name in ("OUTPUT_SLOPE", "OUTPUT_ASPECT", "OUTPUT_FLOWACC", "OUTPUT_SPI", "OUTPUT_TWI")
    }
    (out / "terrain").mkdir(exist_ok=True)
    ctx.run("terrainindices", {"INPUT": str(src / "dem.tif"), "FLOW_METHOD": "Dinf", **terrain})
    stack = ctx.run(
        "drivingforces",
        {
            "DEM": str(src / "dem.tif"),
            "RED": str(src / "reflectance.tif"),
            "RED_BAND": 1,
            "NIR": str(src / "reflectance.tif"),
            "NIR_BAND": 2,
            "LANDUSE": str(src / "landuse.tif"),
            "WATER_TABLE": str(src / "water_table.tif"),
            "WELLS": str(src / "wells.gpkg"),
            "OUTPUT": str(out / "driving_forces.tif"),
        },
    )["OUTPUT"]
    points = str(src / "ps_like.gpkg")
    table = ctx.run(
        "compareinterpolators",
        {
            "INPUT": points,
            "FIELD": "VEL",
            "DRIVERS": stack,
            "SPLIT": "both",
            "FOLDS": 3,
            "SEED": ctx.seed,
            **DEMO_CNN,
            "OUTPUT_TABLE": str(out / "comparison.csv"),
            "OUTPUT_FOLDER": str(out / "comparison"),
        },
    )["OUTPUT_TABLE"]
    kriging = ctx.run(
        "interpolate",
        {
            "INPUT": points,
            "FIELD": "VEL",
            "METHOD": "kriging",
            "CELL_SIZE": 80.0,
            "OUTPUT": str(out / "velocity_kriging.tif"),
            "OUTPUT_VARIANCE": str(out / "velocity_kriging_variance.tif"),
        },
    )["OUTPUT"]
    cnn = ctx.run(
        "interpolatecnn",
        {
            "INPUT": points,
            "FIELD": "VEL",
            "DRIVERS": stack,
            **DEMO_CNN,
            "OUTPUT_MODEL": str(out / "cnn_model.pt"),
            "OUTPUT_METRICS": str(out / "cnn_metrics.csv"),
            "OUTPUT_ERRORS": str(out / "cnn_errors.gpkg"),
            "OUTPUT": str(out / "velocity_cnn.tif"),
        },
    )["OUTPUT"]
    with open(table) as handle:
        for row in csv.DictReader(handle):
            ctx.results[f"interpolation {row['method']} {row['split']} CV RMSE (mm/yr)"] = row[
                "rmse"
            ]
    ctx.results["interpolation kriging surface RMSE vs truth (mm/yr)"] = (
        f"{_truth_rmse(ctx, kriging):.2f}"
    )
    ctx.results["interpolation CNN surface RMSE vs truth (mm/yr)"] = f"{_truth_rmse(ctx, cnn):.2f}"
    ctx.results["interpolation comparison"] = table
