"""Does the ground follow the water? Lagged correlation of a displacement series with external
series (GRACE water storage, precipitation, groundwater level...), paper 001 section 5.1.

Steps: both series are resampled to calendar months (mean of the samples in each month,
interior gaps filled linearly), cut to their common months, detrended (least-squares line
removed), then Pearson's r is computed for each lag ``k`` in months. A positive lag means the
displacement FOLLOWS the driver: r(k) = corr(driver[t], displacement[t + k]).

Monthly series are autocorrelated, so the N paired months are far fewer independent samples.
The significance uses the effective sample size of Bretherton et al. (1999, eq. 31; after
Quenouille 1952): N_eff = N (1 - r1x r1y) / (1 + r1x r1y), with r1 the lag-1 autocorrelations,
and Student's t with N_eff - 2 degrees of freedom.

The seasonal cycle of each series is the annual harmonic of a least-squares fit
v = a + b t + c cos(2 pi t) + d sin(2 pi t) on the original samples (t in decimal years):
amplitude = sqrt(c^2 + d^2) (series units) and the day of year of the peak.

Displacement units: mm (timeseries.h5 metres are converted; its LOS direction is kept).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs, csv_output
from ..conventions import DAYS_PER_YEAR
from ..dates import decimal_years
from ..errors import InputError
from ..io.vector import open_vector
from ..options import Choice, Options, option
from ..plotting import pyplot, save_figure
from ..progress import ProgressCallback, finished, report, scaled, silent
from ..timeseries.rate_fit import fit_design, rate_design

PathLike = Union[str, Path]
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m", "%Y/%m", "%Y%m")


class BestLag(Choice):
    """Which correlation picks the best lag."""

    POSITIVE = "positive", "largest r (driver and displacement move together)"
    NEGATIVE = "negative", "smallest r (they move in opposite directions)"
    ABSOLUTE = "absolute", "largest |r| (either way)"


@dataclass
class CorrelationOptions(Options):
    """Options of :func:`correlate_drivers`."""

    min_lag: int = option(
        0,
        help="Smallest lag tried; negative = displacement leads the driver",
        unit="months",
        minimum=-36,
        maximum=36,
    )
    max_lag: int = option(
        6,
        help="Largest lag tried; positive = displacement follows the driver",
        unit="months",
        minimum=-36,
        maximum=36,
    )
    detrend: bool = option(
        True, help="Remove a linear trend from both monthly series before correlating"
    )
    best: BestLag = option(BestLag.POSITIVE, help="Correlation that picks the best lag")
    alpha: float = option(
        0.05, help="Significance level of the correlation tests", minimum=1e-6, maximum=0.5
    )
    radius_m: float = option(
        0.0,
        help="Radius around the location whose pixels of a timeseries.h5 are averaged; 0 = "
        "the nearest pixel",
        unit="m",
        minimum=0.0,
    )


@dataclass
class Series:
    """A named series of (date, value) samples."""

    name: str
    dates: List[dt.date]
    values: np.ndarray
    unit: str = ""
    source: str = ""


@dataclass
class LagResult:
    lag: int
    n: int
    r: float
    n_eff: float
    p_value: float


@dataclass
class Seasonal:
    amplitude: float
    peak_doy: float  # day of year of the annual maximum (1 = 1 January)


@dataclass
class DriverResult:
    driver: Series
    lags: List[LagResult]
    best: LagResult
    months: int
    driver_season: Seasonal
    displacement_season: Seasonal
    phase_lag_days: float  # displacement peak minus driver peak, in (-182.6, 182.6]
    monthly: Tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False, default=None)


# ----------------------------------------------------------------------------- reading
def parse_date(text: str, source: Optional[PathLike] = None, line: Optional[int] = None) -> dt.date:
    """A date written as YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, YYYY-MM (15th assumed)..."""
    text = str(text).strip()
    for fmt in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed.replace(day=15) if "%d" not in fmt else parsed
    where = f"line {line}: " if line else ""
    raise InputError(
        f"{where}'{text}' is not a date.", source, "write dates as YYYY-MM-DD, YYYYMMDD or YYYY-MM."
    )


def read_series_csv(path: PathLike, value_column: Optional[str] = None) -> Series:
    """``date,value`` CSV (header row required; first column = date). The value column is
    ``value_column`` or the second column; its header names the series. Blank values skip."""
    if not Path(path).exists():
        raise InputError("file not found.", path, "check the path.")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f) if row and "".join(row).strip()]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise InputError(
            "needs a header and at least one 'date,value' row.",
            path,
            "write a CSV with a date column and a value column.",
        )
    header = [h.strip() for h in rows[0]]
    column = header.index(value_column) if value_column in header else 1
    dates, values = [], []
    for number, row in enumerate(rows[1:], start=2):
        date = parse_date(row[0], path, number)
        text = row[column].strip() if len(row) > column else ""
        if not text or text.lower() in ("nan", "na", "null"):
            continue
        try:
            values.append(float(text))
        except ValueError:
            raise InputError(
                f"line {number}: '{text}' is not a number.",
                path,
                "give numeric values (empty for missing).",
            ) from None
        dates.append(date)
    if len(values) < 3:
        raise InputError("holds fewer than 3 values.", path, "give a longer series.")
    name = header[column]
    unit = ""
    if "(" in name and name.endswith(")"):
        name, unit = name[:-1].split("(", 1)
        name = name.strip()
    return Series(name or Path(path).stem, dates, np.asarray(values, float), unit, str(path))


def displacement_from_timeseries(
    path: PathLike,
    x: Optional[float],
    y: Optional[float],
    region_path: Optional[PathLike],
    radius_m: float,
    progress: ProgressCallback = silent,
) -> Series:
    """Mean displacement (mm) of the pixels at/around ``x, y`` (within ``radius_m``; nearest
    pixel when 0), inside the polygons of ``region_path``, or of all pixels. Read one date at
    a time, so the whole stack never sits in memory."""
    from ..dates import from_bytes
    from ..grid import Grid
    from ..io.mintpy import open_h5
    from ..timeseries.sampling import pixels_within
    from .zonal import read_polygons, union_mask

    with open_h5(path, required=("timeseries", "date")) as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()}
        grid = Grid.from_attrs(attrs)
        dates = from_bytes(f["date"][()])
        if region_path:
            region = read_polygons(region_path)
            mask = union_mask(region.in_crs(grid.crs_wkt() or None), grid)
            where = f"inside {Path(region_path).name}"
        elif x is not None and y is not None:
            rows, cols = pixels_within(grid, x, y, max(radius_m, 0.0))
            if rows.size == 0:
                raise InputError(
                    f"the point ({x:.1f}, {y:.1f}) is outside the data.",
                    path,
                    "pick a location inside the time-series extent.",
                )
            mask = np.zeros(grid.shape, dtype=bool)
            mask[rows, cols] = True
            where = f"at ({x:.0f}, {y:.0f})"
        else:
            mask = np.ones(grid.shape, dtype=bool)
            where = "whole area"
        if not mask.any():
            raise InputError(
                "the region covers no pixel of the time series.",
                region_path or path,
                "give a region overlapping the time-series extent.",
            )
        rows = np.flatnonzero(mask.any(axis=1))
        block = slice(int(rows[0]), int(rows[-1]) + 1)
        sub = mask[block]
        values = np.full(len(dates), np.nan)
        for k in range(len(dates)):
            report(progress, k / len(dates), f"Reading {len(dates)} dates")
            selected = f["timeseries"][k, block, :][sub]
            if np.isfinite(selected).any():
                values[k] = np.nanmean(selected)
    keep = np.isfinite(values)
    return Series(
        f"displacement {where}",
        [d for d, k in zip(dates, keep, strict=True) if k],
        values[keep] * 1000.0,
        "mm",
        str(path),
    )


def displacement_from_points(
    path: PathLike,
    x: Optional[float] = None,
    y: Optional[float] = None,
    region_path: Optional[PathLike] = None,
) -> Series:
    """Mean ``DYYYYMMDD`` series (mm) of a point layer: the point nearest ``x, y``, the
    points inside ``region_path``, or all points."""
    from ..io.point_layers import read_points
    from .zonal import points_in_polygon, read_polygons

    points = read_points(path)
    if not points.dates or len(points) == 0:
        raise InputError(
            "has no points with DYYYYMMDD fields.",
            path,
            "give a point layer with one field per date (DYYYYMMDD, mm).",
        )
    if region_path:
        region = read_polygons(region_path)
        wkt = points.crs_wkt()
        inside = np.zeros(len(points), dtype=bool)
        for geometry in region.in_crs(wkt):
            inside |= points_in_polygon(geometry, points.x, points.y)
        if not inside.any():
            raise InputError(
                "no point lies inside the region.",
                region_path,
                "give a region overlapping the points.",
            )
        rows, where = points.displacement_mm[inside], f"{inside.sum()} points in region"
    elif x is not None and y is not None:
        nearest = int(np.argmin(np.hypot(points.x - x, points.y - y)))
        rows, where = points.displacement_mm[[nearest]], f"point {nearest}"
    else:
        rows, where = points.displacement_mm, "all points"
    with np.errstate(invalid="ignore"):
        values = (
            np.nanmean(rows, axis=0)
            if np.isfinite(rows).any()
            else np.full(len(points.dates), np.nan)
        )
    keep = np.isfinite(values)
    kept = [d for d, k in zip(points.dates, keep, strict=True) if k]
    return Series(f"displacement {where}", kept, values[keep], "mm", str(path))


def source_crs_wkt(path: PathLike) -> Optional[str]:
    """CRS (WKT) of a displacement source: ``timeseries.h5`` EPSG attribute or the point
    layer's CRS; None for CSV or when unknown. Locations are given in this CRS."""
    from osgeo import osr

    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt") or not Path(path).exists():
        return None
    if suffix in (".h5", ".hdf5", ".he5"):
        from ..io.mintpy import read_attrs

        epsg = read_attrs(path).get("EPSG")
        if not epsg or epsg == "None":
            return None
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(int(float(epsg)))
        return srs.ExportToWkt()
    dataset, layer = open_vector(path)
    srs = layer.GetSpatialRef()
    return srs.ExportToWkt() if srs is not None else None


