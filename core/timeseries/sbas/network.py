"""The date graph of a pair network: dates, the incidence matrix, connected parts, and the
pixels grouped by the pairs they have."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from ...conventions import years_since
from ...dates import format_yyyymmdd

Pair = Tuple[dt.date, dt.date]


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


@dataclass
class DateNetwork:
    """What the per-pixel solve needs about the stack network."""

    dates: List[dt.date]
    pair_index: np.ndarray  # (m, 2) date indices
    A: np.ndarray  # (m, n)
    years: np.ndarray  # (n,) years since the first date
    anchors: np.ndarray  # (n,) bool: first date of each part (fixed to zero)
    part_of_date: np.ndarray  # (n,) int

    @classmethod
    def build(cls, pairs: Sequence[Pair]) -> "DateNetwork":
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
        years = years_since(dates)
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


def pixel_groups(valid: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Group pixels (columns of ``valid`` (m, P)) by their set of valid pairs.

    Returns (patterns (g, m) bool, group index per pixel (P,))."""
    packed = _pack_pairs(valid)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return valid[:, first].T, inverse.ravel()


def _pack_pairs(valid: np.ndarray) -> np.ndarray:
    """The valid pairs (m, P) bool of each pixel as bytes (P, ceil(m / 8)) uint8, bits in
    np.packbits order (pair 0 in the top bit): eight shifted ORs of whole rows, several
    times faster than np.packbits along the pairs (it walks them one pixel at a time)."""
    m, num_pixels = valid.shape
    bits = np.ascontiguousarray(valid).view(np.uint8)
    packed = np.zeros((-(-m // 8), num_pixels), np.uint8)
    for i in range(8):
        rows = bits[i::8]
        packed[: len(rows)] |= rows << np.uint8(7 - i)
    return np.ascontiguousarray(packed.T)


def group_networks(
    patterns: np.ndarray,
    net: "DateNetwork",
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
