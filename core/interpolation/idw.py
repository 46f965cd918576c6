"""Inverse distance weighting over the k nearest points (KD-tree)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..options import Options, option
from .common import Predictor, merge_duplicates


@dataclass
class IdwOptions(Options):
    """Options of :func:`idw_predictor`."""

    power: float = option(
        2.0,
        help="Power of the inverse distance: larger values favour the nearest points",
        minimum=0.1,
        maximum=10.0,
    )
    neighbours: int = option(12, help="Nearest points averaged per prediction", minimum=1)


def idw_predictor(
    xy: np.ndarray, values: np.ndarray, options: Optional[IdwOptions] = None
) -> Predictor:
    """``predict(query_xy) -> values``: weights 1 / d**power over the k nearest points; a
    query on a data point returns that point's value exactly."""
    options = options or IdwOptions()
    from scipy.spatial import cKDTree

    xy, values = merge_duplicates(xy, values)
    tree = cKDTree(xy)
    k = int(min(max(options.neighbours, 1), len(values)))

    def predict(query: np.ndarray) -> np.ndarray:
        out = np.empty(len(query))
        for start in range(0, len(query), 100_000):
            q = query[start : start + 100_000]
            dist, idx = tree.query(q, k=k)
            dist, idx = dist.reshape(len(q), k), idx.reshape(len(q), k)
            exact = dist[:, 0] == 0
            with np.errstate(divide="ignore", invalid="ignore"):
                weights = 1.0 / dist**options.power
                chunk = (weights * values[idx]).sum(1) / weights.sum(1)
            chunk[exact] = values[idx[exact, 0]]
            out[start : start + len(q)] = chunk
        return out

    return predict
