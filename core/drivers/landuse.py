"""Land-use change between two classified rasters (paper 000, section 3.2 and fig. 19).

The transition matrix ``S[i, j]`` is the area (km2) that was class ``i`` at the earlier date
(rows) and class ``j`` at the later date (columns). Per class: persistence (the diagonal),
area before (row sum), after (column sum), gain, loss and net change (after - before).
With a velocity raster (mm/yr, negative = subsidence) the mean rate of each transition is
reported, which shows whether, e.g., cropland turned to mining land is where the ground sinks.

The later raster and the velocity are aligned to the earlier raster's grid by nearest
neighbour when their grids differ (same CRS required). Class value 0 and the raster's nodata
are treated as no data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

from ..atomic import check_outputs, csv_output
from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import grid_of, open_raster
from ..io.rasters import read_rate_raster
from ..plotting import pyplot, save_figure
from ..progress import ProgressCallback, finished, report, silent

PathLike = Union[str, Path]
NO_CLASS = 0


@dataclass
class TransitionResult:
    classes: List[int]
    names: List[str]
    matrix_km2: np.ndarray  # (n, n): rows = earlier class, columns = later class
    mean_rate: Optional[np.ndarray]  # (n, n) mm/yr, NaN where no pixel or no velocity

    @property
    def before_km2(self) -> np.ndarray:
        return self.matrix_km2.sum(axis=1)

    @property
    def after_km2(self) -> np.ndarray:
        return self.matrix_km2.sum(axis=0)

    @property
    def persistence_km2(self) -> np.ndarray:
        return np.diag(self.matrix_km2).copy()

    @property
    def net_change_km2(self) -> np.ndarray:
        return self.after_km2 - self.before_km2

    def summary(self) -> List[Dict[str, float]]:
        """Per class: before, after, persistence, gain, loss, net change (km2)."""
        rows = []
        for k, (code, name) in enumerate(zip(self.classes, self.names, strict=True)):
            rows.append(
                {
                    "class": code,
                    "name": name,
                    "before_km2": self.before_km2[k],
                    "after_km2": self.after_km2[k],
                    "persistence_km2": self.persistence_km2[k],
                    "gain_km2": self.after_km2[k] - self.persistence_km2[k],
                    "loss_km2": self.before_km2[k] - self.persistence_km2[k],
                    "net_change_km2": self.net_change_km2[k],
                }
            )
        return rows


def read_class_names(path: PathLike) -> Dict[int, str]:
    """``value,name`` CSV (a header row is optional) -> {class value: name}."""
    if not Path(path).exists():
        raise InputError("file not found.", path, "check the path.")
    names: Dict[int, str] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if not row or not "".join(row).strip():
                continue
            try:
                value = int(float(row[0]))
            except ValueError:
                if number == 1:
                    continue  # header
                raise InputError(
                    f"line {number}: '{row[0]}' is not a class value.",
                    path,
                    "write one 'value,name' pair per line.",
                ) from None
            names[value] = row[1].strip() if len(row) > 1 else str(value)
    if not names:
        raise InputError("holds no class.", path, "write one 'value,name' pair per line.")
    return names


def align_nearest(
    data: np.ndarray, grid: Grid, target: Grid, fill=np.nan, path: Optional[PathLike] = None
) -> np.ndarray:
    """``data`` on ``grid`` resampled to ``target`` by nearest neighbour (same CRS required)."""
    if grid.same_as(target):
        return data
    if grid.epsg and target.epsg and grid.epsg != target.epsg:
        raise InputError(
            f"its CRS (EPSG:{grid.epsg}) differs from EPSG:{target.epsg}.",
            path,
            "reproject it to the land-use CRS first (Raster > Projections > Warp).",
        )
    x, _ = target.xy(0, np.arange(target.width))
    _, y = target.xy(np.arange(target.length), 0)
    rows, _ = grid.rowcol(np.full(len(y), grid.x_first), y)
    _, cols = grid.rowcol(x, np.full(len(x), grid.y_first))
    out = np.full(target.shape, fill, dtype=np.result_type(data.dtype, np.asarray(fill).dtype))
    row_ok = (rows >= 0) & (rows < grid.length)
    col_ok = (cols >= 0) & (cols < grid.width)
    if not row_ok.any() or not col_ok.any():
        raise InputError(
            "does not overlap the land-use raster.", path, "give rasters covering the same area."
        )
    out[np.ix_(row_ok, col_ok)] = data[np.ix_(rows[row_ok], cols[col_ok])]
    return out


def transition_matrix(
    before: np.ndarray,
    after: np.ndarray,
    pixel_area_m2: float,
    classes: Optional[List[int]] = None,
    velocity: Optional[np.ndarray] = None,
):
    """(classes, matrix km2, mean rate per transition or None) of two class arrays of one shape.

    Pixels with class 0 (no data) in either array are ignored; so are velocity NaNs for the
    mean rate (not for the areas).
    """
    before = np.asarray(before).astype(np.int64)
    after = np.asarray(after).astype(np.int64)
    valid = (before != NO_CLASS) & (after != NO_CLASS)
    if classes is None:
        classes = sorted(set(np.unique(before[valid])) | set(np.unique(after[valid])))
    classes = [int(c) for c in classes]
    index = np.full(
        max(classes + [int(before.max(initial=0)), int(after.max(initial=0))]) + 1,
        -1,
        dtype=np.int64,
    )
    index[classes] = np.arange(len(classes))
    i, j = index[before[valid]], index[after[valid]]
    known = (i >= 0) & (j >= 0)
    n = len(classes)
    flat = i[known] * n + j[known]
    counts = np.bincount(flat, minlength=n * n).reshape(n, n)
    matrix = counts * pixel_area_m2 / 1e6
    mean_rate = None
    if velocity is not None:
        rates = np.asarray(velocity, float)[valid][known]
        ok = np.isfinite(rates)
        sums = np.bincount(flat[ok], weights=rates[ok], minlength=n * n).reshape(n, n)
        hits = np.bincount(flat[ok], minlength=n * n).reshape(n, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_rate = np.where(hits > 0, sums / np.maximum(hits, 1), np.nan)
    return classes, matrix, mean_rate


def _read_classes(path: PathLike):
    ds = open_raster(path)
    band = ds.GetRasterBand(1)
    data = band.ReadAsArray()
    if data is None or np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).any():
        raise InputError("holds no class values.", path, "give a classified raster.")
    nodata = band.GetNoDataValue()
    if np.issubdtype(data.dtype, np.floating):
        bad = ~np.isfinite(data)
        if (np.abs(data[~bad] - np.round(data[~bad])) > 1e-6).any():
            raise InputError(
                "holds non-integer values, not classes.",
                path,
                "give a classified raster (integer class codes).",
            )
        data = np.where(bad, NO_CLASS, data)
    data = data.astype(np.int64)
    if nodata is not None and np.isfinite(nodata):
        data[data == int(nodata)] = NO_CLASS
    if (data < 0).any():
        raise InputError("holds negative class values.", path, "use class codes 1, 2, 3...")
    return data, grid_of(ds)


def compute_transitions(
    before_path: PathLike,
    after_path: PathLike,
    class_names_path: Optional[PathLike] = None,
    velocity_path: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> TransitionResult:
    """Read the rasters (and names, velocity) and compute the transition matrix on the
    earlier raster's grid."""
    before, grid = _read_classes(before_path)
    after, after_grid = _read_classes(after_path)
    after = align_nearest(after, after_grid, grid, fill=NO_CLASS, path=after_path)
    report(progress, 0.3, "Rasters read")
    velocity = None
    if velocity_path:
        rates, rate_grid = read_rate_raster(velocity_path)
        velocity = align_nearest(rates, rate_grid, grid, path=velocity_path)
    names = read_class_names(class_names_path) if class_names_path else {}
    classes = None
    if names:
        present = set(np.unique(before)) | set(np.unique(after))
        classes = sorted(set(names) | (present - {NO_CLASS}))
    classes, matrix, mean_rate = transition_matrix(
        before, after, grid.pixel_area, classes, velocity
    )
    if not matrix.any():
        raise InputError(
            "no pixel has a class at both dates.",
            after_path,
            "give two classified rasters of the same area.",
        )
    report(progress, 0.7, "Transition matrix computed")
    labels = [names.get(c, str(c)) for c in classes]
    return TransitionResult(classes, labels, matrix, mean_rate)


