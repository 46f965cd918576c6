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

import datetime as dt
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..blocks import Patch, patches
from ..conventions import (
    DAYS_PER_YEAR,
    DEFAULT_MEMORY_BUDGET_MB,
    SENTINEL1_WAVELENGTH,
    los_to_phase,
    phase_per_metre,
    phase_to_los,
    years_since,
)
from ..errors import InputError
from ..io.point_layers import point_layer_writer
from ..io.slc import SlcStack
from ..options import Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, finished, report, scaled, silent
from .rate_fit import linear_rate

PathLike = Union[str, Path]
HALF = 1 << 16  # values of 16 bits: the two halves of a float32 amplitude's bit pattern
# bytes per pixel and date a patch holds (SLC, amplitudes, interferograms, temporaries),
# measured on the benchmark (benchmarks/psinsar_patches.py)
PS_BYTES_PER_DATE = 24
DS_BYTES_PER_DATE = 104


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
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Memory budget of the SLC patches: the stack is read and processed patch by "
        "patch, so a stack larger than memory still runs",
        unit="MiB",
        minimum=1.0,
    )


@dataclass
class PsResult:
    path: Path
    n_candidates: int
    n_arcs: int
    n_ps: int
    reference_xy: Tuple[float, float]
    reference_date: dt.date
    stats: Dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- candidates
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


def _valid_amplitude_bits(data: np.ndarray) -> List[np.ndarray]:
    """Per date, the float32 bit patterns (uint32, ordered like the values) of the finite,
    non-zero amplitudes of an SLC window (n, l, w)."""
    bits = []
    for image in data:
        amplitude = np.abs(image).ravel()
        bits.append(amplitude[np.isfinite(amplitude) & (amplitude > 0)].view(np.uint32))
    return bits


def _high_histogram(patch: Patch, stack: SlcStack) -> np.ndarray:
    """(n, 65536) counts of the upper 16 bits of each date's amplitudes in the patch core."""
    data = stack.read(patch.rows, patch.cols)[(slice(None),) + patch.core_in_window]
    return np.stack([np.bincount(b >> 16, minlength=HALF) for b in _valid_amplitude_bits(data)])


def _low_histogram(
    patch: Patch, stack: SlcStack, high: np.ndarray, next_high: np.ndarray
) -> Tuple[np.ndarray, np.ndarray]:
    """Per date, (n, 65536) counts of the lower 16 bits of the amplitudes whose upper bits are
    ``high``, and the smallest amplitude (bits) whose upper bits are ``next_high``."""
    data = stack.read(patch.rows, patch.cols)[(slice(None),) + patch.core_in_window]
    counts = np.zeros((len(high), HALF), np.int64)
    smallest = np.full(len(high), np.iinfo(np.uint32).max, np.uint32)
    for k, bits in enumerate(_valid_amplitude_bits(data)):
        upper = bits >> 16
        counts[k] = np.bincount(bits[upper == high[k]] & 0xFFFF, minlength=HALF)
        beyond = bits[upper == next_high[k]]
        if beyond.size:
            smallest[k] = beyond.min()
    return counts, smallest


