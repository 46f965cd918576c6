"""Demo scene extension: land use at two dates, mining concessions, counties, the groundwater
basin outline and monthly rainfall / GRACE water-storage series, all drawn from the scene truth.

Written under ``folder/landuse/``:

* ``landuse_2019.tif``, ``landuse_2021.tif``: uint8 classes on a grid twice as fine as the
  scene (as 30 m land cover is finer than InSAR), 0 = no data; ``class_names.csv``.
  Mining/industrial land spreads over cropland around the bowls between the dates (the bowls
  that start later gain their pits by 2021), the town around the groundwater basin grows and
  some cropland and bare land is afforested.
* ``mining.gpkg``: one concession around each bowl plus one idle concession that does not
  subside; ``counties.gpkg``: three counties covering the scene;
  ``groundwater_basin.gpkg``: where the basin weight exceeds one half.
* ``rainfall.csv`` (monthly mm) and ``grace.csv`` (monthly TWS, cm): their annual cycles peak
  2 and 1 months before the basin's seasonal uplift (paper 001: displacement follows rainfall by
  about two months); GRACE also declines by 1.2 cm/yr (groundwater depletion).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ...conventions import DAYS_PER_YEAR, years_since
from ...io.geotiff import write_geotiff
from ...io.vector import write_polygons
from ...progress import ProgressCallback, report
from ..scene import DemoScene

ORDER = 40
CLASSES = {1: "cropland", 2: "forest", 3: "built-up", 4: "water", 5: "mining/industrial", 6: "bare"}
CROP, FOREST, BUILT, WATER, MINING, BARE = 1, 2, 3, 4, 5, 6
#: months by which the basin's seasonal displacement follows each series
RAINFALL_LAG_MONTHS = 2
GRACE_LAG_MONTHS = 1
GRACE_TREND_CM_PER_YEAR = -1.2


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int], sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.normal(size=shape), sigma=sigma)
    return (field - field.mean()) / (field.std() + 1e-12)


def _mining_footprint(scene: DemoScene, on: dt.date) -> np.ndarray:
    """0..1: how strongly each pixel lies under what the mines have extracted by ``on``."""
    footprint = np.zeros(scene.grid.shape)
    for source in scene.bowls:
        footprint = np.maximum(footprint, scene.footprint(source, on))
    return footprint


def land_use(scene: DemoScene, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """(2019, 2021) class arrays on the scene grid."""
    length, width = scene.grid.shape
    yy, xx = (np.mgrid[0:length, 0:width] + 0.5) / np.array([length, width])[:, None, None]
    before = np.full(scene.grid.shape, CROP, dtype=np.uint8)
    before[scene.height > np.percentile(scene.height, 93)] = BARE
    before[scene.vegetation] = FOREST
    town = ((xx - 0.80) / 0.07) ** 2 + ((yy - 0.80) / 0.05) ** 2
    before[town < 1] = BUILT
    idle = (np.abs(xx - 0.88) < 0.03) & (np.abs(yy - 0.12) < 0.03)
    before[idle] = MINING
    before[_mining_footprint(scene, dt.date(2019, 6, 30)) > 0.3] = MINING

    after = before.copy()
    grow = _smooth_noise(rng, scene.grid.shape, max(2.0, width / 40))
    after[(before == CROP) & (town < 1.5**2) & (grow > -0.5)] = BUILT
    afforest = _smooth_noise(rng, scene.grid.shape, max(2.0, width / 30)) > 1.3
    after[afforest & np.isin(before, (CROP, BARE))] = FOREST
    mined = _mining_footprint(scene, dt.date(2021, 6, 30)) > 0.02  # the basin to its edge
    after[mined & np.isin(before, (CROP, BARE, FOREST))] = MINING
    before[scene.water] = WATER
    after[scene.water] = WATER
    return before, after


def _finer(array: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(array, factor, axis=0), factor, axis=1)


def _box(x0: float, y0: float, x1: float, y1: float) -> List[Tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def concessions(scene: DemoScene) -> List[Tuple[List, Dict]]:
    """A rectangle around the ground each mine affects, and one idle (stable) concession."""
    features = []
    end = scene.dates[-1]
    for source in scene.bowls:
        features.append(
            (_box(*source.affected_extent(end)), {"name": source.name, "status": "active"})
        )
    xmin, ymin, xmax, ymax = scene.grid.extent
    size = xmax - xmin
    features.append(
        (
            _box(xmin + 0.85 * size, ymax - 0.15 * size, xmin + 0.91 * size, ymax - 0.09 * size),
            {"name": "Idle concession", "status": "idle"},
        )
    )
    return features


def counties(scene: DemoScene) -> List[Tuple[List, Dict]]:
    xmin, ymin, xmax, ymax = scene.grid.extent
    size = xmax - xmin
    split_x, split_y = xmin + 0.45 * size, ymax - 0.52 * size
    return [
        (
            [(xmin, ymin), (split_x + 0.05 * size, ymin), (split_x, ymax), (xmin, ymax)],
            {"name": "West County"},
        ),
        (
            [(split_x, ymax), (split_x + 0.025 * size, split_y), (xmax, split_y), (xmax, ymax)],
            {"name": "North-East County"},
        ),
        (
            [
                (split_x + 0.025 * size, split_y),
                (split_x + 0.05 * size, ymin),
                (xmax, ymin),
                (xmax, split_y),
            ],
            {"name": "South-East County"},
        ),
    ]


def basin_outline(scene: DemoScene) -> List[Tuple[List, Dict]]:
    """The half-weight contour of the groundwater basin (an ellipse in scene fractions)."""
    xmin, ymin, xmax, ymax = scene.grid.extent
    size = xmax - xmin
    # weight = exp(-(dx/0.12)^2 - (dy/0.09)^2) = 0.5  ->  ellipse with semi-axes * sqrt(ln 2)
    scale = np.sqrt(np.log(2.0))
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ring = [
        (
            xmin + (0.80 + 0.12 * scale * np.cos(a)) * size,
            ymax - (0.80 + 0.09 * scale * np.sin(a)) * size,
        )
        for a in angles
    ]
    return [(ring, {"name": "Groundwater basin"})]


def monthly_dates(scene: DemoScene) -> List[dt.date]:
    first, last = scene.dates[0], scene.dates[-1]
    months = []
    year, month = first.year - 1, 1
    while (year, month) <= (last.year + 1, 12):
        months.append(dt.date(year, month, 15))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _year_fraction(dates: Sequence[dt.date]) -> np.ndarray:
    return np.array([(d.timetuple().tm_yday - 1) / DAYS_PER_YEAR for d in dates])


def water_series(scene: DemoScene, rng: np.random.Generator):
    """(dates, rainfall mm, TWS cm). The basin's seasonal displacement peaks at year fraction
    0.25 (scene truth: sin(2 pi f)); each series peaks its lag earlier."""
    dates = monthly_dates(scene)
    f = _year_fraction(dates)
    years = years_since(dates, scene.dates[0])
    rain_peak = 0.25 - RAINFALL_LAG_MONTHS / 12
    rainfall = 55 + 45 * np.cos(2 * np.pi * (f - rain_peak)) + rng.normal(0, 6, len(dates))
    grace_peak = 0.25 - GRACE_LAG_MONTHS / 12
    tws = (
        3.0 * np.cos(2 * np.pi * (f - grace_peak))
        + GRACE_TREND_CM_PER_YEAR * years
        + rng.normal(0, 0.4, len(dates))
    )
    return dates, np.clip(rainfall, 0, None), tws


def _write_csv(path: Path, header: Sequence[str], rows) -> Path:
    from ...atomic import csv_output

    with csv_output(path) as writer:
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write(
    scene: DemoScene, folder, rng: np.random.Generator, progress: ProgressCallback
) -> Dict[str, Path]:
    out = Path(folder) / "landuse"
    out.mkdir(parents=True, exist_ok=True)
    before, after = land_use(scene, rng)
    fine = replace(
        scene.grid,
        x_step=scene.grid.x_step / 2,
        y_step=scene.grid.y_step / 2,
        width=scene.grid.width * 2,
        length=scene.grid.length * 2,
    )
    paths = {
        "landuse_2019": write_geotiff(
            out / "landuse_2019.tif", _finer(before, 2), fine, ["land use 2019"], nodata=0
        ),
        "landuse_2021": write_geotiff(
            out / "landuse_2021.tif", _finer(after, 2), fine, ["land use 2021"], nodata=0
        ),
        "landuse_class_names": _write_csv(
            out / "class_names.csv", ["value", "name"], CLASSES.items()
        ),
    }
    report(progress, 0.5, "Land use written")
    epsg = scene.grid.epsg
    paths["landuse_mining"] = write_polygons(out / "mining.gpkg", epsg, concessions(scene))
    paths["landuse_counties"] = write_polygons(out / "counties.gpkg", epsg, counties(scene))
    paths["landuse_groundwater_basin"] = write_polygons(
        out / "groundwater_basin.gpkg", epsg, basin_outline(scene)
    )
    dates, rainfall, tws = water_series(scene, rng)
    paths["landuse_rainfall"] = _write_csv(
        out / "rainfall.csv",
        ["date", "rainfall (mm)"],
        [(d.isoformat(), f"{v:.1f}") for d, v in zip(dates, rainfall, strict=True)],
    )
    paths["landuse_grace"] = _write_csv(
        out / "grace.csv",
        ["date", "tws (cm)"],
        [(d.isoformat(), f"{v:.2f}") for d, v in zip(dates, tws, strict=True)],
    )
    report(progress, 1.0, "Land use, mining, counties and water series written")
    return paths
