"""Corrections: the spatial reference of a stack, and GACOS troposphere, phase ramps and
DEM error removed from a time series.
"""

from .dem_error import DemErrorOptions, correct_dem_error
from .deramp import DerampOptions, Ramp, deramp_timeseries
from .reference import ReferenceOptions, automatic_reference_pixel, set_reference
from .troposphere import correct_troposphere

__all__ = [
    "DemErrorOptions",
    "DerampOptions",
    "Ramp",
    "ReferenceOptions",
    "automatic_reference_pixel",
    "correct_dem_error",
    "correct_troposphere",
    "deramp_timeseries",
    "set_reference",
]
