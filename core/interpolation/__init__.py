"""Continuous surfaces from sparse points (Azarm et al. 2025 and classical baselines).

:mod:`.kriging` (ordinary kriging with local neighbourhoods), :mod:`.idw`, :mod:`.rbf`,
:mod:`.cnn` (patch CNN over driving-force rasters, torch imported lazily) and
:mod:`.evaluation` (identical random / spatial-block splits for every method, metrics, paired
tests, error maps). :mod:`.common` holds what they share.
"""
