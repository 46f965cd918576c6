"""MintPy-compatible HDF5: round trips, MintPy's documented layout attribute for attribute, and
(when the peer venv has MintPy) MintPy itself opening our files."""

import datetime as dt
import json
import subprocess

import h5py
import numpy as np
import pytest

from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import (
    IfgramStack,
    TimeSeries,
    copy_stack_with_keep,
    read_attrs,
    read_dataset,
    read_timeseries,
    write_geometry,
    write_ifgram_stack,
    write_timeseries,
    write_velocity,
)
from tests.paths import PEER_PYTHON

GRID = Grid(680000.0, 3940000.0, 80.0, -80.0, width=7, length=5, epsg=32649)
DATES = [dt.date(2020, 1, 1), dt.date(2020, 1, 13), dt.date(2020, 1, 25)]
PAIRS = [(DATES[0], DATES[1]), (DATES[0], DATES[2]), (DATES[1], DATES[2])]
# MintPy's documented geocoded layout (docs/api/data_structure.md, objects/stack.py)
REQUIRED_ATTRS = {
    "FILE_TYPE",
    "LENGTH",
    "WIDTH",
    "X_FIRST",
    "Y_FIRST",
    "X_STEP",
    "Y_STEP",
    "X_UNIT",
    "Y_UNIT",
    "EPSG",
    "WAVELENGTH",
}


@pytest.fixture
def stack_file(tmp_path):
    rng = np.random.default_rng(1)
    phase = rng.normal(size=(3,) + GRID.shape).astype(np.float32)
    coherence = rng.uniform(size=(3,) + GRID.shape).astype(np.float32)
    conncomp = np.ones((3,) + GRID.shape, np.int16)
    path = write_ifgram_stack(
        tmp_path / "ifgramStack.h5",
        GRID,
        PAIRS,
        [10.0, -5.0, -15.0],
        phase,
        coherence,
        conncomp,
        attrs={"WAVELENGTH": "0.0554658"},
        keep=[True, False, True],
    )
    return path, phase, coherence


def test_ifgram_stack_layout_matches_mintpy(stack_file):
    path, phase, _ = stack_file
    with h5py.File(path, "r") as f:
        assert REQUIRED_ATTRS <= set(f.attrs)
        assert all(isinstance(v, str) for v in f.attrs.values())  # MintPy writes strings
        assert f.attrs["FILE_TYPE"] == "ifgramStack"
        assert (f.attrs["LENGTH"], f.attrs["WIDTH"]) == ("5", "7")
        assert f["unwrapPhase"].dtype == np.float32 and f["unwrapPhase"].shape == (3, 5, 7)
        assert f["coherence"].dtype == np.float32
        assert f["connectComponent"].dtype == np.int16
        assert f["date"].dtype == np.dtype("S8") and f["date"].shape == (3, 2)
        assert f["date"][1].tolist() == [b"20200101", b"20200125"]
        assert f["bperp"].dtype == np.float32 and f["dropIfgram"].dtype == np.bool_
        assert f["dropIfgram"][()].tolist() == [True, False, True]  # True = keep


def test_ifgram_stack_round_trip(stack_file):
    path, phase, coherence = stack_file
    stack = IfgramStack.open(path)
    assert stack.pairs == PAIRS and stack.dates == DATES
    assert stack.grid == GRID
    np.testing.assert_array_equal(stack.read("unwrapPhase"), phase)
    np.testing.assert_array_equal(
        stack.read("coherence", rows=slice(1, 3), pairs=[2]), coherence[2:, 1:3]
    )
    for pairs in ([1, 2], [0, 2], [True, False, True]):  # a run of pairs is read as one slab
        np.testing.assert_array_equal(stack.read("unwrapPhase", pairs=pairs), phase[pairs])
    np.testing.assert_allclose(stack.bperp, [10.0, -5.0, -15.0])
    assert stack.keep.tolist() == [True, False, True]


def test_attributes_are_written_and_replaced_as_strings(stack_file, tmp_path):
    path, _, _ = stack_file
    with h5py.File(path, "r") as f:
        assert f.attrs["PROCESSOR"] == "hyp3"
    copy = copy_stack_with_keep(
        path, tmp_path / "copy.h5", [True, True, False], {"PROCESSOR": "isce", "NOTE": "Lodź 2°"}
    )
    with h5py.File(copy, "r") as f:
        assert f.attrs["PROCESSOR"] == "isce" and f.attrs["NOTE"] == "Lodź 2°"
        assert h5py.check_string_dtype(f.attrs.get_id("NOTE").dtype).length is None
        assert f.attrs["FILE_TYPE"] == "ifgramStack"  # the copied ones stay
    assert read_attrs(copy)["NOTE"] == "Lodź 2°"


