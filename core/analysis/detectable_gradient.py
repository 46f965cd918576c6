"""What InSAR can measure: the largest deformation gradient a stack resolves, per pixel.

Two neighbouring pixels of one interferogram may differ by at most half a phase cycle (pi,
a quarter wavelength of LOS motion) before the phase aliases and unwrapping fails: the
one-fringe-per-pixel limit of Massonnet & Feigl (1998), halved for unwrapping (Nyquist). Noise
lowers it: Baran et al. (2005) and Jiang et al. (2011) measured that the largest detectable
gradient falls with coherence and rises with the number of looks. We model that reduction
with the phase noise of a distributed scatterer, the Cramer-Rao bound of Rodriguez & Martin
(1992) ``sigma_phi = sqrt((1 - g^2) / (2 L g^2))`` (``g`` coherence, ``L`` looks), and ask that
the signal plus ``k`` standard deviations of the neighbour difference (``sqrt(2) sigma_phi``)
stays below pi::

    D_pair = lambda / (4 pi) * max(pi - k sqrt(2) sigma_phi(g, L), 0)   [m of LOS per pixel]

so ``D = lambda / 4`` at full coherence and ``D = 0`` once the noise alone reaches pi. A stack
measures a rate gradient when at least one of its pairs does: per pixel, over the kept pairs
with valid phase there, the limit is ``max_k D_pair,k / dt_k`` (m/yr per pixel; ``dt_k`` the
pair's temporal baseline), which the shortest coherent pairs set.

The measured rate gradient (the largest difference of the velocity to a 4-neighbour) is
compared with it: ``ratio >= 1`` is beyond what the stack can measure, ``ratio >=
near_ratio`` is close to it (aliasing makes measured gradients too small, so the true one
may be beyond); what such pixels enclose (the flattened core of an aliased bowl) and gaps
(masked or noisy pixels) within three pixels of them count as beyond: that is the hole of a
fast bowl core. Noisy pixels are not judged by their own gradient (temporal coherence below a
threshold, or a gradient within three standard deviations of the series noise). Per bowl
(polygons of ``subsidence:detectbowls``): the share of its area beyond the limit and a
warning when its peak rate is likely underestimated.

Sources: Massonnet D., Feigl K. (1998) Radar interferometry and its application to changes in
the Earth's surface, Rev. Geophys. 36, 441-500; Rodriguez E., Martin J. M. (1992) Theory and
design of interferometric synthetic aperture radars, IEE Proc. F 139, 147-159; Baran I.,
Stewart M., Claessens S. (2005) A new functional model for determining minimum and maximum
detectable deformation gradient resolved by satellite radar interferometry, IEEE TGRS 43,
675-682; Jiang M., Li Z. W., Ding X. L., Zhu J. J., Feng G. C. (2011) Modeling minimum and
maximum detectable deformation gradients of interferometric SAR measurements, Int. J. Appl.
Earth Obs. Geoinf. 13, 766-777.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..blocks import row_blocks
from ..conventions import DAYS_PER_YEAR
from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import read_raster, write_geotiff
from ..io.mintpy import IfgramStack
from ..io.vector import open_vector
from ..options import Options, option
from ..progress import ProgressCallback, report, scaled, silent

PathLike = Union[str, Path]

MEASURABLE, NEAR_LIMIT, BEYOND = 0, 1, 2
MASK_NODATA = 255
#: gaps (masked or noisy pixels) this close to flagged pixels count as beyond
GAP_REACH_PX = 3


@dataclass
class DetectableGradientOptions(Options):
    """Options of :func:`detectable_gradient`."""

    looks: float = option(
        8.0,
        help="Effective number of looks of the interferogram phase (HyP3 80 m products: about "
        "8; more looks, less noise)",
        minimum=1.0,
        maximum=10000.0,
    )
    noise_margin: float = option(
        2.0,
        help="Neighbour phase noise kept this many standard deviations below pi",
        unit="sigma",
        minimum=0.0,
        maximum=5.0,
    )
    min_coherence: float = option(
        0.0,
        help="Pairs with coherence below this at a pixel are not counted as measuring there",
        minimum=0.0,
        maximum=1.0,
    )
    near_ratio: float = option(
        0.7,
        help="Measured gradients above this share of the limit are flagged as near it (the "
        "true gradient may be beyond)",
        minimum=0.05,
        maximum=1.0,
    )
    warn_share_pct: float = option(
        1.0,
        help="Warn for bowls with more than this share of their area beyond the limit",
        unit="%",
        minimum=0.0,
        maximum=100.0,
    )
    min_temporal_coherence: float = option(
        0.5,
        help="With a temporal coherence: pixels below this are too noisy to judge from their "
        "own gradient (they are still flagged inside or next to a flagged area)",
        minimum=0.0,
        maximum=1.0,
    )
    series_window: int = option(
        3,
        help="With a time series: rates between acquisitions this many dates apart (more "
        "dates average the noise)",
        minimum=1,
        maximum=50,
    )
    velocity_vertical: bool = option(
        False, help="The velocity raster is vertical (converted to LOS with the incidence angle)"
    )
    memory_mb: float = option(256.0, help="Memory budget of the row blocks", unit="MiB", minimum=1)


@dataclass
class BowlCheck:
    """One bowl against the limit: shares of its area in %, peak rate in mm/yr."""

    bowl_id: int
    area_km2: float
    beyond_pct: float
    near_pct: float
    peak_mm_yr: float
    underestimated: bool


@dataclass
class DetectableGradientResult:
    limit_mm_yr_per_pixel: np.ndarray  # (L, W), LOS
    shortest_days: np.ndarray  # (L, W) shortest temporal baseline used at each pixel
    grid: Grid
    mask: Optional[np.ndarray] = None  # (L, W) uint8 classes, MASK_NODATA outside
    ratio: Optional[np.ndarray] = None
    bowls: List[BowlCheck] = field(default_factory=list)
    messages: List[str] = field(default_factory=list)

    @property
    def pixel_m(self) -> float:
        return float(np.sqrt(self.grid.pixel_area))


def pair_limit(coherence, looks: float, noise_margin: float, wavelength: float) -> np.ndarray:
    """Largest LOS difference between neighbours one pair resolves (m per pixel)."""
    g = np.clip(np.asarray(coherence, float), 1e-6, 1.0)
    sigma = np.sqrt((1.0 - g**2) / (2.0 * looks * g**2))
    usable = np.maximum(np.pi - noise_margin * np.sqrt(2.0) * sigma, 0.0)
    return wavelength / (4.0 * np.pi) * usable


def stack_limit(
    stack_path: PathLike,
    options: Optional[DetectableGradientOptions] = None,
    progress: ProgressCallback = silent,
) -> DetectableGradientResult:
    """Per pixel: the largest LOS rate gradient the kept pairs of a stack resolve (mm/yr per
    pixel) and the shortest temporal baseline among the pairs valid there (days)."""
    options = options or DetectableGradientOptions()
    stack = IfgramStack.open(stack_path)
    kept = np.flatnonzero(stack.keep)
    if len(kept) == 0:
        raise InputError(
            "every interferogram is marked dropped.", stack_path, "run the network step again."
        )
    if "coherence" not in stack.datasets:
        raise InputError(
            "the stack has no coherence dataset.",
            stack_path,
            "ingest the interferograms with their coherence.",
        )
    years = np.array([(stack.pairs[k][1] - stack.pairs[k][0]).days for k in kept]) / DAYS_PER_YEAR
    length, width = stack.grid.shape
    limit = np.full((length, width), np.nan)
    shortest = np.full((length, width), np.nan)
    blocks = list(row_blocks(length, 12 * len(kept) * width, options.memory_mb))
    for index, rows in enumerate(blocks):
        phase = stack.read("unwrapPhase", rows, kept)
        coherence = stack.read("coherence", rows, kept).astype(np.float64)
        valid = np.isfinite(phase) & np.isfinite(coherence) & (coherence > 0)
        valid &= coherence >= options.min_coherence
        per_pair = pair_limit(coherence, options.looks, options.noise_margin, stack.wavelength)
        rate = np.where(valid, per_pair / years[:, None, None], -np.inf)
        best = rate.max(axis=0)
        limit[rows] = np.where(np.isfinite(best), best * 1000.0, np.nan)
        days = np.where(valid, (years * DAYS_PER_YEAR)[:, None, None], np.inf).min(axis=0)
        shortest[rows] = np.where(np.isfinite(days), days, np.nan)
        report(progress, (index + 1) / len(blocks), "Limits of the interferograms")
    limit[limit <= 0] = np.nan
    return DetectableGradientResult(limit, shortest, stack.grid)


def rate_gradient(velocity: np.ndarray) -> np.ndarray:
    """Largest absolute difference of each pixel to its 4-neighbours (units of ``velocity``
    per pixel; NaN where the pixel or all its neighbours are NaN)."""
    v = np.asarray(velocity, float)
    out = np.full(v.shape, -np.inf)
    for axis in (0, 1):
        d = np.abs(np.diff(v, axis=axis))
        d = np.where(np.isfinite(d), d, -np.inf)
        head = [slice(None)] * 2
        tail = [slice(None)] * 2
        head[axis], tail[axis] = slice(None, -1), slice(1, None)
        out[tuple(head)] = np.maximum(out[tuple(head)], d)
        out[tuple(tail)] = np.maximum(out[tuple(tail)], d)
    out[~np.isfinite(out)] = np.nan
    out[~np.isfinite(v)] = np.nan
    return out


def series_rate_gradient(
    path: PathLike,
    grid: Grid,
    window: int,
    memory_mb: float,
    usable: Optional[np.ndarray] = None,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(largest LOS rate gradient over time, mm/yr per pixel; mean LOS rate, mm/yr; the
    noise of that gradient, mm/yr per pixel) of a ``timeseries.h5``: per pixel the largest
    neighbour difference of the rate between acquisitions ``window`` dates apart, between
    ``usable`` pixels (default all). A moving longwall face is steep for a few weeks only,
    which the mean velocity hides."""
    from ..io.mintpy import read_attrs, read_timeseries, read_timeseries_dates

    if not Grid.from_attrs(read_attrs(path)).same_as(grid):
        raise InputError(
            "the time series is on another grid than the stack.",
            path,
            "give the time series inverted from this stack.",
        )
    dates = read_timeseries_dates(path)
    window = min(window, len(dates) - 1)
    years = np.array([(d - dates[0]).days for d in dates]) / DAYS_PER_YEAR
    spans = years[window:] - years[:-window]
    gradient = np.full(grid.shape, np.nan)
    noise = np.full(grid.shape, np.nan)
    mean_rate = np.full(grid.shape, np.nan)
    for rows in row_blocks(grid.length, 24 * len(dates) * grid.width, memory_mb):
        start, stop = max(rows.start - 1, 0), min(rows.stop + 1, grid.length)
        data = read_timeseries(path, slice(start, stop)).data.astype(np.float64) * 1000.0
        rates = (data[window:] - data[:-window]) / spans[:, None, None]
        if usable is not None:
            rates[:, ~usable[start:stop]] = np.nan
        best = np.full(rates.shape[1:], -np.inf)
        for rate in rates:
            found = rate_gradient(rate)
            best = np.fmax(best, np.where(np.isfinite(found), found, -np.inf))
        best[~np.isfinite(best)] = np.nan
        inner = slice(rows.start - start, rows.start - start + (rows.stop - rows.start))
        gradient[rows] = best[inner]
        # noise of one date from the second differences (robust: a face passes in a few dates)
        second = np.diff(data[:, inner], n=2, axis=0)
        spread = 1.4826 * np.median(np.abs(second - np.median(second, axis=0)), axis=0)
        noise[rows] = 2.0 * spread / np.sqrt(6.0) / np.min(spans)
        mean_rate[rows] = ((data[-1] - data[0]) / (years[-1] - years[0]))[inner]
    return gradient, mean_rate, noise


