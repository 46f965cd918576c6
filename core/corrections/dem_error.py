"""DEM-error correction of a displacement time series (Fattahi & Amelung 2013, as MintPy).

A DEM height error ``dz`` (m) adds ``bperp(t) / (r sin(inc)) * dz`` to the LOS displacement of
each date (``r`` slant range, ``inc`` incidence angle). Per pixel we fit

    ts(t) = bperp(t) * g + c0 + c1 t + ... + cp t^p     (t in years, polynomial deformation)

by least squares, subtract ``bperp(t) * g`` from the series and report ``dz = g r sin(inc)``
(``r`` from the geometry's ``slantRangeDistance``, else a spherical Earth with the file's
``HEIGHT``/``EARTH_RADIUS``).
Because the geometry only scales the ``bperp`` column, one pseudo-inverse serves every pixel
with a complete series (no per-pixel loop); pixels with gaps are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..blocks import row_blocks
from ..conventions import years_since
from ..errors import InputError
from ..grid import Grid
from ..io.hyp3 import slant_range
from ..io.mintpy import (
    IfgramStack,
    open_h5,
    read_attrs,
    read_incidence,
    read_timeseries,
    read_timeseries_dates,
    timeseries_writer,
)
from ..options import Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]
EARTH_RADIUS = 6_371_000.0  # m, spherical Earth (when the file has no EARTH_RADIUS)
SENTINEL1_ALTITUDE = 693_000.0  # m (when the file has no HEIGHT)


@dataclass
class DemErrorOptions(Options):
    poly_order: int = option(
        2,
        help="Order of the polynomial deformation model fitted with the DEM error (MintPy: 2)",
        minimum=1,
        maximum=3,
    )
    memory_mb: float = option(
        256.0, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


def design_matrix(bperp: np.ndarray, years: np.ndarray, poly_order: int) -> np.ndarray:
    """(n, 2 + poly_order): [bperp, 1, t, t^2, ...]."""
    return np.column_stack(
        [np.asarray(bperp, float)] + [np.asarray(years, float) ** p for p in range(poly_order + 1)]
    )


def estimate(
    ts: np.ndarray, bperp: np.ndarray, years: np.ndarray, poly_order: int = 2
) -> Tuple[np.ndarray, np.ndarray]:
    """For ts (n, N) metres: (g (N,) m per m of bperp, corrected ts (n, N)). NaN-containing
    pixels get g = NaN and are returned unchanged."""
    design = design_matrix(bperp, years, poly_order)
    complete = np.isfinite(ts).all(axis=0)
    g = np.full(ts.shape[1], np.nan)
    coef = np.linalg.pinv(design) @ ts[:, complete].astype(np.float64)
    g[complete] = coef[0]
    corrected = ts.astype(np.float64).copy()
    corrected[:, complete] -= np.outer(design[:, 0], coef[0])
    return g, corrected


def correct_rows(
    rows: slice, timeseries: PathLike, bperp: np.ndarray, years: np.ndarray, poly_order: int
) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`estimate` on the rows ``rows`` of ``timeseries.h5``: (corrected series
    (n, rows, W) float32 m, g (rows, W) m per m of bperp). One block of
    :func:`correct_dem_error`, run here or on a Dask worker."""
    ts = read_timeseries(timeseries, rows).data
    n, length, width = ts.shape
    g, corrected = estimate(ts.reshape(n, -1), bperp, years, poly_order)
    return corrected.reshape(n, length, width).astype(np.float32), g.reshape(length, width)


def date_bperp(timeseries: PathLike, stack: Optional[PathLike] = None) -> np.ndarray:
    """Per-date perpendicular baseline (m): from the time series, else from the stack."""
    from ..network.selection import acquisition_bperp

    dates = read_timeseries_dates(timeseries)
    with open_h5(timeseries) as f:
        bperp = f["bperp"][()].astype(float) if "bperp" in f else np.zeros(len(dates))
    if stack is not None:
        ifgs = IfgramStack.open(stack)
        bperp = acquisition_bperp(ifgs.pairs, ifgs.bperp, dates)
        if np.isnan(bperp).any():
            raise InputError(
                "some time-series dates are in no interferogram of the stack.",
                stack,
                "give the stack the time series was inverted from.",
            )
    return bperp


def correct_dem_error(
    timeseries: PathLike,
    output: PathLike,
    geometry: Optional[PathLike] = None,
    dem_error_tif: Optional[PathLike] = None,
    stack: Optional[PathLike] = None,
    options: Optional[DemErrorOptions] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> np.ndarray:
    """Write a NEW time series without the DEM-error term; optionally the DEM error (m) as a
    GeoTIFF (needs ``geometry`` for range and incidence). Returns the (L, W) DEM error, or the
    (L, W) ``g`` coefficient when no geometry is given.

    Row blocks under ``options.memory_mb`` are fitted one by one; ``executor``: None (in this
    process), a Dask scheduler address or an executor (:mod:`core.parallel`) that fits the
    blocks; the result is the same, written by this process."""
    options = options or DemErrorOptions()
    check_outputs([output, dem_error_tif], [timeseries, geometry, stack])
    if dem_error_tif and geometry is None:
        raise InputError(
            "the DEM error in metres needs the incidence angle.",
            timeseries,
            "give the geometry file (geometryGeo.h5).",
        )
    attrs = read_attrs(timeseries)
    grid = Grid.from_attrs(attrs)
    dates = read_timeseries_dates(timeseries)
    bperp = date_bperp(timeseries, stack)
    design = design_matrix(bperp, years_since(dates), options.poly_order)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise InputError(
            "its perpendicular baselines are all zero or too few dates for the model.",
            timeseries,
            "give the interferogram stack (STACK) to take "
            "baselines from, or lower the polynomial order.",
        )
    scale = None
    if geometry is not None:
        incidence = read_incidence(geometry, grid)
        with open_h5(geometry) as f:
            rng = (
                f["slantRangeDistance"][()]
                if "slantRangeDistance" in f
                else slant_range(
                    incidence,
                    float(attrs.get("HEIGHT", SENTINEL1_ALTITUDE)),
                    float(attrs.get("EARTH_RADIUS", EARTH_RADIUS)),
                )
            )
        scale = rng * np.sin(np.deg2rad(incidence))
    years = years_since(dates)
    out = np.full(grid.shape, np.nan, np.float32)
    out_attrs = {k: v for k, v in attrs.items() if k != "FILE_TYPE"}
    out_attrs["DEM_ERROR_CORRECTED"] = "yes"
    blocks = list(row_blocks(grid.length, 24 * len(dates) * grid.width, options.memory_mb))
    with (
        open_executor(executor) as pool,
        timeseries_writer(output, grid, dates, bperp, out_attrs) as dst,
    ):
        fitted = map_blocks(
            correct_rows, blocks, timeseries, bperp, years, options.poly_order, executor=pool
        )
        for i, (rows, (corrected, g)) in enumerate(zip(blocks, fitted, strict=True)):
            dst["timeseries"][:, rows, :] = corrected
            out[rows] = g * scale[rows] if scale is not None else g
            report(progress, (i + 1) / len(blocks), "DEM-error correction")
    if dem_error_tif:
        from ..io.geotiff import write_geotiff

        write_geotiff(dem_error_tif, out, grid, band_names=["dem_error_m"], units="m")
    return out
