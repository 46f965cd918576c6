"""Time-series dock: click the map, see displacement (mm) against date.

Sources: a MintPy ``timeseries.h5`` or a multi-band GeoTIFF with dated bands (added from a
file or found among the project's raster layers), or a point layer with ``DYYYYMMDD`` fields.
Each click averages the samples within the radius (default 50 m, paper 001) and adds a curve
with error bars (the spread of the averaged samples), an optional linear or linear + annual
fit whose rate is in the legend, and the forecast with its band when the point layer carries
``FYYYYMMDD`` / ``FLOYYYYMMDD`` / ``FHIYYYYMMDD`` fields. Shift-click (or "Set reference")
picks a reference point: every curve, present and future, is shown relative to it.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsMapLayer,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsVertexMarker
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.atomic import atomic_output
from ..core.errors import InputError
from ..core.io.point_layers import PointSeries
from ..core.timeseries.sampling import (
    DEFAULT_RADIUS_M,
    METRES_PER_DEGREE,
    PointTable,
    SampledSeries,
    SeriesFit,
    fit_series,
    geotiff_band_dates,
    rereference,
    sample_points,
    sample_series_file,
    series_fields,
)
from ..plugin.bridge import h5_crs, is_point_layer, point_arrays, to_crs
from ..plugin.layer_roles import Direction, axis_direction, file_direction, layer_direction
from .dock import MapToolDock
from .map_tools import LINE_COLOURS, PointPickTool, remove_from_canvas
from .plotting import ItemPools, timestamps

FIT_MODES = ["No fit", "Linear", "Linear + annual"]
MAX_CURVES = 12
PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
    "dashdot": Qt.PenStyle.DashDotLine,
}


@dataclass
class SeriesSource:
    """Where series come from: a file (``path``) or a point layer (``layer``); ``direction``
    says what the series measure (LOS, vertical, east-west)."""

    name: str
    crs: QgsCoordinateReferenceSystem
    path: Optional[str] = None
    layer: Optional[QgsVectorLayer] = None
    direction: Direction = Direction.LOS

    @property
    def key(self) -> str:
        return self.path or (self.layer.id() if self.layer is not None else self.name)


@dataclass
class PlottedSeries:
    """One clicked position: the raw series and what is drawn for it."""

    label: str
    source: SeriesSource
    map_point: QgsPointXY
    raw: SampledSeries
    shown: Optional[SampledSeries] = None
    fit: Optional[SeriesFit] = None
    colour: str = "#000000"
    items: list = field(default_factory=list)
    marker: object = None

    @property
    def legend(self) -> str:
        text = f"{self.label} {self.source.name} (n={self.raw.count})"
        if self.fit is not None:
            text += f": {self.fit.rate_mm_yr:+.1f} ± {self.fit.rate_std_mm_yr:.1f} mm/yr"
            if self.fit.seasonal:
                text += f", annual {self.fit.amplitude_mm:.1f} mm"
        return text


class SeriesOverlay:
    """Something drawn with every plotted series: GNSS station series, onset breakpoints, ...

    Subclass it, set ``name`` (the check box text) and ``tooltip``, implement :meth:`draw`,
    and register an instance with :meth:`TimeSeriesDock.add_overlay`. While its check box is
    ticked, each redraw calls ``draw(entry, painter)`` for every plotted series, after the
    series itself is drawn; ``entry.shown`` is the series as plotted (mm, relative to the
    reference point when one is set), ``entry.source.direction`` says LOS or vertical,
    ``entry.map_point`` is the clicked position (canvas CRS) and ``entry.source.crs`` the CRS
    of the source. Draw only through ``painter`` (items are pooled and reused: inside QGIS,
    removing pyqtgraph items raises sip errors).
    """

    name = ""
    tooltip = ""

    def draw(self, entry: PlottedSeries, painter: "OverlayPainter") -> Optional[str]:
        """Draw for one series; return a note for the status line, or None."""
        raise NotImplementedError


class OverlayPainter:
    """Draws overlay items for one plotted series in the dock's chart (dates as
    ``datetime.date``, values in mm; the colour defaults to the series' colour)."""

    def __init__(self, dock: "TimeSeriesDock", entry: PlottedSeries):
        self.dock = dock
        self.entry = entry

    def _pen(self, colour, width, style):
        return self.dock.pg.mkPen(
            QColor(colour or self.entry.colour), width=width, style=PEN_STYLES[style]
        )

    def curve(
        self,
        dates: Sequence[dt.date],
        values_mm,
        legend: Optional[str] = None,
        colour: Optional[str] = None,
        style: str = "dash",
        width: float = 1.5,
        symbol: Optional[str] = None,
    ):
        """A line (``style`` solid, dash, dot or dashdot), with ``symbol`` markers if given."""
        brush = QColor(colour or self.entry.colour)
        item = self.dock._curve(
            timestamps(dates),
            np.asarray(values_mm, float),
            legend,
            pen=self._pen(colour, width, style),
            symbol=symbol,
            symbolSize=6,
            symbolBrush=brush,
            symbolPen=None,
        )
        self.entry.items.append(item)
        return item

    def band(self, dates: Sequence[dt.date], low_mm, high_mm, colour: Optional[str] = None):
        """A shaded band between ``low_mm`` and ``high_mm``."""
        item = self.dock._band(timestamps(dates), low_mm, high_mm, colour or self.entry.colour)
        self.entry.items.append(item)
        return item

    def date_line(
        self, date: dt.date, label: str = "", colour: Optional[str] = None, style: str = "dot"
    ):
        """A vertical line at ``date`` with a short label at its top."""
        line = self.dock.pools.take("date line")
        line.setValue(float(timestamps([date])[0]))
        line.setPen(self._pen(colour, 1.5, style))
        line.label.setFormat(label)
        self.entry.items.append(line)
        return line


