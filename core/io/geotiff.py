"""GeoTIFF reading and writing with CRS, nodata and band descriptions (GDAL only)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output
from ..errors import InputError
from ..grid import Grid

PathLike = Union[str, Path]


def _gdal():
    from osgeo import gdal

    gdal.UseExceptions()
    return gdal


def open_raster(path: PathLike):
    """Open a raster with GDAL or raise InputError naming the file."""
    gdal = _gdal()
    if not Path(str(path)).exists() and not str(path).startswith("/vsi"):
        raise InputError("file not found.", path, "check the path.")
    try:
        ds = gdal.Open(str(path))
    except RuntimeError as exc:
        raise InputError(
            f"GDAL cannot read it ({exc}).",
            path,
            "give a GeoTIFF or another raster format GDAL reads.",
        ) from None
    if ds is None:
        raise InputError("GDAL cannot read it.", path, "give a raster GDAL reads.")
    return ds


def grid_of(ds) -> Grid:
    """The :class:`Grid` of an open GDAL dataset (EPSG when it has one, else WKT); a radar
    grid (pixel coordinates) when it has neither a geotransform nor a CRS."""
    from osgeo import osr

    wkt = ds.GetProjection()
    if not wkt and ds.GetGeoTransform(can_return_null=True) is None:
        return Grid.radar_coordinates(ds.RasterXSize, ds.RasterYSize)
    epsg = None
    if wkt:
        srs = osr.SpatialReference(wkt=wkt)
        srs.AutoIdentifyEPSG()
        code = srs.GetAuthorityCode(None)
        epsg = int(code) if code else None
    return Grid.from_geotransform(
        ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize, epsg, None if epsg else (wkt or None)
    )


def read_raster(
    path: PathLike,
    band: int = 1,
    window: Optional[Tuple[int, int, int, int]] = None,
    dtype=np.float32,
) -> Tuple[np.ndarray, Grid]:
    """Read one band as ``dtype`` with nodata replaced by NaN (float types).

    ``window`` is (row0, row1, col0, col1). Returns the array and the grid of what was read.
    """
    ds = open_raster(path)
    grid = grid_of(ds)
    if band < 1 or band > ds.RasterCount:
        raise InputError(f"it has {ds.RasterCount} band(s); band {band} was asked for.", path)
    rb = ds.GetRasterBand(band)
    try:
        if window:
            r0, r1, c0, c1 = window
            data = rb.ReadAsArray(c0, r0, c1 - c0, r1 - r0)
            grid = grid.window(r0, r1, c0, c1)
        else:
            data = rb.ReadAsArray()
    except RuntimeError as exc:
        raise InputError(
            f"GDAL cannot read its pixels ({exc}).", path, "copy or download the file again."
        ) from None
    data = data.astype(dtype, copy=False)
    nodata = rb.GetNoDataValue()
    if np.issubdtype(np.dtype(dtype), np.floating):
        if nodata is not None and not np.isnan(nodata):
            data = np.where(data == nodata, np.nan, data).astype(dtype, copy=False)
    return data, grid


def write_geotiff(
    path: PathLike,
    data: np.ndarray,
    grid: Grid,
    band_names: Optional[Sequence[str]] = None,
    nodata: Optional[float] = None,
    units: Optional[str] = None,
    metadata: Optional[dict] = None,
) -> Path:
    """Write a 2-D array or (bands, rows, cols) stack as a tiled, compressed GeoTIFF.

    Float data default to NaN nodata. The file appears only when complete.
    """
    gdal = _gdal()
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.shape[1:] != grid.shape:
        raise ValueError(f"array shape {data.shape[1:]} does not match grid {grid.shape}")
    gdal_type = {
        np.dtype("float32"): gdal.GDT_Float32,
        np.dtype("float64"): gdal.GDT_Float64,
        np.dtype("uint8"): gdal.GDT_Byte,
        np.dtype("int16"): gdal.GDT_Int16,
        np.dtype("int32"): gdal.GDT_Int32,
        np.dtype("uint16"): gdal.GDT_UInt16,
        np.dtype("bool"): gdal.GDT_Byte,
    }.get(data.dtype)
    if gdal_type is None:
        data = data.astype(np.float32)
        gdal_type = gdal.GDT_Float32
    if nodata is None and np.issubdtype(data.dtype, np.floating):
        nodata = float("nan")
    options = ["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"]
    with atomic_output(path) as temp:
        ds = gdal.GetDriverByName("GTiff").Create(
            str(temp), grid.width, grid.length, data.shape[0], gdal_type, options
        )
        if not grid.radar:
            ds.SetGeoTransform(grid.geotransform)
        wkt = grid.crs_wkt()
        if wkt:
            ds.SetProjection(wkt)
        if metadata:
            ds.SetMetadata({str(k): str(v) for k, v in metadata.items()})
        for i in range(data.shape[0]):
            band = ds.GetRasterBand(i + 1)
            if nodata is not None:
                band.SetNoDataValue(float(nodata))
            if band_names is not None:
                band.SetDescription(str(band_names[i]))
            if units:
                band.SetUnitType(units)
            band.WriteArray(data[i])
        ds.FlushCache()
        ds = None
    return Path(path)


def band_names(path: PathLike) -> list:
    ds = open_raster(path)
    return [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
