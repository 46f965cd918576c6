"""Forecasting displacement series: decompositions (variational mode, singular spectrum), the
sparrow search optimiser, LSTM/GRU regressors, hybrid models, baselines, leakage-free
evaluation and batched multi-step forecasts with an uncertainty band."""

from .evaluation import (
    ForecastOptions,
    compare_file,
    compare_models,
    forecast_file,
    forecast_series,
)
from .hybrids import ForecastModel, ModelOptions, TuningBounds, forecast, one_step
from .models import GlobalNetworkOptions, RecurrentCell, RecurrentNetworkOptions
from .sparrow_search import SparrowOptions, sparrow_search
from .ssa_decomposition import SSAOptions, ssa_components, ssa_denoise
from .vmd import VmdInit, VMDOptions, vmd

__all__ = [
    "ForecastModel",
    "ForecastOptions",
    "GlobalNetworkOptions",
    "ModelOptions",
    "RecurrentCell",
    "RecurrentNetworkOptions",
    "SSAOptions",
    "SparrowOptions",
    "TuningBounds",
    "VMDOptions",
    "VmdInit",
    "compare_file",
    "compare_models",
    "forecast",
    "forecast_file",
    "forecast_series",
    "one_step",
    "sparrow_search",
    "ssa_components",
    "ssa_denoise",
    "vmd",
]
