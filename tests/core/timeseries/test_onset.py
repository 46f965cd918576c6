"""Onset of subsidence and steps on synthetic series with known onsets, steps and noise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.dates import decimal_years
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from insar_subsidence.core.io.point_layers import PointSeries, read_points, write_points
from insar_subsidence.core.timeseries.onset import (
    OnsetOptions,
    detect_onsets,
    fit_onset,
    fit_onsets,
)

DATES = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(90)]
T = years_since(DATES)
NOISE_MM = 3.0


def onset_series(onsets, rate=-40.0, noise=NOISE_MM, seed=0):
    rng = np.random.default_rng(seed)
    clean = np.array([np.where(T > T[k], rate * (T - T[k]), 0.0) for k in onsets])
    return clean + rng.normal(0.0, noise, clean.shape)


def test_onsets_are_found_with_their_date_and_rates():
    rng = np.random.default_rng(1)
    onsets = rng.integers(15, 75, 300)
    fits = fit_onsets(onset_series(onsets), DATES, OnsetOptions())
    found = [f for f in fits if f.onset is not None]
    assert len(found) / len(fits) > 0.97  # -40 mm/yr after, 3 mm noise
    errors = np.array(
        [abs((f.onset - DATES[k]).days) for f, k in zip(fits, onsets, strict=True) if f.onset]
    )
    assert np.median(errors) <= 12 and np.percentile(errors, 90) <= 36  # days
    rates = np.array([(f.rate_before, f.rate_after) for f in found])
    assert np.median(np.abs(rates[:, 0])) < 2.0
    assert np.median(rates[:, 1]) == pytest.approx(-40.0, abs=2.0)


def test_weak_onsets_are_found_less_often_and_noise_rarely_breaks():
    rng = np.random.default_rng(2)
    onsets = rng.integers(15, 75, 300)
    weak = fit_onsets(onset_series(onsets, rate=-4.0, seed=3), DATES, OnsetOptions())
    strong = fit_onsets(onset_series(onsets, rate=-15.0, seed=3), DATES, OnsetOptions())
    rate = lambda fits: np.mean([f.breakpoint is not None for f in fits])  # noqa: E731
    assert rate(weak) < rate(strong)
    assert rate(strong) > 0.9
    noise = np.random.default_rng(4).normal(0.0, NOISE_MM, (1000, len(DATES)))
    fits = fit_onsets(noise, DATES, OnsetOptions(false_alarm=0.01))
    false_breaks = np.mean([f.breakpoint is not None for f in fits])
    false_steps = np.mean([len(f.steps) > 0 for f in fits])
    assert false_breaks < 0.025 and false_steps < 0.025  # nominal 1 %, 1000 series
    assert np.mean([f.p_value < 0.01 for f in fits]) < 0.025


def test_a_stabilising_panel_has_a_breakpoint_but_no_onset():
    clean = np.where(T < T[50], -60.0 * T, -60.0 * T[50])
    series = clean + np.random.default_rng(5).normal(0, NOISE_MM, len(T))
    fit = fit_onset(DATES, series)
    assert abs((fit.breakpoint - DATES[50]).days) <= 24
    assert fit.onset is None and fit.rate_after == pytest.approx(0.0, abs=3.0)


def test_steps_are_found_and_unwrapping_jumps_flagged():
    rng = np.random.default_rng(6)
    noise = rng.normal(0.0, NOISE_MM, (200, len(DATES)))
    at = rng.integers(5, 85, 200)
    jump = np.where(np.arange(len(DATES))[None] >= at[:, None], -27.7, 0.0)  # lambda / 2
    fits = fit_onsets(noise + jump, DATES, OnsetOptions())
    hits = [any(s.index == k for s in f.steps) for f, k in zip(fits, at, strict=True)]
    assert np.mean(hits) > 0.95
    steps = [s for f in fits for s in f.steps if s.index in set(at.tolist())]
    assert np.median([s.size_mm for s in steps]) == pytest.approx(-27.7, abs=1.0)
    assert np.mean([s.unwrapping for s in steps]) > 0.9
    # a 10 mm collapse is a step, not an unwrapping error
    fit = fit_onset(DATES, noise[0] + np.where(np.arange(90) >= 40, -10.0, 0.0))
    assert [s.index for s in fit.steps] == [40] and not fit.steps[0].unwrapping


def test_an_onset_and_a_step_together():
    series = onset_series([30], rate=-30.0, seed=7)[0] + np.where(np.arange(90) >= 60, 15.0, 0.0)
    fit = fit_onset(DATES, series)
    assert abs((fit.onset - DATES[30]).days) <= 36
    assert [s.index for s in fit.steps] == [60]
    assert fit.steps[0].size_mm == pytest.approx(15.0, abs=3.0)
    assert np.std(series - fit.fitted) == pytest.approx(NOISE_MM, rel=0.2)


def test_too_short_series_is_refused():
    with pytest.raises(InputError, match="too few"):
        fit_onset(DATES[:10], np.zeros(10))


GRID = Grid(680000.0, 3940000.0, 80.0, -80.0, 12, 10, 32649)


def test_map_and_steps_from_a_time_series_file(tmp_path):
    rng = np.random.default_rng(8)
    cube = rng.normal(0.0, NOISE_MM, (len(DATES),) + GRID.shape) / 1000
    rows, cols = np.indices(GRID.shape)
    onset_index = 20 + 4 * cols  # onset moves east with the face, 48 days per column
    ramp = np.maximum(T[:, None, None] - T[onset_index][None], 0) * -0.05
    cube += ramp
    cube[:, 0, 0] += np.where(np.arange(len(DATES)) >= 70, 0.02, 0.0)[:, None][:, 0]
    path = write_timeseries(
        tmp_path / "ts.h5", TimeSeries(DATES, cube.astype(np.float32), GRID, {}, None)
    )
    result = detect_onsets(path, tmp_path / "onset.tif", output_steps=tmp_path / "steps.gpkg")
    assert result.series == GRID.length * GRID.width and result.onsets >= 0.95 * result.series
    onset, _ = read_raster(tmp_path / "onset.tif", band=1)
    truth = decimal_years(DATES)[onset_index]
    assert np.nanmedian(np.abs(onset - truth)) * 365.25 <= 12
    after, _ = read_raster(tmp_path / "onset.tif", band=4)
    assert np.nanmedian(after) == pytest.approx(-50.0, abs=3.0)
    steps = read_points(tmp_path / "steps.gpkg")
    first = np.flatnonzero((steps.fields["ROW"] == 0) & (steps.fields["COL"] == 0))
    assert len(first) == 1 and steps.fields["DATE"][first[0]] == f"{DATES[70]:%Y-%m-%d}"
    assert steps.fields["SIZE_MM"][first[0]] == pytest.approx(20.0, abs=3.0)


def test_onset_points_keep_their_series_and_gain_the_fields(tmp_path):
    series = onset_series([25, 50, 70], seed=9)
    points = PointSeries(
        np.array([1.0, 2.0, 3.0]) * 100 + 680000,
        np.array([3939000.0] * 3),
        32649,
        DATES,
        series,
        {"VEL": np.array([-1.0, -2.0, -3.0])},
    )
    write_points(tmp_path / "ps.gpkg", points)
    detect_onsets(tmp_path / "ps.gpkg", output_points=tmp_path / "onsets.gpkg")
    out = read_points(tmp_path / "onsets.gpkg")
    np.testing.assert_allclose(out.displacement_mm, series, atol=1e-4)
    for text, k in zip(out.fields["ONSET"], (25, 50, 70), strict=True):
        assert abs((dt.date.fromisoformat(text) - DATES[k]).days) <= 24
    assert np.all(out.fields["RATE_AFTER"] < -25) and "VEL" in out.fields
    with pytest.raises(InputError, match="onset points output"):
        detect_onsets(tmp_path / "ps.gpkg", output=tmp_path / "x.tif")


def test_sup_f_of_all_candidates_at_once_is_the_f_of_each_fit_by_least_squares():
    """The breakpoint statistic computed for every candidate date at once equals, candidate by
    candidate, the F of two ordinary least-squares fits (line and line + hinge, each with the
    series' own steps)."""
    from insar_subsidence.core.timeseries.onset import _candidates, _step_columns, _sup_f

    rng = np.random.default_rng(7)
    y = onset_series(rng.integers(15, 75, 6), seed=7)
    steps = [[], [30], [12, 60], [], [45], [70, 20]]
    extra = _step_columns(len(T), steps, 2)
    counts = np.array([len(s) for s in steps])
    candidates = _candidates(len(T), 6)
    sup_f, best = _sup_f(y, T, candidates, extra, counts)

    def rss(design, values):
        residual = values - design @ np.linalg.lstsq(design, values, rcond=None)[0]
        return residual @ residual

    for i, found in enumerate(steps):
        own = [(np.arange(len(T)) >= k).astype(float) for k in found]
        line = np.column_stack([np.ones_like(T), T, *own])
        by_hand = [
            (rss(line, y[i]) - rss(h, y[i])) / (rss(h, y[i]) / (len(T) - 3 - len(found)))
            for h in (np.column_stack([line, np.maximum(T - T[k], 0.0)]) for k in candidates)
        ]
        assert sup_f[i] == pytest.approx(max(by_hand), rel=1e-9)
        assert best[i] == candidates[int(np.argmax(by_hand))]
