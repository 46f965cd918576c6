"""GNSS stations as a check and as a tie of InSAR products.

Each station's ENU motion is projected into the product's line of sight with the product's
own unit vector at the station (the mean vector of the product's samples within ``radius_m``;
``(0, 0, 1)`` for a vertical product, ``(1, 0, 0)`` for an east-west one)::

    d_GNSS = e_E * d_E + e_N * d_N + e_U * d_U

* rates: for a product with series, both rates are fitted the same way (a line, plus an annual
  term over two years or more) to the product's mean series within the radius and to the GNSS
  LOS series averaged within ``date_window_days`` of each InSAR date, so both see the same
  epochs; a rate-only product's mean rate is compared with the same fit to the whole GNSS
  series.
* comparison: rate difference InSAR - GNSS (mm/yr); the series after removing their mean
  difference (the common offset: each InSAR series is relative to its own reference, GNSS to
  its first epoch): RMSE (mm) and Pearson r. Overall: the bias (mean rate difference), the RMS
  and standard deviation of the rate differences, the mean series RMSE.
* tie: the rate differences GNSS - InSAR at the stations give a shift (one or two stations) or
  a plane ``a + b (x - x0) + c (y - y0)`` (three or more, least squares) that is added to every
  rate, and times the years since the first date to every series, so the product agrees with
  GNSS in its LOS; the residual of each station (and, with four or more, its leave-one-out
  residual) is reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..conventions import years_since
from ..crs import transform_xy
from ..errors import InputError
from ..io.gnss import GnssStation, read_gnss_layer
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, scaled, silent
from ..timeseries.sampling import fit_series
from .decomposition import output_crs
from .los_products import LosProduct

PathLike = Union[str, Path]


@dataclass
class GnssComparisonOptions(Options):
    """Options of :func:`compare_with_gnss`."""

    radius_m: float = option(
        200.0,
        help="Product samples within this distance of a station are averaged for it",
        unit="m",
        minimum=1.0,
    )
    date_window_days: int = option(
        3,
        help="GNSS epochs within this many days of an InSAR date are averaged for that date",
        unit="days",
        minimum=0,
        maximum=60,
    )


class TieModel(Choice):
    AUTO = "auto", "shift for one or two stations, plane for three or more"
    SHIFT = "shift", "one shift (the mean difference)"
    PLANE = "plane", "a plane: shift and east/north gradients (three or more stations)"


@dataclass
class GnssTieOptions(GnssComparisonOptions):
    """Options of :func:`tie_to_gnss`: those of the comparison and the model."""

    model: TieModel = option(TieModel.AUTO, help="Correction fitted to the GNSS differences")


@dataclass
class StationSample:
    """A product around one station: ``count`` samples, their mean rate (mm/yr), mean LOS
    vector (3,) and mean series (mm) on the product's dates (None for rates only); ``x, y``
    the station in the working CRS (m)."""

    station: GnssStation
    x: float
    y: float
    count: int = 0
    rate: float = float("nan")
    los: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    series: Optional[np.ndarray] = None


@dataclass
class StationComparison:
    name: str
    lon: float
    lat: float
    samples: int
    los: np.ndarray
    insar_rate: float
    gnss_rate: float
    rate_difference: float
    series_dates: int = 0
    series_offset: float = float("nan")
    series_rmse: float = float("nan")
    pearson_r: float = float("nan")
    chart: Optional[Path] = None


@dataclass
class ComparisonResult:
    stations: List[StationComparison]
    overall: Dict[str, float]
    skipped: List[str]
    table: Optional[Path] = None


@dataclass
class TieResult:
    model: str
    coefficients: Tuple[float, float, float]  # a (mm/yr), b, c (mm/yr per km east, north)
    residuals: List[Dict[str, float]]
    skipped: List[str]
    messages: List[str]
    output: Optional[Path] = None
    table: Optional[Path] = None


# ----------------------------------------------------------------------------- sampling
def sample_at_stations(
    product: LosProduct,
    stations: Sequence[GnssStation],
    radius_m: float,
    progress: ProgressCallback = silent,
) -> Tuple[List[StationSample], str]:
    """Average the product's samples within ``radius_m`` of each station (streamed in blocks).
    Returns the samples per station and the working CRS (projected, metres)."""
    from scipy.spatial import cKDTree

    wkt, _ = output_crs(product, None)
    lon = np.array([s.lon for s in stations], float)
    lat = np.array([s.lat for s in stations], float)
    x, y = transform_xy(lon, lat, "EPSG:4326", wkt)
    positions = np.column_stack([x, y])
    n_dates = len(product.dates)
    sums = np.zeros((len(stations), 5))
    series_sum = np.zeros((len(stations), n_dates))
    series_count = np.zeros((len(stations), n_dates))
    total = max(1, product.size)
    read = 0
    for block in product.blocks(wkt, series=product.has_series):
        tree = cKDTree(np.column_stack([block.x, block.y]))
        for s, near in enumerate(tree.query_ball_point(positions, radius_m)):
            if not near:
                continue
            near = np.asarray(near)
            sums[s] += (len(near), block.rate_mm_yr[near].sum(), *block.los[near].sum(0))
            if block.series_mm is not None:
                values = block.series_mm[near]
                finite = np.isfinite(values)
                series_sum[s] += np.where(finite, values, 0.0).sum(0)
                series_count[s] += finite.sum(0)
        read += len(block)
        report(progress, min(0.99, read / total), f"{read:,} samples searched")
    out = []
    for k, station in enumerate(stations):
        sample = StationSample(station, float(x[k]), float(y[k]))
        count = int(sums[k, 0])
        if count:
            sample.count = count
            sample.rate = sums[k, 1] / count
            sample.los = sums[k, 2:5] / count
            if product.has_series:
                with np.errstate(invalid="ignore", divide="ignore"):
                    sample.series = series_sum[k] / series_count[k]
        out.append(sample)
    return out, wkt


def gnss_los(station: GnssStation, los: np.ndarray) -> np.ndarray:
    """The station's series (mm) projected on the unit vector ``los`` (east, north, up)."""
    return station.enu_mm @ np.asarray(los, float)


