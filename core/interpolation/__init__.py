"""Continuous surfaces from sparse points (Azarm et al. 2025 and classical baselines).

:mod:`.kriging` (ordinary kriging with local neighbourhoods), :mod:`.idw`, :mod:`.rbf`,
:mod:`.cnn` (patch CNN over driving-force rasters, torch imported lazily) and
:mod:`.evaluation` (identical random / spatial-block splits for every method, metrics, paired
tests, error maps). :mod:`.common` holds what they share.
"""

from .cnn import CnnOptions, train_cnn
from .driving_forces import DrivingForceInputs, driving_force_stack, write_driving_forces
from .evaluation import CompareOptions, compare_interpolators
from .idw import IdwOptions
from .kriging import KrigingOptions, OrdinaryKriging, fit_variogram
from .rbf import RbfOptions
from .run import InterpolateOptions, cnn_interpolate, compare_points, interpolate_points
from .terrain import TerrainOptions, terrain_indices, write_terrain_indices

__all__ = [
    "CnnOptions",
    "CompareOptions",
    "DrivingForceInputs",
    "IdwOptions",
    "InterpolateOptions",
    "KrigingOptions",
    "OrdinaryKriging",
    "RbfOptions",
    "TerrainOptions",
    "cnn_interpolate",
    "compare_interpolators",
    "compare_points",
    "driving_force_stack",
    "fit_variogram",
    "interpolate_points",
    "terrain_indices",
    "train_cnn",
    "write_driving_forces",
    "write_terrain_indices",
]
