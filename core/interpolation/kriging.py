"""Ordinary kriging for tens of thousands of points in bounded memory.

The experimental semivariogram is computed on a random subsample, a spherical, exponential
or gaussian model is fitted to it (weighted by pair counts), and every prediction solves a
local ordinary-kriging system over its ``neighbours`` nearest points (KD-tree). Systems are
solved in batches, so memory grows with ``batch * neighbours**2``, never with N**2 (a global
kriging matrix of 60,000 points would need 29 GB).

Semivariance convention: gamma(0) = 0 and gamma(h > 0) = nugget + partial sill * f(h / range),
so kriging reproduces the data exactly at the data points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from ..errors import InputError
from ..options import Choice, Options, option
from .common import merge_duplicates


class VariogramModel(Choice):
    """Shape of the semivariogram between nugget and sill."""

    SPHERICAL = "spherical", "spherical (reaches the sill at the range)"
    EXPONENTIAL = "exponential", "exponential (95 % of the sill at the range)"
    GAUSSIAN = "gaussian", "gaussian (smooth near zero; 95 % of the sill at the range)"


@dataclass
class KrigingOptions(Options):
    """Options of :class:`OrdinaryKriging`."""

    model: VariogramModel = option(VariogramModel.SPHERICAL, help="Variogram model fitted")
    neighbours: int = option(
        16, help="Nearest points in each local kriging system", minimum=1, maximum=500
    )
    variogram_sample: int = option(
        2000, help="Points drawn at random for the experimental variogram", minimum=2
    )
    n_lags: int = option(20, help="Distance classes of the experimental variogram", minimum=1)
    max_lag_fraction: float = option(
        0.5,
        help="Largest lag of the variogram, as a share of the largest distance between the "
        "sampled points",
        minimum=0.01,
        maximum=1.0,
    )
    batch: int = option(4096, help="Local systems solved together (bounds memory)", minimum=1)
    seed: int = option(0, help="Random seed of the variogram subsample", minimum=0)


@dataclass(frozen=True)
class Variogram:
    model: str
    nugget: float
    psill: float
    range: float  # practical range for exponential/gaussian (95 % of the sill)
    fitted: bool = True  # False: too few point pairs, a default model is used

    def __call__(self, h: np.ndarray) -> np.ndarray:
        h = np.asarray(h, dtype=np.float64)
        r = max(self.range, 1e-12)
        model = VariogramModel.parse(self.model, "variogram model")
        if model == VariogramModel.SPHERICAL:
            s = np.where(h < r, 1.5 * h / r - 0.5 * (h / r) ** 3, 1.0)
        elif model == VariogramModel.EXPONENTIAL:
            s = 1.0 - np.exp(-3.0 * h / r)
        else:
            s = 1.0 - np.exp(-3.0 * (h / r) ** 2)
        return np.where(h > 0, self.nugget + self.psill * s, 0.0)


def experimental_variogram(
    xy: np.ndarray, values: np.ndarray, options: KrigingOptions
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lag centres, semivariance, pair counts) from a random subsample of the points."""
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(options.seed)
    if len(values) > options.variogram_sample:
        pick = rng.choice(len(values), options.variogram_sample, replace=False)
        xy, values = xy[pick], values[pick]
    dist = pdist(xy)
    half_sq = 0.5 * pdist(values[:, None], "sqeuclidean")
    max_lag = options.max_lag_fraction * dist.max()
    edges = np.linspace(0.0, max_lag, options.n_lags + 1)
    which = np.digitize(dist, edges) - 1
    inside = (which >= 0) & (which < options.n_lags)
    counts = np.bincount(which[inside], minlength=options.n_lags)
    sums = np.bincount(which[inside], weights=half_sq[inside], minlength=options.n_lags)
    centres = np.bincount(which[inside], weights=dist[inside], minlength=options.n_lags)
    ok = counts > 0
    return centres[ok] / counts[ok], sums[ok] / counts[ok], counts[ok]


