"""Demo scene extension: GACOS zenith total delays for every acquisition.

Written under ``folder/gacos/``: ``YYYYMMDD.ztd`` (little-endian float32, metres) with
``YYYYMMDD.ztd.rsc`` on a WGS 84 grid of 3 arc-seconds (~90 m, GACOS's native spacing) that
covers the scene with a margin, as GACOS delivers them.

The delay is the one the HyP3 products carry (:mod:`..hyp3` draws per-date turbulence and a
stratified term with :func:`..hyp3.tropospheric_delay`, re-drawn here identically) mapped to the
zenith (``* cos(incidence)``), plus a static height-dependent total (~2.3 m, cancels between dates)
and a GACOS model error of 30 % of the turbulence, so that the correction helps but is not
perfect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ...atomic import atomic_outputs
from ...crs import transform_xy
from ...progress import ProgressCallback, report
from .. import hyp3 as demo_hyp3
from ..scene import DemoScene

ORDER = 50
STEP_DEGREES = 3.0 / 3600.0
MODEL_ERROR = 0.3  # GACOS error, as a share of the turbulence std
SCALE_HEIGHT = 7000.0  # m, of the static zenith total delay


def los_delay(scene: DemoScene) -> np.ndarray:
    """(n, L, W) LOS tropospheric delay (m) exactly as the HyP3 products carry it."""
    return demo_hyp3.tropospheric_delay(scene, np.random.default_rng([scene.seed, 3]))


def _lonlat_grid(scene: DemoScene):
    """(x_first, y_first, width, length) of a 3" WGS 84 grid covering the scene + 3 cells,
    and the scene's fractional (row, col) of every cell centre."""
    grid = scene.grid
    xmin, ymin, xmax, ymax = grid.extent
    lon, lat = transform_xy([xmin, xmin, xmax, xmax], [ymin, ymax, ymin, ymax], grid.epsg, 4326)
    x_first = np.floor(min(lon) / STEP_DEGREES) * STEP_DEGREES - 3 * STEP_DEGREES
    y_first = np.ceil(max(lat) / STEP_DEGREES) * STEP_DEGREES + 3 * STEP_DEGREES
    width = int(np.ceil((max(lon) - x_first) / STEP_DEGREES)) + 3
    length = int(np.ceil((y_first - min(lat)) / STEP_DEGREES)) + 3
    lons = x_first + (np.arange(width) + 0.5) * STEP_DEGREES
    lats = y_first - (np.arange(length) + 0.5) * STEP_DEGREES
    lon2, lat2 = np.meshgrid(lons, lats)
    x, y = transform_xy(lon2, lat2, 4326, grid.epsg)
    rows = (y - grid.y_first) / grid.y_step - 0.5
    cols = (x - grid.x_first) / grid.x_step - 0.5
    return (x_first, y_first, width, length), rows, cols


def write(
    scene: DemoScene, folder: Path, rng: np.random.Generator, progress: ProgressCallback
) -> Dict[str, Path]:
    from scipy.ndimage import map_coordinates

    out = Path(folder) / "gacos"
    out.mkdir(parents=True, exist_ok=True)
    zenith = los_delay(scene) * np.cos(np.deg2rad(scene.incidence))[None]
    error = demo_hyp3._power_law_fields(
        rng,
        len(scene.dates),
        scene.grid.shape,
        abs(scene.grid.x_step),
        MODEL_ERROR * demo_hyp3.TURBULENCE_STD,
    )
    static = 2.3 * np.exp(-scene.height / SCALE_HEIGHT)
    (x_first, y_first, width, length), rows, cols = _lonlat_grid(scene)
    header = (
        f"WIDTH {width}\nFILE_LENGTH {length}\nX_FIRST {x_first:.10f}\n"
        f"Y_FIRST {y_first:.10f}\nX_STEP {STEP_DEGREES:.10f}\nY_STEP {-STEP_DEGREES:.10f}\n"
        "X_UNIT degrees\nY_UNIT degrees\nZ_OFFSET 0\nZ_SCALE 1\nPROJECTION LATLON\n"
    )
    for k, date in enumerate(scene.dates):
        field = static + zenith[k] + error[k]
        ztd = map_coordinates(field, [rows, cols], order=1, mode="nearest").astype("<f4")
        stem = out / date.strftime("%Y%m%d")
        with atomic_outputs(f"{stem}.ztd", f"{stem}.ztd.rsc") as (data, rsc):
            ztd.tofile(data)
            rsc.write_text(header)
        report(progress, (k + 1) / len(scene.dates), f"GACOS delay {date:%Y%m%d}")
    return {"gacos": out}
