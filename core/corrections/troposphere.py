"""Tropospheric correction of a time series with GACOS zenith total delays.

GACOS delivers one zenith total delay (ZTD, metres) grid per date, either ``YYYYMMDD.ztd``
(raw little-endian float32, ``FILE_LENGTH`` rows by ``WIDTH`` columns) with ``YYYYMMDD.ztd.rsc``
(``X_FIRST``/``Y_FIRST`` upper-left corner and ``X_STEP``/``Y_STEP`` in degrees, WGS 84, read
as MintPy does), or ``YYYYMMDD.ztd.tif``. For each date the ZTD is warped bilinearly onto the
time-series grid (GDAL; in radar coordinates sampled bilinearly at the longitude/latitude of
every pixel from the stack's lookup tables), mapped to the line of sight
``delay = ZTD / cos(incidence)`` and, since a longer path looks like motion away from the
satellite, turned into an apparent LOS displacement ``-delay`` (MintPy ``tropo_gacos``). The
apparent series is referenced to the reference date and pixel exactly as the displacement
series and subtracted from it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..dates import format_yyyymmdd, parse_yyyymmdd
from ..errors import InputError
from ..grid import Grid
from ..io.lookup import LOOKUP_ATTRIBUTE, pixel_locator
from ..io.mintpy import (
    open_h5,
    read_attrs,
    read_incidence,
    read_timeseries_dates,
    timeseries_writer,
)
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]


def find_ztd_files(folder: PathLike, dates: List[dt.date]) -> Dict[dt.date, Path]:
    """The GACOS file of every date (``.ztd`` preferred over ``.ztd.tif``); InputError listing
    the dates that have none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "GACOS folder not found.", folder, "give the folder of YYYYMMDD.ztd files."
        )
    found, missing = {}, []
    for date in dates:
        stem = format_yyyymmdd(date)
        for name in (f"{stem}.ztd", f"{stem}.ztd.tif"):
            if (folder / name).exists():
                found[date] = folder / name
                break
        else:
            missing.append(stem)
    if missing:
        shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        raise InputError(
            f"no GACOS delay for {len(missing)} of {len(dates)} dates: {shown}.",
            folder,
            "order these dates from GACOS (http://www.gacos.net) and unpack them into this folder.",
        )
    return found


