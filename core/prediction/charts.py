"""PNG charts of forecast comparisons, as in paper 000's figures: predictions against the
target (with the train/test boundary and the multi-step forecast band) and error curves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from ..plotting import pyplot, save_figure
from .hybrids import ForecastModel


def prediction_chart(
    path: Path,
    dates: Sequence[dt.date],
    observed: np.ndarray,
    n_train: int,
    predictions: Dict[str, np.ndarray],
    forecasts: Dict[str, tuple],
    title: str = "",
) -> Path:
    """Observed series, each model's one-step predictions and its forecast band."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(dates, observed, "k.-", lw=1, ms=3, label="Target (observed)")
    for name, pred in predictions.items():
        (line,) = ax.plot(dates, pred, lw=1, label=ForecastModel.parse(name).label)
        if name in forecasts:
            f_dates, mean, lower, upper = forecasts[name]
            ax.plot(f_dates, mean, "--", lw=1, color=line.get_color())
            ax.fill_between(f_dates, lower, upper, color=line.get_color(), alpha=0.12)
    ax.axvline(dates[n_train], color="grey", ls=":", lw=1)
    ax.text(dates[n_train], ax.get_ylim()[1], " test", va="top", color="grey")
    ax.set_ylabel("displacement (mm)")
    ax.set_title(f"One-step predictions and forecasts {title}")
    ax.legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()
    return save_figure(fig, path, dpi=110, bbox_inches="tight")


def error_chart(
    path: Path,
    dates: Sequence[dt.date],
    observed: np.ndarray,
    n_train: int,
    predictions: Dict[str, np.ndarray],
    title: str = "",
) -> Path:
    """Prediction error (mm) of each model over the test samples."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    index = np.arange(len(dates) - n_train) + 1
    for name, pred in predictions.items():
        ax.plot(
            index,
            pred[n_train:] - observed[n_train:],
            ".-",
            lw=1,
            ms=3,
            label=ForecastModel.parse(name).label,
        )
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("test sample index")
    ax.set_ylabel("prediction error (mm)")
    ax.set_title(f"Test-period errors {title}")
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, path, dpi=110, bbox_inches="tight")
