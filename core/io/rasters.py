"""Rasters the analysis steps read, in windows or row blocks, never whole unless asked:

* a GeoTIFF, VRT or any raster GDAL reads (one band);
* a MintPy HDF5 product (``velocity.h5``, ``temporalCoherence.h5``, ``geometryGeo.h5``...,
  ours or MintPy's): one dataset, on its X_FIRST/Y_FIRST grid (UTM, or latitude/longitude
  when X_UNIT is degrees and no EPSG is given);
* a product in radar coordinates (HDF5 or GeoTIFF without georeferencing): geocoded on the fly
  onto its default map grid through its lookup tables (:mod:`.lookup`; GDAL's virtual warp,
  nearest neighbour), exactly as the geocoding step would write it.

Values come as float64 with NaN for no data, times a unit factor: :func:`open_rate_raster`
turns MintPy rates (m/year) and GeoTIFF bands whose unit says m/yr or cm/yr into mm/yr.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

import numpy as np

from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB
from ..errors import InputError
from ..grid import Grid

PathLike = Union[str, Path]
H5_SUFFIXES = (".h5", ".he5", ".hdf5")
#: factors from rate units (lower case) to mm/yr
RATE_UNITS_TO_MM = {
    "m/year": 1000.0,
    "m/yr": 1000.0,
    "m/a": 1000.0,
    "cm/year": 10.0,
    "cm/yr": 10.0,
    "mm/year": 1.0,
    "mm/yr": 1.0,
    "mm/a": 1.0,
}
#: the dataset a MintPy file of each FILE_TYPE is read for
DEFAULT_DATASET = {
    "velocity": "velocity",
    "temporalCoherence": "temporalCoherence",
    "geometry": "incidenceAngle",
    "mask": "mask",
}


@dataclass
class RasterSource:
    """One band of a raster on a map ``grid``, read in windows (see the module note)."""

    path: Path
    dataset: object  # the open GDAL dataset (plain, a VRT over HDF5, or a virtual warp)
    grid: Grid
    band: int = 1
    scale: float = 1.0
    description: str = ""
    unit: str = ""

    def read(self, window: Optional[Tuple[int, int, int, int]] = None) -> np.ndarray:
        """Values (float64, NaN = no data) of ``window`` (row0, row1, col0, col1), default
        the whole raster."""
        r0, r1, c0, c1 = window or (0, self.grid.length, 0, self.grid.width)
        band = self.dataset.GetRasterBand(self.band)
        if r1 <= r0 or c1 <= c0:
            return np.empty((max(r1 - r0, 0), max(c1 - c0, 0)))
        data = band.ReadAsArray(int(c0), int(r0), int(c1 - c0), int(r1 - r0)).astype(np.float64)
        nodata = band.GetNoDataValue()
        if nodata is not None and not np.isnan(nodata):
            data[data == nodata] = np.nan
        if self.scale != 1.0:
            data *= self.scale
        return data

    def blocks(
        self, memory_mb: float = DEFAULT_MEMORY_BUDGET_MB
    ) -> Iterator[Tuple[slice, np.ndarray]]:
        """(rows, values) over the whole raster in full-width row blocks of ``memory_mb``
        (counting the float64 values and the caller's temporaries, 32 bytes a pixel)."""
        for rows in row_blocks(self.grid.length, 32 * self.grid.width, memory_mb):
            yield rows, self.read((rows.start, rows.stop, 0, self.grid.width))

    def sample(
        self, rows: np.ndarray, cols: np.ndarray, memory_mb: float = DEFAULT_MEMORY_BUDGET_MB
    ) -> np.ndarray:
        """Values at pixels (``rows``, ``cols``; NaN outside), reading only the row blocks
        that hold one of them."""
        rows, cols = np.asarray(rows, int), np.asarray(cols, int)
        out = np.full(rows.shape, np.nan)
        inside = self.grid.contains(rows, cols)
        if not inside.any():
            return out
        low, high = int(rows[inside].min()), int(rows[inside].max()) + 1
        for block in row_blocks(high - low, 32 * self.grid.width, memory_mb):
            r0, r1 = low + block.start, low + block.stop
            pick = inside & (rows >= r0) & (rows < r1)
            if pick.any():
                c0, c1 = int(cols[pick].min()), int(cols[pick].max()) + 1
                values = self.read((r0, r1, c0, c1))
                out[pick] = values[rows[pick] - r0, cols[pick] - c0]
        return out


def is_h5(path: PathLike) -> bool:
    return Path(str(path)).suffix.lower() in H5_SUFFIXES


def open_raster_source(
    path: PathLike, dataset: Optional[str] = None, band: int = 1
) -> RasterSource:
    """A :class:`RasterSource` of ``path``: ``band`` of a GDAL raster, or ``dataset`` of a
    MintPy HDF5 file (default: the dataset its FILE_TYPE names, else its first image).
    InputError names the file when it cannot be read or lacks the band or dataset."""
    from .geotiff import grid_of, open_raster

    path = Path(str(path))
    if is_h5(path):
        return _open_h5(path, dataset)
    raster = open_raster(path)
    if band < 1 or band > raster.RasterCount:
        raise InputError(f"it has {raster.RasterCount} band(s); band {band} was asked for.", path)
    grid = grid_of(raster)
    if grid.radar:
        from .lookup import LOOKUP_ATTRIBUTE, lookup_for

        lookup = lookup_for(path, raster.GetMetadataItem(LOOKUP_ATTRIBUTE))
        grid = lookup.map_grid()
        original = raster.GetRasterBand(band)
        nodata = original.GetNoDataValue()
        raster = lookup.warp(raster, grid, "nearest", np.nan if nodata is None else nodata)
    source_band = raster.GetRasterBand(band)
    return RasterSource(
        path,
        raster,
        grid,
        band,
        1.0,
        source_band.GetDescription() or "",
        (source_band.GetUnitType() or "").strip(),
    )


def _open_h5(path: Path, dataset: Optional[str]) -> RasterSource:
    import h5py
    from osgeo import gdal

    from .lookup import LOOKUP_ATTRIBUTE, hdf5_dataset_name, lookup_for
    from .mintpy import open_h5, read_attrs

    attrs = read_attrs(path)
    with open_h5(path) as f:
        images = [
            name
            for name in f
            if isinstance(f[name], h5py.Dataset) and f[name].ndim == 2 and f[name].size > 1
        ]
        shapes = {name: f[name].shape for name in images}
    name = dataset or DEFAULT_DATASET.get(attrs.get("FILE_TYPE", ""))
    if name is None or name not in images:
        if dataset is not None or not images:
            raise InputError(
                f"has no 2-D dataset '{name}' (images: {', '.join(images) or 'none'}).",
                path,
                "give a MintPy product with that dataset (velocity.h5, temporalCoherence.h5...).",
            )
        name = images[0]
    if "WIDTH" not in attrs:
        attrs.update(LENGTH=str(shapes[name][0]), WIDTH=str(shapes[name][1]))
    grid = Grid.from_attrs(attrs)
    if grid.shape != shapes[name]:
        raise InputError(
            f"its dataset '{name}' is {shapes[name]}, its LENGTH/WIDTH say {grid.shape}.",
            path,
            "the file is inconsistent: write it again with the step that made it.",
        )
    raster = gdal.Translate("", hdf5_dataset_name(path, name), format="VRT")
    if grid.radar:
        lookup = lookup_for(path, attrs.get(LOOKUP_ATTRIBUTE))
        lookup.check_matches(grid, path)
        grid = lookup.map_grid()
        raster = lookup.warp(raster, grid, "nearest", np.nan)
    else:
        raster.SetGeoTransform(grid.geotransform)
        wkt = grid.crs_wkt()
        if wkt:
            raster.SetProjection(wkt)
    unit = attrs.get("UNIT", "m/year" if attrs.get("FILE_TYPE") == "velocity" else "")
    return RasterSource(path, raster, grid, 1, 1.0, name, unit)


def open_rate_raster(path: PathLike, dataset: Optional[str] = None) -> RasterSource:
    """A rate raster in mm/yr: a velocity GeoTIFF (as written, unless its band unit says
    m/yr or cm/yr), or a MintPy ``velocity.h5`` (``velocity``, m/year, or ``dataset``)."""
    source = open_raster_source(path, dataset)
    source.scale = RATE_UNITS_TO_MM.get(source.unit.lower(), 1.0)
    if source.scale != 1.0:
        source.unit = "mm/yr"
    return source


def read_rate_raster(path: PathLike) -> Tuple[np.ndarray, Grid]:
    """A whole rate raster in mm/yr and its map grid (:func:`open_rate_raster`), for steps
    that need every pixel at once (connected bowls, transitions)."""
    source = open_rate_raster(path)
    return source.read(), source.grid
