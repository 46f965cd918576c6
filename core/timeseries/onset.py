"""When subsidence started and what jumped: a breakpoint and steps in displacement series.

Per series ``y(t)`` (mm, on the acquisition dates ``t`` in years):

* Breakpoint. A continuous piecewise-linear fit with one breakpoint ``tau``,
  ``y = a + b t + c max(t - tau, 0)`` (rate ``b`` before, ``b + c`` after), is compared with a
  single line by ``F = (RSS_line - RSS_break) / (RSS_break / (n - 3))`` maximised over the
  candidate dates (each side keeps ``min_segment`` acquisitions). Because ``tau`` is searched,
  ``sup F`` does not follow an F distribution (Andrews 1993; Davies 1987): its critical value
  and p-value come from ``simulations`` white-noise series on the same dates (the statistic
  does not depend on the noise level), so ``false_alarm`` is the chance of declaring a
  breakpoint in a series that has none. The breakpoint is an ONSET when the rate after it is
  lower (faster subsidence) by at least ``min_rate_change``.
* Steps (a collapse, an unwrapping error) at unknown dates: added greedily to the trend model,
  each the offset ``d H(t - t_k)`` that most reduces the residual; kept while
  ``max_k dRSS_k / sigma^2`` exceeds its simulated critical value at ``false_alarm`` (a
  max-type likelihood-ratio test, binary-segmentation style; critical values simulated for the
  first step and reused for the next ones). A series with steps gets its breakpoint searched
  again with the steps in the model. Steps of about half a wavelength (2 pi of phase,
  ``lambda / 2 = 27.7 mm`` of LOS at C band) are flagged as likely unwrapping errors.

Noise is taken as white in time: a seasonal cycle or correlated atmosphere raises the
false-alarm rate above the nominal one (see ``docs/algorithms/onset.md``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..blocks import row_blocks
from ..conventions import SENTINEL1_WAVELENGTH, years_since
from ..dates import decimal_years
from ..errors import InputError
from ..options import Options, option
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]
#: a step of lambda/2 of LOS (2 pi of phase) within this fraction looks like an unwrapping error
UNWRAP_TOLERANCE = 0.2
#: series fitted together (progress and cancel between chunks)
SERIES_PER_CHUNK = 4000


@dataclass
class OnsetOptions(Options):
    """Options of :func:`detect_onsets` and :func:`fit_onset`."""

    false_alarm: float = option(
        0.01,
        help="Chance of a breakpoint, or of each step, in a series without any (white noise)",
        minimum=1e-4,
        maximum=0.2,
    )
    min_segment: int = option(
        6, help="Fewest acquisitions on each side of a breakpoint", minimum=3, maximum=500
    )
    min_rate_change: float = option(
        5.0,
        help="A breakpoint is a subsidence onset when the rate drops by at least this",
        unit="mm/yr",
        minimum=0.0,
    )
    max_steps: int = option(3, help="Most steps looked for per series", minimum=0, maximum=20)
    simulations: int = option(
        2000,
        help="White-noise series simulated for the critical values",
        minimum=200,
        maximum=100000,
    )
    wavelength_m: float = option(
        SENTINEL1_WAVELENGTH,
        help="Radar wavelength, to flag steps of half a wavelength (unwrapping errors)",
        unit="m",
        minimum=0.001,
    )
    memory_mb: float = option(256.0, help="Memory budget of the row blocks", unit="MiB", minimum=1)


@dataclass
class Step:
    """An offset of ``size_mm`` between acquisitions ``index - 1`` and ``index``."""

    index: int
    date: dt.date
    size_mm: float
    statistic: float
    unwrapping: bool


@dataclass
class OnsetFit:
    """One series: the breakpoint (None when not significant), rates (mm/yr), steps."""

    breakpoint: Optional[dt.date]
    onset: Optional[dt.date]
    rate_before: float
    rate_after: float
    sup_f: float
    p_value: float
    steps: List[Step] = field(default_factory=list)
    #: the fitted trend plus steps on the input dates (mm)
    fitted: Optional[np.ndarray] = None


def _orthonormal(design: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(design)
    return q


def _hinge(t: np.ndarray, k: int) -> np.ndarray:
    return np.maximum(t - t[k], 0.0)


def _candidates(n: int, min_segment: int) -> np.ndarray:
    return np.arange(min_segment - 1, n - min_segment + 1)


def _step_columns(n: int, steps: List[List[int]], width: int) -> np.ndarray:
    """(N, n, width) step regressors H(t - t_k) of each series, zero-padded."""
    columns = np.zeros((len(steps), n, width))
    index = np.arange(n)
    for i, found in enumerate(steps):
        for j, k in enumerate(found):
            columns[i, :, j] = index >= k
    return columns


def _extra_basis(q: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Orthonormal directions (N, n, j) of each series' own columns ``extra`` (N, n, j)
    orthogonal to the common basis ``q`` (n, p); zero columns (padding) stay zero."""
    columns = extra - np.einsum("nk,ikj->inj", q, np.einsum("nk,inj->ikj", q, extra))
    basis = np.zeros_like(columns)
    for j in range(columns.shape[2]):
        v = columns[:, :, j] - np.einsum(
            "inl,il->in",
            basis[:, :, :j],
            np.einsum("inl,in->il", basis[:, :, :j], columns[:, :, j]),
        )
        norm = np.linalg.norm(v, axis=1)
        usable = norm > 1e-9
        basis[usable, :, j] = v[usable] / norm[usable, None]
    return basis


