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
    QgsReferencedRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

from .styling import style_layer


@dataclass(frozen=True)
class LayerSpec:
    """A demo output: path relative to the demo folder, layer name, style kind, group."""

    path: str
    name: str
    kind: Optional[str]
    group: str
    visible: bool = False


# drawing order, top first: lines and outlines over points over rasters, the map the analyst
# came for (vertical velocity) visible, checks and truth below, hidden
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
    LayerSpec("mining/pim_north_longwall.tif", "PIM basin, North longwall (mm)", "basin", "Mining"),
    LayerSpec("mining/planned_north_longwall.tif", "Planned final basin (mm)", "basin", "Mining"),
    LayerSpec("mining/onset.tif", "Onset of subsidence (year)", "years", "Mining"),
    LayerSpec("ps/ps_points.gpkg", "PS points (VEL mm/yr)", "velocity", "Points", True),
    LayerSpec("sbas/reference_points.gpkg", "SBAS reference areas", "points", "SBAS", True),
    LayerSpec("sbas/classes.tif", "Deformation classes", "classes", "SBAS"),
    LayerSpec("sbas/velocity_vertical.tif", "Vertical velocity (mm/yr)", "velocity", "SBAS", True),
    LayerSpec("sbas/velocity.tif", "LOS velocity (mm/yr)", "velocity", "SBAS"),
    LayerSpec("sbas/velocity_std.tif", "LOS velocity std (mm/yr)", "sequential", "SBAS"),
    LayerSpec(
        "sbas/cumulative_displacement.tif",
        "Cumulative LOS displacement (mm)",
        "displacement",
        "SBAS checks",
    ),
    LayerSpec("sbas/temporal_coherence.tif", "Temporal coherence", "coherence", "SBAS checks"),
    LayerSpec("sbas/loop_closure.tif", "Broken triplets per pixel", "count", "SBAS checks"),
    LayerSpec(
        "sbas/network_coherence.tif", "Mean coherence of the kept pairs", "coherence", "SBAS checks"
    ),
    LayerSpec(
        "scene/truth/truth_velocity_vertical.tif",
        "Truth: vertical velocity (mm/yr)",
        "velocity",
        "Demo truth",
    ),
    LayerSpec("scene/truth/dem.tif", "DEM (m)", "sequential", "Demo truth"),
]
#: other outputs, by folder, into these groups
EXTRA_FOLDERS = [
    ("interpolation", "Interpolation"),
    ("forecast", "Forecast"),
    ("drivers", "Analysis"),
    ("mining", "Mining"),
    ("crossval", "Cross-validation"),
]
#: the groups from top to bottom
GROUP_ORDER = [
    "Profiles",
    "Analysis",
    "Mining",
    "Points",
    "SBAS",
    "Interpolation",
    "Forecast",
    "Cross-validation",
    "SBAS checks",
    "Demo truth",
]


def _open(path: Path, name: str) -> Optional[QgsMapLayer]:
    if path.suffix.lower() in (".tif", ".tiff", ".vrt"):
        layer = QgsRasterLayer(str(path), name)
    else:
        layer = QgsVectorLayer(str(path), name, "ogr")
    return layer if layer.isValid() else None


def add_demo_layers(project: QgsProject, demo: Path) -> List[QgsMapLayer]:
    """Add every existing demo output to ``project`` in groups, styled; returns the layers."""
    demo = Path(demo)
    root = project.layerTreeRoot()
    groups = {}
    added: List[QgsMapLayer] = []
    seen = set()

    def group(name: str) -> QgsLayerTreeGroup:
        if name not in groups:
            found = root.findGroup(name)
            if found is None:
                below = [g for g in GROUP_ORDER[GROUP_ORDER.index(name) + 1 :] if g in groups]
                at = root.children().index(groups[below[0]]) if below else len(root.children())
                found = root.insertGroup(at, name)
            groups[name] = found
        return groups[name]

    def add(path: Path, name: str, kind: Optional[str], group_name: str, visible: bool):
        if path.resolve() in seen or not path.is_file():
            return
        layer = _open(path, name)
        if layer is None:
            return
        seen.add(path.resolve())
        style_layer(layer, kind or "auto")
        project.addMapLayer(layer, False)
        node = group(group_name).addLayer(layer)
        node.setItemVisibilityChecked(visible)
        added.append(layer)

    for spec in DEMO_LAYERS:
        add(demo / spec.path, spec.name, spec.kind, spec.group, spec.visible)
    for folder, group_name in EXTRA_FOLDERS:
        for path in sorted((demo / folder).glob("*")) if (demo / folder).is_dir() else []:
            if path.suffix.lower() in (".tif", ".gpkg") and not path.name.startswith("."):
                add(path, path.stem, "auto", group_name, False)
    return added


def write_project(project: QgsProject, path: Path, extent: QgsRectangle, crs) -> Path:
    """Write ``project`` so that it opens on ``extent`` (in ``crs``): the project CRS, the default
    view extent and the state of a map canvas (extent and scale, as QGIS saves them from its
    main canvas) go into the file."""
    from qgis.gui import QgsMapCanvas

    project.setCrs(crs)
    view = QgsReferencedRectangle(extent, crs)
    project.viewSettings().setDefaultViewExtent(view)
    canvas = QgsMapCanvas()  # writes its <mapcanvas> element when the project is written
    canvas.setObjectName("theMapCanvas")  # the name QGIS's main canvas reads back
    canvas.resize(1200, 900)
    canvas.setDestinationCrs(crs)
    canvas.setLayers(visible_layers(project))
    canvas.setExtent(extent)
    try:
        if not project.write(str(path)):
            raise OSError(f"{path}: the project could not be written ({project.error()}).")
    finally:
        canvas.deleteLater()
    return Path(path)


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
