"""Fair comparison of interpolators: identical folds for every method.

Two kinds of split, both K-fold so that every point is predicted once, out of fold:

* ``random``: points shuffled into K folds. With densely sampled points (PS ~50 m apart) a
  test point's neighbours are in the training set, so this measures interpolation between
  near neighbours and flatters every method (the CNN most: its training patches overlap the
  test patches).
* ``block``: the plane is cut into square blocks of ``block_size``; whole blocks go to a fold,
  so a test point's own block holds no training point. This measures prediction where there
  is no data nearby, which is what a continuous surface is for, and is much harsher.

Metrics per method and split on the pooled out-of-fold predictions: RMSE, MAE, R2 (against the
mean of the observed values), and a Wilcoxon signed-rank test on paired absolute errors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import InputError
from ..grid import Grid
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, scaled, silent
from .cnn import CnnOptions
from .idw import IdwOptions, idw_predictor
from .kriging import KrigingOptions, kriging_predictor
from .rbf import RbfOptions, rbf_predictor

PathLike = Union[str, Path]


class SplitKind(Choice):
    """How the points are dealt into cross-validation folds."""

    RANDOM = "random", "random K-fold (flatters methods on dense points)"
    BLOCK = "block", "spatial block K-fold (whole blocks held out)"
    BOTH = "both", "both, on the same points"


class ComparedMethod(Choice):
    """Interpolators the comparison can score."""

    CNN = "cnn", "patch CNN over the driving forces"
    KRIGING = "kriging", "ordinary kriging"
    IDW = "idw", "inverse distance weighting"
    RBF = "rbf", "radial basis functions"


@dataclass
class CompareOptions(Options):
    """Options of :func:`compare_interpolators`."""

    split: SplitKind = option(SplitKind.BOTH, help="Cross-validation splits scored")
    folds: int = option(
        5, help="Folds per split: each point is predicted once, out of fold", minimum=2, maximum=20
    )
    block_size: Optional[float] = option(
        None,
        help="Side of the square blocks of the spatial split, in map units; empty = "
        "block_patch_widths CNN patch widths, or 1/8 of the extent without drivers",
        unit="map units",
        minimum=1e-9,
    )
    block_patch_widths: float = option(
        5.0, help="Default block side in CNN patch widths", minimum=0.01
    )
    seed: int = option(0, help="Random seed of the folds", minimum=0)
    methods: Tuple[ComparedMethod, ...] = option(
        tuple(ComparedMethod), help="Methods scored (the CNN only with a driver stack)"
    )
    kriging: KrigingOptions = option(factory=KrigingOptions, help="Kriging settings")
    idw: IdwOptions = option(factory=IdwOptions, help="Inverse distance weighting settings")
    rbf: RbfOptions = option(factory=RbfOptions, help="Radial basis function settings")
    cnn: CnnOptions = option(
        # every fold of every split trains one network: fewer epochs than a single training
        factory=lambda: CnnOptions(epochs=50),
        help="CNN settings",
    )


@dataclass
class DrivingForces:
    """A driving-force stack (bands, rows, cols) on ``grid``."""

    stack: np.ndarray
    grid: Grid
    names: List[str]


def split_kinds(split: str) -> Tuple[SplitKind, ...]:
    """The splits ``split`` names: ``both`` is random and block."""
    split = SplitKind.parse(split, "split")
    if split == SplitKind.BOTH:
        return (SplitKind.RANDOM, SplitKind.BLOCK)
    return (split,)


def random_folds(n: int, folds: int, seed: int) -> np.ndarray:
    """Fold number (0..folds-1) of each point, balanced, at random."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n) % folds)


def block_ids(xy: np.ndarray, block_size: float) -> np.ndarray:
    """Integer id of the square block (side ``block_size``) holding each point."""
    origin = xy.min(axis=0)
    cell = np.floor((xy - origin) / block_size).astype(np.int64)
    return cell[:, 0] * (int(cell[:, 1].max()) + 1) + cell[:, 1]