def read_rsc(path: PathLike) -> Dict[str, str]:
    """``KEY value`` lines of a ROI_PAC-style ``.rsc`` file."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "the .rsc header of this GACOS file is missing.",
            path,
            "download the .ztd together with its .ztd.rsc.",
        )
    out = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0].upper()] = parts[1]
    return out


def read_ztd(path: PathLike) -> Tuple[np.ndarray, Tuple[float, ...], str]:
    """(ZTD array m, GDAL geotransform, CRS WKT) of a GACOS ``.ztd`` or ``.ztd.tif`` file."""
    path = Path(path)
    if path.suffix == ".tif":
        from ..io.geotiff import open_raster, read_raster

        data, _ = read_raster(path, dtype=np.float32)
        ds = open_raster(path)
        wkt = ds.GetProjection() or _wgs84_wkt()
        return data, tuple(ds.GetGeoTransform()), wkt
    rsc = read_rsc(str(path) + ".rsc")
    try:
        width, length = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
        gt = (
            float(rsc["X_FIRST"]),
            float(rsc["X_STEP"]),
            0.0,
            float(rsc["Y_FIRST"]),
            0.0,
            float(rsc["Y_STEP"]),
        )
    except KeyError as exc:
        raise InputError(
            f"the .rsc header lacks {exc}.", str(path) + ".rsc", "use the header GACOS delivered."
        ) from None
    data = np.fromfile(path, dtype="<f4")
    if data.size != width * length:
        raise InputError(
            f"holds {data.size} values, the header says {length} x {width}.",
            path,
            "download the file again.",
        )
    return data.reshape(length, width), gt, _wgs84_wkt()


def _wgs84_wkt() -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    return srs.ExportToWkt()


def resample_to_grid(
    data: np.ndarray, geotransform, wkt: str, grid: Grid, source: PathLike = None
) -> np.ndarray:
    """Warp ``data`` (bilinear) onto ``grid``; InputError when it does not cover the grid."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    mem = gdal.GetDriverByName("MEM")
    src = mem.Create("", data.shape[1], data.shape[0], 1, gdal.GDT_Float32)
    src.SetGeoTransform(geotransform)
    src.SetProjection(wkt)
    band = src.GetRasterBand(1)
    band.SetNoDataValue(float("nan"))
    band.WriteArray(data.astype(np.float32))
    dst = mem.Create("", grid.width, grid.length, 1, gdal.GDT_Float32)
    dst.SetGeoTransform(grid.geotransform)
    dst_wkt = grid.crs_wkt()
    if not dst_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        dst_wkt = srs.ExportToWkt()
    dst.SetProjection(dst_wkt)
    dst.GetRasterBand(1).SetNoDataValue(float("nan"))
    dst.GetRasterBand(1).Fill(float("nan"))
    gdal.Warp(dst, src, resampleAlg="bilinear", srcNodata=float("nan"), dstNodata=float("nan"))
    out = dst.GetRasterBand(1).ReadAsArray().astype(np.float64)
    if np.isnan(out).mean() > 0.01:
        raise InputError(
            f"covers only {100 * np.isfinite(out).mean():.0f} % of the time-series grid.",
            source,
            "order GACOS delays over an area that contains the "
            "whole stack (wrong area or wrong grid).",
        )
    return out


def resample_at_lookup(
    data: np.ndarray, geotransform, wkt: str, lookup, source: PathLike = None
) -> np.ndarray:
    """Bilinear samples (pixel centres, as GDAL's warp) of the north-up raster ``data`` at
    the longitude/latitude of every pixel of a radar grid (its :class:`RadarLookup`);
    InputError when more than 1 % of the pixels fall outside it."""
    from scipy.ndimage import map_coordinates

    from ..crs import transform_xy

    lon, lat = lookup.read()
    x, y = transform_xy(lon, lat, "EPSG:4326", wkt or "EPSG:4326")
    col = (x - geotransform[0]) / geotransform[1] - 0.5
    row = (y - geotransform[3]) / geotransform[5] - 0.5
    known = np.isfinite(col) & np.isfinite(row)
    out = np.full(lon.shape, np.nan)
    out[known] = map_coordinates(
        data.astype(np.float64),
        [row[known], col[known]],
        order=1,
        mode="constant",
        cval=np.nan,
        prefilter=False,
    )
    covered = float(np.isfinite(out[known]).mean()) if known.any() else 0.0
    if covered < 0.99:
        raise InputError(
            f"covers only {100 * covered:.0f} % of the time-series pixels.",
            source,
            "order GACOS delays over an area that contains the "
            "whole stack (wrong area or wrong grid).",
        )
    return out


def apparent_los(ztd_on_grid: np.ndarray, incidence_deg: np.ndarray) -> np.ndarray:
    """Apparent LOS displacement (m, positive toward the satellite) of a zenith delay."""
    return -ztd_on_grid / np.cos(np.deg2rad(incidence_deg))


def apparent_delay(ztd_file: PathLike, grid: Grid, locator, incidence: np.ndarray) -> np.ndarray:
    """The apparent LOS displacement (L, W) m of one GACOS file on ``grid`` (through the
    lookup tables ``locator`` of a radar grid)."""
    data, gt, wkt = read_ztd(ztd_file)
    if grid.radar:
        delay = resample_at_lookup(data, gt, wkt, locator, ztd_file)
    else:
        delay = resample_to_grid(data, gt, wkt, grid, ztd_file)
    return apparent_los(delay, incidence)


