"""Block-wise work in this process or on a Dask cluster.

The steps that process independent blocks (row blocks of a stack, SLC patches, chunks of point
series) hand each block to :func:`map_blocks`, with an ``executor`` that is

- ``None`` (the default): the blocks run in this process, one after the other;
- a Dask scheduler address (``"tcp://host:8786"``): :func:`open_executor` opens a
  ``distributed.Client`` on it for the duration of the step; the workers must see the input
  files under the same paths (a shared file system) and have this plugin's ``core`` importable
  (the scheduler's workers are started with the plugin folder on their ``PYTHONPATH``);
- an object with ``submit(function, *args)`` returning futures with ``result()``: a
  ``distributed.Client`` or a ``concurrent.futures`` executor.

Results come back in block order and equal the in-process ones (the same function on the
same inputs); outputs are still written by the calling process, through ``core/atomic.py``.
At most ``in_flight`` blocks are pending at a time, so the caller's memory stays bounded by
that many block results. Arguments shared by every block that are large arrays (a full-image
mask, the incidence angle) go to each worker of a Dask cluster once, not with each block.
"""

from __future__ import annotations

import contextlib
import functools
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

from .errors import InputError

#: a shared array argument at least this large is sent to a Dask cluster once (Dask warns
#: of task graphs over 10 MB, and each block would carry its own copy)
SCATTER_BYTES = 1 << 20


def _is_dask(executor) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed"


@contextlib.contextmanager
def open_executor(executor) -> Iterator[Any]:
    """The executor for ``executor``: None stays None, an address becomes a Dask client
    (closed on exit), an executor object is passed through."""
    if executor is None or not isinstance(executor, str):
        yield executor
        return
    address = executor.strip()
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "running on a Dask cluster needs the Python package 'distributed', which is not "
            "installed.",
            None,
            "install python3-distributed (Debian/Ubuntu) or 'pip install distributed', or "
            "leave the scheduler address empty to run here.",
        ) from None
    try:
        client = Client(address, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({error}).",
            None,
            "start the scheduler (dask scheduler) and its workers, check the address, or leave "
            "it empty to run here.",
        ) from None
    try:
        yield client
    finally:
        client.close()


def executor_slots(executor) -> int:
    """How many blocks to keep pending: the worker threads of a Dask cluster, the workers of
    a concurrent.futures executor, else 2."""
    if _is_dask(executor):
        workers = executor.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
    return max(1, int(getattr(executor, "_max_workers", 2)))


def map_blocks(
    function: Callable,
    blocks: Iterable,
    *args,
    executor=None,
    in_flight: Optional[int] = None,
) -> Iterator:
    """``function(block, *args)`` for each block, yielded in block order.

    ``executor`` None runs here; otherwise blocks are submitted to it with at most
    ``in_flight`` (default :func:`executor_slots` + 1) pending. ``function`` must be a
    module-level function and its arguments picklable when the executor uses processes.
    """
    if executor is None:
        for block in blocks:
            yield function(block, *args)
        return
    submit = executor.submit
    if _is_dask(executor):
        submit = functools.partial(executor.submit, pure=False)
        args = tuple(
            executor.scatter(arg, broadcast=True, hash=False)
            if isinstance(arg, np.ndarray) and arg.nbytes >= SCATTER_BYTES
            else arg
            for arg in args
        )
    limit = in_flight or executor_slots(executor) + 1
    pending: deque = deque()
    try:
        for block in blocks:
            pending.append(submit(function, block, *args))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
