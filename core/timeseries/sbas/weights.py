"""Least-squares weights of interferogram pixels from their spatial coherence (MintPy's
functions: ``none``, ``coherence``, ``fim`` = Fisher information 2 L g^2 / (1 - g^2), ``var`` =
inverse phase variance of distributed scatterers after Tough et al. 1995)."""

from __future__ import annotations

import functools
import math
from typing import Dict, Optional, Tuple

import numpy as np

from ...options import Choice


class Weight(Choice):
    """Least-squares weight of each interferogram pixel, from its coherence."""

    NONE = "none", "none: classic SBAS"
    COHERENCE = "coherence", "coherence"
    FIM = "fim", "Fisher information 2L g^2 / (1 - g^2)"
    VAR = "var", "inverse phase variance (MintPy's default)"


#: coherence below this is raised to it before weighting (MintPy's epsilon)
MIN_WEIGHT_COHERENCE = 0.05
#: number of samples of the coherence look-up table of the phase variance (step 0.005)
VARIANCE_LUT_SIZE = 200
#: looks above this do not change the phase variance noticeably (and overflow the PDF)
MAX_VARIANCE_LOOKS = 80


def number_of_looks(attrs: Dict[str, str]) -> int:
    """Independent looks L of the coherence estimate, as MintPy: ``NCORRLOOKS``, else
    ``ALOOKS * RLOOKS / 1.94`` (Sentinel-1 resolution vs pixel size), rounded, at least 1."""
    if "NCORRLOOKS" in attrs:
        looks = float(attrs["NCORRLOOKS"])
    else:
        looks = float(attrs.get("ALOOKS", 1)) * float(attrs.get("RLOOKS", 1)) / 1.94
    return max(int(np.rint(looks)), 1)


def phase_variance_ds(looks: int, coherence: np.ndarray) -> np.ndarray:
    """Variance (rad^2) of the interferometric phase of distributed scatterers.

    Second moment of the marginal phase PDF of Tough et al. (1995, eq. 66; Hanssen 2001,
    eq. 4.2.23) for ``looks`` looks, integrated with as many phase samples over [-pi, pi] as
    there are coherence values (MintPy's scheme, so that weights agree with it).
    """
    coherence = np.asarray(coherence, np.float64)
    count = coherence.size
    phi = np.linspace(-np.pi, np.pi, count)[:, np.newaxis]
    L = int(looks)
    beta = coherence[np.newaxis, :] * np.cos(phi)
    one_minus = 1.0 - beta**2
    scale = math.exp(math.lgamma(2 * L - 1) - 2 * math.lgamma(L) - 2 * (L - 1) * math.log(2.0))
    bracket = (2 * L - 1) * beta / one_minus ** (L + 0.5) * (
        np.pi / 2 + np.arcsin(beta)
    ) + 1.0 / one_minus**L
    series = np.zeros_like(beta)
    beta2 = beta**2
    power = one_minus * one_minus  # one_minus ** (r + 2) by products: pow was 80 % of the time
    for r in range(L - 1):
        factor = math.exp(
            math.lgamma(L - 0.5)
            - math.lgamma(L - 0.5 - r)
            + math.lgamma(L - 1 - r)
            - math.lgamma(L - 1)
        )
        series += factor * (1 + (2 * r + 1) * beta2) / power
        power *= one_minus
    if L > 1:
        series /= 2 * (L - 1)
    pdf = (1 - coherence**2) ** L / (2 * np.pi) * (scale * bracket + series)
    variance = np.sum(phi**2 * pdf, axis=0) * (2 * np.pi / count)
    positive = variance > 0
    variance[~positive] = variance[positive].min() if positive.any() else np.finfo(float).eps
    return variance


def _lut_coherence() -> np.ndarray:
    """Coherence of each entry of the phase variance table: the middle of each step."""
    step = 1.0 / VARIANCE_LUT_SIZE
    return np.linspace(step, 1.0, VARIANCE_LUT_SIZE) - step / 2


