"""Forecast models and their evaluation: hand-computed baselines and metrics, no leakage,
small networks (torch threads = 1), forecasts with bands, files and bad input."""

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from insar_subsidence.core.errors import Cancelled, InputError
from insar_subsidence.core.io.point_layers import read_points
from insar_subsidence.core.prediction import evaluation as ev
from insar_subsidence.core.prediction.hybrids import ModelOptions, forecast, one_step
from insar_subsidence.core.prediction.models import (
    RecurrentNetworkOptions,
    fit_networks,
    windows,
)
from insar_subsidence.core.prediction.sparrow_search import SparrowOptions
from insar_subsidence.core.prediction.vmd import VMDOptions

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

TINY = ModelOptions(
    network=RecurrentNetworkOptions(hidden=4, window=4, epochs=15, patience=5),
    vmd=VMDOptions(n_modes=2, max_iter=80),
    sparrow=SparrowOptions(population=3, iterations=1),
    ensemble=2,
)


def series(n=60, seed=0):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = -0.5 * t + 2 * np.sin(2 * np.pi * t / 30.4) + rng.normal(0, 0.3, (2, n))
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * int(i)) for i in t]
    return dates, y


def test_metrics_and_split_by_hand():
    m = ev.error_metrics(np.array([2.0, -4.0, 0.5]), np.array([3.0, -2.0, 9.0]))
    assert m["rmse"] == pytest.approx(np.sqrt((1 + 4 + 72.25) / 3))
    assert m["mae"] == pytest.approx((1 + 2 + 8.5) / 3)
    assert m["mape"] == pytest.approx(100 * (0.5 + 0.5) / 2)  # |y| < 1 mm skipped
    assert ev.split_index(100, 0.2) == 80
    with pytest.raises(InputError, match="training"):
        ev.split_index(14, 0.2)


def test_baselines_by_hand():
    years = np.arange(20) / 10.0
    y = np.array([3.0 - 2.0 * years + (years > 1.55) * 5.0])  # a jump in the test period
    pers, _ = one_step("persistence", y, years, 16)
    np.testing.assert_allclose(pers[0, 1:], y[0, :-1])
    trend, _ = one_step("linear_trend", y, years, 16)
    np.testing.assert_allclose(trend[0, :16], y[0, :16], atol=1e-12)  # exact line in-sample
    assert trend[0, 16] == pytest.approx(3.0 - 2.0 * 1.6)  # fitted on y[:16] only
    design = np.stack([np.ones(17), years[:17]], axis=1)
    coef = np.linalg.lstsq(design, y[0, :17], rcond=None)[0]
    assert trend[0, 17] == pytest.approx(coef[0] + coef[1] * years[17])
    harmonic, _ = one_step("harmonic", y, years, 16)
    np.testing.assert_allclose(harmonic[0, 16], 3.0 - 2.0 * 1.6, atol=1e-9)


@pytest.mark.parametrize("model", ["harmonic", "lstm", "vmd_lstm", "ssa_lstm", "vmd_ssa_lstm"])
def test_future_values_never_change_earlier_predictions(model):
    dates, y = series()
    years = ev.years_since(dates)
    n_train = ev.split_index(len(dates), 0.2)
    t0 = n_train + 5
    changed = y.copy()
    changed[:, t0:] += 40.0 * np.random.default_rng(1).standard_normal((2, y.shape[1] - t0))
    rows = slice(0, 1) if model == "vmd_ssa_lstm" else slice(None)
    before, _ = one_step(model, y[rows], years, n_train, TINY)
    after, _ = one_step(model, changed[rows], years, n_train, TINY)
    # the prediction at t0 uses samples before t0 only
    np.testing.assert_array_equal(before[:, : t0 + 1], after[:, : t0 + 1])
    assert not np.allclose(before[:, t0 + 1 :], after[:, t0 + 1 :])


def test_networks_learn_a_sine_and_scale_on_training_data_only():
    t = np.arange(160)
    y = np.stack([np.sin(2 * np.pi * t / 16), 3 * np.sin(2 * np.pi * t / 16 + 1)])
    for cell in ("lstm", "gru"):
        fitted = fit_networks(
            y[:, :120],
            RecurrentNetworkOptions(cell=cell, hidden=8, window=8, epochs=150, learning_rate=0.03),
        )
        x, target = windows(y, 8)
        error = fitted.predict(x)[:, 112:] - target[:, 112:]
        assert np.sqrt(np.mean(error**2)) < 0.15 * np.std(y), cell
    np.testing.assert_allclose(fitted.scale, np.diff(y[:, :120], axis=1).std(axis=1))