def _sup_f(y, t, candidates, extra=None, extra_count=None):
    """(sup F, best candidate index) of series ``y`` (N, n) for one breakpoint against a line;
    ``extra`` (N, n, j) per-series regressors (steps) in both models, ``extra_count`` (N,) how
    many of them are real.

    All candidates at once: with ``r`` the residual of the line (plus steps) and ``h`` a hinge
    column, adding ``h`` lowers the RSS by ``(r . h)^2 / |h~|^2``, ``h~`` the part of ``h``
    orthogonal to the line (and steps); ``r . h = r . h~`` because ``r`` is orthogonal to them.
    """
    n = len(t)
    count = np.zeros(len(y)) if extra_count is None else np.asarray(extra_count, float)
    q = _orthonormal(np.column_stack([np.ones(n), t]))
    hinges = np.column_stack([_hinge(t, k) for k in candidates])  # (n, K)
    hinges = hinges - q @ (q.T @ hinges)
    residual = y - (y @ q) @ q.T
    if extra is None or extra.shape[2] == 0:
        norms = np.broadcast_to(np.einsum("nk,nk->k", hinges, hinges), (len(y), len(candidates)))
    else:
        basis = _extra_basis(q, extra)
        residual = residual - np.einsum("inj,ij->in", basis, np.einsum("inj,in->ij", basis, y))
        along = np.einsum("inj,nk->ijk", basis, hinges)  # (N, j, K)
        norms = np.einsum("nk,nk->k", hinges, hinges)[None] - np.einsum("ijk,ijk->ik", along, along)
    rss_line = np.einsum("ij,ij->i", residual, residual)
    usable = norms > 1e-9 * np.einsum("nk,nk->k", hinges, hinges)[None]
    gain = np.where(usable, (residual @ hinges) ** 2 / np.where(usable, norms, 1.0), 0.0)
    # below 1e-15 of the line's RSS the difference is rounding: an exact fit
    rss = np.maximum(rss_line[:, None] - gain, 1e-15 * rss_line[:, None] + 1e-300)
    f = (rss_line[:, None] - rss) / (rss / (n - 3 - count)[:, None])
    best = np.argmax(f, axis=1)
    return f[np.arange(len(y)), best], np.asarray(candidates)[best]


@functools.lru_cache(maxsize=64)
def _null_sup_f(t_key: Tuple[float, ...], min_segment: int, simulations: int) -> np.ndarray:
    """Sorted sup F of white-noise series on the dates ``t_key``."""
    t = np.array(t_key)
    noise = np.random.default_rng(12345).standard_normal((simulations, len(t)))
    return np.sort(_sup_f(noise, t, _candidates(len(t), min_segment))[0])


