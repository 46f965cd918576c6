"""Every step with a DASK_SCHEDULER parameter hands its blocks to the cluster it names
(what the blocks compute is compared with this process's in tests/core)."""

import gzip

import numpy as np
import pytest

from tests.core.corrections.test_corrections_dask import corrections_series, reference_stack

POINTS = "points/EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz"


def _cases(tmp_path, test_data):
    rng = np.random.default_rng(3)
    ts, geometry = corrections_series(tmp_path, rng)
    stack = reference_stack(tmp_path, rng)
    header, *rows = gzip.decompress((test_data / POINTS).read_bytes()).decode().splitlines()
    csv = tmp_path / "points.csv"  # more rows than a chunk (5000): the rest go to the cluster
    csv.write_text("\n".join([header] + rows * 18) + "\n")
    return {
        "demerror": {"INPUT": str(ts), "OUTPUT": str(tmp_path / "dem.h5")},
        "deramp": {"INPUT": str(ts), "OUTPUT": str(tmp_path / "deramp.h5")},
        "troposphere": {
            "INPUT": str(ts),
            "GEOMETRY": str(geometry),
            "GACOS_FOLDER": str(tmp_path / "gacos"),
            "OUTPUT": str(tmp_path / "tropo.h5"),
        },
        "referencepoint": {"INPUT": str(stack), "OUTPUT": str(tmp_path / "ref.h5")},
        "importpoints": {"INPUT": str(csv), "OUTPUT": str(tmp_path / "p.gpkg")},
        "forecast": {
            "INPUT": str(test_data / "forecast" / "egms_l2b_5points.gpkg"),
            "MODEL": "lstm",
            "EPOCHS": 3,
            "ENSEMBLE": 1,
            "OUTPUT": str(tmp_path / "forecast.gpkg"),
        },
    }


@pytest.mark.parametrize(
    "name", ["demerror", "deramp", "troposphere", "referencepoint", "importpoints", "forecast"]
)
def test_the_blocks_run_on_the_named_cluster(
    name, tmp_path, test_data, run_algorithm, dask_cluster
):
    if name == "forecast":
        pytest.importorskip("torch")
    parameters = _cases(tmp_path, test_data)[name]
    tasks = dask_cluster.tasks_run()
    run_algorithm(name, {**parameters, "DASK_SCHEDULER": dask_cluster.address})
    assert dask_cluster.tasks_run() > tasks
