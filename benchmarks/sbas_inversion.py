"""Benchmark: SBAS inversion by our engine, MintPy and insar-rs on the same stack, one run.

    .venv/bin/python benchmarks/sbas_inversion.py [--stack demo_output/stack/ifgramStack.h5]
        [--size 64] [--weights none var]

A ``size`` x ``size`` window of the stack (the demo stack by default, else a synthetic one) is
written with a reference pixel, then each engine runs in its own process (so peak memory is
its own): ours (.venv), MintPy's ifgram_inversion and insar-rs (unweighted only) from the peer
venv (.venv-peers, `make peers`). Prints pixels/s, peak resident memory, the speed ratios and
the largest difference to MintPy (m).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
sys.path.insert(0, str(ROOT))

OURS = ROOT / ".venv" / "bin" / "python"
PEERS = ROOT / ".venv-peers" / "bin" / "python"
MINTPY_RUNNER = ROOT / "tests" / "core" / "sbas_peer_mintpy.py"
MINTPY_WEIGHT = {"none": "no", "coherence": "coh", "fim": "fim", "var": "var"}

OURS_CODE = """
import json, resource, sys, time
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.timeseries.sbas import inversion as si
import h5py, scipy.sparse  # imported before the clock, as MintPy's modules are
started = time.perf_counter()
si.invert_stack({stack!r}, {ts!r}, {tcoh!r}, si.InversionOptions(weight={weight!r},
                memory_mb={memory}, mask_coherence={mask}))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

