"""A point import whose CSV chunks are parsed on a Dask cluster writes the layer of this
process: same points in the same order, same fields, same skipped rows and same refusals."""

from __future__ import annotations

import csv
import gzip

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.point_import import PointImportOptions, import_points
from insar_subsidence.core.io.point_layers import read_points

L2B = "points/EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz"


def _write(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return path


def test_a_dask_cluster_imports_the_points_of_this_process(test_data, tmp_path, dask_cluster):
    with gzip.open(test_data / L2B, "rt", newline="") as f:
        header, *rows = list(csv.reader(f))
    east, north = header.index("easting"), header.index("northing")
    for k in (50, 170, 171):  # rows without coordinates, skipped (the first on line 52)
        rows[k][east] = ""
    source = _write(tmp_path / "l2b.csv", header, rows)
    options = PointImportOptions(chunk_rows=40)  # 8 chunks: the first here, 7 on the workers
    layers = {}
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        tasks = dask_cluster.tasks_run()
        summary = import_points(source, tmp_path / f"{name}.gpkg", options, executor=executor)
        assert dask_cluster.tasks_run() - tasks == (7 if executor else 0)
        assert (summary.count, summary.skipped) == (297, 3)
        layers[name] = read_points(tmp_path / f"{name}.gpkg")
    here, cluster = layers["here"], layers["cluster"]
    np.testing.assert_array_equal(cluster.x, here.x)
    np.testing.assert_array_equal(cluster.y, here.y)
    np.testing.assert_array_equal(cluster.displacement_mm, here.displacement_mm)
    assert cluster.dates == here.dates and set(cluster.fields) == set(here.fields)
    for field, values in here.fields.items():
        np.testing.assert_array_equal(cluster.fields[field], values, err_msg=field)
    assert list(here.fields["pid"]) == [row[0] for k, row in enumerate(rows) if row[east]]

    rows[250][east], rows[250][north] = rows[250][north], rows[250][east]
    swapped = _write(tmp_path / "swapped.csv", header, rows)
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        with pytest.raises(InputError, match="swapped.csv: line 252: its easting and northing"):
            import_points(swapped, tmp_path / f"{name}_bad.gpkg", options, executor=executor)
        assert not (tmp_path / f"{name}_bad.gpkg").exists()
