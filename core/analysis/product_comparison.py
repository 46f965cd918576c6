"""Comparison of two deformation-rate products (PS vs SBAS, two tracks, InSAR vs EGMS).

Papers 000 and 001: both products go onto one grid of ``cell_size`` metres (default 50 m) in a
common projected CRS, values are averaged per cell, each product is turned into VERTICAL rates
with its own incidence angle (``vertical = LOS / cos(incidence)``; no horizontal motion assumed)
and the cells both products cover are compared: N, Pearson r, RMSE, mean and standard deviation
of the differences (A - B). Paper 000 reports r 0.9 and RMSE 0.5 cm/yr for PS vs SBAS.

Inputs are rasters (band 1) or point layers (field ``VEL`` unless told). Rates keep their unit
(mm/yr for everything this toolkit writes). An incidence is given per product as a constant
(degrees from vertical), a raster path (sampled at each value's position) or, for point layers,
a field name; none means the product is already vertical (or both are LOS of one geometry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np

from ..atomic import check_outputs, csv_output, same_file
from ..conventions import los_to_vertical
from ..crs import transform_xy
from ..errors import InputError
from ..grid import Grid
from ..io.point_layers import read_points
from ..options import Options, option
from ..plotting import save_figure
from ..progress import ProgressCallback, report, silent

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


def read_samples(
    path: PathLike, value_field: str = "VEL", incidence_field: Optional[str] = None
) -> Samples:
    """Valid pixel centres of a raster (band 1), or the points of a vector layer."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    if is_raster(path):
        from ..io.geotiff import read_raster

        data, grid = read_raster(path)
        rows, cols = np.nonzero(np.isfinite(data))
        x, y = grid.xy(rows, cols)
        return Samples(x, y, data[rows, cols].astype(float), grid.crs_wkt())
    _check_point_geometries(path)
    wanted = [value_field] + ([incidence_field] if incidence_field else [])
    points = read_points(path, wanted, dates=False)
    if not points.crs_wkt():
        raise InputError("the point layer has no CRS.", path, "assign its CRS in QGIS first.")
    value = points.fields[value_field]
    if value.dtype.kind != "f":
        raise InputError(f"field '{value_field}' is not numeric.", path, "pick the rate field.")
    keep = np.isfinite(value)
    return Samples(
        points.x[keep],
        points.y[keep],
        value[keep],
        points.crs_wkt(),
        points.fields[incidence_field][keep] if incidence_field else None,
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


def _common_crs(a: Samples, b: Samples, epsg: Optional[int]) -> str:
    from pyproj import CRS
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    if epsg:
        return CRS.from_epsg(int(epsg)).to_wkt()
    for samples in (a, b):
        if samples.wkt and CRS.from_wkt(samples.wkt).is_projected:
            return samples.wkt
    lon, lat = float(np.nanmean(a.x)), float(np.nanmean(a.y))
    info = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    return CRS.from_epsg(int(info[0].code)).to_wkt()


def _incidence(spec: Optional[str], samples: Samples, which: str) -> Optional[np.ndarray]:
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
        from ..io.geotiff import read_raster

        data, grid = read_raster(text)
        x, y = transform_xy(samples.x, samples.y, samples.wkt, grid.crs_wkt() or None)
        rows, cols = grid.rowcol(x, y)
        inside = grid.contains(rows, cols)
        out = np.full(len(samples.value), np.nan)
        out[inside] = data[rows[inside], cols[inside]]
        return out
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
    rows, cols = grid.rowcol(x, y)
    ok = grid.contains(rows, cols) & np.isfinite(value)
    index = rows[ok] * grid.width + cols[ok]
    total = np.bincount(index, weights=value[ok], minlength=grid.width * grid.length)
    count = np.bincount(index, minlength=grid.width * grid.length)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (total / count).reshape(grid.shape)


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


def _prepared(
    path: PathLike,
    value_field: str,
    incidence: Optional[str],
    which: str,
    target_wkt: Optional[str] = None,
) -> Samples:
    incidence_field = None
    if incidence and not is_raster(path) and not Path(str(incidence)).exists():
        try:
            float(incidence)
        except ValueError:
            incidence_field = str(incidence)
    samples = read_samples(path, value_field, incidence_field)
    if len(samples.value) == 0:
        raise InputError("holds no valid values.", path, "check the layer or raster.")
    angle = _incidence(incidence, samples, which)
    if angle is not None:
        samples.value = los_to_vertical(samples.value, angle)
    return samples


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
    a = _prepared(input_a, options.field_a, options.incidence_a, options.label_a)
    b = _prepared(input_b, options.field_b, options.incidence_b, options.label_b)
    report(
        progress,
        0.3,
        f"{len(a.value):,} values in {options.label_a}, {len(b.value):,} in {options.label_b}",
    )
    target = _common_crs(a, b, options.epsg)
    for samples in (a, b):
        samples.x, samples.y = transform_xy(samples.x, samples.y, samples.wkt, target)
        samples.wkt = target
    grid = _overlap_grid(a, b, options.cell_size_m, target, input_a, input_b)
    cell_a = cell_means(a.x, a.y, a.value, grid)
    cell_b = cell_means(b.x, b.y, b.value, grid)
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
    report(progress, 1.0, f"r = {stats['pearson_r']:.3f}, RMSE = {stats['rmse']:.2f}")
    return result


def _overlap_grid(a: Samples, b: Samples, cell: float, wkt: str, input_a, input_b) -> Grid:
    """Cells of ``cell`` metres, aligned to multiples of the cell, over the overlap of A and B."""
    xmin = max(np.nanmin(a.x), np.nanmin(b.x))
    xmax = min(np.nanmax(a.x), np.nanmax(b.x))
    ymin = max(np.nanmin(a.y), np.nanmin(b.y))
    ymax = min(np.nanmax(a.y), np.nanmax(b.y))
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
    histogram.hist(va - vb, bins=40, color="#92c5de", edgecolor="#4393c3")
    histogram.axvline(0, color="k", lw=0.8)
    histogram.set_xlabel(f"{options.label_a} - {options.label_b} ({unit})")
    histogram.set_ylabel("cells")
    histogram.set_title(f"mean {stats['mean_difference']:.2f}, std {stats['std_difference']:.2f}")
    figure.suptitle(f"Cross-validation on {stats['cell_size_m']:g} m cells")
    figure.tight_layout()
    return save_figure(figure, path)
