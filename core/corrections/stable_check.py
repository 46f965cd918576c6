"""Does the scene median stand for stable ground? The check behind automatic references.

The automatic reference point and the deramp's stable set take the scene median rate as
"stable": true when most of the scene does not move, false over a mining district or a
groundwater basin that fills the frame. Two signs that the assumption fails, from the rates
alone:

* few pixels move at the median rate: the share within ``tolerance`` of the median (the
  tolerance is three times the pixel noise, estimated from neighbour differences, at least
  ``min_tolerance_mm_yr``) is below ``min_share``; the median then sits inside a spread of
  deformation;
* a large group moves FASTER UPWARD than the median by more than the tolerance: if that group
  is the stable ground, the median itself subsides.

Either way the result says so with the numbers and points to a user reference, a stable
polygon (mask) or a GNSS tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class StableCheck:
    """Rates in mm/yr; shares in 0..1."""

    median_mm_yr: float
    tolerance_mm_yr: float
    share_near_median: float
    share_above: float
    warning: Optional[str]


def pixel_noise(rate: np.ndarray) -> float:
    """Robust standard deviation of a rate map's pixel noise: 1.4826 MAD of the differences
    between horizontal neighbours, over sqrt(2) (smooth deformation cancels)."""
    difference = np.diff(np.asarray(rate, float), axis=1).ravel()
    difference = difference[np.isfinite(difference)]
    if difference.size < 10:
        return 0.0
    mad = np.median(np.abs(difference - np.median(difference)))
    return float(1.4826 * mad / np.sqrt(2.0))


def check_stable_assumption(
    rate_mm_yr: np.ndarray,
    valid: Optional[np.ndarray] = None,
    what: str = "the automatic reference",
    min_share: float = 0.5,
    max_share_above: float = 0.2,
    min_tolerance_mm_yr: float = 1.0,
) -> StableCheck:
    """Check whether the median of ``rate_mm_yr`` (LOS or vertical, mm/yr) can be taken as
    stable ground; ``warning`` explains why not, naming ``what`` relied on it."""
    rate = np.asarray(rate_mm_yr, float)
    usable = np.isfinite(rate) if valid is None else (np.asarray(valid, bool) & np.isfinite(rate))
    values = rate[usable]
    if values.size < 10:
        return StableCheck(float("nan"), float("nan"), float("nan"), float("nan"), None)
    median = float(np.median(values))
    tolerance = max(min_tolerance_mm_yr, 3.0 * pixel_noise(np.where(usable, rate, np.nan)))
    near = float(np.mean(np.abs(values - median) <= tolerance))
    above = float(np.mean(values - median > tolerance))
    warning = None
    fix = (
        "give a reference point on ground known to be stable, a stable polygon (mask), or tie "
        "the result to GNSS stations (their rates, not the scene median)."
    )
    if near < min_share:
        warning = (
            f"Warning: {what} assumes the scene median rate ({median:+.1f} mm/yr) is stable, "
            f"but only {100 * near:.0f} % of the valid pixels move within {tolerance:.1f} mm/yr "
            f"of it (the rest spread from {np.percentile(values, 5):+.1f} to "
            f"{np.percentile(values, 95):+.1f} mm/yr): most of the scene may be deforming. "
            f"Fix: {fix}"
        )
    elif above > max_share_above:
        warning = (
            f"Warning: {what} assumes the scene median rate ({median:+.1f} mm/yr) is stable, "
            f"but {100 * above:.0f} % of the valid pixels rise faster than it by more than "
            f"{tolerance:.1f} mm/yr: if they are the stable ground, the median itself is "
            f"subsiding. Fix: {fix}"
        )
    return StableCheck(median, tolerance, near, above, warning)