def _p_value(null: np.ndarray, observed: np.ndarray) -> np.ndarray:
    above = len(null) - np.searchsorted(null, observed, side="left")
    return (above + 1) / (len(null) + 1)


def _trend_design(t: np.ndarray, hinge_index: int, step_indices: Sequence[int] = ()):
    columns = [np.ones_like(t), t]
    if hinge_index >= 0:
        columns.append(_hinge(t, hinge_index))
    for k in step_indices:
        columns.append((np.arange(len(t)) >= k).astype(float))
    return np.column_stack(columns)


def _greedy_steps(y, design, max_steps, critical, n_rounds_null=False):
    """Steps added one by one to the common ``design`` (n, p) of series ``y`` (N, n) while
    the max-type statistic exceeds ``critical``: (list of step indices per series, list of
    statistics per series; for the null, the first-round statistics)."""
    n, p = design.shape
    q = _orthonormal(design)
    steps = (np.arange(n)[:, None] >= np.arange(1, n)[None, :]).astype(float)  # (n, n-1)
    steps_tilde = steps - q @ (q.T @ steps)
    norms = np.einsum("ij,ij->j", steps_tilde, steps_tilde)
    residual = y - (y @ q) @ q.T
    taken = np.zeros((len(y), n - 1))  # sum of squared projections of each step on found ones
    basis = np.zeros((len(y), n, max(max_steps, 1)))  # orthonormal directions of found steps
    found = [[] for _ in range(len(y))]
    statistics = [[] for _ in range(len(y))]
    active = np.ones(len(y), bool)
    first = None
    for round_ in range(max(max_steps, 1)):
        denominator = norms[None] - taken
        usable = denominator > 1e-9 * norms[None]
        projection = residual @ steps_tilde
        gain = np.where(usable, projection**2 / np.where(usable, denominator, 1.0), 0.0)
        best = np.argmax(gain, axis=1)
        reduction = gain[np.arange(len(y)), best]
        rss = np.einsum("ij,ij->i", residual, residual)
        sigma2 = np.maximum(rss - reduction, 1e-300) / max(n - p - round_ - 1, 1)
        statistic = reduction / sigma2
        if first is None:
            first = statistic
        if n_rounds_null:
            return first
        accept = active & (statistic > critical)
        if not accept.any():
            break
        rows = np.flatnonzero(accept)
        direction = steps_tilde[:, best[rows]].T  # (M, n)
        for row, k, stat in zip(rows, best[rows], statistic[rows], strict=True):
            found[row].append(int(k) + 1)
            statistics[row].append(float(stat))
        # the new direction, orthogonal to the steps already found
        before = basis[rows, :, :round_]
        v = direction - np.einsum("inj,ij->in", before, np.einsum("inj,in->ij", before, direction))
        u = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
        basis[rows, :, round_] = u
        overlap = u @ steps_tilde  # (M, n-1): what each candidate step loses along u
        taken[rows] += overlap**2
        residual[rows] -= np.einsum("in,in->i", residual[rows], u)[:, None] * u
        active = accept
        if round_ + 1 >= max_steps:
            break
    return found, statistics


@functools.lru_cache(maxsize=256)
def _null_step(t_key: Tuple[float, ...], hinge_index: int, simulations: int) -> np.ndarray:
    """Sorted first-step statistic of white noise around the trend design (a line when
    ``hinge_index`` < 0)."""
    t = np.array(t_key)
    noise = np.random.default_rng(54321).standard_normal((simulations, len(t)))
    design = _trend_design(t, hinge_index)
    return np.sort(_greedy_steps(noise, design, 1, np.inf, n_rounds_null=True))


def _critical(null: np.ndarray, false_alarm: float) -> float:
    return float(np.quantile(null, 1.0 - false_alarm))


@dataclass
class _Fits:
    """Per series (N,): breakpoint index (-1 = none), its F and p-value, rates (mm/yr),
    steps (index, size mm, statistic)."""

    hinge: np.ndarray
    sup_f: np.ndarray
    p_value: np.ndarray
    rate_before: np.ndarray
    rate_after: np.ndarray
    steps: List[List[Tuple[int, float, float]]]
    coefficients: List[np.ndarray]


