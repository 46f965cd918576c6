"""Singular spectrum denoising and the sparrow search optimiser."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.prediction.sparrow_search import (
    SparrowOptions,
    sparrow_search,
)
from insar_subsidence.core.prediction.ssa_decomposition import (
    SSAOptions,
    ssa_components,
    ssa_denoise,
)


def noisy_series(seed=0):
    t = np.arange(150)
    clean = -0.1 * t + 3 * np.sin(2 * np.pi * t / 30)
    return clean, clean + np.random.default_rng(seed).normal(0, 1.0, t.size)


def test_components_sum_to_series_and_energy_sums_to_one():
    _, noisy = noisy_series()
    comps, share = ssa_components(noisy, 20)
    np.testing.assert_allclose(comps[0].sum(axis=0), noisy, atol=1e-9)
    assert share.shape == (1, 20) and abs(share.sum() - 1) < 1e-12
    assert np.all(np.diff(share[0]) <= 1e-15)


def test_denoising_brings_the_series_closer_to_the_truth():
    clean, noisy = noisy_series()
    fixed = ssa_denoise(noisy, SSAOptions(window=30, n_components=3))
    assert np.std(fixed - clean) < 0.5 * np.std(noisy - clean)
    by_share = ssa_denoise(noisy, SSAOptions(window=30, contribution=0.9))
    assert by_share.shape == noisy.shape
    batch = ssa_denoise(np.stack([noisy, noisy * 2]), SSAOptions(window=30, n_components=3))
    np.testing.assert_allclose(batch[1], 2 * fixed, atol=1e-9)


def test_ssa_rejects_bad_window():
    with pytest.raises(InputError, match="window"):
        ssa_denoise(np.arange(10.0), SSAOptions(window=10))


def sphere(x):
    return float(np.sum(x**2))


def rastrigin(x):
    return float(10 * x.size + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


def rosenbrock(x):
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


@pytest.mark.parametrize(
    "function, bound, minimum, tolerance",
    [
        (sphere, 100.0, np.zeros(5), 1e-3),
        (rastrigin, 5.12, np.zeros(5), 1e-3),
        (rosenbrock, 5.0, np.ones(2), 0.05),
    ],
)
def test_finds_known_minima(function, bound, minimum, tolerance):
    dim = minimum.size
    result = sparrow_search(
        function,
        [-bound] * dim,
        [bound] * dim,
        SparrowOptions(population=30, iterations=150, seed=1),
    )
    assert np.max(np.abs(result.best_position - minimum)) < tolerance
    assert result.best_value == pytest.approx(function(result.best_position))
    assert result.history == sorted(result.history, reverse=True)


def test_off_diagonal_optimum_bounds_and_seed():
    target = np.array([1.0, -2.0, 3.0, 0.5])
    opts = SparrowOptions(population=30, iterations=150, seed=2)
    seen = []

    def shifted(x):
        seen.append(x.copy())
        return float(np.sum((x - target) ** 2))

    result = sparrow_search(shifted, [-4, -4, 2.5, -4], [4, 4, 4, 4], opts)
    assert np.max(np.abs(result.best_position - target)) < 0.1
    assert all(np.all(x >= [-4, -4, 2.5, -4]) and np.all(x <= 4) for x in seen)
    again = sparrow_search(
        lambda x: float(np.sum((x - target) ** 2)), [-4, -4, 2.5, -4], [4, 4, 4, 4], opts
    )
    np.testing.assert_array_equal(again.best_position, result.best_position)
    assert result.evaluations == 30 * 151
