"""Fit the probability-integral basin of a mined panel to InSAR, or predict a planned panel.

Fit (``mode=fit``): the subsidence factor ``q``, ``tan(beta)``, the inflection-point offset
``s`` and the propagation angle ``theta`` of :mod:`.pim` (plus, by default, a constant shift of
the input, whose reference is arbitrary) are found by bounded least squares
(``scipy.optimize.least_squares``, trust-region reflective, three starting values of
``tan(beta)``) on the RELIABLE pixels around the panel only: finite, temporal coherence at or
above a threshold, outside the "beyond what InSAR can measure" mask of
``subsidence:detectablegradient`` and its margin, and inside an optional user mask. The
decorrelated or aliased core is therefore never fitted as data; the model fills it. The
margin matters: an unwrapper that meets aliased fringes spreads the lost cycles into the
pixels around them (least-squares unwrapping smoothly, over a few pixels), so a ring of
pixels whose own gradient looks measurable is still too shallow; fitted as data it makes the
whole basin too shallow (on the demo's North longwall q 0.16 instead of 0.62). Standard
deviations come from the Jacobian at the solution, ``sqrt(diag((J^T J)^-1) * RSS / (n - p))``,
and, on request, from a block bootstrap (squares of pixels resampled with replacement, so
neighbouring pixels, whose errors are correlated, stay together).

Forward (``mode=forward``): the final basin of a planned panel from given parameters, on the
grid of a template raster or on a grid around the panel.

Units: the input raster is VERTICAL displacement in mm (negative = subsidence), or a vertical
rate in mm/yr times the period it covers; outputs are mm (the basin over that period). Sources
and formulas: :mod:`.pim` and ``docs/algorithms/pimfit.md``.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import grid_of, open_raster, read_raster, write_geotiff
from ..io.vector import crs_of, open_vector, write_polygons
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, scaled, silent
from .detectable_gradient import BEYOND, GAP_REACH_PX, MEASURABLE, NEAR_LIMIT
from .pim import Panel, PimParameters, horizontal_displacement, subsidence, typical_theta

PathLike = Union[str, Path]

#: parameter bounds of the fit: q, tan(beta), offset (x depth), theta (degrees)
Q_BOUNDS = (0.01, 1.5)
TAN_BETA_BOUNDS = (0.5, 5.0)
OFFSET_BOUNDS_DEPTH = (-0.2, 0.4)
THETA_BOUNDS = (45.0, 135.0)
MIN_RELIABLE_PIXELS = 30


class PimMode(Choice):
    FIT = "fit", "fit the basin to the measured displacement"
    FORWARD = "forward", "predict the basin of a planned panel from given parameters"


class InputKind(Choice):
    CUMULATIVE = "cumulative", "vertical cumulative displacement (mm)"
    RATE = "rate", "vertical rate (mm/yr) over a period"


@dataclass
class PimOptions(Options):
    """Options of :func:`run_pim`."""

    mode: PimMode = option(PimMode.FIT, help="Fit the panel's basin, or predict a planned panel")
    thickness_m: Optional[float] = option(
        None, help="Extracted seam thickness m", unit="m", minimum=0.01, maximum=50.0
    )
    depth_m: Optional[float] = option(
        None,
        help="Depth of the seam below the surface at the panel centre (positive)",
        unit="m",
        minimum=1.0,
        maximum=5000.0,
    )
    dip_deg: float = option(0.0, help="Dip of the seam", unit="degrees", minimum=0, maximum=60)
    dip_azimuth_deg: Optional[float] = option(
        None,
        help="Direction toward which the seam deepens, clockwise from north; empty = across "
        "the panel's long axis",
        unit="degrees",
        minimum=0.0,
        maximum=360.0,
    )
    input_kind: InputKind = option(
        InputKind.CUMULATIVE,
        help="What the input raster holds: cumulative vertical displacement (mm) or a vertical "
        "rate (mm/yr, multiplied by the period)",
    )
    period_years: Optional[float] = option(
        None, help="Period a rate input covers", unit="years", minimum=0.001, maximum=100.0
    )
    min_temporal_coherence: float = option(
        0.7,
        help="Pixels with temporal coherence below this are not fitted (when a coherence "
        "raster is given)",
        minimum=0.0,
        maximum=1.0,
    )
    aliased_margin_px: int = option(
        GAP_REACH_PX,
        help="Pixels this close to the near- or beyond-the-limit pixels of the detectable-"
        "gradient mask are not fitted either (unwrapping spreads the aliased core's lost "
        "cycles into them: too shallow); 0 = only the flagged pixels",
        unit="pixels",
        minimum=0,
        maximum=20,
    )
    window_m: Optional[float] = option(
        None,
        help="Fit pixels within this distance of the panel; empty = 1.5 x depth",
        unit="m",
        minimum=1.0,
    )
    fit_shift: bool = option(
        True, help="Also fit a constant shift of the input (its reference point is arbitrary)"
    )
    bootstrap: int = option(
        0, help="Bootstrap resamples for the standard deviations (0 = off)", minimum=0, maximum=2000
    )
    bootstrap_block_px: int = option(
        4, help="Side of the pixel squares resampled together", unit="pixels", minimum=1
    )
    q: float = option(
        0.7, help="Subsidence factor q (forward mode; start of the fit)", minimum=0.01, maximum=1.5
    )
    tan_beta: float = option(
        2.0, help="Tangent of the major influence angle (forward mode)", minimum=0.5, maximum=5.0
    )
    offset_m: Optional[float] = option(
        None,
        help="Inflection-point offset s, inward (forward mode); empty = 0.08 x depth",
        unit="m",
    )
    theta_deg: Optional[float] = option(
        None,
        help="Propagation angle (forward mode); empty = 90 - 0.6 x dip",
        unit="degrees",
        minimum=45.0,
        maximum=135.0,
    )
    b: float = option(
        0.3, help="Horizontal-movement coefficient b (U = b r dW/dx)", minimum=0.0, maximum=1.0
    )
    contour_mm: float = option(
        10.0, help="Subsidence of the basin boundary polygon", unit="mm", minimum=0.01
    )
    cell_size_m: float = option(
        20.0,
        help="Cell size of the forward grid when no template raster is given",
        unit="m",
        minimum=0.1,
    )


@dataclass
class PimOutputs:
    """Paths of the outputs (None = not written)."""

    table: Optional[PathLike] = None
    model: Optional[PathLike] = None
    residual: Optional[PathLike] = None
    boundary: Optional[PathLike] = None
    horizontal: Optional[PathLike] = None

    def paths(self) -> List[Optional[PathLike]]:
        return [self.table, self.model, self.residual, self.boundary, self.horizontal]


@dataclass
class PimFit:
    """A fitted (or given) basin.

    ``std``/``bootstrap_std``: one standard deviation per parameter name (``q``,
    ``tan_beta``, ``offset_m``, ``theta_deg``, ``w_max_mm``; empty in forward mode).
    """

    panel: Panel
    parameters: PimParameters
    w_max_mm: float
    std: Dict[str, float] = field(default_factory=dict)
    bootstrap_std: Dict[str, float] = field(default_factory=dict)
    rmse_mm: Optional[float] = None
    shift_mm: float = 0.0
    pixels_fitted: int = 0
    pixels_excluded: int = 0
    seconds: float = 0.0
    messages: List[str] = field(default_factory=list)

    def rows(self) -> List[Tuple[str, float, Optional[float], Optional[float]]]:
        """(parameter, value, std, bootstrap std) of the output table."""
        p = self.parameters
        values = {
            "q": p.q,
            "tan_beta": p.tan_beta,
            "offset_m": p.offset_m,
            "theta_deg": p.theta_deg,
            "w_max_mm": self.w_max_mm,
        }
        rows = [(k, v, self.std.get(k), self.bootstrap_std.get(k)) for k, v in values.items()]
        rows.append(("influence_radius_m", self.panel.depth_m / p.tan_beta, None, None))
        if self.rmse_mm is not None:
            rows.append(("rmse_mm", self.rmse_mm, None, None))
            rows.append(("shift_mm", self.shift_mm, self.std.get("shift_mm"), None))
            rows.append(("pixels_fitted", float(self.pixels_fitted), None, None))
        return rows


# ---------------------------------------------------------------------------------------------
# the fit itself, on arrays


def _reliable_window(panel: Panel, grid: Grid, margin: float) -> Tuple[slice, slice]:
    xmin, ymin, xmax, ymax = panel.extent()
    r0, c0 = grid.rowcol(xmin - margin, ymax + margin)
    r1, c1 = grid.rowcol(xmax + margin, ymin - margin)
    rows = sorted((int(r0), int(r1)))
    cols = sorted((int(c0), int(c1)))
    return (
        slice(max(rows[0], 0), min(rows[1] + 1, grid.length)),
        slice(max(cols[0], 0), min(cols[1] + 1, grid.width)),
    )


def _start_values(panel: Panel, data_m: np.ndarray, options: PimOptions) -> List[np.ndarray]:
    depth = panel.depth_m
    deepest = max(float(-np.nanmin(data_m)), 1e-4)
    q0 = float(np.clip(deepest / panel.w0(1.0), 0.05, 1.2))
    theta0 = typical_theta(panel.dip_deg)
    return [np.array([q0, tb, 0.08 * depth, theta0]) for tb in (1.3, 2.0, 3.0)]


def fit_pim(
    data_mm: np.ndarray,
    grid: Grid,
    panel: Panel,
    reliable: np.ndarray,
    options: Optional[PimOptions] = None,
    progress: ProgressCallback = silent,
) -> PimFit:
    """Fit the PIM basin of ``panel`` to vertical displacement ``data_mm`` (L, W; mm, negative
    down) on ``grid``, using the pixels where ``reliable`` (L, W bool) is True and finite.

    Raises InputError when too few reliable pixels lie around the panel.
    """
    from scipy.optimize import least_squares

    options = options or PimOptions()
    started = time.perf_counter()
    margin = options.window_m or 1.5 * panel.depth_m
    rows, cols = _reliable_window(panel, grid, margin)
    window = np.asarray(data_mm, float)[rows, cols] / 1000.0
    use = np.asarray(reliable, bool)[rows, cols] & np.isfinite(window)
    window_pixels = window.size
    if use.sum() < MIN_RELIABLE_PIXELS:
        raise InputError(
            f"only {int(use.sum())} reliable pixels lie within {margin:.0f} m of the panel "
            f"({window_pixels} pixels there), fewer than {MIN_RELIABLE_PIXELS}.",
            None,
            "check that the panel lies over the displacement raster, lower the temporal "
            "coherence threshold, widen the fit window or give a looser reliability mask.",
        )
    rr, cc = np.nonzero(use)
    x, y = grid.xy(rr + rows.start, cc + cols.start)
    observed = window[use]
    depth = panel.depth_m
    lower = [Q_BOUNDS[0], TAN_BETA_BOUNDS[0], OFFSET_BOUNDS_DEPTH[0] * depth, THETA_BOUNDS[0]]
    upper = [Q_BOUNDS[1], TAN_BETA_BOUNDS[1], OFFSET_BOUNDS_DEPTH[1] * depth, THETA_BOUNDS[1]]
    narrow = 0.5 * float(min(np.ptp(panel.frame().to_local(*panel.ring.T)[k]) for k in (0, 1)))
    upper[2] = min(upper[2], 0.95 * narrow)
    scale = [0.1, 0.3, 0.05 * depth, 5.0]
    if options.fit_shift:
        lower.append(-np.inf)
        upper.append(np.inf)
        scale.append(0.01)
    calls = {"n": 0}
    budget = 600

    def model(values, xs=x, ys=y):
        params = PimParameters(*values[:4], b=options.b)
        shift = values[4] if options.fit_shift else 0.0
        return -subsidence(panel, params, xs, ys) + shift

    def residual(values, target=observed, xs=x, ys=y):
        calls["n"] += 1
        if calls["n"] % 20 == 0:
            report(progress, min(0.9, calls["n"] / budget), "Fitting the basin")
        return model(values, xs, ys) - target

    best = None
    for start in _start_values(panel, observed, options):
        start = np.clip(start, np.array(lower[:4]) + 1e-9, np.array(upper[:4]) - 1e-9)
        x0 = np.append(start, 0.0) if options.fit_shift else start
        result = least_squares(
            residual, x0, bounds=(lower, upper), x_scale=scale, method="trf", max_nfev=200
        )
        if best is None or result.cost < best.cost:
            best = result
    n, p = len(observed), len(best.x)
    rss = float(np.sum(best.fun**2))
    jac = best.jac
    try:
        covariance = np.linalg.pinv(jac.T @ jac) * rss / max(n - p, 1)
        std_values = np.sqrt(np.clip(np.diag(covariance), 0, None))
    except np.linalg.LinAlgError:
        std_values = np.full(p, np.nan)
    params = PimParameters(*best.x[:4], b=options.b)
    names = ["q", "tan_beta", "offset_m", "theta_deg"]
    std = {name: float(s) for name, s in zip(names, std_values[:4], strict=True)}
    std["w_max_mm"] = float(panel.w0(std["q"]) * 1000)
    if options.fit_shift:
        std["shift_mm"] = float(std_values[4] * 1000)
    fit = PimFit(
        panel=panel,
        parameters=params,
        w_max_mm=panel.w0(params.q) * 1000,
        std=std,
        rmse_mm=float(np.sqrt(rss / n) * 1000),
        shift_mm=float(best.x[4] * 1000) if options.fit_shift else 0.0,
        pixels_fitted=int(n),
        pixels_excluded=int(window_pixels - n),
    )
    at_bound = [
        name
        for name, value, low, high in zip(names, best.x[:4], lower, upper, strict=False)
        if np.isclose(value, low, rtol=1e-3) or np.isclose(value, high, rtol=1e-3)
    ]
    if at_bound:
        fit.messages.append(
            f"Warning: {', '.join(at_bound)} stopped at its bound: the data do not constrain "
            "it (or the panel, depth or sign of the input is wrong)."
        )
    if options.bootstrap:
        fit.bootstrap_std = _bootstrap(
            residual,
            best.x,
            (lower, upper),
            scale,
            observed,
            x,
            y,
            rr,
            cc,
            options,
            panel,
            scaled(progress, 0.9, 1.0),
        )
    fit.seconds = time.perf_counter() - started
    report(progress, 1.0, f"Basin fitted on {n} pixels in {fit.seconds:.1f} s")
    return fit


def _bootstrap(residual, solution, bounds, scale, observed, x, y, rr, cc, options, panel, progress):
    from scipy.optimize import least_squares

    rng = np.random.default_rng(0)
    block = options.bootstrap_block_px
    labels = (rr // block) * (int(cc.max()) // block + 1) + cc // block
    unique, inverse = np.unique(labels, return_inverse=True)
    members = [np.flatnonzero(inverse == k) for k in range(len(unique))]
    estimates = []
    for k in range(options.bootstrap):
        picked = rng.integers(0, len(members), len(members))
        index = np.concatenate([members[i] for i in picked])
        result = least_squares(
            lambda v, i=index: residual(v, observed[i], x[i], y[i]),
            solution,
            bounds=bounds,
            x_scale=scale,
            method="trf",
            max_nfev=100,
        )
        estimates.append(result.x[:4])
        report(progress, (k + 1) / options.bootstrap, f"Bootstrap {k + 1}/{options.bootstrap}")
    spread = np.std(np.array(estimates), axis=0, ddof=1)
    out = dict(zip(["q", "tan_beta", "offset_m", "theta_deg"], map(float, spread), strict=True))
    out["w_max_mm"] = float(panel.w0(out["q"]) * 1000)
    return out


# ---------------------------------------------------------------------------------------------
# files


def read_panel(
    path: PathLike, grid: Grid, thickness_m: float, depth_m: float, options: PimOptions
) -> Panel:
    """The one polygon of a panel layer (all features dissolved) in the CRS of ``grid``."""
    from osgeo import ogr, osr

    dataset, layer = open_vector(path, expected="a polygon layer with the mined panel")
    union = None
    for feature in layer:
        geometry = feature.GetGeometryRef()
        if geometry is None:
            continue
        geometry = geometry.Clone()
        union = geometry if union is None else union.Union(geometry)
    if union is None or union.IsEmpty():
        raise InputError("the panel layer has no polygon.", path, "draw the mined panel.")
    kind = ogr.GT_Flatten(union.GetGeometryType())
    if kind == ogr.wkbMultiPolygon:
        if union.GetGeometryCount() > 1:
            raise InputError(
                f"the panel layer holds {union.GetGeometryCount()} separate polygons.",
                path,
                "fit one panel at a time: save each panel to its own layer (or merge panels "
                "that touch).",
            )
        union = union.GetGeometryRef(0).Clone()
        kind = ogr.GT_Flatten(union.GetGeometryType())
    if kind != ogr.wkbPolygon:
        raise InputError("the panel layer does not hold polygons.", path, "give a polygon layer.")
    source = layer.GetSpatialRef()
    target_wkt = grid.crs_wkt()
    if source is not None and target_wkt:
        target = osr.SpatialReference(wkt=target_wkt)
        for srs in (source, target):
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        if not source.IsSame(target):
            union.Transform(osr.CoordinateTransformation(source, target))
    ring = np.array(union.GetGeometryRef(0).GetPoints())[:, :2]
    del dataset
    return Panel(ring, thickness_m, depth_m, options.dip_deg, options.dip_azimuth_deg)


def _read_reliability(path: PathLike, grid: Grid, what: str) -> np.ndarray:
    if str(path).lower().endswith(".h5"):
        from ..io.mintpy import read_dataset

        values, other = read_dataset(path, "temporalCoherence")
    else:
        values, other = read_raster(path)
    if not other.same_as(grid):
        raise InputError(
            f"the {what} is on another grid than the input displacement.",
            path,
            "give the one computed with the input (same extent and pixel size).",
        )
    return np.asarray(values, float)


def aliased_margin(mask: np.ndarray, margin_px: int) -> np.ndarray:
    """Pixels within ``margin_px`` of the near- or beyond-the-limit pixels of a
    detectable-gradient ``mask`` (its no-data, NaN, is not a flag)."""
    from scipy import ndimage

    flagged = np.isin(np.nan_to_num(mask, nan=MEASURABLE), (NEAR_LIMIT, BEYOND))
    if margin_px <= 0 or not flagged.any():
        return flagged
    return ndimage.binary_dilation(flagged, iterations=margin_px)


def check_pim_inputs(
    input_path: Optional[PathLike], panel_path: PathLike, options: PimOptions
) -> Tuple[Optional[Grid], Panel, Grid]:
    """Refuse what cannot work before any work: missing or non-positive thickness or depth, a
    rate without its period, a fit without input, a panel outside the raster."""
    for name, value in (("thickness", options.thickness_m), ("depth", options.depth_m)):
        if value is None or not value > 0:
            raise InputError(
                f"the panel's {name} must be a positive number of metres (got {value}).",
                panel_path,
                f"give the seam {name} in metres.",
            )
    if options.mode == PimMode.FIT and input_path is None:
        raise InputError("fitting needs a displacement raster.", None, "give INPUT.")
    if options.input_kind == InputKind.RATE and options.mode == PimMode.FIT:
        if not options.period_years:
            raise InputError(
                "a rate input needs the period it covers.",
                input_path,
                "give the period in years (the span of the time series).",
            )
    grid = grid_of(open_raster(input_path)) if input_path is not None else None
    if grid is None:  # forward mode on a grid of its own, in the panel layer's CRS
        dataset, layer = open_vector(panel_path, expected="a polygon layer with the mined panel")
        epsg, wkt = crs_of(layer.GetSpatialRef())
        del dataset
        reference = Grid(0.0, 0.0, 1.0, -1.0, 1, 1, epsg, wkt)
    else:
        reference = grid
    panel = read_panel(panel_path, reference, options.thickness_m, options.depth_m, options)
    if grid is not None and options.mode == PimMode.FIT:
        xmin, ymin, xmax, ymax = panel.extent()
        gxmin, gymin, gxmax, gymax = grid.extent
        if xmax < gxmin or xmin > gxmax or ymax < gymin or ymin > gymax:
            raise InputError(
                f"the panel ({xmin:.0f}, {ymin:.0f}) - ({xmax:.0f}, {ymax:.0f}) lies outside "
                f"the raster ({gxmin:.0f}, {gymin:.0f}) - ({gxmax:.0f}, {gymax:.0f}).",
                panel_path,
                "draw the panel over the displacement raster, in a CRS QGIS can transform.",
            )
    return grid, panel, reference


def _forward_grid(panel: Panel, options: PimOptions, crs: Grid) -> Grid:
    margin = 2.0 * panel.depth_m / options.tan_beta + panel.depth_m
    xmin, ymin, xmax, ymax = panel.extent()
    cell = options.cell_size_m
    x0 = np.floor((xmin - margin) / cell) * cell
    y0 = np.ceil((ymax + margin) / cell) * cell
    width = int(np.ceil((xmax + margin - x0) / cell))
    length = int(np.ceil((y0 - (ymin - margin)) / cell))
    if width * length > 25_000_000:
        raise InputError(
            f"the forward grid would have {width} x {length} cells.",
            None,
            "give a larger cell size or a template raster.",
        )
    return Grid(float(x0), float(y0), cell, -cell, width, length, crs.epsg, crs.wkt)


def _boundary(fit: PimFit, grid: Grid, contour_mm: float) -> List[Tuple[np.ndarray, Dict]]:
    """Polygons of the basin deeper than ``contour_mm``, traced on a grid four times finer."""
    from osgeo import gdal, ogr

    step = min(abs(grid.x_step), abs(grid.y_step)) / 4
    params = fit.parameters
    reach = 3.0 * fit.panel.depth_m / params.tan_beta + fit.panel.depth_m
    xmin, ymin, xmax, ymax = fit.panel.extent()
    width = int(np.ceil((xmax - xmin + 2 * reach) / step))
    length = int(np.ceil((ymax - ymin + 2 * reach) / step))
    factor = max(1.0, np.sqrt(width * length / 4e6))
    step *= factor
    width, length = int(width / factor) + 1, int(length / factor) + 1
    fine = Grid(xmin - reach, ymax + reach, step, -step, width, length, grid.epsg, grid.wkt)
    x, y = fine.xy(*np.indices(fine.shape))
    deep = (subsidence(fit.panel, params, x, y) * 1000 >= contour_mm).astype(np.uint8)
    raster = gdal.GetDriverByName("MEM").Create("", width, length, 1, gdal.GDT_Byte)
    raster.SetGeoTransform(fine.geotransform)
    band = raster.GetRasterBand(1)
    band.WriteArray(deep)
    vector = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vector.CreateLayer("basin", None, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("deep", ogr.OFTInteger))
    gdal.Polygonize(band, band, layer, 0, [])
    features = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        ring = np.array(geometry.GetGeometryRef(0).GetPoints())[:, :2]
        attributes = {
            "contour_mm": float(contour_mm),
            "area_km2": float(geometry.GetArea() / 1e6),
            "w_max_mm": float(fit.w_max_mm),
            "q": float(params.q),
            "tan_beta": float(params.tan_beta),
            "offset_m": float(params.offset_m),
            "theta_deg": float(params.theta_deg),
        }
        features.append((ring, attributes))
    return features


def write_table(path: PathLike, fit: PimFit) -> Path:
    """CSV ``parameter,value,std,std_bootstrap`` (empty where not defined)."""

    def text(value):
        return "" if value is None or not np.isfinite(value) else f"{value:.6g}"

    with atomic_output(path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["parameter", "value", "std", "std_bootstrap"])
            for name, value, std, boot in fit.rows():
                writer.writerow([name, text(value), text(std), text(boot)])
    return Path(path)


def run_pim(
    input_path: Optional[PathLike],
    panel_path: PathLike,
    outputs: PimOutputs,
    options: Optional[PimOptions] = None,
    temporal_coherence: Optional[PathLike] = None,
    detectable_mask: Optional[PathLike] = None,
    reliability_mask: Optional[PathLike] = None,
    geometry: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> PimFit:
    """Fit (or, in forward mode, predict) the basin of the panel in ``panel_path`` and write
    the outputs.

    ``input_path``: GeoTIFF of vertical displacement (mm) or rate (mm/yr); in forward mode
    optional, a template grid. ``temporal_coherence``: temporalCoherence.h5 or a raster on the
    same grid; ``detectable_mask``: the mask of ``subsidence:detectablegradient`` (non-zero =
    beyond what InSAR can measure); ``reliability_mask``: a raster, non-zero = reliable;
    ``geometry``: when given, the input is LOS and becomes vertical as ``LOS / cos(incidence)``
    (no horizontal motion assumed: over a basin's flanks its horizontal movement leaks in).
    """
    options = options or PimOptions()
    check_outputs(
        outputs.paths(),
        [input_path, panel_path, temporal_coherence, detectable_mask, reliability_mask, geometry],
    )
    grid, panel, crs = check_pim_inputs(input_path, panel_path, options)
    report(progress, 0.02, f"Panel: {panel.area_m2 / 1e6:.3f} km2, depth {panel.depth_m:g} m")
    data_mm = None
    if options.mode == PimMode.FIT:
        data_mm, _ = read_raster(input_path)
        data_mm = data_mm.astype(np.float64)
        if options.input_kind == InputKind.RATE:
            data_mm = data_mm * options.period_years
        if geometry is not None:
            from ..io.mintpy import read_dataset

            incidence, other = read_dataset(geometry, "incidenceAngle")
            if not other.same_as(grid):
                raise InputError(
                    "the geometry is on another grid than the input.",
                    geometry,
                    "give the geometryGeo.h5 of the stack the input comes from.",
                )
            data_mm = data_mm / np.cos(np.deg2rad(np.asarray(incidence, float)))
        reliable = np.isfinite(data_mm)
        if temporal_coherence is not None:
            tcoh = _read_reliability(temporal_coherence, grid, "temporal coherence")
            reliable &= np.nan_to_num(tcoh, nan=0.0) >= options.min_temporal_coherence
        if detectable_mask is not None:
            beyond = _read_reliability(detectable_mask, grid, "detectable-gradient mask")
            reliable &= np.nan_to_num(beyond, nan=1.0) == 0  # no data: not judged, not used
            reliable &= ~aliased_margin(beyond, options.aliased_margin_px)
        if reliability_mask is not None:
            user = _read_reliability(reliability_mask, grid, "reliability mask")
            reliable &= np.nan_to_num(user, nan=0.0) != 0
        fit = fit_pim(data_mm, grid, panel, reliable, options, scaled(progress, 0.05, 0.85))
    else:
        params = PimParameters(
            options.q,
            options.tan_beta,
            0.08 * panel.depth_m if options.offset_m is None else options.offset_m,
            typical_theta(panel.dip_deg) if options.theta_deg is None else options.theta_deg,
            options.b,
        )
        grid = grid or _forward_grid(panel, options, crs)
        fit = PimFit(panel=panel, parameters=params, w_max_mm=panel.w0(params.q) * 1000)
    report(progress, 0.88, "Writing the basin")
    _write_outputs(fit, grid, data_mm, outputs, options)
    for message in fit.messages:
        report(progress, 0.99, message)
    report(progress, 1.0, "Done")
    return fit


def _write_outputs(fit, grid, data_mm, outputs: PimOutputs, options: PimOptions) -> None:
    x, y = grid.xy(*np.indices(grid.shape))
    period = (
        f" over {options.period_years:g} years"
        if options.input_kind == InputKind.RATE and options.period_years
        else ""
    )
    model_mm = None
    if outputs.model or outputs.residual:
        model_mm = -subsidence(fit.panel, fit.parameters, x, y) * 1000
    if outputs.table:
        write_table(outputs.table, fit)
    if outputs.model:
        write_geotiff(
            outputs.model,
            model_mm.astype(np.float32),
            grid,
            [f"PIM basin, vertical displacement{period} (mm)"],
            units="mm",
        )
    if outputs.residual:
        if data_mm is None:
            raise InputError("a residual needs the measured input (fit mode).", outputs.residual)
        write_geotiff(
            outputs.residual,
            (data_mm - model_mm - fit.shift_mm).astype(np.float32),
            grid,
            ["measured minus PIM basin (mm)"],
            units="mm",
        )
    if outputs.horizontal:
        east, north = horizontal_displacement(fit.panel, fit.parameters, x, y)
        write_geotiff(
            outputs.horizontal,
            (np.stack([east, north]) * 1000).astype(np.float32),
            grid,
            ["east displacement (mm)", "north displacement (mm)"],
            units="mm",
        )
    if outputs.boundary:
        features = _boundary(fit, grid, options.contour_mm)
        if not features:
            raise InputError(
                f"the basin nowhere reaches {options.contour_mm:g} mm.",
                outputs.boundary,
                "lower the boundary contour.",
            )
        if grid.epsg is None:
            raise InputError(
                "the raster CRS has no EPSG code; the boundary layer needs one.",
                outputs.boundary,
                "warp the input to a projected CRS with an EPSG code.",
            )
        write_polygons(outputs.boundary, grid.epsg, features, "basin_boundary")
