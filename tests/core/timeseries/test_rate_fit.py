"""The one rate fit: hand-computed least squares with a missing date, the terms, the parts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.timeseries.rate_fit import fit_design, linear_rate, rate_design
from insar_subsidence.core.timeseries.sampling import fit_series

YEARS = np.array([0.0, 1.0, 2.0, 3.0, 4.0])


def test_linear_rate_and_std_match_a_hand_computation_with_a_nan_date():
    # valid t = 0, 1, 3, 4 and y = 1, 3, 4, 8: mean t 2, mean y 4, Sxx 10, Sxy 15
    # slope 1.5, intercept 1, residuals 0, 0.5, -1.5, 1: SSR 3.5, sigma^2 = 3.5 / 2
    data = np.array([[1.0, 3.0, np.nan, 4.0, 8.0], [1.0, np.nan, np.nan, 2.0, np.nan]]).T
    rate, std = linear_rate(YEARS, data)
    assert rate[0] == pytest.approx(1.5, abs=1e-12)
    assert std[0] == pytest.approx(np.sqrt(1.75 / 10), abs=1e-12)
    assert np.isnan(rate[1]) and np.isnan(std[1])  # two valid samples: no rate
    design, names = rate_design(YEARS)
    params, stds = fit_design(data, design)
    # offset at the middle of the span (t = 2): 1 + 1.5 * 2, std sqrt(sigma^2 / n) there
    assert names == ["offset_part0", "velocity"]
    assert params[0, 0] == pytest.approx(4.0, abs=1e-12)
    assert stds[0, 0] == pytest.approx(np.sqrt(1.75 / 4), abs=1e-12)


def test_uncentred_design_gives_the_offset_at_the_origin():
    design, _ = rate_design(YEARS, centred=False)
    params, _ = fit_design(np.array([[1.0, 3.0, np.nan, 4.0, 8.0]]).T, design)
    np.testing.assert_allclose(params[:, 0], [1.0, 1.5], atol=1e-12)


def test_acceleration_and_harmonics_are_recovered_exactly_around_a_gap():
    t = np.linspace(0, 3, 40)
    centre = 1.5
    truth = (
        2.0
        - 0.8 * (t - centre)
        + 0.5 * 0.3 * (t - centre) ** 2
        + 0.4 * np.cos(2 * np.pi * t)
        - 0.1 * np.sin(4 * np.pi * t)
    )
    truth[[3, 17]] = np.nan
    design, names = rate_design(t, acceleration=True, harmonics=2)
    params, _ = fit_design(truth[:, None], design)
    got = dict(zip(names, params[:, 0], strict=True))
    assert got["velocity"] == pytest.approx(-0.8, abs=1e-9)
    assert got["acceleration"] == pytest.approx(0.3, abs=1e-9)
    assert got["annual_cos"] == pytest.approx(0.4, abs=1e-9)
    assert got["semiannual_sin"] == pytest.approx(-0.1, abs=1e-9)
    assert got["annual_sin"] == pytest.approx(0.0, abs=1e-9)


def test_a_part_without_data_has_no_offset_but_the_rate_stands():
    parts = np.array([0, 0, 0, 1, 1])
    data = np.array([[0.0, 2.0, 4.0, np.nan, np.nan]]).T
    design, names = rate_design(YEARS, part_of_date=parts)
    params, _ = fit_design(data, design)
    assert names[:2] == ["offset_part0", "offset_part1"]
    assert np.isnan(params[1, 0])
    assert params[names.index("velocity"), 0] == pytest.approx(2.0, abs=1e-12)


def test_the_dock_fit_and_the_batched_rate_agree():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=37 * k) for k in range(12)]
    rng = np.random.default_rng(4)
    values = -20 * years_since(dates) + rng.normal(0, 1, len(dates))
    values[5] = np.nan
    fit = fit_series(dates, values)
    rate, std = linear_rate(years_since(dates), values[:, None])
    assert fit.rate_mm_yr == pytest.approx(rate[0], abs=1e-9)
    assert fit.rate_std_mm_yr == pytest.approx(std[0], abs=1e-9)
    assert fit.evaluate([dates[0]])[0] == pytest.approx(fit.offset_mm, abs=1e-12)
