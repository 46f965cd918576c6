"""Forecasts at burst size: the global GRU (one network for all points) against per-series GRU
and VMD-GRU on real EGMS L2b series (the shared Ustica file), in one run.

    .venv/bin/python benchmarks/forecast_global.py [--points 1000 10000] [--per-series 200]
        [--vmd 10] [--accuracy 1000] [--threads 0]

Speed: series per second end to end (``forecast_series``, horizon 6, ensemble 5) for the global
GRU at each ``--points``, and for the per-series models on their first ``--per-series`` /
``--vmd`` points (they cost the same per series at any count); ratios global / per-series.
Accuracy: one-step-ahead RMSE, MAE and MAPE on the test split (last 20 % of dates, never seen
in training) of global GRU, per-series GRU and persistence on the same ``--accuracy`` points.
Peak resident memory of the process at the end; load average before and after (shared cores
slow every rate). torch is imported before the timed runs (its import, once per process, is
printed apart). ``--threads``: torch CPU threads of every
network (0: the plugin's default, half the cores).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

EGMS = Path("/work/shared/data/egms/EGMS_L2b_022_0845_IW2_VV_2020_2024_1.csv.gz")


def read_egms(path: Path, count: int):
    """The first ``count`` series of an EGMS CSV: dates and (count, N) displacement in mm."""
    import datetime as dt

    with gzip.open(path, "rt") as f:
        reader = csv.reader(f)
        header = next(reader)
        columns = [i for i, name in enumerate(header) if name.isdigit() and len(name) == 8]
        rows = [
            [float(row[i]) for i in columns] for _, row in zip(range(count), reader, strict=False)
        ]
    dates = [dt.datetime.strptime(header[i], "%Y%m%d").date() for i in columns]
    return dates, np.array(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--per-series", type=int, default=200)
    parser.add_argument("--vmd", type=int, default=10)
    parser.add_argument("--accuracy", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    from dataclasses import replace

    from insar_subsidence.core.conventions import years_since
    from insar_subsidence.core.prediction.evaluation import (
        ForecastOptions,
        error_metrics,
        forecast_series,
        split_index,
    )
    from insar_subsidence.core.prediction.hybrids import one_step

    largest = max(args.points + [args.per_series, args.vmd, args.accuracy])
    dates, series = read_egms(EGMS, largest)
    print(
        f"{EGMS.name}: {len(series)} series x {len(dates)} dates, "
        f"torch threads {args.threads or 'default (half the cores)'}"
    )
    started = time.perf_counter()
    import torch  # noqa: F401

    print(
        f"torch import {time.perf_counter() - started:.1f} s; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    options = ForecastOptions(horizon=6)
    options.model.network = replace(options.model.network, threads=args.threads)
    rate = {}
    for model, counts in (
        ("global_gru", args.points),
        ("gru", [args.per_series]),
        ("vmd_gru", [args.vmd]),
    ):
        for count in counts:
            started = time.perf_counter()
            result = forecast_series(dates, series[:count], model, options)
            seconds = time.perf_counter() - started
            assert result.model == model and np.isfinite(result.mean).all()
            rate[(model, count)] = count / seconds
            print(
                f"  forecast {model:10s} {count:6d} series: {seconds:8.1f} s = "
                f"{count / seconds:8.1f} series/s"
            )
    gru = rate[("gru", args.per_series)]
    vmd_gru = rate[("vmd_gru", args.vmd)]
    for count in args.points:
        print(
            f"global / per-series GRU at {count} series: {rate[('global_gru', count)] / gru:.0f}x;"
            f" global / VMD-GRU: {rate[('global_gru', count)] / vmd_gru:.0f}x"
        )
    y = series[: args.accuracy]
    n_train = split_index(y.shape[1], options.test_fraction)
    years = years_since(dates)
    model_options = options.seeded()
    print(f"\nOne-step test split ({len(dates) - n_train} dates) on {len(y)} series (mm)")
    print(f"{'model':12s} {'RMSE':>8s} {'MAE':>8s} {'MAPE %':>8s} {'seconds':>8s}")
    for model in ("global_gru", "gru", "persistence"):
        started = time.perf_counter()
        predicted, _ = one_step(model, y, years, n_train, model_options)
        seconds = time.perf_counter() - started
        m = error_metrics(y[:, n_train:], predicted[:, n_train:])
        print(f"{model:12s} {m['rmse']:8.3f} {m['mae']:8.3f} {m['mape']:8.1f} {seconds:8.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory {peak:.0f} MB, load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