def test_an_early_stopped_network_stops_changing_whoever_trains_with_it():
    t = np.arange(120)
    rng = np.random.default_rng(0)
    noisy = np.sin(2 * np.pi * t / 12) + 0.3 * rng.standard_normal(120)
    clean = np.sin(2 * np.pi * t / 12 + 1.0) + 0.05 * rng.standard_normal(120)
    walk = np.cumsum(rng.standard_normal(120))
    options = RecurrentNetworkOptions(
        cell="gru", hidden=4, window=6, epochs=150, patience=3, learning_rate=0.02
    )
    x, _ = windows(noisy[None], 6)
    runs = []
    for partner in (clean, walk):
        fitted = fit_networks(np.stack([noisy, partner]), options)
        runs.append(fitted)
        # it left the batch once it had waited more than `patience` epochs after its best
        assert fitted.epochs_run[0] == fitted.best_epoch[0] + options.patience + 2
    # the partners stop at very different epochs; the noisy series' network is the same
    assert abs(int(runs[0].epochs_run[1]) - int(runs[1].epochs_run[1])) > 50
    assert runs[0].epochs_run[0] == runs[1].epochs_run[0] < options.epochs
    predicted = [fitted.predict(np.stack([x[0], x[0]]))[0] for fitted in runs]
    np.testing.assert_allclose(predicted[0], predicted[1], rtol=1e-6, atol=1e-7)


def test_the_written_out_adam_steps_as_torch_adam():
    from insar_subsidence.core.prediction.models import _Batched, _EarlyStopping

    options = RecurrentNetworkOptions(cell="gru", hidden=4)
    x = torch.randn(3, 20, 8, generator=torch.Generator().manual_seed(1))
    y = torch.randn(3, 20, generator=torch.Generator().manual_seed(2))
    ours = _Batched(torch, 3, options, torch.device("cpu"))
    peer = _Batched(torch, 3, options, torch.device("cpu"))
    stepping = _EarlyStopping(ours, 0.01)
    adam = torch.optim.Adam(list(peer.params.values()), lr=0.01)
    for _ in range(20):
        stepping.step(((ours.forward(x) - y) ** 2).mean(dim=1))
        adam.zero_grad()
        ((peer.forward(x) - y) ** 2).mean(dim=1).sum().backward()
        adam.step()
    for name, value in ours.params.items():
        torch.testing.assert_close(value, peer.params[name], rtol=1e-6, atol=1e-7)
        assert not torch.equal(value, stepping.best[name])  # the weights moved


def test_missing_torch_names_the_package(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("no torch")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(InputError, match="torch"):
        fit_networks(np.zeros((1, 30)))


def test_forecast_band_and_dates():
    dates, y = series()
    future = ev.future_dates(dates, 3)
    assert future[0] == dates[-1] + dt.timedelta(days=12) and len(future) == 3
    years = ev.years_since(dates)
    for model in ("persistence", "linear_trend", "lstm", "vmd_gru"):
        mean, lower, upper = forecast(model, y, years, ev.years_since(future, dates[0]), TINY)
        assert mean.shape == (2, 3)
        assert np.all(lower < mean) and np.all(mean < upper), model
    mean, _, _ = forecast("linear_trend", y, years, ev.years_since(future, dates[0]), TINY)
    assert mean[0, 0] == pytest.approx(
        np.polyval(np.polyfit(years, y[0], 1), ev.years_since(future, dates[0])[0])
    )
    assert ev.forecast_field(future[0], "LO") == "FLO" + future[0].strftime("%Y%m%d")


def test_compare_and_forecast_files_on_real_egms(test_data, tmp_path):
    source = test_data / "forecast" / "egms_l2b_5points.gpkg"
    options = ev.ForecastOptions(horizon=4, model=TINY)
    out = ev.compare_file(
        source,
        tmp_path / "metrics.csv",
        tmp_path / "charts",
        ["persistence", "harmonic", "gru"],
        options,
    )
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == "point,model,split,rmse,mae,mape" and len(lines) == 1 + 5 * 3 * 2
    assert len(out["CHARTS"]) == 10 and all(p.endswith(".png") for p in out["CHARTS"])
    assert (tmp_path / "charts" / "forecasts.csv").exists()
    layer = ev.forecast_file(source, tmp_path / "fc.gpkg", "lstm", options)
    points = read_points(tmp_path / "fc.gpkg")
    first = layer["FORECAST_DATES"][0]
    assert {f"F{first}", f"FLO{first}", f"FHI{first}"} <= set(points.fields)
    assert len(points.dates) == 210 and np.all(np.isfinite(points.fields[f"F{first}"]))


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(InputError, match="nothere.gpkg"):
        ev.compare_file(tmp_path / "nothere.gpkg", tmp_path / "m.csv")
    with pytest.raises(InputError, match="forecasting model"):
        one_step("prophet", np.zeros((1, 30)), np.arange(30.0), 20)
    with pytest.raises(InputError, match="NaN"):
        ev.compare_models(series()[0], np.full((1, 60), np.nan))


def test_the_sparrow_search_honours_a_cancel_inside_its_first_trial():
    """The first search progress comes after a whole iteration of trainings; a cancel must not
    wait for it: every epoch of every trial looks at the cancel flag."""
    _, y = series(40)
    options = replace(TINY, network=replace(TINY.network, epochs=400, patience=400))
    calls = []

    def progress(fraction, message=""):
        calls.append((fraction, message))
        return len(calls) < 3

    with pytest.raises(Cancelled):
        one_step("vmd_ssa_lstm", y[:1], np.arange(40) / 30.0, 32, options, progress)
    assert calls == [(0.0, "")] * 3  # three epochs of the first trial, before any search report
