"""Layout rules: core/ stays free of QGIS and Qt, and one vocabulary names each stage from the
toolbox group to core/<stage>/, processing_provider/algorithms/<stage>.py and
tests/core/<stage>/."""

import ast
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "PySide2", "PySide6", "sip")


def imported_roots(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_core_sources_import_no_qgis_or_qt():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for name, line in imported_roots(path)
        if name in FORBIDDEN
    ]
    assert offenders == []


def test_importing_every_core_module_loads_no_qgis(tmp_path):
    modules = sorted(
        "insar_subsidence." + ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "core").rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import sys; sys.path.insert(0, %r)\n" % str(ROOT / "build" / "qgis_plugins")
        + "".join(f"import {m}\n" for m in modules)
        + "bad = [m for m in sys.modules if m.split('.')[0] in %r]\n" % (FORBIDDEN,)
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


STAGES = (
    "ingest",
    "network",
    "corrections",
    "timeseries",
    "analysis",
    "prediction",
    "interpolation",
    "drivers",
)


def test_every_stage_has_a_core_package_an_algorithm_module_and_a_test_folder():
    for stage in STAGES:
        assert (ROOT / "core" / stage / "__init__.py").exists(), stage
        assert (ROOT / "processing_provider" / "algorithms" / f"{stage}.py").exists(), stage
        assert (ROOT / "tests" / "core" / stage / "__init__.py").exists(), stage
    algorithm_modules = {p.stem for p in (ROOT / "processing_provider" / "algorithms").glob("*.py")}
    assert algorithm_modules - {"__init__"} == set(STAGES)


def test_every_algorithm_group_is_the_name_of_its_module():
    """GROUP is read from the source so that this test runs without QGIS."""
    for path in sorted((ROOT / "processing_provider" / "algorithms").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            values = {
                t.id: v.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name)
                for v in [stmt.value]
                if isinstance(v, ast.Constant)
            }
            if "ALGORITHM_ID" in values:
                assert values.get("GROUP") == path.stem, (path.name, node.name)


def test_every_stage_package_exports_what_it_declares():
    code = (
        "import sys, importlib; sys.path.insert(0, %r)\n" % str(ROOT / "build" / "qgis_plugins")
        + "bad = []\n"
        + "for stage in %r:\n" % (STAGES + ("io",),)
        + "    m = importlib.import_module('insar_subsidence.core.' + stage)\n"
        + "    names = getattr(m, '__all__', None)\n"
        + "    if not names: bad.append(stage + ': no __all__')\n"
        + "    bad += [stage + '.' + n for n in names or () if not hasattr(m, n)]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
