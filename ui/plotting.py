"""pyqtgraph loading, date axes and chart export shared by the docks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

import numpy as np

PYQTGRAPH_MISSING = (
    "The InSAR Subsidence plots need the Python package 'pyqtgraph' "
    "(Debian/Ubuntu: apt install python3-pyqtgraph; Windows OSGeo4W shell: "
    "python -m pip install pyqtgraph)."
)


def require_pyqtgraph():
    """Import pyqtgraph lazily; ImportError naming the package when it is missing."""
    try:
        import pyqtgraph
    except ImportError as exc:
        raise ImportError(PYQTGRAPH_MISSING) from exc
    pyqtgraph.setConfigOptions(antialias=True, background="w", foreground="k")
    return pyqtgraph


def timestamps(dates: Sequence[dt.date]) -> np.ndarray:
    """Dates as POSIX seconds (UTC midnight), the x values of pyqtgraph's DateAxisItem."""
    return np.array(
        [dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp() for d in dates],
        dtype=float,
    )


def export_plot(plot_widget, path) -> Path:
    """Save a pyqtgraph PlotWidget as PNG (raster grab) or SVG (vector), by suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".svg":
        from pyqtgraph.exporters import SVGExporter

        SVGExporter(plot_widget.plotItem).export(str(path))
    else:
        if not plot_widget.grab().save(str(path)):
            raise OSError(f"{path}: the chart could not be written.")
    return path


def save_via_dialog(parent, title: str, default_name: str, file_filter: str, export) -> None:
    """Ask for a file name and call ``export(path)``; an OSError becomes a warning box."""
    from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox

    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, file_filter)
    if not path:
        return
    try:
        export(path)
    except OSError as exc:
        QMessageBox.warning(parent, title, str(exc))


class ItemPools:
    """Reusable pyqtgraph items per kind, so a redraw never removes items from the plot.

    Inside QGIS, removing a pyqtgraph item (``plot.clear()``, ``removeItem``) makes
    ``GraphicsObject.itemChange`` raise "unable to convert a QVariant back to a Python
    object" through sip; hiding and re-filling items avoids it. Call :meth:`begin`, then
    :meth:`take` per item to draw, then :meth:`end` to hide what was not used.
    """

    def __init__(self, plot):
        self.plot = plot
        self.factories = {}
        self.items = {}
        self.used = {}

    def register(self, kind: str, factory) -> None:
        self.factories[kind] = factory
        self.items[kind] = []
        self.used[kind] = 0

    def begin(self) -> None:
        for kind in self.used:
            self.used[kind] = 0

    def take(self, kind: str):
        items = self.items[kind]
        if self.used[kind] == len(items):
            item = self.factories[kind]()
            self.plot.addItem(item)
            items.append(item)
        item = items[self.used[kind]]
        self.used[kind] += 1
        item.setVisible(True)
        return item

    def end(self) -> None:
        for kind, items in self.items.items():
            for item in items[self.used[kind] :]:
                item.setVisible(False)

    def visible(self, kind: str) -> list:
        return self.items[kind][: self.used[kind]]