# ----------------------------------------------------------------------------- writers
def _write_square(
    path: PathLike, result: TransitionResult, values: np.ndarray, corner: str
) -> Path:
    with csv_output(path) as writer:
        writer.writerow([corner] + result.names)
        for name, row in zip(result.names, values, strict=True):
            writer.writerow([name] + ["" if not np.isfinite(v) else f"{v:.6g}" for v in row])
    return Path(path)


def write_matrix(path: PathLike, result: TransitionResult) -> Path:
    """CSV: header ``from \\ to (km2)`` + later classes; one row per earlier class."""
    return _write_square(path, result, result.matrix_km2, "from \\ to (km2)")


def write_rates(path: PathLike, result: TransitionResult) -> Path:
    """CSV of the mean rate (mm/yr) per transition, same layout as the matrix."""
    return _write_square(path, result, result.mean_rate, "from \\ to (mean mm/yr)")


def write_summary(path: PathLike, result: TransitionResult) -> Path:
    rows = result.summary()
    with csv_output(path) as writer:
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow([v if isinstance(v, (int, str)) else f"{v:.6g}" for v in row.values()])
    return Path(path)


CLASS_COLOURS = [
    "#e6c84f",
    "#2e7d32",
    "#d84315",
    "#1e88e5",
    "#6d4c41",
    "#bdbdbd",
    "#8e24aa",
    "#00897b",
    "#f06292",
    "#7cb342",
]


