"""Onset of subsidence (subsidence:onset) on synthetic series: detection rate and date error
by size of the rate change, false alarms on noise, steps found, and series per second.

    .venv/bin/python benchmarks/onset_detection.py [--series 500]

90 dates 12 days apart, white noise of 3 mm, onsets uniformly between dates 15 and 75.

Peer, measured in the same run: the hinge y = a + b t + c max(t - tau, 0) fitted to each
series with ``scipy.optimize.curve_fit`` (tau free, started mid-series), the usual way to date a
change of rate. It has no significance test, so its date error counts every series, and it
looks for no steps. (ruptures is not installed in .venv-peers.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "build" / "qgis_plugins"))

from insar_subsidence.core.conventions import years_since  # noqa: E402
from insar_subsidence.core.timeseries.onset import OnsetOptions, fit_onsets  # noqa: E402

DATES = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(90)]
NOISE_MM = 3.0


def hinge(t, a, b, c, tau):
    return a + b * t + c * np.maximum(t - tau, 0.0)


def curve_fit_onsets(series: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the acquisition nearest the hinge tau fitted by curve_fit, per series (-1 when
    it did not converge)."""
    import warnings

    from scipy.optimize import OptimizeWarning, curve_fit

    warnings.simplefilter("ignore", OptimizeWarning)

    found = np.full(len(series), -1)
    for k, y in enumerate(series):
        try:
            values, _ = curve_fit(hinge, t, y, p0=[0.0, 0.0, -10.0, t[len(t) // 2]], maxfev=400)
        except RuntimeError:
            continue
        found[k] = int(np.argmin(np.abs(t - values[3])))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=500)
    args = parser.parse_args(argv)
    t = years_since(DATES)
    rng = np.random.default_rng(0)
    options = OnsetOptions()
    print(f"{args.series} series per row, noise {NOISE_MM} mm, false alarm {options.false_alarm}")
    print(
        f"{'rate after (mm/yr)':>18s} {'detected %':>10s} {'median err d':>12s} {'p90 err d':>9s}"
        f" | curve_fit: {'median err d':>12s} {'p90 err d':>9s}"
    )
    ours_seconds = peer_seconds = 0.0
    fit_onsets(rng.normal(0, NOISE_MM, (2, len(DATES))), DATES, options)  # simulate the nulls
    for rate in (-3.0, -6.0, -10.0, -20.0, -40.0, -100.0):
        onsets = rng.integers(15, 75, args.series)
        clean = np.array([np.where(t > t[k], rate * (t - t[k]), 0.0) for k in onsets])
        noisy = clean + rng.normal(0, NOISE_MM, clean.shape)
        started = time.perf_counter()
        fits = fit_onsets(noisy, DATES, options)
        ours_seconds += time.perf_counter() - started
        started = time.perf_counter()
        peer = curve_fit_onsets(noisy, t)
        peer_seconds += time.perf_counter() - started
        peer_errors = np.where(peer >= 0, np.abs(t[peer] - t[onsets]) * 365.25, np.inf)
        errors = np.array(
            [abs((f.onset - DATES[k]).days) for f, k in zip(fits, onsets, strict=True) if f.onset]
        )
        found = 100 * len(errors) / len(fits)
        median = np.median(errors) if errors.size else float("nan")
        p90 = np.percentile(errors, 90) if errors.size else float("nan")
        print(
            f"{rate:18.0f} {found:10.1f} {median:12.0f} {p90:9.0f} | {'':11s}"
            f"{np.median(peer_errors):12.0f} {np.percentile(peer_errors, 90):9.0f}"
        )
    print(
        f"onset time on these {6 * args.series} series: ours {ours_seconds:.2f} s (with the "
        f"test and the step search), curve_fit {peer_seconds:.2f} s: "
        f"{peer_seconds / ours_seconds:.1f}x"
    )
    noise = rng.normal(0, NOISE_MM, (4 * args.series, len(DATES)))
    started = time.perf_counter()
    fits = fit_onsets(noise, DATES, options)
    speed = len(noise) / (time.perf_counter() - started)
    print(
        f"noise only: breakpoints in {100 * np.mean([f.breakpoint is not None for f in fits]):.2f} "
        f"%, steps in {100 * np.mean([len(f.steps) > 0 for f in fits]):.2f} % of the series "
        f"(nominal {100 * options.false_alarm:.0f} % each); {speed:.0f} series/s"
    )
    for size in (-5.0, -10.0, -27.7):
        at = rng.integers(5, 85, args.series)
        jumps = np.where(np.arange(len(DATES))[None] >= at[:, None], size, 0.0)
        fits = fit_onsets(rng.normal(0, NOISE_MM, jumps.shape) + jumps, DATES, options)
        hits = [any(s.index == k for s in f.steps) for f, k in zip(fits, at, strict=True)]
        flagged = [any(s.unwrapping for s in f.steps) for f in fits]
        print(
            f"step {size:+.1f} mm: found at its date in {100 * np.mean(hits):.1f} %, flagged "
            f"as an unwrapping error in {100 * np.mean(flagged):.1f} %"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
