"""Geocoding: radar-coordinate products onto a map grid through their lookup tables.

A stack in radar coordinates (ISCE/topsStack through MintPy: no X_FIRST, a ``geometryRadar.h5``
with the latitude and longitude of every pixel) is inverted and corrected in radar geometry;
its products — velocity, time series, temporal coherence, geometry, as MintPy HDF5 or as our
radar-coordinate GeoTIFFs — are then resampled onto a regular map grid so that QGIS and the
rest of the toolkit can show and use them. The resampling is GDAL's geolocation-array warp
(pixel centres; nearest neighbour by default, which keeps values, classes and masks as they
are; bilinear for smoother continuous maps), read and written in row blocks of the map grid.

The map grid (:meth:`core.io.lookup.RadarLookup.map_grid`): the UTM zone of the scene centre
unless an EPSG code is given, the ground spacing of the lookup tables rounded to two
significant digits unless a pixel size is given, covering every pixel centre.

The output is the input's format: an HDF5 file keeps every dataset and attribute, its images
geocoded, its attributes carrying the map grid (X_FIRST, Y_FIRST, X_STEP, Y_STEP, EPSG) and
the reference pixel moved to the map pixel of the same place; a GeoTIFF keeps its bands,
descriptions, units and no-data value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB
from ..errors import Cancelled, InputError
from ..grid import Grid
from ..io.lookup import LOOKUP_ATTRIBUTE, RadarLookup, hdf5_dataset_name, lookup_for
from ..options import Choice, Options, option
from ..progress import ProgressCallback, finished, report, scaled, silent

PathLike = Union[str, Path]
H5_SUFFIXES = (".h5", ".he5", ".hdf5")


class Resampling(Choice):
    """How a map pixel takes its value from the radar pixels around its position."""

    NEAREST = "nearest", "nearest neighbour (keeps values, classes and masks)"
    BILINEAR = "bilinear", "bilinear (smoother; continuous values only)"


@dataclass
class GeocodeOptions(Options):
    """The map grid and the resampling of :func:`geocode`."""

    epsg: Optional[int] = option(
        None, help="EPSG code of the map grid (empty = the UTM zone of the scene centre)"
    )
    pixel_size: Optional[float] = option(
        None,
        help="Pixel size of the map grid in its CRS units (empty = the ground spacing of the "
        "lookup tables, rounded to two significant digits)",
        unit="CRS units",
        minimum=1e-9,
    )
    resampling: Resampling = option(
        Resampling.NEAREST,
        help="Nearest neighbour keeps every value as it is; bilinear smooths continuous "
        "values (integer and mask datasets always use nearest neighbour)",
    )
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Memory budget of the row blocks",
        unit="MiB",
        minimum=0.001,
    )


@dataclass
class GeocodeResult:
    output: Path
    grid: Grid
    lookup: Path
    datasets: List[str] = field(default_factory=list)  # geocoded datasets (or bands)


def geocode(
    path: PathLike,
    output: PathLike,
    lookup: Optional[PathLike] = None,
    options: Optional[GeocodeOptions] = None,
    progress: ProgressCallback = silent,
) -> GeocodeResult:
    """Geocode the radar-coordinate product ``path`` (MintPy HDF5 or GeoTIFF) onto a map grid
    and write it at ``output`` in the same format (see the module note).

    ``lookup``: the ``geometryRadar.h5`` with the latitude/longitude of every pixel (default:
    found beside the product, see :func:`core.io.lookup.find_lookup`). InputError names the
    file when it is already geocoded, when no lookup is found or when the lookup is of
    another grid.
    """
    options = options or GeocodeOptions()
    path, output = Path(path), Path(output)
    check_outputs([output], [p for p in (path, lookup) if p])
    is_h5 = path.suffix.lower() in H5_SUFFIXES
    if is_h5 != (output.suffix.lower() in H5_SUFFIXES):
        raise InputError(
            "the output format differs from the input's (HDF5 stays HDF5, a raster a raster).",
            output,
            f"name the output with the input's suffix ({path.suffix}).",
        )
    if is_h5:
        return _geocode_h5(path, output, lookup, options, progress)
    return _geocode_raster(path, output, lookup, options, progress)


def _already_geocoded(path: Path) -> InputError:
    return InputError(
        "is already on a map grid (it has X_FIRST/Y_FIRST or a geotransform).",
        path,
        "give a product in radar coordinates; geocoded products need no geocoding.",
    )


def _geocode_h5(path, output, lookup_path, options, progress) -> GeocodeResult:
    import h5py

    from ..io.mintpy import open_h5, read_attrs

    attrs = read_attrs(path)
    with open_h5(path) as f:
        shapes = {
            name: (f[name].shape, f[name].dtype) for name in f if isinstance(f[name], h5py.Dataset)
        }
    images = {n: s for n, (s, _) in shapes.items() if len(s) in (2, 3)}
    if not images:
        raise InputError("holds no image dataset.", path, "give a MintPy product (.h5).")
    if "WIDTH" not in attrs:
        first = next(iter(images.values()))
        attrs.update(LENGTH=str(first[-2]), WIDTH=str(first[-1]))
    radar_grid = Grid.from_attrs(attrs)
    if not radar_grid.radar:
        raise _already_geocoded(path)
    lookup = lookup_for(path, attrs.get(LOOKUP_ATTRIBUTE), lookup_path)
    lookup.check_matches(radar_grid, path)
    grid = lookup.map_grid(options.epsg, options.pixel_size)
    images = [n for n, s in images.items() if tuple(s[-2:]) == radar_grid.shape]
    out_attrs = _map_attrs(attrs, grid, lookup)
    written = []
    with atomic_output(output) as temp:
        with h5py.File(temp, "w") as dst:
            for key, value in out_attrs.items():
                dst.attrs[key] = value
            with open_h5(path) as src:
                for name in shapes:
                    if name not in images:
                        src.copy(src[name], dst, name=name)
            for k, name in enumerate(images):
                shape, dtype = shapes[name]
                part = scaled(progress, k / len(images), (k + 1) / len(images))
                _warp_dataset(path, name, shape, dtype, lookup, grid, options, dst, part)
                written.append(name)
    finished(progress, f"{len(written)} datasets geocoded onto {grid.length} x {grid.width}")
    return GeocodeResult(output, grid, lookup.path, written)


def _map_attrs(attrs: Dict[str, str], grid: Grid, lookup: RadarLookup) -> Dict[str, str]:
    """The attributes of the geocoded file: the map grid, and REF_Y/REF_X moved to the map
    pixel holding the radar reference pixel (dropped when it falls outside)."""
    from ..crs import transform_xy

    out = {k: v for k, v in attrs.items() if k != LOOKUP_ATTRIBUTE}
    for key in ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "X_UNIT", "Y_UNIT", "EPSG", "UTM_ZONE"):
        out.pop(key, None)
    out.update(grid.to_attrs())
    try:
        ref = int(attrs["REF_Y"]), int(attrs["REF_X"])
    except (KeyError, ValueError):
        return out
    lon, lat = lookup.xy(*ref)
    x, y = transform_xy(lon, lat, "EPSG:4326", grid.crs_wkt())
    row, col = grid.rowcol(x, y)
    if np.isfinite(x) and grid.contains(row, col):
        out.update(
            REF_Y=str(int(row)),
            REF_X=str(int(col)),
            REF_LAT=repr(float(lat)),
            REF_LON=repr(float(lon)),
        )
    else:
        for key in ("REF_Y", "REF_X"):
            out.pop(key, None)
    return out


def _radar_raster(path: Path, name: str, dtype: np.dtype):
    """A GDAL raster of one HDF5 dataset; booleans (which GDAL's HDF5 driver cannot read)
    through an in-memory byte copy."""
    from osgeo import gdal

    from ..io.mintpy import open_h5

    if dtype != np.bool_:
        return gdal.Open(hdf5_dataset_name(path, name))
    with open_h5(path, required=(name,)) as f:
        values = f[name][()].astype(np.uint8)
    values = values.reshape((-1,) + values.shape[-2:])
    raster = gdal.GetDriverByName("MEM").Create(
        "", values.shape[2], values.shape[1], values.shape[0], gdal.GDT_Byte
    )
    for band, image in enumerate(values, start=1):
        raster.GetRasterBand(band).WriteArray(image)
    return raster


def _warp_dataset(path, name, shape, dtype, lookup, grid, options, dst, progress) -> None:
    floating = np.issubdtype(dtype, np.floating)
    resampling = options.resampling.value if floating else "nearest"
    nodata = np.nan if floating else 0
    warped = lookup.warp(_radar_raster(path, name, dtype), grid, resampling, nodata)
    bands = shape[0] if len(shape) == 3 else None
    out_shape = ((bands,) if bands else ()) + grid.shape
    chunk_rows = min(128, grid.length)
    chunks = ((1,) if bands else ()) + (chunk_rows, grid.width)
    target = dst.create_dataset(
        name,
        shape=out_shape,
        dtype=dtype,
        chunks=chunks,
        fillvalue=nodata if floating else 0,
    )
    item = max(np.dtype(dtype).itemsize, 4)
    blocks = list(row_blocks(grid.length, 3 * grid.width * (bands or 1) * item, options.memory_mb))
    for i, rows in enumerate(blocks):
        report(progress, i / len(blocks), f"Geocoding {name}: rows {rows.start + 1}-{rows.stop}")
        data = warped.ReadAsArray(0, rows.start, grid.width, rows.stop - rows.start)
        data = np.asarray(data).reshape(((bands,) if bands else ()) + data.shape[-2:])
        target[..., rows, :] = data.astype(dtype, copy=False)


def _geocode_raster(path, output, lookup_path, options, progress) -> GeocodeResult:
    from osgeo import gdal

    from ..io.geotiff import grid_of, open_raster

    source = open_raster(path)
    if not grid_of(source).radar:
        raise _already_geocoded(path)
    named = source.GetMetadataItem(LOOKUP_ATTRIBUTE)
    lookup = lookup_for(path, named, lookup_path)
    grid = lookup.map_grid(options.epsg, options.pixel_size)
    band = source.GetRasterBand(1)
    floating = gdal.GetDataTypeName(band.DataType).startswith("Float")
    nodata = band.GetNoDataValue()
    if nodata is None:
        nodata = np.nan if floating else 0
    resampling = options.resampling.value if floating else "nearest"
    warped = lookup.warp(source, grid, resampling, nodata)

    keep_going = [True]

    def callback(fraction, _message, _data) -> int:
        keep_going[0] = progress(min(max(fraction, 0.0), 1.0), "Geocoding")
        return int(keep_going[0])

    names = []
    with atomic_output(output) as temp:
        try:
            result = gdal.Translate(
                str(temp),
                warped,
                format="GTiff",
                creationOptions=["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"],
                callback=callback,
            )
        except RuntimeError:
            if keep_going[0]:
                raise
            result = None
        if result is None:
            raise Cancelled()
        metadata = {k: v for k, v in (source.GetMetadata() or {}).items() if k != LOOKUP_ATTRIBUTE}
        result.SetMetadata(metadata)
        for index in range(1, source.RasterCount + 1):
            original, copy = source.GetRasterBand(index), result.GetRasterBand(index)
            copy.SetDescription(original.GetDescription())
            copy.SetUnitType(original.GetUnitType() or "")
            copy.SetNoDataValue(float(nodata))
            names.append(original.GetDescription() or f"band {index}")
        result.FlushCache()
        result = None
    finished(progress, f"{len(names)} bands geocoded onto {grid.length} x {grid.width}")
    return GeocodeResult(output, grid, lookup.path, names)
