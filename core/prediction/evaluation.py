"""Leakage-free evaluation of forecasting models and batched multi-step forecasts.

Chronological split: the first ``n_train`` dates train, the last ``test_fraction`` test.
Metrics (mm): RMSE, MAE and MAPE (%) on the training part (in-sample one-step predictions) and
on the test part (one-step-ahead predictions that use only earlier samples; see
:mod:`.hybrids`). MAPE divides by |target|, which explodes near zero displacement (the first
date of a series is zero by construction), so it skips targets with |y| < ``MAPE_FLOOR_MM``.

Series are given as a :class:`~core.points.PointSeries` (mm); gaps (NaN) are filled by linear
interpolation in time, and points with fewer than half their dates valid are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_outputs, csv_output
from ..conventions import years_since
from ..dates import days_since, format_yyyymmdd
from ..errors import Cancelled, InputError, about
from ..io.point_layers import PointSeries, write_points
from ..options import Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, finished, report, scaled, silent
from .hybrids import ForecastModel, ModelOptions, check_model, forecast, one_step

PathLike = Union[str, Path]
MAPE_FLOOR_MM = 1.0
SPLITS = ("train", "test")


@dataclass
class ForecastOptions(Options):
    """Options of the comparison (:func:`compare_models`) and of the forecasts
    (:func:`forecast_series`)."""

    test_fraction: float = option(
        0.2,
        help="Share of the last dates held out for testing; models never see them in training",
        minimum=0.05,
        maximum=0.5,
    )
    horizon: int = option(
        6,
        help="Acquisitions to forecast beyond the last date, at the median revisit",
        unit="acquisitions",
        minimum=1,
        maximum=200,
    )
    seed: int = option(
        0, help="Random seed of the network weights, the decomposition and the search", minimum=0
    )
    model: ModelOptions = option(factory=ModelOptions, help="Settings of the forecasting models")
    chunk_points: int = option(
        256, help="Points trained together in one batched program when forecasting", minimum=1
    )
    models: Tuple[ForecastModel, ...] = option(
        tuple(ForecastModel), help="Models compared on the same train/test split"
    )
    forecast_model: ForecastModel = option(
        ForecastModel.GRU,
        help="Model that forecasts the points (GRU had the best test RMSE on the real EGMS "
        "evaluation)",
    )
    global_above: int = option(
        300,
        help="A GRU forecast of more points than this trains one network for all points "
        "(global GRU) instead of one per point",
        unit="points",
        minimum=1,
    )

    def seeded(self) -> ModelOptions:
        m = self.model
        return replace(
            m,
            network=replace(m.network, seed=self.seed),
            vmd=replace(m.vmd, seed=self.seed),
            sparrow=replace(m.sparrow, seed=self.seed),
        )


def forecast_field(date: dt.date, bound: str = "") -> str:
    """Point-layer field of a forecast: ``FYYYYMMDD`` (mm), band ``FLOYYYYMMDD``/``FHIYYYYMMDD``."""
    return f"F{bound}{format_yyyymmdd(date)}"


MIN_TRAINING_DATES = 12  # more than the default network window, with windows to spare


def split_index(n_dates: int, test_fraction: float) -> int:
    """Number of training dates: the last ``test_fraction`` (at least one date) test; at least
    ``MIN_TRAINING_DATES`` must remain."""
    if not 0.0 < test_fraction < 1.0:
        raise InputError(
            f"test fraction {test_fraction} is not between 0 and 1.", None, "use e.g. 0.2."
        )
    n_test = max(1, int(round(n_dates * test_fraction)))
    if n_dates - n_test < MIN_TRAINING_DATES:
        needed = MIN_TRAINING_DATES + 1
        while needed - max(1, int(round(needed * test_fraction))) < MIN_TRAINING_DATES:
            needed += 1
        raise InputError(
            f"has {n_dates} dates: a test fraction of {test_fraction} leaves "
            f"{n_dates - n_test} for training, and the models need at least "
            f"{MIN_TRAINING_DATES}, so at least {needed} dates at this test fraction.",
            None,
            "give a longer series or a smaller test fraction.",
        )
    return n_dates - n_test


def error_metrics(target: np.ndarray, predicted: np.ndarray) -> Dict[str, float]:
    """RMSE, MAE (units of the input) and MAPE (%) over samples where both are finite."""
    ok = np.isfinite(target) & np.isfinite(predicted)
    error = predicted[ok] - target[ok]
    if error.size == 0:
        return {"rmse": np.nan, "mae": np.nan, "mape": np.nan}
    big = np.abs(target[ok]) >= MAPE_FLOOR_MM
    mape = 100 * np.mean(np.abs(error[big]) / np.abs(target[ok][big])) if big.any() else np.nan
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "mape": float(mape),
    }


def fill_gaps(dates: Sequence[dt.date], displacement: np.ndarray) -> tuple:
    """Interpolate NaN linearly in time; returns (filled (M, N), usable (M,) bool)."""
    days = days_since(dates)
    y = np.array(displacement, dtype=float, ndmin=2)
    valid = np.isfinite(y)
    usable = valid.sum(axis=1) >= max(2, y.shape[1] // 2)
    for i in np.where(usable & ~valid.all(axis=1))[0]:
        y[i] = np.interp(days, days[valid[i]], y[i, valid[i]])
    return y, usable


@dataclass
class CompareResult:
    n_train: int
    predictions: Dict[str, np.ndarray]  # model -> (M, N) one-step predictions (mm)
    rows: List[dict]  # point, model, split, rmse, mae, mape
    network_options: Dict[str, object]


def _resolve_models(
    models: Optional[Sequence[str]], options: ForecastOptions
) -> List[ForecastModel]:
    """``models`` by name, or the options' models when None."""
    return [check_model(name) for name in (options.models if models is None else models)]