INSAR_RS_CODE = """
import json, resource, time
import h5py, numpy as np, insar_rs
started = time.perf_counter()
with h5py.File({stack!r}, "r") as f:
    raw = f["unwrapPhase"][()]
    dates = sorted({{d for pair in f["date"][()] for d in pair}})
    index = {{d: i for i, d in enumerate(dates)}}
    refs = np.array([index[a] for a, b in f["date"][()]])
    secs = np.array([index[b] for a, b in f["date"][()]])
    ref_y, ref_x = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
import datetime as dt
days = np.array([(dt.datetime.strptime(d.decode(), "%Y%m%d") -
                  dt.datetime.strptime(dates[0].decode(), "%Y%m%d")).days for d in dates])
phase = np.where(raw != 0, raw - raw[:, ref_y:ref_y + 1, ref_x:ref_x + 1], np.nan)
ts = insar_rs.invert_sbas(phase.astype(np.float32), refs, secs, days, wavelength_m={wavelength})
tcoh = insar_rs.temporal_coherence(phase.astype(np.float32), ts, refs, secs, days,
                                   wavelength_m={wavelength})
seconds = time.perf_counter() - started
np.save({out!r}, ts)
print(json.dumps({{"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def write_window(source: Path, target: Path, size: int) -> Path:
    """Copy a central size x size window of a stack with a reference pixel set."""
    import h5py

    from insar_subsidence.core.io.mintpy import IfgramStack, write_ifgram_stack

    stack = IfgramStack.open(source)
    r0 = max(0, stack.grid.length // 2 - size // 2)
    c0 = max(0, stack.grid.width // 2 - size // 2)
    rows, cols = slice(r0, r0 + size), slice(c0, c0 + size)
    phase = stack.read("unwrapPhase", rows)[:, :, cols]
    coherence = stack.read("coherence", rows)[:, :, cols]
    score = np.where(
        np.all(np.isfinite(phase) & (phase != 0), axis=0), np.nanmean(coherence, axis=0), -1
    )
    ref_y, ref_x = np.unravel_index(int(np.argmax(score)), score.shape)
    attrs = {
        k: v
        for k, v in stack.attrs.items()
        if k not in ("LENGTH", "WIDTH", "X_FIRST", "Y_FIRST", "FILE_TYPE")
    }
    attrs.update(REF_Y=int(ref_y), REF_X=int(ref_x))
    grid = stack.grid.window(r0, r0 + phase.shape[1], c0, c0 + phase.shape[2])
    write_ifgram_stack(
        target, grid, stack.pairs, stack.bperp, phase, coherence, attrs=attrs, keep=stack.keep
    )
    with h5py.File(target, "r") as f:
        assert f["unwrapPhase"].shape[1:] == (phase.shape[1], phase.shape[2])
    return target


def synthetic_stack(target: Path, size: int) -> Path:
    from insar_subsidence.core.grid import Grid
    from tests.core.sbas_synthetic import (
        make_dates,
        small_baseline_pairs,
        truth_displacement,
        write_stack,
    )

    grid = Grid(500000.0, 4000000.0, 30.0, -30.0, width=size, length=size, epsg=32633)
    dates = make_dates(60)
    pairs = small_baseline_pairs(dates, 3)
    truth = truth_displacement(dates, grid)
    return write_stack(target, dates, pairs, truth, noise_rad=0.5, grid=grid, ref_yx=(size // 2, 0))


def run_json(command) -> dict:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--stack", type=Path, default=ROOT / "demo_output" / "stack" / "ifgramStack.h5"
    )
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--weights", nargs="*", default=["none", "var"])
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument(
        "--mask-coherence",
        type=float,
        default=0.0,
        help="mask interferogram pixels below this coherence (both engines)",
    )
    args = parser.parse_args(argv)
    from insar_subsidence.core.io.mintpy import IfgramStack, read_dataset, read_timeseries

    work = Path(tempfile.mkdtemp(prefix="sbas_bench_"))
    stack = work / "ifgramStack.h5"
    if args.stack.exists():
        write_window(args.stack, stack, args.size)
        origin = f"window of {args.stack}"
    else:
        synthetic_stack(stack, args.size)
        origin = "synthetic stack"
    info = IfgramStack.open(stack)
    pixels = info.grid.length * info.grid.width
    print(
        f"{origin}: {info.grid.length} x {info.grid.width} = {pixels} pixels, "
        f"{int(info.keep.sum())} pairs, {len(info.dates)} dates"
    )
    has_peers = PEERS.exists()
    rows = []
    for weight in args.weights:
        ts = work / f"ts_{weight}.h5"
        ours = run_json(
            [
                str(OURS),
                "-c",
                OURS_CODE.format(
                    plugins=str(ROOT / "build" / "qgis_plugins"),
                    stack=str(stack),
                    ts=str(ts),
                    tcoh=str(work / f"tcoh_{weight}.h5"),
                    weight=weight,
                    memory=args.memory_mb,
                    mask=args.mask_coherence,
                ),
            ]
        )
        rows.append(("ours", weight, ours))
        if has_peers:
            out = work / f"mintpy_{weight}.npz"
            mask = ["coherence", str(args.mask_coherence)] if args.mask_coherence else ["none", "0"]
            subprocess.run(
                [
                    str(PEERS),
                    str(MINTPY_RUNNER),
                    str(stack),
                    MINTPY_WEIGHT[weight],
                    "1",
                    *mask,
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            peer = np.load(out)
            rows.append(
                (
                    "mintpy",
                    weight,
                    {"seconds": float(peer["seconds"]), "peak_mb": float(peer["peak_mb"])},
                )
            )
            data = read_timeseries(ts).data
            count, _ = read_dataset(work / f"tcoh_{weight}.h5", "numInvIfgram")
            # MintPy also drops a phase equal to the reference pixel's (zero once referenced)
            same = count == peer["num"]
            both = (peer["num"] > 0) & np.isfinite(data).all(axis=0) & same
            diff = np.abs(data[:, both] - peer["ts"][:, both]).max() if both.any() else np.nan
            partly = int(((peer["num"] == 0) & (count > 0)).sum())
            other = int(((count != peer["num"]) & (peer["num"] > 0)).sum())
            print(
                f"  {weight}: max |ours - MintPy| = {diff:.2e} m over {int(both.sum())} pixels; "
                f"{partly} pixels MintPy leaves out (a date without pairs) solved up to the "
                f"cut here; {other} pixels using other pairs (split network cut here, or a "
                "phase equal to the reference pixel's, which MintPy drops)"
            )
            if weight == "none" and not args.mask_coherence:
                out_rs = work / "insar_rs.npy"
                rs = run_json(
                    [
                        str(PEERS),
                        "-c",
                        INSAR_RS_CODE.format(
                            stack=str(stack), wavelength=info.wavelength, out=str(out_rs)
                        ),
                    ]
                )
                rows.append(("insar-rs", weight, rs))
    print(f"\n{'engine':10s} {'weight':7s} {'seconds':>9s} {'pixels/s':>11s} {'peak MB':>9s}")
    speed = {}
    for engine, weight, result in rows:
        rate = pixels / result["seconds"]
        speed[(engine, weight)] = rate
        print(
            f"{engine:10s} {weight:7s} {result['seconds']:9.2f} {rate:11.0f} "
            f"{result['peak_mb']:9.0f}"
        )
    print()
    for weight in args.weights:
        if ("mintpy", weight) in speed:
            print(
                f"ours / MintPy ({weight}): "
                f"{speed[('ours', weight)] / speed[('mintpy', weight)]:.1f}x"
            )
    if ("insar-rs", "none") in speed:
        print(
            f"ours / insar-rs (none): {speed[('ours', 'none')] / speed[('insar-rs', 'none')]:.1f}x"
        )
    if not has_peers:
        print("peer venv .venv-peers missing: run `make peers` for MintPy and insar-rs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
