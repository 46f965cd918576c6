"""Reference where everything moves: the automatic reference and the deramp's stable set say
so when most of the scene deforms."""

from __future__ import annotations

import datetime as dt

import numpy as np

from insar_subsidence.core.conventions import DAYS_PER_YEAR, SENTINEL1_WAVELENGTH
from insar_subsidence.core.corrections.deramp import DerampOptions, deramp_timeseries
from insar_subsidence.core.corrections.reference import ReferenceOptions, set_reference
from insar_subsidence.core.corrections.stable_check import check_stable_assumption
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import TimeSeries, write_ifgram_stack, write_timeseries

GRID = Grid(680000.0, 3940000.0, 80.0, -80.0, 60, 50, 32649)
DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(20)]


def rate_map(deforming_share: float, seed: int = 0) -> np.ndarray:
    """LOS rate (mm/yr): a broad basin over the first ``deforming_share`` of the columns,
    from -5 at its edge to -60 mm/yr at the far side; stable ground elsewhere; 0.5 mm/yr noise."""
    cols = np.arange(GRID.width) / GRID.width
    inside = cols < deforming_share
    basin = np.where(inside, -5.0 - 55.0 * (1 - cols / max(deforming_share, 1e-9)), 0.0)
    rng = np.random.default_rng(seed)
    return np.broadcast_to(basin, GRID.shape) + rng.normal(0.0, 0.5, GRID.shape)


def test_a_scene_that_is_70_percent_deforming_is_reported_with_numbers():
    check = check_stable_assumption(rate_map(0.7))
    assert check.share_near_median < 0.2
    assert "only" in check.warning and "%" in check.warning and "GNSS" in check.warning
    assert check_stable_assumption(rate_map(0.2)).warning is None


def test_a_uniformly_subsiding_majority_is_reported_too():
    rate = np.where(np.arange(GRID.width) < 35, -12.0, 0.0)[None] + np.zeros(GRID.shape)
    rate = rate + np.random.default_rng(1).normal(0.0, 0.5, GRID.shape)
    check = check_stable_assumption(rate)
    assert check.median_mm_yr < -10 and check.share_above > 0.25
    assert "rise faster" in check.warning


def _messages():
    collected = []
    return collected, lambda fraction, message="": collected.append(message) or True


def _stack(tmp_path, rate_mm_yr):
    pairs = [(DATES[i], DATES[i + 1]) for i in range(len(DATES) - 1)]
    years = np.array([(b - a).days for a, b in pairs]) / DAYS_PER_YEAR
    phase = -4 * np.pi / SENTINEL1_WAVELENGTH * rate_mm_yr[None] / 1000 * years[:, None, None]
    coherence = np.full(phase.shape, 0.9, np.float32)
    return write_ifgram_stack(
        tmp_path / "stack.h5",
        GRID,
        pairs,
        np.zeros(len(pairs)),
        phase.astype(np.float32),
        coherence,
    )


def test_automatic_reference_point_warns_where_everything_moves(tmp_path):
    stack = _stack(tmp_path, rate_map(0.7))
    messages, progress = _messages()
    set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(), progress=progress)
    warnings = [m for m in messages if m.startswith("Warning")]
    assert len(warnings) == 1 and "automatic reference point" in warnings[0]
    (tmp_path / "quiet").mkdir()
    quiet = _stack(tmp_path / "quiet", rate_map(0.2))
    messages, progress = _messages()
    set_reference(quiet, tmp_path / "ref2.h5", ReferenceOptions(), progress=progress)
    assert not [m for m in messages if m.startswith("Warning")]


def test_deramp_stable_set_warns_where_everything_moves(tmp_path):
    t = np.array([(d - DATES[0]).days for d in DATES]) / DAYS_PER_YEAR
    cube = (rate_map(0.7)[None] / 1000 * t[:, None, None]).astype(np.float32)
    path = write_timeseries(tmp_path / "ts.h5", TimeSeries(DATES, cube, GRID, {}, None))
    messages, progress = _messages()
    deramp_timeseries(path, tmp_path / "out.h5", DerampOptions(max_rate=3.0), progress=progress)
    assert any("deramp's stable set" in m for m in messages if m.startswith("Warning"))
