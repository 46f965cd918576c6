"""Driving-force rasters on one reference grid, stacked into a multi-band GeoTIFF.

Every input is warped in memory (GDAL) onto the reference grid with the resampling its kind
needs: categorical rasters (land use) by nearest neighbour, continuous ones (NDVI, water table,
DEM) bilinearly. Derived bands: NDVI = (NIR - red) / (NIR + red), distance (m) from the nearest
well point, and the terrain indices of :mod:`core.terrain` computed from the aligned DEM.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import grid_of, open_raster, write_geotiff
from ..io.point_layers import read_points
from ..options import Options, option
from ..progress import ProgressCallback, finished, report, scaled, silent
from .terrain import TerrainOptions, cell_size_metres, terrain_indices

PathLike = Union[str, Path]
TERRAIN_BANDS = ("altitude", "slope", "aspect", "spi", "twi")


@dataclass
class DrivingForceInputs(Options):
    """Paths of the user rasters (any may be empty), the wells layer and how to read them."""

    reference: Optional[PathLike] = option(
        None,
        help="Raster whose grid (CRS, extent, cell size) every band is aligned on; "
        "empty = the DEM's",
    )
    dem: Optional[PathLike] = option(
        None, help="Elevation (m): altitude band and slope, aspect, SPI and TWI computed from it"
    )
    red: Optional[PathLike] = option(
        None, help="Red reflectance raster; with the near-infrared one it gives NDVI"
    )
    nir: Optional[PathLike] = option(
        None, help="Near-infrared reflectance raster; NDVI = (NIR - red) / (NIR + red)"
    )
    red_band: int = option(1, help="Band of the red raster that holds red reflectance", minimum=1)
    nir_band: int = option(
        1, help="Band of the near-infrared raster that holds NIR reflectance", minimum=1
    )
    ndvi: Optional[PathLike] = option(
        None, help="Ready NDVI raster (-1..1), used when red and NIR are not given"
    )
    landuse: Optional[PathLike] = option(
        None, help="Land-use classes (integer codes), aligned by nearest neighbour"
    )
    water_table: Optional[PathLike] = option(
        None, help="Depth to the water table (m), aligned bilinearly"
    )
    wells: Optional[PathLike] = option(
        None, help="Point layer of wells: band of the distance (m) to the nearest well"
    )
    extra: Dict[str, PathLike] = option(
        factory=dict, help="More continuous rasters by band name, aligned bilinearly"
    )
    terrain: TerrainOptions = option(
        factory=TerrainOptions, help="How slope, aspect, SPI and TWI are computed from the DEM"
    )


def align_raster(
    path: PathLike, grid: Grid, categorical: bool = False, band: int = 1
) -> np.ndarray:
    """One band of ``path`` warped onto ``grid`` (float32, NaN outside or on nodata):
    nearest neighbour for categorical rasters, bilinear otherwise."""
    from osgeo import gdal

    gdal.UseExceptions()
    src = open_raster(path)
    if band < 1 or band > src.RasterCount:
        raise InputError(
            f"it has {src.RasterCount} band(s); band {band} was asked for.",
            path,
            "pick an existing band.",
        )
    if not src.GetProjection():
        raise InputError(
            "the raster has no CRS.", path, "assign one (Raster > Projections > Assign Projection)."
        )
    nodata = src.GetRasterBand(band).GetNoDataValue()
    if src.RasterCount > 1:
        src = gdal.Translate("", src, format="MEM", bandList=[band])
    xmin, ymin, xmax, ymax = grid.extent
    options = gdal.WarpOptions(
        format="MEM",
        outputBounds=(xmin, ymin, xmax, ymax),
        width=grid.width,
        height=grid.length,
        dstSRS=grid.crs_wkt() or None,
        resampleAlg="near" if categorical else "bilinear",
        dstNodata=np.nan,
        outputType=gdal.GDT_Float32,
        multithread=False,
    )
    try:
        warped = gdal.Warp("", src, options=options)
    except RuntimeError as exc:
        raise InputError(
            f"GDAL cannot warp it onto the reference grid ({exc}).", path, "check its CRS."
        ) from None
    data = warped.GetRasterBand(1).ReadAsArray().astype(np.float32)
    if nodata is not None and np.isfinite(nodata):
        data[data == nodata] = np.nan
    if grid.y_step > 0:  # GDAL writes north-up; flip for south-up reference grids
        data = data[::-1]
    return data


def ndvi(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    """(NIR - red) / (NIR + red), NaN where the sum is 0."""
    red = np.asarray(red, dtype=np.float64)
    nir = np.asarray(nir, dtype=np.float64)
    total = nir + red
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total != 0, (nir - red) / total, np.nan)
    return out.astype(np.float32)


def distance_to_points(grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance (m) from each cell centre to the nearest point (KD-tree, in metres: geographic
    grids are scaled by their local metres per degree)."""
    from scipy.spatial import cKDTree

    dx, dy = cell_size_metres(grid)
    sx = float(np.mean(dx)) / abs(grid.x_step)
    sy = dy / abs(grid.y_step)
    tree = cKDTree(np.column_stack([np.asarray(x) * sx, np.asarray(y) * sy]))
    out = np.empty(grid.shape, dtype=np.float32)
    cols = np.arange(grid.width)
    for row in range(grid.length):
        cx, cy = grid.xy(np.full(grid.width, row), cols)
        out[row] = tree.query(np.column_stack([cx * sx, cy * sy]))[0]
    return out


