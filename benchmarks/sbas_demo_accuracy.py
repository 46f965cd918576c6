"""Accuracy of the demo SBAS velocity against the scene truth, per region, and bowl peak rates.

    .venv/bin/python benchmarks/sbas_demo_accuracy.py [--demo demo_output]
        [--velocity demo_output/sbas/velocity.tif]

Regions: stable (|truth| < 2 mm/yr), bowls (truth <= -10 mm/yr), low coherence (mean
interferogram coherence < 0.35). Both maps are LOS mm/yr; the truth is referenced to the
time series' reference pixel (REF_Y/REF_X) like the estimate. Bowl peak = the most negative
rate within each bowl's radius (bowls.csv) in truth and estimate.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))


def mean_coherence(stack_path: Path) -> np.ndarray:
    from insar_subsidence.core.io.mintpy import IfgramStack

    stack = IfgramStack.open(stack_path)
    total = np.zeros(stack.grid.shape)
    for k in np.flatnonzero(stack.keep):
        total += np.nan_to_num(stack.read("coherence", pairs=[k])[0])
    return total / max(1, int(stack.keep.sum()))


def main(argv=None) -> int:
    from insar_subsidence.core.io.geotiff import read_raster
    from insar_subsidence.core.io.mintpy import read_attrs

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, default=ROOT / "demo_output")
    parser.add_argument("--velocity", type=Path, default=None)
    parser.add_argument(
        "--by-coherence", action="store_true", help="also print the error by temporal-coherence bin"
    )
    args = parser.parse_args(argv)
    sbas = args.demo / "sbas"
    velocity_path = args.velocity or sbas / "velocity.tif"
    estimate, grid = read_raster(velocity_path)
    truth, _ = read_raster(args.demo / "scene" / "truth" / "truth_velocity_los.tif")
    series = sbas / "timeseries_corrected.h5"
    series = series if series.exists() else sbas / "timeseries.h5"
    attrs = read_attrs(series)
    ref_y, ref_x = int(attrs["REF_Y"]), int(attrs["REF_X"])
    truth = truth - truth[ref_y, ref_x]
    coherence = mean_coherence(args.demo / "stack" / "ifgramStack.h5")
    error = estimate - truth
    regions = {
        "stable": np.abs(truth) < 2,
        "bowls": truth <= -10,
        "low coherence": coherence < 0.35,
        "all": np.ones(truth.shape, bool),
    }
    print(f"{velocity_path.name} vs truth (LOS mm/yr, referenced at row {ref_y}, col {ref_x})")
    print(
        f"{'region':14s} {'pixels':>7s} {'valid %':>8s} {'bias':>7s} {'RMSE':>7s} "
        f"{'MAE':>7s} {'P95|err|':>9s}"
    )
    for name, region in regions.items():
        valid = region & np.isfinite(estimate)
        e = error[valid]
        if not e.size:
            print(f"{name:14s} {int(region.sum()):7d}     no valid estimate")
            continue
        print(
            f"{name:14s} {int(region.sum()):7d} {100 * valid.sum() / max(1, region.sum()):8.1f} "
            f"{e.mean():7.2f} {np.sqrt(np.mean(e**2)):7.2f} {np.mean(np.abs(e)):7.2f} "
            f"{np.percentile(np.abs(e), 95):9.2f}"
        )
    print(
        "\nbowl peak rates: mean over the bowl core (truth <= 80 % of its peak within the "
        "bowl radius), where the estimate is valid"
    )
    x, y = grid.xy(*np.mgrid[0 : grid.length, 0 : grid.width])
    with open(args.demo / "scene" / "truth" / "bowls.csv") as handle:
        for bowl in csv.DictReader(handle):
            inside = np.hypot(x - float(bowl["x"]), y - float(bowl["y"])) <= float(bowl["radius_m"])
            peak_truth = np.nanmin(np.where(inside, truth, np.nan))
            core = inside & (truth <= 0.8 * peak_truth)
            valid = core & np.isfinite(estimate)
            if not valid.any():
                print(f"  {bowl['name']:14s} no valid estimate in the core ({int(core.sum())} px)")
                continue
            core_truth, core_est = truth[valid].mean(), estimate[valid].mean()
            print(
                f"  {bowl['name']:14s} peak {peak_truth:6.1f}  core truth {core_truth:6.1f}  "
                f"estimate {core_est:6.1f}  "
                f"error {100 * (core_est - core_truth) / abs(core_truth):+5.1f} %"
                f"  ({int(valid.sum())}/{int(core.sum())} core pixels valid)"
            )
    if args.by_coherence:
        tcoh_path = sbas / "temporalCoherence.h5"
        from insar_subsidence.core.io.mintpy import read_dataset

        tcoh, _ = read_dataset(tcoh_path, "temporalCoherence")
        print("\nerror by temporal coherence (all pixels)")
        for lo, hi in ((0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)):
            sel = (tcoh >= lo) & (tcoh < hi) & np.isfinite(estimate)
            if sel.any():
                print(
                    f"  {lo:.1f}-{min(hi, 1):.1f}: {int(sel.sum()):6d} px  RMSE "
                    f"{np.sqrt(np.mean(error[sel] ** 2)):5.2f}  P95 "
                    f"{np.percentile(np.abs(error[sel]), 95):5.2f} mm/yr"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
