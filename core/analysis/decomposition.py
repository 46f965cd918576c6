"""Two or more LOS products into vertical and east-west motion: rates and time series.

Per square cell of ``cell_size_m`` (cell edges at multiples of the size in the output CRS, so
cell centres lie at ``k * size + size / 2`` as in EGMS L3) and per product, the samples inside
give the mean rate ``d`` (mm/yr), its standard error ``sigma`` and the mean LOS unit vector
``e`` (ground to satellite). Each product's cell rate is the projection of the motion::

    d = e_E * v_E + e_N * v_N + e_U * v_U

Near-polar orbits see north motion through ``|e_N| < 0.2``, so north is neglected (``v_N = 0``)
or, when known, ``e_N * v_N`` is subtracted first. ``(v_E, v_U)`` then follow by weighted least
squares over the products present in the cell (weights ``1 / sigma^2``), with the covariance
``(A^T W A)^-1`` (A rows ``(e_E, e_U)``) for the standard deviations. The condition number of
A measures how well the geometry separates the two components: two tracks looking from the
same side have nearly parallel rows; cells above ``max_condition`` are flagged (written with
empty values and ``FLAG = degenerate``), never filled.

Time series: each product's cell series (mean of its samples per date, mm) is interpolated
linearly onto common dates every ``time_step_days`` from the latest first date to the earliest
last date of the products (no extrapolation), re-referenced to zero at the first common date,
and decomposed date by date with the same weights as the rates.

Products are read in blocks (point layers through OGR's columnar reader, rasters by rows) and
summed per cell as they stream, so layers of millions of points need memory for the cells only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..conventions import years_since
from ..crs import transform_xy
from ..dates import days_since
from ..errors import InputError
from ..grid import Grid
from ..options import Options, option
from ..progress import ProgressCallback, report, scaled, silent
from .los_products import DEFAULT_BLOCK, LosProduct

PathLike = Union[str, Path]

#: cell keys pack (column, row) indices, each offset to be non-negative, into one int64
_KEY_OFFSET = 2**30
_KEY_BASE = 2**31
DEGENERATE = "degenerate"
SOLVED = "ok"


@dataclass
class DecompositionOptions(Options):
    """Options of :func:`decompose`."""

    cell_size_m: float = option(
        100.0,
        help="Side of the square cells the products are averaged on; cell edges at multiples "
        "of it in the output CRS (EGMS L3: 100 m)",
        unit="m",
        minimum=1.0,
    )
    time_step_days: int = option(
        6,
        help="Spacing of the common dates the series are interpolated onto, within the span "
        "every product covers (EGMS L3: 6 days)",
        unit="days",
        minimum=1,
        maximum=366,
    )
    series: bool = option(True, help="Decompose the time series too, not only the rates")
    north_rate_mm_yr: Optional[float] = option(
        None,
        help="Known north rate removed from every product before solving (empty = north "
        "motion neglected)",
        unit="mm/yr",
    )
    max_condition: float = option(
        10.0,
        help="Cells whose geometry matrix (rows east and up of each line of sight) has a "
        "larger condition number are flagged as degenerate and left empty",
        minimum=1.0,
    )
    default_rate_std_mm_yr: float = option(
        1.0,
        help="Standard deviation of a cell rate whose spread is unknown (one sample without "
        "VEL_STD)",
        unit="mm/yr",
        minimum=1e-6,
    )
    epsg: Optional[int] = option(
        None,
        help="EPSG code of the output CRS (empty = the first product's projected CRS, or its "
        "UTM zone)",
        minimum=1,
    )
    block_size: int = option(
        DEFAULT_BLOCK,
        help="Samples read and summed at a time (bounds memory)",
        minimum=100,
    )


@dataclass
class CellProduct:
    """One product averaged per cell: ``keys`` (n,) sorted cell keys, ``count`` samples per
    cell, ``rate`` mean (mm/yr), ``sigma`` its standard error (mm/yr), ``los`` (n, 3) mean
    unit vector, ``series`` (n, n_dates) mean series (mm) or None."""

    label: str
    keys: np.ndarray
    count: np.ndarray
    rate: np.ndarray
    sigma: np.ndarray
    los: np.ndarray
    dates: List[dt.date]
    series: Optional[np.ndarray]


@dataclass
class Decomposition:
    """Solved cells: centres ``x, y`` (output CRS), rates and standard deviations (mm/yr),
    condition number, flag, samples per product, series on ``dates`` (mm) or None."""

    x: np.ndarray
    y: np.ndarray
    up: np.ndarray
    up_std: np.ndarray
    east: np.ndarray
    east_std: np.ndarray
    condition: np.ndarray
    flag: np.ndarray
    counts: Dict[str, np.ndarray]
    residual: np.ndarray
    dates: List[dt.date] = field(default_factory=list)
    up_series: Optional[np.ndarray] = None
    east_series: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class DecompositionResult:
    cells: Decomposition
    wkt: str
    epsg: Optional[int]
    messages: List[str]
    outputs: Dict[str, Path] = field(default_factory=dict)


# ----------------------------------------------------------------------------- cells
def cell_keys(x: np.ndarray, y: np.ndarray, size: float) -> np.ndarray:
    """int64 key of the cell of ``size`` metres holding each (x, y)."""
    column = np.floor(np.asarray(x) / size).astype(np.int64) + _KEY_OFFSET
    row = np.floor(np.asarray(y) / size).astype(np.int64) + _KEY_OFFSET
    return column * _KEY_BASE + row


def cell_centres(keys: np.ndarray, size: float) -> Tuple[np.ndarray, np.ndarray]:
    """Centres (x, y) of the cells of ``keys``: ``k * size + size / 2``."""
    column, row = np.divmod(np.asarray(keys, np.int64), _KEY_BASE)
    return (column - _KEY_OFFSET + 0.5) * size, (row - _KEY_OFFSET + 0.5) * size


def _group_sums(keys: np.ndarray, arrays: Sequence[np.ndarray]) -> Tuple[np.ndarray, list]:
    """Unique keys (sorted) and the sum over equal keys of each array (rows = samples)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return sorted_keys[starts], [np.add.reduceat(a[order], starts, axis=0) for a in arrays]