def load_displacement(
    path: PathLike,
    x: Optional[float] = None,
    y: Optional[float] = None,
    region_path: Optional[PathLike] = None,
    radius_m: float = 0.0,
    progress: ProgressCallback = silent,
) -> Series:
    """Displacement series from ``timeseries.h5``, a point layer or a ``date,value`` CSV."""
    suffix = Path(path).suffix.lower()
    if suffix in (".h5", ".hdf5", ".he5"):
        series = displacement_from_timeseries(path, x, y, region_path, radius_m, progress)
    elif suffix in (".csv", ".txt"):
        series = read_series_csv(path)
    else:
        series = displacement_from_points(path, x, y, region_path)
    if len(series.values) < 3:
        raise InputError(
            "gives fewer than 3 valid displacement values.",
            path,
            "pick a location or region with data.",
        )
    return series


# ----------------------------------------------------------------------------- statistics
def month_index(dates: Sequence[dt.date]) -> np.ndarray:
    """Months since year 0 (January 2019 -> 2019 * 12)."""
    return np.array([d.year * 12 + d.month - 1 for d in dates], dtype=np.int64)


def resample_monthly(dates: Sequence[dt.date], values: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(month indices, monthly means) over the full span, interior gaps filled linearly."""
    months = month_index(dates)
    values = np.asarray(values, float)
    first, last = months.min(), months.max()
    sums = np.bincount(months - first, weights=values, minlength=last - first + 1)
    counts = np.bincount(months - first, minlength=last - first + 1)
    axis = np.arange(first, last + 1)
    have = counts > 0
    monthly = np.interp(axis, axis[have], sums[have] / counts[have])
    return axis, monthly


def detrend(values: np.ndarray) -> np.ndarray:
    """``values`` minus their least-squares straight line."""
    t = np.arange(len(values), dtype=float)
    slope, intercept = np.polyfit(t, values, 1)
    return values - (slope * t + intercept)


def lag1_autocorrelation(values: np.ndarray) -> float:
    v = np.asarray(values, float) - np.mean(values)
    denominator = np.dot(v, v)
    return float(np.dot(v[:-1], v[1:]) / denominator) if denominator > 0 else 0.0


def effective_sample_size(n: int, r1x: float, r1y: float) -> float:
    """Bretherton et al. (1999) eq. 31: N (1 - r1x r1y) / (1 + r1x r1y), within [2, N]."""
    product = r1x * r1y
    return float(np.clip(n * (1 - product) / (1 + product), 2.0, n))


def correlation_p_value(r: float, n_eff: float) -> float:
    """Two-sided p of Pearson ``r`` with ``n_eff`` independent samples (Student t)."""
    from scipy import stats

    dof = n_eff - 2
    if dof <= 0 or not np.isfinite(r):
        return float("nan")
    if abs(r) >= 1:
        return 0.0
    t = r * np.sqrt(dof / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), dof))


def lagged_correlation(
    driver: np.ndarray, response: np.ndarray, lags: Sequence[int]
) -> List[LagResult]:
    """Pearson r of ``driver[t]`` with ``response[t + lag]`` for each lag (samples), with the
    autocorrelation-corrected p-value. Both arrays share one time axis."""
    out = []
    n_total = len(driver)
    for lag in lags:
        if lag >= 0:
            x, y = driver[: n_total - lag], response[lag:]
        else:
            x, y = driver[-lag:], response[: n_total + lag]
        n = len(x)
        if n < 4 or np.std(x) == 0 or np.std(y) == 0:
            out.append(LagResult(int(lag), n, float("nan"), float("nan"), float("nan")))
            continue
        r = float(np.corrcoef(x, y)[0, 1])
        n_eff = effective_sample_size(n, lag1_autocorrelation(x), lag1_autocorrelation(y))
        out.append(LagResult(int(lag), n, r, n_eff, correlation_p_value(r, n_eff)))
    return out


def pick_best(results: Sequence[LagResult], best: str = BestLag.POSITIVE) -> LagResult:
    """The lag with the largest r (``positive``), smallest r (``negative``) or largest |r|."""
    best = BestLag.parse(best, "best lag rule")
    scored = [res for res in results if np.isfinite(res.r)]
    if not scored:
        raise InputError(
            "no lag has enough overlapping months for a correlation.",
            None,
            "give longer series or a smaller lag range.",
        )
    key = {
        BestLag.POSITIVE: lambda res: res.r,
        BestLag.NEGATIVE: lambda res: -res.r,
        BestLag.ABSOLUTE: lambda res: abs(res.r),
    }[best]
    return max(scored, key=key)


def seasonal_fit(dates: Sequence[dt.date], values: np.ndarray) -> Seasonal:
    """Annual harmonic of v = a + b t + c cos(2 pi t) + d sin(2 pi t) (t decimal years)."""
    design, _ = rate_design(decimal_years(dates), harmonics=1)
    coef = fit_design(np.asarray(values, float)[:, None], design)[0][:, 0]
    c, d = coef[2], coef[3]
    fraction = (np.arctan2(d, c) / (2 * np.pi)) % 1.0
    return Seasonal(float(np.hypot(c, d)), float(1 + fraction * DAYS_PER_YEAR))


def correlate(
    displacement: Series, driver: Series, options: Optional[CorrelationOptions] = None
) -> DriverResult:
    """Monthly resampling, detrending, lagged correlation and seasonal fits of one driver."""
    options = options or CorrelationOptions()
    if options.min_lag > options.max_lag:
        raise InputError(
            f"the lag range {options.min_lag}..{options.max_lag} is empty.",
            None,
            "set the minimum lag below the maximum.",
        )
    d_months, d_values = resample_monthly(displacement.dates, displacement.values)
    x_months, x_values = resample_monthly(driver.dates, driver.values)
    start, end = max(d_months[0], x_months[0]), min(d_months[-1], x_months[-1])
    if end - start + 1 < max(6, abs(options.max_lag) + 4, abs(options.min_lag) + 4):
        raise InputError(
            f"it overlaps the displacement by only {max(end - start + 1, 0)} month(s).",
            driver.source,
            "give a series covering the displacement period (or reduce MAX_LAG).",
        )
    d_common = d_values[(d_months >= start) & (d_months <= end)]
    x_common = x_values[(x_months >= start) & (x_months <= end)]
    if options.detrend:
        d_common, x_common = detrend(d_common), detrend(x_common)
    lags = lagged_correlation(x_common, d_common, range(options.min_lag, options.max_lag + 1))
    driver_season = seasonal_fit(driver.dates, driver.values)
    disp_season = seasonal_fit(displacement.dates, displacement.values)
    half = DAYS_PER_YEAR / 2
    phase = (disp_season.peak_doy - driver_season.peak_doy + half) % DAYS_PER_YEAR - half
    return DriverResult(
        driver,
        lags,
        pick_best(lags, options.best),
        int(end - start + 1),
        driver_season,
        disp_season,
        float(phase),
        (np.arange(start, end + 1), x_common, d_common),
    )


# ----------------------------------------------------------------------------- outputs
SUMMARY_FIELDS = [
    "driver",
    "unit",
    "file",
    "months",
    "best_lag_months",
    "r",
    "n_eff",
    "p_value",
    "significant",
    "driver_amplitude",
    "driver_peak_doy",
    "displacement_amplitude_mm",
    "displacement_peak_doy",
    "phase_lag_days",
]


def summary_rows(results: Sequence[DriverResult], alpha: float) -> List[dict]:
    rows = []
    for res in results:
        rows.append(
            {
                "driver": res.driver.name,
                "unit": res.driver.unit,
                "file": Path(res.driver.source).name,
                "months": res.months,
                "best_lag_months": res.best.lag,
                "r": round(res.best.r, 4),
                "n_eff": round(res.best.n_eff, 1),
                "p_value": f"{res.best.p_value:.3g}",
                "significant": int(res.best.p_value < alpha),
                "driver_amplitude": round(res.driver_season.amplitude, 4),
                "driver_peak_doy": round(res.driver_season.peak_doy, 1),
                "displacement_amplitude_mm": round(res.displacement_season.amplitude, 3),
                "displacement_peak_doy": round(res.displacement_season.peak_doy, 1),
                "phase_lag_days": round(res.phase_lag_days, 1),
            }
        )
    return rows


def write_tables(
    table_path: PathLike,
    results: Sequence[DriverResult],
    alpha: float,
    lags_path: Optional[PathLike] = None,
) -> None:
    """Summary CSV (one row per driver) and, optionally, the full r-by-lag CSV."""
    with csv_output(table_path, SUMMARY_FIELDS) as writer:
        writer.writerows(summary_rows(results, alpha))
    if lags_path:
        with csv_output(lags_path) as writer:
            writer.writerow(["driver", "lag_months", "n", "r", "n_eff", "p_value"])
            for res in results:
                for lag in res.lags:
                    writer.writerow(
                        [
                            res.driver.name,
                            lag.lag,
                            lag.n,
                            f"{lag.r:.4f}",
                            f"{lag.n_eff:.1f}",
                            f"{lag.p_value:.3g}",
                        ]
                    )


def plot_correlations(
    path: PathLike, displacement: Series, results: Sequence[DriverResult], alpha: float
) -> Path:
    """Top: detrended monthly series scaled to unit variance; bottom: r by lag per driver
    (filled markers = significant at ``alpha``)."""
    plt = pyplot()

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7))
    shown = False
    for k, res in enumerate(results):
        months, driver, disp = res.monthly
        when = [dt.date(int(m // 12), int(m % 12) + 1, 15) for m in months]
        if not shown:
            top.plot(when, disp / (disp.std() or 1), "k-", lw=2, label=displacement.name)
            shown = True
        top.plot(when, driver / (driver.std() or 1), lw=1, label=res.driver.name, color=f"C{k}")
        lags = [lag.lag for lag in res.lags]
        rs = [lag.r for lag in res.lags]
        bottom.plot(
            lags,
            rs,
            "-",
            color=f"C{k}",
            label=f"{res.driver.name} (best {res.best.lag} mo, r={res.best.r:.2f})",
        )
        for lag in res.lags:
            bottom.plot(
                lag.lag,
                lag.r,
                "o",
                color=f"C{k}",
                markerfacecolor=f"C{k}" if lag.p_value < alpha else "white",
            )
    top.set_ylabel("detrended, scaled")
    top.legend(fontsize=8)
    top.set_title("Displacement and drivers (monthly, detrended)")
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.set_xlabel("lag (months; positive = displacement follows the driver)")
    bottom.set_ylabel("Pearson r")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return Path(path)


def correlate_drivers(
    displacement_path: PathLike,
    series_paths: Sequence[PathLike],
    table_path: PathLike,
    plot_path: Optional[PathLike] = None,
    lags_path: Optional[PathLike] = None,
    x: Optional[float] = None,
    y: Optional[float] = None,
    region_path: Optional[PathLike] = None,
    options: Optional[CorrelationOptions] = None,
    progress: ProgressCallback = silent,
) -> List[DriverResult]:
    """Correlate the displacement at a point/region with every driver CSV and write the
    summary table, the optional r-by-lag table and the chart."""
    options = options or CorrelationOptions()
    if not series_paths:
        raise InputError(
            "no driver series given.",
            None,
            "give one or more 'date,value' CSV files (rainfall, GRACE...).",
        )
    check_outputs(
        [table_path, plot_path, lags_path], [displacement_path, region_path, *series_paths]
    )
    displacement = load_displacement(
        displacement_path, x, y, region_path, options.radius_m, scaled(progress, 0.0, 0.3)
    )
    report(progress, 0.3, f"Displacement: {len(displacement.values)} dates ({displacement.name})")
    results = []
    for k, path in enumerate(series_paths):
        results.append(correlate(displacement, read_series_csv(path), options))
        report(progress, 0.3 + 0.5 * (k + 1) / len(series_paths), f"Correlated {Path(path).name}")
    write_tables(table_path, results, options.alpha, lags_path)
    if plot_path:
        plot_correlations(plot_path, displacement, results, options.alpha)
    finished(progress, "Driver correlation written")
    return results
