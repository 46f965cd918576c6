"""Benchmark: HyP3 ingest of the demo products, ours vs MintPy (prep_hyp3 + load_data).

Prints the demo generation time, then for each tool the wall time, seconds per 100 products,
products per second and peak memory (max RSS of the child process), and our speed-up over
MintPy measured in the same run. MintPy runs from .venv-peers (`make peers`) on the same
products unzipped (MintPy cannot read zips; unzipping is not timed); it needs GDAL's Python
bindings there, otherwise only our numbers are printed.

    .venv/bin/python benchmarks/ingest.py [--size 256] [--acquisitions 90]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"

DEMO = """
import sys
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.demo import make_scene
from insar_subsidence.core.demo.hyp3 import write_hyp3_products
write_hyp3_products(make_scene(size={size}, n_acquisitions={acquisitions}), {products!r})
"""

OURS = """
import sys
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
ingest_hyp3({products!r}, {stack!r}, {geometry!r})
"""

MINTPY_TEMPLATE = """mintpy.load.processor = hyp3
mintpy.load.unwFile = {folder}/*/*_unw_phase.tif
mintpy.load.corFile = {folder}/*/*_corr.tif
mintpy.load.demFile = {folder}/*/*_dem.tif
mintpy.load.incAngleFile = {folder}/*/*_lv_theta.tif
mintpy.load.azAngleFile = {folder}/*/*_lv_phi.tif
mintpy.load.waterMaskFile = {folder}/*/*_water_mask.tif
mintpy.compute.cluster = no
"""


def measured(args, cwd=None):
    """Run a child process; return (wall s, CPU s, its own peak RSS in MiB).

    The parent stays small (the demo is generated in a child too) because a forked child's
    peak RSS starts from its parent's size.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{args[:3]} failed:\n{log.read()[-3000:].decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # KiB on Linux


def line(tool, seconds, cpu, products, peak_mb):
    print(
        f"{tool:<8} {seconds:7.2f} s wall ({cpu:.2f} s CPU)  {100 * seconds / products:6.2f} "
        f"s/100 products  {products / seconds:6.1f} products/s  peak {peak_mb:6.0f} MiB",
        flush=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--acquisitions", type=int, default=90)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the products and stacks here (default: a removed temp folder)",
    )
    args = parser.parse_args(argv)
    if args.workdir:
        return run(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as work:
        return run(args, Path(work))


def run(args, work: Path) -> int:
    plugins = str(ROOT / "build" / "qgis_plugins")
    demo, _, demo_peak = measured(
        [
            sys.executable,
            "-c",
            DEMO.format(
                plugins=plugins,
                size=args.size,
                acquisitions=args.acquisitions,
                products=str(work / "hyp3"),
            ),
        ]
    )
    products = len(list((work / "hyp3").glob("*.zip")))
    print(
        f"demo: {products} HyP3 products of {args.size} x {args.size} px, {args.acquisitions} "
        f"dates, written in {demo:.1f} s, peak {demo_peak:.0f} MiB ({work})",
        flush=True,
    )

    ours, ours_cpu, ours_peak = measured(
        [
            sys.executable,
            "-c",
            OURS.format(
                plugins=plugins,
                products=str(work / "hyp3"),
                stack=str(work / "ours" / "ifgramStack.h5"),
                geometry=str(work / "ours" / "geometryGeo.h5"),
            ),
        ]
    )
    line("ours", ours, ours_cpu, products, ours_peak)

    check = (
        subprocess.run(
            [str(PEER_PYTHON), "-c", "import mintpy, osgeo"], capture_output=True, text=True
        )
        if PEER_PYTHON.exists()
        else None
    )
    if check is None or check.returncode != 0:
        reason = check.stderr.strip().splitlines()[-1] if check else "no .venv-peers"
        print(
            f"no peer comparison: MintPy's HyP3 loader needs MintPy and GDAL's Python bindings "
            f"in .venv-peers ({reason})"
        )
        return 0
    unzipped = work / "unzipped"
    for path in sorted((work / "hyp3").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unzipped)
    mintpy_dir = work / "mintpy"
    mintpy_dir.mkdir(exist_ok=True)
    template = mintpy_dir / "hyp3.cfg"
    template.write_text(MINTPY_TEMPLATE.format(folder=unzipped))
    bin_dir = PEER_PYTHON.parent
    prep, prep_cpu, prep_peak = measured([str(bin_dir / "prep_hyp3.py"), f"{unzipped}/*/*.tif"])
    load, load_cpu, load_peak = measured(
        [str(bin_dir / "load_data.py"), "-t", str(template)], cwd=mintpy_dir
    )
    line("MintPy", prep + load, prep_cpu + load_cpu, products, max(prep_peak, load_peak))
    print(f"speed-up (MintPy time / ours): {(prep + load) / ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
