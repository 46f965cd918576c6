"""Drivers options: the best-lag rule is a choice, lags and radius are bounded."""

import pytest

from insar_subsidence.core.drivers.correlation import (
    BestLag,
    CorrelationOptions,
    LagResult,
    pick_best,
)
from insar_subsidence.core.errors import InputError


def test_best_lag_rule_by_name():
    assert CorrelationOptions(best="ABSOLUTE").best is BestLag.ABSOLUTE
    with pytest.raises(InputError, match=r"unknown best 'largest'.*positive .*negative .*absolute"):
        CorrelationOptions(best="largest")
    lags = [LagResult(0, 20, 0.2, 20.0, 0.4), LagResult(1, 20, -0.6, 20.0, 0.01)]
    assert pick_best(lags, "negative").lag == 1
    with pytest.raises(InputError, match=r"unknown best lag rule 'median'"):
        pick_best(lags, "median")


def test_lags_and_radius_are_bounded():
    with pytest.raises(InputError, match=r"'max lag' = 40 months is above its maximum 36 months"):
        CorrelationOptions(max_lag=40)
    with pytest.raises(InputError, match=r"'radius m' = -5 m is below its minimum 0 m"):
        CorrelationOptions(radius_m=-5.0)