def _fit_arrays(y: np.ndarray, t: np.ndarray, options: OnsetOptions) -> _Fits:
    """Breakpoints and steps of complete series ``y`` (N, n, mm) on times ``t`` (years)."""
    n = len(t)
    if n < 2 * options.min_segment + 1:
        raise InputError(
            f"{n} acquisitions are too few for a breakpoint with {options.min_segment} on "
            "each side.",
            None,
            "lower the minimum segment or use a longer series.",
        )
    key = tuple(np.round(t, 9))
    candidates = _candidates(n, options.min_segment)
    null_f = _null_sup_f(key, options.min_segment, options.simulations)
    f_critical = _critical(null_f, options.false_alarm)
    sup_f, best_k = _sup_f(y, t, candidates)
    hinge = np.where(sup_f > f_critical, best_k, -1)
    steps: List[List[int]] = [[] for _ in range(len(y))]
    statistics: List[List[float]] = [[] for _ in range(len(y))]
    todo = np.arange(len(y)) if options.max_steps else np.array([], int)
    # steps given the breakpoint; then, where steps were found, the breakpoint searched again
    # with the strongest one in the model and the steps again with the moved breakpoint (a
    # step first displaces the breakpoint, which a spurious step would otherwise make up for)
    for iteration in range(2):
        for k in np.unique(hinge[todo]):
            members = todo[hinge[todo] == k]
            critical = _critical(_null_step(key, int(k), options.simulations), options.false_alarm)
            found, stats = _greedy_steps(
                y[members], _trend_design(t, int(k)), options.max_steps, critical
            )
            for member, f_steps, f_stats in zip(members, found, stats, strict=True):
                steps[member], statistics[member] = f_steps, f_stats
        todo = np.flatnonzero([len(s) > 0 for s in steps])
        if not len(todo):
            break
        # first with the strongest step only (later ones may only make up for a displaced
        # breakpoint), at the end with all the steps kept
        kept = [steps[i][:1] if iteration == 0 else steps[i] for i in todo]
        width = max(len(k) for k in kept)
        extra = _step_columns(n, kept, width)
        counts = np.array([len(k) for k in kept])
        again_f, again_k = _sup_f(y[todo], t, candidates, extra, counts)
        sup_f[todo] = again_f
        hinge[todo] = np.where(again_f > f_critical, again_k, -1)
    coefficients: List[Optional[np.ndarray]] = [None] * len(y)
    plain = np.flatnonzero([len(s) == 0 for s in steps])
    for k in np.unique(hinge[plain]):
        members = plain[hinge[plain] == k]
        coef, *_ = np.linalg.lstsq(_trend_design(t, int(k)), y[members].T, rcond=None)
        for member, c in zip(members, coef.T, strict=True):
            coefficients[member] = c
    for member in np.flatnonzero([len(s) > 0 for s in steps]):
        design = _trend_design(t, int(hinge[member]), steps[member])
        coefficients[member] = np.linalg.lstsq(design, y[member], rcond=None)[0]
    rate_before = np.array([c[1] for c in coefficients])
    rate_after = np.array(
        [c[1] + (c[2] if h >= 0 else 0.0) for c, h in zip(coefficients, hinge, strict=True)]
    )
    step_rows = []
    for c, h, found, stats in zip(coefficients, hinge, steps, statistics, strict=True):
        first = 3 if h >= 0 else 2
        step_rows.append(
            [
                (k, float(c[first + j]), stat)
                for j, (k, stat) in enumerate(zip(found, stats, strict=True))
            ]
        )
    return _Fits(
        hinge, sup_f, _p_value(null_f, sup_f), rate_before, rate_after, step_rows, coefficients
    )


def _unwrapping(size_mm: float, wavelength_m: float) -> bool:
    ratio = abs(size_mm) / (wavelength_m / 2 * 1000)
    return round(ratio) >= 1 and abs(ratio - round(ratio)) <= UNWRAP_TOLERANCE


