"""Point layers (PS, EGMS, forecasts) as GeoPackage, the convention QGIS time-series viewers
read: one field per date ``DYYYYMMDD`` (mm, LOS unless stated), velocity ``VEL`` (mm/yr),
its standard deviation ``VEL_STD`` (mm/yr), plus any quality fields.

Written with OGR in chunks, so millions of points stream through bounded memory.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from .atomic import atomic_output
from .dates import format_yyyymmdd, parse_yyyymmdd
from .vector import crs_of, field_names, open_vector

PathLike = Union[str, Path]
DATE_FIELD = re.compile(r"^D(\d{8})$")


def date_field(date: dt.date) -> str:
    return "D" + format_yyyymmdd(date)


@dataclass
class PointSeries:
    """Points with displacement series: ``displacement_mm`` (N, n_dates), NaN where missing."""

    x: np.ndarray
    y: np.ndarray
    epsg: Optional[int]
    dates: List[dt.date]
    displacement_mm: np.ndarray
    fields: Dict[str, np.ndarray] = field(default_factory=dict)
    wkt: Optional[str] = None

    def __len__(self) -> int:
        return len(self.x)


def _ogr():
    from osgeo import ogr, osr

    ogr.UseExceptions()
    osr.UseExceptions()
    return ogr, osr


def _field_type(values: np.ndarray):
    ogr, _ = _ogr()
    kind = np.asarray(values).dtype.kind
    if kind in "iub":
        return ogr.OFTInteger64
    if kind == "f":
        return ogr.OFTReal
    return ogr.OFTString


class PointLayerWriter:
    """Append chunks of points to a GeoPackage layer. Use via :func:`point_layer_writer`."""

    def __init__(self, layer, dates: Sequence[dt.date], field_names: Sequence[str]):
        self._layer = layer
        self._date_fields = [date_field(d) for d in dates]
        self._field_names = list(field_names)
        self.count = 0

    def write(self, x, y, displacement_mm: Optional[np.ndarray] = None,
              fields: Optional[Mapping[str, np.ndarray]] = None) -> None:
        # fields are set by index: OGR's by-name access scans every field name per call
        ogr, _ = _ogr()
        fields = fields or {}
        defn = self._layer.GetLayerDefn()
        attribute_index = [(defn.GetFieldIndex(name), fields[name]) for name in self._field_names]
        date_index = [defn.GetFieldIndex(name) for name in self._date_fields]
        x = np.asarray(x, float).tolist()
        y = np.asarray(y, float).tolist()
        rows = None if displacement_mm is None else np.asarray(displacement_mm, float).tolist()
        self._layer.StartTransaction()
        for i in range(len(x)):
            feature = ogr.Feature(defn)
            point = ogr.Geometry(ogr.wkbPoint)
            point.AddPoint_2D(x[i], y[i])
            feature.SetGeometry(point)
            for index, column in attribute_index:
                value = column[i]
                if isinstance(value, (float, np.floating)):
                    if np.isnan(value):
                        feature.SetFieldNull(index)
                    else:
                        feature.SetField(index, float(value))
                elif isinstance(value, (int, np.integer, np.bool_)):
                    feature.SetFieldInteger64(index, int(value))
                else:
                    feature.SetFieldString(index, str(value))
            if rows is not None:
                for index, value in zip(date_index, rows[i], strict=True):
                    if value == value:  # not NaN
                        feature.SetField(index, value)
                    else:
                        feature.SetFieldNull(index)
            self._layer.CreateFeature(feature)
        self._layer.CommitTransaction()
        self.count += len(x)


@contextlib.contextmanager
def point_layer_writer(path: PathLike, epsg: Optional[int], dates: Sequence[dt.date],
                       field_types: Mapping[str, np.ndarray], layer_name: str = None,
                       wkt: Optional[str] = None) -> Iterator[PointLayerWriter]:
    """Create a GeoPackage point layer; ``field_types`` maps field names to an example array
    (its dtype picks the OGR type). Date fields are added after them. Appears when complete."""
    ogr, osr = _ogr()
    layer_name = layer_name or Path(path).stem
    srs = osr.SpatialReference()
    if wkt:
        srs.ImportFromWkt(wkt)
    elif epsg:
        srs.ImportFromEPSG(int(epsg))
    else:
        srs = None
    if srs is not None:
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer(layer_name, srs, ogr.wkbPoint)
        for name, example in field_types.items():
            layer.CreateField(ogr.FieldDefn(name, _field_type(example)))
        for d in dates:
            layer.CreateField(ogr.FieldDefn(date_field(d), ogr.OFTReal))
        writer = PointLayerWriter(layer, dates, list(field_types))
        try:
            yield writer
        finally:
            # close before the rename, or before the temporary file is removed on error
            writer._layer = layer = ds = None


def write_points(path: PathLike, points: PointSeries, layer_name: str = None) -> Path:
    """Write a whole :class:`PointSeries` to a GeoPackage."""
    with point_layer_writer(path, points.epsg, points.dates, points.fields, layer_name,
                            points.wkt) as writer:
        for start in range(0, len(points), 50_000):
            chunk = slice(start, start + 50_000)
            writer.write(points.x[chunk], points.y[chunk], points.displacement_mm[chunk],
                         {k: v[chunk] for k, v in points.fields.items()})
    return Path(path)


def read_points(path: PathLike, layer: Optional[str] = None) -> PointSeries:
    """Read a point layer (any OGR format) with ``DYYYYMMDD`` fields into a PointSeries.

    Non-date attribute fields land in ``fields`` (numeric as float64, others as str).
    """
    dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")
    names = field_names(lyr)
    date_names = [n for n in names if DATE_FIELD.match(n)]
    other = [n for n in names if n not in date_names]
    dates = [parse_yyyymmdd(n[1:]) for n in date_names]
    order = np.argsort(dates, kind="stable")
    epsg, wkt = crs_of(lyr.GetSpatialRef())
    date_index = [names.index(n) for n in date_names]
    other_index = [(n, names.index(n)) for n in other]
    xs, ys, disp = [], [], []
    values = {n: [] for n in other}
    for feature in lyr:  # by index: OGR's by-name access scans every field name per call
        geom = feature.GetGeometryRef()
        if geom is None:
            continue
        xs.append(geom.GetX())
        ys.append(geom.GetY())
        disp.append([feature.GetFieldAsDouble(i) if feature.IsFieldSetAndNotNull(i) else np.nan
                     for i in date_index])
        for n, i in other_index:
            values[n].append(feature.GetField(i))
    fields = {}
    for n, vals in values.items():
        try:
            fields[n] = np.asarray([np.nan if v is None else v for v in vals], dtype=float)
        except (TypeError, ValueError):
            fields[n] = np.asarray(["" if v is None else str(v) for v in vals])
    displacement = np.asarray(disp, dtype=float).reshape(len(xs), len(date_names))
    return PointSeries(np.asarray(xs), np.asarray(ys), epsg, [dates[i] for i in order],
                       displacement[:, order], fields, wkt)
