"""Row blocks sized from a memory budget, so stacks larger than RAM still run."""

from __future__ import annotations

from typing import Iterator

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
