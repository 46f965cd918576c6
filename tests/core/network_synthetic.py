"""Small synthetic interferogram stacks with known truth for the network/correction tests."""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import write_ifgram_stack

GRID = Grid(
    x_first=500000.0,
    y_first=4000000.0,
    x_step=100.0,
    y_step=-100.0,
    width=12,
    length=10,
    epsg=32650,
)


def dates(n: int, start: dt.date = dt.date(2020, 1, 1), step: int = 12):
    return [start + dt.timedelta(days=step * k) for k in range(n)]


def all_pairs(acquisitions, max_gap: int = 3):
    return [
        (a, b) for (i, a), (j, b) in combinations(enumerate(acquisitions), 2) if j - i <= max_gap
    ]


def make_stack(
    path: Path,
    pairs,
    coherence_by_pair: Optional[Sequence[float]] = None,
    phase_by_date: Optional[dict] = None,
    bperp_by_date: Optional[dict] = None,
    grid: Grid = GRID,
    errors: Optional[dict] = None,
) -> Path:
    """Stack whose pair phase = phase[date2] - phase[date1] (+ ``errors[k]`` (L, W) rad)."""
    m = len(pairs)
    shape = (m,) + grid.shape
    acq = sorted({d for p in pairs for d in p})
    phase_by_date = phase_by_date or {d: np.zeros(grid.shape, np.float32) for d in acq}
    bperp_by_date = bperp_by_date or {d: 0.0 for d in acq}
    unw = np.zeros(shape, np.float32)
    for k, (a, b) in enumerate(pairs):
        unw[k] = phase_by_date[b] - phase_by_date[a]
        if errors and k in errors:
            unw[k] += errors[k]
    coh = np.ones(shape, np.float32)
    if coherence_by_pair is not None:
        coh *= np.asarray(coherence_by_pair, np.float32)[:, None, None]
    bperp = [bperp_by_date[b] - bperp_by_date[a] for a, b in pairs]
    return write_ifgram_stack(path, grid, pairs, bperp, unw, coh)


def make_timeseries(
    path: Path,
    data: np.ndarray,
    acquisitions,
    grid: Grid = GRID,
    bperp=None,
    attrs: Optional[dict] = None,
) -> Path:
    from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries

    series = TimeSeries(
        list(acquisitions),
        np.asarray(data, np.float32),
        grid,
        dict(attrs or {}),
        None if bperp is None else np.asarray(bperp, np.float32),
    )
    return write_timeseries(path, series)


def make_geometry(path: Path, incidence, grid: Grid = GRID) -> Path:
    from insar_subsidence.core.io.mintpy import write_geometry

    inc = np.broadcast_to(np.asarray(incidence, np.float32), grid.shape)
    return write_geometry(path, grid, np.zeros(grid.shape), inc, np.zeros(grid.shape))