def _fitted_rate(dates: Sequence[dt.date], values: np.ndarray) -> float:
    """Rate (mm/yr) of a line, plus an annual term over two years or more; NaN when fewer
    than five valid values."""
    valid = np.isfinite(values)
    if valid.sum() < 5:
        return float("nan")
    kept = [d for d, v in zip(dates, valid, strict=True) if v]
    seasonal = (kept[-1] - kept[0]).days >= 2 * 365
    return fit_series(kept, values[valid], seasonal=seasonal).rate_mm_yr


def station_rates(
    sample: StationSample, dates: Sequence[dt.date], window_days: int
) -> Tuple[float, float, Optional[np.ndarray]]:
    """(InSAR rate, GNSS LOS rate, GNSS LOS series on ``dates``) at one station (module
    doc): fitted alike on the same epochs when the product has series."""
    station = sample.station
    if sample.series is None:
        return sample.rate, _fitted_rate(station.dates, gnss_los(station, sample.los)), None
    matched = gnss_on_dates(station, sample.los, dates, window_days)
    both = np.isfinite(matched) & np.isfinite(sample.series)
    insar = np.where(both, sample.series, np.nan)
    return _fitted_rate(dates, insar), _fitted_rate(dates, np.where(both, matched, np.nan)), matched


def gnss_on_dates(
    station: GnssStation, los: np.ndarray, dates: Sequence[dt.date], window_days: int
) -> np.ndarray:
    """The station's LOS series averaged within ``window_days`` of each of ``dates``."""
    days = np.array([d.toordinal() for d in station.dates])
    values = gnss_los(station, los)
    out = np.full(len(dates), np.nan)
    for k, date in enumerate(dates):
        near = np.abs(days - date.toordinal()) <= window_days
        if near.any():
            out[k] = float(np.mean(values[near]))
    return out


def _span(product: LosProduct) -> Tuple[Optional[dt.date], Optional[dt.date]]:
    return (product.dates[0], product.dates[-1]) if product.has_series else (None, None)


def _usable(samples: List[StationSample]) -> Tuple[List[StationSample], List[str]]:
    inside = [s for s in samples if s.count > 0]
    skipped = [s.station.name for s in samples if s.count == 0]
    return inside, skipped


@dataclass
class StationOverlay:
    """A station's series in a product's LOS, aligned to a plotted InSAR series."""

    name: str
    distance_m: float
    dates: List[dt.date]
    values_mm: np.ndarray
    los: np.ndarray


def station_overlay(
    stations: Sequence[GnssStation],
    x: float,
    y: float,
    wkt: Optional[str],
    los: Sequence[float],
    dates: Sequence[dt.date],
    values_mm: Optional[np.ndarray] = None,
    max_distance_m: float = 5000.0,
    window_days: int = 3,
) -> Optional[StationOverlay]:
    """The station nearest to (x, y) (CRS ``wkt``) within ``max_distance_m``, its series
    projected on ``los`` over the span of ``dates`` and shifted by the mean difference to
    ``values_mm`` (the plotted InSAR series on ``dates``; without it, zero at the first date).
    None when no station is near enough or none has epochs in the span."""
    from pyproj import Geod

    if not stations or not dates:
        return None
    lon, lat = (float(v) for v in transform_xy(x, y, wkt, "EPSG:4326"))
    geod = Geod(ellps="WGS84")
    lons = np.array([s.lon for s in stations], float)
    lats = np.array([s.lat for s in stations], float)
    _, _, distance = geod.inv(np.full(len(stations), lon), np.full(len(stations), lat), lons, lats)
    nearest = int(np.argmin(distance))
    if distance[nearest] > max_distance_m:
        return None
    los = np.asarray(los, float)
    part = stations[nearest].between(dates[0], dates[-1])
    if len(part) == 0:
        return None
    daily = gnss_los(part, los)
    matched = gnss_on_dates(part, los, dates, window_days)
    shift = -matched[0] if np.isfinite(matched[0]) else -daily[0]
    if values_mm is not None:
        both = np.isfinite(matched) & np.isfinite(np.asarray(values_mm, float))
        if both.any():
            shift = float(np.mean(np.asarray(values_mm, float)[both] - matched[both]))
    return StationOverlay(part.name, float(distance[nearest]), part.dates, daily + shift, los)


# ----------------------------------------------------------------------------- comparison
def compare_with_gnss(
    product: LosProduct,
    gnss: PathLike,
    table: Optional[PathLike] = None,
    chart_folder: Optional[PathLike] = None,
    options: Optional[GnssComparisonOptions] = None,
    progress: ProgressCallback = silent,
) -> ComparisonResult:
    """Compare a product with the GNSS stations inside it (module doc); write the table (CSV)
    and one chart per station (PNG, when the product has series) when paths are given."""
    options = options or GnssComparisonOptions()
    check_outputs([table], [product.path, gnss])
    stations = read_gnss_layer(gnss)
    samples, _ = sample_at_stations(product, stations, options.radius_m, scaled(progress, 0.0, 0.7))
    inside, skipped = _usable(samples)
    if not inside:
        raise InputError(
            f"none of the {len(stations)} GNSS stations has a product sample within "
            f"{options.radius_m:g} m.",
            product.path,
            "check that the stations lie inside the product, or enlarge the radius.",
        )
    compared = []
    for sample in inside:
        station = sample.station
        insar_rate, gnss_rate, matched = station_rates(
            sample, product.dates, options.date_window_days
        )
        row = StationComparison(
            station.name,
            station.lon,
            station.lat,
            sample.count,
            sample.los,
            insar_rate,
            gnss_rate,
            insar_rate - gnss_rate,
        )
        if matched is not None:
            both = np.isfinite(matched) & np.isfinite(sample.series)
            row.series_dates = int(both.sum())
            if row.series_dates >= 2:
                difference = sample.series[both] - matched[both]
                row.series_offset = float(difference.mean())
                row.series_rmse = float(np.sqrt(np.mean((difference - difference.mean()) ** 2)))
                if row.series_dates > 2 and np.std(matched[both]) > 0:
                    row.pearson_r = float(np.corrcoef(sample.series[both], matched[both])[0, 1])
            if chart_folder:
                row.chart = _chart(Path(chart_folder), product, sample, matched, row)
        compared.append(row)
    differences = np.array([r.rate_difference for r in compared], float)
    finite = differences[np.isfinite(differences)]
    overall = {
        "stations": len(compared),
        "bias": float(finite.mean()) if finite.size else float("nan"),
        "rate_rms": float(np.sqrt(np.mean(finite**2))) if finite.size else float("nan"),
        "rate_std": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
        "series_rmse": float(np.nanmean([r.series_rmse for r in compared]))
        if any(np.isfinite(r.series_rmse) for r in compared)
        else float("nan"),
        "pearson_r": float(np.nanmean([r.pearson_r for r in compared]))
        if any(np.isfinite(r.pearson_r) for r in compared)
        else float("nan"),
    }
    result = ComparisonResult(compared, overall, skipped)
    if table:
        result.table = _write_comparison(table, compared, overall)
    report(
        progress,
        1.0,
        f"{len(compared)} stations: bias {overall['bias']:.2f} mm/yr, RMS "
        f"{overall['rate_rms']:.2f} mm/yr",
    )
    return result


