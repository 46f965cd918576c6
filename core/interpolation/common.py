"""Helpers shared by the interpolators: point clean-up, grid targets and raster output."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Tuple, Union

import numpy as np

from ..errors import InputError
from ..grid import Grid
from ..io.point_layers import read_points
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]
# predict(query_xy (n, 2)) -> values (n,)
Predictor = Callable[[np.ndarray], np.ndarray]


def merge_duplicates(xy: np.ndarray, values: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Average the values of points at identical coordinates (exact interpolators need
    distinct points) and drop points whose value is not finite."""
    xy = np.asarray(xy, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values) & np.isfinite(xy).all(axis=1)
    xy, values = xy[keep], values[keep]
    unique, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    if len(unique) == len(xy):
        return xy, values
    sums = np.bincount(inverse.ravel(), weights=values, minlength=len(unique))
    return unique, sums / counts


def read_point_samples(path: PathLike, field: str):
    """The known values to interpolate: (xy (n, 2), values (n,), the PointSeries read with
    ``field`` only) of a point layer's numeric ``field``; InputError below 3 valid values."""
    points = read_points(path, [field], dates=False)
    values = np.asarray(points.fields[field])
    if values.dtype.kind not in "fiu":
        raise InputError(f"field '{field}' is not numeric.", path, "pick a numeric field.")
    values = values.astype(np.float64)
    if np.isfinite(values).sum() < 3:
        raise InputError(
            f"field '{field}' has fewer than 3 valid values.",
            path,
            "give a layer with more points.",
        )
    return np.column_stack([points.x, points.y]), values, points


def grid_for_points(
    xy: np.ndarray,
    cell_size: float,
    epsg: Optional[int],
    extent: Optional[Tuple[float, float, float, float]] = None,
    wkt: Optional[str] = None,
) -> Grid:
    """A north-up grid of ``cell_size`` covering ``extent`` (xmin, ymin, xmax, ymax), by
    default the points' bounding box."""
    if cell_size <= 0:
        raise InputError("the cell size must be positive.", None, "give a cell size in map units.")
    if extent is None:
        extent = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    xmin, ymin, xmax, ymax = extent
    width = max(1, int(np.ceil((xmax - xmin) / cell_size)))
    length = max(1, int(np.ceil((ymax - ymin) / cell_size)))
    if width * length > 400_000_000:
        raise InputError(
            f"the output grid would have {width} x {length} cells.",
            None,
            "use a larger cell size or a smaller extent.",
        )
    return Grid(
        float(xmin), float(ymax), float(cell_size), -float(cell_size), width, length, epsg, wkt
    )


def predict_grid(
    predict: Predictor, grid: Grid, progress: ProgressCallback = silent, rows_per_block: int = 64
) -> np.ndarray:
    """Evaluate ``predict`` at every cell centre, in row blocks (float32)."""
    out = np.empty(grid.shape, dtype=np.float32)
    cols = np.arange(grid.width)
    for start in range(0, grid.length, rows_per_block):
        stop = min(start + rows_per_block, grid.length)
        rr, cc = np.meshgrid(np.arange(start, stop), cols, indexing="ij")
        x, y = grid.xy(rr.ravel(), cc.ravel())
        out[start:stop] = predict(np.column_stack([x, y])).reshape(stop - start, grid.width)
        report(progress, stop / grid.length, "Interpolating the grid")
    return out