def _onset_fits(fits: _Fits, dates: Sequence[dt.date], options: OnsetOptions) -> List[OnsetFit]:
    out = []
    for i in range(len(fits.hinge)):
        h = int(fits.hinge[i])
        breakpoint = dates[h] if h >= 0 else None
        is_onset = h >= 0 and fits.rate_after[i] <= fits.rate_before[i] - options.min_rate_change
        out.append(
            OnsetFit(
                breakpoint,
                breakpoint if is_onset else None,
                float(fits.rate_before[i]),
                float(fits.rate_after[i]),
                float(fits.sup_f[i]),
                float(fits.p_value[i]),
                [
                    Step(k, dates[k], size, stat, _unwrapping(size, options.wavelength_m))
                    for k, size, stat in fits.steps[i]
                ],
            )
        )
    return out


def fit_onsets(
    y: np.ndarray, dates: Sequence[dt.date], options: OnsetOptions, with_fitted: bool = False
) -> List[OnsetFit]:
    """Breakpoint, rates and steps of many complete series at once.

    Parameters
    ----------
    y : (N, n) array, mm; one series per row, no NaN (``fit_onset`` drops missing dates).
    dates : the n acquisition dates.
    with_fitted : also keep each series' fitted curve (mm) in ``OnsetFit.fitted``.

    Returns
    -------
    One ``OnsetFit`` per row.
    """
    t = years_since(dates)
    fits = _fit_arrays(np.asarray(y, float), t, options)
    out = _onset_fits(fits, dates, options)
    if with_fitted:
        for i, fit in enumerate(out):
            design = _trend_design(t, int(fits.hinge[i]), [s.index for s in fit.steps])
            fit.fitted = design @ fits.coefficients[i]
    return out


def fit_onset(
    dates: Sequence[dt.date], values_mm: Sequence[float], options: Optional[OnsetOptions] = None
) -> OnsetFit:
    """Breakpoint, rates and steps of one series (NaN dates dropped); ``fitted`` holds the
    model on the remaining dates (the time-series dock draws it)."""
    options = options or OnsetOptions()
    values = np.asarray(values_mm, float)
    keep = np.isfinite(values)
    kept_dates = [d for d, k in zip(dates, keep, strict=True) if k]
    return fit_onsets(values[keep][None], kept_dates, options, with_fitted=True)[0]


# ---------------------------------------------------------------------------------------------
# files


@dataclass
class OnsetResult:
    series: int  # series analysed
    skipped: int  # series with missing dates or no data, left out
    breakpoints: int
    onsets: int
    steps: int
    messages: List[str] = field(default_factory=list)


ONSET_FIELDS = ("ONSET", "ONSET_YR", "BREAK_YR", "RATE_BEFORE", "RATE_AFTER", "SUP_F", "P_VALUE")


@functools.lru_cache(maxsize=4096)
def _decimal_year(date: dt.date) -> float:
    return float(decimal_years([date])[0])


def _fields_of(fits: List[OnsetFit]) -> dict:
    def year(date):
        return _decimal_year(date) if date is not None else np.nan

    return {
        "ONSET": np.array([f"{f.onset:%Y-%m-%d}" if f.onset else "" for f in fits]),
        "ONSET_YR": np.array([year(f.onset) for f in fits]),
        "BREAK_YR": np.array([year(f.breakpoint) for f in fits]),
        "RATE_BEFORE": np.array([f.rate_before for f in fits]),
        "RATE_AFTER": np.array([f.rate_after for f in fits]),
        "SUP_F": np.array([f.sup_f for f in fits]),
        "P_VALUE": np.array([f.p_value for f in fits]),
        "N_STEPS": np.array([len(f.steps) for f in fits], dtype=np.int64),
    }


