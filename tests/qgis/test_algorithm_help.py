"""Every algorithm explains itself: the help panel (method, units and signs, source), a page
under docs/algorithms/ behind its help URL, tags and its group's icon."""

from pathlib import Path

import pytest

from tests.conftest import register_provider

ROOT = Path(__file__).resolve().parents[2]
PAPER_KEYS = ("paper 000", "paper 001", "paper 002", "paper 003")


def algorithms():
    return sorted(register_provider().algorithms(), key=lambda a: a.name())


@pytest.fixture(scope="module")
def every_algorithm(provider):
    return algorithms()


def test_help_panel_gives_method_units_and_source(every_algorithm):
    from qgis.PyQt.QtGui import QTextDocument

    missing = []
    for algorithm in every_algorithm:
        text = algorithm.shortHelpString()
        for part in ("Units and signs.", "Source."):
            if part not in text:
                missing.append(f"{algorithm.id()}: {part}")
        if len(type(algorithm).HELP) < 80:
            missing.append(f"{algorithm.id()}: the method (HELP) is one line")
        # the panel shows the texts as written ("< -40 mm/yr" is not swallowed as a tag)
        document = QTextDocument()
        document.setHtml(text)
        shown = " ".join(document.toPlainText().split())
        for part in (type(algorithm).HELP, type(algorithm).UNITS, type(algorithm).SOURCE):
            if " ".join(part.split()) not in shown:
                missing.append(f"{algorithm.id()}: the panel does not show '{part[:40]}...'")
    assert missing == []


def test_sources_cite_the_papers_by_their_key_or_by_name(every_algorithm):
    for algorithm in every_algorithm:
        source = type(algorithm).SOURCE
        assert any(key in source for key in PAPER_KEYS) or any(ch.isdigit() for ch in source), (
            f"{algorithm.id()}: SOURCE names no paper (key or author and year)"
        )


def test_every_help_url_is_a_page_of_the_repository(every_algorithm):
    problems = []
    for algorithm in every_algorithm:
        url = algorithm.helpUrl()
        relative = f"docs/algorithms/{algorithm.name()}.md"
        if not url.endswith(relative) or not url.startswith("https://"):
            problems.append(f"{algorithm.id()}: {url}")
            continue
        page = ROOT / relative
        if not page.is_file():
            problems.append(f"{algorithm.id()}: no {relative}")
            continue
        text = page.read_text()
        title = text.splitlines()[0]
        if not (title.startswith("# ") and f"(`{algorithm.id()}`)" in title):
            problems.append(f"{relative}: title '{title}'")
        for section in ("## Inputs", "## Method", "## Outputs"):
            if section not in text:
                problems.append(f"{relative}: no '{section}'")
        for parameter in algorithm.parameterDefinitions():
            if f"`{parameter.name()}`" not in text:
                problems.append(f"{relative}: parameter {parameter.name()} not described")
    assert problems == []


def test_tags_and_group_icons(every_algorithm):
    from qgis.PyQt.QtGui import QIcon

    for algorithm in every_algorithm:
        assert algorithm.group().lower() in algorithm.tags(), algorithm.id()
        assert len(algorithm.tags()) > 3, algorithm.id()
        icon = Path(algorithm.svgIconPath())
        assert icon.parent == ROOT / "icons" and icon.stem == algorithm.groupId()
        assert icon.read_text().lstrip().startswith("<svg"), icon
        assert not QIcon(str(icon)).isNull()
    provider = register_provider()
    assert Path(provider.svgIconPath()) == ROOT / "icon.svg"
    assert {path.stem for path in (ROOT / "icons").glob("*.svg")} == {
        algorithm.groupId() for algorithm in every_algorithm
    }
