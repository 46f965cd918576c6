"""Map tools: pick a position, draw a polyline with a rubber band.

Both emit map coordinates in the canvas CRS; the docks transform them to each source's CRS.
The polyline tool draws only the line being drawn; a finished line is handed to the dock,
which keeps it on the map until the user clears it (whatever map tool is active).
"""

from __future__ import annotations

from typing import List, Optional

from qgis.core import QgsPointXY
from qgis.gui import QgsMapTool, QgsMapToolEmitPoint, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

from ..processing_provider.qgis_compat import GeometryType

LINE_COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"]


def line_band(canvas, points: List[QgsPointXY], colour: str) -> QgsRubberBand:
    """A rubber band drawing ``points`` (canvas CRS) in ``colour``."""
    band = QgsRubberBand(canvas, GeometryType.Line)
    band.setColor(QColor(colour))
    band.setWidth(2)
    for point in points:
        band.addPoint(point, True)
    return band


def remove_from_canvas(canvas, item) -> None:
    if item is not None:
        canvas.scene().removeItem(item)


class PointPickTool(QgsMapToolEmitPoint):
    """Left click: emit ``picked(QgsPointXY, shift)``; ``shift`` says the shift key was down."""

    picked = pyqtSignal(QgsPointXY, bool)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def canvasReleaseEvent(self, event):
        if event.button() != Qt.MouseButton.LeftButton:
            return
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.picked.emit(QgsPointXY(self.toMapCoordinates(event.pos())), shift)


class PolylineTool(QgsMapTool):
    """Left clicks add vertices, a right click (or double click, or Enter) ends the line, Esc
    drops it; a shift-click (before drawing) picks an existing line feature instead.

    Emits ``line_finished(list of QgsPointXY)`` or ``feature_clicked(QgsPointXY)``. The line
    being drawn has the colour in ``colour``; it disappears when it is finished (the dock
    draws it from then on) or when the tool is deactivated.
    """

    line_finished = pyqtSignal(list)
    feature_clicked = pyqtSignal(QgsPointXY)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.vertices: List[QgsPointXY] = []
        self.band: Optional[QgsRubberBand] = None
        self.colour = LINE_COLOURS[0]

    def canvasPressEvent(self, event):
        point = QgsPointXY(self.toMapCoordinates(event.pos()))
        left = event.button() == Qt.MouseButton.LeftButton
        if left and not self.vertices and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.feature_clicked.emit(point)
        elif left:
            if self.band is None:
                self.band = line_band(self.canvas(), [], self.colour)
            self.vertices.append(point)
            self.band.addPoint(point, True)
            self.band.addPoint(point, True)  # the floating vertex that follows the mouse
        elif event.button() == Qt.MouseButton.RightButton:
            self.finish()

    def canvasDoubleClickEvent(self, event):
        self.finish()

    def canvasMoveEvent(self, event):
        if self.band is not None and self.vertices:
            self.band.movePoint(QgsPointXY(self.toMapCoordinates(event.pos())))

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Escape:
            self.clear_current()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()

    def finish(self) -> None:
        """End the line being drawn (needs two distinct vertices) and emit it."""
        vertices = [v for i, v in enumerate(self.vertices) if i == 0 or v != self.vertices[i - 1]]
        if len(vertices) < 2:
            return
        self.clear_current()
        self.line_finished.emit(vertices)

    def clear_current(self) -> None:
        remove_from_canvas(self.canvas(), self.band)
        self.band = None
        self.vertices = []

    def deactivate(self):
        self.clear_current()
        super().deactivate()
