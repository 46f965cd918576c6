"""Demo scene extension: continuous GNSS stations on the demo ground.

Written under ``folder/gnss/``: one Nevada Geodetic Laboratory ``<SITE>.tenv3`` per station
(daily positions in metres, the integer metres in ``e0``/``n0``/``u0``, latitude and longitude
in the last columns) from 60 days before the first acquisition to the last one, and
``stations_truth.csv`` (position, true east/north/up rates in mm/yr over the acquisitions).

Stations stand on coherent ground (neither water nor vegetation): on the outer flank of a
longwall basin (the largest east-west motion where the vertical rate stays below
``FLANK_MAX_VERTICAL``, ground InSAR still follows), in the groundwater basin, and on stable
ground near the scene's corners, so that a tie (shift or plane) and a comparison both have
something to find.
Their motion is the scene's truth (vertical and horizontal) at their pixel, interpolated to
days, plus white noise of 1.5 mm (east, north) and 4 mm (up).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from ...atomic import atomic_output
from ...dates import decimal_years
from ...progress import ProgressCallback, report
from ..scene import DemoScene

ORDER = 80
#: m/yr: the flank station stands where the ground subsides slower than this
FLANK_MAX_VERTICAL = 0.03
NOISE_MM = (1.5, 1.5, 4.0)
LEAD_DAYS = 60
MJD_ORIGIN = dt.date(1858, 11, 17).toordinal()
TENV3_HEADER = (
    "site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) "
    "____up(m) _ant(m) sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu "
    "_latitude(deg) _longitude(deg) __height(m)"
)


def station_pixels(
    scene: DemoScene, east_rate: np.ndarray, vertical_rate: np.ndarray
) -> List[Tuple[str, int, int]]:
    """(name, row, col) of the stations: coherent pixels nearest to chosen places."""
    length, width = scene.grid.shape
    usable = ~(scene.water | scene.vegetation)
    rows, cols = np.nonzero(usable)

    def nearest(row: float, col: float) -> Tuple[int, int]:
        k = int(np.argmin((rows - row) ** 2 + (cols - col) ** 2))
        return int(rows[k]), int(cols[k])

    flank_ground = usable & (np.abs(vertical_rate) < FLANK_MAX_VERTICAL)
    flank = np.unravel_index(
        np.nanargmax(np.where(flank_ground, np.abs(east_rate), -1.0)), east_rate.shape
    )
    basin = np.unravel_index(np.argmax(scene.groundwater), scene.groundwater.shape)
    places = [
        ("JCE1", *flank),
        ("JCG1", *basin),
        ("JCS1", 0.08 * length, 0.08 * width),
        ("JCS2", 0.92 * length, 0.10 * width),
        ("JCS3", 0.12 * length, 0.62 * width),
    ]
    return [(name, *nearest(row, col)) for name, row, col in places]


def _tenv3(name: str, dates, enu_m: np.ndarray, lon: float, lat: float) -> str:
    lines = [TENV3_HEADER]
    years = decimal_years(dates)
    for date, year, (e, n, u) in zip(dates, years, enu_m, strict=True):
        north, up = 3_932_100.0 + n, 950.0 + u  # arbitrary local origins, as NGL's
        e0, n0, u0 = np.floor(e), np.floor(north), np.floor(up)
        mjd = date.toordinal() - MJD_ORIGIN
        lines.append(
            f"{name} {date:%y%b%d}".upper()
            + f" {year:.4f} {mjd} {(mjd - 44244) // 7} {(mjd - 44244) % 7} {lon:.1f}"
            + f" {e0:.0f} {e - e0:.6f} {n0:.0f} {north - n0:.6f} {u0:.0f} {up - u0:.6f} 0.0000"
            + f" {NOISE_MM[0] / 1000:.5f} {NOISE_MM[1] / 1000:.5f} {NOISE_MM[2] / 1000:.5f}"
            + f" 0.00000 0.00000 0.00000 {lat:.10f} {lon:.10f} {up:.5f}"
        )
    return "\n".join(lines) + "\n"


def write(
    scene: DemoScene, folder: Path, rng: np.random.Generator, progress: ProgressCallback
) -> Dict[str, Path]:
    from pyproj import Transformer

    out_folder = Path(folder) / "gnss"
    out_folder.mkdir(parents=True, exist_ok=True)
    vertical = scene.vertical_displacement()
    east, north = scene.horizontal_displacement()
    east_rate = scene.linear_rate(east)
    days = [
        scene.dates[0] + dt.timedelta(days=k)
        for k in range(-LEAD_DAYS, (scene.dates[-1] - scene.dates[0]).days + 1)
    ]
    ordinals = np.array([d.toordinal() for d in days], float)
    known = np.array([d.toordinal() for d in scene.dates], float)
    to_lonlat = Transformer.from_crs(scene.grid.epsg, 4326, always_xy=True)
    truth_rows = []
    written = {}
    stations = station_pixels(scene, east_rate, scene.linear_rate(vertical))
    for k, (name, row, col) in enumerate(stations):
        truth = np.column_stack(
            [
                np.interp(ordinals, known, series[:, row, col])  # constant before the first date
                for series in (east, north, vertical)
            ]
        )
        noisy = truth + rng.normal(0.0, 1.0, truth.shape) * np.array(NOISE_MM) / 1000.0
        x, y = scene.grid.xy(row, col)
        lon, lat = to_lonlat.transform(float(x), float(y))
        path = out_folder / f"{name}.tenv3"
        with atomic_output(path) as temp:
            temp.write_text(_tenv3(name, days, noisy, lon, lat))
        written[f"gnss_{name}"] = path
        rates = [scene.linear_rate(s)[row, col] * 1000 for s in (east, north, vertical)]
        truth_rows.append(
            [name, f"{lon:.7f}", f"{lat:.7f}", row, col] + [f"{r:.3f}" for r in rates]
        )
        report(progress, (k + 1) / len(stations), f"GNSS station {name}")
    table = out_folder / "stations_truth.csv"
    with atomic_output(table) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["name", "lon", "lat", "row", "col", "east_mm_yr", "north_mm_yr", "up_mm_yr"]
            )
            writer.writerows(truth_rows)
    return {"gnss": out_folder, "gnss_truth": table, **written}
