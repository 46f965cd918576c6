"""Batch forecasts on a Dask cluster (chunks of points, per-point models) give the layer of
this process; the global GRU, one network for all points, stays in this process."""

import numpy as np
import pytest

from insar_subsidence.core.io.point_layers import read_points
from insar_subsidence.core.prediction import evaluation as ev
from insar_subsidence.core.prediction.hybrids import ModelOptions
from insar_subsidence.core.prediction.models import GlobalNetworkOptions, RecurrentNetworkOptions
from insar_subsidence.core.prediction.vmd import VMDOptions

pytest.importorskip("torch")

TINY = ModelOptions(
    network=RecurrentNetworkOptions(hidden=4, window=4, epochs=15, patience=5, threads=1),
    vmd=VMDOptions(n_modes=2, max_iter=80),
    global_network=GlobalNetworkOptions(
        hidden=4, batch_windows=64, epoch_windows=256, validation_windows=64
    ),
    ensemble=2,
)


def test_a_dask_cluster_gives_the_forecasts_of_this_process(test_data, tmp_path, dask_cluster):
    source = test_data / "forecast" / "egms_l2b_5points.gpkg"
    options = ev.ForecastOptions(horizon=3, model=TINY, chunk_points=2)  # 3 chunks
    layers = {}
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        tasks = dask_cluster.tasks_run()
        ev.forecast_file(source, tmp_path / f"{name}.gpkg", "vmd_gru", options, executor=executor)
        assert dask_cluster.tasks_run() - tasks == (3 if executor else 0)
        layers[name] = read_points(tmp_path / f"{name}.gpkg")
    here, cluster = layers["here"], layers["cluster"]
    forecasts = [name for name in here.fields if name.startswith("F") and name != "FMODEL"]
    assert len(forecasts) == 9 and np.isfinite(here.fields[forecasts[0]]).all()
    assert set(cluster.fields) == set(here.fields)
    for name, values in here.fields.items():
        np.testing.assert_array_equal(cluster.fields[name], values, err_msg=name)
    np.testing.assert_array_equal(cluster.displacement_mm, here.displacement_mm)

    points = ev.read_series(source)
    y = ev.fill_gaps(points.dates, points.displacement_mm)[0]
    tasks = dask_cluster.tasks_run()
    shared = ev.forecast_series(
        points.dates, y, "global_gru", options, executor=dask_cluster.address
    )
    assert dask_cluster.tasks_run() == tasks  # trained and run here
    assert shared.model == "global_gru" and np.isfinite(shared.mean).all()
