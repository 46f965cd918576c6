"""Forecasting speed: our VMD against vmdpy in the same run (time and peak memory), network
training time per series, and series per second for batched forecasting.

    .venv/bin/python benchmarks/forecast.py     (needs .venv-peers with vmdpy for the ratio)
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.prediction.evaluation import ForecastOptions, forecast_series  # noqa: E402
from insar_subsidence.core.prediction.models import RecurrentNetworkOptions, fit_networks  # noqa: E402
from insar_subsidence.core.prediction.vmd import VMDOptions, vmd  # noqa: E402

PEER = ROOT / ".venv-peers" / "bin" / "python"
PEER_SCRIPT = """
import json, sys, time, tracemalloc, numpy as np
from vmdpy import VMD
d = json.load(sys.stdin); x = np.array(d['x'])
VMD(x[:64], 2000, 0, d['K'], 0, 1, 1e-7)
tracemalloc.start(); t = time.perf_counter()
for _ in range(d['repeat']):
    u, _, om = VMD(x, 2000, 0, d['K'], 0, 1, d['tol'])
s = (time.perf_counter() - t) / d['repeat']; peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({'s': s, 'peak': peak, 'iters': len(om)}))
"""


def signal(n: int) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(0)
    return -0.05 * t + 3 * np.sin(2 * np.pi * t / 30.4) + rng.normal(0, 1, n)


def bench_vmd() -> None:
    print("VMD, K=5, alpha=2000, tau=0, uniform init")
    for n, tol in ((210, 1e-7), (2000, 1e-7), (2000, 0.0)):
        x = signal(n)
        repeat = 5 if n < 1000 else 2
        vmd(x[:64], VMDOptions())
        tracemalloc.start()
        started = time.perf_counter()
        for _ in range(repeat):
            ours = vmd(x, VMDOptions(n_modes=5, tol=tol, max_iter=499))
        seconds = (time.perf_counter() - started) / repeat
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        line = (
            f"  N={n:5d} tol={tol:g}: ours {seconds * 1e3:8.1f} ms, peak {peak / 1e6:7.2f} MB, "
            f"{int(ours.iterations)} iterations"
        )
        if PEER.exists():
            run = subprocess.run(
                [str(PEER), "-c", PEER_SCRIPT],
                capture_output=True,
                text=True,
                input=json.dumps({"x": x.tolist(), "K": 5, "tol": tol, "repeat": repeat}),
            )
            if run.returncode == 0:
                peer = json.loads(run.stdout)
                line += (
                    f" | vmdpy {peer['s'] * 1e3:8.1f} ms, peak {peer['peak'] / 1e6:7.2f} MB"
                    f" | speed x{peer['s'] / seconds:.2f}, memory /{peer['peak'] / peak:.0f}"
                )
        print(line)
    rows = np.stack([signal(210) + i for i in range(200)])
    started = time.perf_counter()
    vmd(rows, VMDOptions(n_modes=5))
    batch = time.perf_counter() - started
    print(f"  200 series x 210 in one batched call: {batch:.2f} s ({200 / batch:.0f} series/s)")


def bench_networks() -> None:
    import torch

    torch.set_num_threads(2)
    series = np.stack([signal(210) * (1 + 0.01 * i) for i in range(1000)])
    for cell in ("lstm", "gru"):
        for m in (1, 100, 1000):
            started = time.perf_counter()
            fit_networks(
                series[:m, :168], RecurrentNetworkOptions(cell=cell, epochs=100, patience=1000)
            )
            seconds = time.perf_counter() - started
            print(
                f"  {cell} train 100 epochs, {m:4d} series together: {seconds:6.2f} s "
                f"({seconds / m * 1e3:7.1f} ms per series)"
            )
    dates = [dt.date(2020, 1, 3) + dt.timedelta(days=6 * i) for i in range(210)]
    for model in ("gru", "vmd_gru", "harmonic"):
        n = 1000 if model != "vmd_gru" else 50
        options = ForecastOptions(horizon=10)
        started = time.perf_counter()
        forecast_series(dates, series[:n], model, options)
        seconds = time.perf_counter() - started
        print(
            f"  forecast {model:9s} {n} series x 210 dates, horizon 10, ensemble "
            f"{options.model.ensemble}: {seconds:6.1f} s = {n / seconds:7.1f} series/s"
        )


if __name__ == "__main__":
    bench_vmd()
    print("Networks (CPU, torch threads 2)")
    bench_networks()