def fit_variogram(
    xy: np.ndarray, values: np.ndarray, options: Optional[KrigingOptions] = None
) -> Variogram:
    """Weighted least-squares fit of ``options.model`` to the experimental variogram."""
    options = options or KrigingOptions()
    from scipy.optimize import least_squares

    lags, gamma, counts = experimental_variogram(xy, values, options)
    variance = float(np.var(values)) or 1.0
    if len(lags) < 3:  # no fit: a smooth model spanning the points, not a pure nugget
        from scipy.spatial.distance import pdist

        span = float(pdist(xy[: options.variogram_sample]).max())
        return Variogram(options.model, 0.0, variance, span, fitted=False)
    weights = np.sqrt(counts / counts.max())

    def residual(p):
        model = Variogram(options.model, p[0], p[1], p[2])
        return weights * (model(lags) - gamma) / variance

    start = [0.1 * gamma.min(), max(gamma.max() - 0.1 * gamma.min(), 1e-12), 0.5 * lags.max()]
    upper = [gamma.max(), 2 * gamma.max() + 1e-12, 4 * lags.max()]
    fit = least_squares(residual, start, bounds=([0.0, 1e-12, lags.min() * 0.5], upper))
    nugget, psill, rng_ = fit.x
    return Variogram(options.model, float(nugget), float(psill), float(rng_))


class OrdinaryKriging:
    """Fit once, predict anywhere: ``OrdinaryKriging(xy, values).predict(query)``."""

    def __init__(
        self,
        xy: np.ndarray,
        values: np.ndarray,
        options: Optional[KrigingOptions] = None,
        variogram: Optional[Variogram] = None,
    ):
        options = options or KrigingOptions()
        from scipy.spatial import cKDTree

        self.xy, self.values = merge_duplicates(xy, values)
        if len(self.values) < 2:
            raise InputError("kriging needs at least 2 distinct points.", None, "give more points.")
        self.options = options
        self.variogram = variogram or fit_variogram(self.xy, self.values, options)
        self.tree = cKDTree(self.xy)
        self.k = int(min(options.neighbours, len(self.values)))

    def predict(self, query: np.ndarray, return_variance: bool = False):
        """Kriged values (and kriging variances, value units squared) at ``query`` (n, 2)."""
        query = np.asarray(query, dtype=np.float64)
        estimate = np.empty(len(query))
        variance = np.empty(len(query)) if return_variance else None
        k, gamma = self.k, self.variogram
        for start in range(0, len(query), self.options.batch):
            q = query[start : start + self.options.batch]
            dist, idx = self.tree.query(q, k=k)
            dist, idx = dist.reshape(len(q), k), idx.reshape(len(q), k)
            pts = self.xy[idx]  # (b, k, 2)
            pair = np.linalg.norm(pts[:, :, None, :] - pts[:, None, :, :], axis=-1)
            a = np.ones((len(q), k + 1, k + 1))
            a[:, :k, :k] = gamma(pair)
            a[:, k, k] = 0.0
            b = np.ones((len(q), k + 1))
            b[:, :k] = gamma(dist)
            solution = _solve(a, b)
            estimate[start : start + len(q)] = (solution[:, :k] * self.values[idx]).sum(1)
            if return_variance:
                variance[start : start + len(q)] = np.maximum((solution * b).sum(1), 0.0)
        return (estimate, variance) if return_variance else estimate

    __call__ = predict


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve; singular systems (collinear neighbours) fall back to least squares."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(b)
        for i in range(len(a)):
            out[i] = np.linalg.lstsq(a[i], b[i], rcond=None)[0]
        return out


def kriging_predictor(
    xy: np.ndarray, values: np.ndarray, options: Optional[KrigingOptions] = None
) -> Callable:
    options = options or KrigingOptions()
    return OrdinaryKriging(xy, values, options).predict
