"""Benchmark: subsidence:geocode against MintPy's geocode.py on a stack whose lookup tables
are known, for accuracy and speed.

A radar grid of LENGTH x WIDTH pixels is laid over UTM 33N as Sentinel-1 sees the ground:
rows (azimuth) along a heading 12 degrees off north, 28 m apart, columns (range) 30 m apart,
and a slow quadratic stretch across range, so that the lookup tables (float32 latitude and
longitude of every pixel, geometryRadar.h5) are neither a grid nor an affine map. A velocity
field known everywhere (a subsidence bowl and a ramp, m/yr) is written at the radar pixel
centres (velocity.h5 without X_FIRST). Both tools geocode it onto a WGS 84 grid of STEP
degrees, nearest neighbour and bilinear; each result is compared with the field at its own
map pixel centres (error in mm/yr: RMS and 99th percentile over the pixels inside the
radar footprint, one pixel in from its edge) and timed in a child process of its own. The
ratio is MintPy's time over ours (above 1: ours is faster).

    .venv/bin/python benchmarks/geocode.py [--length 1500] [--width 1200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
PEERS = ROOT / ".venv-peers" / "bin" / "python"
STEP = 0.0003  # degrees, ~30 m
ORIGIN = (480_000.0, 4_200_000.0)  # UTM 33N, near 37.9 N, 14.8 E
HEADING = np.deg2rad(-12.0)

OURS = """
import sys, time
sys.path.insert(0, {plugins!r})
from insar_subsidence.core.timeseries.geocode import GeocodeOptions, geocode
started = time.perf_counter()
geocode({source!r}, {output!r}, options=GeocodeOptions(epsg=4326, pixel_size={step!r},
        resampling={resampling!r}))
print(time.perf_counter() - started)
"""


def ground_xy(rows: np.ndarray, cols: np.ndarray):
    """UTM position of radar pixel centres (see the module note)."""
    along, across = 28.0 * rows, 30.0 * cols + 2e-5 * (30.0 * cols) ** 2
    x = ORIGIN[0] + across * np.cos(HEADING) + along * np.sin(HEADING)
    y = ORIGIN[1] - across * np.sin(HEADING) + along * np.cos(HEADING)
    return x, y


def field(x: np.ndarray, y: np.ndarray, centre) -> np.ndarray:
    """Velocity (m/yr) at UTM (x, y): a 1.5 km wide bowl of -80 mm/yr on a 3 mm/yr/km ramp."""
    r2 = (x - centre[0]) ** 2 + (y - centre[1]) ** 2
    return -0.08 * np.exp(-r2 / (2 * 1500.0**2)) + 3e-6 * (x - centre[0])


def write_inputs(folder: Path, length: int, width: int):
    import h5py

    from insar_subsidence.core.crs import transform_xy

    rows, cols = np.mgrid[0:length, 0:width].astype(float)
    x, y = ground_xy(rows, cols)
    centre = ground_xy(np.array(length / 2), np.array(width / 2))
    lon, lat = transform_xy(x, y, "EPSG:32633", "EPSG:4326")
    size = {"LENGTH": str(length), "WIDTH": str(width)}
    lookup = folder / "geometryRadar.h5"
    with h5py.File(lookup, "w") as f:
        f.attrs.update({"FILE_TYPE": "geometry", **size})
        f["latitude"] = lat.astype(np.float32)
        f["longitude"] = lon.astype(np.float32)
        f["height"] = np.zeros((length, width), np.float32)
    velocity = folder / "velocity.h5"
    with h5py.File(velocity, "w") as f:
        f.attrs.update({"FILE_TYPE": "velocity", "UNIT": "m/year", **size})
        f.attrs["LOOKUP_FILE"] = str(lookup)
        f["velocity"] = field(x, y, centre).astype(np.float32)
    footprint = np.array(
        [ground_xy(np.array(r), np.array(c)) for r, c in ((1, 1), (1, width - 2))]
        + [ground_xy(np.array(r), np.array(c)) for r, c in ((length - 2, width - 2),)]
        + [ground_xy(np.array(length - 2.0), np.array(1.0))]
    )
    return velocity, lookup, centre, footprint


def errors(path: Path, centre, footprint) -> tuple:
    """RMS and 99th percentile of |geocoded - truth| (mm/yr) inside the footprint, and the
    number of such pixels that have no value."""
    from matplotlib.path import Path as Polygon

    from insar_subsidence.core.crs import transform_xy
    from insar_subsidence.core.io.mintpy import read_dataset

    values, grid = read_dataset(path, "velocity")
    rows, cols = np.mgrid[0 : grid.length, 0 : grid.width]
    lon, lat = grid.xy(rows, cols)
    x, y = transform_xy(lon, lat, "EPSG:4326", "EPSG:32633")
    inside = Polygon(footprint).contains_points(np.column_stack([x.ravel(), y.ravel()]))
    inside = inside.reshape(x.shape)
    difference = np.abs(values - field(x, y, centre))[inside] * 1000
    missing = int(np.isnan(difference).sum())
    difference = difference[np.isfinite(difference)]
    return float(np.sqrt(np.mean(difference**2))), float(np.percentile(difference, 99)), missing


def timed(command) -> tuple:
    """(seconds, None) or (None, the last line of the error) of running ``command``."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        return None, (done.stderr.strip().splitlines() or ["failed"])[-1]
    return time.perf_counter() - started, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1500)
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        folder = Path(folder)
        velocity, lookup, centre, footprint = write_inputs(folder, args.length, args.width)
        print(
            f"radar grid {args.length} x {args.width} px, map grid {STEP} deg; errors in mm/yr "
            f"inside the footprint against a field of -80..+{3e-6 * 30 * args.width * 1e3:.0f}"
        )
        for ours_name, peer_name in (("nearest", "nearest"), ("bilinear", "linear")):
            ours_out, peer_out = folder / f"ours_{ours_name}.h5", folder / f"mintpy_{ours_name}.h5"
            code = OURS.format(
                plugins=str(ROOT / "build" / "qgis_plugins"),
                source=str(velocity),
                output=str(ours_out),
                step=STEP,
                resampling=ours_name,
            )
            ours, failure = timed([sys.executable, "-c", code])
            if failure:
                raise SystemExit(f"geocode failed: {failure}")
            ours_rms, ours_p99, ours_missing = errors(ours_out, centre, footprint)
            line = (
                f"{ours_name:8s}: geocode {ours:.1f} s, RMS {ours_rms:.3f}, p99 {ours_p99:.3f}, "
                f"{ours_missing} holes"
            )
            peer_command = [str(PEERS), "-m", "mintpy.cli.geocode", str(velocity)]
            peer_command += ["-l", str(lookup), "--lalo", str(-STEP), str(STEP)]
            peer_command += ["-i", peer_name, "-o", str(peer_out), "--outdir", str(folder)]
            peer, failure = timed(peer_command)
            if failure:
                line += f" | MintPy ({peer_name}) failed: {failure}"
            else:
                peer_rms, peer_p99, peer_missing = errors(peer_out, centre, footprint)
                line += (
                    f" | MintPy ({peer_name}) {peer:.1f} s, RMS {peer_rms:.3f}, p99 "
                    f"{peer_p99:.3f}, {peer_missing} holes | time ratio MintPy/ours "
                    f"{peer / ours:.2f}"
                )
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
