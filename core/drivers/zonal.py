"""Zonal statistics of subsidence rates over polygons (counties, mining concessions) and the
mining-consistency test of paper 000 (fig. 4) made quantitative.

Rates come from a velocity raster (mm/yr, one value per pixel: GeoTIFF, MintPy velocity.h5,
radar-coordinate products geocoded on the fly) or from a point layer's rate field (``VEL``,
mm/yr), read in row blocks and point chunks (each polygon's window, never the whole raster).
Subsidence is negative: a value is *subsiding* when it is at or below ``threshold`` (e.g.
-10 mm/yr).

Mining consistency: over all valid pixels (or points) of the rate data,

* share inside = subsiding area inside the mining polygons / all subsiding area;
* area fraction = valid area inside the mining polygons / all valid area;
* enrichment ratio = share inside / area fraction (1 = subsidence no more frequent inside the
  mines than anywhere else; 5 = five times over-represented inside them).

For points, counts of points replace areas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs, csv_output
from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB
from ..crs import pyproj_crs
from ..errors import InputError
from ..grid import Grid
from ..io.rasters import RasterSource, open_rate_raster
from ..io.vector import field_names, open_vector
from ..options import Options, option
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]


@dataclass
class ZonalOptions(Options):
    """Options of :func:`zonal_statistics`."""

    threshold: float = option(
        -10.0,
        help="Rates at or below this count as subsiding (negative: subsidence)",
        unit="mm/yr",
    )
    percentiles: Tuple[float, ...] = option(
        (10.0, 50.0, 90.0), help="Percentiles of the rate reported per polygon", unit="%"
    )
    rate_field: str = option("VEL", help="Rate field of a point layer, in mm/yr")
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Raster blocks and point chunks read at a time",
        unit="MiB",
        minimum=0.001,
    )


# ----------------------------------------------------------------------------- polygons
@dataclass
class Polygons:
    """Polygon features of one layer. ``geometries`` are OGR geometries in ``wkt`` CRS."""

    path: str
    geometries: list
    fields: Dict[str, list]
    field_types: Dict[str, int]
    wkt: Optional[str]
    names: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.geometries)

    def in_crs(self, target_wkt: Optional[str]) -> list:
        """Clones of the geometries transformed to ``target_wkt`` (as-is when either is unset)."""
        from osgeo import osr

        clones = [g.Clone() for g in self.geometries]
        if not target_wkt or not self.wkt:
            return clones
        source = osr.SpatialReference(wkt=self.wkt)
        target = osr.SpatialReference(wkt=target_wkt)
        if source.IsSame(target):
            return clones
        for srs in (source, target):
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        transform = osr.CoordinateTransformation(source, target)
        for g in clones:
            g.Transform(transform)
        return clones


def _ogr():
    from osgeo import ogr, osr

    ogr.UseExceptions()
    osr.UseExceptions()
    return ogr


def read_polygons(
    path: PathLike, name_field: Optional[str] = None, allow_empty: bool = False
) -> Polygons:
    """Read the polygons of the first layer of any OGR vector file.

    ``names`` come from ``name_field``, else the first string field, else the feature id.
    Raises InputError naming the file when it is unreadable, holds no polygons (unless
    ``allow_empty``) or holds other geometry types.
    """
    ogr = _ogr()
    dataset, layer = open_vector(path, expected="a polygon layer (GeoPackage, Shapefile...)")
    defn = layer.GetLayerDefn()
    names = field_names(layer)
    types = {n: defn.GetFieldDefn(i).GetType() for i, n in enumerate(names)}
    srs = layer.GetSpatialRef()
    wkt = srs.ExportToWkt() if srs is not None else None
    geometries, values, fids = [], {n: [] for n in names}, []
    for feature in layer:
        geom = feature.GetGeometryRef()
        if geom is None or geom.IsEmpty():
            continue
        if ogr.GT_Flatten(geom.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
            raise InputError(
                f"holds {geom.GetGeometryName()} geometries, not polygons.",
                path,
                "give a polygon layer.",
            )
        geometries.append(geom.Clone())
        fids.append(feature.GetFID())
        for n in names:
            values[n].append(feature.GetField(n))
    if not geometries and not allow_empty:
        raise InputError("holds no polygons.", path, "give a layer with at least one polygon.")
    label_field = (
        name_field
        if name_field in names
        else next((n for n in names if types[n] == ogr.OFTString), None)
    )
    labels = [str(v) for v in values[label_field]] if label_field else [str(f) for f in fids]
    return Polygons(str(path), geometries, values, types, wkt, labels)


def polygon_window_mask(geometry, grid: Grid) -> Optional[Tuple[int, int, int, int, np.ndarray]]:
    """Rasterise one polygon (already in the grid CRS) onto the window of ``grid`` it covers.

    Returns (row0, row1, col0, col1, mask) with ``mask`` True where the pixel centre is inside,
    or None when the polygon misses the grid.
    """
    from osgeo import gdal

    ogr = _ogr()
    xmin, xmax, ymin, ymax = geometry.GetEnvelope()
    rows, cols = grid.rowcol([xmin, xmax], [ymin, ymax])
    r0, r1 = int(max(rows.min(), 0)), int(min(rows.max() + 1, grid.length))
    c0, c1 = int(max(cols.min(), 0)), int(min(cols.max() + 1, grid.width))
    if r1 <= r0 or c1 <= c0:
        return None
    window = grid.window(r0, r1, c0, c1)
    raster = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 1, gdal.GDT_Byte)
    raster.SetGeoTransform(window.geotransform)
    vector = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vector.CreateLayer("polygon", None, ogr.wkbUnknown)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(geometry)
    layer.CreateFeature(feature)
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # both sides carry no CRS: nothing to warn
    try:
        gdal.RasterizeLayer(raster, [1], layer, burn_values=[1])
    finally:
        gdal.PopErrorHandler()
    mask = raster.GetRasterBand(1).ReadAsArray().astype(bool)
    return r0, r1, c0, c1, mask


def union_mask(geometries: Sequence, grid: Grid) -> np.ndarray:
    """True where a pixel centre falls inside any of ``geometries`` (grid CRS)."""
    out = np.zeros(grid.shape, dtype=bool)
    for geometry in geometries:
        window = polygon_window_mask(geometry, grid)
        if window is not None:
            r0, r1, c0, c1, mask = window
            out[r0:r1, c0:c1] |= mask
    return out


def points_in_polygon(geometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for the points inside ``geometry`` (holes and multi-polygons respected)."""
    from matplotlib.path import Path as MplPath

    ogr = _ogr()
    x, y = np.asarray(x, float), np.asarray(y, float)
    inside = np.zeros(len(x), dtype=bool)
    xmin, xmax, ymin, ymax = geometry.GetEnvelope()
    candidates = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    if candidates.size == 0:
        return inside
    xy = np.column_stack([x[candidates], y[candidates]])
    flat = ogr.GT_Flatten(geometry.GetGeometryType())
    parts = (
        [geometry.GetGeometryRef(i) for i in range(geometry.GetGeometryCount())]
        if flat == ogr.wkbMultiPolygon
        else [geometry]
    )
    hit = np.zeros(len(candidates), dtype=bool)
    for part in parts:
        rings = [
            np.asarray(part.GetGeometryRef(i).GetPoints())[:, :2]
            for i in range(part.GetGeometryCount())
        ]
        in_part = MplPath(rings[0]).contains_points(xy)
        for hole in rings[1:]:
            in_part &= ~MplPath(hole).contains_points(xy)
        hit |= in_part
    inside[candidates] = hit
    return inside


