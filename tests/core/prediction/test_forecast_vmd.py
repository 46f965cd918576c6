"""VMD: known modes on odd and even lengths, batching, seeding, bounded memory, vmdpy."""

import json
import subprocess
import tracemalloc

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.prediction.vmd import VMDOptions, vmd
from tests.paths import PEER_PYTHON


def two_tones(n):
    t = np.arange(n)
    slow = np.sin(2 * np.pi * 0.02 * t)
    fast = 0.5 * np.cos(2 * np.pi * 0.2 * t)
    return slow, fast


@pytest.mark.parametrize("n", [200, 201])
def test_recovers_known_modes_for_odd_and_even_lengths(n):
    slow, fast = two_tones(n)
    # tau > 0: the dual ascent enforces exact reconstruction
    result = vmd(slow + fast, VMDOptions(n_modes=2, alpha=2000, tau=0.1, tol=1e-9, max_iter=3000))
    assert result.modes.shape == (2, n)
    assert result.converged
    np.testing.assert_allclose(result.center_frequencies, [0.02, 0.2], atol=2e-3)
    inner = slice(10, n - 10)
    assert np.max(np.abs(result.modes[0, inner] - slow[inner])) < 0.02
    assert np.max(np.abs(result.modes[1, inner] - fast[inner])) < 0.02
    # the last sample is kept (the common port drops it on odd lengths) and reconstructed
    assert abs(result.modes[:, -1].sum() - (slow + fast)[-1]) < 0.1


def test_batch_rows_equal_single_runs_and_random_init_is_seeded():
    slow, fast = two_tones(120)
    signals = np.stack([slow + fast, 2 * slow - fast, slow])
    options = VMDOptions(n_modes=2, init="random", seed=3)
    batch = vmd(signals, options)
    for i, signal in enumerate(signals):
        single = vmd(signal, options)
        np.testing.assert_allclose(batch.modes[i], single.modes, atol=1e-12)
        assert batch.iterations[i] == single.iterations
    again = vmd(signals, options)
    np.testing.assert_array_equal(again.modes, batch.modes)


def test_memory_is_bounded_without_iteration_history():
    x = np.random.default_rng(0).standard_normal(2000)
    options = VMDOptions(n_modes=5, max_iter=60, tol=0)
    tracemalloc.start()
    vmd(x, options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    history = 500 * 2 * 2000 * 5 * 16  # the reference port's u_hat_plus: 160 MB
    assert peak < history / 40  # 4 MB: a few (K, 2N) arrays, no history


def test_bad_input_raises_input_error():
    with pytest.raises(InputError, match="NaN"):
        vmd(np.array([1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(InputError, match="init"):
        vmd(np.arange(10.0), VMDOptions(init="bogus"))


@pytest.mark.skipif(not PEER_PYTHON.exists(), reason="peer venv .venv-peers missing (make peers)")
@pytest.mark.parametrize(
    "n_modes, alpha, tau",
    [(3, 2000.0, 0.0), (6, 500.0, 0.1)],  # noise slack; dual ascent (exact reconstruction)
)
def test_matches_vmdpy_on_even_length(n_modes, alpha, tau):
    script = (
        "import sys, json, numpy as np\n"
        "try:\n from vmdpy import VMD\nexcept ImportError:\n print('{}'); sys.exit()\n"
        "d = json.load(sys.stdin)\n"
        "u, _, om = VMD(np.array(d['x']), d['alpha'], d['tau'], d['K'], 0, 1, 1e-7)\n"
        "print(json.dumps({'u': u.tolist(), 'n': len(om)}))\n"
    )
    slow, fast = two_tones(200)
    x = slow + fast + 0.01 * np.arange(200)
    run = subprocess.run(
        [str(PEER_PYTHON), "-c", script],
        input=json.dumps({"x": x.tolist(), "alpha": alpha, "tau": tau, "K": n_modes}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    peer = json.loads(run.stdout or "{}")
    if not peer:
        pytest.skip("vmdpy not installed in .venv-peers")
    # vmdpy returns the iterate before its last one
    options = VMDOptions(n_modes=n_modes, alpha=alpha, tau=tau, tol=1e-7, max_iter=peer["n"] - 1)
    ours = vmd(x, options)
    assert peer["n"] > 20  # the comparison runs many iterations
    np.testing.assert_allclose(ours.modes, np.array(peer["u"]), atol=1e-9)
