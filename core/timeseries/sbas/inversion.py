"""SBAS inversion of an interferogram stack into a displacement time series.

Per pixel, the unwrapped phases of the kept interferograms ``y`` (rad, positive = away from the
satellite) are related to the phase of each acquisition relative to the first one ``x`` by
``A x = y`` (``A[i, date2] = 1``, ``A[i, date1] = -1``). We solve the weighted least squares
problem ``min || W^(1/2) (A x - y) ||`` per pixel, with weights from the spatial coherence
(MintPy's functions: ``none``, ``coherence``, ``fim`` = Fisher information 2 L g^2 / (1 - g^2),
``var`` = inverse phase variance of distributed scatterers after Tough et al. 1995).

Speed: no per-pixel Python loop. ``A^T W A`` is the weighted Laplacian of the date graph, so
its Cholesky factor, after a minimum-degree ordering of the dates, is sparse; the factors of
~2000 pixels are computed together, every operation vectorised over pixels (numpy, or torch on
a CUDA device when one is present). Pixels that share the same set of valid pairs share one
graph analysis and, unweighted, one factorisation.

Networks split into parts (the graph of dates linked by valid pairs has several connected
components) are never smoothed over silently:

* ``split_network="parts"`` (default): each part of the stack's network is solved on its own
  and referenced to its own first date (zero there); the parts are reported by date names and
  written to the output attributes (``NETWORK_PARTS``, ``NETWORK_PART_OF_DATE``). Where masking
  splits a single pixel's network further, the dates not connected to their part's first date
  are NaN for that pixel (counted and reported).
* ``split_network="bridge"``: classic SBAS (Berardino et al. 2002) and MintPy: the minimum-norm
  solution of the velocity (``min_norm_velocity``) or phase over the whole network, pixels
  lacking any pair for a date left out; flagged in the attributes as bridged.

Output: LOS displacement ``-phase * wavelength / (4 pi)`` in metres, positive toward the
satellite, zero at the first date; temporal coherence ``|mean(exp(j residual))|`` and the
number of pairs used per pixel. The reference pixel gets zero displacement, temporal coherence 1
and all pairs, as in MintPy.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ...atomic import check_outputs
from ...blocks import row_blocks
from ...conventions import DEFAULT_MEMORY_BUDGET_MB
from ...dates import format_yyyymmdd
from ...errors import InputError
from ...io.mintpy import IfgramStack, timeseries_writer, write_datasets
from ...network.selection import acquisition_bperp, connected_components
from ...options import Choice, Options, option
from ...progress import ProgressCallback, report, scaled, silent

PathLike = Union[str, Path]
Pair = Tuple[dt.date, dt.date]


class Weight(Choice):
    """Least-squares weight of each interferogram pixel, from its coherence."""

    NONE = "none", "none: classic SBAS"
    COHERENCE = "coherence", "coherence"
    FIM = "fim", "Fisher information 2L g^2 / (1 - g^2)"
    VAR = "var", "inverse phase variance (MintPy's default)"


class SplitNetwork(Choice):
    """What to do where the network falls into parts that share no acquisition."""

    PARTS = "parts", "solve each part on its own, from its own first date"
    BRIDGE = "bridge", "bridge the parts by the minimum-norm solution (classic SBAS, MintPy)"


#: coherence below this is raised to it before weighting (MintPy's epsilon)
MIN_WEIGHT_COHERENCE = 0.05
#: number of samples of the coherence look-up table of the phase variance (step 0.005)
VARIANCE_LUT_SIZE = 200
#: unweighted, groups of at least this many pixels share one factorisation
MIN_SHARED_GROUP = 16
#: pixels solved together: the factors of ~2000 pixels stay in the CPU cache (fastest here)
CACHE_CHUNK_PIXELS = 2048
#: looks above this do not change the phase variance noticeably (and overflow the PDF)
MAX_VARIANCE_LOOKS = 80


@dataclass
class InversionOptions(Options):
    """Options of :func:`invert_stack`."""

    weight: Weight = option(Weight.VAR, help="Weight of each interferogram from its coherence")
    min_norm_velocity: bool = option(
        True,
        help="Where parts are bridged, minimise the velocity steps (classic SBAS) rather than "
        "the phase",
    )
    split_network: SplitNetwork = option(
        SplitNetwork.PARTS, help="Where the network is split into parts that share no date"
    )
    mask_coherence: float = option(
        0.0,
        help="Interferogram pixels with coherence below this are not used (0 = use all)",
        minimum=0.0,
        maximum=1.0,
    )
    mask_conncomp: bool = option(
        True, help="Do not use pixels with connectComponent 0 (when the stack has that dataset)"
    )
    reference_yx: Optional[Tuple[int, int]] = option(
        None,
        help="Reference pixel (row, column); empty = the stack's REF_Y/REF_X, else chosen "
        "automatically (coherent, valid in every pair)",
    )
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Memory budget of the row blocks",
        unit="MiB",
        minimum=0.001,
    )
    rcond: float = option(
        1e-5,
        help="Singular values below rcond times the largest are ignored by the bridged "
        "(minimum-norm) solution",
        minimum=0.0,
    )
    device: str = option("auto", help="auto (CUDA through torch when available), cpu or cuda")


@dataclass
class InversionResult:
    timeseries: Path
    temporal_coherence: Path
    dates: List[dt.date]
    parts: List[List[dt.date]]
    reference_yx: Tuple[int, int]
    pixels_inverted: int
    pixels_with_dates_cut: int
    messages: List[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- weights
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


# ----------------------------------------------------------------------------- network
def network_dates(pairs: Sequence[Pair]) -> List[dt.date]:
    return sorted({d for pair in pairs for d in pair})


def incidence_matrix(pairs: Sequence[Pair], dates: Sequence[dt.date]) -> np.ndarray:
    """(m, n) float64: -1 at each pair's first date, +1 at its second date."""
    index = {d: i for i, d in enumerate(dates)}
    A = np.zeros((len(pairs), len(dates)))
    for k, (d1, d2) in enumerate(pairs):
        A[k, index[d1]] = -1.0
        A[k, index[d2]] = 1.0
    return A


