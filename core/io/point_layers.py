"""Point layers (PS, EGMS, forecasts) as GeoPackage, the convention QGIS time-series viewers
read: one field per date ``DYYYYMMDD`` (mm, LOS unless stated), velocity ``VEL`` (mm/yr),
its standard deviation ``VEL_STD`` (mm/yr), plus any quality fields.

Written in chunks (OGR creates the layer, SQLite bulk-inserts the rows), so millions of
points stream through bounded memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from ..atomic import atomic_output
from ..dates import format_yyyymmdd, parse_yyyymmdd
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


# GeoPackage geometry blob of a 2-D point: GP header (magic, version 0, flags = little endian
# without envelope, srs_id) followed by a little-endian WKB point.
_GPKG_POINT = np.dtype(
    [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs_id", "<i4"),
        ("byte_order", "u1"),
        ("wkb_type", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)


def _point_blobs(x: np.ndarray, y: np.ndarray, srs_id: int) -> List[bytes]:
    records = np.empty(len(x), _GPKG_POINT)
    records["magic"], records["version"], records["flags"] = b"GP", 0, 1
    records["srs_id"], records["byte_order"], records["wkb_type"] = srs_id, 1, 1
    records["x"], records["y"] = x, y
    raw = records.tobytes()
    size = _GPKG_POINT.itemsize
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _column(values: np.ndarray) -> list:
    """A field column as Python values for SQLite (NaN binds as NULL)."""
    values = np.asarray(values)
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if values.dtype.kind in "iuf":
        return values.tolist()
    return [str(v) for v in values]


class PointLayerWriter:
    """Append chunks of points to a GeoPackage layer. Use via :func:`point_layer_writer`.

    Rows go in with SQLite ``executemany`` (the OGR feature API costs microseconds per field
    value, which dominates for layers with hundreds of date fields)."""

    def __init__(
        self,
        connection,
        table: str,
        geometry_column: str,
        srs_id: int,
        dates: Sequence[dt.date],
        field_names: Sequence[str],
    ):
        self._connection = connection
        self._field_names = list(field_names)
        self._n_dates = len(dates)
        self._srs_id = srs_id
        columns = [geometry_column] + self._field_names + [date_field(d) for d in dates]
        quoted = ", ".join(f'"{c}"' for c in columns)
        self._insert = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
        self.extent = [np.inf, np.inf, -np.inf, -np.inf]
        self.count = 0

    def write(
        self,
        x,
        y,
        displacement_mm: Optional[np.ndarray] = None,
        fields: Optional[Mapping[str, np.ndarray]] = None,
    ) -> None:
        fields = fields or {}
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        if len(x) == 0:
            return
        columns = [_point_blobs(x, y, self._srs_id)]
        columns += [_column(fields[name]) for name in self._field_names]
        if self._n_dates:
            table = (
                np.full((len(x), self._n_dates), np.nan)
                if displacement_mm is None
                else np.asarray(displacement_mm, float)
            )
            columns += table.T.tolist()
        self._connection.executemany(self._insert, zip(*columns, strict=True))
        self.extent = [
            min(self.extent[0], x.min()),
            min(self.extent[1], y.min()),
            max(self.extent[2], x.max()),
            max(self.extent[3], y.max()),
        ]
        self.count += len(x)


@contextlib.contextmanager
def point_layer_writer(
    path: PathLike,
    epsg: Optional[int],
    dates: Sequence[dt.date],
    field_types: Mapping[str, np.ndarray],
    layer_name: str = None,
    wkt: Optional[str] = None,
) -> Iterator[PointLayerWriter]:
    """Create a GeoPackage point layer; ``field_types`` maps field names to an example array
    (its dtype picks the OGR type). Date fields are added after them. Appears when complete,
    with its spatial index."""
    import sqlite3

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
        # the R-tree triggers call GDAL's SQL functions, so the index is built after the rows
        layer = ds.CreateLayer(layer_name, srs, ogr.wkbPoint, ["SPATIAL_INDEX=NO"])
        for name, example in field_types.items():
            layer.CreateField(ogr.FieldDefn(name, _field_type(example)))
        for d in dates:
            layer.CreateField(ogr.FieldDefn(date_field(d), ogr.OFTReal))
        geometry_column = layer.GetGeometryColumn()
        layer = ds = None
        connection = sqlite3.connect(str(temp))
        try:
            (srs_id,) = connection.execute(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (layer_name,)
            ).fetchone()
            writer = PointLayerWriter(
                connection, layer_name, geometry_column, srs_id, dates, list(field_types)
            )
            yield writer
            if writer.count:
                connection.execute(
                    "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                    "WHERE table_name = ?",
                    (*map(float, writer.extent), layer_name),
                )
            connection.commit()
        finally:
            connection.close()
        ds = ogr.Open(str(temp), update=1)
        ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{layer_name}', '{geometry_column}')")
        ds = None


def write_points(path: PathLike, points: PointSeries, layer_name: str = None) -> Path:
    """Write a whole :class:`PointSeries` to a GeoPackage."""
    with point_layer_writer(
        path, points.epsg, points.dates, points.fields, layer_name, points.wkt
    ) as writer:
        for start in range(0, len(points), 50_000):
            chunk = slice(start, start + 50_000)
            writer.write(
                points.x[chunk],
                points.y[chunk],
                points.displacement_mm[chunk],
                {k: v[chunk] for k, v in points.fields.items()},
            )
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
        disp.append(
            [
                feature.GetFieldAsDouble(i) if feature.IsFieldSetAndNotNull(i) else np.nan
                for i in date_index
            ]
        )
        for n, i in other_index:
            values[n].append(feature.GetField(i))
    fields = {}
    for n, vals in values.items():
        try:
            fields[n] = np.asarray([np.nan if v is None else v for v in vals], dtype=float)
        except (TypeError, ValueError):
            fields[n] = np.asarray(["" if v is None else str(v) for v in vals])
    displacement = np.asarray(disp, dtype=float).reshape(len(xs), len(date_names))
    return PointSeries(
        np.asarray(xs),
        np.asarray(ys),
        epsg,
        [dates[i] for i in order],
        displacement[:, order],
        fields,
        wkt,
    )
