"""Prediction options: choices by name with their labels, bounds checked by the schema."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.prediction.evaluation import ForecastOptions
from insar_subsidence.core.prediction.hybrids import ForecastModel, ModelOptions, one_step
from insar_subsidence.core.prediction.models import RecurrentCell, RecurrentNetworkOptions
from insar_subsidence.core.prediction.vmd import VmdInit, VMDOptions


def test_models_are_named_and_an_unknown_one_lists_them():
    options = ForecastOptions(models=("gru", "PERSISTENCE"), forecast_model="vmd_ssa_lstm")
    assert options.models == (ForecastModel.GRU, ForecastModel.PERSISTENCE)
    assert options.forecast_model is ForecastModel.VMD_SSA_LSTM
    assert ForecastOptions().forecast_model == "gru"
    assert ForecastOptions().models == tuple(ForecastModel)
    assert ForecastModel.VMD_SSA_LSTM.label == "VMD-SSA-LSTM (sparrow search)"
    with pytest.raises(InputError, match=r"unknown forecasting model 'prophet'.*lstm \(LSTM\)"):
        one_step("prophet", np.zeros((1, 30)), np.arange(30.0), 20)
    with pytest.raises(InputError, match=r"unknown models 'arima'.*persistence"):
        ForecastOptions(models=("gru", "arima"))
    with pytest.raises(InputError, match="at least one"):
        ForecastOptions(models=())


def test_cell_and_vmd_init_are_choices():
    assert RecurrentNetworkOptions(cell="GRU").cell is RecurrentCell.GRU
    with pytest.raises(InputError, match=r"unknown cell 'rnn'.*lstm .*gru"):
        RecurrentNetworkOptions(cell="rnn")
    assert VMDOptions(init="random").init is VmdInit.RANDOM
    with pytest.raises(InputError, match=r"unknown init 'bogus'.*zero .*uniform .*random"):
        VMDOptions(init="bogus")


def test_bounds_are_enforced():
    with pytest.raises(InputError, match=r"'test fraction' = 0.7 is above its maximum 0.5"):
        ForecastOptions(test_fraction=0.7)
    with pytest.raises(InputError, match=r"'n modes' = 0 is below its minimum 1"):
        VMDOptions(n_modes=0)
    with pytest.raises(InputError, match=r"'ensemble' = 0 is below its minimum 1"):
        ModelOptions(ensemble=0)
    with pytest.raises(InputError, match=r"'epochs' = 0 is below its minimum 1"):
        RecurrentNetworkOptions(epochs=0)


def test_the_models_sparrow_search_is_smaller_than_the_general_default():
    # the forecasting models keep their own sparrow settings (6 sparrows, 4 iterations)
    sparrow = ModelOptions().sparrow
    assert (sparrow.population, sparrow.iterations) == (6, 4)
