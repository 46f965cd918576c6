"""Profiles along a polyline: rates of points and raster pixels within a buffer (no QGIS).

Papers 000 and 001 read subsidence bowls through cross-sections: rate (mm/yr) against the
distance along a line (km, or degrees of longitude/latitude as in paper 000), the funnel
minimum, the width of the part below a threshold, and the total length of a line (a railway)
affected by subsidence ("35 km of the railway affected", paper 001).

Projection of points onto the line is vectorised: points are sorted by x once
(:class:`PointIndex`, reusable across lines), each segment looks only at the x-slice its
buffered extent covers, and the nearest segment wins. One million points sample in well under
a second. Distances are in metres: in the source's CRS when projected, else (sources in degrees) in
a local azimuthal equidistant projection centred on the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import csv_output
from ..crs import pyproj_crs, transform_xy
from ..errors import InputError
from ..grid import Grid
from ..io.point_layers import point_layer_crs, read_points
from ..options import Options, option
from ..plotting import pyplot, save_figure
from ..progress import ProgressCallback, finished, report, silent

PathLike = Union[str, Path]


@dataclass
class ProfileOptions(Options):
    """Defaults shared by the profile dock and ``subsidence:profile``."""

    buffer_m: float = option(
        100.0,
        help="Half-width of the corridor sampled on each side of the line",
        unit="m",
        minimum=0.001,
    )
    threshold_mm_yr: float = option(
        -10.0,
        help="Rates below this (subsidence is negative) count as affected (paper 002's class "
        "limit)",
        unit="mm/yr",
    )
    bin_m: float = option(
        0.0,
        help="Spacing of the binned profile along the line (0 = the raster pixel size, or the "
        "buffer for point layers)",
        unit="m",
        minimum=0.0,
    )


@dataclass
class ProfileSamples:
    """Samples found within the buffer: distance along the line (m), signed offset (m, left
    positive), their value, and the index in the input arrays."""

    distance_m: np.ndarray
    offset_m: np.ndarray
    values: np.ndarray
    index: np.ndarray


@dataclass
class BinnedProfile:
    """Per-bin statistics along the line; ``centre_m`` bin centres, NaN where a bin is empty."""

    centre_m: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    count: np.ndarray


@dataclass
class ProfileMetrics:
    """Funnel minimum, width of the below-threshold run around it, and affected length.

    ``affected`` lists (start_m, end_m) intervals along the line where the binned mean rate is
    below ``threshold`` (crossings interpolated linearly between bin centres).
    """

    line_length_m: float
    threshold: float
    minimum: float
    minimum_at_m: float
    width_m: float
    affected_length_m: float
    affected: List[Tuple[float, float]] = field(default_factory=list)


# ----------------------------------------------------------------------------- geometry
def _as_line(line_xy) -> np.ndarray:
    line = np.asarray(line_xy, dtype=float)
    if line.ndim != 2 or line.shape[1] < 2 or len(line) < 2:
        raise InputError(
            "a profile line needs at least two vertices.",
            None,
            "draw or pick a line with two or more points.",
        )
    line = line[:, :2]
    keep = np.r_[True, np.any(np.diff(line, axis=0) != 0, axis=1)]
    line = line[keep]
    if len(line) < 2:
        raise InputError("the profile line has zero length.", None, "draw a longer line.")
    return line


def cumulative_length(line_xy) -> np.ndarray:
    """Distance (CRS units) from the first vertex to each vertex."""
    line = _as_line(line_xy)
    return np.r_[0.0, np.cumsum(np.hypot(*np.diff(line, axis=0).T))]


def point_at(line_xy, distance) -> np.ndarray:
    """Coordinates (k, 2) at distances along the line (clipped to its ends)."""
    line = _as_line(line_xy)
    chain = cumulative_length(line)
    distance = np.clip(np.atleast_1d(np.asarray(distance, float)), 0.0, chain[-1])
    return np.column_stack(
        [np.interp(distance, chain, line[:, 0]), np.interp(distance, chain, line[:, 1])]
    )


def line_substring(line_xy, start: float, end: float) -> np.ndarray:
    """The part of the line between distances ``start`` and ``end`` as vertices (k, 2)."""
    line = _as_line(line_xy)
    chain = cumulative_length(line)
    start, end = max(0.0, min(start, end)), min(chain[-1], max(start, end))
    inner = line[(chain > start) & (chain < end)]
    return np.vstack([point_at(line, start), inner, point_at(line, end)])


def degree_distance(
    line_xy, distance_m, epsg: Optional[int] = None, wkt: Optional[str] = None
) -> np.ndarray:
    """Distance along the line in degrees (paper 000's axis) at ``distance_m``.

    Vertices are transformed to WGS 84 and the chain is measured in degrees of
    sqrt(dlon^2 + dlat^2); positions between vertices are interpolated linearly.
    """
    line = _as_line(line_xy)
    if epsg is None and not wkt:
        raise InputError(
            "the line has no CRS, so degrees cannot be computed.", None, "give the layer a CRS."
        )
    source = pyproj_crs(epsg, wkt)
    chain = cumulative_length(line)
    if source.is_geographic:
        return np.interp(distance_m, chain, chain)
    dense = point_at(line, np.linspace(0.0, chain[-1], max(2, min(2000, len(line) * 20))))
    lon, lat = transform_xy(dense[:, 0], dense[:, 1], source, "EPSG:4326")
    dense_chain = np.r_[0.0, np.cumsum(np.hypot(np.diff(lon), np.diff(lat)))]
    return np.interp(distance_m, np.linspace(0.0, chain[-1], len(dense)), dense_chain)


# ----------------------------------------------------------------------------- points
class PointIndex:
    """Points sorted by x so that a segment reads only the x-slice of its buffered extent.

    Build once per layer (a sort: ~0.1 s for a million points) and reuse for many lines.
    """

    def __init__(self, x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.order = np.argsort(x, kind="stable")
        self.x = x[self.order]
        self.y = y[self.order]

    def __len__(self) -> int:
        return len(self.x)


def project_onto_line(
    index: PointIndex, line_xy, buffer: float
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points within ``buffer`` of the line: (original indices, distance along, signed offset).

    Each point is assigned to its nearest segment; the offset is positive on the left of the
    line's direction. Results are sorted by distance along the line.
    """
    line = _as_line(line_xy)
    if buffer <= 0:
        raise InputError("the buffer must be positive.", None, "give a buffer in metres > 0.")
    chain = cumulative_length(line)
    found_index, found_along, found_offset = [], [], []
    for j in range(len(line) - 1):
        (x0, y0), (x1, y1) = line[j], line[j + 1]
        lo = np.searchsorted(index.x, min(x0, x1) - buffer, side="left")
        hi = np.searchsorted(index.x, max(x0, x1) + buffer, side="right")
        if hi <= lo:
            continue
        px = index.x[lo:hi]
        py = index.y[lo:hi]
        in_band = (py >= min(y0, y1) - buffer) & (py <= max(y0, y1) + buffer)
        candidates = np.flatnonzero(in_band)
        if candidates.size == 0:
            continue
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        rx, ry = px[candidates] - x0, py[candidates] - y0
        t = np.clip((rx * dx + ry * dy) / length2, 0.0, 1.0)
        ex, ey = rx - t * dx, ry - t * dy
        distance = np.hypot(ex, ey)
        close = distance <= buffer
        if not close.any():
            continue
        length = np.sqrt(length2)
        side = np.sign(dx * ry - dy * rx)[close]
        found_index.append(index.order[lo + candidates[close]])
        found_along.append(chain[j] + t[close] * length)
        found_offset.append(np.where(side == 0, 1.0, side) * distance[close])
    if not found_index:
        empty = np.array([], dtype=float)
        return np.array([], dtype=np.intp), empty, empty
    idx = np.concatenate(found_index)
    along = np.concatenate(found_along)
    offset = np.concatenate(found_offset)
    # a point near a vertex is found by two segments: keep its nearest one
    order = np.lexsort((np.abs(offset), idx))
    first = np.r_[True, idx[order][1:] != idx[order][:-1]]
    keep = order[first]
    keep = keep[np.argsort(along[keep], kind="stable")]
    return idx[keep], along[keep], offset[keep]


def sample_points_along(
    index: PointIndex, values: np.ndarray, line_xy, buffer: float
) -> ProfileSamples:
    """Values of the points within ``buffer`` of the line (``values`` in the input order)."""
    idx, along, offset = project_onto_line(index, line_xy, buffer)
    return ProfileSamples(along, offset, np.asarray(values, float)[idx], idx)


@dataclass
class PointValues:
    """The points of a layer that have a value of one numeric field: a point profile's input."""

    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    epsg: Optional[int] = None
    wkt: Optional[str] = None


def read_point_values(
    path: PathLike,
    field: str = "VEL",
    layer: Optional[str] = None,
    extent: Optional[Tuple[float, float, float, float]] = None,
) -> PointValues:
    """x, y and ``field`` of the points of a layer where the field is set (a null rate is no
    sample), through :func:`~core.io.point_layers.read_points`; with ``extent`` (xmin, ymin,
    xmax, ymax in the layer's CRS) only the points inside it."""
    points = read_points(path, [field], layer=layer, dates=False, extent=extent)
    values = points.fields[field]
    if values.dtype.kind != "f":
        raise InputError(f"field '{field}' is not numeric.", path, "choose the rate field.")
    keep = np.isfinite(values)
    return PointValues(points.x[keep], points.y[keep], values[keep], points.epsg, points.wkt)


# ----------------------------------------------------------------------------- rasters
def sample_raster_along(data, grid: Grid, line_xy, buffer: float, to_metric=None) -> ProfileSamples:
    """Pixels of a raster whose centres lie within ``buffer`` of the line; ``data`` is a 2-D
    array on ``grid`` or a :class:`~core.io.rasters.RasterSource` (then only the window
    covering the buffered line is read from the file).

    Only the window covering the buffered line is visited. ``index`` holds flat pixel
    indices (row * width + col). When the buffer is narrower than half a pixel, the pixels
    the line passes through are still found (the buffer is widened to half a pixel diagonal).
    For a grid in degrees, ``to_metric(x, y)`` maps its coordinates to a local metric CRS in
    which distances, the buffer and the returned distances along the line are measured.
    """
    line = _as_line(line_xy)
    step_x, step_y = _pixel_size(grid, line, to_metric)
    reach = max(buffer, 0.5 * np.hypot(step_x, step_y))
    rows, cols = grid.rowcol(line[:, 0], line[:, 1])
    pad_r = int(np.ceil(reach / step_y)) + 1
    pad_c = int(np.ceil(reach / step_x)) + 1
    r0, r1 = max(0, rows.min() - pad_r), min(grid.length, rows.max() + pad_r + 1)
    c0, c1 = max(0, cols.min() - pad_c), min(grid.width, cols.max() + pad_c + 1)
    if r1 <= r0 or c1 <= c0:
        empty = np.array([], dtype=float)
        return ProfileSamples(empty, empty, empty, np.array([], dtype=np.intp))
    rr, cc = np.mgrid[r0:r1, c0:c1]
    rr, cc = rr.ravel(), cc.ravel()
    px, py = grid.xy(rr, cc)
    if to_metric is not None:
        px, py = to_metric(px, py)
        line = np.column_stack(to_metric(line[:, 0], line[:, 1]))
    window_index = PointIndex(px, py)
    idx, along, offset = project_onto_line(window_index, line, reach)
    window = data[r0:r1, c0:c1] if isinstance(data, np.ndarray) else data.read((r0, r1, c0, c1))
    values = window[rr[idx] - r0, cc[idx] - c0].astype(float)
    valid = np.isfinite(values)
    flat = rr[idx] * grid.width + cc[idx]
    return ProfileSamples(along[valid], offset[valid], values[valid], flat[valid])


def _pixel_size(grid: Grid, line: np.ndarray, to_metric=None) -> Tuple[float, float]:
    """(x, y) pixel size in the grid's units, or in metres where the line is (``to_metric``)."""
    step_x, step_y = abs(grid.x_step), abs(grid.y_step)
    if to_metric is None:
        return step_x, step_y
    x0, y0 = line.mean(axis=0)
    mx, my = to_metric(np.array([x0, x0 + step_x, x0]), np.array([y0, y0, y0 + step_y]))
    return float(np.hypot(mx[1] - mx[0], my[1] - my[0])), float(
        np.hypot(mx[2] - mx[0], my[2] - my[0])
    )


def local_metric_crs(lon: float, lat: float):
    """An azimuthal equidistant CRS centred on (lon, lat) in metres: distances from a
    geographic (degree) source are measured in it (errors < 0.1 % within 100 km)."""
    from pyproj import CRS

    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")


# ----------------------------------------------------------------------------- statistics
def bin_profile(samples: ProfileSamples, line_length: float, bin_size: float) -> BinnedProfile:
    """Mean, std, min, max and count of the samples per ``bin_size`` along the line."""
    if bin_size <= 0:
        raise InputError("the bin size must be positive.", None, "give a spacing in metres.")
    n_bins = max(1, int(np.ceil(line_length / bin_size)))
    edges = np.linspace(0.0, n_bins * bin_size, n_bins + 1)
    centre = 0.5 * (edges[:-1] + edges[1:])
    centre[-1] = min(centre[-1], line_length)
    which = np.clip((samples.distance_m // bin_size).astype(int), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins).astype(float)
    total = np.bincount(which, samples.values, minlength=n_bins)
    total2 = np.bincount(which, samples.values**2, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(total2 / count - mean**2, 0.0))
    minimum = np.full(n_bins, np.nan)
    maximum = np.full(n_bins, np.nan)
    if samples.values.size:
        np.fmin.at(minimum, which, samples.values)
        np.fmax.at(maximum, which, samples.values)
    return BinnedProfile(centre, mean, std, minimum, maximum, count.astype(int))


def below_threshold_intervals(
    distance: np.ndarray,
    values: np.ndarray,
    threshold: float,
    half_width: float = 0.0,
    line_length: Optional[float] = None,
) -> List[Tuple[float, float]]:
    """Intervals (start, end) where the curve ``values(distance)`` is below ``threshold``.

    Empty bins (NaN) are bridged by linear interpolation; crossings are interpolated between
    neighbouring samples; a run that starts at the first (ends at the last) valid sample
    extends ``half_width`` (half a bin) beyond it, within [0, ``line_length``].
    """
    distance = np.asarray(distance, float)
    values = np.asarray(values, float)
    valid = np.isfinite(values)
    if valid.sum() == 0:
        return []
    d, v = distance[valid], values[valid]
    below = v < threshold
    last = d[-1] + half_width
    end_of_data = min(last, line_length) if line_length is not None else last
    intervals = []
    start = None
    for i in range(len(d)):
        if below[i] and start is None:
            start = (
                max(0.0, d[0] - half_width)
                if i == 0
                else _crossing(d[i - 1], v[i - 1], d[i], v[i], threshold)
            )
        elif not below[i] and start is not None:
            intervals.append((start, _crossing(d[i - 1], v[i - 1], d[i], v[i], threshold)))
            start = None
    if start is not None:
        intervals.append((start, end_of_data))
    return intervals


def _crossing(d0: float, v0: float, d1: float, v1: float, threshold: float) -> float:
    if v1 == v0:
        return 0.5 * (d0 + d1)
    return float(d0 + (threshold - v0) * (d1 - d0) / (v1 - v0))


def profile_metrics(profile: BinnedProfile, line_length: float, threshold: float) -> ProfileMetrics:
    """Funnel minimum of the binned mean, the width of the below-threshold run containing it,
    and the total length below the threshold."""
    mean = profile.mean
    if not np.isfinite(mean).any():
        return ProfileMetrics(line_length, threshold, float("nan"), float("nan"), 0.0, 0.0, [])
    at = int(np.nanargmin(mean))
    minimum, minimum_at = float(mean[at]), float(profile.centre_m[at])
    spacing = float(np.diff(profile.centre_m[:2])[0]) if len(profile.centre_m) > 1 else line_length
    intervals = below_threshold_intervals(
        profile.centre_m, mean, threshold, spacing / 2, line_length
    )
    width = next((end - start for start, end in intervals if start <= minimum_at <= end), 0.0)
    affected = float(sum(end - start for start, end in intervals))
    return ProfileMetrics(
        line_length, threshold, minimum, minimum_at, float(width), affected, intervals
    )


@dataclass
class Profile:
    """A complete profile of one source along one line."""

    name: str
    unit: str
    samples: ProfileSamples
    binned: BinnedProfile
    metrics: ProfileMetrics
    degrees: Optional[np.ndarray] = None  # degree distance at binned.centre_m
    kind: str = "raster"  # "raster" (dense) or "points" (sparse)


def make_profile(
    name: str,
    samples: ProfileSamples,
    line_xy,
    bin_size: float,
    threshold: float,
    unit: str = "mm/yr",
    epsg: Optional[int] = None,
    wkt: Optional[str] = None,
    kind: str = "raster",
) -> Profile:
    """Bin ``samples``, compute the metrics and (when the CRS is known) the degree axis."""
    length = float(cumulative_length(line_xy)[-1])
    binned = bin_profile(samples, length, bin_size)
    metrics = profile_metrics(binned, length, threshold)
    degrees = degree_distance(line_xy, binned.centre_m, epsg, wkt) if (epsg or wkt) else None
    return Profile(name, unit, samples, binned, metrics, degrees, kind)


# ----------------------------------------------------------------------------- batch
def profile_sources(
    line_xy,
    rasters: Sequence[Tuple[str, np.ndarray, Grid]],
    point_sets: Sequence[Tuple[str, PointIndex, np.ndarray]],
    options: Optional[ProfileOptions] = None,
    epsg: Optional[int] = None,
    wkt: Optional[str] = None,
    progress: ProgressCallback = silent,
) -> List[Profile]:
    """Profiles of every raster (name, data mm/yr, grid) and point set (name, index, values)
    along one line. Bin size: ``options.bin_m``, else the pixel size / the buffer."""
    options = options or ProfileOptions()
    sources = [("raster", name, (data, grid)) for name, data, grid in rasters]
    sources += [("points", name, (index, values)) for name, index, values in point_sets]
    profiles = []
    for k, (kind, name, payload) in enumerate(sources):
        report(progress, k / max(1, len(sources)), f"Sampling {name}")
        profiles.append(profile_source(kind, name, payload, line_xy, options, epsg, wkt))
    report(progress, 1.0, "Profiles sampled")
    return profiles


def profile_source(
    kind: str,
    name: str,
    payload: tuple,
    line_xy,
    options: ProfileOptions,
    epsg: Optional[int] = None,
    wkt: Optional[str] = None,
    metric_crs=None,
) -> Profile:
    """The profile of one source along a line in the source's CRS: ``kind`` "raster" with
    ``payload`` (data mm/yr, grid), binned by ``options.bin_m`` else the pixel size, or
    "points" with (PointIndex, values), binned by ``options.bin_m`` else the buffer.

    For a source in degrees, ``metric_crs`` (see :func:`local_metric_crs`) is where distances
    are measured; ``epsg``/``wkt`` then name the source CRS. The profile's distances are
    metres along the line in that CRS."""
    line = _as_line(line_xy)
    to_metric = None
    if metric_crs is not None:
        source = pyproj_crs(epsg, wkt)

        def to_metric(x, y):
            return transform_xy(x, y, source, metric_crs)

        epsg, wkt = None, metric_crs.to_wkt()
    if kind == "raster":
        data, grid = payload
        samples = sample_raster_along(data, grid, line, options.buffer_m, to_metric)
        size = options.bin_m or _pixel_size(grid, line, to_metric)[0]
    else:
        index, values = payload
        if to_metric is not None:
            metric = PointIndex(*to_metric(index.x, index.y))
            metric.order = index.order[metric.order]
            index = metric
        samples = sample_points_along(
            index, values, line if to_metric is None else _metric(line, to_metric), options.buffer_m
        )
        size = options.bin_m or options.buffer_m
    if to_metric is not None:
        line = _metric(line, to_metric)
    return make_profile(
        name, samples, line, size, options.threshold_mm_yr, epsg=epsg, wkt=wkt, kind=kind
    )


def _metric(line: np.ndarray, to_metric) -> np.ndarray:
    return np.column_stack(to_metric(line[:, 0], line[:, 1]))


PROFILE_CSV_COLUMNS = [
    "source",
    "distance_m",
    "distance_km",
    "distance_deg",
    "mean",
    "std",
    "min",
    "max",
    "count",
    "unit",
]


def write_profiles_csv(path: PathLike, profiles: Sequence[Profile]) -> Path:
    """Binned profiles as CSV (one row per source and bin); empty bins are left out."""
    with csv_output(path) as writer:
        writer.writerow(PROFILE_CSV_COLUMNS)
        for profile in profiles:
            b = profile.binned
            for i in np.flatnonzero(b.count > 0):
                degrees = "" if profile.degrees is None else f"{profile.degrees[i]:.6f}"
                writer.writerow(
                    [
                        profile.name,
                        f"{b.centre_m[i]:.2f}",
                        f"{b.centre_m[i] / 1000:.5f}",
                        degrees,
                        f"{b.mean[i]:.4f}",
                        f"{b.std[i]:.4f}",
                        f"{b.minimum[i]:.4f}",
                        f"{b.maximum[i]:.4f}",
                        int(b.count[i]),
                        profile.unit,
                    ]
                )
    return Path(path)


def plot_profiles_png(path: PathLike, profiles: Sequence[Profile], title: str = "") -> Path:
    """A matplotlib chart (PNG or SVG by suffix): samples, binned mean +- std, threshold,
    minimum and affected intervals. matplotlib is imported lazily."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 4.5), dpi=110)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, profile in enumerate(profiles):
        colour = colours[k % len(colours)]
        b, m = profile.binned, profile.metrics
        if profile.samples.values.size <= 200_000:
            axis.scatter(
                profile.samples.distance_m / 1000,
                profile.samples.values,
                s=3,
                color=colour,
                alpha=0.25,
                linewidths=0,
            )
        # sparse point profiles are bridged across empty bins, rasters keep masked gaps open
        shown = b.count > 0 if profile.kind == "points" else slice(None)
        axis.plot(
            b.centre_m[shown] / 1000,
            b.mean[shown],
            color=colour,
            lw=1.8,
            label=f"{profile.name}: min {m.minimum:.1f} {profile.unit}, "
            f"affected {m.affected_length_m / 1000:.2f} km",
        )
        axis.fill_between(
            b.centre_m[shown] / 1000,
            (b.mean - b.std)[shown],
            (b.mean + b.std)[shown],
            color=colour,
            alpha=0.15,
        )
        if np.isfinite(m.minimum):
            axis.plot([m.minimum_at_m / 1000], [m.minimum], "v", color=colour, ms=8)
        for start, end in m.affected:
            axis.axvspan(start / 1000, end / 1000, color=colour, alpha=0.06)
    if profiles:
        axis.axhline(
            profiles[0].metrics.threshold,
            color="0.3",
            ls="--",
            lw=1,
            label=f"threshold {profiles[0].metrics.threshold:g} {profiles[0].unit}",
        )
    axis.axhline(0, color="0.6", lw=0.8)
    axis.set_xlabel("distance along the line (km)")
    axis.set_ylabel(f"rate ({profiles[0].unit if profiles else 'mm/yr'})")
    axis.set_title(title)
    axis.legend(loc="best", fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure(figure, path)


# ----------------------------------------------------------------------------- files
@dataclass
class AffectedSegment:
    """A stretch of a line where a source's binned rate is below the threshold."""

    line: str
    source: str
    start_m: float
    end_m: float
    minimum: float
    xy: np.ndarray  # vertices in the line's CRS


@dataclass
class LineProfiles:
    """Profiles of every source along one line, and the files written for it."""

    line: str
    profiles: List[Profile]
    csv_path: Optional[Path] = None
    chart_path: Optional[Path] = None


def _lines_window(
    lines: Sequence[np.ndarray], line_crs, source_crs, buffer_m: float
) -> Tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) in ``source_crs`` holding every point within ``buffer_m`` of
    the lines: the points a profile can use, so a point layer is read only there."""
    xy = np.vstack([_reproject(line, line_crs, source_crs) for line in lines])
    (xmin, ymin), (xmax, ymax) = xy.min(axis=0), xy.max(axis=0)
    margin = buffer_m
    if source_crs is not None and source_crs.is_geographic:
        # a degree of longitude is shortest at the largest |latitude|; 1.5x covers the local
        # metric projection's scale within a line's reach
        widest = min(89.0, max(abs(ymin), abs(ymax)) + buffer_m / 100_000.0)
        margin = 1.5 * buffer_m / (111_000.0 * np.cos(np.radians(widest)))
    return (xmin - margin, ymin - margin, xmax + margin, ymax + margin)


def _reproject(xy: np.ndarray, source, target) -> np.ndarray:
    return np.column_stack(transform_xy(xy[:, 0], xy[:, 1], source, target))


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(text)) or "line"


def profile_lines(
    lines: Sequence[Tuple[str, np.ndarray]],
    rasters: Sequence[PathLike] = (),
    points: Sequence[Tuple[PathLike, Optional[str]]] = (),
    folder: Optional[PathLike] = None,
    options: Optional[ProfileOptions] = None,
    value_field: str = "VEL",
    line_epsg: Optional[int] = None,
    line_wkt: Optional[str] = None,
    progress: ProgressCallback = silent,
) -> Tuple[List[LineProfiles], List[AffectedSegment]]:
    """Profile each (name, vertices) line across velocity GeoTIFFs (mm/yr) and point layers.

    Lines are given in their own CRS and reprojected to each source's CRS. With ``folder``,
    writes ``profile_<name>.csv`` and ``profile_<name>.png`` per line. Returns the profiles
    and the affected segments (vertices back in the line CRS).
    """
    from ..io.rasters import open_rate_raster

    options = options or ProfileOptions()
    if not rasters and not points:
        raise InputError(
            "no raster and no point layer to sample.",
            None,
            "give at least one velocity raster or point layer.",
        )
    line_crs = pyproj_crs(line_epsg, line_wkt)
    sources = []
    for k, path in enumerate(rasters):
        report(progress, 0.3 * k / max(1, len(rasters) + len(points)), f"Reading {path}")
        raster = open_rate_raster(path)  # windows around each line are read, not the raster
        grid = raster.grid
        sources.append(("raster", Path(path).stem, pyproj_crs(grid.epsg, grid.wkt), (raster, grid)))
    if not lines:
        raise InputError(
            "the line layer holds no line with two or more vertices.",
            None,
            "give a line layer with at least one drawn line.",
        )
    checked = [(name, _as_line(vertices)) for name, vertices in lines]
    for path, layer in points:
        report(progress, 0.3, f"Reading {path}")
        layer_crs = pyproj_crs(*point_layer_crs(path, [value_field], layer=layer))
        window = _lines_window([v for _, v in checked], line_crs, layer_crs, options.buffer_m)
        values = read_point_values(path, value_field, layer, extent=window)
        sources.append(
            (
                "points",
                layer or Path(path).stem,
                pyproj_crs(values.epsg, values.wkt),
                (PointIndex(values.x, values.y), values.values),
            )
        )
    results, affected = [], []
    for k, (line_name, vertices) in enumerate(checked):
        report(progress, 0.3 + 0.7 * k / max(1, len(lines)), f"Profiling {line_name}")
        profiles = []
        for kind, source_name, source_crs, payload in sources:
            xy = _reproject(vertices, line_crs, source_crs)
            epsg = source_crs.to_epsg() if source_crs is not None else None
            wkt = None if epsg or source_crs is None else source_crs.to_wkt()
            metric_crs = None
            if source_crs is not None and source_crs.is_geographic:  # measure in metres
                metric_crs = local_metric_crs(*xy.mean(axis=0))
            profile = profile_source(kind, source_name, payload, xy, options, epsg, wkt, metric_crs)
            if metric_crs is not None:
                xy, source_crs = _reproject(xy, source_crs, metric_crs), metric_crs
            samples = profile.samples
            profiles.append(profile)
            if not len(samples.values):
                report(
                    progress,
                    0.3 + 0.7 * k / max(1, len(lines)),
                    f"{source_name}: no value within {options.buffer_m:g} m of line {line_name}.",
                )
            for start, end in profile.metrics.affected:
                part = _reproject(line_substring(xy, start, end), source_crs, line_crs)
                inside = (samples.distance_m >= start) & (samples.distance_m <= end)
                lowest = float(samples.values[inside].min()) if inside.any() else float("nan")
                affected.append(
                    AffectedSegment(str(line_name), source_name, start, end, lowest, part)
                )
        if not any(len(p.samples.values) for p in profiles):
            raise InputError(
                f"the line '{line_name}' crosses no source: no pixel or point with a value lies "
                f"within {options.buffer_m:g} m of it.",
                None,
                "draw the line over the velocity rasters or points, or widen the buffer.",
            )
        results.append(LineProfiles(str(line_name), profiles))
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
    for result in results if folder is not None else ():  # written once every line is checked
        stem = Path(folder) / f"profile_{_safe_name(result.line)}"
        result.csv_path = write_profiles_csv(stem.with_suffix(".csv"), result.profiles)
        result.chart_path = plot_profiles_png(
            stem.with_suffix(".png"), result.profiles, title=f"Profile {result.line}"
        )
    finished(progress, "Profiles written")
    return results, affected
