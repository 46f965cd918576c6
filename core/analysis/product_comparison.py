"""Comparison of two deformation-rate products (PS vs SBAS, two tracks, InSAR vs EGMS).

Papers 000 and 001: both products go onto one grid of ``cell_size`` metres (default 50 m) in a
common projected CRS, values are averaged per cell, each product is turned into VERTICAL rates
with its own incidence angle (``vertical = LOS / cos(incidence)``; no horizontal motion assumed)
and the cells both products cover are compared: N, Pearson r, RMSE, mean and standard deviation
of the differences (A - B). Paper 000 reports r 0.9 and RMSE 0.5 cm/yr for PS vs SBAS.

Inputs are rasters (band 1 of a GeoTIFF; MintPy ``velocity.h5`` in mm/yr; radar-coordinate
products geocoded on the fly through their lookup tables) or point layers (field ``VEL``
unless told), read in row blocks and point chunks under ``memory_mb``, so products of any size
compare in bounded memory. Rates keep their unit (mm/yr for everything this toolkit writes).
An incidence is given per product as a constant (degrees from vertical), a raster path (sampled
at each value's position) or, for point layers, a field name; none means the product is
already vertical (or both are LOS of one geometry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple, Union

import numpy as np

from ..atomic import check_outputs, csv_output, same_file
from ..conventions import DEFAULT_MEMORY_BUDGET_MB, los_to_vertical
from ..crs import pyproj_crs, transform_xy, utm_crs
from ..errors import InputError
from ..grid import Grid
from ..io.point_layers import point_layer_crs, read_point_chunks
from ..io.rasters import RasterSource, open_raster_source, open_rate_raster
from ..options import Options, option
from ..plotting import save_figure
from ..progress import ProgressCallback, finished, report, silent

PathLike = Union[str, Path]
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".h5")


@dataclass
class ProductComparisonOptions(Options):
    cell_size_m: float = option(
        50.0,
        help="Side of the square cells both products are averaged on before comparing",
        unit="m",
        minimum=0.01,
    )
    incidence_a: Optional[str] = option(
        None,
        help="Incidence of A from vertical, to turn LOS into vertical: degrees, a raster path "
        "or a field of the point layer (empty = A is vertical already)",
    )
    incidence_b: Optional[str] = option(
        None,
        help="Incidence of B from vertical, to turn LOS into vertical: degrees, a raster path "
        "or a field of the point layer (empty = B is vertical already)",
    )
    field_a: str = option("VEL", help="Rate field of A when it is a point layer")
    field_b: str = option("VEL", help="Rate field of B when it is a point layer")
    epsg: Optional[int] = option(
        None, help="EPSG code of the common projected CRS (empty = A's, else B's, else UTM)"
    )
    label_a: str = option("A", help="Name of A in the table and the plot")
    label_b: str = option("B", help="Name of B in the table and the plot")
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Memory budget of the raster blocks and point chunks read at a time",
        unit="MiB",
        minimum=0.001,
    )


@dataclass
class Samples:
    """Values (e.g. mm/yr) at positions x, y in the CRS given by ``wkt``."""

    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    wkt: str
    incidence_field: Optional[np.ndarray] = None


@dataclass
class ProductComparisonResult:
    stats: Dict[str, float]
    table: Optional[Path] = None
    plot: Optional[Path] = None
    difference: Optional[Path] = None
    grid: Optional[Grid] = None
    cell_a: np.ndarray = field(default=None, repr=False)
    cell_b: np.ndarray = field(default=None, repr=False)


# ----------------------------------------------------------------------------- reading
def is_raster(path: PathLike) -> bool:
    return Path(path).suffix.lower() in RASTER_SUFFIXES


@dataclass
class Product:
    """One product to compare, read in chunks: a rate raster (row blocks of its valid pixel
    centres, mm/yr for MintPy rates) or a point layer (chunks of its points with a value)."""

    path: Path
    wkt: str
    value_field: str = "VEL"
    incidence_field: Optional[str] = None
    raster: Optional[RasterSource] = None

    @classmethod
    def open(
        cls, path: PathLike, value_field: str = "VEL", incidence_field: Optional[str] = None
    ) -> "Product":
        path = Path(path)
        if not path.exists():
            raise InputError("file not found.", path, "check the path.")
        if is_raster(path):
            raster = open_rate_raster(path)
            return cls(path, raster.grid.crs_wkt(), raster=raster)
        _check_point_geometries(path)
        wanted = [value_field] + ([incidence_field] if incidence_field else [])
        epsg, wkt = point_layer_crs(path, wanted)
        if not (epsg or wkt):
            raise InputError("the point layer has no CRS.", path, "assign its CRS in QGIS first.")
        return cls(path, pyproj_crs(epsg, wkt).to_wkt(), value_field, incidence_field)

    def chunks(self, memory_mb: float) -> Iterator[Samples]:
        """The valid values (finite rate) of the product, chunk by chunk."""
        if self.raster is not None:
            for rows, data in self.raster.blocks(memory_mb):
                r, c = np.nonzero(np.isfinite(data))
                x, y = self.raster.grid.xy(r + rows.start, c)
                yield Samples(x, y, data[r, c], self.wkt)
            return
        wanted = [self.value_field] + ([self.incidence_field] if self.incidence_field else [])
        points_per_chunk = max(1, int(memory_mb * 2**20 // 64))
        for points in read_point_chunks(
            self.path, wanted, dates=False, chunk_points=points_per_chunk
        ):
            value = points.fields[self.value_field]
            if value.dtype.kind != "f":
                raise InputError(
                    f"field '{self.value_field}' is not numeric.", self.path, "pick the rate field."
                )
            keep = np.isfinite(value)
            yield Samples(
                points.x[keep],
                points.y[keep],
                value[keep],
                self.wkt,
                points.fields[self.incidence_field][keep] if self.incidence_field else None,
            )


def _check_point_geometries(path: PathLike) -> None:
    """A vector product is a point layer: lines or polygons would be compared by centroid."""
    from osgeo import ogr

    from ..io.vector import open_vector

    _, layer = open_vector(path, expected="a point layer or a raster")
    kind = ogr.GT_Flatten(layer.GetGeomType())
    if kind not in (ogr.wkbPoint, ogr.wkbMultiPoint, ogr.wkbUnknown, ogr.wkbNone):
        raise InputError(
            f"holds {ogr.GeometryTypeToName(kind)} geometries; a product to compare is a "
            "raster or a point layer.",
            path,
            "give the point layer (or raster) of the product's rates.",
        )


def _common_crs(a: Product, b: Product, epsg: Optional[int], memory_mb: float) -> str:
    from pyproj import CRS

    if epsg:
        return CRS.from_epsg(int(epsg)).to_wkt()
    for product in (a, b):
        if product.wkt and CRS.from_wkt(product.wkt).is_projected:
            return product.wkt
    total, count = np.zeros(2), 0
    for samples in a.chunks(memory_mb):
        total += [np.nansum(samples.x), np.nansum(samples.y)]
        count += int(np.isfinite(samples.x).sum())
    lon, lat = total / max(count, 1)
    return utm_crs(float(lon), float(lat)).to_wkt()


def _incidence(
    spec: Optional[str], samples: Samples, which: str, memory_mb: float
) -> Optional[np.ndarray]:
    """Incidence (deg) per sample from a constant, a raster or the layer's field."""
    if spec is None or str(spec).strip() == "":
        return None
    text = str(spec).strip()
    try:
        angle = float(text)
    except ValueError:
        angle = None
    if angle is not None:
        if not 0 <= angle < 90:
            raise InputError(
                f"incidence of {which} is {angle} degrees.",
                None,
                "give the angle from vertical, between 0 and 90 degrees.",
            )
        return np.full(len(samples.value), angle)
    if Path(text).exists():
        raster = open_raster_source(text)
        x, y = transform_xy(samples.x, samples.y, samples.wkt, raster.grid.crs_wkt() or None)
        return raster.sample(*raster.grid.rowcol(x, y), memory_mb)
    if samples.incidence_field is not None:
        return samples.incidence_field
    raise InputError(
        f"incidence of {which} '{text}' is neither a number, an existing raster "
        "nor a field of the layer.",
        None,
        "give degrees (e.g. 39), a raster path or the name of an incidence field.",
    )