def _spread(centres: np.ndarray, separation: float) -> np.ndarray:
    """Label positions near ``centres`` (increasing) at least ``separation`` apart."""
    out = np.array(centres, float)
    for k in range(1, len(out)):
        out[k] = max(out[k], out[k - 1] + separation)
    return out


def sankey_plot(
    path: PathLike, result: TransitionResult, title: str = "", min_fraction: float = 0.001
) -> Path:
    """Two-column Sankey diagram (PNG or SVG by suffix): earlier classes left, later right,
    one bezier band per transition with width proportional to its area. Transitions smaller
    than ``min_fraction`` of the total are not drawn (they stay in the table)."""
    plt = pyplot()
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    matrix = result.matrix_km2
    total = matrix.sum()
    n = len(result.classes)
    gap = 0.02 * total
    colours = [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n)]

    def stack(sizes):
        tops, y = [], 0.0
        for size in sizes:
            tops.append(y)
            y += size + (gap if size > 0 else 0)
        return np.array(tops)

    left_top, right_top = stack(result.before_km2), stack(result.after_km2)
    left_used, right_used = np.zeros(n), np.zeros(n)
    fig, ax = plt.subplots(figsize=(8, 6))
    x0, x1, width = 0.0, 1.0, 0.06
    for i in range(n):
        for j in range(n):
            area = matrix[i, j]
            if area <= min_fraction * total:
                continue
            ya, yb = left_top[i] + left_used[i], right_top[j] + right_used[j]
            left_used[i] += area
            right_used[j] += area
            xa, xb = x0 + width, x1
            mid = (xa + xb) / 2
            vertices = [
                (xa, ya),
                (mid, ya),
                (mid, yb),
                (xb, yb),
                (xb, yb + area),
                (mid, yb + area),
                (mid, ya + area),
                (xa, ya + area),
                (xa, ya),
            ]
            codes = [
                MplPath.MOVETO,
                MplPath.CURVE4,
                MplPath.CURVE4,
                MplPath.CURVE4,
                MplPath.LINETO,
                MplPath.CURVE4,
                MplPath.CURVE4,
                MplPath.CURVE4,
                MplPath.CLOSEPOLY,
            ]
            ax.add_patch(
                PathPatch(
                    MplPath(vertices, codes),
                    facecolor=colours[i],
                    alpha=0.25 if i == j else 0.6,
                    edgecolor="none",
                )
            )
    height = max(left_top[-1] + result.before_km2[-1], right_top[-1] + result.after_km2[-1])
    for x, tops, sizes, side in (
        (x0, left_top, result.before_km2, "right"),
        (x1, right_top, result.after_km2, "left"),
    ):
        label_y = _spread(tops + sizes / 2, 0.035 * height)
        for k in range(n):
            if sizes[k] <= 0:
                continue
            ax.add_patch(Rectangle((x, tops[k]), width, sizes[k], facecolor=colours[k]))
            label_x = x - 0.01 if side == "right" else x + width + 0.01
            ax.text(
                label_x,
                label_y[k],
                f"{result.names[k]} {sizes[k]:.2f} km²",
                ha=side,
                va="center",
                fontsize=8,
            )
    ax.set_xlim(-0.45, 1.5)
    ax.set_ylim(height * 1.04, -0.04 * height)
    ax.axis("off")
    ax.set_title(title or "Land-use transitions (band width = area)")
    save_figure(fig, path, dpi=120, bbox_inches="tight")
    return Path(path)


def land_use_transition(
    before_path: PathLike,
    after_path: PathLike,
    table_path: PathLike,
    class_names_path: Optional[PathLike] = None,
    velocity_path: Optional[PathLike] = None,
    summary_path: Optional[PathLike] = None,
    rates_path: Optional[PathLike] = None,
    plot_path: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> TransitionResult:
    """Compute and write the matrix CSV (km2), optional per-class summary CSV, mean-rate CSV
    (needs ``velocity_path``) and Sankey plot."""
    inputs = [before_path, after_path, class_names_path, velocity_path]
    check_outputs([table_path, summary_path, rates_path, plot_path], inputs)
    result = compute_transitions(before_path, after_path, class_names_path, velocity_path, progress)
    write_matrix(table_path, result)
    if summary_path:
        write_summary(summary_path, result)
    if rates_path and result.mean_rate is not None:
        write_rates(rates_path, result)
    if plot_path:
        sankey_plot(plot_path, result)
    finished(progress, "Land-use transition written")
    return result
