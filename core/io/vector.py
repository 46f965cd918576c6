"""Opening vector files with OGR: one place for the checks and messages every reader needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import InputError

PathLike = Union[str, Path]


def open_vector(
    path: PathLike,
    layer: Optional[str] = None,
    expected: str = "a vector layer (GeoPackage, Shapefile...)",
):
    """Open ``path`` and return ``(dataset, layer)``; keep the dataset referenced while the
    layer is used. ``layer`` picks a layer by name (default: the first).

    Raises InputError naming the file when it is missing, unreadable or lacks the layer;
    ``expected`` ends the fix text ("give <expected>").
    """
    from osgeo import ogr

    ogr.UseExceptions()
    if not Path(path).exists():
        raise InputError("file not found.", path, "check the path.")
    try:
        dataset = ogr.Open(str(path))
    except RuntimeError as exc:
        raise InputError(f"OGR cannot read it ({exc}).", path, f"give {expected}.") from None
    if dataset is None or dataset.GetLayerCount() == 0:
        raise InputError("has no vector layer.", path, f"give {expected}.")
    found = dataset.GetLayerByName(layer) if layer else dataset.GetLayer(0)
    if found is None:
        raise InputError(f"has no layer '{layer}'.", path, f"give {expected}.")
    return dataset, found


def field_names(layer) -> List[str]:
    """Attribute field names of an OGR layer, in order."""
    defn = layer.GetLayerDefn()
    return [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]


def crs_of(srs) -> Tuple[Optional[int], Optional[str]]:
    """(EPSG code, None) when an OGR spatial reference has one, else (None, WKT or None)."""
    if srs is None:
        return None, None
    try:
        srs.AutoIdentifyEPSG()
    except RuntimeError:  # "Unsupported SRS" (e.g. an engineering CRS) under UseExceptions
        pass
    code = srs.GetAuthorityCode(None)
    return (int(code), None) if code else (None, srs.ExportToWkt() or None)


def write_polygons(
    path: PathLike,
    epsg: int,
    features: Sequence[Tuple[Sequence[Tuple[float, float]], Dict[str, Any]]],
    layer_name: Optional[str] = None,
) -> Path:
    """Write a GeoPackage polygon layer; ``features`` are (exterior ring [(x, y), ...],
    attributes). Field types follow the first feature's values (int, float, else text)."""
    from osgeo import ogr, osr

    from ..atomic import atomic_output

    path = Path(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(epsg))
    kinds = {int: ogr.OFTInteger, float: ogr.OFTReal}
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer(layer_name or path.stem, srs, ogr.wkbPolygon)
        for name, value in (features[0][1] if features else {}).items():
            layer.CreateField(ogr.FieldDefn(name, kinds.get(type(value), ogr.OFTString)))
        for ring_points, attributes in features:
            ring = ogr.Geometry(ogr.wkbLinearRing)
            points = [tuple(p) for p in ring_points]
            for x, y in points + [points[0]]:
                ring.AddPoint_2D(float(x), float(y))
            polygon = ogr.Geometry(ogr.wkbPolygon)
            polygon.AddGeometry(ring)
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetGeometry(polygon)
            for name, value in attributes.items():
                feature.SetField(name, value)
            layer.CreateFeature(feature)
        ds = None
    return path