def _write_comparison(path, rows: List[StationComparison], overall: Dict[str, float]) -> Path:
    columns = [
        "station",
        "lon",
        "lat",
        "samples",
        "los_east",
        "los_north",
        "los_up",
        "insar_rate_mm_yr",
        "gnss_los_rate_mm_yr",
        "rate_difference_mm_yr",
        "series_dates",
        "series_offset_mm",
        "series_rmse_mm",
        "pearson_r",
    ]
    with atomic_output(path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for r in rows:
                writer.writerow(
                    [r.name, f"{r.lon:.6f}", f"{r.lat:.6f}", r.samples]
                    + [f"{v:.4f}" for v in r.los]
                    + [_text(v) for v in (r.insar_rate, r.gnss_rate, r.rate_difference)]
                    + [r.series_dates]
                    + [_text(v) for v in (r.series_offset, r.series_rmse, r.pearson_r)]
                )
            writer.writerow([])
            writer.writerow(["overall", "value"])
            described = {
                "stations": "stations compared",
                "bias": "bias: mean rate difference InSAR - GNSS (mm/yr)",
                "rate_rms": "RMS of the rate differences (mm/yr)",
                "rate_std": "standard deviation of the rate differences (mm/yr)",
                "series_rmse": "mean series RMSE after the common offset (mm)",
                "pearson_r": "mean Pearson r of the series",
            }
            for key, text in described.items():
                writer.writerow([text, _text(overall[key])])
    return Path(path)


def _text(value) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.4f}"


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) or "station"


def _chart(folder: Path, product, sample: StationSample, matched, row) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    station = sample.station
    start, end = _span(product)
    daily = station.between(start, end)
    offset = row.series_offset if np.isfinite(row.series_offset) else 0.0
    figure = Figure(figsize=(9, 4), dpi=100)
    axes = figure.subplots()
    if len(daily):
        axes.plot(
            daily.dates,
            gnss_los(daily, sample.los) + offset,
            ".",
            ms=2,
            color="#999999",
            label="GNSS in the product's LOS (daily)",
        )
    axes.plot(product.dates, matched + offset, "-", color="#d6604d", lw=1.2, label="GNSS")
    axes.plot(product.dates, sample.series, "o-", ms=3, lw=0.8, color="#2166ac", label="InSAR")
    axes.set_ylabel("displacement (mm)")
    axes.set_title(
        f"{station.name}: rate difference {row.rate_difference:+.2f} mm/yr, RMSE "
        f"{row.series_rmse:.2f} mm, r {row.pearson_r:.2f} ({row.samples} samples)"
    )
    axes.legend(loc="best", fontsize=8)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    path = folder / f"{_safe_name(station.name)}.png"
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as temp:
        figure.savefig(temp, format="png")
    return path


# ----------------------------------------------------------------------------- tie
def fit_tie(
    x: np.ndarray, y: np.ndarray, difference: np.ndarray, model: TieModel
) -> Tuple[str, np.ndarray, Tuple[float, float], List[str]]:
    """The correction through the differences (mm/yr) at (x, y) (m).

    Returns the model used ("shift" or "plane"), its coefficients (a, b, c) with b, c per
    metre about the centre (x0, y0), the centre and messages.
    """
    centre = (float(np.mean(x)), float(np.mean(y)))
    messages = []
    n = len(difference)
    if model == TieModel.PLANE and n < 3:
        raise InputError(
            f"a plane needs three or more stations inside the product; {n} found.",
            None,
            "use the shift, or add stations.",
        )
    if model != TieModel.SHIFT and n >= 3:
        design = np.column_stack([np.ones(n), x - centre[0], y - centre[1]])
        if np.linalg.matrix_rank(design / np.maximum(np.abs(design).max(0), 1e-12)) == 3:
            coefficients, *_ = np.linalg.lstsq(design, difference, rcond=None)
            return "plane", coefficients, centre, messages
        if model == TieModel.PLANE:
            raise InputError(
                "the stations lie on a line: a plane through them is not determined.",
                None,
                "use the shift, or add a station off the line.",
            )
        messages.append("the stations lie on a line: a shift is fitted instead of a plane.")
    return "shift", np.array([float(np.mean(difference)), 0.0, 0.0]), centre, messages


