"""Interpolator comparison on REAL EGMS points (opt-in; reads the EGMS CSVs given on the
command line, by default the shared test data of this project).

Value: ``mean_velocity`` (mm/yr; L3 = vertical, L2b = LOS). Baselines (kriging, IDW, RBF) use
the point values only. The CNN needs driving forces and EGMS ships none, so its driving forces are
terrain only: a DEM interpolated (IDW) from the points' own ``height_ortho`` onto a regular
grid in EPSG:3035, then altitude, slope, aspect, SPI and TWI. That DEM is derived from the
same points, so the CNN here tests the method, not the paper's nine-driver setting.

    .venv/bin/python benchmarks/interpolation_egms.py [--output /tmp/egms_interp]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/ holds modules named like the standard library's (profile.py): not on the path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.grid import Grid  # noqa: E402
from insar_subsidence.core.interpolation.cnn import CnnOptions  # noqa: E402
from insar_subsidence.core.interpolation.evaluation import (  # noqa: E402
    CompareOptions,
    DrivingForces,
    compare_interpolators,
    write_comparison,
)
from insar_subsidence.core.interpolation.idw import IdwOptions, idw_predictor  # noqa: E402
from insar_subsidence.core.interpolation.terrain import terrain_indices  # noqa: E402

DATA = Path("/work/shared/data/egms")
PRODUCTS = {  # file, cell size of the DEM grid (m), CNN patch (cells), block size (m)
    "L3": ("EGMS_L3_E45N17_100km_U_2020_2024_1.csv", 100.0, 8, 600.0),
    "L2b": ("EGMS_L2b_022_0845_IW2_VV_2020_2024_1.csv.gz", 25.0, 16, 500.0),
}


def read_egms(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        rows = list(csv.DictReader(handle))
    get = lambda key: np.array([float(r[key]) for r in rows])  # noqa: E731
    return (
        np.column_stack([get("easting"), get("northing")]),
        get("mean_velocity"),
        get("height_ortho"),
    )


def height_driving_forces(xy, height, cell):
    xmin, ymin = xy.min(0) - cell
    xmax, ymax = xy.max(0) + cell
    grid = Grid(
        float(xmin),
        float(ymax),
        cell,
        -cell,
        int(np.ceil((xmax - xmin) / cell)),
        int(np.ceil((ymax - ymin) / cell)),
        3035,
    )
    rows, cols = np.indices(grid.shape)
    gx, gy = grid.xy(rows, cols)
    dem = idw_predictor(xy, height, IdwOptions(power=2, neighbours=8))(
        np.column_stack([gx.ravel(), gy.ravel()])
    ).reshape(grid.shape)
    indices = terrain_indices(dem, grid)
    names = ["altitude", "slope", "aspect", "spi", "twi"]
    indices["altitude"] = dem.astype(np.float32)
    return DrivingForces(np.stack([indices[n] for n in names]), grid, names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--output", type=Path, default=Path("/tmp/egms_interpolation"))
    parser.add_argument("--products", nargs="+", default=list(PRODUCTS))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    for product in args.products:
        name, cell, patch, block = PRODUCTS[product]
        xy, velocity, height = read_egms(args.data / name)
        driving_forces = height_driving_forces(xy, height, cell)
        options = CompareOptions(
            split="both",
            folds=args.folds,
            block_size=block,
            seed=0,
            cnn=CnnOptions(
                patch_size=patch,
                conv_channels=(8, 16, 32),
                dense=(256, 128),
                learning_rate=1e-3,
                epochs=args.epochs,
                patience=5,
                seed=0,
            ),
        )
        started = time.time()
        comparison = compare_interpolators(xy, velocity, driving_forces, options)
        folder = args.output / product
        write_comparison(comparison, folder / "comparison.csv", folder, 3035)
        print(
            f"\n{product}: {len(velocity)} points, velocity std {velocity.std():.2f} mm/yr, "
            f"DEM {driving_forces.grid.width}x{driving_forces.grid.length} @ {cell:g} m, "
            f"patch {patch}, "
            f"block {block:g} m, {args.folds} folds, {time.time() - started:.0f} s"
        )
        print(f"{'method':8s} {'split':6s} {'rmse':>7s} {'mae':>7s} {'r2':>7s}")
        for row in comparison.table():
            print(
                f"{row['method']:8s} {row['split']:6s} {row['rmse']:7.3f} {row['mae']:7.3f} "
                f"{row['r2']:7.3f}"
            )
        for row in comparison.tests():
            if "cnn" in (row["method_a"], row["method_b"]) or row["method_a"] == "idw":
                print(
                    f"  wilcoxon {row['split']:6s} {row['method_a']} vs {row['method_b']}: "
                    f"p = {row['p_value']:.2g}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
