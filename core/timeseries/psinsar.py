"""Persistent-scatterer interferometry from a coregistered single-look complex (SLC) stack.

The chain (Ferretti et al. 2001 PS technique with Kampes-style arc estimation; paper 003 uses
D_A 0.2 and temporal coherence 0.8):

1. amplitude calibration: each image is divided by its median amplitude over the scene, so that
   radiometric changes between dates do not raise the dispersion;
2. PS candidates: amplitude dispersion ``D_A = sigma_A / mu_A`` below a threshold (0.25);
   optionally distributed scatterers (DS) from :mod:`.homogeneous_pixels` join them;
3. interferograms of every date against one reference date (the one closest to the centre of
   the time / perpendicular-baseline cloud);
4. a sparse network of arcs between candidates (Delaunay triangulation);
5. per arc, the differential LOS velocity and height (DEM) error that maximise the ensemble
   (temporal) coherence ``|1/N sum_k exp(j (dphi_k - model_k))|`` over a search grid, done for
   all arcs at once as one complex matrix product, then refined on a finer grid;
6. integration of the arc estimates to points by weighted least squares relative to a
   reference point (arcs whose residual is large are dropped and the system solved again);
7. residual phase per point; atmospheric phase screen (APS) = spatial low-pass of the temporal
   high-pass of the residuals; non-linear motion = temporal low-pass of the residual without the
   APS; point temporal coherence from what is left; final PS = coherence >= 0.8;
8. displacement time series per point (mm, LOS, positive toward the satellite, relative to the
   first date and to the reference point).

Phase model (radians) of a point relative to the reference point::

    phi_k = -4 pi / lambda * v * (t_k - t_ref) + 4 pi B_k / (lambda R sin(theta)) * dh + APS + noise

with ``v`` the LOS velocity (m/yr, positive toward the satellite), ``B_k`` the perpendicular
baseline of date k relative to the reference date, ``R`` the slant range and ``theta`` the
incidence angle; ``dh`` is the height error of the DEM used in coregistration (m).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..conventions import (
    DAYS_PER_YEAR,
    SENTINEL1_WAVELENGTH,
    los_to_phase,
    phase_per_metre,
    phase_to_los,
    years_since,
)
from ..dates import dates_in_text, format_yyyymmdd, parse_yyyymmdd
from ..errors import InputError
from ..grid import Grid
from ..io.point_layers import point_layer_writer
from ..options import Options, option
from ..progress import ProgressCallback, report, scaled, silent
from .rate_fit import linear_rate

PathLike = Union[str, Path]


@dataclass
class PsOptions(Options):
    """Settings of :func:`run_psinsar` (units in the names)."""

    da_threshold: float = option(
        0.25,
        help="Pixels whose amplitude dispersion (std / mean of the amplitude) is below this "
        "are PS candidates; lower = fewer, more stable scatterers",
        minimum=0.01,
        maximum=1.0,
    )
    tcoh_threshold: float = option(
        0.8,
        help="Final scatterers keep a temporal coherence of at least this",
        minimum=0.0,
        maximum=1.0,
    )
    velocity_range_m_per_year: float = option(
        0.12,
        help="Differential LOS velocity searched per arc, plus or minus",
        unit="m/yr",
        minimum=0.001,
    )
    velocity_step_m_per_year: float = option(
        0.001, help="Step of the velocity search per arc", unit="m/yr", minimum=1e-6
    )
    height_range_m: float = option(
        40.0, help="Differential DEM error searched per arc, plus or minus", unit="m", minimum=0.0
    )
    height_step_m: float = option(
        2.0, help="Step of the DEM-error search per arc", unit="m", minimum=1e-3
    )
    arc_coherence_threshold: float = option(
        0.6,
        help="Arcs with a lower temporal coherence are not used in the integration",
        minimum=0.0,
        maximum=1.0,
    )
    max_arc_length_m: float = option(
        3000.0,
        help="Longer arcs of the Delaunay network are dropped (the atmosphere differs)",
        unit="m",
        minimum=1.0,
    )
    aps_radius_m: float = option(
        1000.0,
        help="Spatial low-pass (Gaussian sigma) of the atmospheric phase estimate",
        unit="m",
        minimum=1.0,
    )
    temporal_filter_days: float = option(
        120.0,
        help="Temporal low-pass (Gaussian sigma) separating atmosphere from motion",
        unit="days",
        minimum=1.0,
    )
    reference_xy: Optional[Tuple[float, float]] = option(
        None, help="Reference point (map x, y of the SLC grid); empty = chosen automatically"
    )
    wavelength_m: float = option(
        SENTINEL1_WAVELENGTH, help="Radar wavelength", unit="m", minimum=0.001, maximum=1.0
    )
    slant_range_m: float = option(
        850_000.0,
        help="Slant range, for the phase of a DEM error",
        unit="m",
        minimum=1.0,
    )
    incidence_deg: float = option(
        39.0,
        help="Incidence angle from vertical, for the phase of a DEM error",
        unit="degrees",
        minimum=1.0,
        maximum=89.0,
    )
    distributed: bool = option(
        False,
        help="Add distributed scatterers: pixels averaged over statistically homogeneous "
        "neighbours (KS test)",
    )
    shp_window: Tuple[int, int] = option(
        (19, 13), help="Window searched for homogeneous pixels, rows (azimuth) x columns (range)"
    )
    ds_coherence_threshold: float = option(
        0.5,
        help="Distributed scatterer candidates need this mean coherence after averaging",
        minimum=0.0,
        maximum=1.0,
    )
    max_candidates: int = option(
        20_000,
        help="At most this many candidates (PS by lowest amplitude dispersion first)",
        minimum=3,
    )


@dataclass
class SlcStack:
    """Coregistered SLCs: ``data`` (n_dates, L, W) complex64 on ``grid``."""

    data: np.ndarray
    grid: Grid
    dates: List[dt.date]
    bperp: np.ndarray  # m, per date (any common origin)


@dataclass
class PsResult:
    path: Path
    n_candidates: int
    n_arcs: int
    n_ps: int
    reference_xy: Tuple[float, float]
    reference_date: dt.date
    stats: Dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- I/O
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
            ["TILED=YES", "COMPRESS=DEFLATE"],
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


def read_slc_stack(path: PathLike, dates_csv: PathLike) -> SlcStack:
    """Read a multi-band complex raster (GeoTIFF/VRT, bands in the order of ``dates_csv``) or a
    folder of single-band complex rasters with the date (YYYYMMDD) in each file name."""
    from ..io.geotiff import grid_of, open_raster

    path = Path(path)
    dates, bperp = read_dates_bperp(dates_csv)
    if path.is_dir():
        files = {}
        for candidate in sorted(path.iterdir()):
            found = dates_in_text(candidate.name)
            if found and candidate.suffix.lower() in (".tif", ".tiff", ".vrt", ".slc", ".img"):
                files[found[0]] = candidate
        missing = [d for d in dates if d not in files]
        if missing:
            raise InputError(
                f"no SLC file for {len(missing)} date(s), e.g. {missing[0]}.",
                path,
                "name each file with its date (YYYYMMDD) or fix the dates CSV.",
            )
        datasets = [open_raster(files[d]) for d in dates]
        grid = grid_of(datasets[0])
        arrays = [ds.GetRasterBand(1).ReadAsArray() for ds in datasets]
    else:
        ds = open_raster(path)
        grid = grid_of(ds)
        if ds.RasterCount != len(dates):
            raise InputError(
                f"has {ds.RasterCount} bands but the dates CSV lists {len(dates)} dates.",
                path,
                "list one date per band, in band order.",
            )
        arrays = [ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)]
    data = np.stack(arrays).astype(np.complex64, copy=False)
    if not np.iscomplexobj(arrays[0]):
        raise InputError(
            "is not complex (it holds real values).",
            path,
            "give single-look complex data (CFloat32 bands), not amplitudes.",
        )
    order = np.argsort(dates)
    return SlcStack(data[order], grid, [dates[i] for i in order], bperp[order])


# ----------------------------------------------------------------------------- steps
def calibrated_amplitude(data: np.ndarray) -> np.ndarray:
    """|SLC| divided per date by its scene median (radiometric calibration), float32."""
    amplitude = np.abs(data).astype(np.float32)
    scale = np.median(amplitude.reshape(len(amplitude), -1), axis=1)
    scale[scale <= 0] = 1.0
    return amplitude / scale[:, None, None]


def amplitude_dispersion(amplitude: np.ndarray) -> np.ndarray:
    """D_A = std / mean of the calibrated amplitude over time (NaN where the mean is 0)."""
    mean = amplitude.mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, amplitude.std(0) / mean, np.nan)


def choose_reference_date(dates: Sequence[dt.date], bperp: np.ndarray) -> int:
    """Index of the date closest to the centre of the (time, baseline) cloud, each normalised."""
    t = years_since(dates)
    span_t = max(np.ptp(t), 1e-9)
    span_b = max(np.ptp(bperp), 1e-9)
    distance = np.hypot((t - t.mean()) / span_t, (bperp - bperp.mean()) / span_b)
    return int(np.argmin(distance))


def delaunay_arcs(x: np.ndarray, y: np.ndarray, max_length: float) -> np.ndarray:
    """Unique edges (n_arcs, 2) of the Delaunay triangulation of the points, shorter than
    ``max_length`` (map units)."""
    from scipy.spatial import Delaunay

    if len(x) < 3:
        return np.array([[0, 1]]) if len(x) == 2 else np.zeros((0, 2), int)
    triangles = Delaunay(np.column_stack([x, y])).simplices
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    length = np.hypot(x[edges[:, 0]] - x[edges[:, 1]], y[edges[:, 0]] - y[edges[:, 1]])
    return edges[length <= max_length]


def _model_phasors(
    velocity: np.ndarray, height: np.ndarray, time_factor: np.ndarray, height_factor: np.ndarray
) -> np.ndarray:
    """exp(-j model) for every (velocity, height) pair: (n_grid, n_dates) complex64."""
    vv, hh = np.meshgrid(velocity, height, indexing="ij")
    phase = np.outer(vv.ravel(), time_factor) + np.outer(hh.ravel(), height_factor)
    return np.exp(-1j * phase).astype(np.complex64), vv.ravel(), hh.ravel()


def estimate_arcs(
    arc_phasors: np.ndarray,
    time_factor: np.ndarray,
    height_factor: np.ndarray,
    options: PsOptions,
    progress: ProgressCallback = silent,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Differential velocity (m/yr), height error (m) and ensemble coherence per arc.

    ``arc_phasors`` (n_arcs, n_dates) are unit phasors of the arc phase differences;
    ``time_factor`` and ``height_factor`` (n_dates) turn velocity and height into phase.
    A coarse grid search (one matrix product per block of arcs), then a fine search around
    the best coarse node (the model is linear, so the same fine grid serves every arc).
    """
    n_dates = arc_phasors.shape[1]
    v_coarse = np.arange(
        -options.velocity_range_m_per_year,
        options.velocity_range_m_per_year + 1e-12,
        options.velocity_step_m_per_year,
    )
    h_coarse = np.arange(
        -options.height_range_m, options.height_range_m + 1e-9, options.height_step_m
    )
    coarse, v_grid, h_grid = _model_phasors(v_coarse, h_coarse, time_factor, height_factor)
    v_fine = np.linspace(-1, 1, 11) * options.velocity_step_m_per_year
    h_fine = np.linspace(-1, 1, 11) * options.height_step_m
    fine, dv_grid, dh_grid = _model_phasors(v_fine, h_fine, time_factor, height_factor)
    n_arcs = len(arc_phasors)
    velocity = np.zeros(n_arcs)
    height = np.zeros(n_arcs)
    coherence = np.zeros(n_arcs)
    block = max(1, int(5e6 // max(1, coarse.shape[0])))
    for start in range(0, n_arcs, block):
        part = slice(start, min(start + block, n_arcs))
        z = arc_phasors[part].astype(np.complex64)
        best = np.argmax(np.abs(z @ coarse.T), axis=1)
        v0, h0 = v_grid[best], h_grid[best]
        residual = z * np.exp(-1j * (np.outer(v0, time_factor) + np.outer(h0, height_factor)))
        gamma = np.abs(residual.astype(np.complex64) @ fine.T) / n_dates
        refine = np.argmax(gamma, axis=1)
        velocity[part] = v0 + dv_grid[refine]
        height[part] = h0 + dh_grid[refine]
        coherence[part] = gamma[np.arange(len(refine)), refine]
        report(progress, part.stop / n_arcs, f"arcs estimated: {part.stop}/{n_arcs}")
    return velocity, height, coherence


def integrate_arcs(
    arcs: np.ndarray,
    values: np.ndarray,
    weights: np.ndarray,
    n_points: int,
    reference: int,
    resolution: Sequence[float],
    iterations: int = 10,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point values from arc differences (value[b] - value[a]) by weighted least squares.

    The reference point is fixed to 0. Points not connected to it get NaN. After each solve,
    arcs whose residual exceeds 3 robust sigmas (at least 3 x ``resolution`` of each column,
    the search-grid step) are dropped. Returns (values (n_points, k), kept-arc mask, residual
    per arc).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import lsqr

    values = values.reshape(len(arcs), -1)
    keep = np.ones(len(arcs), bool)
    solution = np.full((n_points, values.shape[1]), np.nan)
    residual = np.zeros(values.shape)
    for _ in range(iterations):
        used = arcs[keep]
        graph = coo_matrix(
            (np.ones(len(used)), (used[:, 0], used[:, 1])), shape=(n_points, n_points)
        )
        _, labels = connected_components(graph, directed=False)
        connected = labels == labels[reference]
        unknown = np.flatnonzero(connected & (np.arange(n_points) != reference))
        column = np.full(n_points, -1)
        column[unknown] = np.arange(len(unknown))
        rows = np.flatnonzero(keep & connected[arcs[:, 0]])
        a, b = arcs[rows, 0], arcs[rows, 1]
        w = np.sqrt(weights[rows])
        entries_r, entries_c, entries_v = [], [], []
        for ends, sign in ((b, 1.0), (a, -1.0)):
            has = column[ends] >= 0
            entries_r.append(np.flatnonzero(has))
            entries_c.append(column[ends[has]])
            entries_v.append(sign * w[has])
        design = coo_matrix(
            (np.concatenate(entries_v), (np.concatenate(entries_r), np.concatenate(entries_c))),
            shape=(len(rows), len(unknown)),
        ).tocsr()
        solution[:] = np.nan
        solution[reference] = 0.0
        for k in range(values.shape[1]):
            solved = lsqr(design, values[rows, k] * w, atol=1e-12, btol=1e-12)[0]
            solution[unknown, k] = solved
        residual = values - (solution[arcs[:, 1]] - solution[arcs[:, 0]])
        scale = np.maximum(
            np.nanmedian(np.abs(residual[rows]), axis=0) * 1.4826, np.asarray(resolution, float)
        )
        # drop only the worst arcs: one blunder spreads smaller residuals over its neighbours
        misfit = np.max(np.abs(residual) / scale, axis=1)
        outlier = keep & (misfit > 3) & (misfit >= 0.5 * np.max(np.where(keep, misfit, 0)))
        if not outlier.any():
            break
        keep &= ~outlier
    return solution, keep, residual


def _gaussian_weights(x: np.ndarray, y: np.ndarray, sigma: float, tree=None):
    """Sparse row-normalised Gaussian weights between points within 3 sigma."""
    from scipy.sparse import coo_matrix
    from scipy.spatial import cKDTree

    tree = tree or cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(3 * sigma, output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(len(x))])
    j = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(len(x))])
    d2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
    w = np.exp(-0.5 * d2 / sigma**2)
    matrix = coo_matrix((w, (i, j)), shape=(len(x), len(x))).tocsr()
    total = np.asarray(matrix.sum(1)).ravel()
    return matrix, total


