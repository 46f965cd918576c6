"""Forecasting displacement series: decompositions (variational mode, singular spectrum), the
sparrow search optimiser, LSTM/GRU regressors, hybrid models, baselines, leakage-free
evaluation and batched multi-step forecasts with an uncertainty band."""
