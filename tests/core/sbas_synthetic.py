"""Synthetic interferogram stacks with a known displacement history (for SBAS tests)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from insar_subsidence.core.conventions import SENTINEL1_WAVELENGTH
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import write_ifgram_stack

GRID = Grid(500000.0, 4000000.0, 30.0, -30.0, width=12, length=10, epsg=32633)


def make_dates(count: int, start=dt.date(2020, 1, 6), step_days: int = 12):
    return [start + dt.timedelta(days=step_days * i) for i in range(count)]


def small_baseline_pairs(dates, connections: int = 3):
    return [
        (dates[i], dates[j])
        for i in range(len(dates))
        for j in range(i + 1, min(i + 1 + connections, len(dates)))
    ]


def truth_displacement(dates, grid=GRID, rate_m_per_yr=-0.05, seed=0):
    """(n, L, W) LOS metres: a bowl sinking at up to ``rate`` plus a small seasonal term."""
    years = np.array([(d - dates[0]).days for d in dates]) / 365.25
    rows, cols = np.mgrid[0 : grid.length, 0 : grid.width]
    bowl = np.exp(-(((rows - grid.length / 2) / 3) ** 2 + ((cols - grid.width / 2) / 3) ** 2))
    season = 0.004 * np.sin(2 * np.pi * years)
    return (
        rate_m_per_yr * years[:, None, None] * bowl + season[:, None, None] * (1 - bowl)
    ).astype(np.float64)


def write_stack(
    path,
    dates,
    pairs,
    displacement,
    noise_rad=0.0,
    coherence=None,
    seed=1,
    ref_yx=(0, 0),
    conncomp=None,
    keep=None,
    grid=GRID,
    extra_attrs=None,
):
    """Write ifgramStack.h5 whose phases are the pair differences of ``displacement``."""
    rng = np.random.default_rng(seed)
    index = {d: i for i, d in enumerate(dates)}
    to_phase = -4 * np.pi / SENTINEL1_WAVELENGTH
    phase = np.stack(
        [(displacement[index[b]] - displacement[index[a]]) * to_phase for a, b in pairs]
    )
    phase += rng.normal(0, noise_rad, phase.shape) if noise_rad else 0.0
    phase += 0.7  # an arbitrary offset per stack, removed by referencing
    if coherence is None:
        coherence = rng.uniform(0.3, 0.95, phase.shape)
    attrs = {
        "WAVELENGTH": SENTINEL1_WAVELENGTH,
        "ALOOKS": 4,
        "RLOOKS": 20,
        "PLATFORM": "Sen",
        "PROCESSOR": "hyp3",
    }
    if ref_yx is not None:
        attrs.update(REF_Y=ref_yx[0], REF_X=ref_yx[1])
    attrs.update(extra_attrs or {})
    bperp = rng.normal(0, 50, len(pairs))
    return write_ifgram_stack(
        path,
        grid,
        pairs,
        bperp,
        phase.astype(np.float32),
        np.asarray(coherence, np.float32),
        conncomp=conncomp,
        attrs=attrs,
        keep=keep,
    )
