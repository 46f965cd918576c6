"""Demo scene extension: the second, ascending track of the demo scene.

Written under ``folder/hyp3_ascending/``: HyP3 product zips of the same ground seen from an
ascending orbit (:func:`..scene.ascending_track`: heading -11 deg, incidence 31-45 deg growing
eastward, acquisitions 6 days after the descending ones, ``ACQUISITIONS`` of them), by the same
writer as the descending track (its own noise). The longwall basins move the ground
horizontally, so the two tracks see different LOS motion and together give back the vertical
and east-west truth (``truth/truth_velocity_vertical.tif``, ``truth/truth_velocity_east.tif``).
``truth/truth_velocity_los_ascending.tif`` is the ascending track's LOS velocity (mm/yr).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ...io.geotiff import write_geotiff
from ...progress import ProgressCallback
from ..hyp3 import write_hyp3_products
from ..scene import DemoScene, ascending_track

ORDER = 70  # after the earlier extensions, so their random streams stay as they were
#: acquisitions of the ascending track (two years; fewer than the descending, to keep the
#: demo short)
ACQUISITIONS = 60
NOISE_STREAM = 13


def write(
    scene: DemoScene, folder: Path, rng: np.random.Generator, progress: ProgressCallback
) -> Dict[str, Path]:
    track = ascending_track(scene, min(ACQUISITIONS, len(scene.dates)))
    out = write_hyp3_products(track, Path(folder) / "hyp3_ascending", progress, NOISE_STREAM)
    rate = track.linear_rate(track.los_displacement()) * 1000
    out["truth_velocity_los_ascending"] = write_geotiff(
        Path(folder) / "truth" / "truth_velocity_los_ascending.tif",
        rate.astype(np.float32),
        scene.grid,
        ["ascending LOS velocity (mm/yr)"],
        units="mm/yr",
    )
    return {"hyp3_ascending": out["hyp3"], **{k: v for k, v in out.items() if k != "hyp3"}}
