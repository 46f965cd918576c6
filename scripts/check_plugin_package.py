"""Check a plugin zip against the rules plugins.qgis.org applies when a plugin is uploaded.

Usage: check_plugin_package.py dist/insar_subsidence.zip   (exit status 1 when a rule fails)

The rules are those of the repository's upload validator: size, one top folder named like a
Python package, ``__init__.py``, ``metadata.txt`` with the mandatory fields, true/false flags,
the icon inside the zip, a LICENSE file, URLs with a scheme and a host, no ``..`` or absolute
names, no ``.pyc``, ``__pycache__``, ``.git`` or ``__MACOSX``; plus no compiled binaries, which
the repository's security scan rejects. Whether the URLs answer is not checked here (no network).
"""

from __future__ import annotations

import configparser
import re
import sys
import zipfile
from pathlib import Path
from typing import List
from urllib.parse import urlparse

MAX_BYTES = 25_000_000
REQUIRED_METADATA = (
    "name",
    "description",
    "version",
    "qgisMinimumVersion",
    "author",
    "email",
    "about",
    "tracker",
    "repository",
)
BOOLEAN_METADATA = ("experimental", "deprecated", "server", "supportsQt6")
URL_METADATA = ("tracker", "repository", "homepage")
FORBIDDEN_FOLDERS = ("__MACOSX", ".git", "__pycache__")
# ELF, Windows PE, Mach-O (both byte orders, 32/64 bit and universal)
BINARY_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def package_problems(path: Path) -> List[str]:
    """Every rule the zip at ``path`` breaks, as sentences; empty when it would be accepted."""
    if path.stat().st_size > MAX_BYTES:
        return [f"{path.stat().st_size} bytes: the repository takes at most {MAX_BYTES}"]
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return ["not a zip file"]
    with archive:
        problems = _content_problems(archive)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        tops = sorted({n.split("/")[0] for n in archive.namelist()})
        if len(tops) != 1 or not names or "/" not in names[0]:
            return problems + [f"the zip must hold one plugin folder, found {tops}"]
        package = tops[0]
        if not package.isidentifier() or not re.match(r"^[A-Za-z][A-Za-z0-9-_]+$", package):
            problems.append(f"folder name {package!r} is not a valid Python package name")
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{package}/{required}" not in names:
                problems.append(f"{package}/{required} is missing")
        if f"{package}/metadata.txt" in names:
            text = archive.read(f"{package}/metadata.txt").decode("utf-8")
            problems += metadata_problems(text, package, set(names))
    return problems


def _content_problems(archive: zipfile.ZipFile) -> List[str]:
    problems = []
    for name in archive.namelist():
        parts = name.split("/")
        if ".." in name or name.startswith("/"):
            problems.append(f"{name}: path information is not allowed")
        if name.endswith(".pyc"):
            problems.append(f"{name}: compiled Python is not allowed")
        for folder in FORBIDDEN_FOLDERS:
            if folder in parts[:-1] or (folder == parts[-1] and name.endswith("/")):
                problems.append(f"{name}: a {folder} folder is not allowed")
        if not name.endswith("/"):
            with archive.open(name) as member:
                if member.read(4).startswith(BINARY_MAGIC):
                    problems.append(f"{name}: compiled binaries are not allowed")
    bad = archive.testzip()
    if bad:
        problems.append(f"{bad}: CRC error")
    return problems


def metadata_problems(text: str, package: str, names: set) -> List[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return [f"metadata.txt does not parse: {exc}"]
    if not parser.has_section("general"):
        return ["metadata.txt has no [general] section"]
    general = parser["general"]
    problems = [
        f"metadata.txt: {key} is missing or empty"
        for key in REQUIRED_METADATA
        if not general.get(key, "").strip()
    ]
    for key in BOOLEAN_METADATA:
        if key in general and general[key].strip().lower() not in ("true", "false", "1", "0"):
            problems.append(f"metadata.txt: {key}={general[key]} is not True or False")
    for key in URL_METADATA:
        url = urlparse(general.get(key, "").strip())
        if key in general and not (url.scheme in ("http", "https") and url.netloc):
            problems.append(f"metadata.txt: {key}={general[key]} is not a web address")
    if "/" in general.get("author", ""):
        problems.append("metadata.txt: author cannot contain '/'")
    icon = general.get("icon", "").strip()
    if icon and f"{package}/{icon.removeprefix('./')}" not in names:
        problems.append(f"metadata.txt: icon {icon} is not in the zip")
    return problems


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = Path(argv[1])
    problems = package_problems(path)
    for problem in problems:
        print(f"{path}: {problem}")
    if not problems:
        size = path.stat().st_size / 1e6
        print(f"{path}: {size:.1f} MB, passes the plugin repository's upload checks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