def date_components(
    pair_index: np.ndarray, num_dates: int, used: np.ndarray
) -> Tuple[int, np.ndarray]:
    """Connected components of the dates linked by the ``used`` pairs.

    ``pair_index`` (m, 2) holds each pair's date indices. Returns (count, label per date).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = pair_index[used, 0], pair_index[used, 1]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_dates, num_dates))
    return connected_components(graph, directed=False)


def describe_parts(parts: Sequence[Sequence[dt.date]]) -> str:
    """'20200101-20200613 (15 dates); 20200707-20201230 (16 dates)'."""
    return "; ".join(
        f"{format_yyyymmdd(p[0])}-{format_yyyymmdd(p[-1])} ({len(p)} dates"
        + (f": {', '.join(format_yyyymmdd(d) for d in p)})" if len(p) <= 4 else ")")
        for p in parts
    )


# ----------------------------------------------------------------------------- batched solve
def _cuda_may_exist() -> bool:
    """Cheap test before importing torch (seconds) just to learn there is no GPU."""
    import os
    import sys

    return (
        "torch" in sys.modules
        or os.path.exists("/dev/nvidiactl")
        or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))
    )


class _Backend:
    """Batched solves of the normal equations: numpy, or torch on a CUDA device."""

    def __init__(self, device: str):
        self.xp = np
        self.device = None
        if device == "cuda" or (device == "auto" and _cuda_may_exist()):
            try:
                import torch
            except ImportError:
                torch = None
            if torch is not None and torch.cuda.is_available():
                self.xp = torch
                self.device = torch.device("cuda")
            elif device == "cuda":
                raise InputError(
                    "a CUDA device was asked for, but torch with CUDA is not available.",
                    None,
                    "use device 'auto' or 'cpu', or install torch with CUDA support.",
                )

    @property
    def name(self) -> str:
        return "numpy" if self.device is None else "torch-cuda"

    def array(self, values: np.ndarray):
        return values if self.device is None else self.xp.as_tensor(values, device=self.device)

    def numpy(self, values) -> np.ndarray:
        return values if self.device is None else values.cpu().numpy()


def _elimination_order(neighbours: List[set]) -> Tuple[List[int], List[List[int]]]:
    """Greedy minimum-degree elimination of a small graph (dates linked by pairs).

    Returns the order and, per eliminated node, its neighbours still present at that moment
    (the non-zero pattern of its column of the Cholesky factor, fill included)."""
    graph = [set(nb) for nb in neighbours]
    alive = set(range(len(graph)))
    order, structure = [], []
    while alive:
        node = min(alive, key=lambda v: (len(graph[v]), v))
        linked = sorted(graph[node])
        for a in linked:
            graph[a].discard(node)
            graph[a].update(v for v in linked if v != a)
        alive.discard(node)
        order.append(node)
        structure.append(linked)
    return order, structure


class _NetworkNormalEquations:
    """Normal equations ``A^T W A x = A^T W y`` of the pair network, for many pixels at once.

    ``A^T W A`` is the weighted Laplacian of the date graph: entry (i, j) is non-zero only
    when a pair links dates i and j. Its sparse Cholesky factor, after a minimum-degree
    ordering of the dates, has few entries beyond those of the network (a small-baseline
    network with a few annual pairs: ~10 per date instead of n). The factor is stored as a
    flat (pixels, entries) array and computed column by column with every operation
    vectorised over pixels, on numpy or on a torch CUDA device.
    """

    def __init__(self, pair_index: np.ndarray, num_dates: int):
        from scipy.sparse import csr_matrix

        n, m = num_dates, len(pair_index)
        neighbours = [set() for _ in range(n)]
        for a, b in pair_index:
            neighbours[a].add(int(b))
            neighbours[b].add(int(a))
        order, structure = _elimination_order(neighbours)
        position: Dict[Tuple[int, int], int] = {}
        for j, linked in zip(order, structure, strict=True):
            position[(j, j)] = len(position)
            for i in linked:
                position[(i, j)] = len(position)
        self.num_dates, self.entries, self.order = n, len(position), order
        rank = {v: r for r, v in enumerate(order)}

        def entry(i, j):  # (later, earlier) in the elimination order
            return position[(i, j)] if rank[i] > rank[j] else position[(j, i)]

        self.diagonal = np.array([position[(v, v)] for v in range(n)])
        edges = sorted({(min(a, b), max(a, b)) for a, b in pair_index.tolist()})
        self.edge_dates = np.array(edges, dtype=np.int64).reshape(-1, 2)
        self.edge_entry = np.array([entry(a, b) for a, b in edges], dtype=np.int64)
        rows = np.repeat(np.arange(m), 3)
        cols = np.array(
            [[self.diagonal[a], self.diagonal[b], entry(a, b)] for a, b in pair_index.tolist()]
        ).reshape(-1)
        self.assemble = csr_matrix(
            (np.tile([1.0, 1.0, -1.0], m), (rows, cols)), shape=(m, self.entries)
        ).T.tocsr()
        incidence = np.zeros((m, n))
        incidence[np.arange(m), pair_index[:, 0]] = -1.0
        incidence[np.arange(m), pair_index[:, 1]] = 1.0
        self.transpose = csr_matrix(incidence.T)
        self.steps = []
        for j, linked in zip(order, structure, strict=True):
            linked = np.array(sorted(linked, key=rank.get), dtype=np.int64)
            t1, t2 = np.tril_indices(len(linked))
            self.steps.append(
                (
                    j,
                    self.diagonal[j],
                    linked,
                    np.array([position[(i, j)] for i in linked], dtype=np.int64),
                    np.array(
                        [
                            entry(linked[a], linked[b]) if a != b else self.diagonal[linked[a]]
                            for a, b in zip(t1, t2, strict=True)
                        ],
                        dtype=np.int64,
                    ),
                    t1,
                    t2,
                )
            )

    def solve(
        self, weights: np.ndarray, weighted_obs: np.ndarray, free: np.ndarray, backend: _Backend
    ) -> np.ndarray:
        """x (p, n) for weights (p, m), weights * observations (p, m); dates not ``free``
        are fixed to zero."""
        # pixels along the last axis: every step gathers whole contiguous rows
        factor = self.assemble @ weights.T  # (entries, p) or (entries, 1) shared by all
        x = (self.transpose @ weighted_obs.T) * free.T  # (n, p)
        # drop the rows and columns of fixed dates, with a unit diagonal there
        factor[self.edge_entry] *= (
            free[:, self.edge_dates[:, 0]] & free[:, self.edge_dates[:, 1]]
        ).T
        factor[self.diagonal] = np.where(free.T, factor[self.diagonal], 1.0)
        return backend.numpy(
            self._cholesky_solve(backend.array(factor), backend.array(x), backend)
        ).T

    def _cholesky_solve(self, factor, x, backend: _Backend):
        xp, steps = backend.xp, self.steps
        if backend.device is not None:
            steps = [
                tuple(backend.array(v) if isinstance(v, np.ndarray) else v for v in step)
                for step in steps
            ]
        for j, diag, linked, column_at, update_at, t1, t2 in steps:
            pivot = xp.sqrt(factor[diag])
            factor[diag] = pivot
            x[j] = x[j] / pivot
            if len(linked):
                column = factor[column_at] / pivot
                factor[column_at] = column
                factor[update_at] -= column[t1] * column[t2]
                x[linked] -= column * x[j]
        for j, diag, linked, column_at, _, _, _ in reversed(steps):
            if len(linked):
                x[j] -= (factor[column_at] * x[linked]).sum(0)
            x[j] = x[j] / factor[diag]
        return x


@dataclass
class _Network:
    """What the per-pixel solve needs about the stack network."""

    dates: List[dt.date]
    pair_index: np.ndarray  # (m, 2) date indices
    A: np.ndarray  # (m, n)
    years: np.ndarray  # (n,) years since the first date
    anchors: np.ndarray  # (n,) bool: first date of each part (fixed to zero)
    part_of_date: np.ndarray  # (n,) int

    @classmethod
    def build(cls, pairs: Sequence[Pair]) -> "_Network":
        dates = network_dates(pairs)
        index = {d: i for i, d in enumerate(dates)}
        pair_index = np.array([[index[a], index[b]] for a, b in pairs], dtype=np.int64).reshape(
            -1, 2
        )
        _, labels = date_components(pair_index, len(dates), np.ones(len(pairs), bool))
        anchors = np.zeros(len(dates), bool)
        part_of_date = np.zeros(len(dates), np.int64)
        firsts = sorted({int(np.flatnonzero(labels == lab)[0]) for lab in np.unique(labels)})
        for number, first in enumerate(firsts):
            anchors[first] = True
            part_of_date[labels == labels[first]] = number
        years = np.array([(d - dates[0]).days for d in dates], np.float64) / 365.25
        return cls(dates, pair_index, incidence_matrix(pairs, dates), years, anchors, part_of_date)

    @property
    def num_dates(self) -> int:
        return len(self.dates)

    def velocity_matrix(self) -> np.ndarray:
        """B (m, n-1): each pair's time spent in each interval between consecutive dates (yr)."""
        step = np.diff(self.years)
        B = np.zeros((len(self.pair_index), self.num_dates - 1))
        for k, (i, j) in enumerate(self.pair_index):
            lo, hi = min(i, j), max(i, j)
            B[k, lo:hi] = step[lo:hi] * (1.0 if j > i else -1.0)
        return B


