"""Triplet closure: hand-built 2 pi jumps are counted per pixel and blamed on their pair."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.mintpy import IfgramStack
from insar_subsidence.core.network.loop_closure import (
    LoopClosureOptions,
    closure_ambiguity,
    find_triplets,
    loop_closure,
    run_loop_closure,
)
from tests.core.network_synthetic import GRID, all_pairs, dates, make_stack


def test_triplets_of_a_three_connection_network():
    acq = dates(5)
    pairs = all_pairs(acq, max_gap=2)  # (0,1) (0,2) (1,2) (1,3) (2,3) (2,4) (3,4)
    triplets = find_triplets(pairs)
    named = {tuple(pairs[k] for k in t) for t in triplets}
    assert named == {
        ((acq[i], acq[j]), (acq[j], acq[k]), (acq[i], acq[k]))
        for i, j, k in [(0, 1, 2), (1, 2, 3), (2, 3, 4)]
    }
    phase = np.zeros(len(pairs))
    phase[pairs.index((acq[1], acq[2]))] = 2 * np.pi + 0.3
    assert closure_ambiguity(phase, triplets).tolist() == [1, 1, 0]


def test_jump_counted_per_pixel_and_pair_dropped(tmp_path):
    rng = np.random.default_rng(1)
    acq = dates(5)
    pairs = all_pairs(acq, max_gap=3)
    phase = {d: rng.normal(0, 3, GRID.shape).astype(np.float32) for d in acq}
    bad = pairs.index((acq[1], acq[2]))
    error = np.zeros(GRID.shape, np.float32)
    error[2:5, 3:7] = 2 * np.pi  # unwrapping error patch in pair (1,2)
    error[8, 8] = -4 * np.pi
    stack = make_stack(tmp_path / "s.h5", pairs, phase_by_date=phase, errors={bad: error})
    result = loop_closure(stack)
    expected = np.zeros(GRID.shape, int)
    expected[error != 0] = 3  # pair (1,2) is in triplets (0,1,2) (1,2,3) (1,2,4)
    assert np.array_equal(result.count, expected)
    assert (result.valid_triplets == len(result.triplets)).all()
    fraction = result.pair_fraction
    assert fraction[bad] == pytest.approx(13 / (GRID.length * GRID.width))
    assert np.argmax(fraction) == bad
    assert fraction[pairs.index((acq[0], acq[1]))] == pytest.approx(fraction[bad] / 2)

    out = run_loop_closure(
        stack,
        tmp_path / "count.tif",
        tmp_path / "stats.csv",
        tmp_path / "clean.h5",
        LoopClosureOptions(drop_fraction=0.1),
    )
    counts, _ = read_raster(tmp_path / "count.tif")
    assert np.array_equal(counts, expected)
    # (1,2)'s innocent partners fail at most half as often, and not at all once it is gone
    assert out.keep.tolist() == [k != bad for k in range(len(pairs))]
    assert IfgramStack.open(tmp_path / "clean.h5").keep.tolist() == out.keep.tolist()
    lines = (tmp_path / "stats.csv").read_text().splitlines()
    assert lines[0].split(",")[:3] == ["reference_date", "secondary_date", "triplets"]


def test_nan_pixels_do_not_count_and_no_triplets_is_an_error(tmp_path):
    acq = dates(3)
    pairs = all_pairs(acq)
    stack = make_stack(
        tmp_path / "s.h5",
        pairs,
        errors={0: np.where(np.eye(10, 12) > 0, np.nan, 0).astype(np.float32)},
    )
    result = loop_closure(stack)
    assert result.count.sum() == 0
    assert result.valid_triplets.sum() == GRID.length * GRID.width - 10
    chain = make_stack(tmp_path / "chain.h5", all_pairs(acq, max_gap=1))
    with pytest.raises(InputError, match="chain.h5"):
        loop_closure(chain)


def test_drop_fraction_is_a_share():
    with pytest.raises(InputError, match=r"'drop fraction' = 1.5 is above its maximum 1"):
        LoopClosureOptions(drop_fraction=1.5)
