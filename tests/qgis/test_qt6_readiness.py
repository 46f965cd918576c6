"""Qt6 / QGIS 4 readiness of the sources, judged against the QGIS that runs the suite (3.22 here,
3.40 in ``make test-qgis-lts``): Qt only through ``qgis.PyQt``, no ``exec_``, every Qt and QGIS
enum member reached through its enum type (``Qt.MouseButton.LeftButton``), no ``QVariant`` types
(Qt6 has none), and no QGIS enum reached through the class QGIS 3.38 moved it away from: those
come from ``processing_provider/qgis_compat.py``, which picks the spelling of the running QGIS.
Its ``MOVED_ENUMS`` lists them, so the scoped 3.22 spelling (``QgsProcessing.SourceType.X``),
deprecated on 3.40, already fails on 3.22."""

from __future__ import annotations

import ast
import enum
import importlib
from pathlib import Path
from typing import Iterator

from insar_subsidence.processing_provider.qgis_compat import MOVED_ENUMS
from tests.paths import ROOT

SCANNED = ("core", "processing_provider", "plugin", "ui", "scripts", "tests")
#: the one module that names the old spellings, for the QGIS versions that only have those
COMPAT = ROOT / "processing_provider" / "qgis_compat.py"
FOREIGN_QT = ("PyQt5", "PyQt6", "PySide2", "PySide6", "sip", "pyqtgraph.Qt", "qgis.PyQt.Qt")
_MISSING = object()


def sources() -> list[Path]:
    return sorted(path for folder in SCANNED for path in (ROOT / folder).rglob("*.py"))


def imported_qgis_names(tree: ast.AST) -> dict[str, object]:
    """Names a module binds with ``from qgis... import X`` (any scope), resolved to objects."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "qgis":
                continue
            try:
                module = importlib.import_module(node.module)
            except ImportError:
                continue
            for alias in node.names:
                value = getattr(module, alias.name, _MISSING)
                if value is _MISSING:  # a submodule: from qgis.PyQt import QtCore
                    try:
                        value = importlib.import_module(f"{node.module}.{alias.name}")
                    except ImportError:
                        continue
                names[alias.asname or alias.name] = value
    return names


def attribute_chain(node: ast.Attribute) -> list[str] | None:
    """``Qt.MouseButton.LeftButton`` -> ["Qt", "MouseButton", "LeftButton"]; None unless the
    chain starts at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id] + parts[::-1]


def is_enum_member(value) -> bool:
    # sip enums (PyQt5) are instances of sip.enumtype classes; scoped ones are Python enums
    return isinstance(value, enum.Enum) or type(type(value)).__name__ == "enumtype"


def is_enum_type(value) -> bool:
    return isinstance(value, type) and (
        issubclass(value, enum.Enum) or type(value).__name__ == "enumtype"
    )


def _named(value, name: str) -> bool:
    return getattr(value, "__name__", None) == name


def qgis_home_of(enum_type) -> str | None:
    """The ``Qgis.<Name>`` an enum type is, when QGIS moved it to the ``Qgis`` namespace."""
    from qgis.core import Qgis

    for name, value in vars(Qgis).items():
        if value is enum_type:
            return f"Qgis.{name}"
    return None


def enum_problems(chain: list[str], root) -> Iterator[str]:
    dotted = ".".join(chain)
    objects = [root]
    for position, attr in enumerate(chain[1:], start=1):
        parent = objects[-1]
        value = getattr(parent, attr, _MISSING)
        if value is _MISSING:
            if is_enum_type(parent) or position < len(chain) - 1:
                yield f"{dotted}: {'.'.join(chain[: position + 1])} does not exist in this QGIS"
            return
        objects.append(value)
        if (is_enum_type(value) or is_enum_member(value)) and _named(parent, "QVariant"):
            yield f"{dotted}: Qt6 has no QVariant types (QgsField: qgis_compat.attribute_field)"
            return
        if not is_enum_member(value):
            continue
        kind = type(value)
        if kind in MOVED_ENUMS and chain[0] != "Qgis":
            new = MOVED_ENUMS[kind]
            yield f"{dotted}: QGIS 3.38 moved this enum to Qgis.{new}; take {new} from qgis_compat"
            return
        if not (isinstance(parent, type) and isinstance(value, parent)):
            home = qgis_home_of(kind) if chain[position - 1] != "Qgis" else None
            if home:
                member = getattr(value, "name", attr)
                yield f"{dotted}: unscoped enum, QGIS moved it to {home}.{member}: use qgis_compat"
            else:
                yield f"{dotted}: unscoped enum, write {chain[position - 1]}.{kind.__name__}.{attr}"
            return
        home = qgis_home_of(parent)
        if home and chain[position - 2] != "Qgis":
            yield f"{dotted}: QGIS moved this enum to {home}; take it from qgis_compat"
        elif isinstance(value, enum.Enum) and value.name != attr:
            yield f"{dotted}: alias kept for old code, write {kind.__name__}.{value.name}"
        return


def source_problems(text: str, where: str, check_enums: bool = True) -> Iterator[str]:
    tree = ast.parse(text, filename=where)
    names = imported_qgis_names(tree)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            modules = []
        for module in modules:
            if any(module == f or module.startswith(f + ".") for f in FOREIGN_QT):
                yield f"{where}:{node.lineno}: imports {module}; import Qt through qgis.PyQt"
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "exec_":
            yield f"{where}:{node.lineno}: exec_() is gone in Qt6, call exec()"
        chain = attribute_chain(node) if check_enums and id(node) not in inner else None
        if chain and chain[0] in names:
            for problem in enum_problems(chain, names[chain[0]]):
                yield f"{where}:{node.lineno}: {problem}"


def test_sources_are_ready_for_qt6_and_qgis4():
    problems = [
        problem
        for path in sources()
        for problem in source_problems(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), path != COMPAT
        )
    ]
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_each_kind_of_problem():
    bad = """
from PyQt5.QtCore import QTimer
from qgis.PyQt.QtCore import Qt, QVariant
from qgis.PyQt.QtWidgets import QDialog
from qgis.core import Qgis, QgsProcessing
button = Qt.LeftButton
kind = QVariant.String
level = Qgis.Warning
QDialog().exec_()
source = QgsProcessing.TypeVectorPoint
scoped_but_moved = QgsProcessing.SourceType.TypeVectorPolygon
"""
    problems = [p.split(": ", 1)[1] for p in source_problems(bad, "bad.py")]
    assert problems[0].startswith("imports PyQt5.QtCore")
    assert "Qt.LeftButton: unscoped enum, write Qt.MouseButton.LeftButton" in problems
    assert any(p.startswith("QVariant.String: ") for p in problems)
    assert "Qgis.Warning: unscoped enum, write Qgis.MessageLevel.Warning" in problems
    assert "exec_() is gone in Qt6, call exec()" in problems
    assert any(p.startswith("QgsProcessing.TypeVectorPoint: ") for p in problems)
    assert (
        "QgsProcessing.SourceType.TypeVectorPolygon: QGIS 3.38 moved this enum to "
        "Qgis.ProcessingSourceType; take ProcessingSourceType from qgis_compat"
    ) in problems
    assert len(problems) == 7


def test_the_scan_accepts_scoped_enums_through_qgis_pyqt():
    good = """
from qgis.PyQt.QtCore import QEvent, Qt
from qgis.core import Qgis
button = Qt.MouseButton.LeftButton
flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
event = QEvent.Type.MouseButtonPress
level = Qgis.MessageLevel.Warning
"""
    assert list(source_problems(good, "good.py")) == []
