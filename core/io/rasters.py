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
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

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


def _h5_images(path: Path) -> Tuple[Dict[str, str], Dict[str, Tuple[int, ...]]]:
    """Attributes (LENGTH/WIDTH filled in) and the shapes of the image datasets (2-D, or 3-D
    for a time series) of a MintPy file."""
    import h5py

    from .mintpy import open_h5, read_attrs

    attrs = read_attrs(path)
    with open_h5(path) as f:
        shapes = {
            name: f[name].shape
            for name in f
            if isinstance(f[name], h5py.Dataset) and f[name].ndim in (2, 3) and f[name].size > 1
        }
    if "WIDTH" not in attrs and shapes:
        first = next(iter(shapes.values()))
        attrs.update(LENGTH=str(first[-2]), WIDTH=str(first[-1]))
    return attrs, shapes


def _h5_raster(
    path: Path,
    name: str,
    attrs: Dict[str, str],
    scale: float = 1.0,
    destination: Optional[Path] = None,
):
    """GDAL's view of dataset ``name`` of a MintPy file on a map grid, values times
    ``scale``: a VRT with the file's georeferencing, or for radar coordinates the virtual
    warp onto the lookup tables' default map grid. In memory, or written at ``destination``
    (a .vrt QGIS opens). Returns (dataset, map grid)."""
    from osgeo import gdal

    from .lookup import LOOKUP_ATTRIBUTE, hdf5_dataset_name, lookup_for

    grid = Grid.from_attrs(attrs)
    values_name = ""
    if destination is not None:
        values_name = str(destination.with_suffix(".values.vrt") if grid.radar else destination)
    options = {"format": "VRT"}
    if scale != 1.0:
        options["scaleParams"] = [[0.0, 1.0, 0.0, scale]]
    raster = gdal.Translate(values_name, hdf5_dataset_name(path, name), **options)
    if not grid.radar:
        raster.SetGeoTransform(grid.geotransform)
        wkt = grid.crs_wkt()
        if wkt:
            raster.SetProjection(wkt)
        raster.FlushCache()
        return raster, grid
    lookup = lookup_for(path, attrs.get(LOOKUP_ATTRIBUTE))
    lookup.check_matches(grid, path)
    raster.FlushCache()
    grid = lookup.map_grid()
    return lookup.warp(raster, grid, "nearest", np.nan, destination), grid


def _open_h5(path: Path, dataset: Optional[str]) -> RasterSource:
    attrs, shapes = _h5_images(path)
    images = [n for n, shape in shapes.items() if len(shape) == 2]
    name = dataset or DEFAULT_DATASET.get(attrs.get("FILE_TYPE", ""))
    if name is None or name not in images:
        if dataset is not None or not images:
            raise InputError(
                f"has no 2-D dataset '{name}' (images: {', '.join(images) or 'none'}).",
                path,
                "give a MintPy product with that dataset (velocity.h5, temporalCoherence.h5...).",
            )
        name = images[0]
    expected = (int(attrs["LENGTH"]), int(attrs["WIDTH"]))
    if expected != tuple(shapes[name]):
        raise InputError(
            f"its dataset '{name}' is {shapes[name]}, its LENGTH/WIDTH say {expected}.",
            path,
            "the file is inconsistent: write it again with the step that made it.",
        )
    raster, grid = _h5_raster(path, name, attrs)
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


class MapLayerFile(NamedTuple):
    """A raster QGIS opens for one dataset of a MintPy product: its file, a layer name and the
    style it gets (a kind of ``plugin.styling.style_layer``)."""

    path: Path
    name: str
    style: str


#: what of a MintPy product goes onto the map: dataset -> (description, unit, scale, style;
#: no style = QGIS's default grey)
MAP_DATASETS = {
    "velocity": ("LOS velocity (mm/yr)", "mm/yr", 1000.0, "velocity"),
    "velocityVertical": ("vertical velocity (mm/yr)", "mm/yr", 1000.0, "velocity"),
    "velocityStd": ("LOS velocity standard deviation (mm/yr)", "mm/yr", 1000.0, "velocity"),
    "temporalCoherence": ("temporal coherence", "", 1.0, ""),
    "timeseries": ("LOS displacement (mm)", "mm", 1000.0, "displacement"),
}


def map_layer_folder(path: PathLike, root: PathLike) -> Path:
    """The folder under ``root`` that holds the map VRTs of MintPy product ``path``: one per
    file and version (its resolved path and modification time), so a product is put on the
    map once and a product written again gets fresh VRTs."""
    import hashlib

    path = Path(path).resolve()
    key = f"{path}|{path.stat().st_mtime_ns}".encode()
    return Path(root) / f"{path.stem}_{hashlib.sha1(key).hexdigest()[:12]}"


def write_map_layers(path: PathLike, folder: PathLike) -> List[MapLayerFile]:
    """VRT files in ``folder`` that put the datasets of a MintPy product (``velocity.h5``,
    ``timeseries.h5``, ``temporalCoherence.h5``, ours or MintPy's; geocoded, or in radar
    coordinates warped through their lookup tables) onto the map in the toolkit's units:
    rates in mm/yr, a time series in mm with one band per date named YYYYMMDD (as the
    time-series dock reads dated bands). Nothing is exported: the VRTs read the HDF5 file.
    Layers that are already in ``folder`` are reused. InputError names the file when it holds
    none of those datasets."""
    path, folder = Path(path), Path(folder)
    attrs, shapes = _h5_images(path)
    wanted = [n for n in MAP_DATASETS if n in shapes]
    if not wanted:
        raise InputError(
            f"holds none of {', '.join(MAP_DATASETS)} (found: {', '.join(shapes) or 'none'}).",
            path,
            "give a MintPy velocity.h5, timeseries.h5 or temporalCoherence.h5.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    layers = []
    for name in wanted:
        description, unit, scale, style = MAP_DATASETS[name]
        destination = folder / f"{path.stem}_{name}.vrt"
        layers.append(MapLayerFile(destination, f"{path.stem} {description}", style))
        if destination.is_file():
            continue
        raster, _ = _h5_raster(path, name, attrs, scale, destination)
        if name == "timeseries":
            from ..dates import format_yyyymmdd
            from .mintpy import read_timeseries_dates

            labels = [format_yyyymmdd(d) for d in read_timeseries_dates(path)]
        else:
            labels = [description] * raster.RasterCount
        for index, label in enumerate(labels, start=1):
            band = raster.GetRasterBand(index)
            band.SetDescription(label)
            band.SetUnitType(unit)
            band.SetNoDataValue(float("nan"))
        raster.FlushCache()
        raster = None
    return layers


def map_layer(path: PathLike, folder: PathLike) -> MapLayerFile:
    """The main map layer of a MintPy product (:func:`write_map_layers`): the LOS velocity of
    ``velocity.h5``, the series of ``timeseries.h5``, the coherence of
    ``temporalCoherence.h5`` — what a step asking for a raster reads of the file."""
    return write_map_layers(path, folder)[0]
