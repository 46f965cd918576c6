"""The automatic reference pixel: coherence ranks pixels but never makes them invalid; without
coherence the phase's own coherence ranks them; when no pixel is valid in every pair, the
message names the pairs that cause it."""

import numpy as np
import pytest

from insar_subsidence.core.corrections.reference import automatic_reference_pixel
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.mintpy import IfgramStack, write_ifgram_stack
from insar_subsidence.core.timeseries.sbas.inversion import InversionOptions, invert_stack
from tests.core.sbas_synthetic import (
    GRID,
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)

DATES = make_dates(5)
PAIRS = small_baseline_pairs(DATES, 2)


def test_a_stack_whose_coherence_is_all_nan_still_gets_a_reference(tmp_path):
    nan = np.full((len(PAIRS),) + GRID.shape, np.nan, np.float32)
    path = write_stack(
        tmp_path / "s.h5", DATES, PAIRS, truth_displacement(DATES), coherence=nan, ref_yx=None
    )
    row, col = automatic_reference_pixel(IfgramStack.open(path))
    assert GRID.contains(row, col)
    result = invert_stack(
        path, tmp_path / "ts.h5", tmp_path / "tc.h5", InversionOptions(weight="none")
    )
    assert result.pixels_inverted == GRID.length * GRID.width


def test_without_coherence_the_pixel_with_the_cleanest_phase_is_chosen(tmp_path):
    rng = np.random.default_rng(4)
    index = {d: i for i, d in enumerate(DATES)}
    displacement = truth_displacement(DATES, rate_m_per_yr=0.0)
    phase = np.stack([displacement[index[b]] - displacement[index[a]] for a, b in PAIRS])
    phase = (phase + 0.3 + rng.normal(0, 1.2, phase.shape)).astype(np.float32)
    phase[:, 5:8, 2:5] = 0.3  # a clean 3 x 3 patch around row 6, column 3
    path = write_ifgram_stack(
        tmp_path / "no_coherence.h5", GRID, PAIRS, np.zeros(len(PAIRS)), phase, None
    )
    stack = IfgramStack.open(path)
    assert "coherence" not in stack.datasets
    assert automatic_reference_pixel(stack) == (6, 3)


def test_no_common_pixel_names_the_pairs_that_cause_it(tmp_path):
    phase_source = truth_displacement(DATES)
    path = write_stack(tmp_path / "s.h5", DATES, PAIRS, phase_source, ref_yx=None)
    import h5py

    with h5py.File(path, "r+") as f:
        f["unwrapPhase"][3] = np.nan  # pair 3 has no phase at all
    with pytest.raises(InputError, match=r"20200118_20200211 \(0 %\)") as error:
        automatic_reference_pixel(IfgramStack.open(path))
    assert error.value.path == str(path)
    assert "no pixel is valid in every one of the 7 kept interferograms" in str(error.value)


def test_connected_component_zero_is_named_as_the_cause(tmp_path):
    conncomp = np.ones((len(PAIRS),) + GRID.shape, np.int16)
    conncomp[:, ::2] = 0
    conncomp[:4, 1::2] = 0
    path = write_stack(
        tmp_path / "s.h5", DATES, PAIRS, truth_displacement(DATES), conncomp=conncomp, ref_yx=None
    )
    with pytest.raises(InputError, match="connectComponent 0"):
        automatic_reference_pixel(IfgramStack.open(path))