# ----------------------------------------------------------------------------- maths
def cell_means(x: np.ndarray, y: np.ndarray, value: np.ndarray, grid: Grid) -> np.ndarray:
    """Mean of ``value`` in each cell of ``grid`` (NaN where a cell holds none)."""
    sums = CellSums(grid)
    sums.add(x, y, value)
    return sums.means()


class CellSums:
    """Running sum and count of values per cell of ``grid``, fed chunk by chunk."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.total = np.zeros(grid.width * grid.length)
        self.count = np.zeros(grid.width * grid.length, np.int64)

    def add(self, x: np.ndarray, y: np.ndarray, value: np.ndarray) -> None:
        rows, cols = self.grid.rowcol(x, y)
        ok = self.grid.contains(rows, cols) & np.isfinite(value)
        index = rows[ok] * self.grid.width + cols[ok]
        size = self.total.size
        self.total += np.bincount(index, weights=value[ok], minlength=size)
        self.count += np.bincount(index, minlength=size)

    def means(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.total / self.count).reshape(self.grid.shape)


def comparison_stats(a: np.ndarray, b: np.ndarray) -> Dict[str, float]:
    """N, Pearson r, RMSE, mean and std (ddof 1) of the differences a - b, over cells both hold."""
    both = np.isfinite(a) & np.isfinite(b)
    a, b = a[both], b[both]
    n = int(both.sum())
    difference = a - b
    stats = {
        "n": n,
        "pearson_r": np.nan,
        "rmse": np.nan,
        "mean_difference": np.nan,
        "std_difference": np.nan,
        "mean_a": np.nan,
        "mean_b": np.nan,
    }
    if n == 0:
        return stats
    stats.update(
        rmse=float(np.sqrt(np.mean(difference**2))),
        mean_difference=float(difference.mean()),
        std_difference=float(difference.std(ddof=1)) if n > 1 else np.nan,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
    )
    if n > 2 and a.std() > 0 and b.std() > 0:
        stats["pearson_r"] = float(np.corrcoef(a, b)[0, 1])
    return stats


def _open_product(path: PathLike, value_field: str, incidence: Optional[str]) -> Product:
    incidence_field = None
    if incidence and not is_raster(path) and not Path(str(incidence)).exists():
        try:
            float(incidence)
        except ValueError:
            incidence_field = str(incidence)
    return Product.open(path, value_field, incidence_field)


def _bounds(product: Product, target: str, memory_mb: float) -> Optional[np.ndarray]:
    """(xmin, ymin, xmax, ymax) of the product's valid values in ``target`` (None if none)."""
    low, high = np.array([np.inf, np.inf]), np.array([-np.inf, -np.inf])
    found = False
    for samples in product.chunks(memory_mb):
        if not len(samples.value):
            continue
        x, y = transform_xy(samples.x, samples.y, samples.wkt, target)
        low = np.fmin(low, [np.nanmin(x), np.nanmin(y)])
        high = np.fmax(high, [np.nanmax(x), np.nanmax(y)])
        found = True
    return np.concatenate([low, high]) if found else None


