"""What the plugin's docks share: a map tool armed by a checkable button that follows the
canvas, signal connections undone on unload, the chart with its legend band, export buttons.

A dock subclass builds its widgets in ``_build``, creates its tool and calls
:meth:`MapToolDock.tool_button`, and implements ``refresh_sources`` (called when layers are
added to or removed from the project) and ``remove_canvas_items`` (markers, rubber bands).
"""

from __future__ import annotations

from typing import Callable, List, Tuple

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QDockWidget, QPushButton

from .plotting import Chart, require_pyqtgraph, save_via_dialog

IMAGE_FILTER = "PNG (*.png);;SVG (*.svg)"


class MapToolDock(QDockWidget):
    """A dock with one map tool; ``activate_tool`` arms it, ``unload`` undoes everything."""

    def __init__(self, iface, title: str, object_name: str, parent=None):
        super().__init__(title, parent)
        self.setObjectName(object_name)
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.pg = require_pyqtgraph()
        self.tool = None
        self.button = None
        self._connections: List[Tuple[object, Callable]] = []

    # ------------------------------------------------------------------ map tool
    def tool_button(self, tool, text: str, tooltip: str) -> QPushButton:
        """The checkable button that arms ``tool``; it un-presses when another map tool takes
        over the canvas, so one click always re-arms it."""
        self.tool = tool
        self.button = QPushButton(text)
        self.button.setCheckable(True)
        self.button.setToolTip(tooltip)
        self.button.toggled.connect(self._toggle_tool)
        self.listen(self.canvas.mapToolSet, self._follow_map_tool)
        return self.button

    def _toggle_tool(self, on: bool) -> None:
        if on:
            self.canvas.setMapTool(self.tool)
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    def _follow_map_tool(self, new_tool, _old_tool=None) -> None:
        self.button.blockSignals(True)
        self.button.setChecked(new_tool is self.tool)
        self.button.blockSignals(False)

    def activate_tool(self) -> None:
        self.button.setChecked(True)

    def closeEvent(self, event) -> None:
        """Closing the dock hands the canvas back (its tool is unset; its items stay)."""
        self.button.setChecked(False)
        super().closeEvent(event)

    # ------------------------------------------------------------------ wiring
    def listen(self, signal, slot: Callable) -> None:
        """Connect ``signal`` to ``slot`` until :meth:`unload`."""
        signal.connect(slot)
        self._connections.append((signal, slot))

    def listen_to_project(self, after_tree: bool = False) -> None:
        """Refresh the sources when layers are added to or removed from the project; with
        ``after_tree``, once the new layers are in the layer tree (Processing and project
        loaders add a layer to the project first and put it in the tree right after)."""
        project = QgsProject.instance()
        self.listen(project.layersAdded, self._refresh_soon if after_tree else self.refresh_sources)
        self.listen(project.layersRemoved, self.refresh_sources)

    def _refresh_soon(self, *_args) -> None:
        QTimer.singleShot(0, self.refresh_sources)

    def refresh_sources(self, *_args) -> None:
        raise NotImplementedError

    def remove_canvas_items(self) -> None:
        raise NotImplementedError

    def unload(self) -> None:
        """Unset the map tool, disconnect every signal, remove what the dock drew on the map."""
        if self.tool is not None and self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except TypeError:  # already disconnected
                pass
        self._connections = []
        self.remove_canvas_items()

    # ------------------------------------------------------------------ chart and exports
    def make_chart(self, date_axis: bool = False) -> Chart:
        """The dock's chart; ``self.plot`` and ``self.legend`` point into it."""
        self.chart = Chart(self.pg, date_axis=date_axis)
        self.plot = self.chart.plot
        self.legend = self.chart.legend
        return self.chart

    def export_image(self, path):
        """Save the chart with its legend as PNG or SVG (by suffix)."""
        return self.chart.export(path)

    def export_button(
        self, text: str, tooltip: str, title: str, default_name: str, file_filter: str, export
    ) -> QPushButton:
        """A button asking for a file name, then calling ``export(path)`` (errors warn)."""
        button = QPushButton(text)
        button.setToolTip(tooltip)
        button.clicked.connect(
            lambda _=False: save_via_dialog(self, title, default_name, file_filter, export)
        )
        return button

    def chart_export_buttons(self, stem: str) -> List[QPushButton]:
        """'CSV…' (``export_csv``) and 'Image…' (the chart) buttons, files named ``stem``."""
        return [
            self.export_button(
                "CSV…",
                "Export the plotted values as CSV",
                "Export CSV",
                f"{stem}.csv",
                "CSV (*.csv)",
                self.export_csv,
            ),
            self.export_button(
                "Image…",
                "Export the chart as PNG or SVG",
                "Export chart",
                f"{stem}.png",
                IMAGE_FILTER,
                self.export_image,
            ),
        ]

    def export_csv(self, path):
        raise NotImplementedError
