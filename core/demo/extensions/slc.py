"""Demo scene extension: a small coregistered SLC stack with known persistent scatterers.

Written under ``folder/slc/``:

* ``slc_stack.tif``: CFloat32, one band per date (band description YYYYMMDD), a 120 x 120
  pixel crop of the scene around the North longwall bowl (smaller scenes: all of it), every
  second acquisition (about 45 dates);
* ``dates_bperp.csv``: ``date,bperp`` (m) in band order;
* ``height.tif``: the scene DEM on the crop (m);
* ``truth_ps.csv``: the bright stable point scatterers: map x/y, row/col in the crop, truth LOS
  and vertical velocity (mm/yr, least-squares line over the SLC dates), height error (m),
  amplitude.

Each pixel is clutter (circular Gaussian, partly coherent on bare land, decorrelated under
vegetation, dark water) carrying the truth LOS motion, an atmospheric phase screen per date
(smooth in space, independent in time) and the topographic phase of a height error; PS are
10-20 times brighter than the clutter and keep their phase (amplitude dispersion ~0.1); there
are none inside the mining basins (their 10 mm boundary of influence).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from ...conventions import los_to_phase, phase_per_metre, years_since
from ...io.geotiff import write_geotiff
from ...progress import ProgressCallback, report, silent
from ...timeseries.rate_fit import linear_rate
from ..scene import DemoScene

ORDER = 20
CROP = 120
N_PS = 180
SLANT_RANGE_M = 850_000.0
APS_STD_RAD = 0.8
APS_SCALE_M = 1200.0  # Gaussian sigma of the simulated atmosphere


@dataclass
class SimulatedSlc:
    data: np.ndarray  # (n, L, W) complex64
    grid: object
    dates: list
    bperp: np.ndarray
    height: np.ndarray
    incidence_deg: float  # mean over the crop, for the height-to-phase factor
    ps_rows: np.ndarray
    ps_cols: np.ndarray
    ps_velocity_los: np.ndarray  # m/yr
    ps_velocity_vertical: np.ndarray  # m/yr
    ps_height_error: np.ndarray  # m
    ps_amplitude: np.ndarray


def _crop_window(scene: DemoScene, size: int):
    length, width = scene.grid.shape
    size = min(size, length, width)
    bowl = scene.bowls[0]
    row, col = scene.grid.rowcol(bowl.x, bowl.y)
    r0 = int(np.clip(row - size // 2, 0, length - size))
    c0 = int(np.clip(col - size // 2, 0, width - size))
    return r0, r0 + size, c0, c0 + size


def simulate_slc(
    scene: DemoScene,
    rng: np.random.Generator,
    size: int = CROP,
    date_step: Optional[int] = None,
    n_ps: int = N_PS,
    aps_std_rad: float = APS_STD_RAD,
) -> SimulatedSlc:
    """Simulate the SLC stack of a crop of ``scene`` (see module doc)."""
    from scipy.ndimage import gaussian_filter

    r0, r1, c0, c1 = _crop_window(scene, size)
    grid = scene.grid.window(r0, r1, c0, c1)
    step = date_step or max(1, len(scene.dates) // 40)
    pick = np.arange(0, len(scene.dates), step)
    dates = [scene.dates[i] for i in pick]
    bperp = np.asarray(scene.bperp, float)[pick]
    vertical = scene.vertical_displacement(dates)[:, r0:r1, c0:c1]
    los = scene.los_displacement(dates)[:, r0:r1, c0:c1]
    incidence = scene.incidence[r0:r1, c0:c1].astype(float)
    n, length, width = los.shape
    years = years_since(dates)
    velocity_los = linear_rate(years, los.reshape(n, -1))[0].reshape(length, width)
    velocity_vertical = linear_rate(years, vertical.reshape(n, -1))[0].reshape(length, width)

    aps_sigma_px = APS_SCALE_M / abs(grid.x_step)
    aps = np.stack(
        [gaussian_filter(rng.normal(size=(length, width)), sigma=aps_sigma_px) for _ in range(n)]
    )
    aps *= aps_std_rad / (aps.std(axis=(1, 2), keepdims=True) + 1e-12)
    mean_incidence = float(incidence.mean())
    height_factor = phase_per_metre() * bperp / (SLANT_RANGE_M * np.sin(np.deg2rad(mean_incidence)))
    motion_phase = los_to_phase(los) + aps

    water = scene.water[r0:r1, c0:c1]
    vegetation = scene.vegetation[r0:r1, c0:c1]
    coherent_share = np.where(vegetation, 0.05, 0.6)
    common = (rng.normal(size=(length, width)) + 1j * rng.normal(size=(length, width))) / np.sqrt(2)
    own = (
        rng.normal(size=(n, length, width)) + 1j * rng.normal(size=(n, length, width))
    ) / np.sqrt(2)
    clutter = np.sqrt(coherent_share) * common[None] + np.sqrt(1 - coherent_share) * own
    brightness = np.where(water, 0.2, 1.0)
    data = brightness[None] * clutter * np.exp(1j * motion_phase)

    # PS on land, at least 2 pixels apart, away from the crop edge; none inside the mining
    # basins (beyond their 10 mm boundary of influence the ground strain has cracked or
    # tilted the scatterers; near the faces a PS would alias in time anyway)
    mining = scene.mining_displacement(dates)[:, r0:r1, c0:c1]
    broken = np.abs(mining).max(axis=0) > 0.010
    candidates = np.flatnonzero(~(water | broken)[2:-2, 2:-2].ravel())
    rows_all, cols_all = np.unravel_index(candidates, (length - 4, width - 4))
    order = rng.permutation(len(candidates))
    taken = np.zeros((length, width), bool)
    ps_rows, ps_cols = [], []
    for k in order:
        r, c = rows_all[k] + 2, cols_all[k] + 2
        if taken[r - 2 : r + 3, c - 2 : c + 3].any():
            continue
        taken[r, c] = True
        ps_rows.append(r)
        ps_cols.append(c)
        if len(ps_rows) == n_ps:
            break
    ps_rows, ps_cols = np.array(ps_rows), np.array(ps_cols)
    amplitude = rng.uniform(10.0, 20.0, len(ps_rows))
    height_error = rng.uniform(-15.0, 15.0, len(ps_rows))
    phase_noise = rng.normal(0.0, 0.25, (n, len(ps_rows)))
    ps_phase = (
        motion_phase[:, ps_rows, ps_cols] + np.outer(height_factor, height_error) + phase_noise
    )
    ps_amplitude = amplitude[None] * (1 + rng.normal(0, 0.05, (n, len(ps_rows))))
    data[:, ps_rows, ps_cols] = ps_amplitude * np.exp(1j * ps_phase)
    # radiometric differences between dates, removed by the amplitude calibration
    data *= rng.uniform(0.8, 1.25, n)[:, None, None]
    return SimulatedSlc(
        data.astype(np.complex64),
        grid,
        dates,
        bperp,
        scene.height[r0:r1, c0:c1],
        mean_incidence,
        ps_rows,
        ps_cols,
        velocity_los[ps_rows, ps_cols],
        velocity_vertical[ps_rows, ps_cols],
        height_error,
        amplitude,
    )


def write_simulation(sim: SimulatedSlc, out: Path) -> Dict[str, Path]:
    """Write a simulation as the files listed in the module doc."""
    from ...io.slc import write_slc_stack

    out.mkdir(parents=True, exist_ok=True)
    paths = {"slc_stack": write_slc_stack(out / "slc_stack.tif", sim.data, sim.grid, sim.dates)}
    with open(out / "dates_bperp.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["date", "bperp"])
        for date, b in zip(sim.dates, sim.bperp, strict=True):
            writer.writerow([date.strftime("%Y%m%d"), f"{b:.3f}"])
    paths["slc_dates"] = out / "dates_bperp.csv"
    paths["slc_height"] = write_geotiff(
        out / "height.tif", sim.height.astype(np.float32), sim.grid, ["height"], units="m"
    )
    x, y = sim.grid.xy(sim.ps_rows, sim.ps_cols)
    with open(out / "truth_ps.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "x",
                "y",
                "row",
                "col",
                "velocity_los_mm_yr",
                "velocity_vertical_mm_yr",
                "height_error_m",
                "amplitude",
                "incidence_deg",
            ]
        )
        for i in range(len(sim.ps_rows)):
            writer.writerow(
                [
                    f"{x[i]:.2f}",
                    f"{y[i]:.2f}",
                    sim.ps_rows[i],
                    sim.ps_cols[i],
                    f"{sim.ps_velocity_los[i] * 1000:.3f}",
                    f"{sim.ps_velocity_vertical[i] * 1000:.3f}",
                    f"{sim.ps_height_error[i]:.2f}",
                    f"{sim.ps_amplitude[i]:.2f}",
                    f"{sim.incidence_deg:.2f}",
                ]
            )
    paths["slc_truth_ps"] = out / "truth_ps.csv"
    return paths


def write(
    scene: DemoScene, folder: Path, rng: np.random.Generator, progress: ProgressCallback = silent
) -> Dict[str, Path]:
    report(progress, 0.0, "SLC stack")
    paths = write_simulation(simulate_slc(scene, rng), Path(folder) / "slc")
    report(progress, 1.0, "SLC stack written")
    return paths