def _pixel_groups(valid: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Group pixels (columns of ``valid`` (m, P)) by their set of valid pairs.

    Returns (patterns (g, m) bool, group index per pixel (P,))."""
    packed = np.ascontiguousarray(np.packbits(valid, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return valid[:, first].T, inverse.ravel()


def invert_phases(
    phase: np.ndarray,
    pairs: Sequence[Pair],
    weight: Optional[np.ndarray] = None,
    split_network: str = "parts",
    min_norm_velocity: bool = True,
    rcond: float = 1e-5,
    backend: Optional[_Backend] = None,
    chunk_pixels: int = 2048,
    progress: ProgressCallback = silent,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Invert referenced phases (m, P) (NaN = not valid) into phase time series (n, P).

    ``weight`` (m, P) are least-squares weights (not their square roots), None = unweighted.
    Returns (time series (n, P) rad relative to each part's first date, NaN where not
    solvable; temporal coherence (P,), 0 where not inverted; pairs used (P,) int; per pixel
    True where dates were cut off by its own split network).
    """
    split_network = SplitNetwork.parse(split_network, "split network handling")
    backend = backend or _Backend("cpu")
    net = _Network.build(pairs)
    m, num_pixels = phase.shape
    n = net.num_dates
    valid = ~np.isnan(phase)
    patterns, group_of_pixel = _pixel_groups(valid)
    anchors = net.anchors.copy()
    if split_network == "bridge":  # one network: only the first date is fixed
        anchors[1:] = False

    used, fixed, lost, bridged = _group_networks(patterns, net, anchors, split_network)

    ts = np.full((n, num_pixels), np.nan)
    tcoh = np.zeros(num_pixels)
    count_used = np.zeros(num_pixels, np.int32)
    y = np.where(valid, phase, 0.0)

    # 1. full-rank pixels: weighted normal equations, batched over pixels; unweighted, the
    #    pixels of a large group share one factorisation
    regular = ~bridged[group_of_pixel] & ~lost[group_of_pixel].all(axis=1)
    equations = _NetworkNormalEquations(net.pair_index, n)
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
    for number, (index, one_group) in enumerate(batches):
        report(progress, number / len(batches))
        groups = group_of_pixel[index[:1] if one_group else index]
        mask = used[groups]  # (p, m), or (1, m) for a shared group
        obs = y[:, index].T
        w = mask * (1.0 if weight is None else weight[:, index].T)
        x = equations.solve(w, w * obs, ~(fixed[groups] | lost[groups]), backend)
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
            Gs, ys = G[rows], y[rows][:, index]
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


def _group_networks(
    patterns: np.ndarray,
    net: "_Network",
    anchors: np.ndarray,
    split_network: str,
    groups_per_graph: int = 4096,
):
    """For each group of pixels sharing a set of valid pairs (``patterns`` (g, m)): the pairs
    used, the dates fixed to zero, the dates that cannot be solved, and whether the group is
    bridged (minimum norm). One graph holding a copy of the date graph per group gives every
    group's connected components in a single call."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g, n = len(patterns), net.num_dates
    labels = np.empty((g, n), np.int64)
    for start in range(0, g, groups_per_graph):
        block = patterns[start : start + groups_per_graph]
        group, pair = np.nonzero(block)
        size = len(block) * n
        graph = coo_matrix(
            (
                np.ones(len(pair)),
                (group * n + net.pair_index[pair, 0], group * n + net.pair_index[pair, 1]),
            ),
            shape=(size, size),
        )
        labels[start : start + len(block)] = connected_components(graph, directed=False)[1].reshape(
            -1, n
        )
    ordered = np.sort(labels, axis=1)
    count = 1 + (np.diff(ordered, axis=1) != 0).sum(axis=1)
    empty = ~patterns.any(axis=1)
    whole = (count == int(anchors.sum())) & ~empty  # each part of the network stays whole
    fixed = np.broadcast_to(anchors, (g, n)).copy()
    if split_network == "bridge":
        bridged = ~whole & ~empty
        used = patterns.copy()
        # MintPy leaves out pixels with a date (other than the first) without any pair
        observed = (patterns.astype(np.float64) @ np.abs(net.A)) > 0
        lost = np.broadcast_to(
            (empty | (bridged & ~observed[:, 1:].all(axis=1)))[:, None], (g, n)
        ).copy()
        return used, fixed, lost, bridged
    solvable = (labels[:, :, None] == labels[:, anchors][:, None, :]).any(axis=2)
    lost = ~solvable | empty[:, None]
    used = patterns & solvable[:, net.pair_index[:, 0]]
    return used, fixed, lost, np.zeros(g, bool)


def _temporal_coherence(residual: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """|mean over used pairs of exp(j residual)| per row of residual (p, m), which is zero
    where ``mask`` is False (those terms add exactly 1 + 0j and are taken off again)."""
    count = mask.sum(axis=1)
    residual = residual.astype(np.float32)  # as MintPy; ~1e-7 per term, twice as fast
    real = np.cos(residual).sum(axis=1, dtype=np.float64) - (residual.shape[1] - count)
    imag = np.sin(residual).sum(axis=1, dtype=np.float64)
    return np.where(count > 0, np.hypot(real, imag) / np.maximum(count, 1), 0.0)


# ----------------------------------------------------------------------------- stack driver
def _reference_pixel(
    stack: IfgramStack, options: InversionOptions, progress: ProgressCallback
) -> Tuple[int, int]:
    if options.reference_yx is not None:
        ref = tuple(int(v) for v in options.reference_yx)
    elif stack.reference_yx is not None:
        ref = stack.reference_yx
    else:
        from ...corrections.reference import automatic_reference_pixel

        ref = automatic_reference_pixel(stack, options.memory_mb)
        report(
            progress,
            0.0,
            f"No reference pixel given: using row {ref[0]}, column {ref[1]} "
            "(valid in every pair, stable, most coherent).",
        )
    if not stack.grid.contains(*ref):
        raise InputError(
            f"the reference pixel (row {ref[0]}, column {ref[1]}) is outside the "
            f"{stack.grid.length} x {stack.grid.width} grid.",
            stack.path,
            "choose a reference point inside the stack extent.",
        )
    return ref


def invert_stack(
    stack_path: PathLike,
    timeseries_path: PathLike,
    tcoh_path: PathLike,
    options: Optional[InversionOptions] = None,
    progress: ProgressCallback = silent,
) -> InversionResult:
    """Invert an ``ifgramStack.h5`` into ``timeseries.h5`` and ``temporalCoherence.h5``.

    Uses the kept pairs (``dropIfgram``). Phases are referenced to the reference pixel (the
    given one, else the stack's REF_Y/REF_X, else automatic); exactly zero phases in the file
    are no-data (MintPy's convention). ``temporalCoherence.h5`` also holds ``numInvIfgram``
    (pairs used per pixel). Split networks are reported in ``result.messages`` and in the
    output attributes.
    """
    options = options or InversionOptions()
    check_outputs([timeseries_path, tcoh_path], [stack_path])
    stack = IfgramStack.open(stack_path)
    keep = stack.keep.copy()
    index = np.flatnonzero(keep)
    pairs = [stack.pairs[i] for i in index]
    if len(pairs) < 1:
        raise InputError(
            "no interferogram is kept (dropIfgram is all False).",
            stack_path,
            "keep at least one pair in the network step.",
        )
    if any(a >= b for a, b in pairs):
        raise InputError(
            "a pair's first date is not before its second date.",
            stack_path,
            "order each pair as (earlier, later) dates.",
        )
    if options.weight != "none" and "coherence" not in stack.datasets:
        raise InputError(
            "weighting needs a 'coherence' dataset and the stack has none.",
            stack_path,
            "use WEIGHT = none, or ingest the coherence too.",
        )
    backend = _Backend(options.device)
    dates = network_dates(pairs)
    parts = connected_components(pairs)
    messages = [
        f"{len(pairs)} pairs, {len(dates)} dates, weight {options.weight}, solver {backend.name}."
    ]
    if len(parts) > 1:
        handling = (
            "each part is solved on its own and referenced to its own first date"
            if options.split_network == "parts"
            else "bridged by the minimum-norm solution (classic SBAS); the offsets between "
            "parts are an assumption, not a measurement"
        )
        messages.append(
            f"The network is split into {len(parts)} parts: {describe_parts(parts)}; {handling}."
        )
    for message in messages:
        report(progress, 0.0, message)

    ref_y, ref_x = _reference_pixel(stack, options, progress)
    raw_ref = stack.read("unwrapPhase", slice(ref_y, ref_y + 1), index)[:, 0, ref_x].astype(
        np.float64
    )
    if np.isnan(raw_ref).all():
        raise InputError(
            f"the reference pixel (row {ref_y}, column {ref_x}) has no valid phase.",
            stack_path,
            "choose a reference point with valid, coherent phase.",
        )
    if np.isnan(raw_ref).any():
        messages.append(
            f"{int(np.isnan(raw_ref).sum())} pairs have no phase at the reference "
            "pixel and are not used."
        )
        report(progress, 0.0, messages[-1])
    looks = number_of_looks(stack.attrs)
    use_conncomp = options.mask_conncomp and "connectComponent" in stack.datasets
    n, m = len(dates), len(pairs)
    width = stack.grid.width
    # bytes per row: inputs (phase, coherence, conncomp), float64 work copies, outputs
    bytes_per_row = width * (m * (4 + 4 + 2 + 8 * 6) + n * (8 + 4))
    net_part = _Network.build(pairs).part_of_date
    part_text = ",".join(str(int(p)) for p in net_part)
    attrs = {k: v for k, v in stack.attrs.items() if k not in ("FILE_TYPE", "REF_DATE")}
    attrs.update(
        {
            "REF_Y": ref_y,
            "REF_X": ref_x,
            "UNIT": "m",
            "REF_LAT": float(stack.grid.xy(ref_y, ref_x)[1]),
            "REF_LON": float(stack.grid.xy(ref_y, ref_x)[0]),
            "INVERSION_WEIGHT": options.weight,
            "INVERSION_MIN_NORM": "velocity" if options.min_norm_velocity else "phase",
            "INVERSION_MASK_COHERENCE": options.mask_coherence,
            "INVERSION_SOLVER": backend.name,
            "NETWORK_NUM_PARTS": len(parts),
            "NETWORK_SPLIT_HANDLING": options.split_network if len(parts) > 1 else "none",
            "NETWORK_PARTS": describe_parts(parts),
            "NETWORK_PART_OF_DATE": part_text,
        }
    )
    length = stack.grid.length
    tcoh = np.zeros(stack.grid.shape, np.float32)
    count = np.zeros(stack.grid.shape, np.int16)
    bperp = np.nan_to_num(acquisition_bperp(pairs, stack.bperp[keep], dates)).astype(np.float32)
    wavelength = stack.wavelength
    inverted = cut_pixels = 0
    chunk_pixels = max(
        64, min(CACHE_CHUNK_PIXELS, int(options.memory_mb * 2**20 / 4 // (8 * (n * 16 + 6 * m))))
    )
    with timeseries_writer(timeseries_path, stack.grid, dates, bperp, attrs) as f:
        for rows in row_blocks(length, bytes_per_row, options.memory_mb):
            report(
                progress,
                rows.start / length,
                f"Inverting rows {rows.start + 1}-{rows.stop} of {length}",
            )
            raw = stack.read("unwrapPhase", rows, index).astype(np.float64).reshape(m, -1)
            # raw zeros are no-data (HyP3/MintPy fill value); MintPy also drops phases that
            # become exactly zero after referencing, we keep those valid observations
            phase = np.where(raw != 0, raw - raw_ref[:, np.newaxis], np.nan)
            coherence = None
            if options.weight != "none" or options.mask_coherence > 0:
                coherence = stack.read("coherence", rows, index).reshape(m, -1)
            if options.mask_coherence > 0:
                phase[~(np.nan_to_num(coherence, nan=0.0) >= options.mask_coherence)] = np.nan
            if use_conncomp:
                phase[stack.read("connectComponent", rows, index).reshape(m, -1) == 0] = np.nan
            weight = (
                None
                if options.weight == "none"
                else coherence_to_weight(coherence, options.weight, looks)
            )
            ts, tc, used, cut = invert_phases(
                phase,
                pairs,
                weight,
                options.split_network,
                options.min_norm_velocity,
                options.rcond,
                backend,
                chunk_pixels,
                scaled(progress, rows.start / length, rows.stop / length),
            )
            block_shape = (rows.stop - rows.start, width)
            displacement = (ts * (-wavelength / (4 * np.pi))).astype(np.float32)
            if rows.start <= ref_y < rows.stop:
                flat = (ref_y - rows.start) * width + ref_x
                displacement[:, flat] = 0.0
                tc[flat], used[flat] = 1.0, m
            f["timeseries"][:, rows, :] = displacement.reshape((n,) + block_shape)
            tcoh[rows] = tc.reshape(block_shape)
            count[rows] = used.reshape(block_shape)
            inverted += int((used > 0).sum())
            cut_pixels += int(cut.sum())
        tcoh_attrs = dict(attrs, UNIT="1")
        write_datasets(
            tcoh_path,
            {"temporalCoherence": tcoh, "numInvIfgram": count},
            "temporalCoherence",
            stack.grid,
            tcoh_attrs,
        )
    if cut_pixels:
        messages.append(
            f"{cut_pixels} pixels lost the link between some dates and their "
            "part's first date after masking; those dates are NaN there."
        )
    report(progress, 1.0, f"Inverted {inverted} pixels.")
    return InversionResult(
        Path(timeseries_path),
        Path(tcoh_path),
        dates,
        parts,
        (ref_y, ref_x),
        inverted,
        cut_pixels,
        messages,
    )
