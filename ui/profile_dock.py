"""Profile dock: rates along a drawn line (or a picked line feature) within a buffer.

Sources are the checked velocity rasters (band 1) and point layers of the project (points use
the ``VEL`` field unless another is chosen). Rasters are read and point layers turned into a
sorted :class:`~core.profile.PointIndex` once, in a background task, so later lines sample
instantly. The chart shows distance (km or degrees, paper 000) against rate: the samples
as dots, the binned mean with its +-1 std band, the threshold, the funnel minimum (triangle)
and the affected stretches (shaded). Several lines can be drawn; each keeps its colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsGeometry,
    QgsMapLayer,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import Qt, QVariant
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.analysis.profile import (
    PointIndex,
    Profile,
    ProfileOptions,
    make_profile,
    read_point_values,
    sample_points_along,
    sample_raster_along,
    write_profiles_csv,
)
from ..core.errors import InputError
from ..plugin.tasks import run_in_background
from .map_tools import LINE_COLOURS, PolylineTool
from .plotting import ItemPools, export_plot, require_pyqtgraph, save_via_dialog

AXES = ["Distance (km)", "Distance (degrees)"]


@dataclass
class LoadedSource:
    """A source ready to sample: raster data + grid, or a point index + values."""

    name: str
    crs: QgsCoordinateReferenceSystem
    data: Optional[np.ndarray] = None
    grid: object = None
    index: Optional[PointIndex] = None
    values: Optional[np.ndarray] = None


@dataclass
class ProfileLine:
    """One drawn or picked line (canvas CRS vertices) and its profiles."""

    name: str
    vertices: List[QgsPointXY]
    crs: QgsCoordinateReferenceSystem
    colour: str
    profiles: List[Profile] = field(default_factory=list)


def _ogr_path(layer: QgsVectorLayer):
    """(path, layer name) of an OGR-backed layer, else None."""
    if layer.providerType() != "ogr":
        return None
    parts = layer.source().split("|")
    layer_name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
    return parts[0], layer_name


def load_source(
    kind: str,
    name: str,
    crs: QgsCoordinateReferenceSystem,
    path: str,
    layer_name: Optional[str] = None,
    value_field: str = "VEL",
    progress=None,
) -> LoadedSource:
    """Read one source off the main thread (no QGIS objects touched but ``crs``)."""
    from ..core.io.geotiff import read_raster

    if kind == "raster":
        data, grid = read_raster(path)
        return LoadedSource(name, crs, data=data.astype(float), grid=grid)
    points = read_point_values(path, value_field, layer_name)
    return LoadedSource(name, crs, index=PointIndex(points.x, points.y), values=points.values)


def _load_all(requests, progress) -> List[LoadedSource]:
    from ..core.progress import report

    loaded = []
    for k, request in enumerate(requests):
        report(progress, k / max(1, len(requests)), f"Reading {request[1]}")
        loaded.append(load_source(*request))
    report(progress, 1.0, "Sources read")
    return loaded


def _memory_point_source(layer: QgsVectorLayer, value_field: str) -> LoadedSource:
    """Points of a non-file layer, read on the main thread (small memory layers)."""
    xs, ys, vs = [], [], []
    for feature in layer.getFeatures():
        geometry = feature.geometry()
        if geometry.isEmpty():
            continue
        point = geometry.asPoint()
        value = feature[value_field]
        xs.append(point.x())
        ys.append(point.y())
        vs.append(float(value) if isinstance(value, (int, float)) else np.nan)
    return LoadedSource(layer.name(), layer.crs(), index=PointIndex(xs, ys), values=np.array(vs))


def _long_gaps(valid: np.ndarray, shortest: int = 3) -> np.ndarray:
    """Empty bins in runs of at least ``shortest`` bins (drawn as gaps in the curve)."""
    empty = ~valid
    gaps = np.zeros_like(empty)
    start = None
    for i, is_empty in enumerate(np.r_[empty, False]):
        if is_empty and start is None:
            start = i
        elif not is_empty and start is not None:
            if i - start >= shortest:
                gaps[start:i] = True
            start = None
    return gaps


class ProfileDock(QDockWidget):
    """The profile dock; ``add_line`` is its entry point (tools and tests call it)."""

    def __init__(self, iface, parent=None):
        super().__init__("InSAR profiles", parent)
        self.setObjectName("InsarSubsidenceProfileDock")
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.pg = require_pyqtgraph()
        self.lines: List[ProfileLine] = []
        self.drawn_curves = {}  # profile name -> its binned-mean curve
        self.cache: Dict[str, LoadedSource] = {}
        self.pending_task = None
        self.tool = PolylineTool(self.canvas)
        self.tool.line_finished.connect(self.add_line)
        self.tool.feature_clicked.connect(self.pick_line_at)
        self._build()
        self.refresh_sources()
        QgsProject.instance().layersAdded.connect(self.refresh_sources)
        QgsProject.instance().layersRemoved.connect(self.refresh_sources)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        options = ProfileOptions()
        body = QWidget()
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        self.source_list = QListWidget()
        self.source_list.setMaximumHeight(80)
        self.source_list.setToolTip("Checked rasters (rates, mm/yr) and point layers are sampled")
        row.addWidget(self.source_list, 1)
        column = QVBoxLayout()
        self.field_combo = QComboBox()
        self.field_combo.setEditable(True)
        self.field_combo.addItem("VEL")
        self.field_combo.setToolTip("Rate field of point layers")
        column.addWidget(self.field_combo)
        self.axis_combo = QComboBox()
        self.axis_combo.addItems(AXES)
        self.axis_combo.currentIndexChanged.connect(self.redraw)
        column.addWidget(self.axis_combo)
        row.addLayout(column)
        layout.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(QLabel("Buffer"))
        self.buffer = QDoubleSpinBox()
        self.buffer.setRange(0.1, 100_000.0)
        self.buffer.setValue(options.buffer_m)
        self.buffer.setSuffix(" m")
        self.buffer.setToolTip("Half-width of the corridor sampled around the line")
        row.addWidget(self.buffer)
        row.addWidget(QLabel("Threshold"))
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-10_000.0, 10_000.0)
        self.threshold.setValue(options.threshold_mm_yr)
        self.threshold.setSuffix(" mm/yr")
        self.threshold.setToolTip("Rates below this count as affected (width, affected length)")
        row.addWidget(self.threshold)
        row.addWidget(QLabel("Bin"))
        self.bin = QDoubleSpinBox()
        self.bin.setRange(0.0, 100_000.0)
        self.bin.setValue(options.bin_m)
        self.bin.setSuffix(" m")
        self.bin.setSpecialValueText("auto")
        self.bin.setToolTip("Spacing of the binned profile; auto = pixel size or buffer")
        row.addWidget(self.bin)
        layout.addLayout(row)

        row = QHBoxLayout()
        self.draw_button = QPushButton("Draw line")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(
            "Left clicks add vertices, right click ends the line; shift-click picks a line feature"
        )
        self.draw_button.toggled.connect(self._toggle_tool)
        row.addWidget(self.draw_button)
        pick = QPushButton("Selected line")
        pick.setToolTip("Profile along the selected feature(s) of the active line layer")
        pick.clicked.connect(self.use_selected_features)
        row.addWidget(pick)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        for text, kind in (("CSV…", "csv"), ("Image…", "image"), ("Save lines…", "lines")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=kind: self._export_dialog(k))
            row.addWidget(button)
        layout.addLayout(row)

        pg = self.pg
        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "Rate (mm/yr)")
        self.plot.setLabel("bottom", AXES[0])
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(10, -10))  # bowls leave the corners free
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 210))
        self.plot.setMinimumHeight(220)
        self.pools = ItemPools(self.plot)
        self.pools.register("scatter", lambda: pg.ScatterPlotItem(size=3, pen=None))
        self.pools.register("curve", pg.PlotDataItem)
        self.pools.register(
            "fill", lambda: pg.FillBetweenItem(pg.PlotDataItem(), pg.PlotDataItem())
        )
        self.threshold_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#555555", style=Qt.DashLine))
        self.plot.addItem(self.threshold_line)
        layout.addWidget(self.plot, 1)
        self.metrics_label = QLabel("Draw a line across a subsidence bowl.")
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.metrics_label)
        self.setWidget(body)
        for spin in (self.buffer, self.threshold, self.bin):
            spin.valueChanged.connect(self.compute_all)
        self.field_combo.currentTextChanged.connect(self.update_profiles)
        self.source_list.itemChanged.connect(self.update_profiles)

    # ------------------------------------------------------------------ sources
    def refresh_sources(self, *_args) -> None:
        checked = {
            self.source_list.item(i).data(Qt.UserRole)
            for i in range(self.source_list.count())
            if self.source_list.item(i).checkState() == Qt.Checked
        }
        known = {
            self.source_list.item(i).data(Qt.UserRole) for i in range(self.source_list.count())
        }
        self.source_list.blockSignals(True)
        self.source_list.clear()
        for layer in QgsProject.instance().mapLayers().values():
            usable = isinstance(layer, QgsRasterLayer) or (
                isinstance(layer, QgsVectorLayer)
                and layer.geometryType() == QgsWkbTypes.PointGeometry
            )
            if not usable:
                continue
            item = QListWidgetItem(layer.name())
            item.setData(Qt.UserRole, layer.id())
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            default_on = self._looks_like_rate(layer)
            on = layer.id() in checked or (layer.id() not in known and default_on)
            item.setCheckState(Qt.Checked if on else Qt.Unchecked)
            self.source_list.addItem(item)
        self.source_list.blockSignals(False)

    @staticmethod
    def _looks_like_rate(layer: QgsMapLayer) -> bool:
        if isinstance(layer, QgsVectorLayer):
            return layer.fields().indexOf("VEL") >= 0
        name = layer.name().lower()
        return ("velocity" in name or "rate" in name) and "std" not in name

    def set_checked(self, layers: List[QgsMapLayer]) -> None:
        """Check exactly these layers as sources."""
        ids = {layer.id() for layer in layers}
        self.source_list.blockSignals(True)
        for i in range(self.source_list.count()):
            item = self.source_list.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in ids else Qt.Unchecked)
        self.source_list.blockSignals(False)
        if self.lines:
            self.update_profiles()

    def checked_layers(self) -> List[QgsMapLayer]:
        project = QgsProject.instance()
        return [
            project.mapLayer(self.source_list.item(i).data(Qt.UserRole))
            for i in range(self.source_list.count())
            if self.source_list.item(i).checkState() == Qt.Checked
        ]

    def _cache_key(self, layer: QgsMapLayer) -> str:
        suffix = "" if isinstance(layer, QgsRasterLayer) else "|" + self.field_combo.currentText()
        return layer.id() + suffix

    # ------------------------------------------------------------------ lines
    def add_line(
        self,
        vertices: List[QgsPointXY],
        name: Optional[str] = None,
        crs: Optional[QgsCoordinateReferenceSystem] = None,
    ) -> ProfileLine:
        """Profile every checked source along ``vertices`` (canvas CRS unless ``crs``).

        Sources not read yet are loaded in a background task first (``pending_task``).
        """
        line = ProfileLine(
            name or f"L{len(self.lines) + 1}",
            list(vertices),
            crs or self.canvas.mapSettings().destinationCrs(),
            LINE_COLOURS[len(self.lines) % len(LINE_COLOURS)],
        )
        self.lines.append(line)
        self.update_profiles()
        return line

    def update_profiles(self, *_args) -> None:
        """Load the checked sources not read yet (background task), then recompute."""
        layers = [layer for layer in self.checked_layers() if layer is not None]
        if not layers:
            self.metrics_label.setText("Check at least one velocity raster or point layer.")
            return
        requests, missing_keys = [], []
        value_field = self.field_combo.currentText()
        for layer in layers:
            key = self._cache_key(layer)
            if key in self.cache:
                continue
            if isinstance(layer, QgsRasterLayer):
                requests.append(("raster", layer.name(), layer.crs(), layer.source()))
            elif _ogr_path(layer) is not None:
                path, layer_name = _ogr_path(layer)
                requests.append(
                    ("points", layer.name(), layer.crs(), path, layer_name, value_field)
                )
            else:
                self.cache[key] = _memory_point_source(layer, value_field)
                continue
            missing_keys.append(key)
        if not requests:
            self.compute_all()
            return
        if self.pending_task is not None:
            return  # the running task recomputes when it ends
        self.metrics_label.setText("Reading the sources in the background…")

        def store(loaded, keys=missing_keys):
            self.pending_task = None
            self.cache.update(dict(zip(keys, loaded, strict=True)))
            self.update_profiles()

        def failed(error):
            self.pending_task = None
            self.metrics_label.setText(f"Could not read a source: {error}")

        self.pending_task = run_in_background(
            "Reading profile sources", _load_all, requests, on_done=store, on_error=failed
        )

    def use_selected_features(self) -> int:
        """Add a profile for each selected feature of the active line layer."""
        layer = self.iface.activeLayer()
        if not (
            isinstance(layer, QgsVectorLayer) and layer.geometryType() == QgsWkbTypes.LineGeometry
        ):
            self.metrics_label.setText("Select line feature(s) in the active line layer.")
            return 0
        count = 0
        for feature in layer.selectedFeatures() or layer.getFeatures():
            geometry = feature.geometry()
            parts = (
                geometry.asMultiPolyline() if geometry.isMultipart() else [geometry.asPolyline()]
            )
            for part in parts:
                if len(part) >= 2:
                    self.add_line([QgsPointXY(p) for p in part], crs=layer.crs())
                    count += 1
            if not layer.selectedFeatureCount():
                break  # nothing selected: the first feature only
        return count

    def pick_line_at(self, point: QgsPointXY, tolerance_px: float = 6.0) -> Optional[ProfileLine]:
        """Profile the line feature nearest to a canvas point (within a few pixels)."""
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        best = None
        for layer in QgsProject.instance().mapLayers().values():
            if not (
                isinstance(layer, QgsVectorLayer)
                and layer.geometryType() == QgsWkbTypes.LineGeometry
            ):
                continue
            transform = QgsCoordinateTransform(canvas_crs, layer.crs(), QgsProject.instance())
            local = transform.transform(point)
            reach = tolerance_px * self.canvas.mapUnitsPerPixel()
            if layer.crs().isValid() and canvas_crs.isValid() and layer.crs() != canvas_crs:
                edge = transform.transform(QgsPointXY(point.x() + reach, point.y()))
                reach = max(abs(edge.x() - local.x()), abs(edge.y() - local.y()))
            area = QgsRectangle(
                local.x() - reach, local.y() - reach, local.x() + reach, local.y() + reach
            )
            probe = QgsGeometry.fromPointXY(local)
            for feature in layer.getFeatures(QgsFeatureRequest().setFilterRect(area)):
                distance = feature.geometry().distance(probe)
                if distance <= reach and (best is None or distance < best[0]):
                    best = (distance, layer, feature)
        if best is None:
            self.metrics_label.setText("No line feature under the click (shift-click a line).")
            return None
        _, layer, feature = best
        geometry = feature.geometry()
        parts = geometry.asMultiPolyline() if geometry.isMultipart() else [geometry.asPolyline()]
        part = max(parts, key=len)
        return self.add_line([QgsPointXY(p) for p in part], crs=layer.crs())

    def _line_in(self, line: ProfileLine, crs: QgsCoordinateReferenceSystem) -> np.ndarray:
        points = line.vertices
        if crs.isValid() and line.crs.isValid() and crs != line.crs:
            transform = QgsCoordinateTransform(line.crs, crs, QgsProject.instance())
            points = [transform.transform(p) for p in points]
        return np.array([(p.x(), p.y()) for p in points], dtype=float)

    def compute_all(self) -> None:
        """(Re)compute every line's profiles from the cached sources and redraw."""
        options = ProfileOptions(self.buffer.value(), self.threshold.value(), self.bin.value())
        layers = [layer for layer in self.checked_layers() if layer is not None]
        for line in self.lines:
            line.profiles = []
            for layer in layers:
                source = self.cache.get(self._cache_key(layer))
                if source is None:
                    continue
                try:
                    line.profiles.append(self._profile(line, source, options))
                except InputError as exc:
                    self.metrics_label.setText(str(exc))
        self.redraw()

    def _profile(self, line: ProfileLine, source: LoadedSource, options: ProfileOptions) -> Profile:
        xy = self._line_in(line, source.crs)
        authid = source.crs.authid()
        epsg = int(authid.split(":")[1]) if authid.upper().startswith("EPSG:") else None
        wkt = None if epsg else (source.crs.toWkt() or None)
        if source.data is not None:
            samples = sample_raster_along(source.data, source.grid, xy, options.buffer_m)
            size, kind = options.bin_m or abs(source.grid.x_step), "raster"
        else:
            samples = sample_points_along(source.index, source.values, xy, options.buffer_m)
            size, kind = options.bin_m or options.buffer_m, "points"
        return make_profile(
            f"{line.name} {source.name}",
            samples,
            xy,
            size,
            options.threshold_mm_yr,
            epsg=epsg,
            wkt=wkt,
            kind=kind,
        )

    # ------------------------------------------------------------------ drawing
    def _x(self, profile: Profile, distance_m: np.ndarray) -> np.ndarray:
        if self.axis_combo.currentIndex() == 1 and profile.degrees is not None:
            return np.interp(distance_m, profile.binned.centre_m, profile.degrees)
        return np.asarray(distance_m, float) / 1000.0

    def redraw(self) -> None:
        self.pools.begin()
        self.drawn_curves = {}
        self.legend.clear()
        self.threshold_line.setValue(self.threshold.value())
        texts = []
        minima = [p.metrics.minimum for p in self.profiles() if np.isfinite(p.metrics.minimum)]
        depth = max([10.0] + [abs(self.threshold.value() - v) for v in minima])
        k = 0
        for line in self.lines:
            for profile in line.profiles:
                colour = QColor(
                    LINE_COLOURS[k % len(LINE_COLOURS)] if len(line.profiles) > 1 else line.colour
                )
                # affected bars stacked just below the threshold, one row per profile
                bar_y = self.threshold.value() - (k + 0.6) * 0.03 * depth
                self._draw_profile(profile, colour, bar_y)
                k += 1
                m = profile.metrics
                texts.append(
                    f"<b>{profile.name}</b>: {profile.samples.values.size} samples, "
                    f"min {m.minimum:.1f} mm/yr at {m.minimum_at_m / 1000:.2f} km; "
                    f"width below {m.threshold:g}: {m.width_m / 1000:.2f} km; affected "
                    f"{m.affected_length_m / 1000:.2f} of {m.line_length_m / 1000:.2f} km"
                )
        self.pools.end()
        self.plot.setLabel("bottom", AXES[self.axis_combo.currentIndex()])
        self.plot.enableAutoRange()
        if texts:
            self.metrics_label.setText("<br>".join(texts))

    def _draw_profile(self, profile: Profile, colour: QColor, bar_y: float) -> None:
        pg = self.pg
        b, m = profile.binned, profile.metrics
        valid = b.count > 0
        faint = QColor(colour)
        faint.setAlpha(70)
        scatter = self.pools.take("scatter")
        scatter.setData(
            self._x(profile, profile.samples.distance_m),
            profile.samples.values,
            brush=pg.mkBrush(faint),
            pen=None,
            size=3,
        )
        x = self._x(profile, b.centre_m[valid])
        band = self.pools.take("fill")
        band.curves[0].setData(x, (b.mean - b.std)[valid])
        band.curves[1].setData(x, (b.mean + b.std)[valid])
        band_colour = QColor(colour)
        band_colour.setAlpha(45)
        band.setBrush(pg.mkBrush(band_colour))
        band.setPen(pg.mkPen(None))
        curve = self.pools.take("curve")
        # raster profiles keep masked stretches open; sparse point profiles are bridged
        shown = valid | _long_gaps(valid) if profile.kind == "raster" else valid
        curve.setData(
            self._x(profile, b.centre_m[shown]),
            b.mean[shown],
            connect="finite",
            pen=pg.mkPen(colour, width=2),
            symbol=None,
        )
        self.drawn_curves[profile.name] = curve
        self.legend.addItem(curve, profile.name)
        if np.isfinite(m.minimum):
            marker = self.pools.take("curve")
            marker.setData(
                self._x(profile, [m.minimum_at_m]),
                [m.minimum],
                pen=None,
                symbol="t",
                symbolSize=12,
                symbolBrush=colour,
                symbolPen="k",
            )
        if m.affected:
            ends = self._x(profile, np.ravel(m.affected))
            bars = self.pools.take("curve")
            bars.setData(
                ends,
                np.full(ends.size, bar_y),
                connect="pairs",
                symbol=None,
                pen=pg.mkPen(colour, width=5),
            )

    # ------------------------------------------------------------------ housekeeping
    def clear(self) -> None:
        self.lines = []
        self.tool.remove_bands()
        self.redraw()
        self.metrics_label.setText("Draw a line across a subsidence bowl.")

    def _toggle_tool(self, on: bool) -> None:
        if on:
            self.canvas.setMapTool(self.tool)
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    def activate_tool(self) -> None:
        self.draw_button.setChecked(True)

    def profiles(self) -> List[Profile]:
        return [p for line in self.lines for p in line.profiles]

    # ------------------------------------------------------------------ export
    def export_csv(self, path) -> Path:
        return write_profiles_csv(path, self.profiles())

    def export_image(self, path) -> Path:
        return export_plot(self.plot, path)

    def lines_layer(self) -> QgsVectorLayer:
        """A memory layer with the lines and their metrics (canvas CRS)."""
        crs = self.canvas.mapSettings().destinationCrs()
        layer = QgsVectorLayer(f"LineString?crs={crs.authid()}", "profile lines", "memory")
        provider = layer.dataProvider()
        provider.addAttributes(
            [
                QgsField("name", QVariant.String),
                QgsField("source", QVariant.String),
                QgsField("length_m", QVariant.Double),
                QgsField("min_rate", QVariant.Double),
                QgsField("min_at_m", QVariant.Double),
                QgsField("width_m", QVariant.Double),
                QgsField("affected_m", QVariant.Double),
            ]
        )
        layer.updateFields()
        features = []
        for line in self.lines:
            vertices = line.vertices
            if line.crs.isValid() and crs.isValid() and line.crs != crs:
                transform = QgsCoordinateTransform(line.crs, crs, QgsProject.instance())
                vertices = [transform.transform(p) for p in vertices]
            for profile in line.profiles or [None]:
                feature = QgsFeature(layer.fields())
                feature.setGeometry(QgsGeometry.fromPolylineXY(vertices))
                m = profile.metrics if profile else None
                feature.setAttributes(
                    [
                        line.name,
                        profile.name if profile else "",
                        m.line_length_m if m else None,
                        m.minimum if m else None,
                        m.minimum_at_m if m else None,
                        m.width_m if m else None,
                        m.affected_length_m if m else None,
                    ]
                )
                features.append(feature)
        provider.addFeatures(features)
        layer.updateExtents()
        return layer

    def save_lines(self, path: Optional[str] = None) -> QgsVectorLayer:
        """Add the lines to the project (memory layer), or write them to ``path`` (GPKG)."""
        layer = self.lines_layer()
        if path:
            options = QgsVectorFileWriter.SaveVectorOptions()
            options.driverName = "GPKG"
            options.layerName = "profile_lines"
            error = QgsVectorFileWriter.writeAsVectorFormatV3(
                layer, str(path), QgsProject.instance().transformContext(), options
            )
            if error[0] != QgsVectorFileWriter.NoError:
                raise OSError(f"{path}: {error[1]}")
            layer = QgsVectorLayer(str(path), "profile lines", "ogr")
        QgsProject.instance().addMapLayer(layer)
        return layer

    def _export_dialog(self, kind: str) -> None:
        if kind == "csv":
            save_via_dialog(self, "Export profiles", "profiles.csv", "CSV (*.csv)", self.export_csv)
        elif kind == "image":
            save_via_dialog(
                self, "Export chart", "profiles.png", "PNG (*.png);;SVG (*.svg)", self.export_image
            )
        else:
            save_via_dialog(
                self, "Save lines", "profile_lines.gpkg", "GeoPackage (*.gpkg)", self.save_lines
            )

    def unload(self) -> None:
        if self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        self.tool.remove_bands()
        for signal in (QgsProject.instance().layersAdded, QgsProject.instance().layersRemoved):
            try:
                signal.disconnect(self.refresh_sources)
            except TypeError:
                pass
