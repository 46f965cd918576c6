"""SBAS inversion: truth recovery, weights, split networks, masking, reference, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.mintpy import read_attrs, read_dataset, read_timeseries
from insar_subsidence.core.timeseries import sbas as si
from tests.core.sbas_synthetic import (
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)


def _referenced(truth, ref_yx=(0, 0)):
    return truth - truth[:, ref_yx[0], ref_yx[1]][:, None, None]


@pytest.mark.parametrize("weight", si.Weight.values())
def test_noise_free_stack_recovers_truth_with_every_weight(tmp_path, weight):
    dates = make_dates(10)
    pairs = small_baseline_pairs(dates, 3)
    truth = truth_displacement(dates)
    stack = write_stack(tmp_path / "stack.h5", dates, pairs, truth)
    result = si.invert_stack(
        stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5", si.InversionOptions(weight=weight)
    )
    series = read_timeseries(result.timeseries)
    assert series.dates == dates
    np.testing.assert_allclose(series.data, _referenced(truth), atol=2e-6)
    tcoh, _ = read_dataset(result.temporal_coherence, "temporalCoherence")
    count, _ = read_dataset(result.temporal_coherence, "numInvIfgram")
    assert tcoh.min() > 0.999 and (count == len(pairs)).all()
    assert read_attrs(result.timeseries)["REF_DATE"] == "20200106"


def test_weighting_reduces_error_where_coherence_says_so():
    """A pair with low coherence carries a large error: weighted inversions suppress it."""
    dates = make_dates(8)
    pairs = small_baseline_pairs(dates, 3)
    rng = np.random.default_rng(3)
    truth = np.cumsum(rng.normal(0, 1, (len(dates), 200)), axis=0)
    truth -= truth[0]
    design = si.incidence_matrix(pairs, dates)
    coherence = np.full((len(pairs), 200), 0.9)
    coherence[4] = 0.1
    noise = rng.normal(0, 0.05, coherence.shape)
    noise[4] = rng.normal(0, 2.0, 200)
    phase = design @ truth + noise
    errors = {}
    for weight in si.Weight.values():
        ts = si.invert_phases(phase, pairs, weight, coherence, looks=10)[0]
        errors[weight] = np.sqrt(np.mean((ts - truth) ** 2))
    assert errors["var"] < 0.5 * errors["none"]
    assert errors["fim"] < 0.5 * errors["none"]
    assert errors["coherence"] < errors["none"]


def test_variance_weight_looks_up_mintpy_table_entry_for_every_float32():
    """MintPy raises coherence to 0.05 (NaN too), clips it to the table and takes the nearest
    lower of its 200 entries in float64; ours reads the entry from the float32 bits. Checked
    on the values next to each step boundary (where rounding could differ), random values,
    and the special ones."""
    table = np.linspace(0.005, 1.0, 200) - 0.0025
    inverse_variance = 1.0 / si.phase_variance_ds(12, table)

    def mintpy(coherence):
        coh = np.array(coherence, np.float32)
        coh[np.isnan(coh) | (coh < 0.05)] = 0.05
        coh = np.clip(coh.astype(np.float64), table[0], table[-1])
        return inverse_variance[((coh - table[0]) / 0.005).astype(np.int16)]

    boundaries = np.float32(table[0] + 0.005 * np.arange(1, 200)).view(np.int32)
    near = (boundaries[:, np.newaxis] + np.arange(-40, 41)).ravel().view(np.float32)
    rng = np.random.default_rng(4)
    special = [np.nan, -0.0, 0.0, -1e-3, 1e-40, 0.049, 0.05, 0.9975, 1.0, 1.001]
    coherence = np.concatenate(
        [near, rng.uniform(0, 1, 200_000).astype(np.float32), np.float32(special)]
    )
    got = si.coherence_to_weight(coherence, "var", 12)
    np.testing.assert_array_equal(got, mintpy(coherence))
    strided = coherence[: 2 * 40_000].reshape(2, -1)[:, ::3]  # a chunk of a larger block
    np.testing.assert_array_equal(si.coherence_to_weight(strided, "var", 12), mintpy(strided))


def test_pixels_are_grouped_by_their_set_of_valid_pairs():
    from insar_subsidence.core.timeseries.sbas.network import pixel_groups

    rng = np.random.default_rng(8)
    kinds = rng.random((5, 13)) < 0.7  # 13 pairs: not a whole number of bytes
    kinds[0] = True
    choice = rng.integers(0, 5, 400)
    patterns, group = pixel_groups(kinds[choice].T)
    assert len(patterns) == len(np.unique(kinds, axis=0))
    np.testing.assert_array_equal(patterns[group], kinds[choice])


def test_variance_weight_matches_cramer_rao_for_high_coherence():
    """Tough's DS phase variance tends to (1 - g^2) / (2 L g^2) as coherence -> 1."""
    coherence = np.array([0.95, 0.98])
    variance = si.phase_variance_ds(20, np.linspace(0.0025, 0.9975, 200))
    lut = np.interp(coherence, np.linspace(0.0025, 0.9975, 200), variance)
    crb = (1 - coherence**2) / (2 * 20 * coherence**2)
    np.testing.assert_allclose(lut, crb, rtol=0.15)
    assert np.all(np.diff(variance) < 0)  # more coherence, less variance


