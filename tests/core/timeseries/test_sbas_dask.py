"""The SBAS inversion's row blocks on a Dask cluster give the answer of this process."""

from __future__ import annotations

import numpy as np

from insar_subsidence.core.io.mintpy import read_dataset, read_timeseries
from insar_subsidence.core.timeseries import sbas as si
from tests.core.sbas_synthetic import (
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)


def test_a_dask_cluster_gives_the_answer_of_this_process(tmp_path, dask_cluster):
    dates = make_dates(8)
    pairs = small_baseline_pairs(dates, 3)
    stack = write_stack(
        tmp_path / "stack.h5", dates, pairs, truth_displacement(dates), noise_rad=0.3
    )
    options = si.InversionOptions(weight="var", memory_mb=0.01)
    results = {}
    tasks_before = dask_cluster.tasks_run()
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        result = si.invert_stack(
            stack,
            tmp_path / f"{name}.h5",
            tmp_path / f"{name}_tcoh.h5",
            options,
            executor=executor,
        )
        results[name] = (
            read_timeseries(result.timeseries).data,
            read_dataset(result.temporal_coherence, "temporalCoherence")[0],
            read_dataset(result.temporal_coherence, "numInvIfgram")[0],
            result.pixels_inverted,
        )
    assert dask_cluster.tasks_run() > tasks_before + 2  # the row blocks ran on the workers
    here, cluster_result = results["here"], results["cluster"]
    assert np.isfinite(here[0]).all() and here[3] > 0
    for ours, theirs in zip(here[:3], cluster_result[:3], strict=True):
        np.testing.assert_array_equal(theirs, ours)
    assert cluster_result[3] == here[3]
