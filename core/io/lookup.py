"""Lookup tables of radar-coordinate files: the latitude and longitude (degrees, WGS 84) of the
centre of every radar pixel, as MintPy keeps them in ``geometryRadar.h5`` (datasets
``latitude`` and ``longitude``, (L, W), float32).

A file in radar coordinates (no X_FIRST/Y_FIRST) finds its lookup tables (:func:`find_lookup`)
in this order: the file itself when it holds ``latitude``/``longitude``; the file its
``LOOKUP_FILE`` attribute (or GeoTIFF metadata item) names; ``geometryRadar.h5`` beside it, in
``inputs/`` beside it, or in its parent folder or the parent's ``inputs/`` — MintPy's own
layout (``mintpy/inputs/geometryRadar.h5`` beside ``mintpy/velocity.h5``).

Map positions go through GDAL's geolocation arrays: :meth:`RadarLookup.rowcol` inverts them
(map position -> nearest pixel), :meth:`RadarLookup.warp` makes GDAL's virtual warp of a
radar-coordinate raster onto a map grid (read in windows, nearest neighbour or bilinear), the
tool :func:`core.timeseries.geocode.geocode` and the raster readers of the analysis steps use.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Optional, Tuple, Union

import numpy as np

from ..blocks import row_blocks
from ..errors import InputError
from ..grid import Grid

PathLike = Union[str, Path]

#: attribute (MintPy HDF5) or metadata item (GeoTIFF) naming the lookup file of a product
LOOKUP_ATTRIBUTE = "LOOKUP_FILE"
LOOKUP_NAME = "geometryRadar.h5"
WGS84 = 4326
_VSIMEM = "/vsimem/insar_subsidence_lookup"


def _gdal():
    from osgeo import gdal

    gdal.UseExceptions()
    return gdal


def hdf5_dataset_name(path: PathLike, dataset: str) -> str:
    """GDAL's name of one dataset of an HDF5 file (a raster; 3-D datasets are bands)."""
    return f'HDF5:"{Path(path).resolve()}"://{dataset}'


