"""Displacement series at a map position, and the curves fitted to them (no QGIS).

Sources, all answered in millimetres (LOS unless the file says otherwise):

* a MintPy ``timeseries.h5`` (metres, converted to mm);
* a multi-band GeoTIFF whose band descriptions carry the date (``20190610``,
  ``D20190610``...), in mm unless the band unit type is ``m``;
* a point layer read as :class:`~core.points.PointSeries` (``DYYYYMMDD`` fields, mm).

Values are averaged over every pixel centre / point within ``radius`` metres of the clicked
position (paper 001 averages within 50 m). When no pixel centre falls within the radius, the
pixel under the position is used. The spread (standard deviation) of the averaged samples
is returned as the error bar.

Forecast convention for point layers (written by the forecasting steps, read by the
time-series dock): ``FYYYYMMDD`` = forecast displacement (mm) for that date,
``FLOYYYYMMDD`` / ``FHIYYYYMMDD`` = lower / upper bound of its uncertainty band (mm), in the
same reference frame as the ``DYYYYMMDD`` fields.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..conventions import years_since
from ..dates import dates_in_text, parse_yyyymmdd
from ..errors import InputError
from ..io.point_layers import DATE_FIELD, PointSeries
from .rate_fit import fit_design, rate_design

PathLike = Union[str, Path]

DEFAULT_RADIUS_M = 50.0
FORECAST_FIELD = re.compile(r"^F(\d{8})$")
FORECAST_LOW_FIELD = re.compile(r"^FLO(\d{8})$")
FORECAST_HIGH_FIELD = re.compile(r"^FHI(\d{8})$")


@dataclass
class Forecast:
    """A forecast continuation of a series: ``values_mm`` with an optional band."""

    dates: List[dt.date]
    values_mm: np.ndarray
    low_mm: Optional[np.ndarray] = None
    high_mm: Optional[np.ndarray] = None


@dataclass
class SampledSeries:
    """A displacement series at (x, y): mean of ``count`` samples, ``std_mm`` their spread."""

    x: float
    y: float
    dates: List[dt.date]
    values_mm: np.ndarray
    std_mm: Optional[np.ndarray]
    count: int
    source: str = ""
    forecast: Optional[Forecast] = None


@dataclass
class SeriesFit:
    """Least-squares fit ``offset + rate*t (+ annual cosine/sine)`` of one series, t in years
    since ``origin`` (:mod:`.rate_fit`).

    ``rate_mm_yr`` and its 1-sigma ``rate_std_mm_yr`` (from the residual scatter);
    ``offset_mm`` the fitted value at ``origin``; ``amplitude_mm`` of the annual term (0
    without it).
    """

    rate_mm_yr: float
    rate_std_mm_yr: float
    offset_mm: float
    amplitude_mm: float
    coefficients: np.ndarray
    origin: dt.date
    seasonal: bool

    def evaluate(self, dates: Sequence[dt.date]) -> np.ndarray:
        """The fitted curve (mm) at ``dates``."""
        return _design(list(dates), self.origin, self.seasonal) @ self.coefficients


# ----------------------------------------------------------------------------- fitting
def _design(dates: Sequence[dt.date], origin: dt.date, seasonal: bool) -> np.ndarray:
    years = years_since(dates, origin)
    return rate_design(years, harmonics=1 if seasonal else 0, centred=False)[0]


def fit_series(
    dates: Sequence[dt.date], values_mm: np.ndarray, seasonal: bool = False
) -> SeriesFit:
    """Fit a linear (and optionally annual) model to a series; NaN samples are ignored.

    Raises InputError with fewer valid samples than parameters (+1, to estimate a std).
    """
    dates = list(dates)
    values = np.asarray(values_mm, dtype=float)
    valid = np.isfinite(values)
    n_params = 4 if seasonal else 2
    if valid.sum() < n_params + 1:
        raise InputError(
            f"only {int(valid.sum())} valid dates; a "
            f"{'seasonal' if seasonal else 'linear'} fit needs {n_params + 1}."
        )
    origin = dates[0]
    params, std = fit_design(values[:, None], _design(dates, origin, seasonal))
    coefficients = params[:, 0]
    amplitude = float(np.hypot(coefficients[2], coefficients[3])) if seasonal else 0.0
    return SeriesFit(
        float(coefficients[1]),
        float(std[1, 0]),
        float(coefficients[0]),
        amplitude,
        coefficients,
        origin,
        seasonal,
    )


def rereference(series: SampledSeries, reference: SampledSeries) -> SampledSeries:
    """``series`` minus ``reference`` on the dates both have (the reference point becomes 0).

    The spread combines both spreads in quadrature; a forecast is kept only when the
    reference has values on its dates too (it never has, for a plain series), so it is dropped.
    """
    ref = {
        d: (v, s)
        for d, v, s in zip(
            reference.dates, reference.values_mm, _std_or_zero(reference), strict=True
        )
    }
    keep = [i for i, d in enumerate(series.dates) if d in ref]
    if not keep:
        raise InputError(
            "the reference series shares no date with this series.",
            None,
            "pick a reference point on the same acquisitions.",
        )
    dates = [series.dates[i] for i in keep]
    ref_values = np.array([ref[d][0] for d in dates])
    ref_std = np.array([ref[d][1] for d in dates])
    std = None
    if series.std_mm is not None or reference.std_mm is not None:
        std = np.hypot(_std_or_zero(series)[keep], ref_std)
    return replace(
        series,
        dates=dates,
        values_mm=series.values_mm[keep] - ref_values,
        std_mm=std,
        forecast=None,
    )


def _std_or_zero(series: SampledSeries) -> np.ndarray:
    return series.std_mm if series.std_mm is not None else np.zeros(len(series.dates))


# ----------------------------------------------------------------------------- rasters
def _mean_and_spread(samples: np.ndarray) -> Tuple[np.ndarray, Optional[np.ndarray], int]:
    """samples (n_dates, n_samples) -> mean, std (None for one sample), samples with data."""
    with _quiet_nan_warnings():
        mean = np.nanmean(samples, axis=1)
        count = int(np.any(np.isfinite(samples), axis=0).sum())
        std = np.nanstd(samples, axis=1) if samples.shape[1] > 1 else None
    return mean, std, count


@contextlib.contextmanager
def _quiet_nan_warnings():
    """Silence numpy's 'mean of empty slice' warnings: all-NaN columns stay NaN on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


