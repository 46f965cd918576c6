"""Small HyP3 demo stacks shared by the ingest and demo tests (a 40 x 40 scene, 10 dates)."""

from __future__ import annotations

import hashlib
from pathlib import Path

SIZE, ACQUISITIONS, SEED = 40, 10, 7


def small_scene():
    from insar_subsidence.core.demo import make_scene

    return make_scene(seed=SEED, size=SIZE, n_acquisitions=ACQUISITIONS)


def write_small_products(folder: Path):
    """Write the small scene's HyP3 zips into ``folder``; return (scene, folder)."""
    from insar_subsidence.core.demo.hyp3 import write_hyp3_products

    scene = small_scene()
    write_hyp3_products(scene, folder)
    return scene, folder


def folder_digest(folder: Path) -> str:
    """Hash of every file name and content under ``folder`` (inputs must stay untouched)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
