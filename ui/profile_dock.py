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
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsMapLayer,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QComboBox,
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
from ..plugin.bridge import (
    epsg_and_wkt,
    is_line_layer,
    is_point_layer,
    layer_file,
    line_parts,
    point_arrays,
    to_crs,
)
from ..plugin.layer_roles import Role, axis_direction, layer_direction, layer_role
from ..plugin.tasks import run_in_background
from ..processing_provider.qgis_compat import attribute_field
from .dock import MapToolDock
from .map_tools import LINE_COLOURS, PolylineTool, line_band, remove_from_canvas
from .plotting import ItemPools

AXES = ["Distance (km)", "Distance (degrees)"]
# one line = one colour (on the map and in the chart); its sources differ by dash pattern
SOURCE_STYLES = [
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
]
ROLE_ORDER = [
    Role.VELOCITY,
    Role.RATE,
    Role.DISPLACEMENT,
    Role.UNCERTAINTY,
    Role.CLASSES,
    Role.OTHER,
]
MINIMUM_SYMBOLS = ["t", "d", "s", "o"]
CHECKED = Qt.CheckState.Checked
UNCHECKED = Qt.CheckState.Unchecked
LAYER_ID = Qt.ItemDataRole.UserRole


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
    """One drawn or picked line (vertices in ``crs``), its profiles and its band on the map."""

    name: str
    vertices: List[QgsPointXY]
    crs: QgsCoordinateReferenceSystem
    colour: str
    profiles: List[Profile] = field(default_factory=list)
    band: object = None


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


def _points_through_qgis(layer: QgsVectorLayer, value_field: str) -> LoadedSource:
    """Points of a layer that is not a whole file (memory, filtered), read on the main thread."""
    arrays = point_arrays(layer, [value_field])
    return LoadedSource(
        layer.name(),
        layer.crs(),
        index=PointIndex(arrays.x, arrays.y),
        values=arrays.values[value_field],
    )


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


def _is_visible(layer: QgsMapLayer) -> bool:
    node = QgsProject.instance().layerTreeRoot().findLayer(layer.id())
    return node is not None and node.isVisible()