def _cell_means(
    product: Product, incidence: Optional[str], which: str, grid: Grid, memory_mb: float
) -> Tuple[np.ndarray, int]:
    """Cell means of the product's (vertical) values on ``grid`` and its number of values."""
    sums = CellSums(grid)
    count = 0
    for samples in product.chunks(memory_mb):
        angle = _incidence(incidence, samples, which, memory_mb)
        value = samples.value if angle is None else los_to_vertical(samples.value, angle)
        x, y = transform_xy(samples.x, samples.y, samples.wkt, grid.crs_wkt())
        sums.add(x, y, value)
        count += len(value)
    return sums.means(), count


# ----------------------------------------------------------------------------- public API
def compare_products(
    input_a: PathLike,
    input_b: PathLike,
    options: Optional[ProductComparisonOptions] = None,
    table: Optional[PathLike] = None,
    plot: Optional[PathLike] = None,
    difference: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> ProductComparisonResult:
    """Compare two rate products on a common grid; write the statistics table (CSV), the
    scatter/histogram plot (PNG) and the difference layer (GeoTIFF, or GeoPackage points of the
    cell centres when ``difference`` ends with .gpkg) when paths are given."""
    options = options or ProductComparisonOptions()
    check_outputs([p for p in (table, plot, difference) if p], [input_a, input_b])
    if same_file(input_a, input_b) and (options.field_a, options.incidence_a) == (
        options.field_b,
        options.incidence_b,
    ):
        raise InputError(
            "A and B are the same product (same file and field): the comparison would "
            "report r = 1 and RMSE = 0.",
            input_b,
            "give two different products, or two different fields of one layer.",
        )
    memory_mb = options.memory_mb
    a = _open_product(input_a, options.field_a, options.incidence_a)
    b = _open_product(input_b, options.field_b, options.incidence_b)
    target = _common_crs(a, b, options.epsg, memory_mb)
    bounds = []
    for product in (a, b):
        found = _bounds(product, target, memory_mb)
        if found is None:
            raise InputError("holds no valid values.", product.path, "check the layer or raster.")
        bounds.append(found)
    report(progress, 0.3, "Extents read")
    grid = _overlap_grid(bounds[0], bounds[1], options.cell_size_m, target, input_a, input_b)
    cell_a, count_a = _cell_means(a, options.incidence_a, options.label_a, grid, memory_mb)
    report(progress, 0.5, f"{count_a:,} values in {options.label_a}")
    cell_b, count_b = _cell_means(b, options.incidence_b, options.label_b, grid, memory_mb)
    report(progress, 0.6, f"{count_b:,} values in {options.label_b}")
    stats = comparison_stats(cell_a, cell_b)
    stats["cell_size_m"] = float(options.cell_size_m)
    report(progress, 0.7, f"{stats['n']} common cells")
    if stats["n"] == 0:
        raise InputError(
            "the two products share no cell.",
            input_b,
            "check that they overlap, or use a larger cell size.",
        )
    both = np.isfinite(cell_a) & np.isfinite(cell_b)
    if np.array_equal(cell_a[both], cell_b[both]):
        report(
            progress,
            0.7,
            f"Warning: {options.label_a} and {options.label_b} are identical on every common "
            "cell: is the same product given twice?",
        )
    if stats["n"] < 3:
        report(
            progress,
            0.7,
            f"Warning: only {stats['n']} common cell(s): the correlation needs at least 3.",
        )
    result = ProductComparisonResult(stats, grid=grid, cell_a=cell_a, cell_b=cell_b)
    if table:
        result.table = write_stats_table(table, stats, options)
    if difference:
        result.difference = _write_difference(difference, cell_a - cell_b, grid)
    if plot:
        result.plot = write_plot(plot, cell_a, cell_b, stats, options)
    finished(progress, f"r = {stats['pearson_r']:.3f}, RMSE = {stats['rmse']:.2f}")
    return result


def _overlap_grid(a: np.ndarray, b: np.ndarray, cell: float, wkt: str, input_a, input_b) -> Grid:
    """Cells of ``cell`` metres, aligned to multiples of the cell, over the overlap of the
    bounds ``a`` and ``b`` (xmin, ymin, xmax, ymax)."""
    xmin, ymin = max(a[0], b[0]), max(a[1], b[1])
    xmax, ymax = min(a[2], b[2]), min(a[3], b[3])
    if xmin > xmax or ymin > ymax:
        raise InputError(
            f"does not overlap {input_a}.",
            input_b,
            "compare products over the same area (and check their CRS).",
        )
    x0 = np.floor(xmin / cell) * cell
    y0 = np.ceil(ymax / cell) * cell
    width = int(np.floor((xmax - x0) / cell)) + 1
    length = int(np.floor((y0 - ymin) / cell)) + 1
    if width * length > 200_000_000:
        raise InputError(
            f"a {cell} m grid over the overlap would have {width * length:,} cells.",
            input_b,
            "use a larger cell size.",
        )
    from pyproj import CRS

    code = CRS.from_wkt(wkt).to_epsg()
    return Grid(
        float(x0), float(y0), float(cell), -float(cell), width, length, code, None if code else wkt
    )


def write_stats_table(
    path: PathLike, stats: Dict[str, float], options: ProductComparisonOptions
) -> Path:
    with csv_output(path) as writer:
        writer.writerow(["statistic", "value", "description"])
        described = {
            "n": "common cells",
            "pearson_r": "Pearson correlation of the cell means",
            "rmse": f"root mean square of {options.label_a} - {options.label_b}",
            "mean_difference": f"mean of {options.label_a} - {options.label_b}",
            "std_difference": f"standard deviation of {options.label_a} - {options.label_b}",
            "mean_a": f"mean of {options.label_a}",
            "mean_b": f"mean of {options.label_b}",
            "cell_size_m": "cell size (m)",
        }
        for key, text in described.items():
            value = stats[key]
            writer.writerow([key, value if key == "n" else f"{value:.6g}", text])
    return Path(path)


def _write_difference(path: PathLike, difference: np.ndarray, grid: Grid) -> Path:
    if str(path).lower().endswith(".gpkg"):
        from ..io.point_layers import point_layer_writer

        rows, cols = np.nonzero(np.isfinite(difference))
        x, y = grid.xy(rows, cols)
        with point_layer_writer(path, grid.epsg, [], {"DIFF": np.zeros(1)}, wkt=grid.wkt) as writer:
            writer.write(x, y, None, {"DIFF": difference[rows, cols].astype(float)})
        return Path(path)
    from ..io.geotiff import write_geotiff

    return write_geotiff(path, difference.astype(np.float32), grid, ["difference A - B"])


def write_plot(
    path: PathLike,
    a: np.ndarray,
    b: np.ndarray,
    stats: Dict[str, float],
    options: ProductComparisonOptions,
    unit: str = "mm/yr",
) -> Path:
    """Scatter of the common cells (with the 1:1 line) beside the histogram of differences."""
    from matplotlib.figure import Figure

    both = np.isfinite(a) & np.isfinite(b)
    va, vb = a[both], b[both]
    figure = Figure(figsize=(10, 4.5), dpi=110)
    scatter, histogram = figure.subplots(1, 2)
    scatter.scatter(vb, va, s=6, alpha=0.6, color="#2166ac", edgecolors="none")
    low, high = float(min(va.min(), vb.min())), float(max(va.max(), vb.max()))
    scatter.plot([low, high], [low, high], color="#b2182b", lw=1, label="1:1")
    scatter.set_xlabel(f"{options.label_b} ({unit})")
    scatter.set_ylabel(f"{options.label_a} ({unit})")
    scatter.set_title(
        f"N = {stats['n']}, r = {stats['pearson_r']:.2f}, RMSE = {stats['rmse']:.2f} {unit}"
    )
    scatter.legend(loc="upper left")
    difference = va - vb
    low, high = float(difference.min()), float(difference.max())
    if np.isclose(low, high):  # a shifted copy: numpy 2 refuses 40 bins over a rounding spread
        low, high = low - 0.5, high + 0.5
    histogram.hist(difference, bins=40, range=(low, high), color="#92c5de", edgecolor="#4393c3")
    histogram.axvline(0, color="k", lw=0.8)
    histogram.set_xlabel(f"{options.label_a} - {options.label_b} ({unit})")
    histogram.set_ylabel("cells")
    histogram.set_title(f"mean {stats['mean_difference']:.2f}, std {stats['std_difference']:.2f}")
    figure.suptitle(f"Cross-validation on {stats['cell_size_m']:g} m cells")
    figure.tight_layout()
    return save_figure(figure, path)
