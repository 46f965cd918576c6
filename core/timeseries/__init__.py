"""Time series: SBAS inversion of an interferogram stack, persistent scatterers from an SLC
stack, the velocity of a series, the one rate fit every step uses, series sampled at a map
position, the geocoding of radar-coordinate products, and when subsidence began (breakpoints
and steps).
"""

from .geocode import GeocodeOptions, GeocodeResult, Resampling, geocode
from .homogeneous_pixels import HomogeneousPixels, adaptive_average, homogeneous_pixels
from .onset import OnsetFit, OnsetOptions, OnsetResult, detect_onsets, fit_onset, fit_onsets
from .psinsar import PsOptions, PsResult, run_psinsar
from .rate_fit import fit_design, linear_rate, rate_design
from .sampling import (
    PointTable,
    SampledSeries,
    SeriesFit,
    fit_series,
    rereference,
    sample_points,
    sample_series_file,
)
from .sbas import InversionOptions, InversionResult, invert_stack
from .velocity import VelocityOptions, VelocityOutputs, VelocityResult, estimate_velocity

__all__ = [
    "GeocodeOptions",
    "GeocodeResult",
    "HomogeneousPixels",
    "InversionOptions",
    "InversionResult",
    "OnsetFit",
    "OnsetOptions",
    "OnsetResult",
    "PointTable",
    "PsOptions",
    "PsResult",
    "Resampling",
    "SampledSeries",
    "SeriesFit",
    "VelocityOptions",
    "VelocityOutputs",
    "VelocityResult",
    "adaptive_average",
    "detect_onsets",
    "estimate_velocity",
    "fit_design",
    "fit_onset",
    "fit_onsets",
    "fit_series",
    "geocode",
    "homogeneous_pixels",
    "invert_stack",
    "linear_rate",
    "rate_design",
    "rereference",
    "run_psinsar",
    "sample_points",
    "sample_series_file",
]
