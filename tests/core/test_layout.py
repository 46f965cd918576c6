"""core/ must stay free of QGIS and Qt so it is usable from plain Python."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in sorted((ROOT / "core").rglob("*.py"))
                 for name, line in imported_roots(path) if name in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_loads_no_qgis(tmp_path):
    modules = sorted("insar_subsidence." + ".".join(p.relative_to(ROOT).with_suffix("").parts)
                     for p in (ROOT / "core").rglob("*.py") if p.name != "__init__.py")
    code = ("import sys; sys.path.insert(0, %r)\n" % str(ROOT / "build" / "qgis_plugins")
            + "".join(f"import {m}\n" for m in modules)
            + "bad = [m for m in sys.modules if m.split('.')[0] in %r]\n" % (FORBIDDEN,)
            + "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
