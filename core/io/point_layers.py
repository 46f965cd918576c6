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
from typing import Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output
from ..crs import pyproj_crs, transform_xy
from ..dates import format_yyyymmdd, parse_yyyymmdd
from ..errors import InputError
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

    def crs_wkt(self) -> Optional[str]:
        """The CRS as WKT (None when unknown)."""
        if self.wkt or not self.epsg:
            return self.wkt
        _, osr = _ogr()
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(int(self.epsg))
        return srs.ExportToWkt()


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


class PointLayerWriter:
    """Append chunks of points to a GeoPackage layer. Use via :func:`point_layer_writer`.

    Rows go in with SQLite ``executemany`` (the OGR feature API costs microseconds per field
    value, which dominates for layers with hundreds of date fields), the layer's triggers
    (feature count, R-tree) off while they do: the writer keeps the count and fills the
    R-tree itself from the coordinates at the end, as GDAL does in its own bulk loads."""

    def __init__(
        self,
        connection,
        table: str,
        geometry_column: str,
        srs_id: int,
        dates: Sequence[dt.date],
        field_names: Sequence[str],
        rtree: Optional[str] = None,
    ):
        self._connection = connection
        columns = [geometry_column] + list(field_names) + [date_field(d) for d in dates]
        quoted = ", ".join(f'"{c}"' for c in columns)
        row = f"({', '.join('?' * len(columns))})"
        self._insert = f'INSERT INTO "{table}" ({quoted}) VALUES {row}'
        # several rows per statement: fewer Python lists and statement runs per point
        rows_per_insert = max(1, min(ROWS_PER_INSERT, _variable_limit(connection) // len(columns)))
        self._insert_many = f'INSERT INTO "{table}" ({quoted}) VALUES ' + ", ".join(
            [row] * rows_per_insert
        )
        #: makes the rows this writer inserts; picklable, so another thread or a Dask worker
        #: may prepare the next rows while :meth:`write_rows` inserts these
        self.row_maker = PointRowMaker(srs_id, tuple(field_names), len(dates), rows_per_insert)
        self._rtree = rtree
        self._indexed: List[Tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # fid, x, y
        self.extent = [np.inf, np.inf, -np.inf, -np.inf]
        self.count = 0

    def write_rows(self, rows: "PointRows") -> None:
        """Insert rows made by :attr:`row_maker`."""
        if not rows.count:
            return
        if rows.values:
            self._connection.executemany(self._insert_many, rows.values)
        if rows.single:
            self._connection.executemany(self._insert, rows.single)
        if self._rtree is not None:
            # a fresh AUTOINCREMENT table numbers the rows it is given consecutively
            (last,) = self._connection.execute("SELECT last_insert_rowid()").fetchone()
            x, y = np.asarray(rows.x, float), np.asarray(rows.y, float)
            keep = np.isfinite(x) & np.isfinite(y)  # GDAL leaves empty points out too
            fids = np.arange(last - rows.count + 1, last + 1)
            self._indexed.append((fids[keep], x[keep], y[keep]))
        self.extent = [
            min(self.extent[0], rows.extent[0]),
            min(self.extent[1], rows.extent[1]),
            max(self.extent[2], rows.extent[2]),
            max(self.extent[3], rows.extent[3]),
        ]
        self.count += rows.count

    def fill_rtree(self) -> None:
        """Put the points written into the R-tree, in strips across the extent: consecutive
        inserts then touch the same few nodes, so the page cache holds what they change
        (in file order, a million points took twice as long as ogr2ogr). 24 bytes a point
        are kept until then."""
        if self._rtree is None or not self._indexed:
            return
        fids, x, y = (np.concatenate(parts) for parts in zip(*self._indexed, strict=True))
        self._indexed = []
        strip = np.floor((y - y.min()) / max(np.ptp(y), 1e-300) * RTREE_STRIPS)
        order = np.lexsort((x, strip))
        entries = np.empty((len(order), 5), dtype=object)
        entries[:, 0], entries[:, 1], entries[:, 3] = fids[order], x[order], y[order]
        entries[:, 2], entries[:, 4] = entries[:, 1], entries[:, 3]
        insert = f'INSERT INTO "{self._rtree}" VALUES '
        many = insert + ", ".join(["(?, ?, ?, ?, ?)"] * RTREE_ROWS_PER_INSERT)
        for start in range(0, len(entries), RTREE_BATCH):
            grouped, single = _statement_values(
                entries[start : start + RTREE_BATCH], RTREE_ROWS_PER_INSERT
            )
            self._connection.executemany(many, grouped)
            self._connection.executemany(insert + "(?, ?, ?, ?, ?)", single)

    def write(
        self,
        x,
        y,
        displacement_mm: Optional[np.ndarray] = None,
        fields: Optional[Mapping[str, np.ndarray]] = None,
    ) -> None:
        """Insert points (see :meth:`PointRowMaker.rows`)."""
        self.write_rows(self.row_maker.rows(x, y, displacement_mm, fields))


class PointRowMaker(NamedTuple):
    """The layout of a :class:`PointLayerWriter`'s rows: its SRS id, fields, number of date
    fields and points per INSERT statement."""

    srs_id: int
    field_names: Tuple[str, ...]
    n_dates: int
    rows_per_insert: int

    def rows(
        self,
        x,
        y,
        displacement_mm: Optional[np.ndarray] = None,
        fields: Optional[Mapping[str, np.ndarray]] = None,
    ) -> "PointRows":
        """The rows of points ``x``, ``y`` (n,) with ``displacement_mm`` (n, dates) and
        ``fields`` (name -> (n,)) as SQLite takes them; builds no SQL."""
        fields = fields or {}
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        if len(x) == 0:
            return PointRows([], (np.inf, np.inf, -np.inf, -np.inf), 0, x, y)
        # one object table filled column-wise by numpy (float64 -> float, NaN binds as NULL),
        # then one tolist(): no per-value Python code
        table = np.empty((len(x), 1 + len(self.field_names) + self.n_dates), dtype=object)
        table[:, 0] = _point_blobs(x, y, self.srs_id)
        for k, name in enumerate(self.field_names, start=1):
            table[:, k] = _column(fields[name])
        if self.n_dates:
            table[:, 1 + len(self.field_names) :] = (
                np.nan if displacement_mm is None else np.asarray(displacement_mm, float)
            )
        extent = (x.min(), y.min(), x.max(), y.max())
        values, single = _statement_values(table, self.rows_per_insert)
        return PointRows(values, extent, len(x), x, y, single)


class PointRows(NamedTuple):
    """Rows ready for :meth:`PointLayerWriter.write_rows`: the values of several points per
    list (one multi-row statement each), the extent (xmin, ymin, xmax, ymax), the number of
    points, their coordinates and the points left over, one list each."""

    values: List[list]
    extent: Tuple[float, float, float, float]
    count: int
    x: Optional[np.ndarray] = None
    y: Optional[np.ndarray] = None
    single: List[list] = []


#: SQLite page cache of the writer (KiB)
CACHE_KIB = 32 * 1024
#: points per INSERT statement at most (within SQLite's limit on bound values)
ROWS_PER_INSERT = 32
#: R-tree entries per INSERT statement (5 values each, within SQLite's oldest limit of 999)
RTREE_ROWS_PER_INSERT = 50
#: R-tree entries turned into Python values at a time
RTREE_BATCH = 100_000
#: strips of the extent the R-tree is filled along
RTREE_STRIPS = 512


def _statement_values(table: np.ndarray, rows_per_statement: int) -> Tuple[list, list]:
    """The rows of an object table (n, columns) as parameter lists: ``rows_per_statement``
    rows per list as far as they go, then the rest one row per list."""
    whole = len(table) // rows_per_statement * rows_per_statement
    grouped = table[:whole].reshape(whole // rows_per_statement, -1 if whole else 0)
    return grouped.tolist(), table[whole:].tolist()


def _variable_limit(connection) -> int:
    """Values one SQLite statement may bind (999 where the module cannot tell: the oldest
    SQLite default)."""
    import sqlite3

    try:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python < 3.11
        return 999


def _column(values: np.ndarray) -> np.ndarray:
    """A field column as the Python values SQLite binds (NaN binds as NULL)."""
    values = np.asarray(values)
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if values.dtype.kind in "iuf":
        return values.astype(object)
    return np.array([str(v) for v in values], dtype=object)


def _layer_triggers(connection, table: str) -> List[str]:
    """The SQL of the triggers GDAL puts on a layer's inserts (feature count, R-tree)."""
    found = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).fetchall()
    return [sql for (sql,) in found]


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
        layer = ds.CreateLayer(layer_name, srs, ogr.wkbPoint, ["SPATIAL_INDEX=NO"])
        for name, example in field_types.items():
            layer.CreateField(ogr.FieldDefn(name, _field_type(example)))
        for d in dates:
            layer.CreateField(ogr.FieldDefn(date_field(d), ogr.OFTReal))
        geometry_column = layer.GetGeometryColumn()
        # the empty R-tree, its triggers and its extension row, made by GDAL
        ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{layer_name}', '{geometry_column}')")
        layer = ds = None
        connection = sqlite3.connect(str(temp))
        try:
            # the file appears under its name only once complete (atomic_output), so the
            # inserts need not wait for the disk (GDAL's own setting for new files); the
            # page cache holds the R-tree's nodes, which take inserts everywhere
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            (srs_id,) = connection.execute(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (layer_name,)
            ).fetchone()
            # the triggers call GDAL's SQL functions (absent here) and cost a statement per
            # row: off during the inserts, back (unchanged) once the writer has done their work
            triggers = _layer_triggers(connection, layer_name)
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (layer_name,),
            ).fetchall():
                connection.execute(f'DROP TRIGGER "{name}"')
            writer = PointLayerWriter(
                connection,
                layer_name,
                geometry_column,
                srs_id,
                dates,
                list(field_types),
                rtree=f"rtree_{layer_name}_{geometry_column}",
            )
            yield writer
            writer.fill_rtree()
            if writer.count:
                connection.execute(
                    "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                    "WHERE table_name = ?",
                    (*map(float, writer.extent), layer_name),
                )
            connection.execute(
                "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
                (writer.count, layer_name),
            )
            for sql in triggers:
                connection.execute(sql)
            connection.commit()
        finally:
            connection.close()


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


def read_points(
    path: PathLike,
    fields: Optional[Sequence[str]] = None,
    target_crs=None,
    *,
    layer: Optional[str] = None,
    dates: bool = True,
    extent: Optional[Tuple[float, float, float, float]] = None,
) -> PointSeries:
    """Read a point layer (any OGR format) into a :class:`PointSeries`.

    ``fields``: the attribute fields to read into ``fields`` (numeric ones as float64 with NaN
    for null, others as str); None = every field that is not a date field. ``dates``: read the
    ``DYYYYMMDD`` fields into ``displacement_mm`` (N, n_dates), sorted by date. ``target_crs``
    (an EPSG code, WKT or anything pyproj accepts): coordinates are transformed into it (x
    east, y north) and the result carries it; nothing is transformed when the layer's CRS is
    unknown. ``layer``: a layer by name (default: the first). ``extent``: (xmin, ymin, xmax,
    ymax) in the layer's CRS: only the features inside it are read; a window over a small part
    of the layer through its spatial index (a GeoPackage's R-tree: random access, ~5 us a
    feature), a larger one by a scan in chunks that keeps the features inside (sequential, ~1 us
    a feature, memory bounded by a chunk and what is kept).

    Features without geometry are left out; other geometries than points give their centroid.
    Columns are read in bulk through GDAL's Arrow stream (GDAL >= 3.6), a million points in
    about a second, else feature by feature with fields taken by index. Raises InputError
    naming the file when it is missing or unreadable or lacks a named field.
    :func:`read_point_chunks` reads the same in chunks of bounded size.
    """
    dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")
    plan = _ReadPlan.make(lyr, path, fields, dates)
    if extent is None:
        return plan.read(lyr, target_crs)
    extent = tuple(float(v) for v in extent)
    if _share_of_layer(lyr, extent) <= INDEXED_WINDOW_SHARE:
        lyr.SetSpatialFilterRect(*extent)
        return plan.read(lyr, target_crs)
    return _concatenate(list(_chunks(lyr, plan, target_crs, CHUNK_POINTS, extent)))


#: the largest share of a layer's extent that :func:`read_points` reads through the spatial
#: index; beyond it a sequential scan is faster (measured on a GeoPackage of 1M points)
INDEXED_WINDOW_SHARE = 0.1


def _share_of_layer(lyr, extent: Tuple[float, float, float, float]) -> float:
    """The share of the layer's extent (from its metadata: nothing is read) the window covers."""
    xmin, xmax, ymin, ymax = lyr.GetExtent(force=0)
    area = (xmax - xmin) * (ymax - ymin)
    if not area > 0:
        return 1.0
    width = max(0.0, min(xmax, extent[2]) - max(xmin, extent[0]))
    height = max(0.0, min(ymax, extent[3]) - max(ymin, extent[1]))
    return width * height / area


def _concatenate(parts: List[PointSeries]) -> PointSeries:
    first = parts[0]
    return PointSeries(
        np.concatenate([p.x for p in parts]),
        np.concatenate([p.y for p in parts]),
        first.epsg,
        first.dates,
        np.vstack([p.displacement_mm for p in parts]),
        {n: np.concatenate([p.fields[n] for p in parts]) for n in first.fields},
        first.wkt,
    )


def point_layer_crs(
    path: PathLike, fields: Sequence[str] = (), *, layer: Optional[str] = None
) -> Tuple[Optional[int], Optional[str]]:
    """(EPSG, WKT) of a point layer, as :func:`read_points` would give them, without reading
    its features; InputError naming the file when it lacks one of ``fields``."""
    dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")
    plan = _ReadPlan.make(lyr, path, fields, False)
    return plan.epsg, plan.wkt


#: features per chunk of :func:`read_point_chunks` by default
CHUNK_POINTS = 100_000


def read_point_chunks(
    path: PathLike,
    fields: Optional[Sequence[str]] = None,
    target_crs=None,
    *,
    layer: Optional[str] = None,
    dates: bool = True,
    chunk_points: int = CHUNK_POINTS,
) -> Iterator[PointSeries]:
    """:func:`read_points` in chunks of at most ``chunk_points`` features (consecutive
    feature-id ranges, in the layer's order), so layers of any size stream through bounded
    memory: the chunks together hold exactly what :func:`read_points` returns."""
    dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")
    plan = _ReadPlan.make(lyr, path, fields, dates)
    yield from _chunks(lyr, plan, target_crs, chunk_points)


def _chunks(lyr, plan: "_ReadPlan", target_crs, chunk_points: int, extent=None):
    """The layer read in consecutive feature-id ranges of ``chunk_points`` features (one
    empty read for a layer without features), each kept to ``extent`` when given."""
    ids = _feature_ids(lyr, plan.names)
    if not len(ids):
        yield plan.read(lyr, target_crs, extent)
        return
    for start in range(0, len(ids), max(1, int(chunk_points))):
        first, last = ids[start], ids[min(start + chunk_points, len(ids)) - 1]
        lyr.SetAttributeFilter(f"FID >= {int(first)} AND FID <= {int(last)}")
        try:
            yield plan.read(lyr, target_crs, extent)
        finally:
            lyr.SetAttributeFilter(None)


def _feature_ids(lyr, names: Sequence[str]) -> np.ndarray:
    """The sorted feature ids of a layer (8 bytes a feature; geometry and fields not read)."""
    lyr.SetIgnoredFields(list(names) + ["OGR_GEOMETRY"])
    lyr.ResetReading()
    ids = None
    if hasattr(lyr, "GetArrowStreamAsNumPy"):
        try:
            parts = [
                np.array(batch[next(iter(batch))], dtype=np.int64)
                for batch in lyr.GetArrowStreamAsNumPy(options=["INCLUDE_FID=YES"])
            ]
            ids = np.concatenate(parts) if parts else np.array([], np.int64)
        except RuntimeError:
            ids = None
    if ids is None or len(ids) != lyr.GetFeatureCount():
        lyr.ResetReading()
        ids = np.array([feature.GetFID() for feature in lyr], dtype=np.int64)
    lyr.SetIgnoredFields([])
    return np.sort(ids)


@dataclass
class _ReadPlan:
    """What :func:`read_points` reads from a layer: the fields, the date fields, the CRS."""

    path: PathLike
    names: List[str]  # every field of the layer
    wanted: List[str]
    date_names: List[str]
    layer_dates: List[dt.date]
    epsg: Optional[int]
    wkt: Optional[str]

    @classmethod
    def make(cls, lyr, path, fields, dates: bool) -> "_ReadPlan":
        names = field_names(lyr)
        if fields is None:
            wanted = [n for n in names if not DATE_FIELD.match(n)]
        else:
            wanted = list(dict.fromkeys(fields))
            missing = [n for n in wanted if n not in names]
            if missing:
                listed = ", ".join(names[:12]) + ("..." if len(names) > 12 else "")
                raise InputError(
                    f"has no field '{missing[0]}' (fields: {listed}).",
                    path,
                    "choose a field the layer has (the rate is VEL in our point layers).",
                )
        date_names = [n for n in names if DATE_FIELD.match(n)] if dates else []
        layer_dates = [parse_yyyymmdd(n[1:]) for n in date_names]
        epsg, wkt = crs_of(lyr.GetSpatialRef())
        return cls(path, names, wanted, date_names, layer_dates, epsg, wkt)

    def read(self, lyr, target_crs, extent=None) -> PointSeries:
        """The features the layer's current filter selects (those inside ``extent``, (xmin,
        ymin, xmax, ymax) in the layer's CRS, when given)."""
        read = self.wanted + [n for n in self.date_names if n not in self.wanted]
        bulk = _read_arrow(lyr, read, self.names) if hasattr(lyr, "GetArrowStreamAsNumPy") else None
        if bulk is None:  # GDAL < 3.6, or a stream that came back short
            lyr.SetIgnoredFields([n for n in self.names if n not in read])
            lyr.ResetReading()
            bulk = _read_features(lyr, [self.names.index(n) for n in read])
        x, y, columns = bulk
        keep = np.isfinite(x) & np.isfinite(y)
        if extent is not None:
            keep &= (x >= extent[0]) & (x <= extent[2]) & (y >= extent[1]) & (y <= extent[3])
        x, y = x[keep], y[keep]
        values = {n: _as_field(column[keep]) for n, column in zip(read, columns, strict=True)}
        order = np.argsort(self.layer_dates, kind="stable")
        displacement = (
            np.column_stack([values[self.date_names[i]] for i in order])
            if self.date_names
            else None
        )
        epsg, wkt = self.epsg, self.wkt
        if isinstance(target_crs, str) and not target_crs.strip():
            target_crs = None  # an unknown target, e.g. Grid.crs_wkt() of a grid without CRS
        if target_crs is not None and (epsg or wkt):
            from pyproj import CRS

            source, target = pyproj_crs(epsg, wkt), CRS.from_user_input(target_crs)
            if source != target:
                x, y = transform_xy(x, y, source, target)
                epsg = target.to_epsg()
                wkt = None if epsg else target.to_wkt()
        return PointSeries(
            x,
            y,
            epsg,
            [self.layer_dates[i] for i in order],
            np.empty((len(x), 0)) if displacement is None else displacement.astype(float),
            {n: values[n] for n in self.wanted},
            wkt,
        )


#: fields read per Arrow pass: GDAL 3.6's GeoPackage stream returns no rows at all beyond
#: about 125 columns (EGMS layers have hundreds of date fields)
ARROW_FIELDS_PER_PASS = 100


def _read_arrow(
    lyr, names: Sequence[str], all_names: Sequence[str]
) -> Optional[Tuple[np.ndarray, np.ndarray, List[np.ndarray]]]:
    """x, y (NaN without geometry) and the ``names`` columns (masked where null), in bulk,
    ``ARROW_FIELDS_PER_PASS`` fields per pass; None when a pass does not return every
    feature (the caller then reads feature by feature)."""
    geometry_name = lyr.GetGeometryColumn() or "wkb_geometry"
    step = ARROW_FIELDS_PER_PASS
    groups = [names[i : i + step] for i in range(0, len(names), step)] or [[]]
    x = y = None
    columns: Dict[str, np.ndarray] = {}
    for number, group in enumerate(groups):
        ignored = [n for n in all_names if n not in group] + (["OGR_GEOMETRY"] if number else [])
        lyr.SetIgnoredFields(ignored)
        lyr.ResetReading()
        # with the FID left out and every field ignored, GDAL 3.6 returns empty geometries
        options = ["INCLUDE_FID=NO" if group else "INCLUDE_FID=YES"]
        xs, ys, parts = [], [], {n: [] for n in group}
        count = 0
        try:
            # a batch's arrays are valid only until the next batch is fetched: copy them now
            for batch in lyr.GetArrowStreamAsNumPy(options=options):
                count += len(batch[next(iter(batch))])
                if number == 0:
                    bx, by = _decode_point_wkb(batch[geometry_name])
                    xs.append(bx)
                    ys.append(by)
                for n in group:
                    parts[n].append(np.ma.array(batch[n], copy=True))
        except RuntimeError:
            return None
        if number == 0:
            expected = count if count else lyr.GetFeatureCount()
            x = np.concatenate(xs) if xs else np.array([], float)
            y = np.concatenate(ys) if ys else np.array([], float)
        if count != expected:
            return None
        for n in group:
            columns[n] = np.ma.concatenate(parts[n]) if parts[n] else np.array([], float)
    return x, y, [columns[n] for n in names]


def point_blocks(
    path: PathLike,
    fields: Sequence[str],
    block_size: int = 50_000,
    layer: Optional[str] = None,
) -> Iterator[Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]]:
    """x, y (layer CRS) and the ``fields`` of a point layer, ``block_size`` features at a time,
    so that layers larger than memory stream through (:func:`read_points` reads them whole).

    Fields come as :func:`read_points` gives them (numbers float64 with NaN for null, text as
    str); features without geometry are left out. Through GDAL's Arrow stream, one stream per
    group of ``ARROW_FIELDS_PER_PASS`` fields read in step; feature by feature without it.
    """
    fields = list(dict.fromkeys(fields))
    _dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")  # lives with lyr
    names = field_names(lyr)
    missing = [n for n in fields if n not in names]
    if missing:
        raise InputError(f"has no field '{missing[0]}'.", path, "choose a field the layer has.")
    if hasattr(lyr, "GetArrowStreamAsNumPy"):
        blocks = _arrow_blocks(path, layer, fields, names, block_size, lyr.GetFeatureCount())
    else:
        blocks = None
    if blocks is None:
        blocks = _feature_blocks(lyr, [names.index(n) for n in fields], block_size)
    for x, y, columns in blocks:
        keep = np.isfinite(x) & np.isfinite(y)
        yield (
            x[keep],
            y[keep],
            {n: _as_field(column[keep]) for n, column in zip(fields, columns, strict=True)},
        )


def _arrow_blocks(path, layer, fields, all_names, block_size, count):
    """Blocks from one Arrow stream per field group (each on its own dataset: one stream per
    layer at a time), or None when the first batch is short (GDAL falls back then)."""
    step = ARROW_FIELDS_PER_PASS
    groups = [fields[i : i + step] for i in range(0, len(fields), step)] or [[]]
    datasets, streams = [], []
    for number, group in enumerate(groups):
        dataset, lyr = open_vector(path, layer, "a point layer (GeoPackage)")
        ignored = [n for n in all_names if n not in group] + (["OGR_GEOMETRY"] if number else [])
        lyr.SetIgnoredFields(ignored)
        options = [f"MAX_FEATURES_IN_BATCH={block_size}"]
        options.append("INCLUDE_FID=NO" if group else "INCLUDE_FID=YES")
        datasets.append((dataset, lyr))
        streams.append(iter(lyr.GetArrowStreamAsNumPy(options=options)))
    geometry_name = datasets[0][1].GetGeometryColumn() or "wkb_geometry"
    try:
        first = [next(stream, None) for stream in streams]
    except RuntimeError:
        return None
    if count and (first[0] is None or len(first[0][next(iter(first[0]))]) == 0):
        return None

    def generate(batches):
        while batches[0] is not None:
            x, y = _decode_point_wkb(batches[0][geometry_name])
            columns = {}
            for batch in batches:
                for name in batch:
                    if name in fields:
                        columns[name] = np.ma.array(batch[name], copy=True)
            yield x, y, [columns[n] for n in fields]
            batches = [next(stream, None) for stream in streams]
        datasets.clear()

    return generate(first) if first[0] is not None else iter(())


def _feature_blocks(lyr, indices, block_size):
    """:func:`_read_features` in blocks of ``block_size`` features (iterating an OGR layer
    restarts it, so features are taken one by one)."""
    lyr.ResetReading()
    while True:
        chunk = []
        feature = lyr.GetNextFeature()
        while feature is not None:
            chunk.append(feature)
            if len(chunk) == block_size:
                break
            feature = lyr.GetNextFeature()
        if not chunk:
            return
        yield _read_features(chunk, indices)


def _read_features(lyr, indices: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, List[np.ndarray]]:
    """The same as :func:`_read_arrow` feature by feature (of a layer or a list of
    features); fields by index (OGR's by-name access scans every field name per call)."""
    ogr, _ = _ogr()
    xs, ys, rows = [], [], []
    for feature in lyr:
        geometry = feature.GetGeometryRef()
        if geometry is None or geometry.IsEmpty():
            continue
        if ogr.GT_Flatten(geometry.GetGeometryType()) != ogr.wkbPoint:
            geometry = geometry.Centroid()
        xs.append(geometry.GetX())
        ys.append(geometry.GetY())
        rows.append([feature.GetField(i) for i in indices])
    columns = []
    for k in range(len(indices)):
        raw = [row[k] for row in rows]
        null = np.array([v is None for v in raw], dtype=bool)
        try:
            data = np.array([np.nan if v is None else v for v in raw], dtype=float)
        except (TypeError, ValueError):
            data = np.array(["" if v is None else str(v) for v in raw], dtype=object)
        columns.append(np.ma.masked_array(data, mask=null))
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), columns