def compare_models(
    dates: Sequence[dt.date],
    y: np.ndarray,
    models: Optional[Sequence[str]] = None,
    options: ForecastOptions = None,
    point_names: Sequence[str] = None,
    progress: ProgressCallback = silent,
) -> CompareResult:
    """One-step-ahead predictions and metrics of each model (default: ``options.models``) on
    each series (rows of y, mm).

    Sparrow-tuned models are tuned per point; the others train all points in one batch.
    """
    options = options or ForecastOptions()
    models = _resolve_models(models, options)
    y = np.array(y, dtype=float, ndmin=2)
    if not np.all(np.isfinite(y)):
        raise InputError("series contain NaN.", None, "fill gaps first (fill_gaps).")
    n_train = split_index(y.shape[1], options.test_fraction)
    years = years_since(dates)
    names = point_names or [str(i) for i in range(len(y))]
    model_options = options.seeded()
    predictions, used, rows = {}, {}, []
    for k, name in enumerate(models):
        sub = scaled(progress, k / len(models), (k + 1) / len(models))
        report(progress, k / len(models), name.label)
        if name == ForecastModel.VMD_SSA_LSTM:
            parts = []
            for i in range(len(y)):
                p, used[name] = one_step(
                    name,
                    y[i : i + 1],
                    years,
                    n_train,
                    model_options,
                    scaled(sub, i / len(y), (i + 1) / len(y)),
                )
                parts.append(p)
            predictions[name] = np.concatenate(parts)
        else:
            predictions[name], used[name] = one_step(name, y, years, n_train, model_options, sub)
        for i, point in enumerate(names):
            for split, part in zip(SPLITS, (slice(0, n_train), slice(n_train, None)), strict=True):
                rows.append(
                    {
                        "point": point,
                        "model": name,
                        "split": split,
                        **error_metrics(y[i, part], predictions[name][i, part]),
                    }
                )
    report(progress, 1.0, "compared")
    return CompareResult(n_train, predictions, rows, used)


def future_dates(dates: Sequence[dt.date], horizon: int) -> List[dt.date]:
    """The next ``horizon`` acquisitions, spaced by the median revisit of ``dates``."""
    step = int(np.median(np.diff([d.toordinal() for d in dates]))) if len(dates) > 1 else 12
    return [dates[-1] + dt.timedelta(days=step * (h + 1)) for h in range(horizon)]


