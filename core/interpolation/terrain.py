"""Terrain indices from a DEM: slope, aspect, flow accumulation (D8 and D-infinity),
specific catchment area, stream power index and topographic wetness index.

Conventions:

* slope ``tan b`` is dimensionless (rise over run, Horn's 3 x 3 finite differences); the
  slope raster written for users is in degrees;
* aspect is the compass direction the slope faces (downhill), degrees clockwise from north in
  [0, 360); flat cells (slope below ``flat_slope``) get :data:`FLAT_ASPECT` (-1);
* flow accumulation counts cells (the cell itself included) draining through each cell, after
  filling sinks with Priority-Flood+epsilon (Barnes et al. 2014), which also gives flats a
  drainage gradient towards their outlet;
* specific catchment area ``a`` = upslope area (m^2) / contour width, the width taken as the
  square root of the cell area (m);
* SPI = a * tan b; TWI = ln(a / max(tan b, min_tan_slope)).

Geographic DEMs (degrees) are handled by converting the cell size to metres per row latitude.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import numpy as np

from ..errors import InputError
from ..grid import Grid
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, scaled, silent

PathLike = Union[str, Path]
FLAT_ASPECT = -1.0


class FlowMethod(Choice):
    """Flow routing between cells."""

    D8 = "D8", "D8: all flow to the steepest of the 8 neighbours"
    DINF = "Dinf", "D-infinity: flow split between the two neighbours of the steepest facet"


class TerrainIndex(Choice):
    """Rasters :func:`write_terrain_indices` can write."""

    SLOPE = "slope", "Slope (deg)"
    ASPECT = "aspect", "Aspect (deg)"
    FLOWACC = "flowacc", "Flow accumulation (cells)"
    SCA = "sca", "Specific catchment area (m)"
    SPI = "spi", "Stream power index"
    TWI = "twi", "Topographic wetness index"


# neighbour offsets (drow, dcol) in D-infinity facet order: east, then anticlockwise
_OFFSETS = ((0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1))


@dataclass
class TerrainOptions(Options):
    """Options of :func:`terrain_indices`."""

    flow_method: FlowMethod = option(FlowMethod.D8, help="Flow routing for flow accumulation")
    min_tan_slope: float = option(
        1e-3,
        help="Floor of tan(slope) in TWI = ln(a / tan b), so flats do not divide by zero "
        "(1e-3 is about 0.06 degrees)",
        minimum=1e-9,
        maximum=1.0,
    )
    flat_slope: float = option(
        1e-6, help="Cells with tan(slope) below this are flat: aspect -1", minimum=0.0
    )


def is_geographic(grid: Grid) -> bool:
    """True when the grid's CRS is geographic (degrees)."""
    if grid.epsg == 4326:
        return True
    wkt = grid.crs_wkt()
    if not wkt:
        return False
    from osgeo import osr

    srs = osr.SpatialReference(wkt=wkt)
    return bool(srs.IsGeographic())


def cell_size_metres(grid: Grid) -> Tuple[np.ndarray, float]:
    """Cell width per row (m, shape (length, 1)) and cell height (m).

    For geographic grids the metres per degree come from the WGS84 ellipsoid at each row's
    latitude; projected grids are assumed to be in metres.
    """
    if not is_geographic(grid):
        return np.full((grid.length, 1), abs(grid.x_step)), abs(grid.y_step)
    lat = np.deg2rad(grid.xy(np.arange(grid.length), 0)[1])
    m_per_deg_lat = 111132.92 - 559.82 * np.cos(2 * lat) + 1.175 * np.cos(4 * lat)
    m_per_deg_lon = 111412.84 * np.cos(lat) - 93.5 * np.cos(3 * lat)
    dx = np.abs(m_per_deg_lon * grid.x_step)[:, None]
    dy = float(np.mean(np.abs(m_per_deg_lat * grid.y_step)))
    return dx, dy


