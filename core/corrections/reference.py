"""Spatial reference of an interferogram stack: one pixel, or several areas averaged.

Convention (as MintPy): ``unwrapPhase`` is stored un-referenced and the root attributes
``REF_Y``/``REF_X`` (pixel) and ``REF_LAT``/``REF_LON`` (map y/x of the pixel centre, in the
stack CRS, as MintPy's coordinate conversion gives) name the reference; readers subtract the
phase at that pixel from each interferogram.

With several reference areas (paper 001: averaging stable areas reduces the noise of a single
reference pixel), the phase of the pixel ``REF_Y``/``REF_X`` (centre of the first area) is
replaced, in each pair, by the mean phase over all areas: subtracting it, as MintPy and our
readers do, then references every other pixel to the area mean. Only that one pixel differs
from the input. ``REF_AREAS`` records the areas as ``row,col,radius;...``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_free_space, check_outputs
from ..blocks import row_blocks
from ..conventions import DAYS_PER_YEAR
from ..errors import InputError
from ..io.hdf5_probe import trust
from ..io.lookup import LOOKUP_ATTRIBUTE, reference_position
from ..io.mintpy import IfgramStack, open_h5
from ..options import Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, report, scaled, silent

PathLike = Union[str, Path]
Area = Tuple[int, int, int]  # row, col, radius in pixels (0 = the single pixel)


@dataclass
class ReferenceOptions(Options):
    """``areas`` given by the user (row, col, radius) or chosen automatically (``None``)."""

    areas: Optional[Sequence[Area]] = option(
        None,
        help="Reference areas (row, column, half-size in pixels) averaged together (empty = "
        "chosen automatically: valid in every pair, coherent, no broken loop closure)",
    )
    num_areas: int = option(
        1,
        help="Automatic reference: number of separate stable areas averaged (less noise than "
        "one pixel)",
        minimum=1,
        maximum=20,
    )
    radius: int = option(
        2,
        help="Half-size of each reference area (0 = a single pixel)",
        unit="pixels",
        minimum=0,
        maximum=50,
    )
    min_separation: int = option(
        20, help="Automatic reference: distance between area centres", unit="pixels", minimum=0
    )
    memory_mb: float = option(
        256.0, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


def scan_rows(
    rows: slice, stack: IfgramStack, kept: np.ndarray, years: float
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows ``rows`` of :func:`_scan_pixels`: valid in every kept pair, coherence and rate
    (rows, W), and per kept pair the pixels with a phase and those also unwrapped. One block,
    run here or on a Dask worker."""
    phase = stack.read("unwrapPhase", rows, kept)
    usable = np.isfinite(phase) & (phase != 0)
    with_phase = usable.sum(axis=(1, 2))
    if "connectComponent" in stack.datasets:
        usable &= stack.read("connectComponent", rows, kept) != 0
    unwrapped = usable.sum(axis=(1, 2))
    ok = usable.all(axis=0)
    if "coherence" in stack.datasets:
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels
            coherence = np.nanmean(stack.read("coherence", rows, kept), axis=0)
    else:
        coherence = _phase_coherence(np.where(usable, phase, np.nan))
    rate = np.where(ok, np.nansum(phase, axis=0) / years, np.nan)
    return ok, coherence, rate, with_phase, unwrapped