def point_layer_has_series(layer: QgsMapLayer) -> bool:
    return is_point_layer(layer) and bool(series_fields(layer.fields().names())["observed"])


def raster_has_series(layer: QgsMapLayer) -> bool:
    if not isinstance(layer, QgsRasterLayer) or layer.bandCount() < 2:
        return False
    try:
        geotiff_band_dates(layer.source())
    except (InputError, RuntimeError):
        return False
    return True


def sample_point_layer(layer: QgsVectorLayer, x: float, y: float, radius_m: float) -> SampledSeries:
    """Series of the features within ``radius_m`` of (x, y) (layer CRS), via a rect request."""
    radius = radius_m / METRES_PER_DEGREE if layer.crs().isGeographic() else radius_m
    roles = series_fields(layer.fields().names())
    request = QgsFeatureRequest().setFilterRect(
        QgsRectangle(x - radius, y - radius, x + radius, y + radius)
    )
    extra = [n for role in ("forecast", "low", "high") for _, n in roles[role]]
    observed = [n for _, n in roles["observed"]]
    arrays = point_arrays(layer, observed + extra, request)
    points = PointSeries(
        arrays.x,
        arrays.y,
        None,
        [d for d, _ in roles["observed"]],
        np.array([arrays.values[n] for n in observed], dtype=float).T.reshape(
            len(arrays.x), len(observed)
        ),
        {n: arrays.values[n] for n in extra},
    )
    return sample_points(PointTable.from_point_series(points, layer.name()), x, y, radius)


