"""Small synthetic outputs for the UI tests and screenshots, from the demo scene's truth.

Writes (under ``folder``): ``timeseries.h5`` (vertical truth, metres), ``velocity.tif``
(mm/yr), ``classes.tif`` (paper 002 classes 1..4), ``ps_points.gpkg`` (every 3rd pixel:
``DYYYYMMDD`` mm, ``VEL`` mm/yr, and a 3-date forecast ``F``/``FLO``/``FHI``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from insar_subsidence.core.io.point_layers import PointSeries, write_points


def write_synthetic_outputs(folder: Path, size: int = 64, n_dates: int = 30) -> dict:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scene = make_scene(seed=7, size=size, n_acquisitions=n_dates)
    cube = scene.vertical_displacement().astype(np.float32)  # m
    velocity = (scene.vertical_velocity() * 1000).astype(np.float32)  # mm/yr
    grid = scene.grid
    paths = {
        "timeseries": write_timeseries(
            folder / "timeseries.h5", TimeSeries(scene.dates, cube, grid, {})
        ),
        "velocity": write_geotiff(folder / "velocity.tif", velocity, grid, units="mm/yr"),
    }
    classes = np.digitize(velocity, [-40, -10, 10]).astype(np.uint8) + 1
    paths["classes"] = write_geotiff(folder / "classes.tif", classes, grid, nodata=0)
    rows, cols = np.mgrid[0 : grid.length : 3, 0 : grid.width : 3]
    rows, cols = rows.ravel(), cols.ravel()
    x, y = grid.xy(rows, cols)
    series_mm = cube[:, rows, cols].T.astype(float) * 1000
    last = scene.dates[-1]
    fields = {"VEL": velocity[rows, cols].astype(float)}
    rate = velocity[rows, cols].astype(float)
    for k in (1, 2, 3):
        day = last + dt.timedelta(days=12 * k)
        tag = day.strftime("%Y%m%d")
        centre = series_mm[:, -1] + rate * 12 * k / 365.25
        fields[f"F{tag}"] = centre
        fields[f"FLO{tag}"] = centre - 2.0 * k
        fields[f"FHI{tag}"] = centre + 2.0 * k
    paths["points"] = write_points(
        folder / "ps_points.gpkg", PointSeries(x, y, grid.epsg, scene.dates, series_mm, fields)
    )
    paths["scene"] = scene
    paths["cube"] = cube
    paths["rows_cols"] = (rows, cols)
    return paths