# ----------------------------------------------------------------------------- statistics
def rate_statistics(
    rates: np.ndarray,
    threshold: float,
    percentiles: Sequence[float],
    unit_area_km2: Optional[float] = None,
) -> Dict[str, float]:
    """Count, min/max/mean/std/percentiles of finite ``rates`` (mm/yr) and the subsiding share.

    ``unit_area_km2`` (a pixel's area) gives ``subsiding_km2``; without it (points) that
    field is NaN and only the fraction is meaningful.
    """
    rates = np.asarray(rates, float)
    rates = rates[np.isfinite(rates)]
    n = rates.size
    stats: Dict[str, float] = {"count": float(n)}
    nan = float("nan")
    stats["min"] = float(rates.min()) if n else nan
    stats["max"] = float(rates.max()) if n else nan
    stats["mean"] = float(rates.mean()) if n else nan
    stats["std"] = float(rates.std()) if n else nan
    for p in percentiles:
        stats[f"p{p:g}"] = float(np.percentile(rates, p)) if n else nan
    below = int(np.count_nonzero(rates <= threshold))
    stats["subsiding_count"] = float(below)
    stats["subsiding_km2"] = below * unit_area_km2 if unit_area_km2 is not None else nan
    stats["subsiding_fraction"] = below / n if n else nan
    return stats