def scene_median_amplitude(
    stack: SlcStack, plan: Sequence[Patch], executor=None, progress: ProgressCallback = silent
) -> np.ndarray:
    """Per date, the median of the finite non-zero amplitudes |SLC| over the whole scene
    (n,) float32, exactly as ``np.median`` gives it, without holding the scene.

    Two passes over the patch cores: a histogram of the upper 16 bits of the float32 amplitudes
    (non-negative floats order like their bit patterns) finds the upper bits of the middle
    value(s), a histogram of the lower 16 bits among those finds them exactly; for an even
    count the two middle values are averaged as numpy does. Dates without valid pixels get 1.
    """
    n = stack.n_dates
    high = np.zeros((n, HALF), np.int64)
    for k, counts in enumerate(map_blocks(_high_histogram, plan, stack, executor=executor)):
        high += counts
        report(progress, 0.5 * (k + 1) / len(plan), "amplitude calibration")
    total = high.sum(1)
    lower_rank = np.maximum(total - 1, 0) // 2  # rank of the first middle value
    cumulative = np.cumsum(high, axis=1)
    bin_lower = np.argmax(cumulative > lower_rank[:, None], axis=1)
    bin_upper = np.argmax(cumulative > (total // 2)[:, None], axis=1)
    rank_in_bin = lower_rank - (cumulative[np.arange(n), bin_lower] - high[np.arange(n), bin_lower])
    low = np.zeros((n, HALF), np.int64)
    smallest_next = np.full(n, np.iinfo(np.uint32).max, np.uint32)
    parts = map_blocks(_low_histogram, plan, stack, bin_lower, bin_upper, executor=executor)
    for k, (counts, smallest) in enumerate(parts):
        low += counts
        smallest_next = np.minimum(smallest_next, smallest)
        report(progress, 0.5 + 0.5 * (k + 1) / len(plan), "amplitude calibration")
    cumulative_low = np.cumsum(low, axis=1)
    first = np.argmax(cumulative_low > rank_in_bin[:, None], axis=1)
    second = np.argmax(cumulative_low > rank_in_bin[:, None] + 1, axis=1)
    first_bits = (bin_lower.astype(np.uint32) << 16) | first.astype(np.uint32)
    second_bits = np.where(
        bin_upper == bin_lower,
        (bin_lower.astype(np.uint32) << 16) | second.astype(np.uint32),
        smallest_next,
    )
    first_value = first_bits.astype(np.uint32).view(np.float32)
    second_value = second_bits.astype(np.uint32).view(np.float32)
    median = np.where(total % 2 == 1, first_value, (first_value + second_value) / np.float32(2))
    return np.where(total > 0, median, np.float32(1)).astype(np.float32)


@dataclass
class Candidates:
    """PS and DS candidates, one row each: raster ``index`` (row * width + col), selection
    ``score`` (D_A for PS, 1 for DS; lower is kept first), ``phase`` (k, n_dates) radians of
    the interferograms against the reference date, ``kind`` (1 PS, 2 DS), amplitude
    ``dispersion``, mean calibrated ``amplitude``, ``homogeneous_count`` and DEM ``height``
    (m; NaN without a DEM)."""

    index: np.ndarray
    score: np.ndarray
    phase: np.ndarray
    kind: np.ndarray
    dispersion: np.ndarray
    amplitude: np.ndarray
    homogeneous_count: np.ndarray
    height: np.ndarray

    def take(self, pick: np.ndarray) -> "Candidates":
        return Candidates(*(getattr(self, f.name)[pick] for f in dataclass_fields(self)))

    @staticmethod
    def join(parts: Sequence["Candidates"]) -> "Candidates":
        return Candidates(
            *(
                np.concatenate([getattr(p, f.name) for p in parts])
                for f in dataclass_fields(Candidates)
            )
        )

    def best(self, limit: int) -> "Candidates":
        """At most ``limit`` rows, the lowest scores first (ties: raster order), in raster
        order."""
        if len(self.index) > limit:
            return self.take(np.sort(np.lexsort((self.index, self.score))[:limit]))
        return self.take(np.argsort(self.index, kind="stable"))


def _patch_candidates(
    patch: Patch,
    stack: SlcStack,
    scale: np.ndarray,
    ref_date: int,
    height: Optional[PathLike],
    options: PsOptions,
) -> Candidates:
    """The candidates of one patch core (see :func:`find_candidates`)."""
    data = stack.read(patch.rows, patch.cols)
    amplitude = np.abs(data) / scale[:, None, None]
    dispersion = amplitude_dispersion(amplitude)
    mean_amplitude = amplitude.mean(0)
    del amplitude
    interferograms = data * np.conj(data[ref_date])[None]
    candidate = np.isfinite(dispersion) & (dispersion < options.da_threshold)
    kind = np.zeros(dispersion.shape, np.uint8)
    kind[candidate] = 1
    homogeneous_count = np.zeros(dispersion.shape, np.int32)
    if options.distributed:
        from .homogeneous_pixels import (
            MIN_HOMOGENEOUS_TO_FILTER,
            adaptive_average,
            homogeneous_pixels,
        )

        homogeneous = homogeneous_pixels(np.abs(data), options.shp_window)
        homogeneous_count = homogeneous.count
        filtered, ds_coherence = adaptive_average(interferograms, data, homogeneous, ref_date)
        del homogeneous
        is_ds = (
            ~candidate
            & (homogeneous_count > MIN_HOMOGENEOUS_TO_FILTER)
            & (ds_coherence >= options.ds_coherence_threshold)
        )
        interferograms = np.where(is_ds[None], filtered, interferograms)
        kind[is_ds] = 2
    stack.forget()
    core = patch.core_in_window
    rows, cols = np.nonzero(kind[core] > 0)
    score = np.where(kind[core][rows, cols] == 1, dispersion[core][rows, cols], 1.0)
    index = (rows + patch.core_rows.start) * stack.grid.width + cols + patch.core_cols.start
    if len(rows) > options.max_candidates:
        keep = np.sort(np.lexsort((index, score))[: options.max_candidates])
        rows, cols, score, index = rows[keep], cols[keep], score[keep], index[keep]
    in_window = (rows + core[0].start, cols + core[1].start)
    dem = np.full(len(rows), np.nan)
    if height is not None:
        from ..io.geotiff import read_raster

        window = (patch.core_rows.start, patch.core_rows.stop)
        window += (patch.core_cols.start, patch.core_cols.stop)
        dem = read_raster(height, window=window)[0][rows, cols].astype(float)
    return Candidates(
        index,
        score,
        np.angle(interferograms[(slice(None),) + in_window]).T,
        kind[in_window],
        dispersion[in_window],
        mean_amplitude[in_window],
        homogeneous_count[in_window],
        dem,
    )


def patch_bytes_per_pixel(n_dates: int, options: PsOptions) -> int:
    """Memory one pixel of a patch needs: the SLC, amplitudes, interferograms and temporaries
    of every date; with distributed scatterers also the KS test's sorted and merged series,
    the adaptive average and one homogeneity flag per window offset."""
    if not options.distributed:
        return PS_BYTES_PER_DATE * n_dates + 64
    offsets = options.shp_window[0] * options.shp_window[1]
    return DS_BYTES_PER_DATE * n_dates + 2 * offsets + 64


def find_candidates(
    stack: SlcStack,
    ref_date: int,
    height: Optional[PathLike],
    options: PsOptions,
    executor=None,
    progress: ProgressCallback = silent,
) -> Candidates:
    """PS (and DS) candidates of the whole stack, processed in patches under the memory budget.

    The scene is cut into patches (as StaMPS does) whose read windows overlap by half the
    homogeneous-pixel window when distributed scatterers are asked for, so every pixel of a
    patch core sees its whole window and gets the answer it would get from the whole scene.
    The amplitude calibration is the one global quantity; it is computed first
    (:func:`scene_median_amplitude`). Each patch keeps at most ``max_candidates`` (lowest D_A
    first, DS after PS, ties in raster order), and so does the union.
    """
    overlap = (0, 0)
    if options.distributed:
        overlap = (options.shp_window[0] // 2, options.shp_window[1] // 2)
    plan = patches(
        stack.grid.length,
        stack.grid.width,
        patch_bytes_per_pixel(stack.n_dates, options),
        options.memory_mb,
        overlap,
        stack.block,
    )
    scale = scene_median_amplitude(stack, plan, executor, scaled(progress, 0.0, 0.2))
    kept = None
    for k, part in enumerate(
        map_blocks(
            _patch_candidates, plan, stack, scale, ref_date, height, options, executor=executor
        )
    ):
        kept = (part if kept is None else Candidates.join([kept, part])).best(
            options.max_candidates
        )
        report(progress, 0.2 + 0.8 * (k + 1) / len(plan), f"candidates: patch {k + 1}/{len(plan)}")
    stack.forget()
    return kept


# ----------------------------------------------------------------------------- arcs
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


def _gaussian_smooth(
    values: np.ndarray, x: np.ndarray, y: np.ndarray, sigma: float, chunk: int = 1024
) -> np.ndarray:
    """``sum_j w_ij values_j`` per point (rows of ``values``), ``w_ij = exp(-d_ij^2 / 2
    sigma^2)`` over the points within 3 sigma of point i (itself included).

    Built ``chunk`` points at a time (a sparse row block with its columns in index order), so
    memory follows ``chunk`` x neighbours, not all pairs of a dense point set."""
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([x, y]))
    out = np.empty(values.shape, np.result_type(values, np.float64))
    for start in range(0, len(x), chunk):
        stop = min(start + chunk, len(x))
        near = cKDTree(np.column_stack([x[start:stop], y[start:stop]])).sparse_distance_matrix(
            tree, 3 * sigma, output_type="ndarray"
        )
        order = np.lexsort((near["j"], near["i"]))  # the point itself is in (distance 0)
        i, j = near["i"][order], near["j"][order]
        d2 = (x[i + start] - x[j]) ** 2 + (y[i + start] - y[j]) ** 2
        indptr = np.searchsorted(i, np.arange(stop - start + 1))
        block = csr_matrix((np.exp(-0.5 * d2 / sigma**2), j, indptr), (stop - start, len(x)))
        out[start:stop] = block @ values
    return out


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
    aps = np.angle(_gaussian_smooth(np.exp(1j * high_t), x, y, aps_radius_m))
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
    executor=None,
) -> PsResult:
    """Persistent scatterers from a coregistered SLC stack -> GeoPackage point layer.

    The stack is read and its pixels processed patch by patch under ``options.memory_mb``
    (:func:`find_candidates`); the steps after it see the candidates only. ``executor``: None
    (in this process), a Dask scheduler address or an executor (:mod:`core.parallel`) that
    processes the patches; the result is the same.

    Output fields: ``VEL`` (mm/yr LOS, positive toward the satellite, relative to the reference
    point), ``VEL_STD`` (mm/yr), ``TCOH`` (temporal coherence 0..1), ``DA`` (amplitude
    dispersion), ``HGT_ERR`` (m, DEM error), ``HEIGHT`` (m, DEM + error, when a DEM is given),
    ``TYPE`` (PS or DS), ``NSHP`` and one ``DYYYYMMDD`` field per date (mm, LOS, relative to
    the first date and the reference point).
    """
    options = options or PsOptions()
    check_outputs([output], [p for p in (slc, dates_csv, height) if p])
    stack = SlcStack(slc, dates_csv)
    n_dates = stack.n_dates
    if n_dates < 6:
        raise InputError(
            f"only {n_dates} SLCs: too few to separate velocity, height error and noise.",
            slc,
            "use at least 15-20 acquisitions.",
        )
    if height is not None:
        from ..io.geotiff import grid_of, open_raster

        if not grid_of(open_raster(height)).same_as(stack.grid):
            raise InputError(
                "the height raster is not on the SLC grid.",
                height,
                "resample the DEM onto the SLC grid (Raster > Projections > Warp).",
            )
    report(progress, 0.02, f"{n_dates} SLCs of {stack.grid.width} x {stack.grid.length} pixels")
    ref_date = choose_reference_date(stack.dates, stack.bperp)
    with open_executor(executor) as pool:
        candidates = find_candidates(
            stack, ref_date, height, options, pool, scaled(progress, 0.02, 0.3)
        )
    if len(candidates.index) < 3:
        raise InputError(
            f"only {len(candidates.index)} pixel(s) have an amplitude dispersion below "
            f"{options.da_threshold}.",
            slc,
            "raise DA_THRESHOLD (0.3-0.4) or enable distributed scatterers.",
        )
    rows, cols = np.divmod(candidates.index, stack.grid.width)
    x, y = stack.grid.xy(rows, cols)
    phase = candidates.phase  # (n_candidates, n_dates)
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
        score = candidates.score - 0.01 * degree
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
        "DA": candidates.dispersion[pick].astype(float),
        "AMP": candidates.amplitude[pick].astype(float),
        "HGT_ERR": dem_error[selected],
        "TYPE": np.where(candidates.kind[pick] == 1, "PS", "DS").astype(object),
        "NSHP": candidates.homogeneous_count[pick].astype(np.int64),
        "ROW": rows[pick].astype(np.int64),
        "COL": cols[pick].astype(np.int64),
        "IS_REF": (pick == reference).astype(np.int64),
    }
    if height is not None:
        fields["HEIGHT"] = candidates.height[pick] + dem_error[selected]
    write_kinds = {k: (np.array([""]) if v.dtype == object else v[:1]) for k, v in fields.items()}
    with point_layer_writer(
        output, stack.grid.epsg, stack.dates, write_kinds, wkt=stack.grid.wkt
    ) as writer:
        writer.write(x[pick], y[pick], displacement_mm[selected], fields)
    finished(progress, f"{len(pick)} scatterers written")
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