def correct_date(
    date: Tuple[int, PathLike],
    timeseries: PathLike,
    grid: Grid,
    locator,
    incidence: np.ndarray,
    reference_layer: np.ndarray,
    ref: Optional[Tuple[int, int]],
    with_delay: bool,
) -> Tuple[np.ndarray, Optional[np.ndarray], float]:
    """Date ``k`` of ``timeseries.h5`` (``date`` = (k, its GACOS file)) without its delay,
    referenced to ``reference_layer`` (the reference date's) and to the pixel ``ref``:
    (corrected (L, W) float32 m, the delay removed (L, W) float32 m when ``with_delay``, its
    RMS m). One block of :func:`correct_troposphere`, run here or on a Dask worker."""
    k, ztd_file = date
    layer = apparent_delay(ztd_file, grid, locator, incidence) - reference_layer
    if ref is not None:
        layer -= layer[ref]
    with open_h5(timeseries, required=("timeseries",)) as src:
        corrected = (src["timeseries"][k] - layer).astype(np.float32)
    rms = float(np.sqrt(np.nanmean(layer**2)))
    return corrected, layer.astype(np.float32) if with_delay else None, rms


def correct_troposphere(
    timeseries: PathLike,
    geometry: PathLike,
    gacos_folder: PathLike,
    output: PathLike,
    delay_output: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> np.ndarray:
    """Subtract the GACOS tropospheric delay from a time series; write a NEW time series (and
    optionally the referenced delay series). Returns the delay RMS per date (m).

    ``executor``: None (in this process), a Dask scheduler address or an executor
    (:mod:`core.parallel`) that corrects the dates; the result is the same, written by this
    process."""
    check_outputs([output, delay_output], [timeseries, geometry])
    attrs = read_attrs(timeseries)
    grid = Grid.from_attrs(attrs)
    dates = read_timeseries_dates(timeseries)
    incidence = read_incidence(geometry, grid)
    files = find_ztd_files(gacos_folder, dates)
    ref_date = parse_yyyymmdd(attrs["REF_DATE"]) if "REF_DATE" in attrs else dates[0]
    if ref_date not in files:
        ref_date = dates[0]
    ref = (int(attrs["REF_Y"]), int(attrs["REF_X"])) if "REF_Y" in attrs else None
    locator = pixel_locator(timeseries, grid, attrs.get(LOOKUP_ATTRIBUTE))
    reference_layer = apparent_delay(files[ref_date], grid, locator, incidence)
    rms = np.zeros(len(dates))
    out_attrs = {k: v for k, v in attrs.items() if k != "FILE_TYPE"}
    out_attrs["TROPO_CORRECTION"] = "GACOS"
    with open_h5(timeseries, required=("timeseries",)) as src:
        bperp = src["bperp"][()] if "bperp" in src else None
    with open_executor(executor) as pool, contextlib.ExitStack() as files_open:
        corrected = files_open.enter_context(
            timeseries_writer(output, grid, dates, bperp, out_attrs)
        )
        delays = (
            files_open.enter_context(
                timeseries_writer(
                    delay_output,
                    grid,
                    dates,
                    bperp,
                    {**out_attrs, "TROPO_CORRECTION": "GACOS delay"},
                )
            )
            if delay_output
            else None
        )
        layers = map_blocks(
            correct_date,
            [(k, files[date]) for k, date in enumerate(dates)],
            timeseries,
            grid,
            locator,
            incidence,
            reference_layer,
            ref,
            delays is not None,
            executor=pool,
        )
        for k, (date, (series, layer, layer_rms)) in enumerate(zip(dates, layers, strict=True)):
            corrected["timeseries"][k] = series
            if delays is not None:
                delays["timeseries"][k] = layer
            rms[k] = layer_rms
            report(progress, (k + 1) / len(dates), f"GACOS {format_yyyymmdd(date)}")
    return rms
