"""Benchmark: psinsar on SLC stacks larger than its memory budget (patches with overlap).

    .venv/bin/python benchmarks/psinsar_patches.py [--budget-mb 256] [--dates 60]
        [--small 512x512] [--large 2048x4096] [--ds-size 256x256] [--ds-budget-mb 48]

Writes synthetic coregistered SLC stacks to /tmp (tiled, uncompressed CFloat32 GeoTIFF;
complex Gaussian clutter with bright point scatterers moving linearly, a subsidence bowl in
the middle). Each run is its own process, so its peak resident memory (RSS) is its own:

- PS, small stack (fits the budget): the whole stack in memory as one patch (how psinsar ran
  before patches, the peer) against the same stack in patches under a tenth of that memory;
  the PS sets must be identical;
- PS, large stack (at least 10x the budget): in patches; peak RSS against the budget and the
  stack size, throughput (pixel-dates per second) against the small whole-stack run;
- DS (homogeneous pixels, adaptive averaging): a small stack whole against in patches under a
  budget at least 10x below its working memory; identical results.

Prints seconds, peak RSS and the ratios. Opt-in (minutes on 2 cores); not part of make test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
OURS = ROOT / ".venv" / "bin" / "python"

RUN_CODE = """
import json, sys, time
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.timeseries.psinsar import PsOptions, run_psinsar
options = PsOptions(memory_mb={memory}, distributed={distributed}, shp_window=(11, 9),
                    incidence_deg=39.0)
started = time.perf_counter()
result = run_psinsar({slc!r}, {dates!r}, {output!r}, options=options)
seconds = time.perf_counter() - started
# VmHWM: this process's own peak (ru_maxrss starts from the parent's RSS at the fork)
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({{"seconds": seconds, "n_ps": result.n_ps, "candidates": result.n_candidates,
                  "peak_mb": int(hwm.split()[1]) / 1024}}))