def driving_force_stack(
    inputs: DrivingForceInputs, progress: ProgressCallback = silent
) -> Tuple[np.ndarray, Grid, List[str]]:
    """(stack (bands, rows, cols) float32, reference grid, band names)."""
    reference = (
        inputs.reference
        or inputs.dem
        or inputs.ndvi
        or inputs.landuse
        or inputs.water_table
        or inputs.red
    )
    if reference is None:
        raise InputError(
            "no raster given to define the grid.", None, "give a reference raster or a DEM."
        )
    grid = grid_of(open_raster(reference))
    bands: List[np.ndarray] = []
    names: List[str] = []
    if inputs.dem:
        dem = align_raster(inputs.dem, grid)
        indices = terrain_indices(dem, grid, inputs.terrain, scaled(progress, 0.0, 0.6))
        indices["altitude"] = dem
        for name in TERRAIN_BANDS:
            bands.append(indices[name])
            names.append(name)
    report(progress, 0.6, "Aligning rasters")
    if inputs.red and inputs.nir:
        bands.append(
            ndvi(
                align_raster(inputs.red, grid, band=inputs.red_band),
                align_raster(inputs.nir, grid, band=inputs.nir_band),
            )
        )
        names.append("ndvi")
    elif inputs.ndvi:
        bands.append(align_raster(inputs.ndvi, grid))
        names.append("ndvi")
    if inputs.landuse:
        bands.append(align_raster(inputs.landuse, grid, categorical=True))
        names.append("landuse")
    if inputs.water_table:
        bands.append(align_raster(inputs.water_table, grid))
        names.append("water_table")
    for name, path in inputs.extra.items():
        bands.append(align_raster(path, grid))
        names.append(name)
    if inputs.wells:
        report(progress, 0.8, "Distance from wells")
        wells = read_points(inputs.wells, [], grid.crs_wkt(), dates=False)
        wells_x, wells_y = wells.x, wells.y
        if wells_x.size == 0:
            raise InputError(
                "the layer has no features.", inputs.wells, "give a layer with well points."
            )
        bands.append(distance_to_points(grid, wells_x, wells_y))
        names.append("dist_wells")
    if not bands:
        raise InputError(
            "no driving-force input was given.",
            None,
            "give at least a DEM, NDVI, land use, water table or wells.",
        )
    return np.stack(bands).astype(np.float32), grid, names


def write_driving_forces(
    inputs: DrivingForceInputs, output: PathLike, progress: ProgressCallback = silent
) -> Path:
    """Build the stack and write it as one multi-band GeoTIFF with band names."""
    from ..atomic import check_outputs

    given = [
        inputs.reference,
        inputs.dem,
        inputs.red,
        inputs.nir,
        inputs.ndvi,
        inputs.landuse,
        inputs.water_table,
        inputs.wells,
        *inputs.extra.values(),
    ]
    check_outputs([output], [p for p in given if p])
    stack, grid, names = driving_force_stack(inputs, progress)
    path = write_geotiff(output, stack, grid, names)
    finished(progress, f"Wrote {len(names)} bands: {', '.join(names)}")
    return path


def read_driving_forces(path: PathLike) -> Tuple[np.ndarray, Grid, List[str]]:
    """A multi-band driving-force GeoTIFF as (stack float32 with NaN nodata, grid, band names)."""
    ds = open_raster(path)
    grid = grid_of(ds)
    bands, names = [], []
    for i in range(ds.RasterCount):
        band = ds.GetRasterBand(i + 1)
        data = band.ReadAsArray().astype(np.float32)
        nodata = band.GetNoDataValue()
        if nodata is not None and np.isfinite(nodata):
            data[data == nodata] = np.nan
        bands.append(data)
        names.append(band.GetDescription() or f"band{i + 1}")
    return np.stack(bands), grid, names
