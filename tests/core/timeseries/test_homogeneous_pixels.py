"""Statistically homogeneous pixels (two-sample KS) and adaptive averaging."""

from __future__ import annotations

import time

import numpy as np
from scipy.stats import ks_2samp

from insar_subsidence.core.timeseries.homogeneous_pixels import (
    adaptive_average,
    homogeneous_pixels,
    ks_critical_value,
    ks_statistic_sorted,
)


def test_ks_statistic_matches_scipy():
    rng = np.random.default_rng(0)
    a = np.sort(rng.rayleigh(1.0, (50, 30)), axis=-1)
    b = np.sort(rng.rayleigh(1.3, (50, 30)), axis=-1)
    ours = ks_statistic_sorted(a, b)
    theirs = [ks_2samp(a[i], b[i]).statistic for i in range(50)]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert ks_critical_value(30, 30, 0.05) == np.sqrt(-0.5 * np.log(0.025)) * np.sqrt(60 / 900)


def test_shp_follow_the_region_boundary_and_run_fast():
    rng = np.random.default_rng(1)
    n, length, width = 30, 60, 60
    scale = np.where(np.arange(width) < 30, 1.0, 3.0)[None, None, :]
    amplitude = rng.rayleigh(1.0, (n, length, width)) * scale
    started = time.perf_counter()
    shp = homogeneous_pixels(amplitude)  # default window 19 rows x 13 cols
    elapsed = time.perf_counter() - started
    assert shp.mask.shape == (19 * 13, length, width)
    assert elapsed < 20  # generous for a shared 2-core machine; typically ~2 s
    # a pixel well inside the left region: nearly the whole window, all on its own side
    centre = (30, 10)
    assert shp.count[centre] > 0.85 * 19 * 13
    # a pixel 3 columns left of the boundary: its SHP on the far side are KS false alarms
    row, col = 30, 27
    columns = col + shp.offsets[:, 1]
    across = shp.mask[:, row, col] & (columns >= 30)
    same_side = shp.mask[:, row, col] & (columns < 30)
    assert across.sum() <= 3 and same_side.sum() > 0.85 * (same_side.size - (columns >= 30).sum())
    # symmetric: q is an SHP of p exactly when p is an SHP of q
    index = {tuple(o): i for i, o in enumerate(shp.offsets)}
    assert shp.mask[index[(2, 3)], 20, 20] == shp.mask[index[(-2, -3)], 22, 23]


def test_adaptive_average_reduces_noise_but_keeps_isolated_scatterers():
    rng = np.random.default_rng(2)
    n, length, width = 25, 40, 40
    signal = np.linspace(0, 2, n)[:, None, None] * np.ones((1, length, width))
    clutter = rng.rayleigh(1.0, (n, length, width))
    slc = clutter * np.exp(1j * (signal + rng.normal(0, 0.8, (n, length, width))))
    slc[:, 20, 20] = 25.0 * np.exp(1j * signal[:, 20, 20])  # a bright point scatterer
    ifg = slc * np.conj(slc[0])[None]
    shp = homogeneous_pixels(np.abs(slc), window=(11, 9))
    filtered, coherence = adaptive_average(ifg, slc, shp, ref=0)
    assert shp.count[20, 20] <= 18  # unlike its neighbours: left alone
    np.testing.assert_array_equal(filtered[:, 20, 20], ifg[:, 20, 20])
    error_raw = np.angle(ifg[1:, 10, 10] * np.exp(-1j * (signal[1:, 10, 10] - signal[0, 10, 10])))
    error_filtered = np.angle(
        filtered[1:, 10, 10] * np.exp(-1j * (signal[1:, 10, 10] - signal[0, 10, 10]))
    )
    assert np.std(error_filtered) < 0.5 * np.std(error_raw)
    assert 0.2 < coherence[10, 10] <= 1.0 and np.isnan(coherence[20, 20])
