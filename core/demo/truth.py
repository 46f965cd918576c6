"""Write the demo scene's truth: what every later step is scored against.

* ``truth_velocity_vertical.tif`` and ``truth_velocity_los.tif``: mean velocity, mm/yr
  (LOS positive toward the satellite; subsidence negative in both);
* ``truth_timeseries.h5``: LOS displacement (n, L, W) in metres, MintPy ``timeseries`` layout;
* ``bowls.csv``: the mining bowls (centre, size, rate, onset, stop, migration);
* ``dem.tif``: true terrain height (m); ``dem_error.tif``: true height minus the DEM in the
  HyP3 products (m). It enters the products' LOS displacement (positive toward the satellite)
  as ``bperp * dem_error / (slant_range * sin(incidence))``, MintPy's DEM-error model.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict

import numpy as np

from ..atomic import atomic_output
from ..conventions import SENTINEL1_WAVELENGTH
from ..io.geotiff import write_geotiff
from ..io.mintpy import TimeSeries, write_timeseries
from .scene import DemoScene


def write_truth(scene: DemoScene, folder: Path) -> Dict[str, Path]:
    """Write the truth files into ``folder``; return their paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from .hyp3 import dem_error

    grid = scene.grid
    vertical = scene.vertical_displacement()
    years = scene.years()
    design = np.column_stack([years, np.ones_like(years)])
    coef, *_ = np.linalg.lstsq(design, vertical.reshape(len(years), -1), rcond=None)
    velocity = coef[0].reshape(grid.shape)
    los_factor = scene.los_factor()
    out = {
        "truth_velocity_vertical": write_geotiff(
            folder / "truth_velocity_vertical.tif",
            (velocity * 1000).astype(np.float32),
            grid,
            ["vertical velocity (mm/yr)"],
            units="mm/yr",
        ),
        "truth_velocity_los": write_geotiff(
            folder / "truth_velocity_los.tif",
            (velocity * los_factor * 1000).astype(np.float32),
            grid,
            ["LOS velocity (mm/yr)"],
            units="mm/yr",
        ),
        "truth_timeseries": write_timeseries(
            folder / "truth_timeseries.h5",
            TimeSeries(
                scene.dates,
                (vertical * los_factor[None]).astype(np.float32),
                grid,
                {"PROCESSOR": "demo-truth", "WAVELENGTH": repr(SENTINEL1_WAVELENGTH)},
                scene.bperp,
            ),
        ),
        "dem": write_geotiff(
            folder / "dem.tif", scene.height.astype(np.float32), grid, ["height (m)"], units="m"
        ),
        "dem_error": write_geotiff(
            folder / "dem_error.tif",
            dem_error(scene),
            grid,
            ["true height minus product DEM (m)"],
            units="m",
        ),
    }
    bowls_path = folder / "bowls.csv"
    with atomic_output(bowls_path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "name",
                    "x",
                    "y",
                    "epsg",
                    "radius_m",
                    "rate_mm_yr",
                    "onset",
                    "stop",
                    "acceleration_mm_yr2",
                    "migration_x_m_yr",
                    "migration_y_m_yr",
                    "elongation",
                ]
            )
            for bowl in scene.bowls:
                writer.writerow(
                    [
                        bowl.name,
                        f"{bowl.x:.1f}",
                        f"{bowl.y:.1f}",
                        grid.epsg,
                        f"{bowl.radius:.1f}",
                        f"{bowl.rate * 1000:.1f}",
                        f"{bowl.onset:%Y-%m-%d}",
                        f"{bowl.stop:%Y-%m-%d}" if bowl.stop else "",
                        f"{bowl.acceleration * 1000:.1f}",
                        f"{bowl.migration[0]:.1f}",
                        f"{bowl.migration[1]:.1f}",
                        f"{bowl.elongation:.2f}",
                    ]
                )
    out["bowls"] = bowls_path
    return out
