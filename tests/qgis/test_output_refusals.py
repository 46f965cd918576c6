"""Outputs that cannot be written are refused before any work, through Processing, with a
message naming the output the user gave (not a hidden temporary file) and a fix."""

import subprocess

import pytest
from qgis.core import QgsProcessingException


@pytest.fixture
def points_csv(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("E,N,2020-01-01,2020-07-01\n500000,4000000,0,-0.004\n")
    return path


def _import(run_algorithm, source, output):
    return run_algorithm(
        "importpoints",
        {
            "INPUT": str(source),
            "FORMAT": "generic",
            "X_FIELD": "E",
            "Y_FIELD": "N",
            "CRS": "EPSG:32649",
            "UNIT": "m",
            "DATE_PATTERN": r"^(\d{4}-\d{2}-\d{2})$",
            "OUTPUT": str(output),
        },
    )


@pytest.fixture
def read_only_folder(tmp_path):
    """A read-only tmpfs (root writes anywhere else); skipped where it cannot be mounted."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_read_only_output_folder_is_refused_naming_the_output(
    run_algorithm, points_csv, read_only_folder
):
    output = read_only_folder / "points.gpkg"
    with pytest.raises(QgsProcessingException) as error:
        _import(run_algorithm, points_csv, output)
    message = str(error.value)
    assert f"{output}: the folder '{read_only_folder}' is not writable." in message
    assert "partial" not in message and "Fix: choose an output folder" in message


def test_an_output_under_a_file_is_refused_naming_the_output(run_algorithm, points_csv, tmp_path):
    output = points_csv / "points.gpkg"
    with pytest.raises(QgsProcessingException, match="is a file") as error:
        _import(run_algorithm, points_csv, output)
    assert str(output) in str(error.value)
    assert points_csv.read_text().startswith("E,N,")