def _scan_pixels(
    stack: IfgramStack, memory_mb: float, progress: ProgressCallback, executor=None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel (L, W): valid in every kept pair (bool), average coherence over kept pairs,
    and the stacking phase rate sum(phase) / sum(time span) (rad/yr, NaN where invalid).

    Valid means an unwrapped phase (finite, not the 0 fill) and, with connected components,
    a component other than 0; coherence only ranks pixels. Without a coherence dataset the
    ranking uses the coherence estimated from the phase itself (|mean exp(j phase)| over
    3 x 3 pixels). Raises InputError naming the real cause when no pixel is valid in every
    kept pair. ``executor``: an open one of :mod:`core.parallel` (None = here)."""
    kept = np.flatnonzero(stack.keep)
    if len(kept) == 0:
        raise InputError(
            "every interferogram is marked dropped.",
            stack.path,
            "run the network step with looser rules.",
        )
    length, width = stack.grid.shape
    valid = np.zeros((length, width), bool)
    coherence = np.zeros((length, width), np.float32)
    rate = np.full((length, width), np.nan, np.float32)
    pair_valid = np.zeros(len(kept), np.int64)  # pixels with phase, per pair
    pair_unwrapped = np.zeros(len(kept), np.int64)  # ... and a connected component
    years = sum((stack.pairs[k][1] - stack.pairs[k][0]).days for k in kept) / DAYS_PER_YEAR
    blocks = list(row_blocks(length, 12 * len(kept) * width, memory_mb))
    scanned = map_blocks(scan_rows, blocks, stack, kept, years, executor=executor)
    for i, (rows, block) in enumerate(zip(blocks, scanned, strict=True)):
        valid[rows], coherence[rows], rate[rows], with_phase, unwrapped = block
        pair_valid += with_phase
        pair_unwrapped += unwrapped
        report(progress, (i + 1) / len(blocks), "Scanning pixels valid in every pair")
    if not valid.any():
        raise InputError(
            _no_common_pixel(stack, kept, pair_valid, pair_unwrapped, length * width),
            stack.path,
            "drop those interferograms (network step), or give a reference point.",
        )
    return valid, np.nan_to_num(coherence), rate


def _phase_coherence(phase: np.ndarray) -> np.ndarray:
    """(rows, W) mean over pairs of |mean of exp(j phase)| in 3 x 3 windows (NaN = 0)."""
    from scipy.ndimage import uniform_filter

    observed = np.isfinite(phase)
    total = np.zeros(phase.shape[1:])
    for layer, seen in zip(phase, observed, strict=True):
        re = uniform_filter(np.where(seen, np.cos(layer), 0.0), 3, mode="nearest")
        im = uniform_filter(np.where(seen, np.sin(layer), 0.0), 3, mode="nearest")
        total += np.hypot(re, im)
    return total / max(1, len(phase))


def _no_common_pixel(stack, kept, pair_valid, pair_unwrapped, pixels) -> str:
    """Why no pixel is valid in every kept pair: the pairs with the fewest valid pixels."""
    order = np.argsort(pair_unwrapped)[:3]
    worst = ", ".join(
        f"{stack.pairs[kept[k]][0]:%Y%m%d}_{stack.pairs[kept[k]][1]:%Y%m%d} "
        f"({100 * pair_unwrapped[k] / pixels:.0f} %)"
        for k in order
    )
    text = (
        f"no pixel is valid in every one of the {len(kept)} kept interferograms; the pairs "
        f"with the fewest valid pixels are {worst}."
    )
    lost = pair_valid - pair_unwrapped
    if lost.sum() > 0.5 * pair_valid.sum():
        text += " Most phases are marked not unwrapped (connectComponent 0)."
    return text


def automatic_reference_pixel(
    stack: IfgramStack, memory_mb: float = 256.0, progress: ProgressCallback = silent
) -> Tuple[int, int]:
    """The automatic single reference pixel of :func:`set_reference` (valid in every kept
    pair, stable rate, most coherent), for steps that need one without writing a stack."""
    valid, coherence, rate = _scan_pixels(stack, memory_mb, progress)
    _warn_if_all_moves(stack, rate, valid, progress)
    try:
        row, col, _ = choose_reference_areas(valid, coherence, num_areas=1, radius=0, rate=rate)[0]
    except InputError as exc:
        raise InputError(exc.problem, stack.path, exc.fix) from None
    return int(row), int(col)


def _warn_if_all_moves(stack: IfgramStack, rate: np.ndarray, valid, progress) -> None:
    """Report when the stacking rates say the scene median is no stable ground."""
    from .stable_check import check_stable_assumption

    rate_mm_yr = -rate * stack.wavelength / (4 * np.pi) * 1000.0  # LOS, toward the satellite
    check = check_stable_assumption(rate_mm_yr, valid, "the automatic reference point")
    if check.warning:
        report(progress, 0.4, check.warning)


def choose_reference_areas(
    valid: np.ndarray,
    coherence: np.ndarray,
    closure_count: Optional[np.ndarray] = None,
    num_areas: int = 1,
    radius: int = 2,
    min_separation: int = 20,
    rate: Optional[np.ndarray] = None,
    stable_share: float = 0.25,
) -> List[Area]:
    """Pick area centres: valid in every pair over the whole window; when ``rate`` (a rough
    phase rate, e.g. from stacking) is given, among the ``stable_share`` of windows whose rate
    is closest to the scene median (most of a scene is stable, so a coherent but subsiding
    bowl is avoided); then fewest broken loop closures and highest window-mean coherence.
    Centres are at least ``min_separation`` pixels apart."""
    from scipy.ndimage import minimum_filter, uniform_filter

    size = 2 * radius + 1
    window_valid = minimum_filter(valid.astype(np.uint8), size=size, mode="constant") > 0
    if not window_valid.any():
        window_valid = valid
        radius = 0
    if not window_valid.any():
        raise InputError(
            "no pixel is valid in every interferogram.",
            None,
            "drop the interferograms with missing data, or give a reference point.",
        )
    score = uniform_filter(coherence.astype(np.float64), size=size, mode="nearest")
    if closure_count is not None:
        broken = uniform_filter(closure_count.astype(np.float64), size=size, mode="nearest")
        # closures dominate: any broken triplet ranks below every clean window
        score = score - 10.0 * broken
    score = np.where(window_valid, score, -np.inf)
    if rate is not None:
        finite = np.where(np.isfinite(rate), rate, 0.0)
        local = uniform_filter(finite, size=size, mode="nearest")
        deviation = np.abs(local - np.median(finite[valid]))
        limit = np.percentile(deviation[window_valid], 100 * stable_share)
        score = np.where(deviation <= limit, score, -np.inf)
    areas: List[Area] = []
    rows, cols = np.indices(valid.shape)
    for _ in range(max(1, num_areas)):
        best = int(np.argmax(score))
        if not np.isfinite(score.flat[best]):
            break
        r, c = np.unravel_index(best, valid.shape)
        areas.append((int(r), int(c), int(radius)))
        score[np.hypot(rows - r, cols - c) < min_separation] = -np.inf
    return areas


def area_mask(shape: Tuple[int, int], areas: Sequence[Area]) -> np.ndarray:
    """Bool mask of the union of square areas (row, col, radius)."""
    mask = np.zeros(shape, bool)
    for r, c, rad in areas:
        mask[max(0, r - rad) : r + rad + 1, max(0, c - rad) : c + rad + 1] = True
    return mask


def check_areas(stack: IfgramStack, areas: Sequence[Area], valid: np.ndarray) -> None:
    for r, c, _ in areas:
        if not stack.grid.contains(r, c):
            raise InputError(
                f"the reference point (row {r}, col {c}) is outside the stack "
                f"({stack.grid.length} x {stack.grid.width} pixels).",
                stack.path,
                "give a point inside the stack extent, in the stack CRS.",
            )
        if not valid[r, c]:
            raise InputError(
                f"the reference pixel (row {r}, col {c}) has no data or no unwrapped "
                "phase in at least one kept interferogram.",
                stack.path,
                "pick a coherent pixel, or leave the reference empty for automatic.",
            )


def set_reference(
    stack_path: PathLike,
    output: PathLike,
    options: Optional[ReferenceOptions] = None,
    closure_count: Optional[np.ndarray] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> List[Area]:
    """Write a NEW stack at ``output`` carrying the reference (input untouched).

    Returns the areas used; the first area's centre is ``REF_Y``/``REF_X``. ``executor``:
    None (in this process), a Dask scheduler address or an executor (:mod:`core.parallel`)
    that scans the row blocks for valid, coherent pixels; the result is the same.
    """
    options = options or ReferenceOptions()
    import h5py

    check_outputs([output], [stack_path])
    stack = IfgramStack.open(stack_path)
    check_free_space({output: stack.path.stat().st_size})
    with open_executor(executor) as pool:
        valid, coherence, rate = _scan_pixels(
            stack, options.memory_mb, scaled(progress, 0, 0.4), pool
        )
    if options.areas:
        areas = [tuple(int(v) for v in a) for a in options.areas]
        check_areas(stack, areas, valid)
    else:
        if closure_count is not None and closure_count.shape != valid.shape:
            raise InputError(
                f"loop-closure raster is {closure_count.shape}, the stack is {valid.shape}.",
                stack_path,
                "use the loop closure of this stack.",
            )
        _warn_if_all_moves(stack, rate, valid, progress)
        try:
            areas = choose_reference_areas(
                valid,
                coherence,
                closure_count,
                options.num_areas,
                options.radius,
                options.min_separation,
                rate,
            )
        except InputError as exc:
            raise InputError(exc.problem, stack_path, exc.fix) from None
    ref_y, ref_x = areas[0][0], areas[0][1]
    mask = area_mask(stack.grid.shape, areas) & valid
    single = len(areas) == 1 and areas[0][2] == 0
    area_mean = None if single else _area_mean(stack, mask)
    attrs = {
        "REF_Y": ref_y,
        "REF_X": ref_x,
        "REF_AREAS": ";".join(f"{r},{c},{rad}" for r, c, rad in areas),
    }
    position = reference_position(
        stack.path, stack.grid, stack.attrs.get(LOOKUP_ATTRIBUTE), ref_y, ref_x
    )
    if position is not None:
        attrs.update(REF_LON=position[0], REF_LAT=position[1])
    report(
        progress,
        0.5,
        f"Reference pixel row {ref_y}, col {ref_x} "
        f"({len(areas)} area(s), {int(mask.sum())} pixels)",
    )
    with open_h5(stack_path) as src, atomic_output(output) as temp:
        with h5py.File(temp, "w") as dst:
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            for key, value in attrs.items():
                dst.attrs[key] = str(value)
            for name in src:
                if name != "unwrapPhase" or single:
                    src.copy(src[name], dst, name=name)
            if not single:
                source = src["unwrapPhase"]
                target = dst.create_dataset(
                    "unwrapPhase",
                    shape=source.shape,
                    dtype=np.float32,
                    chunks=source.chunks,
                    fillvalue=np.nan,
                )
                for k in range(stack.num_pairs):
                    layer = source[k]
                    layer[ref_y, ref_x] = area_mean[k]
                    target[k] = layer
                    report(progress, 0.5 + 0.5 * (k + 1) / stack.num_pairs, "Writing stack")
    trust(output)
    return areas


def _area_mean(stack: IfgramStack, mask: np.ndarray) -> np.ndarray:
    """Per pair: mean phase over the reference areas (rad)."""
    rows = np.flatnonzero(mask.any(axis=1))
    window = slice(int(rows.min()), int(rows.max()) + 1)
    phase = stack.read("unwrapPhase", window).astype(np.float64)
    return np.nanmean(phase[:, mask[window]], axis=1)


def reference_phase(stack: IfgramStack) -> np.ndarray:
    """(m,) phase at ``REF_Y``/``REF_X`` to subtract from each pair, as MintPy does on read."""
    yx = stack.reference_yx
    if yx is None:
        raise InputError(
            "has no reference point (REF_Y/REF_X).",
            stack.path,
            "run 'Reference point' on the stack first.",
        )
    r, c = yx
    return stack.read("unwrapPhase", slice(r, r + 1))[:, 0, c].astype(np.float64)
