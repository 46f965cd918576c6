"""Assemble the demo outputs into a styled QGIS project and render map images.

Used by ``scripts/demo_steps/90_project.py`` (the .qgz and map PNG) and
``scripts/screenshots.py`` (the docks with data). Layers that a demo run did not produce are
simply left out, so the project reflects whatever exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from qgis.core import (
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

from ..processing_provider.qgis_compat import GeometryType
from .layer_roles import Role, layer_role
from .styling import style_layer


@dataclass(frozen=True)
class LayerSpec:
    """A demo output: path relative to the demo folder, layer name, style kind, group."""

    path: str
    name: str
    kind: Optional[str]
    group: str
    visible: bool = False


# first existing wins within a "choice" (same name); order = drawing order, top first
DEMO_LAYERS: List[LayerSpec] = [
    LayerSpec(
        "profiles/affected_segments.gpkg",
        "Profile: affected segments",
        "affected",
        "Profiles",
        True,
    ),
    LayerSpec("profiles/profile_lines.gpkg", "Profile lines", "line", "Profiles", True),
    LayerSpec("drivers/bowls.gpkg", "Subsidence bowls", "outline", "Analysis", True),
    LayerSpec("scene/truth/panels.gpkg", "Longwall panels", "outline", "Mining", True),
    LayerSpec(
        "mining/pim_north_longwall_boundary.gpkg", "PIM basin boundary (10 mm)", "outline", "Mining"
    ),
    LayerSpec("mining/beyond_limit.tif", "Beyond what InSAR can measure", "limit_mask", "Mining"),
    LayerSpec(
        "mining/pim_north_longwall.tif", "PIM basin, North longwall (mm)", "displacement", "Mining"
    ),
    LayerSpec(
        "mining/planned_north_longwall.tif", "Planned final basin (mm)", "displacement", "Mining"
    ),
    LayerSpec("mining/onset.tif", "Onset of subsidence (year)", "years", "Mining"),
    LayerSpec("ps/ps_points.gpkg", "PS points (VEL mm/yr)", "velocity", "Points", True),
    LayerSpec("sbas/classes.tif", "Deformation classes", "classes", "SBAS"),
    LayerSpec("sbas/velocity_vertical.tif", "Vertical velocity (mm/yr)", "velocity", "SBAS", True),
    LayerSpec("sbas/velocity.tif", "LOS velocity (mm/yr)", "velocity", "SBAS"),
    LayerSpec("sbas/velocity_std.tif", "LOS velocity std (mm/yr)", None, "SBAS"),
    LayerSpec(
        "scene/truth/truth_velocity_vertical.tif",
        "Truth: vertical velocity (mm/yr)",
        "velocity",
        "Demo truth",
    ),
    LayerSpec("scene/truth/dem.tif", "DEM (m)", None, "Demo truth"),
]
EXTRA_FOLDERS = [
    ("interpolation", "Interpolation"),
    ("forecast", "Forecast"),
    ("drivers", "Analysis"),
    ("mining", "Mining"),
    ("crossval", "Cross-validation"),
]


LINE_STYLES = {"line": ("#222222", 0.6), "affected": ("#d7301f", 1.6)}


def style_line(layer: QgsVectorLayer, colour: str, width_mm: float) -> None:
    symbol = layer.renderer().symbol()
    symbol.setColor(QColor(colour))
    symbol.setWidth(width_mm)
    layer.triggerRepaint()


def _open(path: Path, name: str) -> Optional[QgsMapLayer]:
    if path.suffix.lower() in (".tif", ".tiff", ".vrt"):
        layer = QgsRasterLayer(str(path), name)
    else:
        layer = QgsVectorLayer(str(path), name, "ogr")
    return layer if layer.isValid() else None


def _kind_of(layer: QgsMapLayer) -> Optional[str]:
    """The style of a demo output that has no entry in DEMO_LAYERS, from its role."""
    role = layer_role(layer)
    if role == Role.CLASSES and isinstance(layer, QgsRasterLayer):
        return "classes"
    if role in (Role.VELOCITY, Role.RATE):
        return "velocity"
    if role == Role.DISPLACEMENT and isinstance(layer, QgsRasterLayer):
        return "displacement"
    if isinstance(layer, QgsVectorLayer) and layer.geometryType() == GeometryType.Polygon:
        return "outline"
    return None


def add_demo_layers(project: QgsProject, demo: Path) -> List[QgsMapLayer]:
    """Add every existing demo output to ``project`` in groups, styled; returns the layers."""
    demo = Path(demo)
    root = project.layerTreeRoot()
    groups = {}
    added: List[QgsMapLayer] = []
    seen = set()

    def group(name: str) -> QgsLayerTreeGroup:
        if name not in groups:
            groups[name] = root.findGroup(name) or root.addGroup(name)
        return groups[name]

    def add(path: Path, name: str, kind: Optional[str], group_name: str, visible: bool):
        if path.resolve() in seen or not path.is_file():
            return
        layer = _open(path, name)
        if layer is None:
            return
        seen.add(path.resolve())
        if kind in LINE_STYLES:
            style_line(layer, *LINE_STYLES[kind])
        elif kind:
            style_layer(layer, kind)
        project.addMapLayer(layer, False)
        node = group(group_name).addLayer(layer)
        node.setItemVisibilityChecked(visible)
        added.append(layer)

    for spec in DEMO_LAYERS:
        add(demo / spec.path, spec.name, spec.kind, spec.group, spec.visible)
    for folder, group_name in EXTRA_FOLDERS:
        for path in sorted((demo / folder).glob("*")) if (demo / folder).is_dir() else []:
            if path.suffix.lower() in (".tif", ".gpkg") and not path.name.startswith("."):
                layer = _open(path, path.stem)
                if layer is not None:
                    add(path, path.stem, _kind_of(layer), group_name, False)
    return added


def find_first(demo: Path, candidates: Sequence[str]) -> Optional[Path]:
    for relative in candidates:
        path = Path(demo) / relative
        if path.is_file():
            return path
    return None


def render_png(
    layers: Sequence[QgsMapLayer],
    extent: QgsRectangle,
    path: Path,
    size=(1200, 1000),
    crs=None,
    legend_layer: Optional[QgsRasterLayer] = None,
    title: str = "",
) -> Path:
    """Render ``layers`` (top first) over ``extent`` to a PNG, with the colour bar of
    ``legend_layer`` when given."""
    settings = QgsMapSettings()
    settings.setLayers(list(layers))
    settings.setBackgroundColor(QColor("white"))
    settings.setOutputSize(QSize(*size))
    if crs is not None:
        settings.setDestinationCrs(crs)
    elif layers:
        settings.setDestinationCrs(layers[-1].crs())
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    if legend_layer is not None:
        draw_ramp_legend(image, legend_layer, title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        raise OSError(f"{path}: the map image could not be written.")
    return path


def draw_ramp_legend(image, layer: QgsRasterLayer, title: str = "") -> None:
    """Paint a colour bar of a pseudo-colour raster's ramp (labels with units) and a title."""
    from qgis.PyQt.QtCore import QPointF, QRectF, Qt
    from qgis.PyQt.QtGui import QFont, QLinearGradient, QPainter

    renderer = layer.renderer()
    if not hasattr(renderer, "shader"):
        return
    items = renderer.shader().rasterShaderFunction().colorRampItemList()
    if len(items) < 2:
        return
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    width, height = image.width(), image.height()
    box = QRectF(width - 190, height - 345, 170, 325)
    painter.fillRect(box, QColor(255, 255, 255, 225))
    bar = QRectF(box.left() + 15, box.top() + 55, 28, box.height() - 70)
    gradient = QLinearGradient(QPointF(0, bar.bottom()), QPointF(0, bar.top()))
    low, high = items[0].value, items[-1].value
    for item in items:
        gradient.setColorAt((item.value - low) / (high - low), item.color)
    painter.fillRect(bar, gradient)
    painter.setPen(QColor("#333333"))
    painter.drawRect(bar)
    font = QFont()
    font.setPointSize(9)
    painter.setFont(font)
    for item in items[::2]:
        y = bar.bottom() - (item.value - low) / (high - low) * bar.height()
        painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 5, y))
        painter.drawText(QPointF(bar.right() + 9, y + 4), item.label)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(
        QRectF(box.left() + 8, box.top() + 6, box.width() - 16, 30),
        Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
        title or layer.name(),
    )
    painter.end()


def visible_layers(project: QgsProject) -> List[QgsMapLayer]:
    """Layers checked visible in the layer tree, in drawing order (top first)."""
    root = project.layerTreeRoot()
    return [
        node.layer() for node in root.findLayers() if node.isVisible() and node.layer() is not None
    ]
