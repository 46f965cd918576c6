"""Effect of loop-closure cleaning, GACOS, ramp removal and DEM-error correction on the demo
velocity.

    .venv/bin/python benchmarks/corrections_effect.py [demo_output]

Needs demo_output/sbas/ifgramStack_network.h5 and ifgramStack_ref.h5 (demo step 30_network)
and the SBAS inversion (core.timeseries.sbas). Inverts both stacks, applies GACOS (demo files
in scene/gacos), deramp (mask: temporal coherence >= 0.7, robust, rate within 3 mm/yr of the
median) and DEM-error correction, fits a linear LOS rate and prints
its RMSE against the truth (scene/truth/truth_velocity_los.tif) per region, after removing the
median offset on stable ground (the truth is absolute, ours is relative to the reference).
Opt-in; writes only under a scratch folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.conventions import years_since  # noqa: E402
from insar_subsidence.core.corrections.dem_error import correct_dem_error  # noqa: E402
from insar_subsidence.core.corrections.deramp import DerampOptions, deramp_timeseries  # noqa: E402
from insar_subsidence.core.corrections.troposphere import correct_troposphere  # noqa: E402
from insar_subsidence.core.demo.scene import make_scene  # noqa: E402
from insar_subsidence.core.io.geotiff import read_raster  # noqa: E402
from insar_subsidence.core.io.mintpy import read_dataset, read_timeseries  # noqa: E402
from insar_subsidence.core.timeseries.sbas.inversion import InversionOptions, invert_stack  # noqa: E402


def los_rate_mm(path: Path) -> np.ndarray:
    series = read_timeseries(path)
    t = years_since(series.dates)
    design = np.column_stack([t, np.ones_like(t)])
    flat = series.data.reshape(len(t), -1).astype(np.float64)
    coef = np.linalg.pinv(design) @ np.nan_to_num(flat)
    rate = coef[0].reshape(series.grid.shape) * 1000
    rate[np.isnan(flat).any(axis=0).reshape(series.grid.shape)] = np.nan
    return rate


def main(demo: Path) -> None:
    scene = make_scene()
    truth, _ = read_raster(demo / "scene" / "truth" / "truth_velocity_los.tif")
    vertical = scene.vertical_velocity() * 1000
    regions = {
        "stable": ~scene.water & ~scene.vegetation & (vertical > -2),
        "bowls (< -10 mm/yr)": ~scene.water & (vertical < -10),
        "vegetation": scene.vegetation,
    }
    scratch = Path(tempfile.mkdtemp(prefix="corrections_effect_"))
    sbas = demo / "sbas"
    geometry = demo / "stack" / "geometryGeo.h5"
    rows = []
    for label, stack in (
        ("network only", sbas / "ifgramStack_network.h5"),
        ("+ loop closure + reference", sbas / "ifgramStack_ref.h5"),
    ):
        ts, tcoh = scratch / f"{stack.stem}_ts.h5", scratch / f"{stack.stem}_tcoh.h5"
        started = time.time()
        invert_stack(stack, ts, tcoh, InversionOptions(device="cpu"))
        print(f"inverted {stack.name} in {time.time() - started:.0f} s", flush=True)
        rows.append((label, ts))
        if stack.stem.endswith("_ref"):
            tropo = scratch / "gacos.h5"
            correct_troposphere(ts, geometry, demo / "scene" / "gacos", tropo)
            rows.append(("+ GACOS troposphere", tropo))
            deramped = scratch / "deramped.h5"
            deramp_timeseries(
                tropo, deramped, DerampOptions(ramp="linear", mask_threshold=0.7), tcoh
            )
            rows.append(("+ deramp (tcoh>=0.7, robust, rate<=3mm/yr)", deramped))
            corrected = scratch / "corrected.h5"
            dz = correct_dem_error(deramped, corrected, geometry, scratch / "dz.tif")
            rows.append(("+ DEM error", corrected))
            true_dz, _ = read_raster(demo / "scene" / "truth" / "dem_error.tif")
            picks = np.abs(true_dz) > 0
            print(
                "DEM error at the 6 injected pixels (true / estimated, m):",
                [
                    (round(float(a), 1), round(float(b), 1))
                    for a, b in zip(true_dz[picks], dz[picks], strict=True)
                ],
            )
            truth_series = read_timeseries(demo / "scene" / "truth" / "truth_timeseries.h5").data
            for name, path in (("before", deramped), ("after", corrected)):
                data = read_timeseries(path).data
                misfit = data[:, picks] - truth_series[:, picks]
                misfit -= misfit.mean(axis=0)
                print(
                    f"  time-series misfit at those pixels {name} DEM-error correction: "
                    f"{1000 * np.sqrt(np.mean(misfit**2)):.1f} mm RMS"
                )
            tcoh_data, _ = read_dataset(tcoh, "temporalCoherence")
            regions["temporal coherence >= 0.7"] = tcoh_data >= 0.7
    print(f"{'variant':42s}" + "".join(f"{name:>28s}" for name in regions))
    for label, path in rows:
        error = los_rate_mm(path) - truth
        error -= np.nanmedian(error[regions["stable"]])
        cells = []
        for mask in regions.values():
            values = error[mask & np.isfinite(error)]
            cells.append(f"{np.sqrt(np.mean(values**2)):9.2f} mm/yr (n={values.size:6d})")
        print(f"{label:42s}" + "".join(f"{c:>28s}" for c in cells))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo_output")