def test_timeseries_geometry_and_velocity_round_trip(tmp_path):
    data = np.arange(3 * 35, dtype=np.float32).reshape(3, 5, 7) / 1000
    series = TimeSeries(DATES, data, GRID, {"WAVELENGTH": "0.0554658"}, np.array([0, 3, -2.0]))
    path = write_timeseries(tmp_path / "timeseries.h5", series)
    back = read_timeseries(path)
    assert back.dates == DATES and back.grid == GRID
    np.testing.assert_array_equal(back.data, data)
    assert back.attrs["FILE_TYPE"] == "timeseries" and back.attrs["UNIT"] == "m"
    assert back.attrs["REF_DATE"] == "20200101"
    with h5py.File(path, "r") as f:
        assert f["date"].shape == (3,) and f["date"].dtype == np.dtype("S8")
    geometry = write_geometry(
        tmp_path / "geometryGeo.h5",
        GRID,
        np.full(GRID.shape, 900.0),
        np.full(GRID.shape, 38.0),
        np.full(GRID.shape, -79.0),
        np.ones(GRID.shape, bool),
    )
    with h5py.File(geometry, "r") as f:
        assert f.attrs["FILE_TYPE"] == "geometry"
        assert {k: f[k].dtype for k in f} == {
            "height": np.float32,
            "incidenceAngle": np.float32,
            "azimuthAngle": np.float32,
            "waterMask": np.bool_,
        }
    velocity = write_velocity(tmp_path / "velocity.h5", GRID, data[1], data[2])
    values, grid = read_dataset(velocity, "velocity")
    np.testing.assert_array_equal(values, data[1])
    assert grid == GRID and read_dataset(velocity, "velocityStd")[0].shape == GRID.shape


MINTPY_READER = """
import json, sys
from mintpy.objects import ifgramStack, geometry, timeseries
stack = ifgramStack(sys.argv[1]); stack.open(print_msg=False)
geo = geometry(sys.argv[2]); geo.open(print_msg=False)
ts = timeseries(sys.argv[3]); ts.open(print_msg=False)
print(json.dumps({
    "date12": stack.get_date12_list(dropIfgram=False), "datasets": stack.datasetNames,
    "bperp": stack.pbaseIfgram.tolist(), "drop": stack.dropIfgram.tolist(),
    "phase": stack.read("unwrapPhase", box=(0, 0, 2, 2), print_msg=False).tolist(),
    "geometry": sorted(geo.datasetNames), "ts_dates": ts.dateList,
    "ts": ts.read(datasetName=ts.dateList[2], box=(0, 0, 2, 2), print_msg=False).tolist(),
    "length": stack.length, "width": stack.width}))
"""


def test_mintpy_itself_opens_our_files(stack_file, tmp_path):
    if not PEER_PYTHON.exists():
        pytest.skip("no .venv-peers (run `make peers` to cross-check with MintPy)")
    check = subprocess.run([str(PEER_PYTHON), "-c", "import mintpy"], capture_output=True)
    if check.returncode != 0:
        pytest.skip("MintPy is not installed in .venv-peers")
    path, phase, _ = stack_file
    geometry = write_geometry(
        tmp_path / "geometryGeo.h5",
        GRID,
        np.full(GRID.shape, 900.0),
        np.full(GRID.shape, 38.0),
        np.full(GRID.shape, -79.0),
        np.ones(GRID.shape, bool),
    )
    data = np.random.default_rng(2).normal(size=(3,) + GRID.shape).astype(np.float32)
    series = write_timeseries(tmp_path / "timeseries.h5", TimeSeries(DATES, data, GRID, {}))
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", MINTPY_READER, str(path), str(geometry), str(series)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["date12"] == ["20200101_20200113", "20200101_20200125", "20200113_20200125"]
    assert seen["datasets"][:3] == ["unwrapPhase", "coherence", "connectComponent"]
    np.testing.assert_allclose(seen["bperp"], [10.0, -5.0, -15.0])
    assert seen["drop"] == [True, False, True]
    np.testing.assert_allclose(seen["phase"], phase[:, :2, :2], rtol=1e-6)
    assert seen["geometry"] == ["azimuthAngle", "height", "incidenceAngle", "waterMask"]
    assert seen["ts_dates"] == ["20200101", "20200113", "20200125"]
    np.testing.assert_allclose(seen["ts"], data[2, :2, :2], rtol=1e-6)
    assert (seen["length"], seen["width"]) == (5, 7)
