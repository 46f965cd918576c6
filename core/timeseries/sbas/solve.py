"""Inversion of referenced interferogram phases (m, P) into phase time series (n, P), pixels
that share one set of valid pairs solved together."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from ...options import Choice
from ...progress import ProgressCallback, report, silent
from .backend import Backend
from .network import DateNetwork, Pair, group_networks, pixel_groups
from .normal_equations import NetworkNormalEquations


class SplitNetwork(Choice):
    """What to do where the network falls into parts that share no acquisition."""

    PARTS = "parts", "solve each part on its own, from its own first date"
    BRIDGE = "bridge", "bridge the parts by the minimum-norm solution (classic SBAS, MintPy)"


#: unweighted, groups of at least this many pixels share one factorisation
MIN_SHARED_GROUP = 16
#: pixels solved together: the factors of ~2000 pixels stay in the CPU cache (fastest here)
CACHE_CHUNK_PIXELS = 2048


def invert_phases(
    phase: np.ndarray,
    pairs: Sequence[Pair],
    weight: Optional[np.ndarray] = None,
    split_network: str = "parts",
    min_norm_velocity: bool = True,
    rcond: float = 1e-5,
    backend: Optional[Backend] = None,
    chunk_pixels: int = CACHE_CHUNK_PIXELS,
    progress: ProgressCallback = silent,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Invert referenced phases (m, P) (NaN = not valid) into phase time series (n, P).

    ``weight`` (m, P) are least-squares weights (not their square roots), None = unweighted.
    Returns (time series (n, P) rad relative to each part's first date, NaN where not
    solvable; temporal coherence (P,), 0 where not inverted; pairs used (P,) int; per pixel
    True where dates were cut off by its own split network).
    """
    split_network = SplitNetwork.parse(split_network, "split network handling")
    backend = backend or Backend("cpu")
    net = DateNetwork.build(pairs)
    m, num_pixels = phase.shape
    n = net.num_dates
    valid = ~np.isnan(phase)
    patterns, group_of_pixel = pixel_groups(valid)
    anchors = net.anchors.copy()
    if split_network == "bridge":  # one network: only the first date is fixed
        anchors[1:] = False

    used, fixed, lost, bridged = group_networks(patterns, net, anchors, split_network)

    ts = np.full((n, num_pixels), np.nan)
    tcoh = np.zeros(num_pixels)
    count_used = np.zeros(num_pixels, np.int32)

    # 1. full-rank pixels: weighted normal equations, batched over pixels; unweighted, the
    #    pixels of a large group share one factorisation
    regular = ~bridged[group_of_pixel] & ~lost[group_of_pixel].all(axis=1)
    equations = NetworkNormalEquations(net.pair_index, n)
    batches = []
    if weight is None:
        sizes = np.bincount(group_of_pixel[regular], minlength=len(patterns))
        shared = sizes >= MIN_SHARED_GROUP
        for g in np.flatnonzero(shared):
            members = np.flatnonzero(group_of_pixel == g)
            batches += [
                (members[i : i + chunk_pixels], True) for i in range(0, len(members), chunk_pixels)
            ]
        regular &= ~shared[group_of_pixel]
    candidates = np.flatnonzero(regular)
    batches += [
        (candidates[i : i + chunk_pixels], False) for i in range(0, len(candidates), chunk_pixels)
    ]
    first, second = net.pair_index[:, 0], net.pair_index[:, 1]
    operators = {}  # shared group -> its least-squares solution operator (m, n)
    for number, (index, one_group) in enumerate(batches):
        report(progress, number / len(batches))
        groups = group_of_pixel[index[:1] if one_group else index]
        mask = used[groups]  # (p, m), or (1, m) for a shared group
        free = ~(fixed[groups] | lost[groups])
        if one_group:
            # one factorisation for the group: solved for each unit observation, the solution
            # is a dense (n, m) operator, applied to all its pixels in one matrix product
            # (n, k) on the k pairs used (all valid in the group: no zero filling)
            g = int(groups[0])
            rows = np.flatnonzero(mask[0])
            if g not in operators:
                unit = np.zeros((len(rows), m))  # one unit observation per pair used
                unit[np.arange(len(rows)), rows] = 1.0
                operators[g] = equations.solve(mask * 1.0, unit, free, backend).T
            columns = _as_slice(index)
            obs_t = (
                phase[rows, columns] if isinstance(columns, slice) else phase[np.ix_(rows, columns)]
            )
            x_t = operators[g] @ obs_t
            residual_t = obs_t - (x_t[second[rows]] - x_t[first[rows]])
            x_t[lost[g]] = np.nan
            ts[:, columns] = x_t
            count_used[columns] = len(rows)
            tcoh[columns] = _temporal_coherence(
                residual_t.T, np.broadcast_to(True, (len(index), len(rows)))
            )
            continue
        obs = np.where(mask, phase[:, index].T, 0.0)
        w = mask * (1.0 if weight is None else weight[:, index].T)
        x = equations.solve(w, w * obs, free, backend)
        residual = np.where(mask, obs - (x[:, second] - x[:, first]), 0.0)
        x[np.broadcast_to(lost[groups], x.shape)] = np.nan
        ts[:, index] = x.T
        count_used[index] = mask.sum(axis=1)
        tcoh[index] = _temporal_coherence(residual, np.broadcast_to(mask, residual.shape))

    # 2. bridged pixels of split networks: minimum-norm least squares (SVD)
    if bridged.any():
        G = net.velocity_matrix() if min_norm_velocity else net.A[:, 1:]
        for g in np.flatnonzero(bridged & ~lost.all(axis=1)):
            index = np.flatnonzero(group_of_pixel == g)
            rows = used[g]
            Gs, ys = G[rows], phase[rows][:, index]  # the pairs used are valid
            if weight is None:
                solution = np.linalg.pinv(Gs, rcond=rcond) @ ys
            else:
                root = np.sqrt(weight[rows][:, index]).T  # (p, k)
                weighted = Gs[np.newaxis] * root[:, :, np.newaxis]
                solution = np.einsum(
                    "puk,pk->up", np.linalg.pinv(weighted, rcond=rcond), root * ys.T
                )
            residual = (ys - Gs @ solution).T
            if min_norm_velocity:
                solution = np.cumsum(solution * np.diff(net.years)[:, np.newaxis], axis=0)
            ts[0, index] = 0.0
            ts[1:, index] = solution
            mask = np.broadcast_to(np.ones(rows.sum(), bool), residual.shape)
            tcoh[index] = _temporal_coherence(residual, mask)
            count_used[index] = rows.sum()
    cut = (
        lost[group_of_pixel].any(axis=1)
        & ~lost[group_of_pixel].all(axis=1)
        & ~bridged[group_of_pixel]
    )
    return ts, tcoh, count_used, cut


def _as_slice(index: np.ndarray):
    """A run of consecutive pixel indices as a slice (a view instead of a gathered copy)."""
    if len(index) and index[-1] - index[0] + 1 == len(index):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _temporal_coherence(residual: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """|mean over used pairs of exp(j residual)| per row of residual (p, m), which is zero
    where ``mask`` is False (those terms add exactly 1 + 0j and are taken off again)."""
    count = mask.sum(axis=1)
    residual = residual.astype(np.float32)  # as MintPy; ~1e-7 per term, twice as fast
    real = np.cos(residual).sum(axis=1, dtype=np.float64) - (residual.shape[1] - count)
    imag = np.sin(residual).sum(axis=1, dtype=np.float64)
    return np.where(count > 0, np.hypot(real, imag) / np.maximum(count, 1), 0.0)