def block_folds(xy: np.ndarray, block_size: float, folds: int, seed: int) -> np.ndarray:
    """Fold of each point: whole blocks are dealt to folds at random (balanced by count of
    blocks), so no block holds points of two folds."""
    if block_size <= 0:
        raise InputError("the block size must be positive.", None, "give a size in map units.")
    ids = block_ids(xy, block_size)
    unique = np.unique(ids)
    if len(unique) < folds:
        raise InputError(
            f"only {len(unique)} blocks of {block_size:g} map units hold points, "
            f"fewer than {folds} folds.",
            None,
            "use a smaller block size or fewer folds.",
        )
    rng = np.random.default_rng(seed)
    fold_of_block = dict(
        zip(
            rng.permutation(unique).tolist(), (np.arange(len(unique)) % folds).tolist(), strict=True
        )
    )
    return np.array([fold_of_block[i] for i in ids.tolist()])


def default_block_size(xy: np.ndarray, options: CompareOptions, grid: Optional[Grid]) -> float:
    """``block_patch_widths`` CNN patch widths on the driving-force grid; without driving
    forces, one eighth of the larger side of the points' extent."""
    if options.block_size:
        return float(options.block_size)
    if grid is not None:
        return options.block_patch_widths * options.cnn.patch_size * abs(grid.x_step)
    return float(np.ptp(xy, axis=0).max()) / 8.0


