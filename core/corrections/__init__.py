"""Corrections: the spatial reference of a stack, and GACOS troposphere, phase ramps and
DEM error removed from a time series; the check that the scene median is stable ground.
"""

from .dem_error import DemErrorOptions, correct_dem_error
from .deramp import DerampOptions, Ramp, deramp_timeseries
from .reference import ReferenceOptions, automatic_reference_pixel, set_reference
from .stable_check import StableCheck, check_stable_assumption
from .troposphere import correct_troposphere

__all__ = [
    "DemErrorOptions",
    "DerampOptions",
    "Ramp",
    "ReferenceOptions",
    "StableCheck",
    "automatic_reference_pixel",
    "check_stable_assumption",
    "correct_dem_error",
    "correct_troposphere",
    "deramp_timeseries",
    "set_reference",
]
