"""pyqtgraph loading, date axes, the chart (plot + legend band) and its export, shared by the
docks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

import numpy as np

PYQTGRAPH_MISSING = (
    "The InSAR Subsidence plots need the Python package 'pyqtgraph': install it with "
    "Plugins > InSAR Subsidence > Check dependencies (on Debian/Ubuntu, apt install "
    "python3-pyqtgraph works too)."
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


class Chart:
    """A pyqtgraph plot with its legend in a band below the axes, so the legend never covers
    a curve. ``widget`` goes into a layout; ``plot`` (a PlotItem) takes items, labels and
    ranges; after adding entries to ``legend``, call :meth:`fit_legend`.
    """

    LEGEND_COLUMNS = (3, 2, 1)

    def __init__(self, pg, date_axis: bool = False):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        axes = {"bottom": pg.DateAxisItem()} if date_axis else {}
        self.plot = self.widget.addPlot(row=0, col=0, axisItems=axes)
        self.legend_band = pg.GraphicsWidget()
        self.widget.addItem(self.legend_band, row=1, col=0)
        self.legend = pg.LegendItem(offset=(1, 1), labelTextSize="8pt", verSpacing=-4)
        self.legend.setParentItem(self.legend_band)
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 0))
        self.legend.setPen(pg.mkPen(None))
        self._fitted_width = None
        self.plot.geometryChanged.connect(self._refit_when_wider_or_narrower)
        self.fit_legend()

    def _refit_when_wider_or_narrower(self) -> None:
        if self.plot.width() != self._fitted_width:
            self.fit_legend()

    def fit_legend(self) -> None:
        """Lay the legend out in as many columns as fit the plot's width (3 at most) and
        give its band exactly the height it needs (again whenever the width changes)."""
        self._fitted_width = self.plot.width()
        width = max(self.widget.width() - 20, 100)
        for columns in self.LEGEND_COLUMNS:
            self.legend.setColumnCount(columns)
            if self.legend.width() <= width or columns == 1:
                break
        height = self.legend.height() + 4 if self.legend.items else 0
        self.legend_band.setMinimumHeight(height)
        self.legend_band.setMaximumHeight(height)

    def export(self, path) -> Path:
        """Save the chart (plot and legend) as PNG (raster grab) or SVG (vector), by suffix."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".svg":
            from pyqtgraph.exporters import SVGExporter

            SVGExporter(self.widget.ci).export(str(path))
        elif not self.widget.grab().save(str(path)):
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
