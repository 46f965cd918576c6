"""Row blocks and 2-D patches under a memory budget."""

import numpy as np
import pytest

from insar_subsidence.core.blocks import patches


@pytest.mark.parametrize(
    "length, width, per_pixel, memory_mb, overlap, block",
    [
        (1500, 20000, 4864, 1024, (0, 0), (256, 256)),
        (1500, 20000, 20264, 1024, (9, 6), (256, 256)),
        (120, 120, 2224, 4, (0, 0), (1, 1)),
        (37, 53, 1000, 0.01, (2, 3), (16, 16)),
        (10, 5000, 100, 1, (0, 0), (1, 5000)),
    ],
)
def test_patch_cores_tile_the_image_and_windows_fit_the_budget(
    length, width, per_pixel, memory_mb, overlap, block
):
    plan = patches(length, width, per_pixel, memory_mb, overlap, block)
    covered = np.zeros((length, width), int)
    for patch in plan:
        covered[patch.core_rows, patch.core_cols] += 1
        assert patch.rows.start == max(0, patch.core_rows.start - overlap[0])
        assert patch.rows.stop == min(length, patch.core_rows.stop + overlap[0])
        assert patch.cols.start == max(0, patch.core_cols.start - overlap[1])
        assert patch.cols.stop == min(width, patch.core_cols.stop + overlap[1])
        window_rows = patch.rows.stop - patch.rows.start
        window_cols = patch.cols.stop - patch.cols.start
        core = np.zeros((window_rows, window_cols), bool)
        core[patch.core_in_window] = True
        assert core.sum() == (patch.core_rows.stop - patch.core_rows.start) * (
            patch.core_cols.stop - patch.core_cols.start
        )
        if patch.core_rows.stop - patch.core_rows.start > 1:
            assert window_rows * window_cols * per_pixel <= memory_mb * 2**20
    assert np.all(covered == 1)
    starts = [(p.core_rows.start, p.core_cols.start) for p in plan]
    assert starts == sorted(starts)  # row-major order


def test_full_burst_patches_follow_the_storage_blocks():
    # 1,500 x 20,000 pixels, 100 dates at 48 bytes per pixel and date: 1 GiB patches
    plan = patches(1500, 20000, 4864, 1024, (0, 0), (256, 256))
    first = plan[0]
    assert (first.core_rows.stop % 256, first.core_cols.stop % 256) == (0, 0)
    fewest = 1500 * 20000 / (2**30 / 4864)
    assert len(plan) <= 1.25 * fewest


def test_a_run_of_indices_becomes_a_slice_and_others_stay():
    from insar_subsidence.core.blocks import run_as_slice

    assert run_as_slice(np.array([3, 4, 5, 6])) == slice(3, 7)
    assert run_as_slice(np.array([8])) == slice(8, 9)
    gap = np.array([3, 4, 6])
    assert run_as_slice(gap) is gap
    repeated = np.array([3, 3, 5])  # first and last span three, but it is no run
    assert run_as_slice(repeated) is repeated
    empty = np.array([], int)
    assert run_as_slice(empty) is empty
