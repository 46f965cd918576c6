"""The embedded demo study area: a synthetic mining district with known truth.

:mod:`.scene` defines the truth (grid, dates, terrain, bowls, groundwater area, uplift);
:mod:`.hyp3` writes it as real ASF HyP3 product zips and :mod:`.truth` writes the truth files.
Later capabilities add their inputs (SLC stack, driver rasters, land use...) as modules in
:mod:`.extensions`, each with ``ORDER`` (int) and
``write(scene, folder, rng, progress) -> dict[str, Path]``; :func:`create_demo` runs them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Dict, Union

import numpy as np

from ..progress import ProgressCallback, scaled, silent
from .scene import DemoScene, make_scene

__all__ = ["create_demo", "make_scene", "DemoScene"]


def _extensions():
    from . import extensions

    modules = [
        importlib.import_module(f"{extensions.__name__}.{info.name}")
        for info in pkgutil.iter_modules(extensions.__path__)
    ]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def create_demo(
    folder: Union[str, Path],
    seed: int = 42,
    size: int = 256,
    n_acquisitions: int = 90,
    progress: ProgressCallback = silent,
) -> Dict[str, Path]:
    """Write the whole demo study area under ``folder``; return the written paths by name.

    ``folder/hyp3`` holds the HyP3 product zips, ``folder/truth`` the truth, and each extension
    its own sub-folder. Deterministic for a given (seed, size, n_acquisitions).
    """
    from .hyp3 import write_hyp3_products
    from .truth import write_truth

    folder = Path(folder)
    scene = make_scene(seed=seed, size=size, n_acquisitions=n_acquisitions)
    outputs: Dict[str, Path] = {}
    outputs.update(write_truth(scene, folder / "truth"))
    outputs.update(write_hyp3_products(scene, folder / "hyp3", progress=scaled(progress, 0.0, 0.7)))
    modules = _extensions()
    for index, module in enumerate(modules):
        rng = np.random.default_rng([seed, index + 1])
        part = scaled(
            progress, 0.7 + 0.3 * index / len(modules), 0.7 + 0.3 * (index + 1) / len(modules)
        )
        outputs.update(module.write(scene, folder, rng, part))
    progress(1.0, "Demo scene written.")
    return outputs
