"""Inversion of referenced interferogram phases (m, P) into phase time series (n, P), pixels
that share one set of valid pairs solved together."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from ...blocks import run_as_slice
from ...options import Choice
from ...progress import ProgressCallback, report, silent
from .backend import Backend
from .network import DateNetwork, Pair, group_networks, pixel_groups
from .normal_equations import NetworkNormalEquations
from .weights import Weight, coherence_to_weight


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
    weight: str = "none",
    coherence: Optional[np.ndarray] = None,
    looks: int = 1,
    reference: Optional[np.ndarray] = None,
    split_network: str = "parts",
    min_norm_velocity: bool = True,
    rcond: float = 1e-5,
    backend: Optional[Backend] = None,
    chunk_pixels: int = CACHE_CHUNK_PIXELS,
    progress: ProgressCallback = silent,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Invert phases (m, P) (NaN = not valid, float32 or float64) into phase time series (n, P).

    ``weight`` (:class:`.Weight`) makes least-squares weights from ``coherence`` (m, P) with
    ``looks`` looks, chunk by chunk as the pixels are solved. ``reference`` (m,) rad, when
    given, is subtracted from ``phase`` (in float64, chunk by chunk: no full-size copy).
    Returns (time series (n, P) rad relative to each part's first date, NaN where not
    solvable; temporal coherence (P,), 0 where not inverted; pairs used (P,) int; per pixel
    True where dates were cut off by its own split network).
    """
    split_network = SplitNetwork.parse(split_network, "split network handling")
    weight = Weight.parse(weight, "weight")
    if weight != "none" and coherence is None:
        raise ValueError(f"weight {weight} needs the coherence")
    backend = backend or Backend("cpu")
    net = DateNetwork.build(pairs)
    m, num_pixels = phase.shape
    n = net.num_dates
    patterns, group_of_pixel = pixel_groups(~np.isnan(phase))
    anchors = net.anchors.copy()
    if split_network == "bridge":  # one network: only the first date is fixed
        anchors[1:] = False

    used, fixed, lost, bridged = group_networks(patterns, net, anchors, split_network)

    def observations(rows, columns) -> np.ndarray:
        """Referenced float64 phases (k, p) of pairs ``rows`` at pixels ``columns``."""
        block = _take(phase, rows, columns)
        if reference is None:
            return block.astype(np.float64)
        return np.subtract(block, reference[rows, np.newaxis], dtype=np.float64)

    def weights(rows, columns) -> Optional[np.ndarray]:
        if weight == "none":
            return None
        return coherence_to_weight(_take(coherence, rows, columns), weight, looks)

    ts = np.full((n, num_pixels), np.nan)
    tcoh = np.zeros(num_pixels)
    count_used = np.zeros(num_pixels, np.int32)

    # 1. full-rank pixels: weighted normal equations, batched over pixels; unweighted, the
    #    pixels of a large group share one factorisation
    regular = ~bridged[group_of_pixel] & ~lost[group_of_pixel].all(axis=1)
    equations = NetworkNormalEquations(net.pair_index, n)
    batches = []
    if weight == "none":
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
    all_pairs = slice(None)
    # pairs along the first axis, pixels along the second: each pixel chunk is gathered in
    # whole rows of the (m, P) inputs and the solver works on contiguous rows of pixels
    used_t, lost_t = np.ascontiguousarray(used.T), np.ascontiguousarray(lost.T)
    free_t = ~(np.ascontiguousarray(fixed.T) | lost_t)
    operators = {}  # shared group -> its least-squares solution operator (n, k)
    for number, (index, one_group) in enumerate(batches):
        report(progress, number / len(batches))
        columns = run_as_slice(index)
        if one_group:
            # one factorisation for the group: solved for each unit observation, the solution
            # is a dense (n, m) operator, applied to all its pixels in one matrix product
            # (n, k) on the k pairs used (all valid in the group: no zero filling)
            g = int(group_of_pixel[index[0]])
            rows = np.flatnonzero(used[g])
            if g not in operators:
                unit = np.zeros((m, len(rows)))  # one unit observation per pair used
                unit[rows, np.arange(len(rows))] = 1.0
                mask = used_t[:, g : g + 1] * 1.0
                operators[g] = equations.solve(mask, unit, free_t[:, g : g + 1], backend)
            obs = observations(run_as_slice(rows), columns)
            x = operators[g] @ obs
            residual = _residual(obs, x, first[rows], second[rows])
            x[lost[g]] = np.nan
            ts[:, columns] = x
            count_used[columns] = len(rows)
            tcoh[columns] = _temporal_coherence(residual, len(rows))
            continue
        groups = group_of_pixel[index]
        mask = used_t[:, groups]  # (m, p)
        unused = ~mask
        obs = observations(all_pairs, columns)
        obs[unused] = 0.0
        w = weights(all_pairs, columns)
        w = mask * 1.0 if w is None else np.multiply(w, mask, out=w)
        x = equations.solve(w, w * obs, free_t[:, groups], backend)
        residual = _residual(obs, x, first, second)
        residual[unused] = 0.0
        x[lost_t[:, groups]] = np.nan
        ts[:, index] = x
        count = mask.sum(axis=0)
        count_used[index] = count
        tcoh[index] = _temporal_coherence(residual, count)

    # 2. bridged pixels of split networks: minimum-norm least squares (SVD)
    if bridged.any():
        G = net.velocity_matrix() if min_norm_velocity else net.A[:, 1:]
        for g in np.flatnonzero(bridged & ~lost.all(axis=1)):
            index = np.flatnonzero(group_of_pixel == g)
            rows = np.flatnonzero(used[g])
            Gs, ys = G[rows], observations(rows, index)  # the pairs used are valid
            if weight == "none":
                solution = np.linalg.pinv(Gs, rcond=rcond) @ ys
            else:
                root = np.sqrt(weights(rows, index)).T  # (p, k)
                weighted = Gs[np.newaxis] * root[:, :, np.newaxis]
                solution = np.einsum(
                    "puk,pk->up", np.linalg.pinv(weighted, rcond=rcond), root * ys.T
                )
            residual = ys - Gs @ solution
            if min_norm_velocity:
                solution = np.cumsum(solution * np.diff(net.years)[:, np.newaxis], axis=0)
            ts[0, index] = 0.0
            ts[1:, index] = solution
            tcoh[index] = _temporal_coherence(residual, len(rows))
            count_used[index] = len(rows)
    cut = (
        lost[group_of_pixel].any(axis=1)
        & ~lost[group_of_pixel].all(axis=1)
        & ~bridged[group_of_pixel]
    )
    return ts, tcoh, count_used, cut


def _residual(obs: np.ndarray, x: np.ndarray, first, second) -> np.ndarray:
    """obs - (x[second] - x[first]) (k, p) with one temporary besides the result."""
    residual = x[second]
    residual -= x[first]
    return np.subtract(obs, residual, out=residual)


def _take(array: np.ndarray, rows, columns) -> np.ndarray:
    """``array`` (m, P) at pairs ``rows`` and pixels ``columns`` (each an index or a slice)."""
    if isinstance(rows, slice) or isinstance(columns, slice):
        return array[rows, columns]
    return array[np.ix_(rows, columns)]


def _temporal_coherence(residual: np.ndarray, count) -> np.ndarray:
    """|mean over the ``count`` pairs used of exp(j residual)| per column of residual (m, p),
    which is zero on the other pairs (those terms add exactly 1 + 0j and are taken off)."""
    residual = residual.astype(np.float32)  # as MintPy; ~1e-7 per term, twice as fast
    real = np.cos(residual).sum(axis=0, dtype=np.float64) - (residual.shape[0] - count)
    imag = np.sin(residual).sum(axis=0, dtype=np.float64)
    return np.where(count > 0, np.hypot(real, imag) / np.maximum(count, 1), 0.0)