#: metres per degree of latitude (and of longitude at the equator), for radii on WGS 84 grids
METRES_PER_DEGREE = 111_320.0


def _metres_per_unit(grid, y: float) -> Tuple[float, float]:
    """Ground metres per grid unit along x and y at latitude ``y`` (1, 1 for projected
    grids; degrees of longitude shrink with the cosine of the latitude)."""
    from ..crs import pyproj_crs

    crs = pyproj_crs(grid.epsg, grid.wkt)
    if crs is None or not crs.is_geographic:
        return 1.0, 1.0
    return METRES_PER_DEGREE * max(np.cos(np.deg2rad(y)), 1e-6), METRES_PER_DEGREE


def pixels_within(grid, x: float, y: float, radius: float) -> Tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the pixels whose centre lies within ``radius`` metres of
    (x, y) (in the grid's CRS; degrees of a geographic grid are turned into metres).

    Falls back to the pixel containing (x, y). Empty when (x, y) is outside the grid.
    """
    along_x, along_y = _metres_per_unit(grid, y)
    reach_cols = int(np.ceil(radius / (abs(grid.x_step) * along_x))) + 1
    reach_rows = int(np.ceil(radius / (abs(grid.y_step) * along_y))) + 1
    row0, col0 = (int(v) for v in grid.rowcol(x, y))
    rows, cols = np.mgrid[
        row0 - reach_rows : row0 + reach_rows + 1, col0 - reach_cols : col0 + reach_cols + 1
    ]
    rows, cols = rows.ravel(), cols.ravel()
    px, py = grid.xy(rows, cols)
    distance = np.hypot((px - x) * along_x, (py - y) * along_y)
    inside = grid.contains(rows, cols) & (distance <= radius)
    if not inside.any():
        if not grid.contains(row0, col0):
            return np.array([], int), np.array([], int)
        return np.array([row0]), np.array([col0])
    return rows[inside], cols[inside]


def radar_pixels_within(lookup, lon: float, lat: float, radius: float):
    """Row and column indices of the radar pixels whose centre (from the lookup tables) lies
    within ``radius`` metres of (``lon``, ``lat``); else the nearest pixel; empty outside the
    area the tables cover."""
    row0, col0 = lookup.rowcol(lon, lat)
    if row0 < 0:
        return np.array([], int), np.array([], int)
    # the local pixel spacing sets how far to look
    near_lon, near_lat = lookup.xy(
        np.array([row0, min(row0 + 1, lookup.length - 1), row0]),
        np.array([col0, col0, min(col0 + 1, lookup.width - 1)]),
    )
    along_x = METRES_PER_DEGREE * max(np.cos(np.deg2rad(lat)), 1e-6)
    steps = np.hypot(
        (near_lon[1:] - near_lon[0]) * along_x, (near_lat[1:] - near_lat[0]) * METRES_PER_DEGREE
    )
    steps = np.where(np.isfinite(steps) & (steps > 0), steps, radius or 1.0)
    reach_rows = int(np.ceil(radius / steps[0])) + 1
    reach_cols = int(np.ceil(radius / steps[1])) + 1
    rows, cols = np.mgrid[
        row0 - reach_rows : row0 + reach_rows + 1, col0 - reach_cols : col0 + reach_cols + 1
    ]
    rows, cols = rows.ravel(), cols.ravel()
    inside = lookup.contains(rows, cols)
    rows, cols = rows[inside], cols[inside]
    px, py = lookup.xy(rows, cols)
    near = np.hypot((px - lon) * along_x, (py - lat) * METRES_PER_DEGREE) <= radius
    if not near.any():
        return np.array([row0]), np.array([col0])
    return rows[near], cols[near]


def _outside(path: PathLike, x: float, y: float) -> InputError:
    return InputError(
        f"the position ({x:.1f}, {y:.1f}) is outside the file's extent.",
        path,
        "click inside the layer (coordinates in the file's CRS).",
    )


def sample_timeseries_h5(
    path: PathLike, x: float, y: float, radius: float = DEFAULT_RADIUS_M
) -> SampledSeries:
    """Series (mm) at (x, y) of a MintPy ``timeseries.h5``, averaged within ``radius`` m:
    ours or MintPy's, geocoded (x, y in its CRS: UTM, or longitude/latitude for MintPy's
    degree grids) or in radar coordinates (x, y = longitude/latitude, found through the
    lookup tables beside the file)."""
    from ..dates import from_bytes
    from ..io.lookup import LOOKUP_ATTRIBUTE, pixel_locator
    from ..io.mintpy import georeferenced_grid, open_h5, read_attrs

    attrs = read_attrs(path)
    grid = georeferenced_grid(attrs, path, "give a MintPy time series (LENGTH, WIDTH...).")
    if grid.radar:
        lookup = pixel_locator(path, grid, attrs.get(LOOKUP_ATTRIBUTE))
        rows, cols = radar_pixels_within(lookup, x, y, radius)
    else:
        rows, cols = pixels_within(grid, x, y, radius)
    if rows.size == 0:
        raise _outside(path, x, y)
    with open_h5(path, required=("timeseries", "date")) as f:
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        block = f["timeseries"][:, r0:r1, c0:c1].astype(float)
        dates = from_bytes(f["date"][()])
    scale = 1.0 if attrs.get("UNIT", "m").lower() in ("mm",) else 1000.0
    samples = block[:, rows - r0, cols - c0] * scale
    mean, std, count = _mean_and_spread(samples)
    return SampledSeries(x, y, dates, mean, std, count, str(path))


def geotiff_band_dates(path: PathLike) -> List[dt.date]:
    """One date per band from the band descriptions; InputError when a band has none."""
    from ..io.geotiff import band_names

    dates = []
    for index, name in enumerate(band_names(path), start=1):
        found = dates_in_text(name or "")
        if not found:
            raise InputError(
                f"band {index} has no date in its description ('{name}').",
                path,
                "name each band by its date (YYYYMMDD), as our GeoTIFF writers do.",
            )
        dates.append(found[-1])
    return dates


def sample_geotiff_series(
    path: PathLike, x: float, y: float, radius: float = DEFAULT_RADIUS_M
) -> SampledSeries:
    """Series (mm) at (x, y) of a multi-band GeoTIFF with one date per band."""
    from ..io.geotiff import grid_of, open_raster

    dates = geotiff_band_dates(path)
    ds = open_raster(path)
    grid = grid_of(ds)
    rows, cols = pixels_within(grid, x, y, radius)
    if rows.size == 0:
        raise _outside(path, x, y)
    r0, r1, c0, c1 = int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1
    block = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0).astype(float).reshape(-1, r1 - r0, c1 - c0)
    band = ds.GetRasterBand(1)
    nodata = band.GetNoDataValue()
    if nodata is not None and not np.isnan(nodata):
        block[block == nodata] = np.nan
    unit = (band.GetUnitType() or "mm").strip().lower()
    scale = 1000.0 if unit in ("m", "metre", "meter", "metres", "meters") else 1.0
    samples = block[:, rows - r0, cols - c0] * scale
    order = np.argsort(dates, kind="stable")
    mean, std, count = _mean_and_spread(samples[order])
    return SampledSeries(x, y, [dates[i] for i in order], mean, std, count, str(path))


def sample_series_file(
    path: PathLike, x: float, y: float, radius: float = DEFAULT_RADIUS_M
) -> SampledSeries:
    """Dispatch on the file type: ``.h5`` time series or a multi-band raster."""
    if Path(path).suffix.lower() in (".h5", ".he5", ".hdf5"):
        return sample_timeseries_h5(path, x, y, radius)
    return sample_geotiff_series(path, x, y, radius)


# ----------------------------------------------------------------------------- points
def series_fields(names: Sequence[str]) -> Dict[str, List[Tuple[dt.date, str]]]:
    """Group field names by role: ``observed`` (DYYYYMMDD), ``forecast`` (FYYYYMMDD),
    ``low`` (FLOYYYYMMDD), ``high`` (FHIYYYYMMDD); each list sorted by date."""
    roles = {
        "observed": DATE_FIELD,
        "forecast": FORECAST_FIELD,
        "low": FORECAST_LOW_FIELD,
        "high": FORECAST_HIGH_FIELD,
    }
    found: Dict[str, List[Tuple[dt.date, str]]] = {role: [] for role in roles}
    for name in names:
        for role, pattern in roles.items():
            match = pattern.match(name)
            if match:
                try:
                    found[role].append((parse_yyyymmdd(match.group(1)), name))
                except InputError:
                    pass
    return {role: sorted(items) for role, items in found.items()}


@dataclass
class PointTable:
    """Point coordinates and their series arrays (mm), ready for radius averaging."""

    x: np.ndarray
    y: np.ndarray
    dates: List[dt.date]
    values_mm: np.ndarray  # (N, n_dates)
    forecast_dates: List[dt.date] = field(default_factory=list)
    forecast_mm: Optional[np.ndarray] = None  # (N, n_forecast)
    low_mm: Optional[np.ndarray] = None
    high_mm: Optional[np.ndarray] = None
    source: str = ""

    @classmethod
    def from_point_series(cls, points: PointSeries, source: str = "") -> "PointTable":
        """Build from a PointSeries; forecast columns are taken from ``points.fields``."""
        roles = series_fields(list(points.fields))
        table = cls(
            np.asarray(points.x, float),
            np.asarray(points.y, float),
            list(points.dates),
            np.asarray(points.displacement_mm, float),
            source=source,
        )
        if roles["forecast"]:
            table.forecast_dates = [d for d, _ in roles["forecast"]]
            table.forecast_mm = np.column_stack([points.fields[n] for _, n in roles["forecast"]])
            for role in ("low", "high"):
                by_date = {d: n for d, n in roles[role]}
                if all(d in by_date for d in table.forecast_dates):
                    setattr(
                        table,
                        f"{role}_mm",
                        np.column_stack([points.fields[by_date[d]] for d in table.forecast_dates]),
                    )
        return table


def sample_points(
    table: PointTable, x: float, y: float, radius: float = DEFAULT_RADIUS_M
) -> SampledSeries:
    """Mean series of the points within ``radius`` m of (x, y); InputError when none is."""
    distance = np.hypot(table.x - x, table.y - y)
    near = np.flatnonzero(distance <= radius)
    if near.size == 0:
        nearest = float(distance.min()) if distance.size else float("inf")
        raise InputError(
            f"no point within {radius:g} m of ({x:.1f}, {y:.1f}) (nearest at {nearest:.0f} m).",
            table.source or None,
            "click closer to a point or enlarge the radius.",
        )
    mean, std, count = _mean_and_spread(table.values_mm[near].T)
    forecast = None
    if table.forecast_mm is not None:
        with _quiet_nan_warnings():

            def average(array):
                return None if array is None else np.nanmean(array[near], axis=0)

            forecast = Forecast(
                list(table.forecast_dates),
                average(table.forecast_mm),
                average(table.low_mm),
                average(table.high_mm),
            )
    return SampledSeries(x, y, list(table.dates), mean, std, count, table.source, forecast)