def enrichment(
    subsiding: np.ndarray, inside: np.ndarray, valid: np.ndarray, unit: float = 1.0
) -> Dict[str, float]:
    """Mining-consistency measures from boolean arrays of one shape.

    ``unit`` is the area of one element (km2 per pixel) or 1 for point counts.
    """
    subsiding = subsiding & valid
    return enrichment_from_counts(
        np.count_nonzero(valid),
        np.count_nonzero(valid & inside),
        np.count_nonzero(subsiding),
        np.count_nonzero(subsiding & inside),
        unit,
    )


def enrichment_from_counts(
    valid: float, valid_inside: float, subsiding: float, subsiding_inside: float, unit: float
) -> Dict[str, float]:
    """:func:`enrichment` from its four counts (elements valid, valid inside the mines,
    subsiding, subsiding inside), each an area once multiplied by ``unit``."""
    total = valid * unit
    mining = valid_inside * unit
    sub_total = subsiding * unit
    sub_in = subsiding_inside * unit
    nan = float("nan")
    share_in = sub_in / sub_total if sub_total else nan
    area_fraction = mining / total if total else nan
    return {
        "total": total,
        "inside_mining": mining,
        "area_fraction_inside": area_fraction,
        "subsiding_total": sub_total,
        "subsiding_inside": sub_in,
        "subsiding_outside": sub_total - sub_in,
        "share_inside": share_in,
        "share_outside": 1 - share_in if sub_total else nan,
        "subsiding_fraction_of_mining": sub_in / mining if mining else nan,
        "subsiding_fraction_elsewhere": (
            (sub_total - sub_in) / (total - mining) if total > mining else nan
        ),
        "enrichment_ratio": share_in / area_fraction if sub_total and area_fraction else nan,
    }


@dataclass
class ZonalResult:
    names: List[str]
    stats: List[Dict[str, float]]  # one dict per polygon
    mining: Optional[Dict[str, float]]  # enrichment() measures, or None
    unit: str  # "km2" (raster) or "points"


