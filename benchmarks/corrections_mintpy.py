"""Cross-check DEM-error correction and ramp removal against MintPy on the same time series.

    .venv/bin/python benchmarks/corrections_mintpy.py TIMESERIES.h5 GEOMETRY.h5 TCOH.h5

Runs MintPy's ``dem_error.py`` and ``remove_ramp.py`` (peer venv .venv-peers, `make peers`)
and ours (core.dem_error, core.deramp with MintPy's plain least squares: robust=False,
max_rate=0, mask temporal coherence >= 0.7) and prints the largest differences and run times.
MintPy writes 0 where the input is NaN; we keep NaN, so only pixels finite in both compare.
Opt-in (not part of make test).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / ".venv-peers" / "bin"
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.corrections.dem_error import correct_dem_error  # noqa: E402
from insar_subsidence.core.corrections.deramp import DerampOptions, deramp_timeseries  # noqa: E402
from insar_subsidence.core.io.mintpy import read_dataset, read_timeseries, write_datasets  # noqa: E402


def peer(tool: str, *args, cwd: Path) -> float:
    started = time.time()
    subprocess.run(
        [str(PEERS / tool), *map(str, args)], cwd=cwd, check=True, capture_output=True, text=True
    )
    return time.time() - started


def compare(ours: Path, theirs: Path) -> float:
    a, b = read_timeseries(ours).data, read_timeseries(theirs).data
    both = np.isfinite(a) & (b != 0)
    return float(np.abs(a - b)[both].max())


def main(timeseries: Path, geometry: Path, tcoh: Path) -> None:
    if not (PEERS / "dem_error.py").exists():
        sys.exit("MintPy is not installed in .venv-peers (make peers).")
    work = Path(tempfile.mkdtemp(prefix="corrections_mintpy_"))
    shutil.copy(timeseries, work / "ts.h5")
    shutil.copy(geometry, work / "geo.h5")
    coherence, grid = read_dataset(tcoh, "temporalCoherence")
    write_datasets(work / "mask.h5", {"mask": coherence >= 0.7}, "mask", grid)

    seconds = peer(
        "dem_error.py",
        "ts.h5",
        "-g",
        "geo.h5",
        "-p",
        "2",
        "-o",
        "ts_dem_mintpy.h5",
        "--dem-err-file",
        "demErr_mintpy.h5",
        cwd=work,
    )
    started = time.time()
    correct_dem_error(work / "ts.h5", work / "ts_dem_ours.h5", work / "geo.h5")
    ours = time.time() - started
    print(
        f"DEM error: max |ours - MintPy| = "
        f"{compare(work / 'ts_dem_ours.h5', work / 'ts_dem_mintpy.h5'):.2e} m; "
        f"ours {ours:.1f} s, MintPy {seconds:.1f} s"
    )

    seconds = peer(
        "remove_ramp.py",
        "ts.h5",
        "-m",
        "mask.h5",
        "-s",
        "linear",
        "-o",
        "ts_ramp_mintpy.h5",
        cwd=work,
    )
    started = time.time()
    deramp_timeseries(
        work / "ts.h5",
        work / "ts_ramp_ours.h5",
        DerampOptions(robust=False, max_rate=0.0, mask_threshold=0.5),
        work / "mask.h5",
    )
    ours = time.time() - started
    a = read_timeseries(work / "ts_ramp_ours.h5").data
    b = read_timeseries(work / "ts_ramp_mintpy.h5").data
    ref = read_timeseries(work / "ts.h5").attrs
    # MintPy does not re-reference after removing the ramp: compare after referencing both
    y, x = int(ref["REF_Y"]), int(ref["REF_X"])
    b = b - b[:, y : y + 1, x : x + 1]
    both = np.isfinite(a) & np.isfinite(b) & (b != 0)
    print(
        f"deramp: max |ours - MintPy| = {np.abs(a - b)[both].max():.2e} m; "
        f"ours {ours:.1f} s, MintPy {seconds:.1f} s"
    )


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:4]))
