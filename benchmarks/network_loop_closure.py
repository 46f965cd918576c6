"""Loop closure on the demo stack against the unwrapping errors the demo scene injected.

    .venv/bin/python benchmarks/network_loop_closure.py [demo_output]

Re-draws the scene's random stream (core.demo.hyp3.write_hyp3_products, same seed) to recover
which pairs got a 2 pi jump and where, then runs core.loop_closure with and without the closure
plane removal and prints: the injected pairs' rank by broken-closure fraction, and pixel-level
detection (broken-triplet count > 0) inside the jump patches vs outside, on bare ground.
Opt-in (not part of make test); numbers go into the report.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from insar_subsidence.core.demo import hyp3 as demo_hyp3  # noqa: E402
from insar_subsidence.core.demo.scene import make_scene  # noqa: E402
from insar_subsidence.core.io.mintpy import IfgramStack  # noqa: E402
from insar_subsidence.core.network.loop_closure import LoopClosureOptions, loop_closure  # noqa: E402


def injected_jumps(scene):
    """{(date_i, date_j): patch mask} of the jumps write_hyp3_products added."""
    rng = np.random.default_rng([scene.seed, 3])
    shape = scene.grid.shape
    n = len(scene.dates)
    demo_hyp3._power_law_fields(rng, n, shape, abs(scene.grid.x_step), demo_hyp3.TURBULENCE_STD)
    rng.normal(0.0, demo_hyp3.STRATIFIED_STD, n)
    demo_hyp3._power_law_fields(rng, 1, shape, abs(scene.grid.x_step), 1.0)
    pairs = demo_hyp3.small_baseline_pairs(n)
    jump_pairs = set(rng.choice(len(pairs), size=max(1, len(pairs) // 40), replace=False).tolist())
    veg_rows, veg_cols = np.nonzero(scene.vegetation)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] / max(shape)
    found = {}
    for k, (i, j) in enumerate(pairs):
        rng.standard_normal(shape, np.float32)
        rng.normal(0, demo_hyp3.RAMP_STD)
        rng.normal(0, demo_hyp3.RAMP_STD)
        if k in jump_pairs and veg_rows.size:
            pick = rng.integers(veg_rows.size)
            radius = 0.06 * max(shape)
            patch = (
                (yy * max(shape) - veg_rows[pick]) ** 2 + (xx * max(shape) - veg_cols[pick]) ** 2
            ) < radius**2
            rng.choice([-2, 2])
            found[(scene.dates[i], scene.dates[j])] = patch & ~scene.water
        rng.normal(0, 0.04, shape)
    return found


def main(demo: Path) -> None:
    stack_path = demo / "stack" / "ifgramStack.h5"
    scene = make_scene()
    jumps = injected_jumps(scene)
    stack = IfgramStack.open(stack_path)
    bare = ~(scene.vegetation | scene.water)
    in_patch = np.zeros(scene.grid.shape, bool)
    for patch in jumps.values():
        in_patch |= patch
    print(
        f"injected: {len(jumps)} pairs with a 2 pi patch "
        f"({int(in_patch.sum())} pixels, {int((in_patch & bare).sum())} on bare ground)"
    )
    for remove_plane in (False, True):
        started = time.time()
        result = loop_closure(stack_path, LoopClosureOptions(remove_plane=remove_plane))
        seconds = time.time() - started
        fraction = np.nan_to_num(result.pair_fraction, nan=-1)
        order = list(np.argsort(-fraction))
        ranks = sorted(order.index(stack.pairs.index(p)) + 1 for p in jumps if p in stack.pairs)
        hit = result.count > 0
        print(f"remove_plane={remove_plane}: {len(result.triplets)} triplets, {seconds:.1f} s")
        print(
            f"  ranks of injected pairs by broken fraction "
            f"(1 = worst of {stack.num_pairs}): {ranks}"
        )
        print(
            f"  bare pixels flagged: inside patches {100 * hit[in_patch & bare].mean():.1f} %, "
            f"outside {100 * hit[~in_patch & bare].mean():.2f} %; vegetation "
            f"{100 * hit[scene.vegetation].mean():.1f} %"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo_output")