@dataclass
class RateData:
    """Rates to summarise, read in blocks: a raster (:class:`~core.io.rasters.RasterSource`)
    or a point layer's ``rate_field`` (read in chunks)."""

    wkt: Optional[str]
    path: str
    raster: Optional[RasterSource] = None
    rate_field: str = "VEL"
    memory_mb: float = DEFAULT_MEMORY_BUDGET_MB

    @property
    def is_raster(self) -> bool:
        return self.raster is not None

    @property
    def grid(self) -> Optional[Grid]:
        return self.raster.grid if self.raster is not None else None

    def point_chunks(self) -> Iterator[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(x, y, rate) of the points, chunk by chunk."""
        from ..io.point_layers import read_point_chunks

        size = max(1, int(self.memory_mb * 2**20 // 64))
        for chunk in read_point_chunks(
            self.path, [self.rate_field], dates=False, chunk_points=size
        ):
            yield chunk.x, chunk.y, np.asarray(chunk.fields[self.rate_field], float)

    def window_blocks(self, r0: int, r1: int, c0: int, c1: int):
        """(row0, row1, values) of the raster window rows [r0, r1), columns [c0, c1), in
        row blocks of the memory budget."""
        for rows in row_blocks(r1 - r0, 32 * (c1 - c0), self.memory_mb):
            a, b = r0 + rows.start, r0 + rows.stop
            yield a, b, self.raster.read((a, b, c0, c1))


def load_rates(
    velocity: Optional[PathLike] = None,
    points: Optional[PathLike] = None,
    rate_field: str = "VEL",
    memory_mb: float = DEFAULT_MEMORY_BUDGET_MB,
) -> RateData:
    """Rates (mm/yr) from a velocity raster (GeoTIFF, MintPy velocity.h5) or a point layer's
    ``rate_field``; nothing is read yet but the layout."""
    if (velocity is None) == (points is None):
        raise InputError("give either a velocity raster or a point layer (exactly one).")
    if velocity is not None:
        raster = open_rate_raster(velocity)
        return RateData(raster.grid.crs_wkt() or None, str(velocity), raster, memory_mb=memory_mb)
    from ..io.point_layers import point_layer_crs
    from ..io.vector import field_names, open_vector

    dataset, layer = open_vector(points, expected="a point layer (GeoPackage)")
    names = field_names(layer)
    if rate_field not in names:
        raise InputError(
            f"has no '{rate_field}' field (fields: {', '.join(names)}).",
            points,
            "choose the field that holds the rate in mm/yr.",
        )
    epsg, wkt = point_layer_crs(points)
    crs = pyproj_crs(epsg, wkt)
    return RateData(
        crs.to_wkt() if crs is not None else None,
        str(points),
        rate_field=rate_field,
        memory_mb=memory_mb,
    )


def _inside(rates: RateData, geometry) -> np.ndarray:
    """The rates inside ``geometry`` (rate CRS): a raster window read in row blocks."""
    window = polygon_window_mask(geometry, rates.grid)
    if window is None:
        return np.array([])
    r0, r1, c0, c1, mask = window
    parts = [values[mask[a - r0 : b - r0]] for a, b, values in rates.window_blocks(r0, r1, c0, c1)]
    return np.concatenate(parts) if parts else np.array([])


def _point_values_inside(rates: RateData, geometries: Sequence) -> List[np.ndarray]:
    """The rates of the points inside each geometry, the layer read once in chunks."""
    found: List[List[np.ndarray]] = [[] for _ in geometries]
    for x, y, values in rates.point_chunks():
        for k, geometry in enumerate(geometries):
            found[k].append(values[points_in_polygon(geometry, x, y)])
    return [np.concatenate(parts) if parts else np.array([]) for parts in found]


def _mining_measures(
    rates: RateData, mine_geoms: Sequence, threshold: float, unit_km2: Optional[float]
) -> Dict[str, float]:
    """:func:`enrichment` over every block of the rates (counts add up block by block)."""
    counts = np.zeros(4)  # valid, valid inside, subsiding, subsiding inside

    def add(values: np.ndarray, inside: np.ndarray) -> None:
        valid = np.isfinite(values)
        subsiding = valid & (np.nan_to_num(values, nan=np.inf) <= threshold)
        counts[:] += [
            np.count_nonzero(valid),
            np.count_nonzero(valid & inside),
            np.count_nonzero(subsiding),
            np.count_nonzero(subsiding & inside),
        ]

    if rates.is_raster:
        grid = rates.grid
        for a, b, values in rates.window_blocks(0, grid.length, 0, grid.width):
            add(values, union_mask(mine_geoms, grid.window(a, b, 0, grid.width)))
    else:
        for x, y, values in rates.point_chunks():
            inside = np.zeros(len(values), dtype=bool)
            for g in mine_geoms:
                inside |= points_in_polygon(g, x, y)
            add(values, inside)
    return enrichment_from_counts(*counts, unit=unit_km2 if unit_km2 else 1.0)


def compute_zonal(
    polygons: Polygons,
    rates: RateData,
    options: Optional[ZonalOptions] = None,
    mining: Optional[Polygons] = None,
    progress: ProgressCallback = silent,
) -> ZonalResult:
    """Per-polygon rate statistics and (with ``mining``) the mining-consistency measures."""
    options = options or ZonalOptions()
    unit_km2 = rates.grid.pixel_area / 1e6 if rates.is_raster else None
    geometries = polygons.in_crs(rates.wkt)
    if not rates.is_raster:
        inside = _point_values_inside(rates, geometries)
    stats = []
    for index, geometry in enumerate(geometries):
        values = _inside(rates, geometry) if rates.is_raster else inside[index]
        row = rate_statistics(values, options.threshold, options.percentiles, unit_km2)
        row["area_km2"] = geometry.GetArea() / 1e6
        stats.append(row)
        report(progress, 0.8 * (index + 1) / max(len(geometries), 1), "Zonal statistics")
    measures = None
    if mining is not None:
        mine_geoms = mining.in_crs(rates.wkt)
        measures = _mining_measures(rates, mine_geoms, options.threshold, unit_km2)
    report(progress, 1.0, "Zonal statistics done")
    return ZonalResult(polygons.names, stats, measures, "km2" if rates.is_raster else "points")


def _has_valid_rate(rates: RateData) -> bool:
    if rates.is_raster:
        grid = rates.grid
        return any(
            np.isfinite(values).any()
            for _, _, values in rates.window_blocks(0, grid.length, 0, grid.width)
        )
    return any(np.isfinite(values).any() for _, _, values in rates.point_chunks())


# ----------------------------------------------------------------------------- writers
def write_mining_table(
    path: PathLike, measures: Dict[str, float], unit: str, threshold: float
) -> Path:
    """CSV ``measure,value,unit`` of :func:`enrichment` results."""
    units = {
        "total": unit,
        "inside_mining": unit,
        "subsiding_total": unit,
        "subsiding_inside": unit,
        "subsiding_outside": unit,
    }
    with csv_output(path) as writer:
        writer.writerow(["measure", "value", "unit"])
        writer.writerow(["threshold", threshold, "mm/yr"])
        for key, value in measures.items():
            writer.writerow([key, f"{value:.6g}", units.get(key, "ratio")])
    return Path(path)


def write_zonal(path: PathLike, polygons: Polygons, result: ZonalResult) -> Path:
    """The polygons with their statistics: a GeoPackage layer, or a CSV table for ``.csv``."""
    stat_names = list(result.stats[0]) if result.stats else []
    if str(path).lower().endswith(".csv"):
        with csv_output(path) as writer:
            writer.writerow(["name"] + stat_names)
            for name, row in zip(result.names, result.stats, strict=True):
                writer.writerow([name] + [f"{row[k]:.6g}" for k in stat_names])
        return Path(path)
    from osgeo import osr

    ogr = _ogr()
    srs = osr.SpatialReference(wkt=polygons.wkt) if polygons.wkt else None
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer(Path(path).stem, srs, ogr.wkbMultiPolygon)
        for name, kind in polygons.field_types.items():
            layer.CreateField(ogr.FieldDefn(name, kind))
        out_names = {}
        existing = {n.lower() for n in polygons.field_types}
        for stat in stat_names:
            out = stat if stat.lower() not in existing else f"z_{stat}"
            out_names[stat] = out
            layer.CreateField(ogr.FieldDefn(out, ogr.OFTReal))
        layer.StartTransaction()
        for index, geometry in enumerate(polygons.geometries):
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetGeometry(ogr.ForceToMultiPolygon(geometry.Clone()))
            for name in polygons.field_types:
                value = polygons.fields[name][index]
                if value is not None:
                    feature.SetField(name, value)
            for stat, out in out_names.items():
                value = result.stats[index][stat]
                if np.isfinite(value):
                    feature.SetField(out, float(value))
            layer.CreateFeature(feature)
        layer.CommitTransaction()
        ds = None
    return Path(path)


def zonal_statistics(
    polygons_path: PathLike,
    output_path: PathLike,
    velocity_path: Optional[PathLike] = None,
    points_path: Optional[PathLike] = None,
    mining_path: Optional[PathLike] = None,
    mining_table_path: Optional[PathLike] = None,
    options: Optional[ZonalOptions] = None,
    progress: ProgressCallback = silent,
) -> ZonalResult:
    """Read, compute and write: per-polygon statistics (GeoPackage or CSV at ``output_path``)
    and, with ``mining_path``, the mining-consistency table at ``mining_table_path``."""
    options = options or ZonalOptions()
    inputs = [p for p in (polygons_path, velocity_path, points_path, mining_path) if p]
    check_outputs([output_path, mining_table_path], inputs)
    if mining_path and not mining_table_path:
        raise InputError(
            "a mining layer was given but no file for the mining table.",
            mining_path,
            "give an output path for the mining-consistency table.",
        )
    polygons = read_polygons(polygons_path)
    rates = load_rates(velocity_path, points_path, options.rate_field, options.memory_mb)
    if not _has_valid_rate(rates):
        raise InputError("holds no valid rate.", rates.path, "give a velocity with data.")
    mining = read_polygons(mining_path) if mining_path else None
    result = compute_zonal(polygons, rates, options, mining, progress)
    write_zonal(output_path, polygons, result)
    if mining is not None:
        write_mining_table(mining_table_path, result.mining, result.unit, options.threshold)
    return result
