"""Subsidence bowls: connected regions of a velocity raster at or below a rate threshold.

Each region (8-connected pixels, rate <= threshold, area >= ``min_area_km2``) becomes one
polygon (GDAL Polygonize of the region's pixels) with:

* ``area_km2`` (pixel count x pixel area), ``peak`` (most negative rate) and ``mean`` rate
  in mm/yr, and the volume loss rate (sum of rate x pixel area, m3/yr, negative);
* the pixel centroid and the peak location (map units of the raster CRS);
* the moment ellipse of the region's pixel coordinates: ``orient_deg`` = azimuth of the major
  axis, degrees clockwise from north in [0, 180); ``elongation`` = major / minor axis
  (1 = round); ``major_m``/``minor_m`` = 2 sigma semi-axes;
* with mining polygons: the distance (m, raster CRS) from the bowl polygon to the nearest
  mining polygon (0 when they touch) and that polygon's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..errors import InputError
from ..grid import Grid
from ..io.rasters import read_rate_raster
from ..options import Options, option
from ..progress import ProgressCallback, finished, report, silent
from .zonal import read_polygons

PathLike = Union[str, Path]


@dataclass
class BowlOptions(Options):
    """Options of :func:`detect_bowls`."""

    threshold: float = option(
        -10.0,
        help="Pixels with a rate at or below this belong to a bowl (negative: subsidence)",
        unit="mm/yr",
    )
    min_area_km2: float = option(
        0.05, help="Smaller connected regions are dropped as noise", unit="km²", minimum=0.0
    )


@dataclass
class DetectedBowl:
    bowl_id: int
    geometry: object  # OGR (multi)polygon in the raster CRS
    pixels: int
    area_km2: float
    peak: float  # mm/yr (most negative)
    mean: float  # mm/yr
    volume_m3_per_yr: float  # negative = volume lost
    centroid: tuple  # (x, y)
    peak_xy: tuple  # (x, y)
    orient_deg: float
    elongation: float
    major_m: float
    minor_m: float
    mine_distance_m: float = float("nan")
    mine_name: str = ""


def moment_ellipse(x: np.ndarray, y: np.ndarray):
    """(azimuth of major axis in degrees clockwise from north [0, 180), major/minor ratio,
    2-sigma semi-major, 2-sigma semi-minor) of points ``x, y`` (map units)."""
    if len(x) < 2:
        return 0.0, 1.0, 0.0, 0.0
    cov = np.cov(np.vstack([x, y]))
    values, vectors = np.linalg.eigh(cov)
    minor_var, major_var = np.maximum(values, 0.0)
    vx, vy = vectors[:, 1]
    azimuth = float(np.degrees(np.arctan2(vx, vy)) % 180.0)
    elongation = float(np.sqrt(major_var / minor_var)) if minor_var > 0 else float("inf")
    return azimuth, elongation, 2 * float(np.sqrt(major_var)), 2 * float(np.sqrt(minor_var))


def _polygonize(labels: np.ndarray, grid: Grid) -> dict:
    """Label -> OGR geometry (union of the label's polygonised pixels)."""
    from osgeo import gdal, ogr

    raster = gdal.GetDriverByName("MEM").Create("", grid.width, grid.length, 1, gdal.GDT_Int32)
    raster.SetGeoTransform(grid.geotransform)
    band = raster.GetRasterBand(1)
    band.WriteArray(labels.astype(np.int32))
    vector = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vector.CreateLayer("bowls", None, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    gdal.Polygonize(band, band, layer, 0, ["8CONNECTED=8"])
    shapes: dict = {}
    for feature in layer:
        label = feature.GetField("label")
        geom = feature.GetGeometryRef().Clone()
        shapes[label] = geom if label not in shapes else shapes[label].Union(geom)
    return shapes


def find_bowls(
    rates: np.ndarray,
    grid: Grid,
    options: Optional[BowlOptions] = None,
    mining_geometries: Optional[list] = None,
    mining_names: Optional[list] = None,
    progress: ProgressCallback = silent,
) -> List[DetectedBowl]:
    """Bowls of a rate raster (mm/yr, NaN = no data), sorted by peak rate (deepest first)."""
    options = options or BowlOptions()
    from scipy import ndimage

    rates = np.asarray(rates, float)
    mask = np.isfinite(rates) & (np.nan_to_num(rates, nan=np.inf) <= options.threshold)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=int))
    pixel_km2 = grid.pixel_area / 1e6
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = np.flatnonzero(sizes * pixel_km2 >= options.min_area_km2)
    keep = keep[keep > 0]
    lookup = np.zeros(count + 1, dtype=labels.dtype)
    lookup[keep] = np.arange(1, len(keep) + 1)
    relabelled = lookup[labels]
    report(progress, 0.3, f"{len(keep)} region(s) at or below {options.threshold} mm/yr")
    shapes = _polygonize(relabelled, grid) if len(keep) else {}
    bowls = []
    for new in range(1, len(keep) + 1):
        rows, cols = np.nonzero(relabelled == new)
        values = rates[rows, cols]
        x, y = grid.xy(rows, cols)
        deepest = int(np.argmin(values))
        azimuth, elongation, major, minor = moment_ellipse(x, y)
        bowl = DetectedBowl(
            bowl_id=0,
            geometry=shapes[new],
            pixels=len(rows),
            area_km2=len(rows) * pixel_km2,
            peak=float(values[deepest]),
            mean=float(values.mean()),
            volume_m3_per_yr=float(values.sum() / 1000.0 * grid.pixel_area),
            centroid=(float(x.mean()), float(y.mean())),
            peak_xy=(float(x[deepest]), float(y[deepest])),
            orient_deg=azimuth,
            elongation=elongation,
            major_m=major,
            minor_m=minor,
        )
        if mining_geometries:
            distances = [bowl.geometry.Distance(g) for g in mining_geometries]
            nearest = int(np.argmin(distances))
            bowl.mine_distance_m = float(distances[nearest])
            bowl.mine_name = (mining_names or [""] * len(distances))[nearest]
        bowls.append(bowl)
        report(progress, 0.3 + 0.6 * new / len(keep), "Describing bowls")
    bowls.sort(key=lambda b: b.peak)
    for index, bowl in enumerate(bowls, start=1):
        bowl.bowl_id = index
    return bowls


