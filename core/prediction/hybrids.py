"""Forecasting models: baselines, LSTM/GRU and decomposition hybrids, one-step and multi-step.

Every function works on a batch of M equal-length series ``y`` (M, N) in mm sampled at times
``years`` (N,) (decimal years since the first date). Models:

- ``persistence``: next = last value.
- ``linear_trend``: least-squares line through the past.
- ``harmonic``: line + annual sine and cosine through the past.
- ``lstm``, ``gru``: a network on the raw series.
- ``vmd_lstm``, ``vmd_gru``: variational modes and their residual, one network per
  component, predictions summed.
- ``vmd_ssa_lstm``: as vmd_lstm with hidden units, learning rate, epochs and window tuned by the
  sparrow search algorithm on the validation windows of the training period (paper 000's
  "VMD-SSA-LSTM"; the paper's text also calls SSA a smoother, see ``ssa_lstm``).
- ``ssa_lstm``: singular-spectrum denoised series, one network.
- ``global_gru``: one GRU trained on the windows of all series together (each series scaled
  by its own training increments), instead of one network per series: its training time does
  not grow with the number of series.

One-step-ahead without leakage (:func:`one_step`): everything a model learns comes from the
first ``n_train`` samples. On the training part predictions are in-sample; at each test time t
the prediction uses only samples before t: baselines are refitted on y[:t]; networks read the
last observed window; decomposition hybrids decompose the trailing window y[t - n_train : t]
(the same length as the training decomposition, a causal rolling decomposition) and feed the
last values of each component to its network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional

import numpy as np

from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, scaled, silent
from ..timeseries.rate_fit import rate_design
from .models import (
    GlobalNetworkOptions,
    RecurrentCell,
    RecurrentNetworkOptions,
    fit_global_networks,
    fit_networks,
    fitting_windows,
    windows,
)
from .sparrow_search import SparrowOptions, sparrow_search
from .ssa_decomposition import SSAOptions, ssa_denoise
from .vmd import VMDOptions, vmd


class ForecastModel(Choice):
    """Forecasting models: three baselines, then the recurrent networks and their hybrids."""

    PERSISTENCE = "persistence", "Persistence"
    LINEAR_TREND = "linear_trend", "Linear trend"
    HARMONIC = "harmonic", "Trend + annual harmonic"
    LSTM = "lstm", "LSTM"
    GRU = "gru", "GRU"
    VMD_LSTM = "vmd_lstm", "VMD-LSTM"
    VMD_GRU = "vmd_gru", "VMD-GRU"
    VMD_SSA_LSTM = "vmd_ssa_lstm", "VMD-SSA-LSTM (sparrow search)"
    SSA_LSTM = "ssa_lstm", "SSA-LSTM (singular spectrum)"
    GLOBAL_GRU = "global_gru", "GRU, one network for all points (global)"


BASELINES = (ForecastModel.PERSISTENCE, ForecastModel.LINEAR_TREND, ForecastModel.HARMONIC)
# model -> (decomposition, cell, sparrow-tuned)
_NETWORKS = {
    ForecastModel.LSTM: (None, RecurrentCell.LSTM, False),
    ForecastModel.GRU: (None, RecurrentCell.GRU, False),
    ForecastModel.VMD_LSTM: ("vmd", RecurrentCell.LSTM, False),
    ForecastModel.VMD_GRU: ("vmd", RecurrentCell.GRU, False),
    ForecastModel.VMD_SSA_LSTM: ("vmd", RecurrentCell.LSTM, True),
    ForecastModel.SSA_LSTM: ("ssa", RecurrentCell.LSTM, False),
}


@dataclass
class TuningBounds(Options):
    """Sparrow search ranges (inclusive); learning rate searched on a log scale. Epochs range
    from a quarter of the network's ``epochs`` (at least 10) up to it, so the user's epoch
    budget also bounds the search time."""

    hidden: tuple = option((4, 48), help="Range of hidden units searched (smallest, largest)")
    learning_rate: tuple = option(
        (1e-3, 5e-2), help="Range of learning rates searched, on a log scale (smallest, largest)"
    )
    window: tuple = option(
        (4, 20), help="Range of input windows searched (smallest, largest)", unit="acquisitions"
    )


@dataclass
class ModelOptions(Options):
    """Settings of the forecasting models (:func:`one_step`, :func:`forecast`)."""

    network: RecurrentNetworkOptions = option(
        factory=RecurrentNetworkOptions, help="Recurrent network of the LSTM/GRU models"
    )
    vmd: VMDOptions = option(factory=VMDOptions, help="Variational mode decomposition (VMD models)")
    ssa: SSAOptions = option(
        factory=lambda: SSAOptions(window=12, contribution=0.95),
        help="Singular spectrum denoising (SSA-LSTM)",
    )
    sparrow: SparrowOptions = option(
        factory=lambda: SparrowOptions(population=6, iterations=4),
        help="Sparrow search of the network settings (VMD-SSA-LSTM)",
    )
    bounds: TuningBounds = option(
        factory=TuningBounds, help="Ranges the sparrow search explores (VMD-SSA-LSTM)"
    )
    global_network: GlobalNetworkOptions = option(
        factory=GlobalNetworkOptions, help="The network shared by all points (global GRU)"
    )
    ensemble: int = option(
        5,
        help="Networks with different initial weights per point; their spread widens the "
        "forecast band",
        minimum=1,
        maximum=50,
    )
    band_level: float = option(
        0.90,
        help="Central probability of the forecast band (0.9: 5 % below, 5 % above)",
        minimum=0.01,
        maximum=0.999,
    )


def check_model(name: str) -> ForecastModel:
    """The model named ``name``; an unknown name raises an InputError listing the models."""
    return ForecastModel.parse(name, "forecasting model")


# ----------------------------------------------------------------------------- baselines
def _design(name: str, years: np.ndarray) -> np.ndarray:
    """Offset and rate (linear trend), plus the annual term (harmonic), against ``years``."""
    return rate_design(years, harmonics=1 if name == "harmonic" else 0, centred=False)[0]


def _baseline_one_step(name: str, y: np.ndarray, years: np.ndarray, n_train: int) -> np.ndarray:
    pred = np.full(y.shape, np.nan)
    if name == "persistence":
        pred[:, 1:] = y[:, :-1]
        return pred
    design = _design(name, years)
    coef = np.linalg.lstsq(design[:n_train], y[:, :n_train].T, rcond=None)[0]
    pred[:, :n_train] = (design[:n_train] @ coef).T
    for t in range(n_train, y.shape[1]):
        coef = np.linalg.lstsq(design[:t], y[:, :t].T, rcond=None)[0]
        pred[:, t] = design[t] @ coef
    return pred


def _baseline_forecast(name: str, y: np.ndarray, years: np.ndarray, future: np.ndarray, z: float):
    if name == "persistence":
        sigma = np.std(np.diff(y, axis=1), axis=1, ddof=1)
        mean = np.repeat(y[:, -1:], len(future), axis=1)
        half = z * sigma[:, None] * np.sqrt(np.arange(1, len(future) + 1))[None, :]
        return mean, mean - half, mean + half
    design = _design(name, years)
    coef = np.linalg.lstsq(design, y.T, rcond=None)[0]
    residual = y - (design @ coef).T
    sigma = np.sqrt((residual**2).sum(axis=1) / max(len(years) - design.shape[1], 1))
    mean = (_design(name, future) @ coef).T
    return mean, mean - z * sigma[:, None], mean + z * sigma[:, None]


# ----------------------------------------------------------------------------- networks
def decompose(kind: Optional[str], series: np.ndarray, options: ModelOptions) -> np.ndarray:
    """(R, L) series -> (R, C, L) components whose sum approximates the series."""
    if kind is None:
        return series[:, None, :]
    if kind == "vmd":
        # the modes plus the residual (with tau = 0 the modes do not sum to the series)
        modes = vmd(series, options.vmd).modes.reshape(len(series), options.vmd.n_modes, -1)
        return np.concatenate([modes, (series - modes.sum(axis=1))[:, None]], axis=1)
    return ssa_denoise(series, options.ssa)[:, None, :]


def _sum_prediction(fitted, components: np.ndarray) -> np.ndarray:
    """components (M, C, L) -> in-sample summed predictions (M, L - w) for targets w..L-1."""
    m, c, length = components.shape
    x, _ = windows(components.reshape(m * c, length), fitted.options.window)
    return fitted.predict(x).reshape(m, c, -1).sum(axis=1)


def tune(
    components: np.ndarray,
    target: np.ndarray,
    network: RecurrentNetworkOptions,
    options: ModelOptions,
    progress: ProgressCallback = silent,
) -> RecurrentNetworkOptions:
    """Sparrow search for hidden units, learning rate, epochs and window minimising the RMSE of
    the summed one-step predictions on the validation windows (the end of the TRAINING data),
    over all rows of ``components`` together (one setting for the batch).
    Search coordinates are centred on each range ([-1, 1]) so the producers' contraction
    towards the origin pulls towards mid-range values, not towards zero units."""
    b = options.bounds
    m, c, length = components.shape
    max_window = int(min(b.window[1], length // 3))
    epochs = (max(10, network.epochs // 4), max(10, network.epochs))
    cache: Dict[tuple, float] = {}
    # each trial checks cancel after every epoch, showing where the search (not the trial) is
    searched = {"fraction": 0.0, "message": ""}

    def search_progress(fraction: float, message: str = "") -> bool:
        searched.update(fraction=fraction, message=message)
        return progress(fraction, message)

    def trial_progress(fraction: float, message: str = "") -> bool:
        return progress(searched["fraction"], searched["message"])

    def decode(position: np.ndarray) -> RecurrentNetworkOptions:
        u = (np.clip(position, -1, 1) + 1) / 2
        lr = 10 ** (
            np.log10(b.learning_rate[0])
            + u[1] * (np.log10(b.learning_rate[1]) - np.log10(b.learning_rate[0]))
        )
        return replace(
            network,
            hidden=int(round(b.hidden[0] + u[0] * (b.hidden[1] - b.hidden[0]))),
            learning_rate=float(f"{lr:.3g}"),
            epochs=int(round(epochs[0] + u[2] * (epochs[1] - epochs[0]))),
            window=int(round(b.window[0] + u[3] * (max_window - b.window[0]))),
        )

    def objective(position: np.ndarray) -> float:
        trial = decode(position)
        key = (trial.hidden, trial.learning_rate, trial.epochs, trial.window)
        if key not in cache:
            fitted = fit_networks(components.reshape(m * c, length), trial, trial_progress)
            pred = _sum_prediction(fitted, components)
            n_fit = fitting_windows(pred.shape[1], trial.validation_fraction)
            error = pred[:, n_fit:] - target[:, trial.window + n_fit :]
            cache[key] = float(np.sqrt(np.mean(error**2))) if error.size else np.inf
        return cache[key]

    result = sparrow_search(objective, [-1.0] * 4, [1.0] * 4, options.sparrow, search_progress)
    return decode(result.best_position)


def _network_options(name: ForecastModel, options: ModelOptions) -> RecurrentNetworkOptions:
    return replace(options.network, cell=_NETWORKS[name][1])


def _network_one_step(
    name: ForecastModel,
    y: np.ndarray,
    n_train: int,
    options: ModelOptions,
    progress: ProgressCallback,
) -> tuple:
    kind, _, tuned = _NETWORKS[name]
    m, n = y.shape
    network = _network_options(name, options)
    components = decompose(kind, y[:, :n_train], options)
    if tuned:
        network = tune(
            components, y[:, :n_train], network, options, lambda f, msg="": progress(0.8 * f, msg)
        )
    c = components.shape[1]
    fitted = fit_networks(
        components.reshape(m * c, n_train), network, scaled(progress, 0.8 if tuned else 0.0, 0.9)
    )
    report(progress, 0.9, f"{name.label}: predicting the test period")
    w = network.window
    pred = np.full(y.shape, np.nan)
    pred[:, w:n_train] = _sum_prediction(fitted, components)
    test_times = np.arange(n_train, n)
    if test_times.size:
        if kind is None:
            index = test_times[:, None] + np.arange(-w, 0)[None, :]
            pred[:, n_train:] = fitted.predict(y[:, index])
        else:
            index = test_times[:, None] + np.arange(-n_train, 0)[None, :]
            history = y[:, index].reshape(m * test_times.size, n_train)
            parts = decompose(kind, history, options).reshape(m, test_times.size, c, n_train)
            inputs = parts[..., -w:].transpose(0, 2, 1, 3).reshape(m * c, test_times.size, w)
            pred[:, n_train:] = fitted.predict(inputs).reshape(m, c, -1).sum(axis=1)
    return pred, network


def one_step(
    name: str,
    y: np.ndarray,
    years: np.ndarray,
    n_train: int,
    options: ModelOptions = None,
    progress: ProgressCallback = silent,
) -> tuple:
    """One-step-ahead predictions (M, N) (NaN where none: the first window) and the network
    options used (None for baselines). See the module docstring for what each part sees."""
    options = options or ModelOptions()
    name = check_model(name)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    if name in BASELINES:
        return _baseline_one_step(name, y, np.asarray(years, float), n_train), None
    if name == ForecastModel.GLOBAL_GRU:
        return _global_one_step(y, n_train, options, progress)
    return _network_one_step(name, y, n_train, options, progress)


def _global_options(options: ModelOptions) -> RecurrentNetworkOptions:
    return replace(options.network, cell=RecurrentCell.GRU)


def _global_one_step(
    y: np.ndarray, n_train: int, options: ModelOptions, progress: ProgressCallback
) -> tuple:
    """One-step predictions of one global GRU fitted on y[:, :n_train] of all rows."""
    network = _global_options(options)
    fitted = fit_global_networks(
        y[:, :n_train],
        network,
        options.global_network,
        1,
        scaled(progress, 0.0, 0.9),
    )
    w = network.window
    pred = np.full(y.shape, np.nan)
    index = np.arange(w, y.shape[1])[:, None] + np.arange(-w, 0)[None, :]
    pred[:, w:] = fitted.predict(y[:, index])[0]  # test times read observed windows only
    return pred, fitted.options


def forecast(
    name: str,
    y: np.ndarray,
    years: np.ndarray,
    future_years: np.ndarray,
    options: ModelOptions = None,
    progress: ProgressCallback = silent,
) -> tuple:
    """Multi-step forecast beyond the last sample: (mean, lower, upper), each (M, H) mm.

    Networks: ``options.ensemble`` networks per component with different initial weights are
    trained on the whole series (validation = its end) and run recursively; the band is
    mean +- z * sqrt(ensemble variance + h * s1^2), with s1 the validation RMSE of one-step
    predictions and h the step number. Baselines: persistence grows as sqrt(h) times the
    increment standard deviation; regressions use their residual standard deviation.
    """
    from scipy.stats import norm

    options = options or ModelOptions()
    name = check_model(name)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    z = float(norm.ppf(0.5 + options.band_level / 2))
    future_years = np.asarray(future_years, dtype=float)
    if name in BASELINES:
        return _baseline_forecast(name, y, np.asarray(years, float), future_years, z)
    if name == ForecastModel.GLOBAL_GRU:
        return _global_forecast(y, future_years.size, options, z, progress)
    kind, _, tuned = _NETWORKS[name]
    m, n = y.shape
    steps = future_years.size
    network = _network_options(name, options)
    components = decompose(kind, y, options)
    c = components.shape[1]
    if tuned:
        network = tune(components, y, network, options, lambda f, msg="": progress(0.6 * f, msg))
    e = max(1, int(options.ensemble))
    members = np.repeat(components[:, None], e, axis=1)  # (M, E, C, N)
    fitted = fit_networks(
        members.reshape(m * e * c, n), network, scaled(progress, 0.6 if tuned else 0.0, 0.9)
    )
    path = fitted.recursive(members.reshape(m * e * c, n), steps).reshape(m, e, c, steps).sum(2)
    one = _sum_prediction(fitted, members.reshape(m * e, c, n)).reshape(m, e, -1)
    n_fit = fitting_windows(one.shape[2], network.validation_fraction)
    residual = one[:, :, n_fit:] - y[:, None, network.window + n_fit :]
    s1 = np.sqrt(np.mean(residual**2, axis=(1, 2)))
    return _band(path, s1, z)


def _band(path: np.ndarray, s1: np.ndarray, z: float) -> tuple:
    """Members' paths (M, E, H) and one-step validation RMSE (M,) -> (mean, lower, upper)."""
    steps = path.shape[2]
    mean = path.mean(axis=1)
    spread = np.sqrt(path.var(axis=1) + s1[:, None] ** 2 * np.arange(1, steps + 1)[None, :])
    return mean, mean - z * spread, mean + z * spread


def _global_forecast(
    y: np.ndarray, steps: int, options: ModelOptions, z: float, progress: ProgressCallback
) -> tuple:
    """``options.ensemble`` global GRUs fitted on the whole of every series, run recursively;
    the band as :func:`forecast`'s."""
    network = _global_options(options)
    fitted = fit_global_networks(
        y,
        network,
        options.global_network,
        max(1, int(options.ensemble)),
        scaled(progress, 0.0, 0.9),
    )
    path = fitted.recursive(y, steps).transpose(1, 0, 2)  # (M, E, H)
    x, target = windows(y, network.window)
    n_fit = fitting_windows(x.shape[1], network.validation_fraction)
    residual = fitted.predict(x[:, n_fit:]) - target[None, :, n_fit:]  # validation windows
    s1 = np.sqrt(np.mean(residual**2, axis=(0, 2)))
    return _band(path, s1, z)