def _step_points(fits, x, y, epsg, wkt, extra: dict):
    from ..io.point_layers import PointSeries

    rows = [(i, s) for i, f in enumerate(fits) for s in f.steps]
    index = np.array([i for i, _ in rows], dtype=int)
    fields = {
        "DATE": np.array([f"{s.date:%Y-%m-%d}" for _, s in rows]),
        "YEAR": np.array([float(decimal_years([s.date])[0]) for _, s in rows]),
        "SIZE_MM": np.array([s.size_mm for _, s in rows]),
        "STATISTIC": np.array([s.statistic for _, s in rows]),
        "UNWRAP": np.array([int(s.unwrapping) for _, s in rows], dtype=np.int64),
    }
    for name, values in extra.items():
        fields[name] = np.asarray(values)[index] if len(index) else np.array([], int)
    return PointSeries(x[index], y[index], epsg, [], np.zeros((len(rows), 0)), fields, wkt)


def is_time_series_file(path: Union[str, Path]) -> bool:
    """Whether ``path`` is a time-series file (an onset map) rather than a point layer."""
    return str(path).lower().endswith(".h5")


def detect_onsets(
    input_path: PathLike,
    output: Optional[PathLike] = None,
    output_points: Optional[PathLike] = None,
    output_steps: Optional[PathLike] = None,
    options: Optional[OnsetOptions] = None,
    progress: ProgressCallback = silent,
) -> OnsetResult:
    """Breakpoints, onsets and steps of every series of ``input_path``.

    A ``timeseries.h5`` (LOS metres, rates in LOS mm/yr) writes ``output``, a GeoTIFF with
    bands onset (decimal year; NaN: no onset), breakpoint (decimal year), rate before, rate
    after (mm/yr), sup F, p-value and the number of steps. A point layer with ``DYYYYMMDD``
    fields (mm) writes ``output_points``: the points, their series and the fields
    :data:`ONSET_FIELDS` + ``N_STEPS``. ``output_steps``: a point layer with one point per step
    (DATE, YEAR, SIZE_MM, STATISTIC, UNWRAP).
    """
    options = options or OnsetOptions()
    check_outputs([output, output_points, output_steps], [input_path])
    if is_time_series_file(input_path):
        if output is None:
            raise InputError(
                "a time-series file writes a raster of onsets.",
                input_path,
                "give the onset map output (GeoTIFF).",
            )
        return _detect_raster(input_path, output, output_steps, options, progress)
    if output_points is None:
        raise InputError(
            "a point layer writes a point layer of onsets.",
            input_path,
            "give the onset points output (GeoPackage).",
        )
    return _detect_points(input_path, output_points, output_steps, options, progress)


def _summary(fits: List[OnsetFit], skipped: int) -> OnsetResult:
    result = OnsetResult(
        series=len(fits),
        skipped=skipped,
        breakpoints=sum(f.breakpoint is not None for f in fits),
        onsets=sum(f.onset is not None for f in fits),
        steps=sum(len(f.steps) for f in fits),
    )
    result.messages.append(
        f"{result.series} series: {result.breakpoints} with a significant breakpoint, "
        f"{result.onsets} subsidence onsets, {result.steps} steps"
        + (f"; {skipped} with missing dates left out" if skipped else "")
        + "."
    )
    return result


def _detect_points(input_path, output_points, output_steps, options, progress) -> OnsetResult:
    from ..io.point_layers import PointSeries, read_points, write_points

    points = read_points(input_path)
    if not points.dates:
        raise InputError(
            "the point layer has no DYYYYMMDD displacement fields.",
            input_path,
            "give a layer with one field per date (mm).",
        )
    values = points.displacement_mm.astype(float)
    complete = np.isfinite(values).all(axis=1)
    fits: List[Optional[OnsetFit]] = [None] * len(points)
    index = np.flatnonzero(complete)
    chunk = 2000
    for start in range(0, len(index), chunk):
        part = index[start : start + chunk]
        for i, fit in zip(part, fit_onsets(values[part], points.dates, options), strict=True):
            fits[i] = fit
        report(progress, 0.9 * min(1.0, (start + chunk) / max(len(index), 1)), "Breakpoints")
    empty = OnsetFit(None, None, np.nan, np.nan, np.nan, np.nan)
    filled = [f if f is not None else empty for f in fits]
    fields = dict(points.fields)
    fields.update(_fields_of(filled))
    write_points(
        output_points,
        PointSeries(points.x, points.y, points.epsg, points.dates, values, fields, points.wkt),
        "onsets",
    )
    if output_steps:
        ids = {"POINT": np.arange(len(points), dtype=np.int64)}
        write_points(
            output_steps,
            _step_points(filled, points.x, points.y, points.epsg, points.wkt, ids),
            "steps",
        )
    result = _summary([f for f in fits if f is not None], int((~complete).sum()))
    for message in result.messages:
        report(progress, 1.0, message)
    return result


