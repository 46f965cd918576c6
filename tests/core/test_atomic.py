"""Atomic outputs never delete what the run did not create, and refuse clashing outputs."""

import os

import pytest

from insar_subsidence.core.atomic import atomic_output, atomic_outputs, check_outputs
from insar_subsidence.core.errors import InputError


def _folder_with_content(tmp_path):
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "keep.txt").write_text("user data")
    return folder


def test_folder_as_output_is_refused_and_kept(tmp_path):
    folder = _folder_with_content(tmp_path)
    with pytest.raises(InputError, match="existing folder") as error:
        with atomic_output(folder) as temp:
            temp.write_text("new")
    assert str(folder) in str(error.value)
    assert (folder / "keep.txt").read_text() == "user data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]


def test_check_outputs_refuses_folder_input_and_duplicates(tmp_path):
    folder = _folder_with_content(tmp_path)
    with pytest.raises(InputError, match="existing folder"):
        check_outputs([folder], [])
    with pytest.raises(InputError, match="overwrite this input"):
        check_outputs([folder], [folder])
    a = tmp_path / "a.h5"
    with pytest.raises(InputError, match="same file"):
        check_outputs([a, tmp_path / "." / "a.h5"], [])
    with pytest.raises(InputError, match="same file"):
        with atomic_outputs(a, a):
            pass
    check_outputs([a, tmp_path / "b.h5", None], [folder / "keep.txt"])


def test_parent_is_a_file_or_unwritable(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InputError, match="is a file") as error:
        check_outputs([blocker / "out.tif"], [])
    assert "out.tif" in str(error.value)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(InputError, match="not writable"):
            check_outputs([locked / "out.tif"], [])


def test_existing_file_replaced_only_on_success(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(out) as temp:
            temp.write_text("half")
            raise RuntimeError("boom")
    assert out.read_text() == "old"
    with atomic_output(out) as temp:
        temp.write_text("new")
    assert out.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