class ProfileDock(MapToolDock):
    """The profile dock; ``add_line`` is its entry point (tools and tests call it)."""

    def __init__(self, iface, parent=None):
        super().__init__(iface, "InSAR profiles", "InsarSubsidenceProfileDock", parent)
        self.lines: List[ProfileLine] = []
        self.drawn_curves = {}  # profile name -> its binned-mean curve
        self.cache: Dict[str, LoadedSource] = {}
        self.pending_task = None
        tool = PolylineTool(self.canvas)
        tool.line_finished.connect(self.add_line)
        tool.feature_clicked.connect(self.pick_line_at)
        self._build(tool)
        self.refresh_sources()
        self.listen_to_project(after_tree=True)  # the defaults depend on visibility
        self.listen(self.canvas.destinationCrsChanged, self._draw_lines_on_map)

    # ------------------------------------------------------------------ widgets
    def _build(self, tool) -> None:
        options = ProfileOptions()
        body = QWidget()
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        self.source_list = QListWidget()
        self.source_list.setMaximumHeight(80)
        self.source_list.setToolTip(
            "Sampled sources: velocity layers shown on the map are ticked when they appear; "
            "tick others (rasters of rates in mm/yr, point layers with the rate field)"
        )
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
        row.addWidget(
            self.tool_button(
                tool,
                "Draw line",
                "Left clicks add vertices, right click ends the line; shift-click picks a line "
                "feature. Lines stay on the map until Clear.",
            )
        )
        pick = QPushButton("Selected line")
        pick.setToolTip("Profile along the selected feature(s) of the active line layer")
        pick.clicked.connect(self.use_selected_features)
        row.addWidget(pick)
        clear = QPushButton("Clear")
        clear.setToolTip("Remove the lines from the chart and the map")
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        for button in self.chart_export_buttons("profiles"):
            row.addWidget(button)
        row.addWidget(
            self.export_button(
                "Save lines…",
                "Save the lines and their metrics as a GeoPackage layer",
                "Save lines",
                "profile_lines.gpkg",
                "GeoPackage (*.gpkg)",
                self.save_lines,
            )
        )
        layout.addLayout(row)

        pg = self.pg
        chart = self.make_chart()
        self.plot.setLabel("bottom", AXES[0])
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        chart.widget.setMinimumHeight(260)
        self.pools = ItemPools(self.plot)
        self.pools.register("scatter", lambda: pg.ScatterPlotItem(size=3, pen=None))
        self.pools.register("curve", pg.PlotDataItem)
        self.pools.register(
            "fill", lambda: pg.FillBetweenItem(pg.PlotDataItem(), pg.PlotDataItem())
        )
        self.threshold_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen("#555555", style=Qt.PenStyle.DashLine)
        )
        self.plot.addItem(self.threshold_line)
        layout.addWidget(chart.widget, 1)
        self.metrics_label = QLabel("Draw a line across a subsidence bowl.")
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.metrics_label)
        self.setWidget(body)
        for spin in (self.buffer, self.threshold, self.bin):
            spin.valueChanged.connect(self.compute_all)
        self.field_combo.currentTextChanged.connect(self.update_profiles)
        self.source_list.itemChanged.connect(self.update_profiles)
        self._label_axes()

    # ------------------------------------------------------------------ sources
    def _items(self) -> List[QListWidgetItem]:
        return [self.source_list.item(i) for i in range(self.source_list.count())]

    def refresh_sources(self, *_args) -> None:
        """List the project's rasters and point layers, velocity layers first. A layer ticks
        itself when it first appears if it is a velocity layer shown on the map; the user's
        ticks are kept."""
        checked = {item.data(LAYER_ID) for item in self._items() if item.checkState() == CHECKED}
        known = {item.data(LAYER_ID) for item in self._items()}
        usable = [
            (layer, layer_role(layer))
            for layer in QgsProject.instance().mapLayers().values()
            if isinstance(layer, QgsRasterLayer) or is_point_layer(layer)
        ]
        usable.sort(  # velocity first, rasters before points: a line's first curve is solid
            key=lambda pair: (
                ROLE_ORDER.index(pair[1]),
                not isinstance(pair[0], QgsRasterLayer),
                pair[0].name().lower(),
            )
        )
        self.source_list.blockSignals(True)
        self.source_list.clear()
        for layer, role in usable:
            item = QListWidgetItem(layer.name())
            item.setData(LAYER_ID, layer.id())
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setToolTip(f"{role.label}, {layer_direction(layer).label}")
            if layer.id() in known:
                on = layer.id() in checked
            else:
                on = role == Role.VELOCITY and _is_visible(layer)
            item.setCheckState(CHECKED if on else UNCHECKED)
            self.source_list.addItem(item)
        self.source_list.blockSignals(False)
        self._label_axes()

    def set_checked(self, layers: List[QgsMapLayer]) -> None:
        """Check exactly these layers as sources."""
        ids = {layer.id() for layer in layers}
        self.source_list.blockSignals(True)
        for item in self._items():
            item.setCheckState(CHECKED if item.data(LAYER_ID) in ids else UNCHECKED)
        self.source_list.blockSignals(False)
        if self.lines:
            self.update_profiles()

    def checked_layers(self) -> List[QgsMapLayer]:
        project = QgsProject.instance()
        return [
            project.mapLayer(item.data(LAYER_ID))
            for item in self._items()
            if item.checkState() == CHECKED
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
        """Profile every checked source along ``vertices`` (canvas CRS unless ``crs``); the
        line stays drawn on the map until :meth:`clear`.

        Sources not read yet are loaded in a background task first (``pending_task``).
        """
        line = ProfileLine(
            name or f"L{len(self.lines) + 1}",
            list(vertices),
            crs or self.canvas.mapSettings().destinationCrs(),
            LINE_COLOURS[len(self.lines) % len(LINE_COLOURS)],
        )
        self.lines.append(line)
        self._draw_on_map(line)
        self.tool.colour = LINE_COLOURS[len(self.lines) % len(LINE_COLOURS)]
        self.update_profiles()
        return line

    def _draw_on_map(self, line: ProfileLine) -> None:
        remove_from_canvas(self.canvas, line.band)
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        line.band = line_band(self.canvas, to_crs(line.vertices, line.crs, canvas_crs), line.colour)

    def _draw_lines_on_map(self, *_args) -> None:
        """Redraw every line's band (after a change of the canvas CRS)."""
        for line in self.lines:
            self._draw_on_map(line)

    def update_profiles(self, *_args) -> None:
        """Load the checked sources not read yet (background task), then recompute."""
        self._label_axes()
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
            found = layer_file(layer)
            if isinstance(layer, QgsRasterLayer):
                requests.append(("raster", layer.name(), layer.crs(), layer.source()))
            elif found is not None:
                requests.append(
                    ("points", layer.name(), layer.crs(), found.path, found.layer_name, value_field)
                )
            else:
                self.cache[key] = _points_through_qgis(layer, value_field)
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
        if not is_line_layer(layer):
            self.metrics_label.setText("Select line feature(s) in the active line layer.")
            return 0
        count = 0
        for feature in layer.selectedFeatures() or layer.getFeatures():
            for part in line_parts(feature.geometry()):
                self.add_line(part, crs=layer.crs())
                count += 1
            if not layer.selectedFeatureCount():
                break  # nothing selected: the first feature only
        return count

    def pick_line_at(self, point: QgsPointXY, tolerance_px: float = 6.0) -> Optional[ProfileLine]:
        """Profile the line feature nearest to a canvas point (within a few pixels)."""
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        reach_px = tolerance_px * self.canvas.mapUnitsPerPixel()
        best = None
        for layer in QgsProject.instance().mapLayers().values():
            if not is_line_layer(layer):
                continue
            local, edge = to_crs(
                [point, QgsPointXY(point.x() + reach_px, point.y())], canvas_crs, layer.crs()
            )
            reach = max(abs(edge.x() - local.x()), abs(edge.y() - local.y()))
            area = QgsRectangle(
                local.x() - reach, local.y() - reach, local.x() + reach, local.y() + reach
            )
            probe = QgsGeometry.fromPointXY(local)
            for feature in layer.getFeatures(QgsFeatureRequest().setFilterRect(area)):
                distance = feature.geometry().distance(probe)
                if distance <= reach and (best is None or distance < best[0]):
                    best = (distance, layer, feature)
        parts = line_parts(best[2].geometry()) if best is not None else []
        if not parts:
            self.metrics_label.setText("No line feature under the click (shift-click a line).")
            return None
        return self.add_line(max(parts, key=len), crs=best[1].crs())

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
        xy = np.array([(p.x(), p.y()) for p in to_crs(line.vertices, line.crs, source.crs)])
        epsg, wkt = epsg_and_wkt(source.crs)
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

    def _label_axes(self) -> None:
        """'LOS rate', 'Vertical rate', 'LOS and vertical rate' from the ticked sources."""
        named = axis_direction(
            layer_direction(layer) for layer in self.checked_layers() if layer is not None
        )
        named = named or "LOS"
        self.plot.setLabel("left", f"{named[0].upper()}{named[1:]} rate (mm/yr)")

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
            for s, profile in enumerate(line.profiles):
                # affected bars stacked just below the threshold, one row per profile
                if profile.samples.values.size == 0:  # nothing to draw or to measure
                    texts.append(
                        f"<b>{profile.name}</b>: no samples within "
                        f"{self.buffer.value():g} m of the line"
                    )
                    continue
                bar_y = self.threshold.value() - (k + 0.6) * 0.03 * depth
                self._draw_profile(profile, QColor(line.colour), s, bar_y)
                k += 1
                m = profile.metrics
                texts.append(
                    f"<b>{profile.name}</b>: {profile.samples.values.size} samples, "
                    f"min {m.minimum:.1f} mm/yr at {m.minimum_at_m / 1000:.2f} km; "
                    f"width below {m.threshold:g}: {m.width_m / 1000:.2f} km; affected "
                    f"{m.affected_length_m / 1000:.2f} of {m.line_length_m / 1000:.2f} km"
                )
        self.pools.end()
        self.chart.fit_legend()
        self.plot.setLabel("bottom", AXES[self.axis_combo.currentIndex()])
        self._label_axes()
        self.plot.enableAutoRange()
        if texts:
            self.metrics_label.setText("<br>".join(texts))

    def _draw_profile(self, profile: Profile, colour: QColor, source: int, bar_y: float) -> None:
        """Samples, +-1 std band, binned mean, minimum and affected bars of one profile; the
        ``source``-th source of a line gets its own dash pattern and minimum symbol."""
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
            pen=pg.mkPen(colour, width=2, style=SOURCE_STYLES[source % len(SOURCE_STYLES)]),
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
                symbol=MINIMUM_SYMBOLS[source % len(MINIMUM_SYMBOLS)],
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
        """Remove every line, from the chart and from the map."""
        self.remove_canvas_items()
        self.lines = []
        self.tool.colour = LINE_COLOURS[0]
        self.redraw()
        self.metrics_label.setText("Draw a line across a subsidence bowl.")

    def remove_canvas_items(self) -> None:
        """Remove the lines' bands and the line being drawn from the map."""
        self.tool.clear_current()
        for line in self.lines:
            remove_from_canvas(self.canvas, line.band)
            line.band = None

    def profiles(self) -> List[Profile]:
        return [p for line in self.lines for p in line.profiles]

    # ------------------------------------------------------------------ export
    def export_csv(self, path) -> Path:
        return write_profiles_csv(path, self.profiles())

    def lines_layer(self) -> QgsVectorLayer:
        """A memory layer with the lines and their metrics (canvas CRS)."""
        crs = self.canvas.mapSettings().destinationCrs()
        layer = QgsVectorLayer(f"LineString?crs={crs.authid()}", "profile lines", "memory")
        provider = layer.dataProvider()
        provider.addAttributes(
            [
                attribute_field("name", str),
                attribute_field("source", str),
                attribute_field("length_m", float),
                attribute_field("min_rate", float),
                attribute_field("min_at_m", float),
                attribute_field("width_m", float),
                attribute_field("affected_m", float),
            ]
        )
        layer.updateFields()
        features = []
        for line in self.lines:
            vertices = to_crs(line.vertices, line.crs, crs)
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
            if error[0] != QgsVectorFileWriter.WriterError.NoError:
                raise OSError(f"{path}: {error[1]}")
            layer = QgsVectorLayer(str(path), "profile lines", "ogr")
        QgsProject.instance().addMapLayer(layer)
        return layer