def filter_residuals(
    residual: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    years: np.ndarray,
    aps_radius_m: float,
    temporal_filter_days: float,
    reference: int,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split residual phase (n_points, n_dates, radians, wrapped) into APS and non-linear motion.

    Non-linear motion is smooth in time, the atmosphere smooth in space but uncorrelated in
    time: ``low_t`` = temporal Gaussian low-pass of the residual phasors; APS = spatial
    Gaussian low-pass of the temporal high-pass (residual - low_t); non-linear motion = the
    temporal low-pass of (residual - APS). The reference point's APS is removed from all
    (everything is relative to it). Returns (aps, nonlinear, noise), radians.
    """
    phasor = np.exp(1j * residual)
    sigma_years = temporal_filter_days / DAYS_PER_YEAR
    kernel = np.exp(-0.5 * ((years[:, None] - years[None, :]) / sigma_years) ** 2)
    kernel /= kernel.sum(1, keepdims=True)
    low_t = np.angle(phasor @ kernel.T)
    high_t = np.angle(phasor * np.exp(-1j * low_t))
    matrix, total = _gaussian_weights(x, y, aps_radius_m)
    aps = np.angle(matrix @ np.exp(1j * high_t))
    aps = np.angle(np.exp(1j * (aps - aps[reference])))
    without_aps = np.angle(phasor * np.exp(-1j * aps))
    nonlinear = np.angle(np.exp(1j * without_aps) @ kernel.T)
    noise = np.angle(np.exp(1j * (without_aps - nonlinear)))
    return aps, nonlinear, noise


# ----------------------------------------------------------------------------- the chain
def run_psinsar(
    slc: PathLike,
    dates_csv: PathLike,
    output: PathLike,
    height: Optional[PathLike] = None,
    options: Optional[PsOptions] = None,
    progress: ProgressCallback = silent,
) -> PsResult:
    """Persistent scatterers from a coregistered SLC stack -> GeoPackage point layer.

    Output fields: ``VEL`` (mm/yr LOS, positive toward the satellite, relative to the reference
    point), ``VEL_STD`` (mm/yr), ``TCOH`` (temporal coherence 0..1), ``DA`` (amplitude
    dispersion), ``HGT_ERR`` (m, DEM error), ``HEIGHT`` (m, DEM + error, when a DEM is given),
    ``TYPE`` (PS or DS), ``NSHP`` and one ``DYYYYMMDD`` field per date (mm, LOS, relative to
    the first date and the reference point).
    """
    options = options or PsOptions()
    check_outputs([output], [p for p in (slc, dates_csv, height) if p])
    stack = read_slc_stack(slc, dates_csv)
    n_dates = len(stack.dates)
    if n_dates < 6:
        raise InputError(
            f"only {n_dates} SLCs: too few to separate velocity, height error and noise.",
            slc,
            "use at least 15-20 acquisitions.",
        )
    report(progress, 0.02, f"{n_dates} SLCs of {stack.grid.width} x {stack.grid.length} pixels")
    amplitude = calibrated_amplitude(stack.data)
    dispersion = amplitude_dispersion(amplitude)
    mean_amplitude = amplitude.mean(0)
    del amplitude
    ref_date = choose_reference_date(stack.dates, stack.bperp)
    ifg = stack.data * np.conj(stack.data[ref_date])[None]
    candidate = np.isfinite(dispersion) & (dispersion < options.da_threshold)
    kind = np.zeros(stack.grid.shape, np.uint8)
    kind[candidate] = 1
    homogeneous_count = np.zeros(stack.grid.shape, np.int32)
    if options.distributed:
        from .homogeneous_pixels import (
            MIN_HOMOGENEOUS_TO_FILTER,
            adaptive_average,
            homogeneous_pixels,
        )

        homogeneous = homogeneous_pixels(
            np.abs(stack.data), options.shp_window, progress=scaled(progress, 0.05, 0.25)
        )
        homogeneous_count = homogeneous.count
        filtered, ds_coherence = adaptive_average(ifg, stack.data, homogeneous, ref_date)
        is_ds = (
            ~candidate
            & (homogeneous_count > MIN_HOMOGENEOUS_TO_FILTER)
            & (ds_coherence >= options.ds_coherence_threshold)
        )
        ifg = np.where(is_ds[None], filtered, ifg)
        kind[is_ds] = 2
    rows, cols = np.nonzero(kind > 0)
    if len(rows) > options.max_candidates:
        order = np.argsort(np.where(kind[rows, cols] == 1, dispersion[rows, cols], 1.0))
        keep = np.sort(order[: options.max_candidates])
        rows, cols = rows[keep], cols[keep]
    if len(rows) < 3:
        raise InputError(
            f"only {len(rows)} pixel(s) have an amplitude dispersion below {options.da_threshold}.",
            slc,
            "raise DA_THRESHOLD (0.3-0.4) or enable distributed scatterers.",
        )
    x, y = stack.grid.xy(rows, cols)
    phase = np.angle(ifg[:, rows, cols]).T  # (n_candidates, n_dates)
    del ifg
    report(progress, 0.3, f"{len(rows)} candidates; reference date {stack.dates[ref_date]}")

    years = years_since(stack.dates, stack.dates[ref_date])
    # phase of a 1 m/yr LOS rate at each date, and of 1 m of DEM error
    time_factor = los_to_phase(years, options.wavelength_m)
    height_factor = (
        phase_per_metre(options.wavelength_m)
        * (stack.bperp - stack.bperp[ref_date])
        / (options.slant_range_m * np.sin(np.deg2rad(options.incidence_deg)))
    )

    arcs = delaunay_arcs(x, y, options.max_arc_length_m)
    arc_phasors = np.exp(1j * (phase[arcs[:, 1]] - phase[arcs[:, 0]]))
    arc_v, arc_h, arc_gamma = estimate_arcs(
        arc_phasors, time_factor, height_factor, options, scaled(progress, 0.3, 0.7)
    )
    good = arc_gamma >= options.arc_coherence_threshold
    if options.reference_xy is not None:
        rx, ry = options.reference_xy
        reference = int(np.argmin(np.hypot(x - rx, y - ry)))
    else:
        degree = np.bincount(arcs[good].ravel(), minlength=len(x))
        score = np.where(kind[rows, cols] == 1, dispersion[rows, cols], 1.0) - 0.01 * degree
        reference = int(np.argmin(score))
    kept_arcs = arcs[good]
    point_values, kept, _ = integrate_arcs(
        kept_arcs,
        np.column_stack([arc_v[good], arc_h[good]]),
        arc_gamma[good] ** 2,
        len(x),
        reference,
        (options.velocity_step_m_per_year, options.height_step_m),
    )
    connected = np.isfinite(point_values[:, 0])
    if connected.sum() < 3:
        raise InputError(
            f"only {int(connected.sum())} candidate(s) connect to the reference "
            "point through coherent arcs.",
            slc,
            "lower the arc coherence threshold, raise the maximum arc length or "
            "add distributed scatterers.",
        )
    report(
        progress,
        0.75,
        f"{len(kept_arcs)} of {len(arcs)} arcs coherent; {int(connected.sum())} points connected",
    )
    idx = np.flatnonzero(connected)
    velocity = point_values[idx, 0]
    dem_error = point_values[idx, 1]
    ref_in = int(np.flatnonzero(idx == reference)[0])
    relative = phase[idx] - phase[reference][None]
    model = np.outer(velocity, time_factor) + np.outer(dem_error, height_factor)
    residual = np.angle(np.exp(1j * (relative - model)))
    aps, nonlinear, noise = filter_residuals(
        residual, x[idx], y[idx], years, options.aps_radius_m, options.temporal_filter_days, ref_in
    )
    tcoh = np.abs(np.exp(1j * noise).mean(1))
    report(progress, 0.85, "atmosphere filtered")
    # motion phase = linear model + non-linear part
    motion_phase = np.outer(velocity, time_factor) + np.unwrap(nonlinear, axis=1)
    displacement_mm = phase_to_los(motion_phase, options.wavelength_m) * 1000.0
    displacement_mm -= displacement_mm[:, :1]
    vel_mm, vel_std_mm = linear_rate(years_since(stack.dates), displacement_mm.T)
    selected = tcoh >= options.tcoh_threshold
    selected[ref_in] = True
    pick = idx[selected]
    fields = {
        "VEL": vel_mm[selected],
        "VEL_STD": vel_std_mm[selected],
        "TCOH": tcoh[selected],
        "DA": dispersion[rows[pick], cols[pick]].astype(float),
        "AMP": mean_amplitude[rows[pick], cols[pick]].astype(float),
        "HGT_ERR": dem_error[selected],
        "TYPE": np.where(kind[rows[pick], cols[pick]] == 1, "PS", "DS").astype(object),
        "NSHP": homogeneous_count[rows[pick], cols[pick]].astype(np.int64),
        "ROW": rows[pick].astype(np.int64),
        "COL": cols[pick].astype(np.int64),
        "IS_REF": (pick == reference).astype(np.int64),
    }
    if height is not None:
        from ..io.geotiff import read_raster

        dem, dem_grid = read_raster(height)
        if not dem_grid.same_as(stack.grid):
            raise InputError(
                "the height raster is not on the SLC grid.",
                height,
                "resample the DEM onto the SLC grid (Raster > Projections > Warp).",
            )
        fields["HEIGHT"] = dem[rows[pick], cols[pick]].astype(float) + dem_error[selected]
    write_kinds = {k: (np.array([""]) if v.dtype == object else v[:1]) for k, v in fields.items()}
    with point_layer_writer(
        output, stack.grid.epsg, stack.dates, write_kinds, wkt=stack.grid.wkt
    ) as writer:
        writer.write(x[pick], y[pick], displacement_mm[selected], fields)
    report(progress, 1.0, f"{len(pick)} scatterers written")
    stats = {
        "aps_std_rad": float(np.std(aps)),
        "median_tcoh": float(np.median(tcoh)),
        "arcs_dropped_as_outliers": int((~kept).sum()),
    }
    return PsResult(
        Path(output),
        len(rows),
        int(len(kept_arcs)),
        int(len(pick)),
        (float(x[reference]), float(y[reference])),
        stack.dates[ref_date],
        stats,
    )
