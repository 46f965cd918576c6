"""File-level entry points behind the Processing algorithms (one call each)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import numpy as np

from ..atomic import check_outputs, csv_output
from ..errors import InputError
from ..io.geotiff import write_geotiff
from ..options import Choice, Options, option
from ..progress import ProgressCallback, finished, report, scaled, silent
from .cnn import CnnOptions, save_model, train_cnn
from .common import grid_for_points, predict_grid, read_point_samples
from .driving_forces import read_driving_forces
from .evaluation import (
    CompareOptions,
    DrivingForces,
    compare_interpolators,
    metrics,
    random_folds,
    write_comparison,
)
from .idw import IdwOptions, idw_predictor
from .kriging import KrigingOptions, OrdinaryKriging
from .rbf import RbfOptions, rbf_predictor

PathLike = Union[str, Path]


class InterpolationMethod(Choice):
    """Interpolators of point values onto a grid (the CNN has its own algorithm)."""

    KRIGING = "kriging", "ordinary kriging (local neighbourhoods; optional variance)"
    IDW = "idw", "inverse distance weighting"
    RBF = "rbf", "radial basis functions"


@dataclass
class InterpolateOptions(Options):
    """Options of :func:`interpolate_points`."""

    method: InterpolationMethod = option(InterpolationMethod.KRIGING, help="Interpolator")
    cell_size: float = option(
        100.0, help="Cell size of the output raster", unit="map units of the points", minimum=1e-9
    )
    extent: Optional[Tuple[float, float, float, float]] = option(
        None, help="Extent of the raster (xmin, ymin, xmax, ymax); empty = the points' bounds"
    )
    kriging: KrigingOptions = option(factory=KrigingOptions, help="Kriging settings")
    idw: IdwOptions = option(factory=IdwOptions, help="Inverse distance weighting settings")
    rbf: RbfOptions = option(factory=RbfOptions, help="Radial basis function settings")


@dataclass
class CnnInterpolationOptions(Options):
    """Options of :func:`cnn_interpolate`."""

    test_fraction: float = option(
        0.2,
        help="Share of the points held out for testing (scored, never trained on)",
        minimum=0.05,
        maximum=0.5,
    )
    cnn: CnnOptions = option(factory=CnnOptions, help="Network and training settings")


def interpolate_points(
    points: PathLike,
    value_field: str,
    output: PathLike,
    options: Optional[InterpolateOptions] = None,
    variance_output: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> Dict[str, Path]:
    """Interpolate a point field onto a regular grid (GeoTIFF in the points' CRS).

    ``variance_output`` (kriging only): the kriging variance, value units squared.
    """
    options = options or InterpolateOptions()
    check_outputs([output, variance_output], [points])
    xy, values, layer = read_point_samples(points, value_field)
    grid = grid_for_points(xy, options.cell_size, layer.epsg, options.extent, layer.wkt)
    report(
        progress,
        0.02,
        f"{options.method}: {np.isfinite(values).sum()} points onto "
        f"{grid.width} x {grid.length} cells",
    )
    written = {}
    if options.method == InterpolationMethod.KRIGING:
        kriging = OrdinaryKriging(xy, values, options.kriging)
        v = kriging.variogram
        report(
            progress,
            0.05,
            f"variogram {v.model}: nugget {v.nugget:.4g}, partial sill "
            f"{v.psill:.4g}, range {v.range:.4g}",
        )
        if not v.fitted:
            report(
                progress,
                0.05,
                f"Warning: {len(kriging.values)} points give too few pairs to fit a variogram; "
                "a default model spanning the points is used. IDW or RBF may suit better.",
            )
        if variance_output:
            variance = np.empty(grid.shape, dtype=np.float32)

            def predict(q):
                est, var = kriging.predict(q, return_variance=True)
                rows, cols = grid.rowcol(q[:, 0], q[:, 1])
                variance[rows, cols] = var
                return est
        else:
            predict = kriging.predict
    elif options.method == InterpolationMethod.IDW:
        predict = idw_predictor(xy, values, options.idw)
    else:
        predict = rbf_predictor(xy, values, options.rbf, points)
    surface = predict_grid(predict, grid, scaled(progress, 0.05, 0.95))
    written["raster"] = write_geotiff(output, surface, grid, [f"{value_field}_{options.method}"])
    if variance_output and options.method == InterpolationMethod.KRIGING:
        written["variance"] = write_geotiff(
            variance_output, variance, grid, [f"{value_field}_kriging_variance"]
        )
    finished(progress, "Interpolation written")
    return written


def cnn_interpolate(
    points: PathLike,
    value_field: str,
    driving_forces: PathLike,
    model_output: PathLike,
    raster_output: Optional[PathLike] = None,
    metrics_output: Optional[PathLike] = None,
    errors_output: Optional[PathLike] = None,
    options: Optional[CnnInterpolationOptions] = None,
    progress: ProgressCallback = silent,
) -> Dict[str, Path]:
    """Train the CNN on a random ``1 - test_fraction`` of the points (its own early-stopping
    validation taken from those), score it on the held-out points, write the model, a metrics
    CSV (subset, rmse, mae, r2, n), the held-out points with PRED and ERR, and the surface."""
    options = options or CnnInterpolationOptions()
    test_fraction, cnn = options.test_fraction, options.cnn
    from ..io.point_layers import PointSeries, write_points

    outputs = [model_output, raster_output, metrics_output, errors_output]
    check_outputs(outputs, [points, driving_forces])
    xy, values, layer = read_point_samples(points, value_field)
    stack = DrivingForces(*read_driving_forces(driving_forces))
    rows, cols = stack.grid.rowcol(xy[:, 0], xy[:, 1])
    on_grid = stack.grid.contains(rows, cols) & np.isfinite(values)
    if on_grid.sum() < 20:
        raise InputError(
            f"only {int(on_grid.sum())} points fall on the driving-force grid.",
            points,
            "give points in the CRS and extent of the driving-force stack.",
        )
    xy, values = xy[on_grid], values[on_grid]
    test = (
        random_folds(len(values), max(2, int(round(1 / max(test_fraction, 1e-3)))), cnn.seed) == 0
    )
    model = train_cnn(
        stack.stack,
        stack.grid,
        xy[~test],
        values[~test],
        cnn,
        stack.names,
        scaled(progress, 0.0, 0.7),
    )
    written = {"model": save_model(model_output, model)}
    pred_train = model.predict_points(stack.stack, stack.grid, xy[~test])
    pred_test = model.predict_points(stack.stack, stack.grid, xy[test])
    if metrics_output:
        rows_out = [
            dict(subset="train", **metrics(values[~test], pred_train)),
            dict(subset="test", **metrics(values[test], pred_test)),
        ]
        columns = ["subset", "rmse", "mae", "r2", "n", "best_epoch", "epochs_run"]
        with csv_output(metrics_output, columns) as writer:
            for row in rows_out:
                writer.writerow(
                    dict(row, best_epoch=model.best_epoch, epochs_run=len(model.history))
                )
        written["metrics"] = Path(metrics_output)
    if errors_output:
        held = PointSeries(
            xy[test, 0],
            xy[test, 1],
            layer.epsg,
            [],
            np.zeros((int(test.sum()), 0)),
            {"OBS": values[test], "PRED": pred_test, "ERR": pred_test - values[test]},
            layer.wkt,
        )
        written["errors"] = write_points(errors_output, held, "cnn_errors")
    if raster_output:
        surface = model.predict_grid(stack.stack, stack.grid, scaled(progress, 0.7, 1.0))
        written["raster"] = write_geotiff(
            raster_output, surface, stack.grid, [f"{value_field}_cnn"]
        )
    finished(progress, f"CNN: best epoch {model.best_epoch} of {len(model.history)}")
    return written


def compare_points(
    points: PathLike,
    value_field: str,
    table_output: PathLike,
    folder: Optional[PathLike] = None,
    driving_forces: Optional[PathLike] = None,
    options: Optional[CompareOptions] = None,
    progress: ProgressCallback = silent,
) -> Dict[str, Path]:
    """Run :func:`compare_interpolators` on a point layer and write its table and maps."""
    options = options or CompareOptions()
    check_outputs([table_output], [points, driving_forces])
    xy, values, layer = read_point_samples(points, value_field)
    stack = DrivingForces(*read_driving_forces(driving_forces)) if driving_forces else None
    comparison = compare_interpolators(xy, values, stack, options, progress)
    written = write_comparison(comparison, table_output, folder, layer.epsg, layer.wkt)
    for row in comparison.table():
        report(
            progress,
            1.0,
            f"{row['method']:8s} {row['split']:6s} RMSE {row['rmse']:.3f} "
            f"MAE {row['mae']:.3f} R2 {row['r2']:.3f} (n={row['n']})",
        )
    return written
