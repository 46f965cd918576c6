"""Layer styling: diverging ramps centred on zero for rates, class colours for classes.

Rates (mm/yr) and displacements (mm) get a ColorBrewer RdBu ramp, red = subsidence
(negative), blue = uplift, with limits from the data: symmetric about zero at the 99.5th
percentile of |value| (a subsidence bowl covering a few per cent of the scene keeps its
gradation, fewer than 0.5 % outlying pixels cannot wash the map out), rounded up to a readable
number; legend entries carry the unit. Modelled basins (noise-free, zero away from the panel)
reach their largest |value| instead. Legends print numbers without thousands separators and
with as many decimals as the range needs (an onset year reads 2021.7, not 2,021.734253).
Deformation classes (paper 002: < -40, -40 to -10, -10 to +10, > +10 mm/yr) get fixed
colours; labels come from the raster's category names when it has them.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np
from qgis.core import (
    QgsBasicNumericFormat,
    QgsColorRampLegendNodeSettings,
    QgsColorRampShader,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsLineSymbol,
    QgsMapLayer,
    QgsMarkerSymbol,
    QgsPalettedRasterRenderer,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
    QgsRasterShader,
    QgsRendererRange,
    QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer,
    QgsSymbol,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from ..processing_provider.qgis_compat import GeometryType, ShaderInterpolationMethod
from .bridge import field_values

# ColorBrewer RdBu, red = subsidence (negative), blue = uplift
DIVERGING = [
    "#b2182b",
    "#d6604d",
    "#f4a582",
    "#fddbc7",
    "#f7f7f7",
    "#d1e5f0",
    "#92c5de",
    "#4393c3",
    "#2166ac",
]
#: percentile of |value| that sets a diverging ramp's half-width: at the 98th the bowls of a
#: mining scene (2-5 % of its pixels) saturated; the 99.5th reaches into their cores
ROBUST_PERCENTILE = 99.5
MAX_STYLE_SAMPLES = 200_000

# paper 002 deformation classes: (code, default label, colour)
DEFORMATION_CLASSES: List[Tuple[int, str, str]] = [
    (1, "< -40 mm/yr: strong subsidence", "#99000d"),
    (2, "-40 to -10 mm/yr: moderate subsidence", "#fb6a4a"),
    (3, "-10 to +10 mm/yr: stable", "#e0e0e0"),
    (4, "> +10 mm/yr: uplift", "#2171b5"),
]
UNITS = {"velocity": "mm/yr", "displacement": "mm"}
# what subsidence:detectablegradient writes in its mask
LIMIT_CLASSES: List[Tuple[int, str, str]] = [
    (0, "measurable", "#f0f0f0"),
    (1, "near the InSAR limit", "#fdae61"),
    (2, "beyond what InSAR can measure", "#a50026"),
]
# viridis, for quantities that are not rates (coherence, counts, indices, limits, dates)
SEQUENTIAL = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
SEQUENTIAL_UNITS = {"gradient": "mm/yr per pixel", "years": ""}
# point layers coloured on another field than VEL: kind -> (field, unit)
POINT_FIELDS = {"onset_points": ("RATE_AFTER", "mm/yr"), "steps": ("SIZE_MM", "mm")}
LINE_STYLES = {"line": ("#222222", 0.6), "affected": ("#d7301f", 1.6)}
#: custom property naming the style a layer was given (see style_layer)
STYLE_PROPERTY = "insar_subsidence/style"


def nice_number(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten (legend limits people can read)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** np.floor(np.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return float(step * power)
    return float(10 * power)


def symmetric_limit(values: np.ndarray, percentile: float = ROBUST_PERCENTILE) -> float:
    """Half-width of a colour scale centred on zero: the ``percentile`` of |values|, rounded
    up to a nice number (1.0 when there is nothing to measure)."""
    values = np.asarray(values, dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1.0
    return nice_number(float(np.percentile(finite, percentile)))


def _label(value: float, unit: str) -> str:
    return f"{value:+.3g} {unit}".replace("+0 ", "0 ").strip()


def _ramp_items(limit: float, unit: str) -> List[QgsColorRampShader.ColorRampItem]:
    n = len(DIVERGING)
    return [
        QgsColorRampShader.ColorRampItem(
            -limit + 2 * limit * i / (n - 1),
            QColor(colour),
            _label(-limit + 2 * limit * i / (n - 1), unit),
        )
        for i, colour in enumerate(DIVERGING)
    ]


def _set_legend_format(ramp: QgsColorRampShader, low: float, high: float) -> None:
    """Legend numbers with no thousands separator and decimals for the range: 1 decimal for a
    range of a few units, none from tens up, up to 4 for small ranges."""
    span = abs(high - low)
    decimals = int(np.clip(1 - np.floor(np.log10(span)), 0, 4)) if span > 0 else 2
    number_format = QgsBasicNumericFormat()
    number_format.setShowThousandsSeparator(False)
    number_format.setNumberDecimalPlaces(decimals)
    settings = QgsColorRampLegendNodeSettings()
    settings.setNumericFormat(number_format)
    ramp.setLegendSettings(settings)


def _raster_values(layer: QgsRasterLayer, band: int = 1) -> np.ndarray:
    """A decimated read of one band (at most ~1000 x 1000 values) with nodata as NaN."""
    from osgeo import gdal

    ds = gdal.Open(layer.source())
    if ds is None:
        return np.array([])
    rb = ds.GetRasterBand(band)
    step = max(1, max(ds.RasterXSize, ds.RasterYSize) // 1000)
    data = rb.ReadAsArray(
        buf_xsize=max(1, ds.RasterXSize // step), buf_ysize=max(1, ds.RasterYSize // step)
    ).astype(float)
    nodata = rb.GetNoDataValue()
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    return data


def style_diverging_raster(
    layer: QgsRasterLayer, unit: str = "mm/yr", band: int = 1, limit: Optional[float] = None
) -> float:
    """Diverging pseudo-colour centred on zero; returns the half-width used."""
    limit = limit or symmetric_limit(_raster_values(layer, band))
    ramp = QgsColorRampShader(-limit, limit)
    ramp.setColorRampType(ShaderInterpolationMethod.Linear)
    ramp.setColorRampItemList(_ramp_items(limit, unit))
    ramp.setClip(False)
    _set_legend_format(ramp, -limit, limit)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(-limit)
    renderer.setClassificationMax(limit)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return limit


def _class_labels(layer: QgsRasterLayer) -> dict:
    """Class names stored in the raster, by code: ``CLASS_<code>`` metadata (our velocity
    step writes these) or the GDAL category table."""
    from osgeo import gdal

    ds = gdal.Open(layer.source())
    if ds is None:
        return {}
    labels = {
        int(key[6:]): value
        for key, value in (ds.GetMetadata() or {}).items()
        if key.startswith("CLASS_") and key[6:].isdigit()
    }
    if not labels:
        names = ds.GetRasterBand(1).GetCategoryNames() or []
        labels = {code: name for code, name in enumerate(names) if name and code > 0}
    return labels


def style_classes_raster(
    layer: QgsRasterLayer, classes: Sequence[Tuple[int, str, str]] = DEFORMATION_CLASSES
) -> None:
    """Paletted style for a deformation-class raster: codes 1..k by increasing rate (class 1
    = strongest subsidence, red). Labels come from the raster when it names its classes
    (custom thresholds give other counts; their colours then follow the diverging ramp)."""
    stored = _class_labels(layer)
    if stored and len(stored) != len(classes):
        picks = np.linspace(0, len(DIVERGING) - 1, len(stored)).round().astype(int)
        classes = [
            (code, stored[code], DIVERGING[pick])
            for code, pick in zip(sorted(stored), picks, strict=True)
        ]
    palette = [
        QgsPalettedRasterRenderer.Class(code, QColor(colour), stored.get(code, label))
        for code, label, colour in classes
    ]
    layer.setRenderer(QgsPalettedRasterRenderer(layer.dataProvider(), 1, palette))
    layer.triggerRepaint()


def style_diverging_points(
    layer: QgsVectorLayer, field: str = "VEL", unit: str = "mm/yr", size_mm: float = 1.6
) -> Optional[float]:
    """Graduated symbols on ``field``, classes symmetric about zero; returns the half-width.

    The outer classes are open-ended, so every point gets a colour."""
    if layer.fields().indexOf(field) < 0:
        return None
    values = field_values(layer, field, MAX_STYLE_SAMPLES)
    limit = symmetric_limit(values)
    edges = np.linspace(-limit, limit, len(DIVERGING) + 1)
    low = min(edges[0], float(values.min(initial=0))) - 1e-9
    high = max(edges[-1], float(values.max(initial=0))) + 1e-9
    ranges = []
    for i, colour in enumerate(DIVERGING):
        symbol = QgsSymbol.defaultSymbol(layer.geometryType())
        symbol.setColor(QColor(colour))
        if hasattr(symbol, "setSize"):
            symbol.setSize(size_mm)
            symbol.symbolLayer(0).setStrokeStyle(Qt.PenStyle.NoPen)  # dense PS layers stay readable
        lower = low if i == 0 else float(edges[i])
        upper = high if i == len(DIVERGING) - 1 else float(edges[i + 1])
        if i == 0:
            label = f"< {_label(edges[1], unit)}"
        elif i == len(DIVERGING) - 1:
            label = f"> {_label(edges[i], unit)}"
        else:
            label = f"{edges[i]:+.3g} to {_label(edges[i + 1], unit)}"
        ranges.append(QgsRendererRange(lower, upper, symbol, label))
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    renderer.setClassAttribute(field)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return limit


def style_outline(layer: QgsVectorLayer, colour: str = "#252525", width_mm: float = 0.5) -> None:
    """Polygons drawn as outlines only, so the rates beneath them stay visible."""
    symbol = QgsFillSymbol.createSimple(
        {"color": "0,0,0,0", "outline_color": colour, "outline_width": str(width_mm)}
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    layer.triggerRepaint()


def style_sequential_raster(
    layer: QgsRasterLayer,
    unit: str = "",
    band: int = 1,
    low: Optional[float] = None,
    high: Optional[float] = None,
) -> Tuple[float, float]:
    """Viridis pseudo-colour from ``low`` to ``high`` (default: the 2nd and 98th percentiles
    of the band) for quantities that are not rates: coherence, counts, slopes, indices.
    Returns the limits used."""
    values = _raster_values(layer, band)
    finite = values[np.isfinite(values)]
    if low is None:
        low = float(np.percentile(finite, 2)) if finite.size else 0.0
    if high is None:
        high = float(np.percentile(finite, 98)) if finite.size else 1.0
    if high <= low:
        high = low + 1.0
    n = len(SEQUENTIAL)
    items = [
        QgsColorRampShader.ColorRampItem(
            low + (high - low) * i / (n - 1),
            QColor(colour),
            f"{low + (high - low) * i / (n - 1):.3g} {unit}".strip(),
        )
        for i, colour in enumerate(SEQUENTIAL)
    ]
    ramp = QgsColorRampShader(low, high)
    ramp.setColorRampType(ShaderInterpolationMethod.Linear)
    ramp.setColorRampItemList(items)
    _set_legend_format(ramp, low, high)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(low)
    renderer.setClassificationMax(high)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return low, high


def style_line(layer: QgsVectorLayer, colour: str = "#222222", width_mm: float = 0.6) -> None:
    """Lines of one colour and width (profile lines, affected segments)."""
    symbol = QgsLineSymbol.createSimple({"line_color": colour, "line_width": str(width_mm)})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    layer.triggerRepaint()


def style_points(layer: QgsVectorLayer, colour: str = "#6a3d9a", size_mm: float = 2.4) -> None:
    """Points of one colour with a white outline (stations, reference points, samples)."""
    symbol = QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": colour, "outline_color": "white", "size": str(size_mm)}
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    layer.triggerRepaint()


def _kind_from_content(layer: QgsMapLayer) -> str:
    """The style kind of a layer from what it holds (its role, its geometry)."""
    from .layer_roles import Role, layer_role

    role = layer_role(layer)
    if isinstance(layer, QgsVectorLayer):
        geometry = layer.geometryType()
        if geometry == GeometryType.Polygon:
            return "outline"
        if geometry == GeometryType.Line:
            return "line"
        if role in (Role.VELOCITY, Role.RATE) and layer.fields().indexOf("VEL") >= 0:
            return "velocity"
        return "points"
    if role == Role.CLASSES:
        return "classes"
    if role in (Role.VELOCITY, Role.RATE):
        return "velocity"
    if role == Role.DISPLACEMENT:
        return "displacement"
    return "sequential"


def style_layer(layer: QgsMapLayer, kind: str) -> None:
    """Apply a named style and record it in the layer's ``insar_subsidence/style`` property.

    Kinds: ``velocity`` (mm/yr, diverging about zero), ``displacement`` (mm, diverging),
    ``basin`` (a modelled basin in mm, diverging to its largest |value|), ``classes``
    (deformation classes), ``limit_mask`` (the detectable-gradient mask),
    ``coherence`` (0..1), ``count`` (0..maximum), ``gradient`` or ``years`` (one-signed
    rasters), ``sequential`` (2nd..98th percentile), ``outline`` (polygons such as bowls,
    concessions, counties), ``line``, ``affected`` (profile segments below the threshold),
    ``onset_points`` (rate after the breakpoint), ``steps`` (step size), ``points``, and
    ``auto``: chosen from what the layer holds."""
    if kind == "auto":
        kind = _kind_from_content(layer)
    if isinstance(layer, QgsRasterLayer):
        if kind == "classes":
            style_classes_raster(layer)
        elif kind == "limit_mask":
            style_classes_raster(layer, LIMIT_CLASSES)
        elif kind in SEQUENTIAL_UNITS:
            style_sequential_raster(layer, SEQUENTIAL_UNITS[kind])
        elif kind == "coherence":
            style_sequential_raster(layer, low=0.0, high=1.0)
        elif kind == "count":
            style_sequential_raster(layer, low=0.0, high=_band_maximum(layer))
        elif kind in UNITS:
            style_diverging_raster(layer, UNITS[kind])
        elif kind == "basin":
            style_diverging_raster(layer, "mm", limit=_largest_magnitude(layer))
        else:
            style_sequential_raster(layer)
    elif isinstance(layer, QgsVectorLayer):
        if kind == "outline":
            style_outline(layer)
        elif kind in LINE_STYLES:
            style_line(layer, *LINE_STYLES[kind])
        elif kind in POINT_FIELDS:
            style_diverging_points(layer, *POINT_FIELDS[kind])
        elif kind in ("velocity", "displacement") and layer.fields().indexOf("VEL") >= 0:
            style_diverging_points(layer, "VEL", UNITS[kind])
        elif layer.geometryType() == GeometryType.Polygon:
            style_outline(layer)
        elif layer.geometryType() == GeometryType.Line:
            style_line(layer, *LINE_STYLES["line"])
        else:
            style_points(layer)
    layer.setCustomProperty(STYLE_PROPERTY, kind)


def _largest_magnitude(layer: QgsRasterLayer) -> float:
    values = np.abs(_raster_values(layer))
    finite = values[np.isfinite(values)]
    return nice_number(float(finite.max())) if finite.size else 1.0


def _band_maximum(layer: QgsRasterLayer, band: int = 1) -> float:
    values = _raster_values(layer, band)
    finite = values[np.isfinite(values)]
    return float(max(1.0, finite.max())) if finite.size else 1.0


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Applies :func:`style_layer` to a layer Processing has just loaded."""

    _alive = []  # QGIS does not own Python post-processors: keep them referenced

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def postProcessLayer(self, layer, context, feedback):
        style_layer(layer, self.kind)

    @classmethod
    def create(cls, kind: str) -> "StylePostProcessor":
        processor = cls(kind)
        cls._alive.append(processor)
        return processor
