"""Map tools: pick a position, draw a polyline with a rubber band.

Both emit map coordinates in the canvas CRS; the docks transform them to each source's CRS.
Rubber bands belong to the tool and disappear when the tool is deactivated.
"""

from __future__ import annotations

from typing import List

from qgis.core import QgsPointXY, QgsWkbTypes
from qgis.gui import QgsMapTool, QgsMapToolEmitPoint, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

LINE_COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"]


class PointPickTool(QgsMapToolEmitPoint):
    """Left click: emit ``picked(QgsPointXY)``; the shift key sets ``with_shift``."""

    picked = pyqtSignal(QgsPointXY, bool)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setCursor(Qt.CrossCursor)

    def canvasReleaseEvent(self, event):
        if event.button() != Qt.LeftButton:
            return
        shift = bool(event.modifiers() & Qt.ShiftModifier)
        self.picked.emit(QgsPointXY(self.toMapCoordinates(event.pos())), shift)


class PolylineTool(QgsMapTool):
    """Left clicks add vertices, a right click (or double click) ends the line; a shift-click
    (before drawing) picks an existing line feature instead.

    Emits ``line_finished(list of QgsPointXY)`` or ``feature_clicked(QgsPointXY)``; finished
    lines stay drawn (one colour each) until the tool is deactivated, when every rubber band
    is removed.
    """

    line_finished = pyqtSignal(list)
    feature_clicked = pyqtSignal(QgsPointXY)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setCursor(Qt.CrossCursor)
        self.vertices: List[QgsPointXY] = []
        self.finished_bands: List[QgsRubberBand] = []
        self.band = None

    def _new_band(self) -> QgsRubberBand:
        band = QgsRubberBand(self.canvas(), QgsWkbTypes.LineGeometry)
        band.setColor(QColor(LINE_COLOURS[len(self.finished_bands) % len(LINE_COLOURS)]))
        band.setWidth(2)
        return band

    def canvasPressEvent(self, event):
        point = QgsPointXY(self.toMapCoordinates(event.pos()))
        if (
            event.button() == Qt.LeftButton
            and not self.vertices
            and event.modifiers() & Qt.ShiftModifier
        ):
            self.feature_clicked.emit(point)
        elif event.button() == Qt.LeftButton:
            if self.band is None:
                self.band = self._new_band()
            self.vertices.append(point)
            self.band.addPoint(point, True)
            self.band.addPoint(point, True)  # the floating vertex that follows the mouse
        elif event.button() == Qt.RightButton:
            self.finish()

    def canvasDoubleClickEvent(self, event):
        self.finish()

    def canvasMoveEvent(self, event):
        if self.band is not None and self.vertices:
            self.band.movePoint(QgsPointXY(self.toMapCoordinates(event.pos())))

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Escape:
            self.clear_current()
        elif event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.finish()

    def finish(self) -> None:
        """End the line being drawn (needs two distinct vertices) and emit it."""
        vertices = [v for i, v in enumerate(self.vertices) if i == 0 or v != self.vertices[i - 1]]
        if len(vertices) < 2:
            return
        self.band.reset(QgsWkbTypes.LineGeometry)
        for v in vertices:
            self.band.addPoint(v, True)
        self.finished_bands.append(self.band)
        self.band = None
        self.vertices = []
        self.line_finished.emit(vertices)

    def clear_current(self) -> None:
        if self.band is not None:
            self.canvas().scene().removeItem(self.band)
        self.band = None
        self.vertices = []

    def remove_bands(self) -> None:
        self.clear_current()
        for band in self.finished_bands:
            self.canvas().scene().removeItem(band)
        self.finished_bands = []

    def deactivate(self):
        self.remove_bands()
        super().deactivate()