def _evaluate(coefficients, centre, x, y) -> np.ndarray:
    a, b, c = coefficients
    return a + b * (np.asarray(x) - centre[0]) + c * (np.asarray(y) - centre[1])


def tie_to_gnss(
    product: LosProduct,
    gnss: PathLike,
    output: PathLike,
    residual_table: Optional[PathLike] = None,
    options: Optional[GnssTieOptions] = None,
    progress: ProgressCallback = silent,
) -> TieResult:
    """Shift or tilt the product so its rates agree with the GNSS rates in its LOS; write the
    tied product (same kind as the input: point layer, rate GeoTIFF or timeseries.h5) and the
    residual per station (CSV)."""
    options = options or GnssTieOptions()
    check_outputs([output, residual_table], [product.path, gnss])
    if product.kind == "velocity":
        raise InputError(
            "a MintPy velocity.h5 cannot be tied here.",
            product.path,
            "tie the timeseries.h5 or the velocity GeoTIFF instead.",
        )
    _check_output_kind(product, output)
    stations = read_gnss_layer(gnss)
    samples, wkt = sample_at_stations(
        product, stations, options.radius_m, scaled(progress, 0.0, 0.4)
    )
    inside, skipped = _usable(samples)
    rows = []
    for sample in inside:
        insar_rate, rate, _ = station_rates(sample, product.dates, options.date_window_days)
        if np.isfinite(rate) and np.isfinite(insar_rate):
            sample.rate = insar_rate
            rows.append((sample, rate))
        else:
            skipped.append(sample.station.name)
    if not rows:
        raise InputError(
            f"none of the {len(stations)} GNSS stations has product samples within "
            f"{options.radius_m:g} m and five epochs in common with it.",
            product.path,
            "check that the stations lie inside the product and cover its dates, or enlarge "
            "the radius.",
        )
    x = np.array([s.x for s, _ in rows])
    y = np.array([s.y for s, _ in rows])
    difference = np.array([rate - s.rate for s, rate in rows])
    used, coefficients, centre, messages = fit_tie(x, y, difference, options.model)
    correction = _evaluate(coefficients, centre, x, y)
    residuals = []
    for k, (sample, rate) in enumerate(rows):
        entry = {
            "station": sample.station.name,
            "samples": sample.count,
            "gnss_los_rate_mm_yr": rate,
            "insar_rate_mm_yr": sample.rate,
            "correction_mm_yr": float(correction[k]),
            "residual_mm_yr": float(sample.rate + correction[k] - rate),
            "leave_one_out_mm_yr": float("nan"),
        }
        if len(rows) >= (4 if used == "plane" else 2):
            others = np.arange(len(rows)) != k
            _, coef, c0, _ = fit_tie(x[others], y[others], difference[others], TieModel(used))
            entry["leave_one_out_mm_yr"] = float(
                sample.rate + _evaluate(coef, c0, x[k], y[k]) - rate
            )
        residuals.append(entry)
    a, b, c = coefficients
    messages.append(
        f"{used} from {len(rows)} stations: {a:+.2f} mm/yr at the centre"
        + (
            f", {b * 1000:+.3f} mm/yr per km east, {c * 1000:+.3f} per km north"
            if used == "plane"
            else ""
        )
    )
    if skipped:
        messages.append(f"stations not used: {', '.join(skipped)}")
    report(progress, 0.5, messages[-1])
    written = _write_tied(product, output, coefficients, centre, wkt, scaled(progress, 0.5, 0.95))
    table = _write_residuals(residual_table, residuals) if residual_table else None
    report(progress, 1.0, "tied product written")
    return TieResult(
        used,
        (float(a), float(b * 1000), float(c * 1000)),
        residuals,
        skipped,
        messages,
        written,
        table,
    )