@dataclass(frozen=True)
class RadarLookup:
    """Latitude/longitude of every pixel of a radar-coordinate grid (a ``geometryRadar.h5``).

    Stands in for a :class:`~core.grid.Grid` where pixels meet map positions: ``rowcol``,
    ``xy``, ``epsg`` and ``crs_wkt`` in longitude/latitude (WGS 84).
    """

    path: Path
    length: int
    width: int
    epsg: int = WGS84
    wkt: Optional[str] = None

    @classmethod
    def open(cls, path: PathLike) -> "RadarLookup":
        """Open ``path`` (InputError naming it when it lacks 2-D latitude/longitude datasets
        of one shape)."""
        from .mintpy import open_h5

        path = Path(path).resolve()
        with open_h5(path, required=("latitude", "longitude")) as f:
            shapes = {name: f[name].shape for name in ("latitude", "longitude")}
        if len(shapes["latitude"]) != 2 or shapes["latitude"] != shapes["longitude"]:
            raise InputError(
                f"its latitude {shapes['latitude']} and longitude {shapes['longitude']} are not "
                "two images of one shape.",
                path,
                "give the geometryRadar.h5 of the stack (MintPy's load_data writes it).",
            )
        return cls(path, *shapes["latitude"])

    @property
    def shape(self) -> Tuple[int, int]:
        return (self.length, self.width)

    def crs_wkt(self) -> str:
        from osgeo import osr

        srs = osr.SpatialReference()
        srs.ImportFromEPSG(WGS84)
        return srs.ExportToWkt()

    def check_matches(self, grid: Grid, path: PathLike) -> None:
        """InputError naming ``path`` when its radar grid is not the lookup's."""
        if grid.shape != self.shape:
            raise InputError(
                f"its radar grid is {grid.length} x {grid.width} pixels, the lookup tables "
                f"{self.path.name} are {self.length} x {self.width}.",
                path,
                "give the geometryRadar.h5 of the same stack (same looks and subset).",
            )

    # ------------------------------------------------------------------ reading
    def read(self, rows: slice = slice(None)) -> Tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (float64, degrees) of a row block; NaN where unknown
        (non-finite values, and the 0/0 fill of some processors)."""
        from .mintpy import open_h5

        with open_h5(self.path, required=("latitude", "longitude")) as f:
            lon = f["longitude"][rows, :].astype(np.float64)
            lat = f["latitude"][rows, :].astype(np.float64)
        unknown = ~(np.isfinite(lon) & np.isfinite(lat)) | ((lon == 0) & (lat == 0))
        lon[unknown] = np.nan
        lat[unknown] = np.nan
        return lon, lat

    def blocks(self, memory_mb: float = 64.0) -> Iterator[Tuple[slice, np.ndarray, np.ndarray]]:
        """(rows, longitude, latitude) over the whole grid in row blocks."""
        for rows in row_blocks(self.length, 32 * self.width, memory_mb):
            yield (rows, *self.read(rows))

    def xy(self, rows, cols) -> Tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude of pixels (NaN where unknown or outside the grid; scalars
        for scalars)."""
        scalar = np.ndim(rows) == 0
        rows = np.atleast_1d(np.asarray(rows, int))
        cols = np.atleast_1d(np.asarray(cols, int))
        lon = np.full(rows.shape, np.nan)
        lat = np.full(rows.shape, np.nan)
        inside = (rows >= 0) & (rows < self.length) & (cols >= 0) & (cols < self.width)
        if inside.any():
            r0, r1 = int(rows[inside].min()), int(rows[inside].max()) + 1
            block_lon, block_lat = self.read(slice(r0, r1))
            lon[inside] = block_lon[rows[inside] - r0, cols[inside]]
            lat[inside] = block_lat[rows[inside] - r0, cols[inside]]
        return (lon[0], lat[0]) if scalar else (lon, lat)

    def rowcol(self, x, y) -> Tuple[np.ndarray, np.ndarray]:
        """The pixel (row, column) nearest to each longitude ``x``, latitude ``y``; -1 where
        the position lies outside the area the lookup tables cover (scalars for scalars)."""
        scalar = np.ndim(x) == 0
        x = np.atleast_1d(np.asarray(x, float))
        y = np.atleast_1d(np.asarray(y, float))
        gdal = _gdal()
        transformer = gdal.Transformer(self._geolocated(), None, [])
        points, found = transformer.TransformPoints(
            1, [(float(a), float(b), 0.0) for a, b in zip(x, y, strict=True)]
        )
        columns = np.array([p[0] for p in points]) if len(points) else np.array([])
        lines = np.array([p[1] for p in points]) if len(points) else np.array([])
        ok = np.asarray(found, bool) & np.isfinite(columns) & np.isfinite(lines)
        rows = np.full(x.shape, -1)
        cols = np.full(x.shape, -1)
        rows[ok] = np.floor(lines[ok]).astype(int)
        cols[ok] = np.floor(columns[ok]).astype(int)
        outside = (rows < 0) | (rows >= self.length) | (cols < 0) | (cols >= self.width)
        rows[outside] = cols[outside] = -1
        return (rows[0], cols[0]) if scalar else (rows, cols)

    def contains(self, row, col) -> np.ndarray:
        row, col = np.asarray(row), np.asarray(col)
        return (row >= 0) & (row < self.length) & (col >= 0) & (col < self.width)

    def window(self, extent: Tuple[float, float, float, float], source: PathLike = None):
        """Row and column slices of the pixels whose longitude/latitude lie inside ``extent``
        (xmin, ymin, xmax, ymax in degrees); InputError naming ``source`` when none does."""
        xmin, ymin, xmax, ymax = extent
        found_rows, found_cols = [], []
        for rows, lon, lat in self.blocks():
            inside = (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
            r, c = np.nonzero(inside)
            if r.size:
                found_rows += [rows.start + r.min(), rows.start + r.max()]
                found_cols += [c.min(), c.max()]
        if not found_rows:
            raise InputError(
                "the area lies outside the radar image (no pixel of its lookup tables falls "
                "inside it).",
                source or self.path,
                "draw the area over the stack (in longitude/latitude, or any CRS QGIS converts).",
            )
        return (
            slice(int(min(found_rows)), int(max(found_rows)) + 1),
            slice(int(min(found_cols)), int(max(found_cols)) + 1),
        )

    # ------------------------------------------------------------------ map grid
    def map_grid(self, epsg: Optional[int] = None, pixel_size: Optional[float] = None) -> Grid:
        """The map grid products are geocoded onto by default: ``epsg`` (default: the UTM
        zone of the scene centre), ``pixel_size`` in its units (default: the geometric mean of
        the median spacing of neighbouring pixels along rows and columns, rounded to two
        significant digits), covering every pixel centre, edges on multiples of the pixel."""
        return _map_grid(self.path, _mtime(self.path), epsg, pixel_size)

    # ------------------------------------------------------------------ GDAL
    def geolocation_metadata(self, folder: Optional[Path] = None) -> Mapping[str, str]:
        """GDAL's GEOLOCATION metadata domain pointing at these tables (pixel centres,
        NaN = unknown) through two small VRTs, in memory or written in ``folder``."""
        if folder is None:
            lon, lat = _memory_geolocation_bands(self.path, _mtime(self.path))
        else:
            lon, lat = _geolocation_bands(self.path, _mtime(self.path), Path(folder))
        return {
            "X_DATASET": lon,
            "X_BAND": "1",
            "Y_DATASET": lat,
            "Y_BAND": "1",
            "PIXEL_OFFSET": "0",
            "LINE_OFFSET": "0",
            "PIXEL_STEP": "1",
            "LINE_STEP": "1",
            "SRS": self.crs_wkt(),
            "GEOREFERENCING_CONVENTION": "PIXEL_CENTER",
        }

    def _geolocated(self):
        """An empty in-memory raster of the radar grid carrying the geolocation arrays."""
        gdal = _gdal()
        dataset = gdal.GetDriverByName("MEM").Create("", self.width, self.length, 1, gdal.GDT_Byte)
        dataset.SetMetadata(dict(self.geolocation_metadata()), "GEOLOCATION")
        return dataset

    def warp(
        self,
        source,
        grid: Grid,
        resampling: str = "nearest",
        nodata: float = np.nan,
        destination: Optional[PathLike] = None,
    ):
        """GDAL's virtual warp of ``source`` (a GDAL raster of this radar grid, or its name)
        onto the map ``grid``: a VRT dataset that warps the windows read from it. In memory,
        or written at ``destination`` (a .vrt, with its helper VRTs beside it) for QGIS."""
        gdal = _gdal()
        if isinstance(source, (str, Path)):
            source = gdal.Open(str(source))
        if (source.RasterYSize, source.RasterXSize) != self.shape:
            raise InputError(
                f"its radar grid is {source.RasterYSize} x {source.RasterXSize} pixels, the "
                f"lookup tables {self.path.name} are {self.length} x {self.width}.",
                source.GetDescription() or None,
                "give the geometryRadar.h5 of the same stack (same looks and subset).",
            )
        if destination is None:
            located_name, warped_name, folder = "", "", None
        else:
            destination = Path(destination)
            folder = destination.parent
            located_name = str(destination.with_suffix(".radar.vrt"))
            warped_name = str(destination)
        located = gdal.Translate(located_name, source, format="VRT")
        located.SetMetadata(dict(self.geolocation_metadata(folder)), "GEOLOCATION")
        located.FlushCache()
        xmin, ymin, xmax, ymax = grid.extent
        return gdal.Warp(
            warped_name,
            located,
            format="VRT",
            dstSRS=grid.crs_wkt(),
            outputBounds=(xmin, ymin, xmax, ymax),
            width=grid.width,
            height=grid.length,
            resampleAlg=resampling,
            geoloc=True,
            srcNodata=nodata,
            dstNodata=nodata,
            multithread=False,
        )


def _mtime(path: Path) -> float:
    return Path(path).stat().st_mtime


def _geolocation_bands(path: Path, mtime: float, folder: Optional[Path]) -> Tuple[str, str]:
    """VRTs of the longitude and latitude datasets with NaN as no data (GDAL's geolocation
    transformer then ignores unknown pixels), in memory or in ``folder``."""
    gdal = _gdal()
    key = hashlib.md5(f"{path}:{mtime}".encode()).hexdigest()[:12]
    names = []
    for dataset in ("longitude", "latitude"):
        if folder is None:
            name = f"{_VSIMEM}/{key}_{dataset}.vrt"
        else:
            name = str(Path(folder) / f"{path.stem}_{key}_{dataset}.vrt")
        gdal.Translate(name, hdf5_dataset_name(path, dataset), format="VRT", noData="nan")
        names.append(name)
    return names[0], names[1]


@functools.lru_cache(maxsize=16)
def _memory_geolocation_bands(path: Path, mtime: float) -> Tuple[str, str]:
    return _geolocation_bands(path, mtime, None)


@functools.lru_cache(maxsize=16)
def _map_grid(path: Path, mtime: float, epsg: Optional[int], pixel_size: Optional[float]) -> Grid:
    from pyproj import CRS

    from ..crs import transform_xy, utm_crs

    lookup = RadarLookup.open(path)
    if epsg:
        target = CRS.from_epsg(int(epsg))
    else:
        middle = lookup.read(slice(lookup.length // 2, lookup.length // 2 + 1))
        lon, lat = (np.nanmedian(v) if np.isfinite(v).any() else np.nan for v in middle)
        if not np.isfinite(lon):
            lon, lat = _median_position(lookup)
        target = utm_crs(float(lon), float(lat))
    low = np.array([np.inf, np.inf])
    high = -low
    spacing = []
    for _rows, lon, lat in lookup.blocks():
        x, y = transform_xy(lon, lat, "EPSG:4326", target)
        if np.isfinite(x).any():
            low = np.minimum(low, [np.nanmin(x), np.nanmin(y)])
            high = np.maximum(high, [np.nanmax(x), np.nanmax(y)])
        if pixel_size is None and not spacing:
            along = np.hypot(np.diff(x, axis=1), np.diff(y, axis=1))
            across = np.hypot(np.diff(x, axis=0), np.diff(y, axis=0))
            if np.isfinite(along).any() and np.isfinite(across).any():
                spacing = [float(np.nanmedian(along)), float(np.nanmedian(across))]
    if not np.all(np.isfinite(low)):
        raise InputError(
            "its latitude/longitude hold no valid position.",
            path,
            "give the geometryRadar.h5 of the stack (MintPy's load_data writes it).",
        )
    if pixel_size is None:
        if not spacing:
            raise InputError(
                "its pixel spacing cannot be estimated (a single row or column).",
                path,
                "give the pixel size of the map grid.",
            )
        pixel_size = _two_digits(float(np.sqrt(spacing[0] * spacing[1])))
    step = float(pixel_size)
    # pixel centres become whole cells; 1 % of a cell absorbs the rounding of float32 tables
    x0 = step * np.floor((low[0] - step / 2) / step + 0.01)
    x1 = step * np.ceil((high[0] + step / 2) / step - 0.01)
    y0 = step * np.floor((low[1] - step / 2) / step + 0.01)
    y1 = step * np.ceil((high[1] + step / 2) / step - 0.01)
    code = target.to_epsg()
    return Grid(
        float(x0),
        float(y1),
        step,
        -step,
        int(round((x1 - x0) / step)),
        int(round((y1 - y0) / step)),
        code,
        None if code else target.to_wkt(),
    )


def _median_position(lookup: RadarLookup) -> Tuple[float, float]:
    lons, lats = [], []
    for _, lon, lat in lookup.blocks():
        lons.append(lon[np.isfinite(lon)][::97])
        lats.append(lat[np.isfinite(lat)][::97])
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    if not lon.size:
        raise InputError(
            "its latitude/longitude hold no valid position.",
            lookup.path,
            "give the geometryRadar.h5 of the stack (MintPy's load_data writes it).",
        )
    return float(np.median(lon)), float(np.median(lat))


def _two_digits(value: float) -> float:
    """``value`` rounded to two significant digits (80.003 -> 80, 13.87 -> 14)."""
    if value <= 0 or not np.isfinite(value):
        return value
    digits = 1 - int(np.floor(np.log10(value)))
    return float(round(value, digits))


# ----------------------------------------------------------------------------- finding
def find_lookup(path: PathLike, named: Optional[str] = None) -> Optional[Path]:
    """The lookup file of the radar-coordinate file ``path`` (see the module note), or None.

    ``named``: the file's LOOKUP_FILE attribute or metadata item, when it has one."""
    from .mintpy import open_h5

    path = Path(path)
    if path.suffix.lower() in (".h5", ".he5", ".hdf5") and path.exists():
        with open_h5(path) as f:
            if "latitude" in f and "longitude" in f:
                return path.resolve()
    candidates = []
    if named:
        given = Path(named)
        candidates.append(given if given.is_absolute() else path.parent / given)
    folder = path.parent
    for place in (folder, folder / "inputs", folder.parent, folder.parent / "inputs"):
        candidates.append(place / LOOKUP_NAME)
    return next((c.resolve() for c in candidates if c.is_file()), None)


def lookup_for(path: PathLike, named: Optional[str] = None, given: PathLike = None):
    """The :class:`RadarLookup` of a radar-coordinate file: ``given``, else found beside it;
    InputError naming the file when there is none."""
    found = Path(given) if given else find_lookup(path, named)
    if found is None:
        raise InputError(
            "is in radar coordinates and no lookup table (geometryRadar.h5 with latitude and "
            "longitude) was found beside it, in inputs/ or in its parent folder.",
            path,
            "put the stack's geometryRadar.h5 beside it (as MintPy's inputs/ folder), or give "
            "it as the lookup file.",
        )
    return RadarLookup.open(found)


def pixel_locator(path: PathLike, grid: Grid, named: Optional[str] = None):
    """Where the pixels of the file ``path`` (on ``grid``) lie on the map: the grid itself
    when it is a map grid; the lookup tables found beside the file for a radar grid
    (InputError naming the file when there are none). Both answer ``rowcol(x, y)``,
    ``xy(rows, cols)``, ``contains(row, col)``, ``epsg`` and ``crs_wkt()``."""
    if not grid.radar:
        return grid
    lookup = lookup_for(path, named)
    lookup.check_matches(grid, path)
    return lookup


def reference_position(path: PathLike, grid: Grid, named: Optional[str], row: int, col: int):
    """(x, y) of pixel (row, col) for REF_LON/REF_LAT: map coordinates on a map grid,
    longitude/latitude through the lookup tables in radar coordinates; None when a radar
    file has no lookup tables beside it."""
    if grid.radar and find_lookup(path, named) is None:
        return None
    x, y = pixel_locator(path, grid, named).xy(row, col)
    return float(np.ravel(x)[0]), float(np.ravel(y)[0])
