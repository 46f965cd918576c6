"""Conventions: signs of phase, LOS and vertical motion, the incidence guard, time axes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.conventions import (
    MIN_INCIDENCE_COSINE,
    SENTINEL1_WAVELENGTH,
    los_to_phase,
    los_to_vertical,
    phase_to_los,
    vertical_to_los,
    years_since,
)


def test_sentinel1_wavelength():
    assert SENTINEL1_WAVELENGTH == pytest.approx(0.0554658, abs=1e-7)


def test_positive_phase_is_motion_away_from_the_satellite():
    # one fringe (2 pi) of range increase is half a wavelength away from the satellite
    assert phase_to_los(2 * np.pi) == pytest.approx(-SENTINEL1_WAVELENGTH / 2)
    assert phase_to_los(np.pi, wavelength_m=0.2) == pytest.approx(-0.05)
    phase = np.array([-3.0, 0.0, 12.5])
    np.testing.assert_allclose(los_to_phase(phase_to_los(phase)), phase, atol=1e-12)


def test_vertical_keeps_the_sign_of_los_and_is_larger():
    # subsidence of 20 mm seen at 60 degrees: the LOS sees half of it, also negative
    assert vertical_to_los(-20.0, 60.0) == pytest.approx(-10.0)
    assert los_to_vertical(-10.0, 60.0) == pytest.approx(-20.0)
    assert los_to_vertical(5.0, 0.0) == pytest.approx(5.0)


def test_grazing_incidence_gives_no_vertical_value():
    incidence = np.array([30.0, 87.0, 88.0, 90.0, np.nan])
    assert np.cos(np.deg2rad(87.0)) > MIN_INCIDENCE_COSINE > np.cos(np.deg2rad(88.0))
    with np.errstate(all="raise"):  # the guard itself raises no warning
        vertical = los_to_vertical(np.full(5, -3.0), incidence)
    assert np.isfinite(vertical[:2]).all()
    assert np.isnan(vertical[2:]).all()


def test_years_since_counts_365_25_day_years():
    dates = [dt.date(2020, 1, 1), dt.date(2021, 1, 1), dt.date(2024, 1, 1)]
    np.testing.assert_allclose(years_since(dates), [0.0, 366 / 365.25, 1461 / 365.25])
    np.testing.assert_allclose(years_since(dates, dt.date(2021, 1, 1))[0], -366 / 365.25)
