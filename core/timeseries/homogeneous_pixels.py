"""Statistically homogeneous pixels (SHP) and adaptive averaging for distributed scatterers.

Paper 001 (after Ferretti et al. 2011, Goel & Adam 2011): pixel ``q`` in a window around
``p`` is homogeneous with ``p`` when a two-sample Kolmogorov-Smirnov test on their amplitude
time series does not reject equal distributions at level ``alpha`` (0.05). The window is
19 x 13 pixels given as (rows, cols) = (azimuth, range) for data in radar geometry; on a map
grid rows run north-south. Interferograms are averaged over them only where a pixel has
more than 18 of them (so isolated point scatterers keep their own phase).

Vectorised over the image: one pass per window offset (half of them, by symmetry), each
merging the two pre-sorted amplitude series of every pixel at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np

from ..progress import ProgressCallback, report, silent

MIN_HOMOGENEOUS_TO_FILTER = 18


@dataclass
class HomogeneousPixels:
    """``mask`` (n_offsets, L, W) bool: the pixel at offset ``offsets[i]`` (drow, dcol) is
    homogeneous with the pixel; ``count`` (L, W): homogeneous pixels, the pixel itself
    included."""

    offsets: np.ndarray
    mask: np.ndarray
    count: np.ndarray


def ks_critical_value(n: int, m: int, alpha: float = 0.05) -> float:
    """Asymptotic two-sample KS critical distance c(alpha) * sqrt((n + m) / (n m))."""
    return float(np.sqrt(-0.5 * np.log(alpha / 2)) * np.sqrt((n + m) / (n * m)))


def ks_statistic_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-sample KS distance along the last axis of two SORTED arrays of equal length."""
    m = a.shape[-1]
    merged = np.concatenate([a, b], axis=-1)
    # both halves are sorted runs: a stable sort merges them in linear time
    order = np.argsort(merged, axis=-1, kind="stable")
    steps = np.where(order < m, 1, -1).astype(np.int16)
    return np.abs(np.cumsum(steps, axis=-1)).max(-1) / m


def _shift(array: np.ndarray, dr: int, dc: int, fill) -> np.ndarray:
    """``out[r, c] = array[r + dr, c + dc]`` (first two axes), ``fill`` outside."""
    out = np.full_like(array, fill)
    length, width = array.shape[:2]
    r0, r1 = max(0, -dr), min(length, length - dr)
    c0, c1 = max(0, -dc), min(width, width - dc)
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = array[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
    return out


def homogeneous_pixels(
    amplitude: np.ndarray,
    window: Tuple[int, int] = (19, 13),
    alpha: float = 0.05,
    progress: ProgressCallback = silent,
) -> HomogeneousPixels:
    """Homogeneous pixels of every pixel of an amplitude stack (n_dates, L, W) in a ``window``
    (rows, cols) by the two-sample KS test at level ``alpha``."""
    n, length, width = amplitude.shape
    half_r, half_c = window[0] // 2, window[1] // 2
    offsets = np.array(
        [(dr, dc) for dr in range(-half_r, half_r + 1) for dc in range(-half_c, half_c + 1)]
    )
    index = {tuple(o): i for i, o in enumerate(offsets)}
    ordered = np.sort(np.moveaxis(amplitude, 0, -1).astype(np.float32), axis=-1)  # (L, W, n)
    critical = ks_critical_value(n, n, alpha)
    mask = np.zeros((len(offsets), length, width), bool)
    inside_value = np.float32(np.nan)
    half = [o for o in offsets if (o[0], o[1]) > (0, 0)]
    for k, (dr, dc) in enumerate(half):
        shifted = _shift(ordered, dr, dc, inside_value)
        distance = ks_statistic_sorted(ordered, shifted)
        similar = distance <= critical
        valid = np.isfinite(shifted[..., 0])
        similar &= valid
        mask[index[(dr, dc)]] = similar
        # the same pair seen from q: q's offset -o points back at p
        mask[index[(-dr, -dc)]] = _shift(similar, -dr, -dc, False)
        report(progress, (k + 1) / len(half), "homogeneous pixels")
    mask[index[(0, 0)]] = True
    return HomogeneousPixels(offsets, mask, mask.sum(0).astype(np.int32))


def adaptive_average(
    interferograms: np.ndarray,
    slc: np.ndarray,
    homogeneous: HomogeneousPixels,
    ref: int,
    min_homogeneous: int = MIN_HOMOGENEOUS_TO_FILTER,
) -> Tuple[np.ndarray, np.ndarray]:
    """Average complex interferograms (n, L, W), formed against date index ``ref`` of the
    ``slc`` stack, over each pixel's homogeneous pixels where it has more than
    ``min_homogeneous`` of them (elsewhere unchanged). Also returns the mean over dates of the
    coherence estimate over them
    |sum ifg| / sqrt(sum |s_k|^2 sum |s_ref|^2) (NaN where not filtered)."""
    power = np.abs(slc) ** 2
    total = np.zeros_like(interferograms)
    power_k = np.zeros(power.shape, np.float64)
    power_ref = np.zeros(power.shape[1:], np.float64)
    for i, (dr, dc) in enumerate(homogeneous.offsets):
        weight = homogeneous.mask[i]
        if not weight.any():
            continue
        shifted = np.moveaxis(_shift(np.moveaxis(interferograms, 0, -1), dr, dc, 0), -1, 0)
        total += shifted * weight[None]
        shifted_power = np.moveaxis(_shift(np.moveaxis(power, 0, -1), dr, dc, 0), -1, 0)
        power_k += shifted_power * weight[None]
        power_ref += shifted_power[ref] * weight
    filter_here = homogeneous.count > min_homogeneous
    filtered = np.where(filter_here[None], total, interferograms)
    with np.errstate(invalid="ignore", divide="ignore"):
        coherence = np.abs(total) / np.sqrt(power_k * power_ref[None])
    mean_coherence = np.where(filter_here, np.delete(coherence, ref, axis=0).mean(0), np.nan)
    return filtered, mean_coherence