class _CellSums:
    """Per-cell sums of one product, accumulated block by block."""

    def __init__(self, n_dates: int):
        self.n_dates = n_dates
        self.parts: List[Tuple[np.ndarray, list]] = []

    def add(self, keys: np.ndarray, samples, with_series: bool) -> None:
        std = samples.rate_std_mm_yr
        has_std = np.isfinite(std)
        scalars = np.column_stack(
            [
                np.ones(len(keys)),
                samples.rate_mm_yr,
                samples.rate_mm_yr**2,
                np.where(has_std, std**2, 0.0),
                has_std.astype(float),
                samples.los,
            ]
        )
        arrays = [scalars]
        if with_series:
            values = samples.series_mm
            finite = np.isfinite(values)
            arrays += [np.where(finite, values, 0.0), finite.astype(np.float32)]
        self.parts.append(_group_sums(keys, arrays))

    def finish(self, label: str, dates, default_std: float) -> Optional[CellProduct]:
        if not self.parts:
            return None
        keys = np.concatenate([k for k, _ in self.parts])
        columns = len(self.parts[0][1])
        arrays = [np.concatenate([p[1][i] for p in self.parts]) for i in range(columns)]
        self.parts = []
        keys, arrays = _group_sums(keys, arrays)
        scalars = arrays[0]
        count = scalars[:, 0]
        rate = scalars[:, 1] / count
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = np.maximum(scalars[:, 2] / count - rate**2, 0.0) * count / (count - 1)
            own = scalars[:, 3] / scalars[:, 4]  # mean variance of the samples' own rates
        variance = np.where(count > 1, spread, np.nan)
        variance = np.fmax(variance, own)  # the larger where both are known
        variance = np.where(np.isfinite(variance), variance, default_std**2) / count
        series = None
        if len(arrays) == 3:
            with np.errstate(invalid="ignore", divide="ignore"):
                series = arrays[1] / arrays[2]
        return CellProduct(
            label,
            keys,
            count.astype(np.int64),
            rate,
            np.sqrt(np.maximum(variance, 1e-12)),
            scalars[:, 5:8] / count[:, None],
            list(dates),
            series,
        )


