"""Driving-force inputs and sparse PS-like points of the demo scene (under ``drivers/``).

* ``dem.tif``: the scene terrain (m);
* ``reflectance.tif`` (band 1 red, band 2 NIR) and ``ndvi.tif``: high NDVI on vegetation,
  low on water, bare mining ground and built-up areas;
* ``landuse.tif`` (codes in :data:`LANDUSE_CODES`): water and vegetation from the scene masks,
  mining around the bowls, built-up patches, cropland elsewhere;
* ``wells.gpkg``: pumping wells, dense in the groundwater basin;
* ``water_table.tif``: depth to the water table (m), deepest where the basin subsides;
* ``ps_like.gpkg``: a few thousand points with ``VEL`` = truth vertical velocity (mm/yr) plus
  noise and ``VEL_TRUE`` (noise-free), dense on built-up and bare ground, rare on vegetation,
  none on water (the usual PS distribution).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ...io.geotiff import write_geotiff
from ...io.point_layers import PointSeries, write_points
from ...progress import ProgressCallback, report, silent
from ..scene import DemoScene

ORDER = 30
LANDUSE_CODES = {1: "built-up", 2: "cropland", 3: "vegetation", 4: "water", 5: "mining"}
PS_DENSITY = {1: 1.0, 2: 0.35, 3: 0.03, 4: 0.0, 5: 0.5}  # relative, per land-use code
N_PS = 3000
N_WELLS = 120
VEL_NOISE_MM = 1.0


def _landuse(scene: DemoScene, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    landuse = np.full(scene.grid.shape, 2, dtype=np.uint8)
    towns = gaussian_filter(rng.normal(size=scene.grid.shape), sigma=max(2, scene.grid.width / 30))
    landuse[towns > np.percentile(towns, 85)] = 1
    for source in scene.bowls:
        landuse[scene.footprint(source, scene.dates[-1]) > 0.35] = 5
    landuse[scene.vegetation] = 3
    landuse[scene.water] = 4
    return landuse


def _ps_points(
    scene: DemoScene, landuse: np.ndarray, velocity_mm: np.ndarray, rng: np.random.Generator
) -> PointSeries:
    density = np.vectorize(PS_DENSITY.get)(landuse).astype(np.float64).ravel()
    n = min(N_PS, int((density > 0).sum()))
    cells = rng.choice(density.size, n, replace=False, p=density / density.sum())
    rows, cols = np.unravel_index(cells, scene.grid.shape)
    # a random position inside the cell, so points are not on cell centres
    x, y = scene.grid.xy(rows + rng.uniform(-0.5, 0.5, n), cols + rng.uniform(-0.5, 0.5, n))
    truth = velocity_mm[rows, cols]
    fields = {
        "VEL": truth + rng.normal(0.0, VEL_NOISE_MM, n),
        "VEL_TRUE": truth,
        "LANDUSE": landuse[rows, cols].astype(np.int64),
    }
    return PointSeries(x, y, scene.grid.epsg, [], np.zeros((n, 0)), fields)


def write(
    scene: DemoScene, folder: Path, rng: np.random.Generator, progress: ProgressCallback = silent
) -> Dict[str, Path]:
    from scipy.ndimage import gaussian_filter

    out = Path(folder) / "drivers"
    grid = scene.grid
    velocity_mm = scene.vertical_velocity() * 1000.0
    report(progress, 0.3, "Driving forces: land use and NDVI")
    landuse = _landuse(scene, rng)
    base_ndvi = {1: 0.15, 2: 0.45, 3: 0.75, 4: -0.3, 5: 0.08}
    ndvi = np.vectorize(base_ndvi.get)(landuse).astype(np.float64)
    ndvi = np.clip(ndvi + 0.05 * gaussian_filter(rng.normal(size=grid.shape), 1.5) * 3, -0.5, 0.95)
    nir = np.clip(0.30 + 0.15 * ndvi, 0.02, 1.0)
    red = nir * (1 - ndvi) / (1 + ndvi)
    wells_weight = (0.05 + scene.groundwater).ravel()
    cells = rng.choice(
        wells_weight.size, N_WELLS, replace=False, p=wells_weight / wells_weight.sum()
    )
    wr, wc = np.unravel_index(cells, grid.shape)
    wx, wy = grid.xy(wr, wc)
    depth = (
        15.0 + 45.0 * scene.groundwater + 3.0 * gaussian_filter(rng.normal(size=grid.shape), 4) * 3
    )
    wells = PointSeries(
        wx,
        wy,
        grid.epsg,
        [],
        np.zeros((N_WELLS, 0)),
        {"WELL_ID": np.arange(1, N_WELLS + 1, dtype=np.int64), "DEPTH_M": depth[wr, wc]},
    )
    report(progress, 0.6, "Driving forces: writing")
    written = {
        "drivers_dem": write_geotiff(
            out / "dem.tif", scene.height.astype(np.float32), grid, ["altitude"], units="m"
        ),
        "drivers_reflectance": write_geotiff(
            out / "reflectance.tif", np.stack([red, nir]).astype(np.float32), grid, ["red", "nir"]
        ),
        "drivers_ndvi": write_geotiff(out / "ndvi.tif", ndvi.astype(np.float32), grid, ["ndvi"]),
        "drivers_landuse": write_geotiff(
            out / "landuse.tif",
            landuse,
            grid,
            ["landuse"],
            nodata=0,
            metadata={f"CODE_{k}": v for k, v in LANDUSE_CODES.items()},
        ),
        "drivers_water_table": write_geotiff(
            out / "water_table.tif",
            depth.astype(np.float32),
            grid,
            ["water_table_depth"],
            units="m",
        ),
        "drivers_wells": write_points(out / "wells.gpkg", wells, "wells"),
        "drivers_ps_like": write_points(
            out / "ps_like.gpkg", _ps_points(scene, landuse, velocity_mm, rng), "ps_like"
        ),
    }
    report(progress, 1.0, "Driving forces written")
    return written