@dataclass
class ForecastResult:
    dates: List[dt.date]
    mean: np.ndarray  # (M, H) mm
    lower: np.ndarray  # (M, H) mm, band at ModelOptions.band_level
    upper: np.ndarray
    model: ForecastModel  # the model used (GRU becomes the global GRU above global_above)


def forecast_chunk(
    chunk: Tuple[int, np.ndarray],
    model: ForecastModel,
    years: np.ndarray,
    future_years: np.ndarray,
    options: ModelOptions,
    total: int,
    progress: ProgressCallback = silent,
) -> tuple:
    """:func:`~.hybrids.forecast` of the series ``chunk`` = (index of its first row among
    ``total``, series (m, N) mm): (mean, lower, upper), each (m, H) mm. One block of
    :func:`forecast_series`, run here or on a Dask worker."""
    start, y = chunk
    part = scaled(progress, start / total, (start + len(y)) / total)
    return forecast(model, y, years, future_years, options, part)


def forecast_series(
    dates: Sequence[dt.date],
    y: np.ndarray,
    model: Optional[str] = None,
    options: ForecastOptions = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> ForecastResult:
    """Forecast the next ``options.horizon`` acquisitions of every row of ``y`` (mm) with
    ``model`` (default: ``options.forecast_model``), training ``options.chunk_points`` series at
    a time in one batched program (CUDA when present). A GRU forecast of more than
    ``options.global_above`` points uses the global GRU, trained on all points at once.

    ``executor``: None (in this process), a Dask scheduler address or an executor
    (:mod:`core.parallel`) that forecasts the chunks of points; the result is the same. The
    global GRU is one network that learns from every point: it is trained, and forecasts, in
    this process."""
    options = options or ForecastOptions()
    model = check_model(options.forecast_model if model is None else model)
    y = np.array(y, dtype=float, ndmin=2)
    if model == ForecastModel.GRU and len(y) > options.global_above:
        model = ForecastModel.GLOBAL_GRU
        report(
            progress,
            0.0,
            f"{len(y)} points (more than {options.global_above}): one GRU for all points "
            "(global GRU).",
        )
    future = future_dates(dates, options.horizon)
    years = years_since(dates)
    future_years = years_since(future, dates[0])
    out = [np.full((len(y), len(future)), np.nan) for _ in range(3)]
    model_options = options.seeded()
    chunk = max(1, options.chunk_points)  # vmd_ssa_lstm: one sparrow search per chunk
    if model == ForecastModel.GLOBAL_GRU:
        chunk = max(1, len(y))  # one network learns from every point
        executor = None
    chunks = [(start, y[start : start + chunk]) for start in range(0, len(y), chunk)]
    with open_executor(executor) as pool:
        forecasts = map_blocks(
            forecast_chunk,
            chunks,
            model,
            years,
            future_years,
            model_options,
            len(y),
            progress if pool is None else silent,
            executor=pool,
        )
        for (start, part), result in zip(chunks, forecasts, strict=True):
            stop = start + len(part)
            for target, values in zip(out, result, strict=True):
                target[start:stop] = values
            report(progress, stop / len(y), f"forecast {stop} of {len(y)} points")
    return ForecastResult(future, *out, model)


# ----------------------------------------------------------------------------- files
def point_names(points: PointSeries) -> List[str]:
    for key in ("pid", "PID", "id", "fid", "name"):
        if key in points.fields:
            values = points.fields[key]
            return [
                str(int(v))
                if isinstance(v, (float, np.floating)) and float(v).is_integer()
                else str(v)
                for v in values
            ]
    return [str(i + 1) for i in range(len(points))]


def sample_timeseries(
    path: PathLike, x: np.ndarray, y: np.ndarray, epsg: Optional[int] = None
) -> PointSeries:
    """Series of a MintPy ``timeseries.h5`` at map coordinates (nearest pixel), in mm.

    Points outside the grid get NaN series. ``x``/``y`` must be in the file's CRS.
    """
    from ..io.mintpy import read_timeseries

    series = read_timeseries(path)
    if epsg and series.grid.epsg and int(epsg) != int(series.grid.epsg):
        raise InputError(
            f"points are in EPSG:{epsg} but the time series in EPSG:{series.grid.epsg}.",
            path,
            "reproject the points first.",
        )
    rows, cols = series.grid.rowcol(np.asarray(x, float), np.asarray(y, float))
    rows, cols = np.asarray(rows, int), np.asarray(cols, int)
    inside = series.grid.contains(rows, cols)
    values = np.full((len(rows), len(series.dates)), np.nan)
    values[inside] = series.data[:, rows[inside], cols[inside]].T * 1000.0
    return PointSeries(
        np.asarray(x, float),
        np.asarray(y, float),
        series.grid.epsg,
        list(series.dates),
        values,
        {},
        series.grid.wkt,
    )


def _usable(points: PointSeries, path_hint) -> tuple:
    if len(points) == 0 or len(points.dates) == 0:
        raise InputError(
            "has no points with DYYYYMMDD displacement fields.",
            path_hint,
            "give a point layer with one field per date named DYYYYMMDD (mm).",
        )
    filled, usable = fill_gaps(points.dates, points.displacement_mm)
    if not usable.any():
        raise InputError(
            "no point has at least half of its dates valid.",
            path_hint,
            "give points with fewer gaps.",
        )
    return filled, usable


def write_compare_outputs(
    points: PointSeries,
    output_table: PathLike,
    output_folder: Optional[PathLike],
    models: Optional[Sequence[str]] = None,
    options: ForecastOptions = None,
    source: Optional[str] = None,
    progress: ProgressCallback = silent,
) -> dict:
    """Compare models on every usable point: metrics CSV (point, model, split, rmse, mae, mape),
    and in ``output_folder`` one prediction chart and one error chart per point, the one-step
    predictions CSV and each model's forecast of the next ``horizon`` acquisitions CSV."""
    from .charts import error_chart, prediction_chart

    options = options or ForecastOptions()
    models = _resolve_models(models, options)
    split_index(len(points.dates), options.test_fraction)  # before any work
    filled, usable = _usable(points, source)
    names = [n for n, ok in zip(point_names(points), usable, strict=True) if ok]
    y = filled[usable]
    result = compare_models(points.dates, y, models, options, names, scaled(progress, 0, 0.7))
    folder = Path(output_folder) if output_folder else None
    forecasts = {}
    for k, name in enumerate(models):
        forecasts[name] = forecast_series(
            points.dates,
            y,
            name,
            options,
            scaled(progress, 0.7 + 0.25 * k / len(models), 0.7 + 0.25 * (k + 1) / len(models)),
        )
    outputs = {"OUTPUT_TABLE": str(output_table)}
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        charts = []
        try:
            for i, name in enumerate(names):
                report(progress, 0.95 + 0.04 * i / len(names), f"charts of {len(names)} points")
                charts.append(
                    prediction_chart(
                        folder / f"prediction_{name}.png",
                        points.dates,
                        y[i],
                        result.n_train,
                        {m: result.predictions[m][i] for m in models},
                        {
                            m: (
                                forecasts[m].dates,
                                forecasts[m].mean[i],
                                forecasts[m].lower[i],
                                forecasts[m].upper[i],
                            )
                            for m in models
                        },
                        title=f"point {name}",
                    )
                )
                charts.append(
                    error_chart(
                        folder / f"errors_{name}.png",
                        points.dates,
                        y[i],
                        result.n_train,
                        {m: result.predictions[m][i] for m in models},
                        title=f"point {name}",
                    )
                )
        except Cancelled:  # a cancelled run leaves none of its outputs
            for chart in charts:
                chart.unlink(missing_ok=True)
            raise
        predictions_csv = folder / "predictions.csv"
        forecasts_csv = folder / "forecasts.csv"
        with atomic_outputs(predictions_csv, forecasts_csv) as (pred_tmp, fc_tmp):
            with open(pred_tmp, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["point", "date", "split", "observed_mm"] + list(models))
                for i, name in enumerate(names):
                    for j, d in enumerate(points.dates):
                        writer.writerow(
                            [
                                name,
                                format_yyyymmdd(d),
                                SPLITS[int(j >= result.n_train)],
                                f"{y[i, j]:.3f}",
                            ]
                            + [_fmt(result.predictions[m][i, j]) for m in models]
                        )
            with open(fc_tmp, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["point", "model", "date", "forecast_mm", "lower_mm", "upper_mm"])
                for m in models:
                    fc = forecasts[m]
                    for i, name in enumerate(names):
                        for h, d in enumerate(fc.dates):
                            writer.writerow(
                                [
                                    name,
                                    m,
                                    format_yyyymmdd(d),
                                    _fmt(fc.mean[i, h]),
                                    _fmt(fc.lower[i, h]),
                                    _fmt(fc.upper[i, h]),
                                ]
                            )
        outputs.update(
            {
                "CHARTS": [str(c) for c in charts],
                "PREDICTIONS": str(predictions_csv),
                "FORECASTS": str(forecasts_csv),
            }
        )
    with csv_output(output_table, ["point", "model", "split", "rmse", "mae", "mape"]) as writer:
        for row in result.rows:
            writer.writerow(
                {k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()}
            )
    finished(progress, "done")
    return outputs


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.3f}"


