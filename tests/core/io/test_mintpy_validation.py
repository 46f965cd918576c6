"""Damaged or inconsistent MintPy files are refused on open with a message naming the file:
a corrupted HDF5 heap that crashes libhdf5, stacks and series whose datasets disagree, wrong
types, reversed dates, impossible attributes, infinite values, coherence outside [0, 1]."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.mintpy import (
    IfgramStack,
    TimeSeries,
    read_timeseries,
    read_timeseries_dates,
    write_timeseries,
)
from tests.core.sbas_synthetic import (
    GRID,
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)
from tests.paths import ROOT


@pytest.fixture
def stack(tmp_path):
    dates = make_dates(5)
    return write_stack(
        tmp_path / "stack.h5", dates, small_baseline_pairs(dates, 2), truth_displacement(dates)
    )


@pytest.fixture
def series(tmp_path):
    dates = make_dates(6)
    data = truth_displacement(dates).astype(np.float32)
    return write_timeseries(tmp_path / "timeseries.h5", TimeSeries(dates, data, GRID, {}))


def _replace(path, name, values):
    with h5py.File(path, "r+") as f:
        del f[name]
        f.create_dataset(name, data=values)


def _edit_attrs(path, **attrs):
    with h5py.File(path, "r+") as f:
        for key, value in attrs.items():
            f.attrs[key] = value


def _crashing_copy(path, tmp_path):
    """The stack with the size of the first string in its HDF5 global heap made huge: listing
    the attributes then crashes libhdf5 itself (segmentation fault), whatever the caller."""
    data = bytearray(path.read_bytes())
    heap = data.index(b"GCOL")
    data[heap + 25] = 0x7F  # byte 2 of the first heap object's 8-byte size
    damaged = tmp_path / "damaged_stack.h5"
    damaged.write_bytes(bytes(data))
    return damaged


def _run(code, *args):
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_corrupted_attribute_heap_is_refused_instead_of_crashing_the_process(stack, tmp_path):
    damaged = _crashing_copy(stack, tmp_path)
    raw = _run("import h5py, sys; dict(h5py.File(sys.argv[1], 'r').attrs)", damaged)
    # HDF5 1.10 (Debian 12) crashes on it, HDF5 1.14 (Debian 13, QGIS 3.40) raises OSError
    assert raw.returncode != 0, "the crafted file must break a plain h5py read"
    ours = _run(
        "import sys; sys.path.insert(0, 'build/qgis_plugins')\n"
        "from insar_subsidence.core.errors import InputError\n"
        "from insar_subsidence.core.io.mintpy import IfgramStack\n"
        "try:\n    IfgramStack.open(sys.argv[1])\n"
        "except InputError as exc:\n    print(exc.path); print(exc)\n",
        damaged,
    )
    assert ours.returncode == 0, ours.stderr[-2000:]
    named, message = ours.stdout.splitlines()[:2]
    assert named == str(damaged) and "HDF5 metadata are damaged" in message


def test_the_probe_runs_once_per_file_and_not_for_files_this_process_wrote(stack, tmp_path):
    from insar_subsidence.core.io import hdf5_probe

    assert hdf5_probe._key(stack) in hdf5_probe._PROBER.verdicts  # written here: trusted
    damaged = _crashing_copy(stack, tmp_path)
    for _ in range(2):
        with pytest.raises(InputError, match="HDF5 metadata are damaged") as error:
            IfgramStack.open(damaged)
        assert error.value.path == str(damaged)
    assert hdf5_probe._PROBER.verdicts[hdf5_probe._key(damaged)]
    damaged.write_bytes(stack.read_bytes())  # repaired: new size and time, probed again
    assert IfgramStack.open(damaged).num_pairs == IfgramStack.open(stack).num_pairs


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: _edit_attrs(p, WAVELENGTH="-1"), "WAVELENGTH attribute is '-1'"),
        (lambda p: _edit_attrs(p, LENGTH=""), "attribute LENGTH = '' is not a number"),
        (lambda p: _edit_attrs(p, WIDTH="13"), "WIDTH = 13 does not match"),
        (lambda p: _edit_attrs(p, X_STEP="abc"), "X_STEP = 'abc' is not a number"),
        (lambda p: _edit_attrs(p, EPSG="utm"), "EPSG = 'utm' is not an EPSG code"),
        (lambda p: _edit_attrs(p, REF_Y="x"), "REF_Y = 'x'.*not a pixel number"),
        (lambda p: _replace(p, "bperp", np.zeros(3)), "'bperp' has 3 entries for 7 "),
        (lambda p: _replace(p, "dropIfgram", np.ones(9, bool)), "'dropIfgram' has 9 entries"),
        (
            lambda p: _replace(p, "unwrapPhase", np.zeros((7, 10, 12), np.int16)),
            "'unwrapPhase' holds int16 values",
        ),
        (
            lambda p: _replace(p, "coherence", np.ones((7, 10, 11), np.float32)),
            r"'coherence' has shape \(7, 10, 11\), expected \(7, 10, 12\)",
        ),
        (
            lambda p: _replace(p, "date", h5py.File(p, "r")["date"][()][:, ::-1].copy()),
            "does not have its first date before its second",
        ),
        (
            lambda p: _replace(p, "date", h5py.File(p, "r")["date"][()][[0, 0, 1, 2, 3, 4, 5]]),
            "appears twice",
        ),
        (
            lambda p: _replace(p, "date", np.array([[b"2020x", b"20200101"]] * 7)),
            "'2020x' is not a date",
        ),
    ],
)
def test_inconsistent_stacks_are_refused_on_open_naming_the_file(stack, edit, message):
    edit(stack)
    with pytest.raises(InputError, match=message) as error:
        IfgramStack.open(stack)
    assert error.value.path == str(stack)


def test_infinite_phase_and_out_of_range_coherence_are_refused_when_read(stack):
    with h5py.File(stack, "r+") as f:
        f["unwrapPhase"][2, 3, 4] = np.inf
        f["coherence"][1, 5, 5] = 255.0
    opened = IfgramStack.open(stack)
    with pytest.raises(InputError, match="'unwrapPhase' holds 1 infinite values") as error:
        opened.read("unwrapPhase", slice(0, 5))
    assert error.value.path == str(stack)
    assert np.isfinite(opened.read("unwrapPhase", slice(5, 10))).all()
    with pytest.raises(InputError, match=r"coherence holds 1 values outside \[0, 1\]"):
        opened.read("coherence", pairs=[1])


@pytest.mark.parametrize(
    "order, message",
    [
        ([1, 0, 2, 3, 4, 5], "not in increasing order: 20200106 follows 20200118"),
        ([0, 0, 1, 2, 3, 4], "appears twice"),
    ],
)
def test_reversed_or_repeated_series_dates_are_refused(series, order, message):
    _replace(series, "date", h5py.File(series, "r")["date"][()][order])
    for read in (read_timeseries, read_timeseries_dates):
        with pytest.raises(InputError, match=message) as error:
            read(series)
        assert error.value.path == str(series)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: _replace(p, "timeseries", np.zeros((6, 10, 12), np.int32)), "holds int32"),
        (lambda p: _replace(p, "timeseries", np.zeros((5, 10, 12), np.float32)), "5 layers for 6"),
        (lambda p: _replace(p, "bperp", np.zeros(2, np.float32)), "'bperp' has 2 entries"),
        (lambda p: _edit_attrs(p, LENGTH="9"), "LENGTH = 9 does not match"),
    ],
)
def test_inconsistent_series_are_refused(series, edit, message):
    edit(series)
    with pytest.raises(InputError, match=message):
        read_timeseries(series)


def test_infinite_displacement_is_refused(series):
    with h5py.File(series, "r+") as f:
        f["timeseries"][3, 2, 2] = -np.inf
    with pytest.raises(InputError, match="'timeseries' holds 1 infinite values"):
        read_timeseries(series)