def _detect_raster(input_path, output, output_steps, options, progress) -> OnsetResult:
    from ..grid import Grid
    from ..io.geotiff import write_geotiff
    from ..io.mintpy import read_attrs, read_timeseries, read_timeseries_dates
    from ..io.point_layers import write_points

    attrs = read_attrs(input_path)
    grid = Grid.from_attrs(attrs)
    dates = read_timeseries_dates(input_path)
    bands = np.full((7,) + grid.shape, np.nan, np.float32)
    all_fits: List[OnsetFit] = []
    step_rows, step_cols = [], []
    skipped = 0
    blocks = list(row_blocks(grid.length, 16 * len(dates) * grid.width, options.memory_mb))
    for number, rows in enumerate(blocks):
        data = read_timeseries(input_path, rows).data.astype(np.float64) * 1000.0
        series = data.reshape(len(dates), -1).T
        complete = np.isfinite(series).all(axis=1) & (np.abs(series).sum(axis=1) > 0)
        skipped += int((np.isfinite(series).any(axis=1) & ~complete).sum())
        complete_index = np.flatnonzero(complete)
        block = np.full((7, series.shape[0]), np.nan)
        for start in range(0, len(complete_index), SERIES_PER_CHUNK):
            index = complete_index[start : start + SERIES_PER_CHUNK]
            fits = fit_onsets(series[index], dates, options)
            fields = _fields_of(fits)
            for b, name in enumerate(
                ("ONSET_YR", "BREAK_YR", "RATE_BEFORE", "RATE_AFTER", "SUP_F", "P_VALUE", "N_STEPS")
            ):
                block[b, index] = fields[name]
            for i, fit in zip(index, fits, strict=True):
                if fit.steps:
                    all_fits.append(fit)
                    step_rows.append(rows.start + i // grid.width)
                    step_cols.append(i % grid.width)
            done = (number + (start + len(index)) / max(len(complete_index), 1)) / len(blocks)
            report(progress, 0.9 * done, f"Breakpoints: {rows.start + start // grid.width} rows")
        bands[:, rows] = block.reshape((7, rows.stop - rows.start, grid.width))
        report(progress, 0.9 * (number + 1) / len(blocks), "Breakpoints")
    write_geotiff(
        output,
        bands,
        grid,
        [
            "onset of subsidence (decimal year)",
            "breakpoint (decimal year)",
            "LOS rate before (mm/yr)",
            "LOS rate after (mm/yr)",
            "sup F",
            "p-value",
            "steps",
        ],
    )
    if output_steps:
        x, y = grid.xy(np.array(step_rows, int), np.array(step_cols, int))
        extra = {"ROW": np.array(step_rows, np.int64), "COL": np.array(step_cols, np.int64)}
        write_points(
            output_steps,
            _step_points(all_fits, np.asarray(x), np.asarray(y), grid.epsg, grid.wkt, extra),
            "steps",
        )
    finite = np.isfinite(bands[4])
    result = OnsetResult(
        series=int(finite.sum()),
        skipped=skipped,
        breakpoints=int(np.isfinite(bands[1]).sum()),
        onsets=int(np.isfinite(bands[0]).sum()),
        steps=int(np.nansum(bands[6])),
    )
    result.messages.append(
        f"{result.series} pixels: {result.breakpoints} with a significant breakpoint, "
        f"{result.onsets} subsidence onsets, {result.steps} steps"
        + (f"; {skipped} with missing dates left out" if skipped else "")
        + "."
    )
    for message in result.messages:
        report(progress, 1.0, message)
    return result
