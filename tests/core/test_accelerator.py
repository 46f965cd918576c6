"""torch's CPU threads: half the cores here, one per task on a Dask worker."""

import os

import pytest

from insar_subsidence.core.accelerator import default_threads


def _threads_on_16_cores() -> int:
    """default_threads as on a machine of 16 cores (os.cpu_count patched, then restored)."""
    import os

    from insar_subsidence.core.accelerator import default_threads

    cpu_count = os.cpu_count
    os.cpu_count = lambda: 16
    try:
        return default_threads()
    finally:
        os.cpu_count = cpu_count


def test_half_the_cores_in_this_process(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert default_threads() == 8
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert default_threads() == 1


def test_one_thread_per_task_on_a_dask_worker(dask_cluster):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster.address, set_as_default=False) as client:
        workers = list(client.scheduler_info()["workers"])
        futures = [client.submit(_threads_on_16_cores, pure=False, workers=[w]) for w in workers]
        assert client.gather(futures) == [1, 1]
    assert _threads_on_16_cores() == 8