def _as_field(column: np.ndarray) -> np.ndarray:
    """A read column as float64 (NaN where null) when numeric, else as str ("" where null)."""
    data = np.ma.getdata(column)
    null = np.ma.getmaskarray(column)
    if data.dtype.kind in "iufb":
        values = data.astype(np.float64)
        values[null] = np.nan
        return values
    text = [
        "" if empty else (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
        for v, empty in zip(data.tolist(), null, strict=True)
    ]
    return np.asarray(text, dtype=str) if text else np.array([], dtype=str)


def _decode_point_wkb(geometries: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """x, y of an array of WKB blobs: 2-D little-endian points in bulk, other geometries one
    by one (their centroid); NaN where a geometry is null or empty."""
    ogr, _ = _ogr()
    null = np.ma.getmaskarray(geometries)
    geometries = np.ma.getdata(geometries)
    if geometries.dtype.kind == "V" and geometries.dtype.itemsize == 21 and not null.any():
        raw = geometries.view(np.uint8).reshape(-1, 21)
        if np.all(raw[:, 0] == 1) and np.all(raw[:, 1:5] == [1, 0, 0, 0]):  # LE wkbPoint
            xy = raw[:, 5:21].copy().view("<f8")
            return xy[:, 0].copy(), xy[:, 1].copy()
    x = np.full(len(geometries), np.nan)
    y = np.full(len(geometries), np.nan)
    for i, blob in enumerate(geometries):
        if null[i] or blob is None:
            continue
        blob = blob.tobytes() if hasattr(blob, "tobytes") else bytes(blob)
        if not blob:
            continue
        geometry = ogr.CreateGeometryFromWkb(blob)
        if geometry is None or geometry.IsEmpty():
            continue
        if ogr.GT_Flatten(geometry.GetGeometryType()) != ogr.wkbPoint:
            geometry = geometry.Centroid()
        x[i], y[i] = geometry.GetX(), geometry.GetY()
    return x, y
