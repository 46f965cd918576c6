"""A full disk is refused before any writing: HDF5 failing to write on a full disk crashes
the QGIS process (qgis_process ingesthyp3 dies with SIGSEGV on a small tmpfs). The outputs'
expected sizes are checked against the free space first; the estimates are checked against
real files, and the refusal on a real small tmpfs when this machine lets us mount one."""

import subprocess

import pytest

from insar_subsidence.core.atomic import check_free_space
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
from insar_subsidence.core.io.mintpy import stack_bytes, timeseries_bytes
from insar_subsidence.core.timeseries.sbas.inversion import InversionOptions, invert_stack
from tests.core.ingest_helpers import write_small_products


@pytest.fixture(scope="module")
def small_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hyp3")
    write_small_products(folder)
    out = tmp_path_factory.mktemp("stack")
    result = ingest_hyp3(folder, out / "ifgramStack.h5")
    return folder, result


def test_expected_sizes_match_the_files_written(small_stack, tmp_path):
    _, ingested = small_stack
    from insar_subsidence.core.io.mintpy import IfgramStack

    stack = IfgramStack.open(ingested.stack)
    expected = stack_bytes(stack.num_pairs, stack.grid.shape, True, False)
    actual = ingested.stack.stat().st_size
    assert actual <= expected < actual + 300 * 2**10
    result = invert_stack(
        ingested.stack, tmp_path / "ts.h5", tmp_path / "tc.h5", InversionOptions(weight="none")
    )
    actual = result.timeseries.stat().st_size
    assert actual <= timeseries_bytes(len(result.dates), stack.grid.shape) < actual + 300 * 2**10


def test_outputs_larger_than_the_free_space_are_refused_naming_the_output(tmp_path):
    import shutil

    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(InputError, match="the outputs need about .* free") as error:
        check_free_space({tmp_path / "a.h5": free / 2, tmp_path / "b.h5": free / 2})
    assert error.value.path == str(tmp_path / "a.h5")
    check_free_space({tmp_path / "a.h5": 1000})


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (needs root); skipped where it cannot be mounted."""

    def mount(size):
        disk = tmp_path / f"disk{size}"
        disk.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(disk)
        return disk

    mounted = []
    yield mount
    for disk in mounted:
        subprocess.run(["umount", str(disk)], check=False)


def test_ingest_onto_a_full_disk_is_refused_before_writing(small_stack, small_disk):
    folder, _ = small_stack
    disk = small_disk("256k")
    with pytest.raises(InputError, match="free") as error:
        ingest_hyp3(folder, disk / "ifgramStack.h5", disk / "geometryGeo.h5")
    assert error.value.path == str(disk / "ifgramStack.h5")
    assert list(disk.iterdir()) == []


def test_inversion_onto_a_full_disk_is_refused_before_writing(small_stack, small_disk):
    _, ingested = small_stack
    disk = small_disk("64k")
    with pytest.raises(InputError, match="free") as error:
        invert_stack(
            ingested.stack, disk / "ts.h5", disk / "tc.h5", InversionOptions(weight="none")
        )
    assert error.value.path == str(disk / "ts.h5")
    assert list(disk.iterdir()) == []
