"""The global GRU (one network for all points): per-series scaling, no leakage, it learns a
dynamic the points share, and forecasts of many points switch to it."""

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from insar_subsidence.core.prediction import evaluation as ev
from insar_subsidence.core.prediction.hybrids import ModelOptions, one_step
from insar_subsidence.core.prediction.models import (
    GlobalNetworkOptions,
    RecurrentNetworkOptions,
    fit_global_networks,
)

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

SMALL = ModelOptions(
    network=RecurrentNetworkOptions(window=6, epochs=40, patience=8),
    global_network=GlobalNetworkOptions(
        hidden=8, batch_windows=256, epoch_windows=1024, validation_windows=512, passes=20.0
    ),
    ensemble=2,
)


def shared_dynamic(m=40, n=80, seed=0):
    """Series that share one seasonal dynamic, each with its own amplitude, trend and offset."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    amplitude = rng.uniform(2, 6, (m, 1))
    trend = rng.uniform(-1.0, 0.2, (m, 1))
    y = trend * t + amplitude * np.sin(2 * np.pi * t / 15) + rng.normal(0, 0.2, (m, n))
    return y + rng.uniform(-50, 50, (m, 1))


def test_each_series_keeps_its_own_scale_and_offset():
    y = shared_dynamic()
    # scaling a series by c and shifting it leaves its scaled windows, hence the network, alone
    factor = np.where(np.arange(len(y)) % 2 == 0, 1000.0, 0.01)[:, None]
    moved = y * factor + 123.0
    years = np.arange(y.shape[1]) / 30.0
    pred, _ = one_step("global_gru", y, years, 64, SMALL)
    pred_moved, _ = one_step("global_gru", moved, years, 64, SMALL)
    valid = np.isfinite(pred)
    np.testing.assert_allclose(
        pred_moved[valid], (pred * factor + 123.0)[valid], rtol=1e-4, atol=1e-3
    )


def test_test_period_is_never_seen_in_training():
    y = shared_dynamic()
    years = np.arange(y.shape[1]) / 30.0
    n_train = 64
    pred, _ = one_step("global_gru", y, years, n_train, SMALL)
    changed = y.copy()
    changed[:, n_train + 5 :] += 40.0  # the future changes
    pred_changed, _ = one_step("global_gru", changed, years, n_train, SMALL)
    # predictions up to n_train + 5 read windows that end before the change: identical
    np.testing.assert_array_equal(pred_changed[:, : n_train + 6], pred[:, : n_train + 6])
    assert not np.allclose(pred_changed[:, n_train + 7 :], pred[:, n_train + 7 :])


def test_it_learns_the_shared_dynamic_better_than_persistence():
    y = shared_dynamic(m=60)
    years = np.arange(y.shape[1]) / 30.0
    n_train = 64
    pred, _ = one_step("global_gru", y, years, n_train, SMALL)
    persistence, _ = one_step("persistence", y, years, n_train, SMALL)
    ours = ev.error_metrics(y[:, n_train:], pred[:, n_train:])["rmse"]
    baseline = ev.error_metrics(y[:, n_train:], persistence[:, n_train:])["rmse"]
    assert ours < 0.6 * baseline


def test_members_differ_and_remember_their_best_epoch():
    y = shared_dynamic()
    fitted = fit_global_networks(y, SMALL.network, SMALL.global_network, members=3)
    assert fitted.best_epoch.shape == (3,)
    path = fitted.recursive(y, 4)
    assert path.shape == (3, len(y), 4)
    assert np.all(np.isfinite(path))
    assert np.ptp(path[:, :, 0], axis=0).max() > 0  # different seeds, different paths


def test_forecasts_of_many_points_use_the_global_network(tmp_path):
    y = shared_dynamic(m=30, n=40)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=6 * i) for i in range(y.shape[1])]
    options = ev.ForecastOptions(horizon=3, model=SMALL, global_above=20)
    result = ev.forecast_series(dates, y, "gru", options)
    assert result.model == "global_gru"
    assert result.mean.shape == (30, 3)
    assert np.all(result.lower < result.mean) and np.all(result.mean < result.upper)
    few = ev.forecast_series(
        dates, y[:5], "gru", replace(options, model=replace(SMALL, ensemble=1))
    )
    assert few.model == "gru"


@pytest.mark.parametrize("passes, epochs", [(1.0, 2), (2.0, 3), (100.0, 40)])
def test_training_draws_at_most_the_passes_over_the_windows(passes, epochs):
    y = shared_dynamic(m=20, n=80)  # 20 x 74 windows of 6, 59 fitting each: 1180 in all
    options = replace(SMALL.network, patience=1000)  # no early stop: the cap alone ends it
    shared = replace(SMALL.global_network, passes=passes)  # 4 x 256 windows an epoch: 2 for 1
    fitted = fit_global_networks(y, options, shared, members=2)
    np.testing.assert_array_equal(fitted.epochs_run, [epochs, epochs])  # 40: options.epochs
