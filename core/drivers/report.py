"""One self-contained HTML study report: maps, tables and charts of an area, images embedded.

Every part is optional; sections without input are left out. Sections, in order: velocity map
(with the bowl outlines when bowls are given) and class map (GeoTIFFs rendered with
matplotlib), subsidence bowls, zonal statistics and mining consistency, land-use change,
driver correlations, mining basins (profiles of the PIM basin against the measured
displacement, parameter tables, bowls against the detectable gradient), profiles and time
series (PNG/SVG given by the user), forecasts, other tables, and the list of inputs. A file
that is given but cannot be read stops the report with an error naming it, so a silently
missing section never passes for "nothing found".
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..errors import InputError
from ..io.vector import field_names, open_vector
from ..options import Options, option
from ..plotting import pyplot
from ..progress import ProgressCallback, finished, report, silent

PathLike = Union[str, Path]
MAX_TABLE_ROWS = 200


@dataclass
class ReportInputs(Options):
    """What goes into the report; leave out what you do not have."""

    title: str = option("Subsidence study report", help="Title at the top of the report")
    velocity: Optional[PathLike] = option(
        None, help="Velocity GeoTIFF (mm/yr, negative = subsidence): map and histogram"
    )
    classes: Optional[PathLike] = option(
        None, help="GeoTIFF of integer classes (deformation classes or land use): class map"
    )
    class_names: Optional[PathLike] = option(
        None, help="CSV of value,name pairs for the class map legend"
    )
    bowls: Optional[PathLike] = option(
        None, help="Subsidence bowls (GeoPackage from Detect subsidence bowls, or CSV)"
    )
    zonal: Optional[PathLike] = option(
        None, help="Zonal statistics (GeoPackage or CSV from Zonal subsidence statistics)"
    )
    mining_table: Optional[PathLike] = option(None, help="Mining consistency table (CSV)")
    landuse_table: Optional[PathLike] = option(None, help="Land-use transition matrix (CSV, km²)")
    landuse_extra: List[PathLike] = option(
        factory=list, help="More land-use tables: per-class summary, mean rates (CSV)"
    )
    landuse_plot: Optional[PathLike] = option(None, help="Land-use Sankey diagram (PNG/SVG)")
    drivers_table: Optional[PathLike] = option(
        None, help="Driver correlation summary (CSV from Correlate displacement)"
    )
    drivers_plot: Optional[PathLike] = option(None, help="Driver correlation chart (PNG/SVG)")
    images: List[PathLike] = option(factory=list, help="Profile and time-series charts (PNG/SVG)")
    forecast_images: List[PathLike] = option(factory=list, help="Forecast charts (PNG/SVG)")
    forecast_tables: List[PathLike] = option(factory=list, help="Forecast tables (CSV)")
    tables: List[PathLike] = option(
        factory=list, help="Any other tables (CSV, e.g. interpolation metrics)"
    )
    basin_models: List[PathLike] = option(
        factory=list, help="Modelled mining basins (GeoTIFF, mm, from Fit a mining basin)"
    )
    basin_tables: List[PathLike] = option(
        factory=list, help="Parameter tables of the basin fits (CSV, one per model)"
    )
    basin_measured: Optional[PathLike] = option(
        None, help="Vertical displacement the basin fits used (GeoTIFF, mm)"
    )
    basin_reference: Optional[PathLike] = option(
        None, help="Known basin for comparison: levelling, GNSS or a truth (GeoTIFF, mm)"
    )
    limit_table: Optional[PathLike] = option(
        None, help="Bowls against the detectable gradient (CSV from What InSAR can measure)"
    )

    def paths(self) -> List[Tuple[str, Path]]:
        """(role, path) of every input given."""
        out = []
        for name, value in vars(self).items():
            if name == "title" or value in (None, "", []):
                continue
            for item in value if isinstance(value, list) else [value]:
                out.append((name, Path(item)))
        return out


# ----------------------------------------------------------------------------- pieces
def basin_profiles(
    model: PathLike, measured: PathLike, reference: Optional[PathLike] = None
) -> str:
    """Two profiles through the deepest point of a modelled basin (west-east and
    north-south): the model (line), the measurement (dots; gaps where InSAR lost the core)
    and an optional reference (dashed), all in mm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.geotiff import read_raster

    basin, grid = read_raster(_require(model))
    observed, observed_grid = read_raster(_require(measured))
    if not observed_grid.same_as(grid):
        raise InputError(
            "the measured displacement is on another grid than the basin model.",
            measured,
            "give the raster the basin was fitted to.",
        )
    truth = None
    if reference is not None:
        truth, reference_grid = read_raster(_require(reference))
        if not reference_grid.same_as(grid):
            raise InputError(
                "the reference is on another grid than the basin model.",
                reference,
                "resample it to the model grid.",
            )
    if not np.isfinite(basin).any():
        raise InputError("the basin model has no data.", model, "give a pimfit OUTPUT raster.")
    row, col = np.unravel_index(np.nanargmin(basin), basin.shape)
    deep = basin < 0.01 * np.nanmin(basin)  # the basin to 1 % of its depth
    rows, cols = np.nonzero(deep)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for axis, along_x in zip(axes, (True, False), strict=True):
        span = (cols.min(), cols.max()) if along_x else (rows.min(), rows.max())
        size = basin.shape[1] if along_x else basin.shape[0]
        margin = max(5, (span[1] - span[0]) // 3)
        index = np.arange(max(span[0] - margin, 0), min(span[1] + margin + 1, size))
        step = abs(grid.x_step if along_x else grid.y_step)
        distance = (index - index[0]) * step / 1000.0
        pick = (row, index) if along_x else (index, col)
        axis.plot(distance, basin[pick], "-", color="#b2182b", label="PIM basin")
        axis.plot(distance, observed[pick], ".", color="#2166ac", label="measured (InSAR)")
        if truth is not None:
            axis.plot(distance, truth[pick], "--", color="#4d4d4d", label="reference")
        missing = ~np.isfinite(observed[pick])
        if missing.any():
            axis.plot(
                distance[missing], basin[pick][missing], "x", color="#fdae61", label="no InSAR"
            )
        label = "west-east" if along_x else "north-south"
        axis.set_xlabel(f"{label} distance (km)")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("vertical displacement (mm)")
    axes[0].legend(loc="lower left", fontsize=8)
    return _figure_tag(fig, f"{Path(model).stem}: modelled vs measured across the basin")


def _require(path: PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found.", path, "check the path or leave this input empty.")
    return path


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_tag(path: PathLike, caption: str = "") -> str:
    """An <img> with the file embedded (PNG, JPEG, GIF or SVG)."""
    path = _require(path)
    mime = {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".svg": "image/svg+xml",
    }.get(path.suffix.lower())
    if mime is None:
        raise InputError(
            "is not a PNG, JPEG, GIF or SVG image.", path, "export the chart as PNG or SVG."
        )
    caption = caption or path.name
    return (
        f'<figure><img src="{_data_uri(path.read_bytes(), mime)}" '
        f'alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption>'
        "</figure>"
    )


def _figure_tag(fig, caption: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    return (
        f'<figure><img src="{_data_uri(buffer.getvalue(), "image/png")}" '
        f'alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption>'
        "</figure>"
    )


def _outlines(path: PathLike, wkt: Optional[str]) -> List[np.ndarray]:
    from .zonal import read_polygons

    polygons = read_polygons(path, allow_empty=True)
    rings = []
    for geometry in polygons.in_crs(wkt):
        parts = (
            [geometry.GetGeometryRef(i) for i in range(geometry.GetGeometryCount())]
            if geometry.GetGeometryName() == "MULTIPOLYGON"
            else [geometry]
        )
        for part in parts:
            rings.append(np.asarray(part.GetGeometryRef(0).GetPoints())[:, :2])
    return rings


def velocity_map(path: PathLike, bowls: Optional[PathLike] = None) -> str:
    """The velocity GeoTIFF (mm/yr) on a diverging ramp centred on zero, km axes."""
    plt = pyplot()

    from ..io.rasters import read_rate_raster

    rates, grid = read_rate_raster(_require(path))
    finite = rates[np.isfinite(rates)]
    if finite.size == 0:
        raise InputError("holds no valid value.", path, "give a velocity raster with data.")
    limit = float(np.percentile(np.abs(finite), 98)) or 1.0
    xmin, ymin, xmax, ymax = grid.extent
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(
        rates,
        cmap="RdBu",
        vmin=-limit,
        vmax=limit,
        extent=(xmin / 1e3, xmax / 1e3, ymin / 1e3, ymax / 1e3),
    )
    fig.colorbar(image, ax=ax, label="rate (mm/yr), negative = subsidence", shrink=0.8)
    if bowls and Path(bowls).suffix.lower() == ".gpkg":
        for ring in _outlines(bowls, grid.crs_wkt() or None):
            ax.plot(ring[:, 0] / 1e3, ring[:, 1] / 1e3, "k-", lw=0.8)
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_title(f"{Path(path).name}: min {finite.min():.1f}, max {finite.max():.1f} mm/yr")
    return _figure_tag(
        fig, f"Velocity: {Path(path).name}" + (" with bowl outlines" if bowls else "")
    )


def raster_class_names(path: PathLike) -> Tuple[dict, bool]:
    """Class names from a raster's metadata: ``CLASS_<n>`` (ordered deformation classes, as
    the velocity classification writes them; second value True) or ``CODE_<n>`` (categories)."""
    from ..io.geotiff import open_raster

    metadata = open_raster(path).GetMetadata() or {}
    names = {}
    ordinal = False
    for key, value in metadata.items():
        prefix, _, number = key.partition("_")
        if prefix in ("CLASS", "CODE") and number.isdigit():
            names[int(number)] = value
            ordinal = ordinal or prefix == "CLASS"
    return names, ordinal


def class_map(path: PathLike, names_path: Optional[PathLike] = None) -> str:
    """A classified GeoTIFF with one colour per class and a legend (names from a CSV, else
    from the raster's metadata, else the class values)."""
    import matplotlib

    plt = pyplot()
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from ..io.geotiff import read_raster
    from .landuse import CLASS_COLOURS

    values, grid = read_raster(_require(path))
    codes = [int(c) for c in np.unique(values[np.isfinite(values)]) if c != 0]
    if not codes:
        raise InputError("holds no class.", path, "give a classified raster.")
    names, ordinal = {}, False
    if names_path:
        from .landuse import read_class_names

        names = read_class_names(names_path)
    else:
        names, ordinal = raster_class_names(path)
    if ordinal:  # deformation classes run from fastest subsidence to uplift
        scale = sorted(set(names) | set(codes))  # place each class among all defined ones
        colours = [
            matplotlib.colormaps["RdYlBu"](scale.index(c) / max(len(scale) - 1, 1)) for c in codes
        ]
    else:
        colours = [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(len(codes))]
    index = np.full(values.shape, np.nan)
    for k, code in enumerate(codes):
        index[values == code] = k
    xmin, ymin, xmax, ymax = grid.extent
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(
        index,
        cmap=ListedColormap(colours),
        norm=BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes)),
        extent=(xmin / 1e3, xmax / 1e3, ymin / 1e3, ymax / 1e3),
        interpolation="nearest",
    )
    ax.legend(
        handles=[Patch(color=colours[k], label=names.get(c, str(c))) for k, c in enumerate(codes)],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    return _figure_tag(fig, f"Classes: {Path(path).name}")


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not np.isfinite(value) else f"{value:.4g}"
    return str(value)


def read_table(path: PathLike) -> Tuple[List[str], List[List[str]]]:
    """(header, rows) of a CSV or of the attributes of a vector layer's first layer."""
    path = _require(path)
    if path.suffix.lower() in (".csv", ".txt"):
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if row]
        if not rows:
            raise InputError("is an empty table.", path, "give a CSV with a header row.")
        return rows[0], rows[1:]
    dataset, layer = open_vector(path, expected="a CSV table or a GeoPackage")
    header = field_names(layer)
    rows = [[_format(feature.GetField(name)) for name in header] for feature in layer]
    return header, rows


def table_html(path: PathLike, caption: str = "") -> str:
    header, rows = read_table(path)
    shown = rows[:MAX_TABLE_ROWS]
    parts = [f"<table><caption>{html.escape(caption or Path(path).name)}</caption><thead><tr>"]
    parts += [f"<th>{html.escape(h)}</th>" for h in header]
    parts.append("</tr></thead><tbody>")
    for row in shown:
        cells = []
        for value in row:
            try:
                value = f"{float(value):.4g}" if "." in value or "e" in value.lower() else value
            except ValueError:
                pass
            cells.append(f"<td>{html.escape(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if len(rows) > len(shown):
        parts.append(
            f"<p class='note'>First {len(shown)} of {len(rows)} rows; full table: "
            f"{html.escape(str(path))}</p>"
        )
    return "".join(parts)


STYLE = """
body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{border-bottom:3px solid #b71c1c;padding-bottom:.3em}
h2{color:#b71c1c;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.85em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
caption{font-weight:bold;text-align:left;padding:.3em 0}
figure{display:inline-block;margin:.5em;vertical-align:top}
img{max-width:100%;border:1px solid #eee} figcaption{font-size:.85em;color:#555}
.note{color:#666;font-size:.85em}
"""


def build_report(inputs: ReportInputs, progress: ProgressCallback = silent) -> str:
    """The report's HTML text (every image embedded)."""
    sections: List[Tuple[str, List[str]]] = []

    def add(title: str, parts: Sequence[str]) -> None:
        if parts:
            sections.append((title, list(parts)))

    maps = []
    if inputs.velocity:
        maps.append(velocity_map(inputs.velocity, inputs.bowls))
    if inputs.classes:
        maps.append(class_map(inputs.classes, inputs.class_names))
    add("Maps", maps)
    report(progress, 0.3, "Maps rendered")
    add(
        "Subsidence bowls",
        [table_html(inputs.bowls, "Bowls (rates mm/yr, areas km², distances m)")]
        if inputs.bowls
        else [],
    )
    add(
        "Zonal statistics and mining consistency",
        ([table_html(inputs.zonal, "Rates per polygon (mm/yr)")] if inputs.zonal else [])
        + (
            [table_html(inputs.mining_table, "Subsidence inside vs outside mining areas")]
            if inputs.mining_table
            else []
        ),
    )
    add(
        "Land-use change",
        (
            [table_html(inputs.landuse_table, "Transition matrix (km², rows = earlier)")]
            if inputs.landuse_table
            else []
        )
        + [table_html(p) for p in inputs.landuse_extra]
        + ([image_tag(inputs.landuse_plot, "Land-use transitions")] if inputs.landuse_plot else []),
    )
    add(
        "Drivers: water and rain",
        (
            [table_html(inputs.drivers_table, "Lagged correlation with the displacement")]
            if inputs.drivers_table
            else []
        )
        + ([image_tag(inputs.drivers_plot, "Driver correlation")] if inputs.drivers_plot else []),
    )
    basins = []
    if inputs.basin_models and inputs.basin_measured is None:
        raise InputError(
            "basin profiles need the measured displacement the basins were fitted to.",
            inputs.basin_models[0],
            "give the measured vertical displacement (mm).",
        )
    for model in inputs.basin_models:
        basins.append(basin_profiles(model, inputs.basin_measured, inputs.basin_reference))
    basins += [table_html(p, f"{Path(p).stem}: PIM parameters") for p in inputs.basin_tables]
    if inputs.limit_table:
        basins.append(
            table_html(inputs.limit_table, "Bowls against what InSAR can measure (area shares %)")
        )
    add("Mining basins (probability integral method)", basins)
    report(progress, 0.6, "Tables added")
    add("Profiles and time series", [image_tag(p) for p in inputs.images])
    add(
        "Forecasts",
        [image_tag(p) for p in inputs.forecast_images]
        + [table_html(p) for p in inputs.forecast_tables],
    )
    add("Other tables", [table_html(p) for p in inputs.tables])
    if not sections:
        raise InputError(
            "nothing to report: no input was given.", None, "give at least one map, table or chart."
        )
    listed = "".join(
        f"<tr><td>{html.escape(role)}</td><td>{html.escape(str(path))}</td>"
        f"<td>{path.stat().st_size / 1024:.1f}</td></tr>"
        for role, path in inputs.paths()
    )
    sections.append(
        (
            "Inputs",
            [
                f"<table><thead><tr><th>part</th><th>file</th><th>KiB</th>"
                f"</tr></thead><tbody>{listed}</tbody></table>"
            ],
        )
    )
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    toc = "".join(
        f'<li><a href="#s{k}">{html.escape(t)}</a></li>' for k, (t, _) in enumerate(sections)
    )
    body = "".join(
        f'<h2 id="s{k}">{html.escape(t)}</h2>' + "".join(parts)
        for k, (t, parts) in enumerate(sections)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(inputs.title)}"
        f"</title><style>{STYLE}</style></head><body><h1>{html.escape(inputs.title)}</h1>"
        f"<p class='note'>Generated {stamp} by the InSAR Subsidence Toolkit. Rates in mm/yr, "
        f"negative = subsidence.</p><ul>{toc}</ul>{body}</body></html>"
    )


def write_report(
    output_path: PathLike, inputs: ReportInputs, progress: ProgressCallback = silent
) -> Path:
    """Write the self-contained HTML report (appears only when complete)."""
    check_outputs([output_path], [p for _, p in inputs.paths()])
    text = build_report(inputs, progress)
    with atomic_output(output_path) as temp:
        Path(temp).write_text(text, encoding="utf-8")
    finished(progress, "Report written")
    return Path(output_path)