FIELDS = [
    ("bowl_id", int),
    ("area_km2", float),
    ("peak", float),
    ("mean", float),
    ("volume_m3_per_yr", float),
    ("centroid_x", float),
    ("centroid_y", float),
    ("peak_x", float),
    ("peak_y", float),
    ("orient_deg", float),
    ("elongation", float),
    ("major_m", float),
    ("minor_m", float),
    ("mine_distance_m", float),
    ("mine_name", str),
]


def bowl_record(bowl: DetectedBowl) -> dict:
    """The attribute values of :data:`FIELDS` for one bowl."""
    return {
        "bowl_id": bowl.bowl_id,
        "area_km2": bowl.area_km2,
        "peak": bowl.peak,
        "mean": bowl.mean,
        "volume_m3_per_yr": bowl.volume_m3_per_yr,
        "centroid_x": bowl.centroid[0],
        "centroid_y": bowl.centroid[1],
        "peak_x": bowl.peak_xy[0],
        "peak_y": bowl.peak_xy[1],
        "orient_deg": bowl.orient_deg,
        "elongation": bowl.elongation,
        "major_m": bowl.major_m,
        "minor_m": bowl.minor_m,
        "mine_distance_m": bowl.mine_distance_m,
        "mine_name": bowl.mine_name,
    }


def write_bowls(path: PathLike, bowls: List[DetectedBowl], grid: Grid) -> Path:
    """Write the bowls as a GeoPackage polygon layer in the raster CRS (may hold no feature)."""
    from osgeo import ogr, osr

    wkt = grid.crs_wkt()
    srs = osr.SpatialReference(wkt=wkt) if wkt else None
    kinds = {int: ogr.OFTInteger, float: ogr.OFTReal, str: ogr.OFTString}
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer(Path(path).stem, srs, ogr.wkbMultiPolygon)
        for name, kind in FIELDS:
            layer.CreateField(ogr.FieldDefn(name, kinds[kind]))
        layer.StartTransaction()
        for bowl in bowls:
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetGeometry(ogr.ForceToMultiPolygon(bowl.geometry.Clone()))
            for name, value in bowl_record(bowl).items():
                if isinstance(value, float) and not np.isfinite(value):
                    continue
                feature.SetField(name, value)
            layer.CreateFeature(feature)
        layer.CommitTransaction()
        ds = None
    return Path(path)


def detect_bowls(
    velocity_path: PathLike,
    output_path: PathLike,
    options: Optional[BowlOptions] = None,
    mining_path: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> List[DetectedBowl]:
    """Read a velocity raster (mm/yr; GeoTIFF or MintPy velocity.h5), find the bowls and
    write them to a GeoPackage."""
    options = options or BowlOptions()
    check_outputs([output_path], [velocity_path, mining_path])
    if options.threshold >= 0:
        raise InputError(
            f"the threshold {options.threshold} mm/yr is not negative.",
            velocity_path,
            "subsidence is negative: use e.g. -10 mm/yr.",
        )
    rates, grid = read_rate_raster(velocity_path)
    if not np.isfinite(rates).any():
        raise InputError("holds no valid rate.", velocity_path, "give a velocity with data.")
    geometries = names = None
    if mining_path:
        mining = read_polygons(mining_path)
        geometries, names = mining.in_crs(grid.crs_wkt() or None), mining.names
    bowls = find_bowls(rates, grid, options, geometries, names, progress)
    write_bowls(output_path, bowls, grid)
    finished(progress, f"{len(bowls)} bowl(s) written")
    return bowls
