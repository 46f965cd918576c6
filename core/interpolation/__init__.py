"""Continuous surfaces from sparse points (Azarm et al. 2025 and classical baselines).

:mod:`.kriging` (ordinary kriging with local neighbourhoods), :mod:`.idw`, :mod:`.rbf`,
:mod:`.cnn` (patch CNN over driving-force rasters, torch imported lazily) and
:mod:`.evaluation` (identical random / spatial-block splits for every method, metrics, paired
tests, error maps). :mod:`.common` holds what they share.
"""

from .cnn import CnnOptions, DenseLayers, train_cnn
from .driving_forces import DrivingForceInputs, driving_force_stack, write_driving_forces
from .evaluation import ComparedMethod, CompareOptions, SplitKind, compare_interpolators
from .idw import IdwOptions
from .kriging import KrigingOptions, OrdinaryKriging, VariogramModel, fit_variogram
from .rbf import RbfKernel, RbfOptions
from .run import (
    CnnInterpolationOptions,
    InterpolateOptions,
    InterpolationMethod,
    cnn_interpolate,
    compare_points,
    interpolate_points,
)
from .terrain import (
    FlowMethod,
    TerrainIndex,
    TerrainOptions,
    terrain_indices,
    write_terrain_indices,
)

__all__ = [
    "CnnInterpolationOptions",
    "CnnOptions",
    "CompareOptions",
    "ComparedMethod",
    "DenseLayers",
    "DrivingForceInputs",
    "FlowMethod",
    "IdwOptions",
    "InterpolateOptions",
    "InterpolationMethod",
    "KrigingOptions",
    "OrdinaryKriging",
    "RbfKernel",
    "RbfOptions",
    "SplitKind",
    "TerrainIndex",
    "TerrainOptions",
    "VariogramModel",
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