@functools.lru_cache(maxsize=8)
def _inverse_variance(looks: int) -> np.ndarray:
    """Inverse phase variance (1/rad^2) of each entry of the table for ``looks``."""
    return 1.0 / phase_variance_ds(min(looks, MAX_VARIANCE_LOOKS), _lut_coherence())


def _variance_bin(coherence: np.ndarray) -> np.ndarray:
    """MintPy's table entry of each coherence: raised to 0.05 (NaN too), clipped to the
    table, the nearest lower entry, in float64 arithmetic."""
    lut_coherence = _lut_coherence()
    coh = np.fmax(np.asarray(coherence, np.float64), MIN_WEIGHT_COHERENCE)
    np.clip(coh, lut_coherence[0], lut_coherence[-1], out=coh)
    return ((coh - lut_coherence[0]) / (1.0 / VARIANCE_LUT_SIZE)).astype(np.intp)


#: a float32 coherence's table entry is looked up by its top bits (sign, exponent, 7 bits of
#: mantissa): such a range of values is narrower than a table step below 1
SHIFT_BITS = 16


@functools.lru_cache(maxsize=1)
def _bin_of_top_bits() -> Tuple[np.ndarray, np.ndarray]:
    """(first bin (2^16,) intp, threshold (2^16,) float32) per value of the top 16 bits of a
    float32: the coherence values sharing those bits are in ``first`` below ``threshold``
    and in ``first + 1`` from it on (NaN: one bin). The bin of every float32 is exactly
    :func:`_variance_bin`'s, found without float64 arithmetic on the data."""
    top = np.arange(2 ** (32 - SHIFT_BITS), dtype=np.uint32) << SHIFT_BITS
    low = top.view(np.float32)
    high = (top | (2**SHIFT_BITS - 1)).view(np.float32)
    with np.errstate(invalid="ignore"):  # signalling NaN bit patterns
        bin_low, bin_high = _variance_bin(low), _variance_bin(high)
    first = np.minimum(bin_low, bin_high)  # the +inf/NaN range: NaN's bin
    split = np.flatnonzero(bin_high > bin_low)
    assert (bin_high[split] - bin_low[split] == 1).all(), "a top-bits range spans two steps"
    # binary search of the first value in the upper bin, in each range that holds two bins
    below, above = top[split].copy(), top[split] | np.uint32(2**SHIFT_BITS - 1)
    for _ in range(SHIFT_BITS):
        middle = below + (above - below) // 2
        upper = _variance_bin(middle.view(np.float32)) > bin_low[split]
        above = np.where(upper, middle, above)
        below = np.where(upper, below, middle)
    threshold = np.full(len(top), np.nan, np.float32)  # NaN: never reached
    threshold[split] = above.view(np.float32)
    return first, threshold


def coherence_to_weight(coherence: np.ndarray, weight: str, looks: int) -> Optional[np.ndarray]:
    """Least-squares weights (float64, the shape of ``coherence``) from spatial coherence;
    None for ``weight="none"``.

    NaN and coherence below 0.05 count as 0.05. ``fim`` caps coherence at 0.999; ``var`` looks
    the variance up in a 200-step table (nearest lower entry), as MintPy does, on the float32
    value of the coherence (as stored in the stack), through a table of its top bits: a few
    passes over the float32 values, none in float64.
    """
    if weight == "none":
        return None
    weight = Weight.parse(weight, "weight")
    if weight == "var":
        coh = np.asarray(coherence, np.float32)
        first, threshold = _bin_of_top_bits()
        # intp indices all along: numpy gathers fastest with them
        top = np.right_shift(coh.view(np.uint32), SHIFT_BITS, out=np.empty(coh.shape, np.intp))
        bins = np.take(first, top)
        bins += coh >= np.take(threshold, top)
        return np.take(_inverse_variance(looks), bins)
    coh = np.fmax(np.asarray(coherence, np.float64), MIN_WEIGHT_COHERENCE)  # NaN too
    if weight == "coherence":
        return coh
    np.fmin(coh, 1 - 1e-3, out=coh)
    coh *= coh
    return 2.0 * looks * coh / (1 - coh)