"""


def write_stack(folder: Path, length: int, width: int, n_dates: int, seed: int = 0) -> tuple:
    """A synthetic stack (tiled 256 x 256, uncompressed) and its dates CSV; returns paths."""
    import datetime as dt

    from osgeo import gdal, osr

    gdal.UseExceptions()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "slc.tif"
    if path.exists() and (folder / "dates.csv").exists():
        return path, folder / "dates.csv"  # kept by an earlier run (--work)
    dates = [dt.date(2020, 1, 5) + dt.timedelta(days=12 * k) for k in range(n_dates)]
    rng = np.random.default_rng(seed)
    bperp = rng.normal(0, 50, n_dates)
    with open(folder / "dates.csv", "w") as f:
        f.write(
            "date,bperp\n"
            + "".join(f"{d:%Y%m%d},{b:.2f}\n" for d, b in zip(dates, bperp, strict=True))
        )
    years = np.arange(n_dates) * 12 / 365.25
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path),
        width,
        length,
        n_dates,
        gdal.GDT_CFloat32,
        ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=YES", "INTERLEAVE=PIXEL"],
    )
    ds.SetGeoTransform((500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    four_pi = 4 * np.pi / 0.0554658
    gain = rng.uniform(0.8, 1.25, n_dates).astype(np.float32)
    for r0 in range(0, length, 128):
        rows = min(128, length - r0)
        block_rng = np.random.default_rng([seed, r0])
        shape = (n_dates, rows, width)
        data = (block_rng.standard_normal(shape, np.float32) * np.float32(0.7)).astype(np.complex64)
        data.imag = block_rng.standard_normal(shape, np.float32) * np.float32(0.7)
        # point scatterers on a jittered 6 x 6 lattice, a bowl of -40 mm/yr LOS in the middle
        ps_r, ps_c = np.mgrid[r0 : r0 + rows : 6, 0:width:6]
        ps_r = np.minimum(ps_r + block_rng.integers(0, 6, ps_r.shape), r0 + rows - 1)
        ps_c = np.minimum(ps_c + block_rng.integers(0, 6, ps_c.shape), width - 1)
        distance2 = ((ps_r - length / 2) / (length / 4)) ** 2 + ((ps_c - width / 2) / (width / 4))
        velocity = -0.04 * np.exp(-0.5 * distance2**2)
        phase = -four_pi * np.outer(years, velocity.ravel())
        phase += block_rng.normal(0, 0.3, phase.shape)
        amplitude = 12.0 * (1 + block_rng.normal(0, 0.05, phase.shape))
        data[:, ps_r.ravel() - r0, ps_c.ravel()] = amplitude * np.exp(1j * phase)
        data *= gain[:, None, None]
        ds.WriteRaster(0, r0, width, rows, data.tobytes(), band_list=list(range(1, n_dates + 1)))
    ds = None
    return path, folder / "dates.csv"


def run(slc: Path, dates: Path, output: Path, memory_mb: float, distributed: bool) -> dict:
    code = RUN_CODE.format(
        plugins=str(ROOT / "build" / "qgis_plugins"),
        memory=memory_mb,
        distributed=distributed,
        slc=str(slc),
        dates=str(dates),
        output=str(output),
    )
    done = subprocess.run(
        [str(OURS), "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="2"),
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["output"] = output
    return result


def same_points(a: Path, b: Path) -> str:
    from insar_subsidence.core.io.point_layers import read_points

    p, q = read_points(a), read_points(b)
    if len(p) != len(q) or not (
        np.array_equal(p.fields["ROW"], q.fields["ROW"])
        and np.array_equal(p.fields["COL"], q.fields["COL"])
    ):
        return f"DIFFERENT point sets ({len(p)} vs {len(q)})"
    velocity = np.max(np.abs(p.fields["VEL"] - q.fields["VEL"])) if len(p) else 0.0
    return f"identical PS set ({len(p)} points), max |VEL difference| {velocity:.1e} mm/yr"


def size(text: str) -> tuple:
    rows, cols = (int(v) for v in text.lower().split("x"))
    return rows, cols


def line(label: str, result: dict, pixel_dates: float) -> str:
    return (
        f"  {label:44s} {result['seconds']:8.1f} s  peak RSS {result['peak_mb']:7.0f} MB  "
        f"{pixel_dates / result['seconds'] / 1e6:6.2f} M pixel-dates/s  "
        f"{result['candidates']} candidates, {result['n_ps']} PS"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget-mb", type=float, default=256.0)
    parser.add_argument("--dates", type=int, default=60)
    parser.add_argument("--small", type=size, default=(512, 512))
    parser.add_argument("--large", type=size, default=(2048, 4096))
    parser.add_argument("--ds-size", type=size, default=(192, 192))
    parser.add_argument("--ds-budget-mb", type=float, default=16.0)
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the stacks, kept and reused (default: a new one "
        "in /tmp, removed at the end)",
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="psinsar_bench_"))
    keep = args.work is not None
    n = args.dates
    try:
        print(f"PS, {n} dates, budget {args.budget_mb:.0f} MiB (stacks in {work})")
        started = time.perf_counter()
        small = write_stack(work / "small_{}x{}x{}".format(*args.small, n), *args.small, n)
        small_mb = args.small[0] * args.small[1] * n * 8 / 2**20
        whole = run(*small, work / "small_whole.gpkg", 4 * small_mb + 512, False)
        tenth = small_mb / 10
        patched = run(*small, work / "small_patched.gpkg", tenth, False)
        px_small = args.small[0] * args.small[1] * n
        print(f"  small stack {args.small[0]} x {args.small[1]}: {small_mb:.0f} MB complex")
        print(line("whole stack in memory (peer)", whole, px_small))
        print(line(f"patches, budget {tenth:.0f} MiB", patched, px_small))
        print(
            f"    patched / whole: time x{patched['seconds'] / whole['seconds']:.2f}, "
            f"peak RSS x{patched['peak_mb'] / whole['peak_mb']:.2f}; "
            + same_points(whole["output"], patched["output"])
        )
        large = write_stack(work / "large_{}x{}x{}".format(*args.large, n), *args.large, n, seed=1)
        large_mb = args.large[0] * args.large[1] * n * 8 / 2**20
        print(
            f"  large stack {args.large[0]} x {args.large[1]}: {large_mb:.0f} MB complex = "
            f"{large_mb / args.budget_mb:.1f}x the budget (written in "
            f"{time.perf_counter() - started:.0f} s with the small one)"
        )
        if not keep:
            shutil.rmtree(small[0].parent)
        big = run(*large, work / "large.gpkg", args.budget_mb, False)
        px_large = args.large[0] * args.large[1] * n
        print(line(f"patches, budget {args.budget_mb:.0f} MiB", big, px_large))
        print(
            f"    peak RSS / budget {big['peak_mb'] / args.budget_mb:.2f}, peak RSS / stack "
            f"{big['peak_mb'] / large_mb:.3f}; throughput / small whole-stack run "
            f"x{(px_large / big['seconds']) / (px_small / whole['seconds']):.2f}"
        )
        if not keep:
            shutil.rmtree(large[0].parent)

        ds_stack = write_stack(
            work / "ds_{}x{}x{}".format(*args.ds_size, n), *args.ds_size, n, seed=2
        )
        ds_mb = args.ds_size[0] * args.ds_size[1] * n * 8 / 2**20
        from insar_subsidence.core.timeseries.psinsar import PsOptions, patch_bytes_per_pixel

        working = (
            args.ds_size[0]
            * args.ds_size[1]
            * patch_bytes_per_pixel(n, PsOptions(distributed=True, shp_window=(11, 9)))
            / 2**20
        )
        print(
            f"DS (window 11 x 9), stack {args.ds_size[0]} x {args.ds_size[1]} x {n}: "
            f"{ds_mb:.0f} MB complex, working memory ~{working:.0f} MB"
        )
        ds_whole = run(*ds_stack, work / "ds_whole.gpkg", 2 * working + 512, True)
        ds_patched = run(*ds_stack, work / "ds_patched.gpkg", args.ds_budget_mb, True)
        px_ds = args.ds_size[0] * args.ds_size[1] * n
        print(line("whole stack in memory (peer)", ds_whole, px_ds))
        print(line(f"patches, budget {args.ds_budget_mb:.0f} MiB", ds_patched, px_ds))
        print(
            f"    patched / whole: time x{ds_patched['seconds'] / ds_whole['seconds']:.2f}, "
            f"peak RSS x{ds_patched['peak_mb'] / ds_whole['peak_mb']:.2f}, working memory / "
            f"budget {working / args.ds_budget_mb:.0f}x; "
            + same_points(ds_whole["output"], ds_patched["output"])
        )
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
