"""Reference point: user pixel, automatic choice, averaged areas consistent with MintPy reading."""

import numpy as np
import pytest

from insar_subsidence.core.corrections.reference import (
    ReferenceOptions,
    choose_reference_areas,
    reference_phase,
    set_reference,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.mintpy import IfgramStack, read_attrs
from tests.core.network_synthetic import GRID, all_pairs, dates, make_stack


def _stack(tmp_path, rng):
    acq = dates(4)
    pairs = all_pairs(acq, max_gap=2)
    phase = {d: rng.normal(0, 1, GRID.shape).astype(np.float32) for d in acq}
    return make_stack(tmp_path / "s.h5", pairs, phase_by_date=phase), pairs


def test_user_pixel_sets_attributes_and_keeps_phase(tmp_path):
    stack, pairs = _stack(tmp_path, np.random.default_rng(0))
    areas = set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(areas=[(3, 4, 0)]))
    assert areas == [(3, 4, 0)]
    attrs = read_attrs(tmp_path / "ref.h5")
    assert (attrs["REF_Y"], attrs["REF_X"]) == ("3", "4")
    x, y = GRID.xy(3, 4)
    assert float(attrs["REF_LAT"]) == pytest.approx(y) and float(attrs["REF_LON"]) == pytest.approx(
        x
    )
    before = IfgramStack.open(stack).read("unwrapPhase")
    after = IfgramStack.open(tmp_path / "ref.h5")
    assert np.array_equal(after.read("unwrapPhase"), before)
    assert np.allclose(reference_phase(after), before[:, 3, 4])
    assert "REF_Y" not in read_attrs(stack)


def test_averaged_areas_read_the_mintpy_way(tmp_path):
    stack, _ = _stack(tmp_path, np.random.default_rng(1))
    areas = [(2, 2, 1), (7, 9, 1)]
    set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(areas=areas))
    before = IfgramStack.open(stack).read("unwrapPhase").astype(np.float64)
    mask = np.zeros(GRID.shape, bool)
    mask[1:4, 1:4] = True
    mask[6:9, 8:11] = True
    expected = before - before[:, mask].mean(axis=1)[:, None, None]
    ref = IfgramStack.open(tmp_path / "ref.h5")
    assert ref.reference_yx == (2, 2)
    # as MintPy reads: phase minus phase at REF_Y/REF_X
    referenced = ref.read("unwrapPhase") - reference_phase(ref)[:, None, None]
    expected[:, 2, 2] = 0.0  # the reference pixel carries the area mean
    assert np.allclose(referenced, expected, atol=1e-5)


def test_automatic_choice_prefers_valid_coherent_closure_free_pixels():
    valid = np.ones((20, 20), bool)
    valid[10, 10] = False
    coherence = np.full((20, 20), 0.3)
    coherence[8:13, 8:13] = 0.95  # most coherent, but has a hole
    coherence[3:8, 13:18] = 0.9
    closure = np.zeros((20, 20))
    closure[4:7, 14:17] = 1  # second best has broken loops
    coherence[14:19, 2:7] = 0.8
    areas = choose_reference_areas(valid, coherence, closure, num_areas=1, radius=2)
    assert areas == [(16, 4, 2)]
    two = choose_reference_areas(valid, coherence, None, num_areas=2, radius=2, min_separation=5)
    assert two[0] == (5, 15, 2) and len(two) == 2


def test_invalid_user_pixel_names_the_file(tmp_path):
    stack, _ = _stack(tmp_path, np.random.default_rng(2))
    import h5py

    with h5py.File(stack, "a") as f:
        data = f["unwrapPhase"][()]
        data[1, 5, 5] = np.nan
        f["unwrapPhase"][...] = data
    with pytest.raises(InputError, match="s.h5.*row 5, col 5"):
        set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(areas=[(5, 5, 0)]))
    with pytest.raises(InputError, match="outside"):
        set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(areas=[(50, 5, 0)]))
    auto = set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(radius=0))
    assert auto[0][:2] != (5, 5)


def test_automatic_choice_avoids_a_coherent_subsiding_area(tmp_path):
    import h5py

    acq = dates(6)
    rng = np.random.default_rng(4)
    phase = {d: rng.normal(0, 0.05, GRID.shape).astype(np.float32) for d in acq}
    for k, d in enumerate(acq):
        phase[d][0:5, 0:5] = 2.0 * k  # a bowl, steadily moving
    stack = make_stack(tmp_path / "s.h5", all_pairs(acq, 2), phase_by_date=phase)
    with h5py.File(stack, "a") as f:
        coh = f["coherence"][()] * 0.5
        coh[:, 0:5, 0:5] = 0.95  # the bowl is the most coherent place
        f["coherence"][...] = coh
    areas = set_reference(stack, tmp_path / "ref.h5", ReferenceOptions(radius=1))
    r, c, _ = areas[0]
    assert not (r < 6 and c < 6)


def test_reference_area_counts_and_sizes_are_bounded():
    with pytest.raises(InputError, match=r"'num areas' = 0 is below its minimum 1"):
        ReferenceOptions(num_areas=0)
    with pytest.raises(InputError, match=r"'radius' = -1 pixels is below its minimum 0 pixels"):
        ReferenceOptions(radius=-1)