def write_forecast_layer(
    points: PointSeries,
    output: PathLike,
    model: Optional[str] = None,
    options: ForecastOptions = None,
    source: Optional[str] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> dict:
    """Forecast every point and write a GeoPackage with the input fields and dates plus
    ``FYYYYMMDD`` (forecast, mm) and ``FLOYYYYMMDD``/``FHIYYYYMMDD`` (band) per future date.
    Unusable points (too many gaps) keep NULL forecasts. ``executor``: see
    :func:`forecast_series`."""
    options = options or ForecastOptions()
    model = check_model(options.forecast_model if model is None else model)
    filled, usable = _usable(points, source)
    result = forecast_series(
        points.dates, filled[usable], model, options, scaled(progress, 0, 0.95), executor
    )
    fields = dict(points.fields)
    for h, d in enumerate(result.dates):
        for bound, values in (("", result.mean), ("LO", result.lower), ("HI", result.upper)):
            column = np.full(len(points), np.nan)
            column[usable] = values[:, h]
            fields[forecast_field(d, bound)] = column
    fields["FMODEL"] = np.array([result.model.value] * len(points))
    write_points(output, replace(points, fields=fields))
    finished(progress, f"forecast {int(usable.sum())} points")
    return {
        "OUTPUT": str(output),
        "FORECAST_DATES": [format_yyyymmdd(d) for d in result.dates],
        "POINTS": int(usable.sum()),
    }


def read_series(points_path: PathLike, timeseries_path: Optional[PathLike] = None) -> PointSeries:
    """Points with ``DYYYYMMDD`` fields, or, with ``timeseries_path``, the points' positions
    sampled in a MintPy ``timeseries.h5`` (nearest pixel, mm; the points keep their fields)."""
    from ..io.point_layers import read_points

    points = read_points(points_path)
    if timeseries_path:
        sampled = sample_timeseries(timeseries_path, points.x, points.y, points.epsg)
        sampled.fields = points.fields
        return sampled
    return points


def compare_file(
    points_path: PathLike,
    output_table: PathLike,
    output_folder: Optional[PathLike] = None,
    models: Optional[Sequence[str]] = None,
    options: ForecastOptions = None,
    timeseries_path: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> dict:
    """File-level :func:`write_compare_outputs` (the ``forecastcompare`` algorithm)."""
    from ..atomic import check_outputs

    check_outputs([output_table], [points_path, timeseries_path])
    points = read_series(points_path, timeseries_path)
    source = str(timeseries_path or points_path)
    with about(source):
        return write_compare_outputs(
            points, output_table, output_folder, models, options, source, progress
        )


def forecast_file(
    points_path: PathLike,
    output: PathLike,
    model: Optional[str] = None,
    options: ForecastOptions = None,
    timeseries_path: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> dict:
    """File-level :func:`write_forecast_layer` (the ``forecast`` algorithm); ``executor``:
    see :func:`forecast_series`."""
    from ..atomic import check_outputs

    check_outputs([output], [points_path, timeseries_path])
    points = read_series(points_path, timeseries_path)
    source = str(timeseries_path or points_path)
    with about(source):
        return write_forecast_layer(points, output, model, options, source, progress, executor)