def test_split_network_is_reported_and_each_part_starts_at_zero(tmp_path):
    dates = make_dates(10)
    pairs = [
        p for p in small_baseline_pairs(dates, 2) if not (p[0] <= dates[4] and p[1] >= dates[5])
    ]  # no pair spans dates 4 -> 5
    truth = truth_displacement(dates)
    stack = write_stack(tmp_path / "stack.h5", dates, pairs, truth)
    messages = []
    result = si.invert_stack(
        stack,
        tmp_path / "ts.h5",
        tmp_path / "tcoh.h5",
        si.InversionOptions(weight="none"),
        progress=lambda f, m="": messages.append(m) or True,
    )
    assert [p[0] for p in result.parts] == [dates[0], dates[5]]
    text = " ".join(messages)
    assert "split into 2 parts" in text and "20200106-20200223" in text and "20200306" in text
    attrs = read_attrs(result.timeseries)
    assert attrs["NETWORK_NUM_PARTS"] == "2" and attrs["NETWORK_SPLIT_HANDLING"] == "parts"
    assert attrs["NETWORK_PART_OF_DATE"] == "0,0,0,0,0,1,1,1,1,1"
    data = read_timeseries(result.timeseries).data
    expected = _referenced(truth)
    np.testing.assert_allclose(data[:5], expected[:5], atol=2e-6)
    np.testing.assert_allclose(data[5:], expected[5:] - expected[5], atol=2e-6)


def test_bridge_mode_is_the_minimum_norm_velocity_solution():
    dates = make_dates(6)
    pairs = [(dates[0], dates[1]), (dates[1], dates[2]), (dates[3], dates[4]), (dates[4], dates[5])]
    phase = np.array([[1.0], [2.0], [3.0], [4.0]])
    ts, tcoh, count, _ = si.invert_phases(phase, pairs, split_network="bridge")
    # the gap 2 -> 3 gets zero velocity: the series is continuous across it
    np.testing.assert_allclose(ts[:, 0], [0, 1, 3, 3, 6, 10], atol=1e-9)
    ts_parts = si.invert_phases(phase, pairs, split_network="parts")[0]
    np.testing.assert_allclose(ts_parts[:, 0], [0, 1, 3, 0, 3, 7], atol=1e-9)
    assert count[0] == 4 and tcoh[0] == pytest.approx(1.0)


def test_masking_by_coherence_and_connected_component(tmp_path):
    dates = make_dates(8)
    pairs = small_baseline_pairs(dates, 3)
    truth = truth_displacement(dates)
    shape = (len(pairs), 10, 12)
    coherence = np.full(shape, 0.8)
    coherence[:, 5, 5] = 0.2  # one pixel masked in every pair
    coherence[0, 3, 3] = 0.2  # one pair masked at another pixel
    conncomp = np.ones(shape, np.int16)
    conncomp[:, 7, 7] = 0
    stack = write_stack(
        tmp_path / "stack.h5", dates, pairs, truth, coherence=coherence, conncomp=conncomp
    )
    result = si.invert_stack(
        stack,
        tmp_path / "ts.h5",
        tmp_path / "tcoh.h5",
        si.InversionOptions(weight="none", mask_coherence=0.5),
    )
    data = read_timeseries(result.timeseries).data
    count, _ = read_dataset(result.temporal_coherence, "numInvIfgram")
    assert np.isnan(data[:, 5, 5]).all() and count[5, 5] == 0
    assert np.isnan(data[:, 7, 7]).all()
    assert count[3, 3] == len(pairs) - 1
    np.testing.assert_allclose(data[:, 3, 3], _referenced(truth)[:, 3, 3], atol=2e-6)