def _pad_linear(z: np.ndarray) -> np.ndarray:
    """Pad by one cell with linear extrapolation, so planes keep their gradient at edges."""
    p = np.pad(z, 1, mode="edge").astype(np.float64)
    if z.shape[0] > 1:
        p[0, 1:-1] = 2 * z[0] - z[1]
        p[-1, 1:-1] = 2 * z[-1] - z[-2]
    if z.shape[1] > 1:
        p[:, 0] = 2 * p[:, 1] - p[:, 2]
        p[:, -1] = 2 * p[:, -2] - p[:, -3]
    return p


def gradient(dem: np.ndarray, grid: Grid) -> Tuple[np.ndarray, np.ndarray]:
    """Horn's gradient (dz/d_east, dz/d_north), dimensionless. NaN next to nodata."""
    dx, dy = cell_size_metres(grid)
    p = _pad_linear(np.asarray(dem, dtype=np.float64))
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dz_dcol = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
    dz_drow = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * dy)
    east = dz_dcol * np.sign(grid.x_step)
    north = dz_drow * np.sign(grid.y_step)
    return east, north


def slope_aspect(
    dem: np.ndarray, grid: Grid, options: Optional[TerrainOptions] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """``tan b`` (dimensionless) and aspect (degrees clockwise from north, -1 = flat)."""
    options = options or TerrainOptions()
    east, north = gradient(dem, grid)
    tan_slope = np.hypot(east, north)
    aspect = np.degrees(np.arctan2(-east, -north)) % 360.0
    aspect = np.where(tan_slope < options.flat_slope, FLAT_ASPECT, aspect)
    aspect = np.where(np.isnan(tan_slope), np.nan, aspect)
    return tan_slope, aspect


def fill_sinks(dem: np.ndarray, progress: ProgressCallback = silent) -> np.ndarray:
    """Priority-Flood+epsilon: depressions are raised to their spill level plus a tiny
    increment per cell, so every cell keeps a strictly lower path to the edge (flats
    resolved). NaN cells are nodata and act as outlets, like the grid edge."""
    z = np.asarray(dem, dtype=np.float64).copy()
    length, width = z.shape
    valid = np.isfinite(z)
    done = ~valid
    heap = []
    border = np.zeros_like(valid)
    border[[0, -1], :] = True
    border[:, [0, -1]] = True
    padded = np.pad(~valid, 1, constant_values=False)
    near_nodata = np.zeros_like(valid)
    for dr, dc in _OFFSETS:
        near_nodata |= padded[1 + dr : 1 + dr + length, 1 + dc : 1 + dc + width]
    seeds = np.flatnonzero((border | near_nodata) & valid)
    flat = z.ravel()
    for idx in seeds:
        heap.append((flat[idx], int(idx)))
        done.flat[idx] = True
    heapq.heapify(heap)
    done_flat = done.ravel()
    count, total = 0, int(valid.sum())
    while heap:
        level, idx = heapq.heappop(heap)
        row, col = divmod(idx, width)
        for dr, dc in _OFFSETS:
            r, c = row + dr, col + dc
            if 0 <= r < length and 0 <= c < width:
                n = r * width + c
                if not done_flat[n]:
                    done_flat[n] = True
                    if flat[n] <= level:
                        flat[n] = np.nextafter(level, np.inf)
                    heapq.heappush(heap, (flat[n], n))
        count += 1
        if count % 65536 == 0:
            report(progress, count / total, "Filling sinks")
    return flat.reshape(length, width)


def _neighbour_distances(grid: Grid) -> np.ndarray:
    """(8, length, 1) distances (m) to the neighbours in :data:`_OFFSETS` order."""
    dx, dy = cell_size_metres(grid)
    return np.stack([np.hypot(dc * dx, dr * dy * np.ones_like(dx)) for dr, dc in _OFFSETS])


def _shifted(z: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """Value of the (dr, dc) neighbour of every cell, NaN outside the grid."""
    p = np.pad(z, 1, constant_values=np.nan)
    return p[1 + dr : 1 + dr + z.shape[0], 1 + dc : 1 + dc + z.shape[1]]


def d8_receivers(filled: np.ndarray, grid: Grid) -> np.ndarray:
    """Index of each cell's steepest-descent neighbour (-1: drains off the grid or nodata)."""
    length, width = filled.shape
    dist = _neighbour_distances(grid)
    drops = np.stack(
        [(filled - _shifted(filled, dr, dc)) / dist[k] for k, (dr, dc) in enumerate(_OFFSETS)]
    )
    drops = np.where(np.isnan(drops), -np.inf, drops)
    best = np.argmax(drops, axis=0)
    steepest = np.take_along_axis(drops, best[None], 0)[0]
    rows, cols = np.indices(filled.shape)
    off = np.asarray(_OFFSETS)
    receiver = (rows + off[best, 0]) * width + cols + off[best, 1]
    return np.where((steepest > 0) & np.isfinite(filled), receiver, -1)


def dinf_receivers(filled: np.ndarray, grid: Grid) -> Tuple[np.ndarray, np.ndarray]:
    """Tarboton's D-infinity: up to two receivers per cell and the fraction sent to each.

    Returns ``receivers`` (2, length, width) (-1 = none) and ``fractions`` (2, length, width).
    The flow angle within the steepest triangular facet splits the flow between the facet's
    cardinal and diagonal neighbours in proportion to angular proximity.
    """
    length, width = filled.shape
    dist = _neighbour_distances(grid)
    neighbours = [_shifted(filled, dr, dc) for dr, dc in _OFFSETS]
    best_slope = np.full(filled.shape, -np.inf)
    best_r = np.zeros(filled.shape)
    best_facet = np.zeros(filled.shape, dtype=int)
    best_d1 = np.ones(filled.shape)
    best_d2 = np.ones(filled.shape)
    for facet in range(8):
        # facet between a cardinal and a diagonal neighbour, both adjacent in _OFFSETS order
        card = facet if facet % 2 == 0 else (facet + 1) % 8
        diag = facet + 1 if facet % 2 == 0 else facet
        e1, e2 = neighbours[card], neighbours[diag]
        d1 = np.broadcast_to(dist[card], filled.shape)
        d_diag = np.broadcast_to(dist[diag], filled.shape)
        d2 = np.sqrt(np.maximum(d_diag**2 - d1**2, 1e-12))  # side across the facet
        s1 = (filled - e1) / d1
        s2 = (e1 - e2) / d2
        r = np.arctan2(s2, s1)
        r_max = np.arctan2(d2, d1)
        slope = np.hypot(s1, s2)
        below = r < 0
        above = r > r_max
        slope = np.where(below, s1, slope)
        r = np.where(below, 0.0, r)
        diag_slope = (filled - e2) / d_diag
        slope = np.where(above, diag_slope, slope)
        r = np.where(above, r_max, r)
        slope = np.where(np.isnan(slope), -np.inf, slope)
        better = slope > best_slope
        best_slope = np.where(better, slope, best_slope)
        best_r = np.where(better, r, best_r)
        best_facet = np.where(better, facet, best_facet)
        best_d1 = np.where(better, d1, best_d1)
        best_d2 = np.where(better, d2, best_d2)
    r_max = np.arctan2(best_d2, best_d1)
    to_diag = np.clip(best_r / r_max, 0.0, 1.0)
    card = np.where(best_facet % 2 == 0, best_facet, (best_facet + 1) % 8)
    diag = np.where(best_facet % 2 == 0, best_facet + 1, best_facet)
    off = np.asarray(_OFFSETS)
    rows, cols = np.indices(filled.shape)
    receivers = np.full((2,) + filled.shape, -1, dtype=np.int64)
    fractions = np.zeros((2,) + filled.shape)
    drains = (best_slope > 0) & np.isfinite(filled)
    for k, (nb, frac) in enumerate(((card, 1.0 - to_diag), (diag, to_diag))):
        r, c = rows + off[nb, 0], cols + off[nb, 1]
        inside = (r >= 0) & (r < length) & (c >= 0) & (c < width)
        rr, cc = np.clip(r, 0, length - 1), np.clip(c, 0, width - 1)
        ok = drains & inside & np.isfinite(filled[rr, cc]) & (frac > 1e-9)
        receivers[k] = np.where(ok, r * width + c, -1)
        fractions[k] = np.where(drains, frac, 0.0)
    return receivers, fractions


def flow_accumulation(
    dem: np.ndarray,
    grid: Grid,
    method: str = FlowMethod.D8,
    progress: ProgressCallback = silent,
) -> np.ndarray:
    """Number of cells (itself included) draining through each cell; NaN on nodata.

    Flow leaving through a receiver outside the grid or onto nodata leaves the grid.
    """
    method = FlowMethod.parse(method, "flow method")
    filled = fill_sinks(dem, scaled(progress, 0.0, 0.5))
    report(progress, 0.5, f"{method} flow directions")
    valid = np.isfinite(filled)
    acc = valid.astype(np.float64).ravel()
    order = np.argsort(-np.where(valid, filled, -np.inf), axis=None, kind="stable")
    order = order[valid.ravel()[order]]
    if method == FlowMethod.D8:
        receiver = d8_receivers(filled, grid).ravel()
        for done, idx in enumerate(order.tolist()):
            if done % 65536 == 0:
                report(progress, 0.5 + 0.4 * done / len(order), "Accumulating flow")
            target = receiver[idx]
            if target >= 0:
                acc[target] += acc[idx]
    else:
        receivers, fractions = dinf_receivers(filled, grid)
        r0, r1 = receivers[0].ravel(), receivers[1].ravel()
        f0, f1 = fractions[0].ravel(), fractions[1].ravel()
        for done, idx in enumerate(order.tolist()):
            if done % 65536 == 0:
                report(progress, 0.5 + 0.4 * done / len(order), "Accumulating flow")
            if r0[idx] >= 0:
                acc[r0[idx]] += acc[idx] * f0[idx]
            if r1[idx] >= 0:
                acc[r1[idx]] += acc[idx] * f1[idx]
    report(progress, 0.9, "Flow accumulated")
    return np.where(valid, acc.reshape(filled.shape), np.nan)


def terrain_indices(
    dem: np.ndarray,
    grid: Grid,
    options: Optional[TerrainOptions] = None,
    progress: ProgressCallback = silent,
) -> Dict[str, np.ndarray]:
    """All indices as float32 arrays: ``slope`` (deg), ``aspect`` (deg, -1 flat),
    ``flowacc`` (cells), ``sca`` (m), ``spi``, ``twi``."""
    options = options or TerrainOptions()
    dem = np.asarray(dem, dtype=np.float64)
    if not np.isfinite(dem).any():
        raise InputError("the DEM has no valid cell.", None, "check its nodata value.")
    tan_slope, aspect = slope_aspect(dem, grid, options)
    acc = flow_accumulation(dem, grid, options.flow_method, progress)
    dx, dy = cell_size_metres(grid)
    sca = acc * dx * dy / np.sqrt(dx * dy)
    spi = sca * tan_slope
    twi = np.log(sca / np.maximum(tan_slope, options.min_tan_slope))
    report(progress, 1.0, "Terrain indices done")
    out = {
        "slope": np.degrees(np.arctan(tan_slope)),
        "aspect": aspect,
        "flowacc": acc,
        "sca": sca,
        "spi": spi,
        "twi": twi,
    }
    return {k: v.astype(np.float32) for k, v in out.items()}


def write_terrain_indices(
    dem_path: PathLike,
    outputs: Dict[str, Optional[PathLike]],
    options: Optional[TerrainOptions] = None,
    progress: ProgressCallback = silent,
) -> Dict[str, Path]:
    """Read a DEM GeoTIFF and write the requested indices (keys: :class:`TerrainIndex` names)
    to GeoTIFFs on the DEM grid. Returns the written paths."""
    options = options or TerrainOptions()
    from ..atomic import check_outputs
    from ..io.geotiff import read_raster, write_geotiff

    wanted = {TerrainIndex.parse(k, "terrain index"): v for k, v in outputs.items() if v}
    check_outputs(list(wanted.values()), [dem_path])
    dem, grid = read_raster(dem_path, dtype=np.float64)
    indices = terrain_indices(dem, grid, options, progress)
    units = {"slope": "deg", "aspect": "deg", "flowacc": "cells", "sca": "m"}
    written = {}
    for index, path in wanted.items():
        name = index.value
        written[name] = write_geotiff(path, indices[name], grid, [name], units=units.get(name))
    return written
