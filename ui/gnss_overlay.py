"""GNSS overlay of the time-series dock: the nearest station of a GNSS layer in the project,
projected on the clicked product's line of sight (or its vertical / east-west component) and
shifted onto the plotted series. The science is :func:`core.analysis.gnss.station_overlay`."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

from qgis.core import QgsProject, QgsVectorLayer

from ..core.analysis.gnss import station_overlay
from ..core.analysis.los_products import LosProduct
from ..core.errors import InputError
from ..core.io.gnss import GnssStation, is_gnss_layer, read_gnss_layer
from ..plugin.bridge import epsg_and_wkt, layer_file, to_crs
from ..plugin.layer_roles import Direction
from .timeseries_dock import SeriesOverlay

#: stations farther than this from the clicked point are not drawn (m)
MAX_DISTANCE_M = 2000.0
#: radius within which the product's LOS vectors are averaged at the clicked point (m)
LOS_RADIUS_M = 100.0
UNIT_VECTORS = {Direction.VERTICAL: (0.0, 0.0, 1.0), Direction.EAST: (1.0, 0.0, 0.0)}


class GnssOverlay(SeriesOverlay):
    name = "GNSS"
    tooltip = (
        f"The nearest station (within {MAX_DISTANCE_M / 1000:g} km) of the GNSS layers in the "
        "project, projected on the product's line of sight (vertical or east-west for such "
        "products) and shifted onto the plotted series"
    )

    def __init__(self, canvas):
        self.canvas = canvas
        self._stations: Dict[str, Tuple[float, List[GnssStation]]] = {}
        self._products: Dict[str, LosProduct] = {}

    def _gnss_stations(self) -> List[GnssStation]:
        stations = []
        for layer in QgsProject.instance().mapLayers().values():
            found = layer_file(layer) if isinstance(layer, QgsVectorLayer) else None
            if found is None or not is_gnss_layer(found.path):
                continue
            modified = Path(found.path).stat().st_mtime
            cached = self._stations.get(found.path)
            if cached is None or cached[0] != modified:
                cached = (modified, read_gnss_layer(found.path))
                self._stations[found.path] = cached
            stations += cached[1]
        return stations

    def _los(self, entry, x: float, y: float, wkt: str):
        direction = entry.source.direction
        if direction in UNIT_VECTORS:
            return UNIT_VECTORS[direction]
        path = entry.source.path
        if path is None and entry.source.layer is not None:
            found = layer_file(entry.source.layer)
            path = found.path if found else None
        if path is None:
            raise InputError(f"{entry.source.name} is not stored in a file.")
        product = self._products.get(path)
        if product is None:
            product = self._products[path] = LosProduct(path)
        vector = product.los_near(x, y, wkt, LOS_RADIUS_M)
        if vector is None:
            raise InputError(f"{entry.source.name} has no line of sight at the point.")
        return vector

    def draw(self, entry, painter) -> Optional[str]:
        stations = self._gnss_stations()
        if not stations or entry.shown is None:
            return None
        canvas_crs = self.canvas.mapSettings().destinationCrs()
        point = to_crs([entry.map_point], canvas_crs, entry.source.crs)[0]
        epsg, wkt = epsg_and_wkt(entry.source.crs)
        crs_text = f"EPSG:{epsg}" if epsg else wkt
        try:
            los = self._los(entry, point.x(), point.y(), crs_text)
        except InputError as exc:
            return f"GNSS: {exc.problem}"
        overlay = station_overlay(
            stations,
            point.x(),
            point.y(),
            crs_text,
            los,
            entry.shown.dates,
            entry.shown.values_mm,
            MAX_DISTANCE_M,
        )
        if overlay is None:
            return None
        painter.curve(
            overlay.dates,
            overlay.values_mm,
            legend=f"{entry.label} GNSS {overlay.name} ({entry.source.direction.label})",
            style="dot",
        )
        return f"{entry.label}: GNSS {overlay.name} at {overlay.distance_m:.0f} m."
