"""Agreement with MintPy's ifgram_inversion (estimate_timeseries) on the same stack.

MintPy runs in the peer venv (.venv-peers, `make peers`) by subprocess; skipped without it.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from insar_subsidence.core.io.mintpy import read_dataset, read_timeseries
from insar_subsidence.core.timeseries import sbas as si
from tests.core.sbas_synthetic import (
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)
from tests.paths import PEER_PYTHON, ROOT

RUNNER = ROOT / "tests" / "core" / "sbas_peer_mintpy.py"
MINTPY_WEIGHT = {"none": "no", "coherence": "coh", "fim": "fim", "var": "var"}


def _has_mintpy() -> bool:
    if not PEER_PYTHON.exists():
        return False
    return (
        subprocess.run(
            [str(PEER_PYTHON), "-c", "import mintpy.ifgram_inversion"], capture_output=True
        ).returncode
        == 0
    )


pytestmark = pytest.mark.skipif(not _has_mintpy(), reason="MintPy peer venv (.venv-peers) missing")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Noisy stack with NaN and zero (no-data) phases, an all-NaN pixel, a pixel whose
    network splits and one with a date left without any pair."""
    folder = tmp_path_factory.mktemp("peer")
    dates = make_dates(12)
    pairs = small_baseline_pairs(dates, 3)
    truth = truth_displacement(dates, rate_m_per_yr=-0.12)
    rng = np.random.default_rng(7)
    coherence = rng.uniform(0.15, 0.95, (len(pairs), 10, 12))
    path = write_stack(
        folder / "ifgramStack.h5",
        dates,
        pairs,
        truth,
        noise_rad=0.4,
        coherence=coherence,
        ref_yx=(1, 1),
        extra_attrs={"NCORRLOOKS": 6},
    )
    import h5py

    with h5py.File(path, "r+") as f:
        phase = f["unwrapPhase"][()]
        phase[rng.random(phase.shape) < 0.08] = np.nan
        phase[rng.random(phase.shape) < 0.02] = 0.0
        phase[:, 1, 1] = np.where(np.isnan(phase[:, 1, 1]), 0.5, phase[:, 1, 1])  # ref valid
        phase[:, 4, 4] = np.nan
        gap = [k for k, (a, b) in enumerate(pairs) if a <= dates[5] < b]
        phase[gap, 6, 8] = np.nan  # network of this pixel splits at date 5 -> 6
        phase[[k for k, p in enumerate(pairs) if dates[9] in p], 8, 2] = np.nan  # date 9 unseen
        f["unwrapPhase"][...] = phase
    return path


def _run_mintpy(stack_path, tmp_path, weight, min_norm=True, mask="none", threshold=0.0):
    out = tmp_path / f"mintpy_{weight}_{int(min_norm)}_{mask}.npz"
    done = subprocess.run(
        [
            str(PEER_PYTHON),
            str(RUNNER),
            str(stack_path),
            MINTPY_WEIGHT[weight],
            str(int(min_norm)),
            mask,
            str(threshold),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(out)


@pytest.mark.parametrize(
    "weight,min_norm,mask,threshold",
    [
        ("none", True, "none", 0.0),
        ("coherence", True, "none", 0.0),
        ("fim", True, "none", 0.0),
        ("var", True, "none", 0.0),
        ("var", False, "coherence", 0.3),
    ],
)
def test_bridge_mode_equals_mintpy(stack, tmp_path, weight, min_norm, mask, threshold):
    peer = _run_mintpy(stack, tmp_path, weight, min_norm, mask, threshold)
    options = si.InversionOptions(
        weight=weight, min_norm_velocity=min_norm, split_network="bridge", mask_coherence=threshold
    )
    ours = si.invert_stack(stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5", options)
    data = read_timeseries(ours.timeseries).data
    tcoh, _ = read_dataset(ours.temporal_coherence, "temporalCoherence")
    count, _ = read_dataset(ours.temporal_coherence, "numInvIfgram")
    inverted = peer["num"] > 0
    assert not inverted[4, 4] and not inverted[8, 2] and inverted[6, 8]
    np.testing.assert_array_equal(count, peer["num"])
    assert np.isnan(data[:, ~inverted]).all()
    assert np.nanmax(np.abs(data[:, inverted] - peer["ts"][:, inverted])) < 1e-6
    np.testing.assert_allclose(tcoh, peer["tcoh"], atol=1e-5)


def test_parts_mode_equals_mintpy_where_the_network_holds(stack, tmp_path):
    peer = _run_mintpy(stack, tmp_path, "var")
    ours = si.invert_stack(
        stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5", si.InversionOptions(weight="var")
    )
    data = read_timeseries(ours.timeseries).data
    assert ours.pixels_with_dates_cut >= 2  # (6, 8) and (8, 2)
    whole = (peer["num"] > 0) & ~np.isnan(data).any(axis=0)
    whole[6, 8] = False
    assert whole.sum() >= 100
    assert np.abs(data[:, whole] - peer["ts"][:, whole]).max() < 1e-6
    assert np.isnan(data[6:, 6, 8]).all() and not np.isnan(data[:6, 6, 8]).any()
