"""Physical constants, project-wide defaults and the conversions every step shares.

Signs (as MintPy and HyP3): unwrapped phase positive = motion away from the satellite; LOS
displacement positive = toward the satellite, so ``los = -phase * wavelength / (4 pi)``;
subsidence is negative. Vertical from LOS assumes no horizontal motion:
``vertical = los / cos(incidence)``, incidence in degrees from the vertical. Time axes for
rates are in years of 365.25 days.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

import numpy as np

from .dates import days_since

SPEED_OF_LIGHT = 299_792_458.0  # m/s
SENTINEL1_FREQUENCY = 5.405e9  # Hz, C band
SENTINEL1_WAVELENGTH = SPEED_OF_LIGHT / SENTINEL1_FREQUENCY  # 0.0554658 m
SENTINEL1_REVISIT_DAYS = 12
DAYS_PER_YEAR = 365.25

#: Below this cosine of the incidence angle (incidence above ~87 degrees) LOS says nothing
#: about vertical motion: the vertical value is NaN there.
MIN_INCIDENCE_COSINE = 0.05

#: Memory budget for row-block processing of stacks, in MiB.
DEFAULT_MEMORY_BUDGET_MB = 1024

#: Nodata written to float GeoTIFFs.
FLOAT_NODATA = float("nan")


def phase_per_metre(wavelength_m: float = SENTINEL1_WAVELENGTH) -> float:
    """Two-way phase (rad) of one metre of range change, ``4 pi / wavelength``."""
    return 4 * np.pi / wavelength_m


def phase_to_los(phase_rad, wavelength_m: float = SENTINEL1_WAVELENGTH):
    """LOS displacement (m, positive toward the satellite) of an unwrapped phase (rad,
    positive away from it): ``-phase * wavelength / (4 pi)``. Any array shape."""
    return phase_rad * (-wavelength_m / (4 * np.pi))


def los_to_phase(los_m, wavelength_m: float = SENTINEL1_WAVELENGTH):
    """Unwrapped phase (rad) of a LOS displacement (m); the inverse of :func:`phase_to_los`."""
    return -phase_per_metre(wavelength_m) * los_m


def los_to_vertical(los, incidence_deg):
    """Vertical motion from LOS motion (same unit, any shape broadcasting with the incidence
    angle in degrees from the vertical), no horizontal motion assumed: ``los / cos(incidence)``.
    NaN where the cosine is at most :data:`MIN_INCIDENCE_COSINE`."""
    cosine = np.cos(np.deg2rad(incidence_deg))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cosine > MIN_INCIDENCE_COSINE, los / cosine, np.nan)


def vertical_to_los(vertical, incidence_deg):
    """LOS motion seen of a purely vertical motion: ``vertical * cos(incidence)``."""
    return vertical * np.cos(np.deg2rad(incidence_deg))


def years_since(dates: Sequence[dt.date], origin: Optional[dt.date] = None) -> np.ndarray:
    """Decimal years (365.25 d) since ``origin`` (default: the first date), float64 (n,): the
    time axis of every rate (m/yr, mm/yr)."""
    return days_since(dates, origin) / DAYS_PER_YEAR
