"""Sparrow search algorithm (Xue & Shen 2020, Systems Science & Control Engineering 8(1) 22-34)
as a general bounded minimiser.

Each iteration ranks the flock by fitness. Producers (the best ``producer_fraction``) search
widely: when no alarm is raised (R2 < ``safety_threshold``) they contract,
x <- x * exp(-i / (a * iter_max)), otherwise they jump by a normal step. Scroungers follow: the
hungry worse half flies elsewhere, x <- Q * exp((x_worst - x) / i^2), the others move next to
the best producer, x <- x_P + |x - x_P| A+ L. A random ``danger_fraction`` are aware of danger:
sparrows at the edge move towards the best, x <- x_best + beta |x - x_best|; the one at the best
moves away, x <- x + K (|x - x_worst| / (f - f_worst + eps)). Positions are clipped to bounds.
The normal and uniform draws (Q, beta, K) are per dimension; with one draw for all dimensions
(a literal reading) sparrows only move along diagonals and miss off-diagonal optima.
Note the producer contraction pulls towards the coordinate origin (as in the paper); callers
that want no such bias can search in coordinates centred on their range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Sequence

import numpy as np

from ..errors import InputError
from ..options import Options, option
from ..progress import ProgressCallback, report, silent


@dataclass
class SparrowOptions(Options):
    """Options of :func:`sparrow_search` (defaults: Xue & Shen 2020)."""

    population: int = option(20, help="Sparrows in the flock", minimum=2, maximum=100)
    iterations: int = option(50, help="Search iterations", minimum=0, maximum=500)
    producer_fraction: float = option(
        0.2,
        help="Share of producers, the best sparrows that search widely (PD)",
        minimum=0.0,
        maximum=1.0,
    )
    danger_fraction: float = option(
        0.1, help="Share of sparrows aware of danger (SD)", minimum=0.0, maximum=1.0
    )
    safety_threshold: float = option(
        0.8,
        help="Alarm level below which producers keep searching widely (ST)",
        minimum=0.0,
        maximum=1.0,
    )
    seed: int = option(0, help="Random seed of the search", minimum=0)


@dataclass
class SparrowResult:
    best_position: np.ndarray
    best_value: float
    history: List[float] = field(default_factory=list)  # best value after each iteration
    evaluations: int = 0


def sparrow_search(
    objective: Callable[[np.ndarray], float],
    lower: Sequence[float],
    upper: Sequence[float],
    options: SparrowOptions = None,
    progress: ProgressCallback = silent,
) -> SparrowResult:
    """Minimise ``objective(x)`` over the box ``lower <= x <= upper``."""
    options = options or SparrowOptions()
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if lo.shape != hi.shape or lo.ndim != 1 or np.any(hi < lo):
        raise InputError("sparrow search bounds must be 1-D with lower <= upper.")
    n, dim = max(int(options.population), 2), lo.size
    rng = np.random.default_rng(options.seed)
    evaluations = 0

    def evaluate(positions: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += len(positions)
        return np.array([float(objective(p)) for p in positions])

    x = lo + (hi - lo) * rng.random((n, dim))
    fitness = evaluate(x)
    best = int(np.argmin(fitness))
    best_x, best_f = x[best].copy(), float(fitness[best])
    n_producers = max(1, int(round(options.producer_fraction * n)))
    n_danger = max(1, int(round(options.danger_fraction * n)))
    history = []
    for iteration in range(options.iterations):
        order = np.argsort(fitness, kind="stable")
        x, fitness = x[order], fitness[order]
        worst_x, worst_f = x[-1].copy(), fitness[-1]
        new = x.copy()
        alarm = rng.random()
        for i in range(n_producers):
            if alarm < options.safety_threshold:
                a = rng.uniform(1e-12, 1.0)
                new[i] = x[i] * np.exp(-(i + 1) / (a * options.iterations))
            else:
                new[i] = x[i] + rng.standard_normal(dim)
        new[:n_producers] = np.clip(new[:n_producers], lo, hi)
        producer_best = new[0]
        for i in range(n_producers, n):
            if i + 1 > n / 2:
                new[i] = rng.standard_normal(dim) * np.exp((worst_x - x[i]) / (i + 1) ** 2)
            else:
                signs = rng.choice([-1.0, 1.0], size=dim)
                new[i] = producer_best + np.dot(np.abs(x[i] - producer_best), signs) / dim
        new = np.clip(new, lo, hi)
        for i in rng.choice(n, size=min(n_danger, n), replace=False):
            if fitness[i] > best_f:
                new[i] = best_x + rng.standard_normal(dim) * np.abs(x[i] - best_x)
            else:
                step = rng.uniform(-1.0, 1.0, dim)
                new[i] = x[i] + step * np.abs(x[i] - worst_x) / (fitness[i] - worst_f + 1e-50)
        x = np.clip(new, lo, hi)
        fitness = evaluate(x)
        i_best = int(np.argmin(fitness))
        if fitness[i_best] < best_f:
            best_x, best_f = x[i_best].copy(), float(fitness[i_best])
        history.append(best_f)
        report(progress, (iteration + 1) / options.iterations, "sparrow search")
    return SparrowResult(best_x, best_f, history, evaluations)