def average_on_cells(
    product: LosProduct,
    size: float,
    target_wkt: str,
    with_series: bool,
    default_std: float,
    block_size: int = DEFAULT_BLOCK,
    progress: ProgressCallback = silent,
) -> Optional[CellProduct]:
    """Stream ``product`` and average it per cell of ``size`` m in the CRS ``target_wkt``."""
    sums = _CellSums(len(product.dates))
    total = max(1, product.size)
    read = 0
    for samples in product.blocks(target_wkt, block_size, series=with_series):
        sums.add(cell_keys(samples.x, samples.y, size), samples, with_series)
        read += len(samples)
        report(progress, min(0.99, read / total), f"{product.label}: {read:,} samples on cells")
    return sums.finish(product.label, product.dates if with_series else [], default_std)


# ----------------------------------------------------------------------------- CRS, dates
def output_crs(first: LosProduct, epsg: Optional[int]) -> Tuple[str, Optional[int]]:
    """(WKT, EPSG) of the output: ``epsg``, else the first product's CRS when projected,
    else the UTM zone of its centre."""
    from pyproj import CRS
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    if epsg:
        crs = CRS.from_epsg(int(epsg))
        if not crs.is_projected:
            raise InputError(
                f"EPSG:{epsg} is not a projected CRS; cells are in metres.",
                None,
                "give a projected CRS (e.g. a UTM zone) or leave it empty.",
            )
        return crs.to_wkt(), int(epsg)
    crs = CRS.from_user_input(first.wkt) if first.wkt else None
    if crs is not None and crs.is_projected:
        return crs.to_wkt(), crs.to_epsg()
    xmin, ymin, xmax, ymax = product_extent(first, "EPSG:4326")
    lon, lat = (xmin + xmax) / 2, (ymin + ymax) / 2
    info = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    code = int(info[0].code)
    return CRS.from_epsg(code).to_wkt(), code


def product_extent(product: LosProduct, target_wkt: Optional[str]) -> Tuple[float, ...]:
    """(xmin, ymin, xmax, ymax) of a product in ``target_wkt`` (from its corners)."""
    if product.kind == "points":
        from ..io.vector import open_vector

        _dataset, layer = open_vector(product.path)  # the layer lives while its dataset does
        xmin, xmax, ymin, ymax = layer.GetExtent()
    else:
        xmin, ymin, xmax, ymax = product.grid.extent
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, 11), np.linspace(ymin, ymax, 11))
    tx, ty = transform_xy(gx.ravel(), gy.ravel(), product.wkt, target_wkt)
    return float(np.min(tx)), float(np.min(ty)), float(np.max(tx)), float(np.max(ty))


def common_dates(products: Sequence, step_days: int) -> List[dt.date]:
    """Dates every ``step_days`` from the latest first date to the earliest last date of
    ``products`` (anything with ``label`` and sorted ``dates``)."""
    start = max(p.dates[0] for p in products)
    end = min(p.dates[-1] for p in products)
    if start > end:
        spans = ", ".join(f"{p.label} {p.dates[0]} to {p.dates[-1]}" for p in products)
        raise InputError(
            f"the products' time series do not overlap in time ({spans}).",
            None,
            "decompose products that cover a common period, or switch the series off.",
        )
    count = (end - start).days // step_days + 1
    return [start + dt.timedelta(days=step_days * k) for k in range(count)]