def test_given_reference_overrides_the_stack_reference(tmp_path):
    dates = make_dates(6)
    pairs = small_baseline_pairs(dates, 2)
    truth = truth_displacement(dates)
    stack = write_stack(tmp_path / "stack.h5", dates, pairs, truth, ref_yx=(0, 0))
    result = si.invert_stack(
        stack,
        tmp_path / "ts.h5",
        tmp_path / "tcoh.h5",
        si.InversionOptions(weight="none", reference_yx=(5, 6)),
    )
    data = read_timeseries(result.timeseries).data
    np.testing.assert_allclose(data, _referenced(truth, (5, 6)), atol=2e-6)
    assert read_attrs(result.timeseries)["REF_Y"] == "5"


def test_automatic_reference_when_the_stack_has_none(tmp_path):
    dates = make_dates(6)
    pairs = small_baseline_pairs(dates, 2)
    coherence = np.full((len(pairs), 10, 12), 0.5)
    coherence[:, 2, 9] = 0.95
    stack = write_stack(
        tmp_path / "stack.h5",
        dates,
        pairs,
        truth_displacement(dates),
        coherence=coherence,
        ref_yx=None,
    )
    result = si.invert_stack(
        stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5", si.InversionOptions(weight="none")
    )
    assert result.reference_yx == (2, 9)


def test_small_memory_budget_gives_the_same_answer(tmp_path):
    dates = make_dates(8)
    pairs = small_baseline_pairs(dates, 3)
    stack = write_stack(
        tmp_path / "stack.h5", dates, pairs, truth_displacement(dates), noise_rad=0.3
    )
    big = si.invert_stack(stack, tmp_path / "a.h5", tmp_path / "ta.h5", si.InversionOptions())
    small = si.invert_stack(
        stack, tmp_path / "b.h5", tmp_path / "tb.h5", si.InversionOptions(memory_mb=0.01)
    )
    np.testing.assert_allclose(
        read_timeseries(small.timeseries).data, read_timeseries(big.timeseries).data, atol=1e-7
    )


def test_bad_inputs_name_the_file(tmp_path):
    missing = tmp_path / "missing.h5"
    with pytest.raises(InputError, match="missing.h5"):
        si.invert_stack(missing, tmp_path / "ts.h5", tmp_path / "tcoh.h5")
    dates = make_dates(4)
    pairs = small_baseline_pairs(dates, 1)
    stack = write_stack(
        tmp_path / "stack.h5", dates, pairs, truth_displacement(dates), ref_yx=(50, 50)
    )
    with pytest.raises(InputError, match="stack.h5.*outside"):
        si.invert_stack(stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5")
    with pytest.raises(InputError, match="overwrite"):
        si.invert_stack(stack, stack, tmp_path / "tcoh.h5")
    assert not (tmp_path / "ts.h5").exists()


def test_torch_code_path_gives_the_numpy_answer():
    """The CUDA path runs the same solver on torch tensors; check it on the CPU device."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    dates = make_dates(9)
    pairs = small_baseline_pairs(dates, 3) + [(dates[0], dates[8])]
    rng = np.random.default_rng(5)
    design = si.incidence_matrix(pairs, dates)
    phase = design @ np.cumsum(rng.normal(0, 1, (9, 300)), axis=0) + rng.normal(
        0, 0.2, (len(pairs), 300)
    )
    phase[rng.random(phase.shape) < 0.15] = np.nan
    coherence = rng.uniform(0.2, 0.9, phase.shape)
    backend = si.Backend("cpu")
    backend.xp, backend.device = torch, torch.device("cpu")
    for weight in ("var", "none"):
        expected = si.invert_phases(phase, pairs, weight, coherence, looks=8)
        got = si.invert_phases(phase, pairs, weight, coherence, looks=8, backend=backend)
        for a, b in zip(expected, got, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9)


def test_cancel_leaves_no_output(tmp_path):
    from insar_subsidence.core.errors import Cancelled

    dates = make_dates(6)
    stack = write_stack(
        tmp_path / "stack.h5", dates, small_baseline_pairs(dates, 2), truth_displacement(dates)
    )
    calls = []

    def cancel_soon(fraction, message=""):
        calls.append(fraction)
        return len(calls) < 3

    with pytest.raises(Cancelled):
        si.invert_stack(stack, tmp_path / "ts.h5", tmp_path / "tcoh.h5", progress=cancel_soon)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stack.h5"]
