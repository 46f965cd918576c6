"""Coregistered single-look complex (SLC) stacks: one multi-band complex raster (GeoTIFF/VRT,
one band per date) or a folder of one complex raster per date, with a CSV of dates and
perpendicular baselines. Read in windows through GDAL, so a burst-sized stack (tens of GB)
never sits in memory whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import threading
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output
from ..dates import dates_in_text, format_yyyymmdd, parse_yyyymmdd
from ..errors import InputError
from ..grid import Grid

PathLike = Union[str, Path]
SLC_SUFFIXES = (".tif", ".tiff", ".vrt", ".slc", ".img")


def write_slc_stack(path: PathLike, data: np.ndarray, grid: Grid, dates: Sequence[dt.date]) -> Path:
    """Write a (n, L, W) complex stack as a multi-band CFloat32 GeoTIFF, bands named YYYYMMDD."""
    from osgeo import gdal

    gdal.UseExceptions()
    data = np.asarray(data, dtype=np.complex64)
    with atomic_output(path) as temp:
        ds = gdal.GetDriverByName("GTiff").Create(
            str(temp),
            grid.width,
            grid.length,
            data.shape[0],
            gdal.GDT_CFloat32,
            ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"],
        )
        ds.SetGeoTransform(grid.geotransform)
        wkt = grid.crs_wkt()
        if wkt:
            ds.SetProjection(wkt)
        for i, date in enumerate(dates):
            band = ds.GetRasterBand(i + 1)
            band.SetDescription(format_yyyymmdd(date))
            band.WriteArray(data[i])
        ds = None
    return Path(path)


def read_dates_bperp(path: PathLike) -> Tuple[List[dt.date], np.ndarray]:
    """Read a CSV with columns ``date`` (YYYYMMDD) and ``bperp`` (m)."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "file not found.", path, "give the CSV of dates and perpendicular baselines."
        )
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise InputError("is empty.", path, "write one row per SLC: date,bperp.")
    names = {n.lower().strip(): n for n in rows[0]}
    if "date" not in names or "bperp" not in names:
        raise InputError(
            f"needs columns 'date' and 'bperp' (has {', '.join(rows[0])}).",
            path,
            "write a header line: date,bperp",
        )
    dates = [parse_yyyymmdd(r[names["date"]], str(path)) for r in rows]
    try:
        bperp = np.array([float(r[names["bperp"]]) for r in rows])
    except ValueError:
        raise InputError(
            "a bperp value is not a number.", path, "give baselines in metres."
        ) from None
    return dates, bperp


class SlcStack:
    """An SLC stack opened for windowed reading, dates in time order.

    ``grid`` (L, W), ``dates`` (n,), ``bperp`` (n,) m (any common origin), ``block`` the
    (rows, cols) of the file's storage blocks (windows aligned on them decode each block once).
    """

    def __init__(self, path: PathLike, dates_csv: PathLike):
        from osgeo import gdal

        from .geotiff import grid_of

        self.path = Path(path)
        self.dates_csv = Path(dates_csv)
        dates, bperp = read_dates_bperp(dates_csv)
        if self.path.is_dir():
            files = {}
            for candidate in sorted(self.path.iterdir()):
                found = dates_in_text(candidate.name)
                if found and candidate.suffix.lower() in SLC_SUFFIXES:
                    files[found[0]] = candidate
            missing = [d for d in dates if d not in files]
            if missing:
                raise InputError(
                    f"no SLC file for {len(missing)} date(s), e.g. {missing[0]}.",
                    self.path,
                    "name each file with its date (YYYYMMDD) or fix the dates CSV.",
                )
            self._files = [files[d] for d in dates]
        else:
            self._files = [self.path]
        self._local = threading.local()
        first = self._datasets()[0]
        if not self.path.is_dir() and first.RasterCount != len(dates):
            raise InputError(
                f"has {first.RasterCount} bands but the dates CSV lists {len(dates)} dates.",
                self.path,
                "list one date per band, in band order.",
            )
        band = first.GetRasterBand(1)
        if not gdal.DataTypeIsComplex(band.DataType):
            raise InputError(
                "is not complex (it holds real values).",
                self.path,
                "give single-look complex data (CFloat32 bands), not amplitudes.",
            )
        self.grid = grid_of(first)
        block_cols, block_rows = band.GetBlockSize()
        self.block = (int(block_rows), int(block_cols))
        self._order = np.argsort(dates, kind="stable")
        self.dates = [dates[i] for i in self._order]
        self.bperp = bperp[self._order]

    def _datasets(self) -> list:
        """The GDAL datasets of the calling thread (a GDAL dataset is not thread-safe)."""
        from .geotiff import open_raster

        if not hasattr(self._local, "datasets"):
            self._local.datasets = [open_raster(f) for f in self._files]
            self._local.last = ((), None)
        return self._local.datasets

    def __reduce__(self):
        # GDAL datasets do not pickle: a copy sent to another process opens the files again
        return (SlcStack, (self.path, self.dates_csv))

    @property
    def n_dates(self) -> int:
        return len(self.dates)

    def read(self, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        """The window ``rows`` x ``cols`` of every date: (n, l, w) complex64, in date order.

        The last window read is kept, so passes over a stack that fits in one window read the
        file once."""
        r0, r1, _ = rows.indices(self.grid.length)
        c0, c1, _ = cols.indices(self.grid.width)
        datasets = self._datasets()
        key = (r0, r1, c0, c1)
        if self._local.last[0] == key:
            return self._local.last[1]
        self._local.last = ((), None)
        if len(datasets) == 1:
            data = datasets[0].ReadAsArray(c0, r0, c1 - c0, r1 - r0)
            data = data.reshape(-1, r1 - r0, c1 - c0)
            if np.any(np.diff(self._order) != 1):
                data = data[self._order]
        else:
            data = np.stack(
                [
                    datasets[i].GetRasterBand(1).ReadAsArray(c0, r0, c1 - c0, r1 - r0)
                    for i in self._order
                ]
            )
        for dataset in datasets:  # the window is a copy: GDAL's block cache (5 % of the RAM
            dataset.FlushCache()  # by default) would otherwise grow to the size of the stack
        data = data.astype(np.complex64, copy=False)
        self._local.last = (key, data)
        return data

    def forget(self) -> None:
        """Drop the window kept by :meth:`read` (its memory) in the calling thread."""
        self._local.last = ((), None)