def metrics(observed: np.ndarray, predicted: np.ndarray) -> Dict[str, float]:
    ok = np.isfinite(observed) & np.isfinite(predicted)
    o, p = observed[ok], predicted[ok]
    if len(o) == 0:
        return {"rmse": np.nan, "mae": np.nan, "r2": np.nan, "n": 0}
    err = p - o
    ss_tot = float(((o - o.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - float((err**2).sum()) / ss_tot if ss_tot > 0 else np.nan,
        "n": int(len(o)),
    }


def paired_tests(observed: np.ndarray, predictions: Dict[str, np.ndarray]) -> List[Dict]:
    """Wilcoxon signed-rank test on |error_a| - |error_b| for each pair of methods."""
    from scipy.stats import wilcoxon

    rows = []
    for a, b in itertools.combinations(sorted(predictions), 2):
        ea, eb = np.abs(predictions[a] - observed), np.abs(predictions[b] - observed)
        ok = np.isfinite(ea) & np.isfinite(eb)
        diff = ea[ok] - eb[ok]
        p = float(wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
        rows.append(
            {
                "method_a": a,
                "method_b": b,
                "n": int(ok.sum()),
                "median_abs_err_a": float(np.median(ea[ok])) if ok.any() else np.nan,
                "median_abs_err_b": float(np.median(eb[ok])) if ok.any() else np.nan,
                "p_value": p,
            }
        )
    return rows


def _fitter(
    method: str,
    options: CompareOptions,
    driving_forces: Optional[DrivingForces],
    progress: ProgressCallback,
) -> Callable:
    """``fit(xy, values) -> predict(query_xy)`` for one method."""
    method = ComparedMethod.parse(method, "method")
    if method == ComparedMethod.KRIGING:
        return lambda xy, v: kriging_predictor(xy, v, options.kriging)
    if method == ComparedMethod.IDW:
        return lambda xy, v: idw_predictor(xy, v, options.idw)
    if method == ComparedMethod.RBF:
        return lambda xy, v: rbf_predictor(xy, v, options.rbf)
    from .cnn import train_cnn

    def fit(xy, v):
        model = train_cnn(
            driving_forces.stack,
            driving_forces.grid,
            xy,
            v,
            options.cnn,
            driving_forces.names,
            progress,
        )
        return lambda q: model.predict_points(driving_forces.stack, driving_forces.grid, q)

    return fit


@dataclass
class Comparison:
    xy: np.ndarray
    observed: np.ndarray
    folds: Dict[str, np.ndarray]  # split -> fold of each point
    predictions: Dict[str, Dict[str, np.ndarray]]  # split -> method -> out-of-fold
    block_size: float

    def table(self) -> List[Dict]:
        return [
            dict(method=m, split=s, **metrics(self.observed, p))
            for s, by_method in self.predictions.items()
            for m, p in by_method.items()
        ]

    def tests(self) -> List[Dict]:
        return [
            dict(split=s, **row)
            for s, by_method in self.predictions.items()
            for row in paired_tests(self.observed, by_method)
        ]


def compare_interpolators(
    xy: np.ndarray,
    values: np.ndarray,
    driving_forces: Optional[DrivingForces] = None,
    options: Optional[CompareOptions] = None,
    progress: ProgressCallback = silent,
) -> Comparison:
    """Out-of-fold predictions of every method on identical folds, per split kind.

    With driving forces, only points on the driving-force grid are used (by every method, so
    the sets stay identical); without them the CNN is skipped.
    """
    options = options or CompareOptions()
    xy = np.asarray(xy, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values) & np.isfinite(xy).all(axis=1)
    methods = [m for m in options.methods if m != ComparedMethod.CNN or driving_forces is not None]
    if driving_forces is not None:
        rows, cols = driving_forces.grid.rowcol(xy[:, 0], xy[:, 1])
        keep &= driving_forces.grid.contains(rows, cols)
    xy, values = xy[keep], values[keep]
    if len(values) < 5 * options.folds:
        raise InputError(
            f"only {len(values)} usable points for {options.folds} folds.",
            None,
            "give more points (inside the driving-force grid) or fewer folds.",
        )
    if not methods:
        raise InputError("no method to compare.", None, "choose at least one method.")
    block_size = default_block_size(xy, options, driving_forces.grid if driving_forces else None)
    kinds = split_kinds(options.split)
    folds = {}
    for kind in kinds:
        folds[kind] = (
            random_folds(len(values), options.folds, options.seed)
            if kind == SplitKind.RANDOM
            else block_folds(xy, block_size, options.folds, options.seed)
        )
    predictions: Dict[str, Dict[str, np.ndarray]] = {k: {} for k in kinds}
    jobs = [(k, m, f) for k in kinds for m in methods for f in range(options.folds)]
    for j, (kind, method, fold) in enumerate(jobs):
        part = scaled(progress, j / len(jobs), (j + 1) / len(jobs))
        report(part, 0.0, f"{kind} split, fold {fold + 1}/{options.folds}: {method}")
        test = folds[kind] == fold
        out = predictions[kind].setdefault(method, np.full(len(values), np.nan))
        predict = _fitter(method, options, driving_forces, part)(xy[~test], values[~test])
        out[test] = predict(xy[test])
    report(progress, 1.0, "Comparison done")
    return Comparison(xy, values, folds, predictions, block_size)


def _write_csv(path: PathLike, rows: Sequence[Dict], columns: Sequence[str]) -> Path:
    from ..atomic import csv_output

    with csv_output(path, fieldnames=list(columns), extrasaction="ignore") as writer:
        for row in rows:
            writer.writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )
    return Path(path)


TABLE_COLUMNS = ("method", "split", "rmse", "mae", "r2", "n")
TEST_COLUMNS = (
    "split",
    "method_a",
    "method_b",
    "n",
    "median_abs_err_a",
    "median_abs_err_b",
    "p_value",
)


def write_comparison(
    comparison: Comparison,
    table_path: PathLike,
    folder: Optional[PathLike],
    epsg: Optional[int],
    wkt: Optional[str] = None,
) -> Dict[str, Path]:
    """Metrics CSV; in ``folder``: paired_tests.csv and errors_<split>.gpkg (held-out points
    with OBS, FOLD, PRED_<METHOD>, ERR_<METHOD> = predicted - observed)."""
    from ..io.point_layers import PointSeries, write_points

    written = {"table": _write_csv(table_path, comparison.table(), TABLE_COLUMNS)}
    if folder:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written["tests"] = _write_csv(folder / "paired_tests.csv", comparison.tests(), TEST_COLUMNS)
        for kind, by_method in comparison.predictions.items():
            fields = {"OBS": comparison.observed, "FOLD": comparison.folds[kind].astype(np.int64)}
            for method, pred in by_method.items():
                fields[f"PRED_{method.upper()}"] = pred
                fields[f"ERR_{method.upper()}"] = pred - comparison.observed
            layer = PointSeries(
                comparison.xy[:, 0],
                comparison.xy[:, 1],
                epsg,
                [],
                np.zeros((len(comparison.observed), 0)),
                fields,
                wkt,
            )
            written[f"errors_{kind}"] = write_points(
                folder / f"errors_{kind}.gpkg", layer, f"errors_{kind}"
            )
    return written