def interpolate_series(
    series: np.ndarray, dates: Sequence[dt.date], targets: Sequence[dt.date]
) -> np.ndarray:
    """Linear interpolation of each row of ``series`` (n, len(dates)) onto ``targets``
    (inside the span of ``dates``); NaN where a bracketing value is NaN."""
    origin = dates[0]
    t = days_since(list(dates), origin)
    target = days_since(list(targets), origin)
    if target.min() < t[0] or target.max() > t[-1]:
        raise ValueError("targets outside the span of the series (no extrapolation)")
    right = np.clip(np.searchsorted(t, target, side="right"), 1, len(t) - 1)
    left = right - 1
    weight = (target - t[left]) / (t[right] - t[left])
    a, b = series[:, left], series[:, right]
    exact_left = weight == 0
    exact_right = weight == 1
    with np.errstate(invalid="ignore"):
        out = (1 - weight) * a + weight * b
    out[:, exact_left] = a[:, exact_left]
    out[:, exact_right] = b[:, exact_right]
    return out


# ----------------------------------------------------------------------------- solving
def solve_cells(
    los: np.ndarray,
    rate: np.ndarray,
    sigma: np.ndarray,
    max_condition: float,
    series: Optional[np.ndarray] = None,
) -> dict:
    """Weighted least squares for (east, up) in each cell.

    Parameters
    ----------
    los : (n, k, 3) LOS unit vectors (east, north, up) of the k products of each cell
    rate, sigma : (n, k) product rates and their standard errors (mm/yr)
    max_condition : cells whose (n, k, 2) east/up geometry has a larger condition number are
        flagged and get NaN
    series : (n, k, m) product series (mm) on common dates, or None

    Returns
    -------
    dict with ``east``, ``up``, ``east_std``, ``up_std`` (n,), ``condition`` (n,),
    ``degenerate`` (n,) bool, ``residual`` (n,) RMS misfit (mm/yr, NaN for k = 2) and, with
    series, ``east_series`` and ``up_series`` (n, m).
    """
    design = los[:, :, [0, 2]]  # (n, k, 2)
    singular = np.linalg.svd(design, compute_uv=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        condition = singular[:, 0] / singular[:, -1]
    condition = np.where(np.isfinite(condition), condition, np.inf)
    degenerate = condition > max_condition
    weight = 1.0 / sigma**2  # (n, k)
    normal = np.einsum("nki,nk,nkj->nij", design, weight, design)
    det = normal[:, 0, 0] * normal[:, 1, 1] - normal[:, 0, 1] * normal[:, 1, 0]
    det = np.where(degenerate | (det == 0), np.nan, det)
    inverse = np.empty_like(normal)
    inverse[:, 0, 0] = normal[:, 1, 1] / det
    inverse[:, 1, 1] = normal[:, 0, 0] / det
    inverse[:, 0, 1] = inverse[:, 1, 0] = -normal[:, 0, 1] / det
    projector = np.einsum("nij,nkj,nk->nik", inverse, design, weight)  # (n, 2, k)
    solution = np.einsum("nik,nk->ni", projector, rate)
    out = {
        "east": solution[:, 0],
        "up": solution[:, 1],
        "east_std": np.sqrt(inverse[:, 0, 0]),
        "up_std": np.sqrt(inverse[:, 1, 1]),
        "condition": condition,
        "degenerate": degenerate,
    }
    k = design.shape[1]
    if k > 2:
        misfit = rate - np.einsum("nki,ni->nk", design, solution)
        out["residual"] = np.sqrt(np.mean(misfit**2, axis=1))
    else:
        out["residual"] = np.full(len(rate), np.nan)
    if series is not None:
        decomposed = np.einsum("nik,nkm->nim", projector, series)
        out["east_series"] = decomposed[:, 0]
        out["up_series"] = decomposed[:, 1]
    return out


def _combine(
    cells: List[CellProduct],
    dates: List[dt.date],
    options: DecompositionOptions,
    progress: ProgressCallback,
) -> Decomposition:
    """Solve every cell two or more products share, grouped by which products they hold."""
    keys = np.unique(np.concatenate([c.keys for c in cells]))
    k = len(cells)
    n = len(keys)
    present = np.zeros((n, k), bool)
    index = np.zeros((n, k), np.int64)
    for j, c in enumerate(cells):
        where = np.searchsorted(keys, c.keys)
        present[where, j] = True
        index[where, j] = np.arange(len(c.keys))
    shared = present.sum(1) >= 2
    keys, present, index = keys[shared], present[shared], index[shared]
    n = len(keys)
    if n == 0:
        return None
    m = len(dates)
    result = {
        name: np.full(n, np.nan)
        for name in ("east", "up", "east_std", "up_std", "condition", "residual")
    }
    degenerate = np.zeros(n, bool)
    up_series = np.full((n, m), np.nan, np.float32) if m else None
    east_series = np.full((n, m), np.nan, np.float32) if m else None
    interpolated = []
    north = options.north_rate_mm_yr
    for c in cells:
        if m:
            values = interpolate_series(c.series, c.dates, dates)
            values = values - values[:, :1]
            interpolated.append(values)
        else:
            interpolated.append(None)
    years = years_since(dates) if m else None
    combination = present.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    kinds, which = np.unique(combination, return_inverse=True)
    for g in range(len(kinds)):
        rows = np.flatnonzero(which == g)
        members = np.flatnonzero(present[rows[0]])
        los = np.stack([cells[j].los[index[rows, j]] for j in members], axis=1)
        rate = np.stack([cells[j].rate[index[rows, j]] for j in members], axis=1)
        sigma = np.stack([cells[j].sigma[index[rows, j]] for j in members], axis=1)
        series = None
        if m:
            series = np.stack([interpolated[j][index[rows, j]] for j in members], axis=1)
        if north is not None:
            rate = rate - los[:, :, 1] * north
            if m:
                series = series - (los[:, :, 1] * north)[:, :, None] * years[None, None, :]
        solved = solve_cells(los, rate, sigma, options.max_condition, series)
        for name in result:
            result[name][rows] = solved[name]
        degenerate[rows] = solved["degenerate"]
        if m:
            up_series[rows] = solved["up_series"]
            east_series[rows] = solved["east_series"]
        report(progress, (g + 1) / len(kinds), f"{n:,} cells solved")
    for name in ("east", "up", "east_std", "up_std", "residual"):
        result[name][degenerate] = np.nan
    if m:
        up_series[degenerate] = np.nan
        east_series[degenerate] = np.nan
    x, y = cell_centres(keys, options.cell_size_m)
    counts = {}
    for j, c in enumerate(cells):
        counts[c.label] = np.where(present[:, j], c.count[index[:, j]], 0)
    return Decomposition(
        x,
        y,
        result["up"],
        result["up_std"],
        result["east"],
        result["east_std"],
        result["condition"],
        np.where(degenerate, DEGENERATE, SOLVED),
        counts,
        result["residual"],
        list(dates),
        up_series,
        east_series,
    )


# ----------------------------------------------------------------------------- public API
def los_lines(text: Optional[str]) -> List[str]:
    """One line-of-sight description per product from a text: lines, or entries separated by
    ``|`` (handy on a command line)."""
    text = (text or "").replace("\r", "")
    return [part.strip() for part in re.split(r"[\n|]", text)] if text.strip() else []


def open_products(
    paths: Sequence[PathLike], los: Union[str, Sequence[str], None] = None
) -> List[LosProduct]:
    """The products of ``paths`` with their line-of-sight descriptions (``los``: a text for
    :func:`los_lines`, or one entry per product; missing entries are ``auto``), labels made
    unique. Raises InputError for more descriptions than products, an unreadable product or
    a product whose line of sight cannot be found."""
    lines = los_lines(los) if isinstance(los, str) or los is None else list(los)
    if len(lines) > len(paths):
        raise InputError(
            f"{len(lines)} line-of-sight descriptions for {len(paths)} products.",
            None,
            "give one line per product, in the order of the products (empty = auto).",
        )
    lines += [""] * (len(paths) - len(lines))
    products = []
    seen = set()
    for path, line in zip(paths, lines, strict=True):
        label = Path(path).stem
        while label in seen:
            label = f"{label}_{len(seen) + 1}"
        seen.add(label)
        products.append(LosProduct(path, line, label=label))
    return products


def check_products(
    products: Sequence[LosProduct], epsg: Optional[int] = None
) -> Tuple[str, Optional[int]]:
    """Refuse what cannot be decomposed before reading any sample: fewer than two products,
    or products whose extents do not overlap. Returns the output CRS (WKT, EPSG)."""
    if len(products) < 2:
        raise InputError(
            f"a decomposition needs two or more products; {len(products)} given.",
            products[0].path if products else None,
            "add a second track (e.g. an ascending track to a descending one).",
        )
    wkt, code = output_crs(products[0], epsg)
    extents = [product_extent(p, wkt) for p in products]
    for p, extent in zip(products[1:], extents[1:], strict=True):
        if (
            extent[0] > extents[0][2]
            or extent[2] < extents[0][0]
            or (extent[1] > extents[0][3] or extent[3] < extents[0][1])
        ):
            raise InputError(
                f"does not overlap {products[0].label}.",
                p.path,
                "decompose products of the same area (and check their CRS).",
            )
    return wkt, code


def decompose(
    products: Sequence[LosProduct],
    output_up: Optional[PathLike] = None,
    output_east: Optional[PathLike] = None,
    options: Optional[DecompositionOptions] = None,
    raster_up: Optional[PathLike] = None,
    raster_east: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> DecompositionResult:
    """Decompose two or more LOS products into vertical and east-west rates and series.

    Writes ``output_up`` and ``output_east`` (GeoPackage points at the cell centres: ``VEL``
    and ``VEL_STD`` in mm/yr, ``DYYYYMMDD`` in mm, ``COND``, ``FLAG``, ``RESIDUAL`` and the
    samples ``N_<product>`` per product) and optional rasters of the rates (band 1 rate,
    band 2 standard deviation, mm/yr) when paths are given.
    """
    options = options or DecompositionOptions()
    outputs = [output_up, output_east, raster_up, raster_east]
    check_outputs(outputs, [p.path for p in products])
    wkt, epsg = check_products(products, options.epsg)
    messages = [p.describe() for p in products]
    with_series = options.series and sum(p.has_series for p in products) >= 2
    if options.series and not with_series:
        messages.append("fewer than two products have time series: rates only.")
    rate_only = [p.label for p in products if not p.has_series]
    if with_series and rate_only:
        raise InputError(
            f"{', '.join(rate_only)} has rates but no time series while others have series.",
            None,
            "give products that all have series, or switch the series off.",
        )
    dates = common_dates(products, options.time_step_days) if with_series else []
    cells = []
    for i, product in enumerate(products):
        part = scaled(progress, 0.8 * i / len(products), 0.8 * (i + 1) / len(products))
        averaged = average_on_cells(
            product,
            options.cell_size_m,
            wkt,
            with_series and product.has_series,
            options.default_rate_std_mm_yr,
            options.block_size,
            part,
        )
        if averaged is None:
            raise InputError(
                "holds no sample with a rate and a line of sight.",
                product.path,
                "check the rate field and the line-of-sight description.",
            )
        cells.append(averaged)
        messages.append(f"{product.label}: {len(averaged.keys):,} cells")
    result = _combine(cells, dates, options, scaled(progress, 0.8, 0.9))
    if result is None:
        raise InputError(
            "the products share no cell.",
            products[1].path,
            "check that they overlap, or use larger cells.",
        )
    flagged = int(np.count_nonzero(result.flag == DEGENERATE))
    if flagged == len(result):
        raise InputError(
            f"in every one of the {len(result):,} shared cells the lines of sight are too "
            f"close to separate east from up (condition number above {options.max_condition:g}).",
            None,
            "combine tracks that look from opposite sides (ascending and descending).",
        )
    messages.append(
        f"{len(result):,} cells shared by two or more products; {flagged:,} flagged as "
        f"degenerate geometry; median condition number {np.median(result.condition):.2f}"
        + (f"; {len(dates)} common dates {dates[0]} to {dates[-1]}" if dates else "")
    )
    written = {}
    labels = _count_fields(list(result.counts))
    if output_up:
        written["up"] = _write_layer(output_up, result, "up", labels, wkt, epsg)
    if output_east:
        written["east"] = _write_layer(output_east, result, "east", labels, wkt, epsg)
    for name, path in (("up_raster", raster_up), ("east_raster", raster_east)):
        if path:
            written[name] = _write_raster(path, result, name.split("_")[0], options, wkt, epsg)
    report(progress, 1.0, messages[-1])
    return DecompositionResult(result, wkt, epsg, messages, written)


def _count_fields(labels: Sequence[str]) -> Dict[str, str]:
    """``N_<label>`` field names (letters, digits and _; unique) for the sample counts."""
    names: Dict[str, str] = {}
    for i, label in enumerate(labels):
        name = "N_" + (re.sub(r"\W", "_", label)[:24] or str(i + 1))
        while name.upper() in {n.upper() for n in names.values()}:
            name = f"{name}_{i + 1}"
        names[label] = name
    return names


def _write_layer(path, result: Decomposition, component: str, labels, wkt, epsg) -> Path:
    from ..io.point_layers import point_layer_writer

    rate = getattr(result, component)
    std = getattr(result, f"{component}_std")
    series = getattr(result, f"{component}_series")
    fields = {
        "VEL": rate,
        "VEL_STD": std,
        "COND": result.condition,
        "FLAG": result.flag.astype(object),
        "RESIDUAL": result.residual,
    }
    for label, name in labels.items():
        fields[name] = result.counts[label].astype(np.int64)
    example = {k: v[:1] for k, v in fields.items()}
    with point_layer_writer(path, epsg, result.dates, example, wkt=None if epsg else wkt) as w:
        for start in range(0, len(result), 50_000):
            chunk = slice(start, start + 50_000)
            w.write(
                result.x[chunk],
                result.y[chunk],
                None if series is None else series[chunk],
                {k: v[chunk] for k, v in fields.items()},
            )
    return Path(path)


def _write_raster(path, result: Decomposition, component: str, options, wkt, epsg) -> Path:
    from ..io.geotiff import write_geotiff

    size = options.cell_size_m
    x0 = float(np.min(result.x) - size / 2)
    y0 = float(np.max(result.y) + size / 2)
    width = int(round((np.max(result.x) - np.min(result.x)) / size)) + 1
    length = int(round((np.max(result.y) - np.min(result.y)) / size)) + 1
    grid = Grid(x0, y0, size, -size, width, length, epsg, None if epsg else wkt)
    rows, cols = grid.rowcol(result.x, result.y)
    data = np.full((2, length, width), np.nan, np.float32)
    data[0, rows, cols] = getattr(result, component)
    data[1, rows, cols] = getattr(result, f"{component}_std")
    word = "vertical" if component == "up" else "east-west"
    return write_geotiff(
        path,
        data,
        grid,
        [f"{word} velocity (mm/yr)", f"{word} velocity std (mm/yr)"],
        units="mm/yr",
    )
