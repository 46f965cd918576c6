"""Rates of displacement series: one batched, NaN-aware least-squares fit for every step.

Each series d(t) (any unit, t in years) is fitted with

    d(t) = c_part + v (t - t_c) [+ a/2 (t - t_c)^2] [+ sum_k c_k cos(2 pi k t) + s_k sin(2 pi k t)]

``t_c`` is the middle of the series when ``centred`` (so that ``v`` is the mean rate of the
period even with the acceleration ``a``), else 0 (the offset is then the value at t = 0).
``c_part`` is one offset per part of a split network (dates of parts referenced to their own
first date share the rate but not the offset). Harmonics use t itself, so their phase is tied
to t = 0. Standard deviations come from the residual variance propagated through the fit
(``sigma^2 (D^T D)^-1``). NaN samples are left out per series; the series are solved together
(normal equations per series, no Python loop over series).

Used by the velocity maps, point import, PS velocities, deramping's stable-pixel check, the
driver correlation's seasonal term and the time-series dock's fitted curve.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from ..accelerator import blas_threads

HARMONIC_NAMES = ("annual", "semiannual")


def rate_design(
    years: np.ndarray,
    *,
    acceleration: bool = False,
    harmonics: int = 0,
    part_of_date: Optional[np.ndarray] = None,
    centred: bool = True,
) -> Tuple[np.ndarray, List[str]]:
    """(n, q) design matrix of the model above and its parameter names.

    ``years`` (n,) the time axis in years; ``harmonics`` 0, 1 (annual) or 2 (annual and
    semi-annual); ``part_of_date`` (n,) int part number per date (default: one part). Names:
    ``offset_part<p>`` per part, ``velocity``, ``acceleration``, ``annual_cos``,
    ``annual_sin``, ``semiannual_cos``, ``semiannual_sin``.
    """
    years = np.asarray(years, dtype=np.float64)
    parts = np.zeros(len(years), int) if part_of_date is None else np.asarray(part_of_date)
    origin = 0.5 * (years.min() + years.max()) if centred else 0.0
    shifted = years - origin
    columns = [(parts == p).astype(float) for p in np.unique(parts)]
    names = [f"offset_part{p}" for p in np.unique(parts)]
    columns.append(shifted)
    names.append("velocity")
    if acceleration:
        columns.append(0.5 * shifted**2)
        names.append("acceleration")
    for k, label in enumerate(HARMONIC_NAMES[:harmonics], start=1):
        columns += [np.cos(2 * np.pi * k * years), np.sin(2 * np.pi * k * years)]
        names += [f"{label}_cos", f"{label}_sin"]
    return np.column_stack(columns), names


def fit_design(data: np.ndarray, design: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Least-squares fit of ``design`` (n, q) to each column of ``data`` (n, P), NaN = missing.

    Returns (parameters (q, P), standard deviations (q, P)) in the units of ``data`` per unit
    of each design column. A parameter without any data (the offset of a network part with no
    valid date in that series) is NaN; series with no more valid samples than free parameters
    are NaN.
    """
    if data.ndim == 2 and data.shape[1] >= MANY_SERIES:
        with blas_threads(1):  # threaded BLAS on these thin products: 5x slower, 2 cores
            return _fit_design(data, design)
    return _fit_design(data, design)


#: from this many series on, :func:`fit_design` caps BLAS at one thread (the cap costs ~1 ms)
MANY_SERIES = 1000


def _fit_design(data: np.ndarray, design: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    n, q = design.shape
    valid = np.isfinite(data)
    y = np.where(valid, data, 0.0).T  # (P, n)
    w = valid.T.astype(np.float64)
    outer = np.einsum("ni,nj->nij", design, design).reshape(n, q * q)
    normal = (w @ outer).reshape(-1, q, q)
    diagonal = np.einsum("pii->pi", normal)
    empty = diagonal == 0
    diagonal += empty  # pin unobserved parameters to zero
    free = q - empty.sum(axis=1)
    count = w.sum(axis=1)
    enough = count > free
    inverse = np.linalg.inv(np.where(enough[:, None, None], normal, np.eye(q)))
    params = np.einsum("pij,pj->pi", inverse, (w * y) @ design)
    residual = np.where(valid.T, y - params @ design.T, 0.0)
    sigma2 = (residual**2).sum(axis=1) / np.maximum(count - free, 1)
    std = np.sqrt(np.einsum("pii->pi", inverse) * sigma2[:, None])
    bad = empty | ~enough[:, None]
    params[bad] = np.nan
    std[bad] = np.nan
    return params.T, std.T


def linear_rate(years: np.ndarray, data: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Linear rate and its standard deviation (P,) of each column of ``data`` (n, P) against
    ``years`` (n,): data unit per year. NaN samples are ignored; columns with fewer than 3
    valid samples get NaN."""
    design, _ = rate_design(years)
    params, std = fit_design(data, design)
    return params[1], std[1]