class TimeSeriesDock(MapToolDock):
    """The time-series viewer dock; ``add_point`` / ``set_reference`` are its entry points,
    ``add_overlay`` adds a :class:`SeriesOverlay`."""

    def __init__(self, iface, parent=None):
        super().__init__(iface, "InSAR time series", "InsarSubsidenceTimeSeriesDock", parent)
        self.sources: Dict[str, SeriesSource] = {}
        self.file_sources: Dict[str, SeriesSource] = {}
        self.entries: List[PlottedSeries] = []
        self.overlays: Dict[SeriesOverlay, QCheckBox] = {}
        self.reference_point: Optional[QgsPointXY] = None
        self.reference_marker = None
        self._reference_cache: Dict[str, SampledSeries] = {}
        self._picking_reference = False
        self._counter = 0
        tool = PointPickTool(self.canvas)
        tool.picked.connect(self._on_picked)
        self._build(tool)
        self.refresh_sources()
        self.listen_to_project()
        from .onset_overlay import OnsetOverlay

        self.add_overlay(OnsetOverlay(), checked=False)

    # ------------------------------------------------------------------ widgets
    def _build(self, tool) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        row.addWidget(QLabel("Source"))
        self.source_combo = QComboBox()
        self.source_combo.setToolTip("Time-series file or point layer with DYYYYMMDD fields")
        self.source_combo.currentIndexChanged.connect(self._label_axes)
        row.addWidget(self.source_combo, 1)
        add_file = QPushButton("Add file…")
        add_file.setToolTip("Add a timeseries.h5 or a multi-band GeoTIFF with dated bands")
        add_file.clicked.connect(self._choose_file)
        row.addWidget(add_file)
        layout.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(QLabel("Radius"))
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.0, 100_000.0)
        self.radius.setValue(DEFAULT_RADIUS_M)
        self.radius.setSuffix(" m")
        self.radius.setToolTip("Average every pixel centre / point within this distance")
        row.addWidget(self.radius)
        self.fit_combo = QComboBox()
        self.fit_combo.addItems(FIT_MODES)
        self.fit_combo.setCurrentIndex(1)
        self.fit_combo.currentIndexChanged.connect(self.redraw)
        row.addWidget(self.fit_combo)
        self.keep = QCheckBox("Keep points")
        self.keep.setChecked(True)
        self.keep.setToolTip("Add each click as a new curve instead of replacing the last one")
        row.addWidget(self.keep)
        self.overlay_row = row  # overlays add their check boxes here
        layout.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(
            self.tool_button(
                tool, "Pick points", "Click the map to plot; shift-click sets the reference"
            )
        )
        self.reference_button = QPushButton("Set reference")
        self.reference_button.setToolTip("The next click becomes the reference point")
        self.reference_button.clicked.connect(self._arm_reference)
        row.addWidget(self.reference_button)
        clear_ref = QPushButton("Clear reference")
        clear_ref.clicked.connect(self.clear_reference)
        row.addWidget(clear_ref)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        for button in self.chart_export_buttons("series"):
            row.addWidget(button)
        layout.addLayout(row)

        chart = self.make_chart(date_axis=True)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "Date")
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        pg = self.pg
        self.pools = ItemPools(self.plot)
        self.pools.register("curve", pg.PlotDataItem)
        self.pools.register("bars", lambda: pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0)))
        self.pools.register(
            "fill", lambda: pg.FillBetweenItem(pg.PlotDataItem(), pg.PlotDataItem())
        )
        self.pools.register(
            "date line",
            lambda: pg.InfiniteLine(angle=90, label=" ", labelOpts={"position": 0.95}),
        )
        chart.widget.setMinimumHeight(260)
        layout.addWidget(chart.widget, 1)
        self.status = QLabel("Pick points on the map.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)
        self._label_axes()

    # ------------------------------------------------------------------ sources
    def refresh_sources(self, *_args) -> None:
        """List the project's time-series layers and the added files in the combo."""
        current = self.source_combo.currentText()
        self.sources = dict(self.file_sources)
        for layer in QgsProject.instance().mapLayers().values():
            if point_layer_has_series(layer):
                self.sources[layer.name()] = SeriesSource(
                    layer.name(), layer.crs(), layer=layer, direction=layer_direction(layer)
                )
            elif raster_has_series(layer):
                self.sources[layer.name()] = SeriesSource(
                    layer.name(), layer.crs(), path=layer.source(), direction=layer_direction(layer)
                )
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItems(list(self.sources))
        if current in self.sources:
            self.source_combo.setCurrentText(current)
        self.source_combo.blockSignals(False)
        self._label_axes()

    def add_file(self, path: str) -> SeriesSource:
        """Add a timeseries.h5 or dated multi-band GeoTIFF as a source and select it."""
        path = str(path)
        if Path(path).suffix.lower() in (".h5", ".he5", ".hdf5"):
            crs = h5_crs(path)
        else:
            crs = QgsRasterLayer(path, Path(path).stem).crs()
        source = SeriesSource(Path(path).name, crs, path=path, direction=file_direction(path))
        self.file_sources[source.name] = source
        self.refresh_sources()
        self.source_combo.setCurrentText(source.name)
        return source

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Time-series file", "", "Time series (*.h5 *.tif *.tiff)"
        )
        if path:
            self.add_file(path)

    def current_source(self) -> Optional[SeriesSource]:
        return self.sources.get(self.source_combo.currentText())

    # ------------------------------------------------------------------ sampling
    def sample(self, source: SeriesSource, point: QgsPointXY) -> SampledSeries:
        """Series at a canvas-CRS point from ``source`` (radius from the dock)."""
        (local,) = to_crs([point], self.canvas.mapSettings().destinationCrs(), source.crs)
        radius = self.radius.value()
        if source.layer is not None:
            return sample_point_layer(source.layer, local.x(), local.y(), radius)
        return sample_series_file(source.path, local.x(), local.y(), radius)

    def _on_picked(self, point: QgsPointXY, shift: bool) -> None:
        if shift or self._picking_reference:
            self._picking_reference = False
            self.set_reference(point)
        else:
            self.add_point(point)

    def add_point(
        self, point: QgsPointXY, source: Optional[SeriesSource] = None
    ) -> Optional[PlottedSeries]:
        """Sample ``point`` (canvas CRS) and plot it; returns the entry (None on error)."""
        source = source or self.current_source()
        if source is None:
            self._message("Add a time-series file or a point layer with DYYYYMMDD fields.")
            return None
        try:
            raw = self.sample(source, point)
        except InputError as exc:
            self._message(str(exc))
            return None
        if not self.keep.isChecked():
            self.clear_points()
        if len(self.entries) >= MAX_CURVES:
            self._remove_entry(self.entries[0])
        self._counter += 1
        entry = PlottedSeries(
            f"P{self._counter}",
            source,
            point,
            raw,
            colour=LINE_COLOURS[(self._counter - 1) % len(LINE_COLOURS)],
        )
        entry.marker = self._marker(point, entry.colour, QgsVertexMarker.IconType.ICON_CIRCLE)
        self.entries.append(entry)
        self.redraw()
        return entry

    def set_reference(self, point: QgsPointXY) -> None:
        """Show every series relative to the series at ``point``, for this and later clicks."""
        self.reference_point = point
        self._reference_cache = {}
        remove_from_canvas(self.canvas, self.reference_marker)
        self.reference_marker = self._marker(point, "#000000", QgsVertexMarker.IconType.ICON_BOX)
        self.redraw()

    def clear_reference(self) -> None:
        self.reference_point = None
        self._reference_cache = {}
        remove_from_canvas(self.canvas, self.reference_marker)
        self.reference_marker = None
        self.redraw()

    def _reference_for(self, source: SeriesSource) -> Optional[SampledSeries]:
        if self.reference_point is None:
            return None
        if source.key not in self._reference_cache:
            self._reference_cache[source.key] = self.sample(source, self.reference_point)
        return self._reference_cache[source.key]

    def _arm_reference(self) -> None:
        self._picking_reference = True
        self.activate_tool()
        self._message("Click the reference point.")

    # ------------------------------------------------------------------ drawing
    def _marker(self, point: QgsPointXY, colour: str, icon) -> QgsVertexMarker:
        marker = QgsVertexMarker(self.canvas)
        marker.setCenter(point)
        marker.setColor(QColor(colour))
        marker.setIconType(icon)
        marker.setIconSize(12)
        marker.setPenWidth(3)
        return marker

    def redraw(self) -> None:
        """Recompute reference, fits and every curve from the raw series."""
        self.pools.begin()
        self.legend.clear()
        mode = self.fit_combo.currentIndex()
        notes = []
        for entry in self.entries:
            entry.items = []
            shown = entry.raw
            try:
                reference = self._reference_for(entry.source)
                if reference is not None:
                    shown = rereference(entry.raw, reference)
            except InputError as exc:
                notes.append(f"reference: {exc}")
            entry.shown = shown
            entry.fit = None
            if mode:
                try:
                    entry.fit = fit_series(shown.dates, shown.values_mm, seasonal=mode == 2)
                except InputError as exc:
                    notes.append(f"{entry.label}: {exc}")
            self._draw_entry(entry)
            for overlay, box in self.overlays.items():
                if box.isChecked():
                    note = overlay.draw(entry, OverlayPainter(self, entry))
                    if note:
                        notes.append(note)
        self.pools.end()
        self._label_axes()
        self.chart.fit_legend()
        if self.reference_point is not None:
            hidden = any(e.raw.forecast is not None for e in self.entries)
            notes.insert(
                0, "Relative to the reference point" + (" (forecasts hidden)." if hidden else ".")
            )
        self.plot.setTitle(
            "relative to the reference point (black square)"
            if self.reference_point is not None
            else None,
            size="9pt",
        )
        self.plot.enableAutoRange()
        self._message(" ".join(notes) or f"{len(self.entries)} point(s).")

    def _label_axes(self, *_args) -> None:
        """'LOS displacement', 'Vertical displacement', ... from what is plotted (or, before
        the first click, from the chosen source)."""
        sources = [e.source for e in self.entries] or [self.current_source()]
        named = axis_direction(s.direction for s in sources if s is not None) or "LOS"
        self.plot.setLabel("left", f"{named[0].upper()}{named[1:]} displacement", units="mm")

    def add_overlay(self, overlay: SeriesOverlay, checked: bool = True) -> QCheckBox:
        """Draw ``overlay`` with every series while its check box (added to the dock) is
        ticked; returns the check box."""
        box = QCheckBox(overlay.name)
        box.setToolTip(overlay.tooltip)
        box.setChecked(checked)
        box.toggled.connect(self.redraw)
        self.overlay_row.addWidget(box)
        self.overlays[overlay] = box
        self.redraw()
        return box

    def remove_overlay(self, overlay: SeriesOverlay) -> None:
        box = self.overlays.pop(overlay)
        self.overlay_row.removeWidget(box)
        box.deleteLater()
        self.redraw()

    def _band(self, x, low, high, colour: str, alpha: int = 50):
        band = self.pools.take("fill")
        band.curves[0].setData(x, low)
        band.curves[1].setData(x, high)
        band_colour = QColor(colour)
        band_colour.setAlpha(alpha)
        band.setBrush(self.pg.mkBrush(band_colour))
        band.setPen(self.pg.mkPen(None))
        return band

    def _curve(self, x, y, legend: Optional[str] = None, **style):
        curve = self.pools.take("curve")
        defaults = dict(symbol=None, connect="finite")
        defaults.update(style)
        curve.setData(x, y, **defaults)
        if legend:
            self.legend.addItem(curve, legend)
        return curve

    def _draw_entry(self, entry: PlottedSeries) -> None:
        pg = self.pg
        s = entry.shown
        x = timestamps(s.dates)
        colour = QColor(entry.colour)
        mixed = len({e.source.direction for e in self.entries}) > 1
        entry.items.append(
            self._curve(
                x,
                s.values_mm,
                entry.legend + (f" [{entry.source.direction.label}]" if mixed else ""),
                pen=pg.mkPen(colour, width=1.5),
                symbol="o",
                symbolSize=5,
                symbolBrush=colour,
                symbolPen=None,
            )
        )
        if s.std_mm is not None and np.isfinite(s.std_mm).any():
            bars = self.pools.take("bars")
            bars.setData(
                x=x,
                y=s.values_mm,
                height=2 * np.nan_to_num(s.std_mm),
                beam=0,
                pen=pg.mkPen(colour, width=1),
            )
            entry.items.append(bars)
        if entry.fit is not None:
            dense = _dense_dates(s.dates)
            entry.items.append(
                self._curve(
                    timestamps(dense),
                    entry.fit.evaluate(dense),
                    pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                )
            )
        forecast = s.forecast
        if forecast is not None and len(forecast.dates):
            fx = timestamps(forecast.dates)
            entry.items.append(
                self._curve(
                    fx,
                    forecast.values_mm,
                    f"{entry.label} forecast",
                    pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DotLine),
                    symbol="t",
                    symbolSize=6,
                    symbolBrush=colour,
                    symbolPen=None,
                )
            )
            if forecast.low_mm is not None and forecast.high_mm is not None:
                entry.items.append(self._band(fx, forecast.low_mm, forecast.high_mm, entry.colour))

    # ------------------------------------------------------------------ housekeeping
    def _remove_entry(self, entry: PlottedSeries) -> None:
        remove_from_canvas(self.canvas, entry.marker)
        self.entries.remove(entry)

    def clear_points(self) -> None:
        for entry in list(self.entries):
            self._remove_entry(entry)

    def clear(self) -> None:
        self.clear_points()
        self.redraw()

    def _message(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ export
    def export_csv(self, path) -> Path:
        """One row per series and date: observed (+ std and fit), then forecast rows."""
        with atomic_output(path) as temp:
            with open(temp, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    [
                        "series",
                        "x",
                        "y",
                        "source",
                        "date",
                        "kind",
                        "displacement_mm",
                        "std_mm",
                        "fit_mm",
                        "low_mm",
                        "high_mm",
                    ]
                )
                for entry in self.entries:
                    s = entry.shown
                    fit = entry.fit.evaluate(s.dates) if entry.fit is not None else None
                    for i, date in enumerate(s.dates):
                        writer.writerow(
                            [
                                entry.label,
                                f"{s.x:.3f}",
                                f"{s.y:.3f}",
                                entry.source.name,
                                date.isoformat(),
                                "observed",
                                _fmt(s.values_mm[i]),
                                "" if s.std_mm is None else _fmt(s.std_mm[i]),
                                "" if fit is None else _fmt(fit[i]),
                                "",
                                "",
                            ]
                        )
                    if s.forecast is not None:
                        f = s.forecast
                        for i, date in enumerate(f.dates):
                            writer.writerow(
                                [
                                    entry.label,
                                    f"{s.x:.3f}",
                                    f"{s.y:.3f}",
                                    entry.source.name,
                                    date.isoformat(),
                                    "forecast",
                                    _fmt(f.values_mm[i]),
                                    "",
                                    "",
                                    "" if f.low_mm is None else _fmt(f.low_mm[i]),
                                    "" if f.high_mm is None else _fmt(f.high_mm[i]),
                                ]
                            )
        return Path(path)

    def remove_canvas_items(self) -> None:
        """Remove the markers of the series and of the reference point."""
        self.clear_points()
        remove_from_canvas(self.canvas, self.reference_marker)
        self.reference_marker = None


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.4f}"


def _dense_dates(dates):
    span = (dates[-1] - dates[0]).days
    step = max(1, span // 300)
    return [dates[0] + dt.timedelta(days=k) for k in range(0, span + 1, step)]