def classify(
    limit: np.ndarray,
    velocity_los: np.ndarray,
    near_ratio: float,
    measured_gradient: Optional[np.ndarray] = None,
    usable: Optional[np.ndarray] = None,
    noise: Optional[np.ndarray] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(mask classes uint8, ratio measured/limit) of a LOS velocity (mm/yr) against the
    limit (mm/yr per pixel); ``measured_gradient`` (mm/yr per pixel) replaces the gradient of
    the velocity (e.g. from a time series); gaps are still read from the velocity. Pixels not
    ``usable`` (too noisy), and steep ones within three ``noise`` (mm/yr per pixel) of zero,
    are judged only by what surrounds them."""
    from scipy import ndimage

    if measured_gradient is None:
        measured_gradient = rate_gradient(velocity_los)
    ratio = measured_gradient / limit
    if usable is not None:
        ratio[~usable] = np.nan
    if noise is not None:  # a steep gradient within 3 sigma of the noise cannot be judged
        ratio[(ratio >= near_ratio) & ~(measured_gradient > 3.0 * noise)] = np.nan
    mask = np.full(limit.shape, MASK_NODATA, np.uint8)
    known = np.isfinite(ratio)
    mask[known] = MEASURABLE
    mask[known & (ratio >= near_ratio)] = NEAR_LIMIT
    mask[known & (ratio >= 1.0)] = BEYOND
    flagged = (mask == NEAR_LIMIT) | (mask == BEYOND)
    # inside a ring of aliasing steep flanks the measured core is flattened or missing
    enclosed = ndimage.binary_fill_holes(ndimage.binary_closing(flagged, iterations=2))
    mask[enclosed & ~flagged & np.isfinite(limit)] = BEYOND
    gaps = np.isfinite(limit) & ~np.isfinite(velocity_los)
    if usable is not None:
        gaps |= np.isfinite(limit) & ~usable
        mask[np.isfinite(limit) & ~usable & (mask == MEASURABLE)] = MASK_NODATA
    near_flagged = ndimage.binary_dilation(flagged, iterations=GAP_REACH_PX)
    mask[gaps & near_flagged] = BEYOND
    return mask, ratio


def _read_incidence(geometry: PathLike, grid: Grid) -> np.ndarray:
    from ..io.mintpy import read_dataset

    incidence, other = read_dataset(geometry, "incidenceAngle")
    if not other.same_as(grid):
        raise InputError(
            "the geometry is on another grid than the stack.",
            geometry,
            "give the geometryGeo.h5 of the stack.",
        )
    return np.asarray(incidence, float)


def check_bowls(
    bowls_path: PathLike,
    grid: Grid,
    mask: np.ndarray,
    velocity: np.ndarray,
    warn_share_pct: float,
) -> List[BowlCheck]:
    """Share of each bowl polygon beyond / near the limit, and whether its peak is likely
    underestimated (beyond share above ``warn_share_pct`` or its deepest pixel flagged)."""
    from osgeo import gdal, ogr

    dataset, layer = open_vector(bowls_path, expected="a bowl polygon layer")
    checks = []
    for number, feature in enumerate(layer, start=1):
        geometry = feature.GetGeometryRef()
        if geometry is None:
            continue
        raster = gdal.GetDriverByName("MEM").Create("", grid.width, grid.length, 1, gdal.GDT_Byte)
        raster.SetGeoTransform(grid.geotransform)
        memory = ogr.GetDriverByName("Memory").CreateDataSource("")
        one = memory.CreateLayer("bowl", None, ogr.wkbUnknown)
        copy = ogr.Feature(one.GetLayerDefn())
        copy.SetGeometry(geometry.Clone())
        one.CreateFeature(copy)
        gdal.RasterizeLayer(raster, [1], one, burn_values=[1], options=["ALL_TOUCHED=FALSE"])
        inside = raster.GetRasterBand(1).ReadAsArray().astype(bool)
        if not inside.any():
            continue
        known = inside & (mask != MASK_NODATA)
        total = max(int(known.sum()), 1)
        beyond = float((mask[known] == BEYOND).sum()) / total * 100
        near = float((mask[known] == NEAR_LIMIT).sum()) / total * 100
        values = np.where(inside, velocity, np.nan)
        peak = float(np.nanmin(values)) if np.isfinite(values).any() else float("nan")
        flagged_peak = False
        if np.isfinite(values).any():
            deepest = np.unravel_index(np.nanargmin(values), values.shape)
            flagged_peak = mask[deepest] in (NEAR_LIMIT, BEYOND)
        field_names = [
            layer.GetLayerDefn().GetFieldDefn(i).GetName()
            for i in range(layer.GetLayerDefn().GetFieldCount())
        ]
        bowl_id = int(feature.GetField("bowl_id")) if "bowl_id" in field_names else number
        checks.append(
            BowlCheck(
                bowl_id,
                float(inside.sum() * grid.pixel_area / 1e6),
                beyond,
                near,
                peak,
                bool(beyond > warn_share_pct or flagged_peak),
            )
        )
    del dataset
    return checks


def write_bowl_table(path: PathLike, checks: List[BowlCheck]) -> Path:
    with atomic_output(path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["bowl_id", "area_km2", "beyond_pct", "near_pct", "peak_mm_yr", "underestimated"]
            )
            for c in checks:
                writer.writerow(
                    [
                        c.bowl_id,
                        f"{c.area_km2:.3f}",
                        f"{c.beyond_pct:.1f}",
                        f"{c.near_pct:.1f}",
                        f"{c.peak_mm_yr:.1f}",
                        int(c.underestimated),
                    ]
                )
    return Path(path)


def detectable_gradient(
    stack_path: PathLike,
    output: PathLike,
    velocity: Optional[PathLike] = None,
    timeseries: Optional[PathLike] = None,
    temporal_coherence: Optional[PathLike] = None,
    output_mask: Optional[PathLike] = None,
    bowls: Optional[PathLike] = None,
    output_table: Optional[PathLike] = None,
    geometry: Optional[PathLike] = None,
    options: Optional[DetectableGradientOptions] = None,
    progress: ProgressCallback = silent,
) -> DetectableGradientResult:
    """Write the detectable-gradient raster of a stack (band 1: mm/yr per pixel, band 2: mm/yr
    per metre, band 3: shortest temporal baseline used, days; LOS); with a velocity raster
    (LOS mm/yr, or vertical with ``velocity_vertical`` and the geometry) also the mask
    (0 measurable, 1 near the limit, 2 beyond, 255 no data) and, with bowls, the per-bowl
    table. With ``timeseries`` (the stack's timeseries.h5, LOS) the measured gradient is the
    largest over time (:func:`series_rate_gradient`), which sees a moving face; the velocity,
    when given too, still marks the masked gaps."""
    options = options or DetectableGradientOptions()
    check_outputs(
        [output, output_mask, output_table],
        [stack_path, velocity, timeseries, temporal_coherence, bowls, geometry],
    )
    if (output_mask or bowls or output_table) and velocity is None and timeseries is None:
        raise InputError(
            "the mask and the bowl check compare a measured rate with the limit.",
            None,
            "give the velocity raster (mm/yr) or the time series of the stack.",
        )
    if output_table and bowls is None:
        raise InputError("the bowl table needs the bowls.", output_table, "give the bowl layer.")
    result = stack_limit(stack_path, options, scaled(progress, 0.0, 0.8))
    grid = result.grid
    limit = result.limit_mm_yr_per_pixel
    finite = np.isfinite(limit)
    if not finite.any():
        raise InputError(
            "no pixel has a valid pair above the coherence threshold.",
            stack_path,
            "lower the minimum coherence.",
        )
    result.messages.append(
        f"Largest measurable LOS rate gradient: median {np.median(limit[finite]):.0f} mm/yr "
        f"per pixel ({np.median(limit[finite]) / result.pixel_m:.2f} mm/yr per m); shortest "
        f"pairs used {np.nanmin(result.shortest_days):.0f}-{np.nanmax(result.shortest_days):.0f} "
        "days."
    )
    measured = None
    usable = None
    noise = None
    if temporal_coherence is not None:
        from ..io.mintpy import read_dataset

        tcoh, other = read_dataset(temporal_coherence, "temporalCoherence")
        if not other.same_as(grid):
            raise InputError(
                "the temporal coherence is on another grid than the stack.",
                temporal_coherence,
                "give the temporalCoherence.h5 of this stack's inversion.",
            )
        usable = np.nan_to_num(tcoh, nan=0.0) >= options.min_temporal_coherence
    if timeseries is not None:
        measured, mean_rate, noise = series_rate_gradient(
            timeseries, grid, options.series_window, options.memory_mb, usable
        )
    if velocity is not None or timeseries is not None:
        if velocity is None:
            values, other = mean_rate, grid
        else:
            values, other = read_raster(velocity)
        if not other.same_as(grid):
            raise InputError(
                "the velocity is on another grid than the stack.",
                velocity,
                "give the velocity computed from this stack.",
            )
        values = values.astype(np.float64)
        if options.velocity_vertical and velocity is not None:
            if geometry is None:
                raise InputError(
                    "a vertical velocity needs the incidence angle.",
                    velocity,
                    "give the geometry (geometryGeo.h5), or a LOS velocity.",
                )
            values = values * np.cos(np.deg2rad(_read_incidence(geometry, grid)))
        if usable is not None and measured is None:
            measured = rate_gradient(np.where(usable, values, np.nan))
        result.mask, result.ratio = classify(
            limit, values, options.near_ratio, measured, usable, noise
        )
        known = result.mask != MASK_NODATA
        share = 100.0 * float((result.mask[known] == BEYOND).mean()) if known.any() else 0.0
        result.messages.append(
            f"{int((result.mask == BEYOND).sum())} pixels ({share:.2f} %) beyond what the "
            f"stack can measure, {int((result.mask == NEAR_LIMIT).sum())} near the limit."
        )
        if bowls is not None:
            result.bowls = check_bowls(bowls, grid, result.mask, values, options.warn_share_pct)
            for c in result.bowls:
                if c.underestimated:
                    result.messages.append(
                        f"Warning: bowl {c.bowl_id} ({c.area_km2:.2f} km2): {c.beyond_pct:.1f} % "
                        f"of its area is beyond what InSAR can measure here and "
                        f"{c.near_pct:.1f} % near the limit; its peak rate "
                        f"{c.peak_mm_yr:.0f} mm/yr is likely underestimated (fit a basin "
                        "model, subsidence:pimfit, to its reliable margin)."
                    )
    report(progress, 0.9, "Writing")
    write_geotiff(
        output,
        np.stack([limit, limit / result.pixel_m, result.shortest_days]).astype(np.float32),
        grid,
        [
            "largest measurable LOS rate gradient (mm/yr per pixel)",
            "largest measurable LOS rate gradient (mm/yr per m)",
            "shortest temporal baseline used (days)",
        ],
    )
    if output_mask and result.mask is not None:
        write_geotiff(
            output_mask,
            result.mask,
            grid,
            ["0 measurable, 1 near the limit, 2 beyond what InSAR can measure"],
            nodata=MASK_NODATA,
        )
    if output_table:
        write_bowl_table(output_table, result.bowls)
    for message in result.messages:
        report(progress, 1.0, message)
    return result
