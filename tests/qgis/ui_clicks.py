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
    button=Qt.MouseButton.LeftButton,
    modifiers=Qt.KeyboardModifier.NoModifier,
    kind=QEvent.Type.MouseButtonRelease,
) -> None:
    event = QgsMapMouseEvent(canvas, kind, screen_point(canvas, x, y), button, button, modifiers)
    handler = {
        QEvent.Type.MouseButtonRelease: tool.canvasReleaseEvent,
        QEvent.Type.MouseButtonPress: tool.canvasPressEvent,
        QEvent.Type.MouseMove: tool.canvasMoveEvent,
    }[kind]
    handler(event)


def draw_line(tool, canvas, vertices) -> None:
    """Left-press each vertex, move the mouse, right-press to finish."""
    for x, y in vertices:
        click(tool, canvas, x, y, kind=QEvent.Type.MouseMove)
        click(tool, canvas, x, y, kind=QEvent.Type.MouseButtonPress)
    click(
        tool,
        canvas,
        *vertices[-1],
        button=Qt.MouseButton.RightButton,
        kind=QEvent.Type.MouseButtonPress,
    )


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


def press(button) -> None:
    """A real left click on a Qt button (QTest), as the user gives it; the button's window
    must be shown."""
    from qgis.PyQt.QtTest import QTest

    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def on_canvas(canvas, item) -> bool:
    """Whether a canvas item (rubber band, marker) is drawn in the canvas scene."""
    return any(other is item for other in canvas.scene().items())
