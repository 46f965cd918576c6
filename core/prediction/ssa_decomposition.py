"""Singular spectrum analysis (SSA) denoising of time series.

Not to be confused with the sparrow search algorithm (:mod:`.sparrow_search`), which the
forecasting literature also abbreviates SSA.

The series (length N) is embedded in an L x (N - L + 1) trajectory (Hankel) matrix, split by
SVD into elementary matrices, and the leading ones are turned back into series by diagonal
averaging. Keep either a fixed number of components or the fewest whose singular-value energy
share reaches ``contribution``. Several series of the same length run in one batched SVD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..options import Options, option


@dataclass
class SSAOptions(Options):
    """Options of :func:`ssa_denoise`."""

    window: Optional[int] = option(
        None,
        help="Embedding dimension L; empty = a quarter of the series (at least 2)",
        unit="samples",
        minimum=2,
    )
    n_components: Optional[int] = option(
        None,
        help="Leading components kept; empty = the fewest reaching the energy contribution",
        minimum=1,
    )
    contribution: float = option(
        0.95,
        help="Share of the energy (sum of squared singular values) the kept components reach",
        minimum=0.0,
        maximum=1.0,
    )


def _trajectory(x: np.ndarray, window: int) -> np.ndarray:
    columns = x.shape[-1] - window + 1
    index = np.arange(window)[:, None] + np.arange(columns)[None, :]
    return x[..., index]  # (..., L, K)


def _diagonal_average(matrix: np.ndarray) -> np.ndarray:
    """(M, L, K) Hankel-like matrices -> (M, L + K - 1) series, averaging each anti-diagonal."""
    m, rows, cols = matrix.shape
    n = rows + cols - 1
    out = np.zeros((m, n))
    counts = np.zeros(n)
    for i in range(rows):
        out[:, i : i + cols] += matrix[:, i, :]
        counts[i : i + cols] += 1
    return out / counts


def ssa_components(series: np.ndarray, window: int) -> tuple:
    """Elementary reconstructed components of (N,) or (M, N) series.

    Returns ``(components, energy_share)``: components (M, L, N) in decreasing singular value
    order (they sum to the series) and the share of energy of each (M, L).
    """
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    _check(x, window)
    traj = _trajectory(x, window)
    u, s, vt = np.linalg.svd(traj, full_matrices=False)
    comps = np.stack(
        [
            _diagonal_average(s[:, i, None, None] * u[:, :, i, None] * vt[:, i, None, :])
            for i in range(s.shape[1])
        ],
        axis=1,
    )
    energy = s**2
    return comps, energy / energy.sum(axis=1, keepdims=True)


def _check(x: np.ndarray, window: int) -> None:
    if not np.all(np.isfinite(x)):
        raise InputError(
            "singular spectrum analysis got NaN values.", None, "fill gaps in the series first."
        )
    if window < 2 or window > x.shape[-1] - 1:
        raise InputError(
            f"SSA window {window} does not fit a series of {x.shape[-1]} samples.",
            None,
            "use 2 <= window < series length.",
        )


def ssa_denoise(series: np.ndarray, options: SSAOptions = None) -> np.ndarray:
    """The series rebuilt from its leading singular-spectrum components (same shape as input)."""
    options = options or SSAOptions()
    x = np.asarray(series, dtype=np.float64)
    single = x.ndim == 1
    x2 = np.atleast_2d(x)
    window = options.window or max(2, x2.shape[1] // 4)
    _check(x2, window)
    traj = _trajectory(x2, window)
    u, s, vt = np.linalg.svd(traj, full_matrices=False)
    if options.n_components is not None:
        keep = np.full(len(x2), min(int(options.n_components), s.shape[1]))
    else:
        share = np.cumsum(s**2, axis=1) / np.maximum((s**2).sum(axis=1, keepdims=True), 1e-300)
        keep = 1 + np.argmax(share >= options.contribution - 1e-12, axis=1)
    mask = np.arange(s.shape[1])[None, :] < keep[:, None]
    low_rank = np.einsum("mlr,mr,mrk->mlk", u, s * mask, vt)
    out = _diagonal_average(low_rank)
    return out[0] if single else out
