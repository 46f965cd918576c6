"""QGIS 3.22 runs Python 3.11 (Debian 12), QGIS 3.40 Python 3.13 (Debian 13): no tracked file may
name one Python's folders or executable (``python3.<minor>``, ``lib/python3.<minor>/...``)."""

import re
import subprocess

from tests.paths import ROOT

VERSIONED_PYTHON = re.compile(rb"python3\.\d+")


def versioned_python_mentions(root, names):
    for name in names:
        path = root / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # images, archives
            continue
        for number, line in enumerate(data.splitlines(), start=1):
            if VERSIONED_PYTHON.search(line):
                yield f"{name}:{number}: {line.decode('utf-8', 'replace').strip()}"


def test_no_tracked_file_names_a_python_minor_version():
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(names) > 100
    assert list(versioned_python_mentions(ROOT, names)) == []


def test_the_check_finds_a_versioned_path_and_skips_binaries(tmp_path):
    site = ".venv/lib/python3.{}/site-packages".format(11)  # spelt out, this file would match
    (tmp_path / "cli.py").write_text(f'SITE = "{site}"\n')
    (tmp_path / "icon.png").write_bytes(b"\x89PNG\0\0" + site.encode())
    found = list(versioned_python_mentions(tmp_path, ["cli.py", "icon.png", "gone.py"]))
    assert found == [f'cli.py:1: SITE = "{site}"']
