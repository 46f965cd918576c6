"""Simulated mouse events through the map tools (QgsMapMouseEvent on the test canvas)."""

from __future__ import annotations

from qgis.core import QgsPointXY
from qgis.gui import QgsMapMouseEvent
from qgis.PyQt.QtCore import QEvent, QPoint, Qt


def screen_point(canvas, x: float, y: float) -> QPoint:
    pixel = canvas.getCoordinateTransform().transform(QgsPointXY(x, y))
    return QPoint(int(round(pixel.x())), int(round(pixel.y())))


def click(
    tool,
    canvas,
    x: float,
    y: float,
    button=Qt.LeftButton,
    modifiers=Qt.NoModifier,
    kind=QEvent.MouseButtonRelease,
) -> None:
    event = QgsMapMouseEvent(canvas, kind, screen_point(canvas, x, y), button, button, modifiers)
    handler = {
        QEvent.MouseButtonRelease: tool.canvasReleaseEvent,
        QEvent.MouseButtonPress: tool.canvasPressEvent,
        QEvent.MouseMove: tool.canvasMoveEvent,
    }[kind]
    handler(event)


def draw_line(tool, canvas, vertices) -> None:
    """Left-press each vertex, move the mouse, right-press to finish."""
    for x, y in vertices:
        click(tool, canvas, x, y, kind=QEvent.MouseMove)
        click(tool, canvas, x, y, kind=QEvent.MouseButtonPress)
    click(tool, canvas, *vertices[-1], button=Qt.RightButton, kind=QEvent.MouseButtonPress)


def prepare_canvas(canvas, layer, size=(600, 600)) -> None:
    """Show the canvas at ``size`` (its map settings follow only a shown widget's size) and
    zoom to ``layer`` in the layer's CRS."""
    from qgis.PyQt.QtCore import QCoreApplication

    canvas.setDestinationCrs(layer.crs())
    window = canvas.window()
    if window is not canvas:  # pytest-qgis parents the canvas: size the window first
        window.resize(size[0] + 50, size[1] + 50)
        window.show()
    canvas.resize(*size)
    canvas.show()
    QCoreApplication.processEvents()
    canvas.setExtent(layer.extent())
    QCoreApplication.processEvents()
    assert canvas.mapSettings().outputSize() == canvas.viewport().size()
