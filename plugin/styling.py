"""Layer styling: diverging ramps centred on zero for rates, class colours for classes."""
from __future__ import annotations

import numpy as np
from qgis.core import (QgsColorRampShader, QgsGraduatedSymbolRenderer, QgsMapLayer,
                       QgsProcessingLayerPostProcessorInterface, QgsRasterLayer, QgsRasterShader, QgsRendererRange, QgsSingleBandPseudoColorRenderer,
                       QgsSymbol, QgsVectorLayer)
from qgis.PyQt.QtGui import QColor

# ColorBrewer RdBu, red = subsidence (negative), blue = uplift
DIVERGING = ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de",
             "#4393c3", "#2166ac"]


def symmetric_limit(values: np.ndarray, percentile: float = 98.0) -> float:
    """Half-width of a colour scale centred on zero: the ``percentile`` of |values|."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1.0
    limit = float(np.percentile(finite, percentile))
    return limit if limit > 0 else 1.0


def _ramp_items(limit: float, unit: str):
    n = len(DIVERGING)
    items = []
    for i, colour in enumerate(DIVERGING):
        value = -limit + 2 * limit * i / (n - 1)
        items.append(QgsColorRampShader.ColorRampItem(value, QColor(colour),
                                                      f"{value:.1f} {unit}"))
    return items


def _raster_values(layer: QgsRasterLayer, band: int = 1) -> np.ndarray:
    from osgeo import gdal

    ds = gdal.Open(layer.source())
    if ds is None:
        return np.array([])
    rb = ds.GetRasterBand(band)
    step = max(1, max(ds.RasterXSize, ds.RasterYSize) // 1000)
    data = rb.ReadAsArray()[::step, ::step].astype(float)
    nodata = rb.GetNoDataValue()
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    return data


def style_diverging_raster(layer: QgsRasterLayer, unit: str = "mm/yr", band: int = 1) -> None:
    limit = symmetric_limit(_raster_values(layer, band))
    ramp = QgsColorRampShader(-limit, limit)
    ramp.setColorRampType(QgsColorRampShader.Interpolated)
    ramp.setColorRampItemList(_ramp_items(limit, unit))
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(-limit)
    renderer.setClassificationMax(limit)
    layer.setRenderer(renderer)
    layer.triggerRepaint()


def style_diverging_points(layer: QgsVectorLayer, field: str = "VEL", unit: str = "mm/yr") -> None:
    index = layer.fields().indexOf(field)
    if index < 0:
        return
    values = np.array([f[field] for f in layer.getFeatures()
                       if f[field] is not None and f[field] == f[field]], dtype=float)
    limit = symmetric_limit(values)
    edges = np.linspace(-limit, limit, len(DIVERGING) + 1)
    edges[0], edges[-1] = min(edges[0], values.min(initial=0)), max(edges[-1], values.max(initial=0))
    ranges = []
    for i, colour in enumerate(DIVERGING):
        symbol = QgsSymbol.defaultSymbol(layer.geometryType())
        symbol.setColor(QColor(colour))
        if hasattr(symbol, "setSize"):
            symbol.setSize(1.6)
        ranges.append(QgsRendererRange(float(edges[i]), float(edges[i + 1]), symbol,
                                       f"{edges[i]:.1f} – {edges[i + 1]:.1f} {unit}"))
    layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))
    layer.triggerRepaint()


def style_layer(layer: QgsMapLayer, kind: str) -> None:
    """Apply a named style: ``velocity`` (rates in mm/yr) or ``displacement`` (mm)."""
    unit = {"velocity": "mm/yr", "displacement": "mm"}.get(kind, "")
    if isinstance(layer, QgsRasterLayer):
        style_diverging_raster(layer, unit)
    elif isinstance(layer, QgsVectorLayer):
        style_diverging_points(layer, "VEL", unit)


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Applies :func:`style_layer` to a layer Processing has just loaded."""

    _alive = []  # QGIS does not own Python post-processors: keep them referenced

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        style_layer(layer, self.kind)

    @classmethod
    def create(cls, kind: str) -> "StylePostProcessor":
        processor = cls(kind)
        cls._alive.append(processor)
        return processor
