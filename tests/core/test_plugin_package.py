"""``make package``: the zip of the committed tree passes the plugin repository's upload rules,
and the checker refuses the zips the repository refuses."""

import configparser
import subprocess
import sys
import zipfile

import pytest

from tests.paths import ROOT

CHECKER = ROOT / "scripts" / "check_plugin_package.py"


def check(path):
    return subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True, text=True)


def test_the_package_of_head_passes_and_leaves_developer_files_out(tmp_path):
    package = tmp_path / "insar_subsidence.zip"
    subprocess.run(
        [
            "git",
            "archive",
            "--format=zip",
            "--prefix=insar_subsidence/",
            "-o",
            str(package),
            "HEAD",
        ],
        cwd=ROOT,
        check=True,
    )
    result = check(package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passes the plugin repository's upload checks" in result.stdout
    names = zipfile.ZipFile(package).namelist()
    assert "insar_subsidence/LICENSE" in names
    assert "insar_subsidence/processing_provider/provider.py" in names
    assert "insar_subsidence/models/sbas_chain.model3" in names
    assert not [n for n in names if n.split("/")[1] in ("tests", "benchmarks", "scripts", ".ci")]


def metadata_text(**changes):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    for key, value in changes.items():
        if value is None:
            parser.remove_option("general", key)
        else:
            parser.set("general", key, value)
    lines = ["[general]"] + [f"{k}={v}" for k, v in parser["general"].items()]
    return "\n".join(lines) + "\n"


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def plugin_files(overrides=()):
    files = {
        "insar_subsidence/__init__.py": "def classFactory(iface):\n    pass\n",
        "insar_subsidence/metadata.txt": metadata_text(),
        "insar_subsidence/LICENSE": "GPL",
        "insar_subsidence/icon.svg": "<svg/>",
    }
    files.update(dict(overrides))
    return {name: data for name, data in files.items() if data is not None}


def test_a_minimal_plugin_zip_passes(tmp_path):
    result = check(write_zip(tmp_path / "p.zip", plugin_files()))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"insar_subsidence/LICENSE": None}, "insar_subsidence/LICENSE is missing"),
        ({"insar_subsidence/__pycache__/a.cpython-311.pyc": "x"}, "compiled Python"),
        ({"insar_subsidence/__pycache__/a.py": "x"}, "a __pycache__ folder is not allowed"),
        ({"insar_subsidence/lib/fast.so": b"\x7fELF\x02\x01"}, "compiled binaries"),
        ({"other/readme.txt": "x"}, "one plugin folder"),
        (
            {"insar_subsidence/metadata.txt": metadata_text(tracker=None)},
            "tracker is missing",
        ),
        (
            {"insar_subsidence/metadata.txt": metadata_text(supportsQt6="maybe")},
            "supportsQt6=maybe is not True or False",
        ),
        (
            {"insar_subsidence/metadata.txt": metadata_text(repository="github.com/x")},
            "repository=github.com/x is not a web address",
        ),
        ({"insar_subsidence/icon.svg": None}, "icon icon.svg is not in the zip"),
    ],
)
def test_the_checker_refuses_what_the_repository_refuses(tmp_path, overrides, message):
    result = check(write_zip(tmp_path / "p.zip", plugin_files(overrides)))
    assert result.returncode == 1
    assert message in result.stdout
