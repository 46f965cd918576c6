"""The QGIS side of the data model, one implementation each: CRSs of grids and files, the file
behind a layer, line parts of a geometry, and point layers as numpy arrays.

Core works on plain paths, grids, coordinate arrays and EPSG/WKT; the algorithms and the docks
turn QGIS objects into those (and back) through this module only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsMapLayer,
    QgsPointXY,
    QgsProject,
    QgsVectorLayer,
)

from ..processing_provider.qgis_compat import FeatureRequestFlag, GeometryType


# ---------------------------------------------------------------------------- CRS
def crs_from(epsg: Optional[int] = None, wkt: Optional[str] = None) -> QgsCoordinateReferenceSystem:
    """The CRS of an EPSG code, else of a WKT string, else an invalid CRS (unknown)."""
    if epsg:
        return QgsCoordinateReferenceSystem(f"EPSG:{int(epsg)}")
    if wkt:
        return QgsCoordinateReferenceSystem.fromWkt(wkt)
    return QgsCoordinateReferenceSystem()


def grid_crs(grid) -> QgsCoordinateReferenceSystem:
    """CRS of a :class:`core.grid.Grid` (EPSG, else its WKT); invalid when it has none."""
    return crs_from(grid.epsg, None if grid.epsg else grid.crs_wkt())


def h5_crs(path) -> QgsCoordinateReferenceSystem:
    """CRS of the map positions of a MintPy HDF5 file: its grid's (``EPSG``, WGS 84 for
    MintPy's degree grids), or WGS 84 for a file in radar coordinates, whose pixels are found
    from longitude/latitude through its lookup tables."""
    from ..core.grid import Grid
    from ..core.io.lookup import WGS84
    from ..core.io.mintpy import read_attrs

    attrs = {"WIDTH": "0", "LENGTH": "0", **read_attrs(path)}  # only the CRS is needed
    grid = Grid.from_attrs(attrs)
    return crs_from(WGS84) if grid.radar else crs_from(grid.epsg, grid.wkt)


def epsg_and_wkt(crs: QgsCoordinateReferenceSystem) -> Tuple[Optional[int], Optional[str]]:
    """(EPSG code, None) for an EPSG CRS, else (None, WKT or None): how core takes a CRS."""
    authid = crs.authid()
    if authid.upper().startswith("EPSG:"):
        return int(authid.split(":")[1]), None
    return None, (crs.toWkt() or None)


def to_crs(
    points: Sequence[QgsPointXY],
    source: QgsCoordinateReferenceSystem,
    target: QgsCoordinateReferenceSystem,
) -> List[QgsPointXY]:
    """``points`` transformed from ``source`` to ``target`` (unchanged when either is unknown
    or both are the same)."""
    if not source.isValid() or not target.isValid() or source == target:
        return [QgsPointXY(p) for p in points]
    transform = QgsCoordinateTransform(source, target, QgsProject.instance())
    return [transform.transform(QgsPointXY(p)) for p in points]


# ---------------------------------------------------------------------------- files
class LayerFile(NamedTuple):
    """The file behind a layer and, for multi-layer files (GeoPackage), the layer inside."""

    path: str
    layer_name: Optional[str] = None


def layer_file(layer: QgsMapLayer) -> Optional[LayerFile]:
    """The file a raster or vector layer reads, or None when reading that file would not give
    the layer's data: memory and database layers, and vector layers with a filter."""
    parts = layer.source().split("|")
    if not Path(parts[0]).is_file():
        return None
    if isinstance(layer, QgsVectorLayer) and layer.subsetString():
        return None
    name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
    return LayerFile(parts[0], name)


# ---------------------------------------------------------------------------- geometry
def is_point_layer(layer: Optional[QgsMapLayer]) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.geometryType() == GeometryType.Point


def is_line_layer(layer: Optional[QgsMapLayer]) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.geometryType() == GeometryType.Line


def line_parts(geometry: QgsGeometry) -> List[List[QgsPointXY]]:
    """The vertices of each part of a (multi)line geometry that has at least two of them."""
    if geometry is None or geometry.isEmpty():
        return []
    parts = geometry.asMultiPolyline() if geometry.isMultipart() else [geometry.asPolyline()]
    return [[QgsPointXY(p) for p in part] for part in parts if len(part) >= 2]


# ---------------------------------------------------------------------------- values
class PointArrays(NamedTuple):
    """Point coordinates (layer CRS) and numeric fields as float arrays (NaN = no number)."""

    x: np.ndarray
    y: np.ndarray
    values: Dict[str, np.ndarray]


def point_arrays(
    layer: QgsVectorLayer, fields: Sequence[str], request: Optional[QgsFeatureRequest] = None
) -> PointArrays:
    """x, y and ``fields`` of the point features ``request`` selects (all by default), read
    through QGIS, so memory layers, filters and any provider work; features without a
    geometry are skipped, a multipoint counts by its first point."""
    request = QgsFeatureRequest(request) if request is not None else QgsFeatureRequest()
    request.setSubsetOfAttributes(list(fields), layer.fields())
    xs, ys = [], []
    rows: Dict[str, list] = {name: [] for name in fields}
    for feature in layer.getFeatures(request):
        geometry = feature.geometry()
        if geometry.isEmpty():
            continue
        point = geometry.asMultiPoint()[0] if geometry.isMultipart() else geometry.asPoint()
        xs.append(point.x())
        ys.append(point.y())
        for name in fields:
            rows[name].append(_number(feature[name]))
    return PointArrays(
        np.array(xs, dtype=float),
        np.array(ys, dtype=float),
        {name: np.array(column, dtype=float) for name, column in rows.items()},
    )


def field_values(layer: QgsVectorLayer, field: str, limit: int = -1) -> np.ndarray:
    """The finite numeric values of one field (geometry not read; at most ``limit``)."""
    request = QgsFeatureRequest().setFlags(FeatureRequestFlag.NoGeometry)
    request.setSubsetOfAttributes([field], layer.fields())
    request.setLimit(limit)
    values = np.array([_number(f[field]) for f in layer.getFeatures(request)], dtype=float)
    return values[np.isfinite(values)]


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan
