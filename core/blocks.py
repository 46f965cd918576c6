"""Row blocks and 2-D patches sized from a memory budget, so stacks larger than RAM still run."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Iterator, List, Tuple

import numpy as np

from .conventions import DEFAULT_MEMORY_BUDGET_MB


def rows_per_block(
    bytes_per_row: int, memory_mb: float = DEFAULT_MEMORY_BUDGET_MB, length: int = None
) -> int:
    """How many rows fit in ``memory_mb`` MiB when one row needs ``bytes_per_row`` bytes.

    ``bytes_per_row`` should include every array the step holds per row (inputs, outputs and
    temporaries). At least one row is returned even when one row exceeds the budget.
    """
    rows = max(1, int(memory_mb * 1024 * 1024 // max(1, bytes_per_row)))
    return min(rows, length) if length else rows


def row_blocks(
    length: int, bytes_per_row: int, memory_mb: float = DEFAULT_MEMORY_BUDGET_MB
) -> Iterator[slice]:
    """Consecutive row slices covering ``range(length)`` under the memory budget."""
    step = rows_per_block(bytes_per_row, memory_mb, length)
    for start in range(0, length, step):
        yield slice(start, min(start + step, length))


@dataclass(frozen=True)
class Patch:
    """A rectangle of an image processed on its own: ``rows``/``cols`` (slices of the image) are
    read, the ``core`` part of it (slices of the image, inside ``rows``/``cols``) is kept.
    Cores tile the image without overlap; the read window adds the overlap around the core."""

    rows: slice
    cols: slice
    core_rows: slice
    core_cols: slice

    @property
    def core_in_window(self) -> Tuple[slice, slice]:
        """The core as slices of the array read for ``rows``/``cols``."""
        return (
            slice(self.core_rows.start - self.rows.start, self.core_rows.stop - self.rows.start),
            slice(self.core_cols.start - self.cols.start, self.core_cols.stop - self.cols.start),
        )


def _core_size(budget: int, overlap: int, full: int, block: int) -> int:
    """Largest core length (a multiple of ``block`` when above it) whose window fits."""
    size = min(full, max(1, budget - 2 * overlap))
    if block > 1 and block < size < full:
        size -= size % block
    return size


def patches(
    length: int,
    width: int,
    bytes_per_pixel: int,
    memory_mb: float = DEFAULT_MEMORY_BUDGET_MB,
    overlap: Tuple[int, int] = (0, 0),
    block: Tuple[int, int] = (1, 1),
) -> List[Patch]:
    """Patches of a ``length`` x ``width`` image whose read windows (core plus ``overlap`` rows
    and columns on each side) hold at most ``memory_mb`` MiB at ``bytes_per_pixel``.

    Cores are near-square, a multiple of the file's ``block`` (rows, cols) where they can be
    (so each stored block is decoded about once) and in row-major order; at least one pixel.
    """
    pixels = max(1, int(memory_mb * 1024 * 1024 // max(1, bytes_per_pixel)))
    side = int(np.sqrt(pixels))
    cols = _core_size(side, overlap[1], width, block[1])
    rows = _core_size(pixels // (cols + 2 * overlap[1]), overlap[0], length, block[0])
    if rows == length and cols < width:
        # all rows fit: widen the patches with what is left
        cols = _core_size(pixels // (length + 2 * overlap[0]), overlap[1], width, block[1])
    plan = []
    for r0 in range(0, length, rows):
        r1 = min(r0 + rows, length)
        for c0 in range(0, width, cols):
            c1 = min(c0 + cols, width)
            plan.append(
                Patch(
                    slice(max(0, r0 - overlap[0]), min(length, r1 + overlap[0])),
                    slice(max(0, c0 - overlap[1]), min(width, c1 + overlap[1])),
                    slice(r0, r1),
                    slice(c0, c1),
                )
            )
    return plan


_LARGE_FREES_RETURNED = False


def run_as_slice(index: np.ndarray):
    """Increasing indices (k,) as a slice when they are a run of consecutive integers (a view,
    or one slab read from a file, instead of a gathered copy), else ``index`` itself."""
    if len(index) and index[-1] - index[0] + 1 == len(index) and (np.diff(index) == 1).all():
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def return_large_frees_to_the_system(threshold_bytes: int = 16 * 2**20) -> None:
    """Fix glibc's mmap threshold, so that the resident memory of row-block processing stays
    what the blocks hold.

    By default glibc raises its mmap threshold to the size of each large block freed (up to
    32 MiB) and its trim threshold to twice that: the arrays of the next row blocks then come
    from the heap and what they free stays resident (peak memory ran 20-60 % over the
    budget). A fixed threshold keeps arrays of ``threshold_bytes`` or more mapped and unmapped
    as numpy frees them. The trim threshold is fixed at twice that (a fixed mmap threshold
    would leave glibc's 128 KiB): the heap keeps that much free memory at its top, so that
    the smaller arrays of each pixel chunk reuse the pages of the last one instead of
    faulting fresh zeroed pages in (that took 40 % of a weighted SBAS inversion). Other C
    libraries (Windows, macOS) return large blocks already; there this does nothing.
    Process-wide, set once.
    """
    global _LARGE_FREES_RETURNED
    if _LARGE_FREES_RETURNED or not sys.platform.startswith("linux"):
        return
    _LARGE_FREES_RETURNED = True
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc (musl has no mallopt)
    mallopt(ctypes.c_int(_M_MMAP_THRESHOLD), ctypes.c_int(threshold_bytes))
    mallopt(ctypes.c_int(_M_TRIM_THRESHOLD), ctypes.c_int(2 * threshold_bytes))


#: glibc's mallopt parameter numbers of the trim and mmap thresholds (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
