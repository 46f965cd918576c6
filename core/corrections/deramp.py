"""Phase-ramp removal from a displacement time series (orbit errors, long-wavelength noise).

Per date, a linear ``a + b x + c y`` or quadratic ``+ d x^2 + e y^2 + f xy`` surface is fitted by
least squares on stable pixels (a user mask, e.g. a temporal-coherence or land-use raster
thresholded, else every valid pixel), by default refitted without outliers so deforming areas
inside the mask do not tilt it, and subtracted from every pixel, as MintPy's ``remove_ramp``.
``x``/``y`` are column/row indices scaled to [0, 1]. The result is then
re-referenced to ``REF_Y``/``REF_X`` (when set) so the reference pixel stays at zero.
Units follow the input (metres for ``timeseries.h5``).
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
from ..io.mintpy import (
    open_h5,
    read_attrs,
    read_timeseries,
    read_timeseries_dates,
    timeseries_writer,
)
from ..options import Choice, Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, report, silent
from ..timeseries.rate_fit import linear_rate

PathLike = Union[str, Path]


class Ramp(Choice):
    """Surface fitted to each date on stable pixels and removed."""

    LINEAR = "linear", "plane a + b x + c y"
    QUADRATIC = "quadratic", "quadratic surface, plus x^2, y^2 and xy"


@dataclass
class DerampOptions(Options):
    ramp: Ramp = option(Ramp.LINEAR, help="Surface removed from each date")
    mask_threshold: float = option(
        0.5,
        help="Pixels are stable where the mask value is at least this (e.g. 0.7 for temporal "
        "coherence)",
    )
    robust: bool = option(
        True,
        help="Refit without pixels more than 3 robust sigmas off the ramp, so bowls inside the "
        "mask do not tilt it",
    )
    #: broad deformation (a groundwater basin) is not an outlier of the fit but would be taken
    #: for a ramp
    max_rate: float = option(
        3.0,
        help="Also leave out pixels whose linear LOS rate differs from the scene median by more "
        "than this (0 = off)",
        unit="mm/yr",
        minimum=0.0,
    )
    memory_mb: float = option(
        256.0, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


def ramp_design(shape, ramp: str = Ramp.LINEAR, rows=None, cols=None) -> np.ndarray:
    """Design matrix (N, 3 or 6) of the ramp at pixels (rows, cols) (all pixels if None)."""
    ramp = Ramp.parse(ramp, "ramp")
    length, width = shape
    if rows is None:
        rows, cols = np.indices(shape)
    y = np.asarray(rows, np.float64).ravel() / max(length - 1, 1)
    x = np.asarray(cols, np.float64).ravel() / max(width - 1, 1)
    columns = [np.ones_like(x), x, y]
    if ramp is Ramp.QUADRATIC:
        columns += [x * x, y * y, x * y]
    return np.column_stack(columns)


def fit_ramp(
    image: np.ndarray,
    stable: np.ndarray,
    ramp: str = Ramp.LINEAR,
    robust: bool = False,
    iterations: int = 3,
) -> np.ndarray:
    """The ramp surface (L, W) fitted to ``image`` on ``stable & finite`` pixels.

    ``robust``: refit up to ``iterations`` times without pixels whose residual exceeds three
    robust standard deviations (1.4826 MAD), so a deforming area inside the mask (a bowl)
    does not tilt the ramp.
    """
    use = stable & np.isfinite(image)
    needed = 3 if ramp == Ramp.LINEAR else 6
    if use.sum() < needed:
        return np.zeros(image.shape)
    full = ramp_design(image.shape, ramp)
    values = image.astype(np.float64).ravel()
    for _ in range(iterations if robust else 1):
        index = np.flatnonzero(use.ravel())
        coef, *_ = np.linalg.lstsq(full[index], values[index], rcond=None)
        surface = full @ coef
        if not robust:
            break
        residual = values - surface
        spread = 1.4826 * np.median(np.abs(residual[index] - np.median(residual[index])))
        inliers = use & (np.abs(residual) <= 3 * spread + 1e-12).reshape(image.shape)
        if inliers.sum() < needed or np.array_equal(inliers, use):
            break
        use = inliers
    return surface.reshape(image.shape)


def read_mask(path: PathLike, grid: Grid, threshold: float) -> np.ndarray:
    """Stable-pixel mask from a GeoTIFF or an .h5 file (its first 2-D dataset) on ``grid``."""
    path = Path(path)
    if path.suffix.lower() in (".h5", ".he5", ".hdf5"):
        with open_h5(path) as f:
            names = [k for k in f if getattr(f[k], "ndim", 0) == 2]
            if not names:
                raise InputError(
                    "has no 2-D dataset to use as a mask.",
                    path,
                    "give temporalCoherence.h5, a mask .h5 or a GeoTIFF.",
                )
            data = f[names[0]][()].astype(np.float64)
        mask_grid = Grid.from_attrs(read_attrs(path))
    else:
        from ..io.geotiff import read_raster

        data, mask_grid = read_raster(path, dtype=np.float64)
    if not mask_grid.same_as(grid):
        raise InputError(
            f"mask grid {mask_grid.shape} does not match the time series grid {grid.shape}.",
            path,
            "resample the mask to the time-series grid.",
        )
    return np.nan_to_num(data, nan=-np.inf) >= threshold


def complete_rate_rows(rows: slice, timeseries: PathLike, years: np.ndarray) -> np.ndarray:
    """(rows, W) least-squares linear rate (m/yr) of the rows ``rows``: one block of
    :func:`complete_series_rate`."""
    data = read_timeseries(timeseries, rows).data.astype(np.float64)
    n, length, width = data.shape
    data = data.reshape(n, -1)
    rate = linear_rate(years, data)[0]
    rate[~np.isfinite(data).all(axis=0)] = np.nan
    return rate.reshape(length, width)


def complete_series_rate(
    timeseries: PathLike, dates, grid: Grid, memory_mb: float, executor=None
) -> np.ndarray:
    """(L, W) least-squares linear rate (m/yr) of the pixels with a value at every date; NaN
    elsewhere (a pixel missing dates is not trusted as stable). ``executor``: an open one
    of :mod:`core.parallel` (None = here)."""
    blocks = list(row_blocks(grid.length, 8 * len(dates) * grid.width, memory_mb))
    rate = np.full(grid.shape, np.nan)
    fitted = map_blocks(
        complete_rate_rows, blocks, timeseries, years_since(dates), executor=executor
    )
    for rows, block in zip(blocks, fitted, strict=True):
        rate[rows] = block
    return rate


def deramp_date(
    k: int,
    timeseries: PathLike,
    stable: np.ndarray,
    ramp: str,
    robust: bool,
    ref: Optional[Tuple[int, int]],
) -> Tuple[np.ndarray, float]:
    """Date ``k`` of ``timeseries.h5`` without its ramp fitted on ``stable`` and referenced to
    ``ref`` (row, col): (corrected (L, W) float32, ramp RMS). One block of
    :func:`deramp_timeseries`, run here or on a Dask worker."""
    with open_h5(timeseries, required=("timeseries",)) as src:
        image = src["timeseries"][k].astype(np.float64)
    surface = fit_ramp(image, stable, ramp, robust)
    corrected = image - surface
    if ref is not None and np.isfinite(corrected[ref]):
        corrected -= corrected[ref]
    return corrected.astype(np.float32), float(np.sqrt(np.mean(surface**2)))


def deramp_timeseries(
    timeseries: PathLike,
    output: PathLike,
    options: Optional[DerampOptions] = None,
    mask: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> np.ndarray:
    """Remove a ramp per date; write a NEW time series. Returns the ramp RMS per date (m).

    ``executor``: None (in this process), a Dask scheduler address or an executor
    (:mod:`core.parallel`) that fits the dates (and the rates of ``max_rate``); the result is
    the same, written by this process."""
    options = options or DerampOptions()
    check_outputs([output], [timeseries, mask])
    attrs = read_attrs(timeseries)
    grid = Grid.from_attrs(attrs)
    dates = read_timeseries_dates(timeseries)
    stable = (
        np.ones(grid.shape, bool) if mask is None else read_mask(mask, grid, options.mask_threshold)
    )
    ref = (int(attrs["REF_Y"]), int(attrs["REF_X"])) if "REF_Y" in attrs else None
    rms = np.zeros(len(dates))
    with open_h5(timeseries, required=("timeseries",)) as src:
        bperp = src["bperp"][()] if "bperp" in src else None
    out_attrs = {k: v for k, v in attrs.items() if k != "FILE_TYPE"}
    out_attrs["DERAMP"] = options.ramp.value
    with open_executor(executor) as pool:
        if options.max_rate > 0:
            from .stable_check import check_stable_assumption

            rate = complete_series_rate(timeseries, dates, grid, options.memory_mb, pool)
            check = check_stable_assumption(rate * 1000.0, stable, "the deramp's stable set")
            if check.warning:
                report(progress, 0.0, check.warning)
            deviation = np.abs(rate - np.nanmedian(rate[stable]))
            stable &= deviation <= options.max_rate / 1000.0
        if stable.sum() < 6:
            raise InputError(
                "fewer than 6 stable pixels in the mask.",
                mask or timeseries,
                "lower the mask threshold or give a larger stable area.",
            )
        with timeseries_writer(output, grid, dates, bperp, out_attrs) as dst:
            fitted = map_blocks(
                deramp_date,
                range(len(dates)),
                timeseries,
                stable,
                options.ramp,
                options.robust,
                ref,
                executor=pool,
            )
            for k, (corrected, ramp_rms) in enumerate(fitted):
                dst["timeseries"][k] = corrected
                rms[k] = ramp_rms
                report(progress, (k + 1) / len(dates), "Removing ramps")
    return rms
