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
    for r in range(L - 1):
        factor = math.exp(
            math.lgamma(L - 0.5)
            - math.lgamma(L - 0.5 - r)
            + math.lgamma(L - 1 - r)
            - math.lgamma(L - 1)
        )
        series += factor * (1 + (2 * r + 1) * beta**2) / one_minus ** (r + 2)
    if L > 1:
        series /= 2 * (L - 1)
    pdf = (1 - coherence**2) ** L / (2 * np.pi) * (scale * bracket + series)
    variance = np.sum(phi**2 * pdf, axis=0) * (2 * np.pi / count)
    positive = variance > 0
    variance[~positive] = variance[positive].min() if positive.any() else np.finfo(float).eps
    return variance


@functools.lru_cache(maxsize=8)
def _variance_lut(looks: int) -> Tuple[np.ndarray, np.ndarray]:
    """Coherence table and inverse phase variance (1/rad^2) for ``looks``."""
    step = 1.0 / VARIANCE_LUT_SIZE
    lut_coherence = np.linspace(step, 1.0, VARIANCE_LUT_SIZE) - step / 2
    return lut_coherence, 1.0 / phase_variance_ds(min(looks, MAX_VARIANCE_LOOKS), lut_coherence)


def coherence_to_weight(coherence: np.ndarray, weight: str, looks: int) -> Optional[np.ndarray]:
    """Least-squares weights (float64) from spatial coherence; None for ``weight="none"``.

    NaN and coherence below 0.05 count as 0.05. ``fim`` caps coherence at 0.999; ``var`` looks
    the variance up in a 200-step table (nearest lower entry), as MintPy does.
    """
    if weight == "none":
        return None
    weight = Weight.parse(weight, "weight")
    coh = np.array(coherence, np.float64)
    np.fmax(coh, MIN_WEIGHT_COHERENCE, out=coh)  # NaN too
    if weight == "coherence":
        return coh
    if weight == "fim":
        np.fmin(coh, 1 - 1e-3, out=coh)
        coh *= coh
        return 2.0 * looks * coh / (1 - coh)
    lut_coherence, inverse_variance = _variance_lut(looks)
    np.clip(coh, lut_coherence[0], lut_coherence[-1], out=coh)
    coh -= lut_coherence[0]
    coh /= 1.0 / VARIANCE_LUT_SIZE
    return inverse_variance[coh.astype(np.intp)]
