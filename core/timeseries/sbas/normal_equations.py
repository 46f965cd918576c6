"""Sparse Cholesky solves of the normal equations ``A^T W A x = A^T W y`` of a pair network,
vectorised over pixels."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

from .backend import Backend


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


class NetworkNormalEquations:
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
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        structure = [np.array(linked, dtype=np.int64) for linked in structure]
        structure = [linked[np.argsort(rank[linked])] for linked in structure]
        # at[i, j] = at[j, i]: where the factor keeps entry (i, j), column by column in the
        # elimination order (its diagonal, then its rows in that order: each column is a
        # contiguous run of rows); -1: no entry
        at = np.full((n, n), -1, dtype=np.int64)
        count = 0
        for j, linked in zip(order, structure, strict=True):
            at[j, j] = count
            at[linked, j] = at[j, linked] = np.arange(count + 1, count + 1 + len(linked))
            count += 1 + len(linked)
        self.num_dates, self.entries, self.order = n, count, order

        self.diagonal = np.diagonal(at).copy()
        self.edge_dates = np.unique(np.sort(pair_index, axis=1), axis=0).reshape(-1, 2)
        self.edge_entry = at[self.edge_dates[:, 0], self.edge_dates[:, 1]]
        a, b = pair_index[:, 0], pair_index[:, 1]
        rows = np.repeat(np.arange(m), 3)
        cols = np.stack([self.diagonal[a], self.diagonal[b], at[a, b]], axis=1).reshape(-1)
        self.assemble = csr_matrix(
            (np.tile([1.0, 1.0, -1.0], m), (rows, cols)), shape=(m, self.entries)
        ).T.tocsr()
        incidence = np.zeros((m, n))
        incidence[np.arange(m), a] = -1.0
        incidence[np.arange(m), b] = 1.0
        self.transpose = csr_matrix(incidence.T)
        self.steps = []
        lower = {}  # size -> np.tril_indices
        for j, linked in zip(order, structure, strict=True):
            t1, t2 = lower.setdefault(len(linked), np.tril_indices(len(linked)))
            diagonal = int(self.diagonal[j])
            self.steps.append(
                (
                    j,
                    diagonal,
                    linked,
                    slice(diagonal + 1, diagonal + 1 + len(linked)),
                    at[linked[t1], linked[t2]],
                    t1,
                    t2,
                )
            )

    def solve(
        self, weights: np.ndarray, weighted_obs: np.ndarray, free: np.ndarray, backend: Backend
    ) -> np.ndarray:
        """x (n, p) for weights (m, p) and weights * observations (m, p); dates not ``free``
        (n, p) are fixed to zero. ``weights`` and ``free`` may have one column for all."""
        # pixels along the last axis: every step gathers whole contiguous rows
        factor = self.assemble @ weights  # (entries, p) or (entries, 1) shared by all
        x = (self.transpose @ weighted_obs) * free  # (n, p)
        # drop the rows and columns of fixed dates, with a unit diagonal there
        factor[self.edge_entry] *= free[self.edge_dates[:, 0]] & free[self.edge_dates[:, 1]]
        factor[self.diagonal] = np.where(free, factor[self.diagonal], 1.0)
        return backend.numpy(self._cholesky_solve(backend.array(factor), backend.array(x), backend))

    def _cholesky_solve(self, factor, x, backend: Backend):
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
                column = factor[column_at]  # a view: the column's rows are contiguous
                column /= pivot
                factor[update_at] -= column[t1] * column[t2]
                x[linked] -= column * x[j]
        for j, diag, linked, column_at, _, _, _ in reversed(steps):
            if len(linked):
                x[j] -= (factor[column_at] * x[linked]).sum(0)
            x[j] = x[j] / factor[diag]
        return x