def _check_output_kind(product: LosProduct, output: PathLike) -> None:
    suffix = Path(output).suffix.lower()
    wanted = {"points": (".gpkg",), "raster": (".tif", ".tiff"), "timeseries": (".h5",)}
    if suffix not in wanted[product.kind]:
        raise InputError(
            f"a tied {product.kind} product is written as {' or '.join(wanted[product.kind])}.",
            output,
            f"name the output with {wanted[product.kind][0]}.",
        )


def _write_residuals(path, residuals: List[Dict[str, float]]) -> Path:
    with atomic_output(path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(residuals[0]))
            for entry in residuals:
                writer.writerow(
                    [v if isinstance(v, (str, int)) else _text(v) for v in entry.values()]
                )
    return Path(path)


def _write_tied(product, output, coefficients, centre, wkt, progress) -> Path:
    def correction_at(x, y):
        return _evaluate(coefficients, centre, *transform_xy(x, y, product.wkt, wkt))

    if product.kind == "points":
        return _tie_points(product, output, correction_at, progress)
    if product.kind == "raster":
        from ..io.geotiff import band_names, read_raster, write_geotiff

        data, grid = read_raster(product.path, dtype=np.float64)
        rows, cols = np.mgrid[0 : grid.length, 0 : grid.width]
        x, y = grid.xy(rows.ravel(), cols.ravel())
        tied = data + correction_at(x, y).reshape(grid.shape)
        names = band_names(product.path)[:1] or ["velocity (mm/yr)"]
        return write_geotiff(
            output, tied.astype(np.float32), grid, [f"{names[0]} tied to GNSS"], units="mm/yr"
        )
    return _tie_timeseries(product, output, correction_at, progress)


def _tie_points(product: LosProduct, output, correction_at, progress) -> Path:
    from ..io.point_layers import date_field, point_blocks, point_layer_writer

    date_fields = [date_field(d) for d in product.dates]
    other = [n for n in product.field_names if n not in set(date_fields)]
    years = years_since(product.dates) if product.has_series else None
    epsg = int(product.wkt.split(":")[1]) if product.wkt.startswith("EPSG:") else None

    def tied(x, y, values):
        correction = correction_at(x, y)
        fields = {n: values[n] for n in other}
        fields[product.rate_field] = np.asarray(values[product.rate_field], float) + correction
        fields["TIE_MM_YR"] = correction
        series = None
        if years is not None:
            series = np.column_stack([values[n] for n in date_fields])
            series = series + correction[:, None] * years[None, :]
        return x, y, series, fields

    blocks = (tied(*block) for block in point_blocks(product.path, product.field_names, 50_000))
    first = next(blocks, None)
    if first is None:
        raise InputError("holds no point.", product.path, "give a point layer with points.")
    example = {k: v[:1] for k, v in first[3].items()}
    written = 0
    with point_layer_writer(
        output, epsg, product.dates, example, wkt=None if epsg else product.wkt
    ) as writer:
        for x, y, series, fields in itertools.chain([first], blocks):
            writer.write(x, y, series, fields)
            written += len(x)
            report(progress, min(0.99, written / max(1, product.size)), f"{written:,} tied")
    return Path(output)


def _tie_timeseries(product: LosProduct, output, correction_at, progress) -> Path:
    from ..io.mintpy import read_attrs, read_timeseries, timeseries_writer

    grid = product.grid
    attrs = read_attrs(product.path)
    years = years_since(product.dates)
    step = max(1, 200_000 // max(1, grid.width))
    with timeseries_writer(output, grid, product.dates, attrs=attrs) as handle:
        for start in range(0, grid.length, step):
            rows = slice(start, min(start + step, grid.length))
            block = read_timeseries(product.path, rows)
            r, c = np.mgrid[rows, 0 : grid.width]
            x, y = grid.xy(r.ravel(), c.ravel())
            rate = correction_at(x, y).reshape(r.shape) / 1000.0  # m/yr
            block.data += (years[:, None, None] * rate[None]).astype(np.float32)
            handle["timeseries"][:, rows, :] = block.data
            report(progress, rows.stop / grid.length, "time series tied")
    return Path(output)
