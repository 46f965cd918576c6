"""Triplet phase closure of an unwrapped interferogram stack (unwrapping-error detection).

For three acquisitions i < j < k whose pairs ij, jk and ik are all in the network, the closure
phase ``C = phi_ij + phi_jk - phi_ik`` is zero up to noise and small closure-phase bias; an
unwrapping error in one of the pairs adds a multiple of 2 pi. The integer ambiguity
``round(C / 2 pi)`` is therefore non-zero where a triplet is broken (Yunjun et al. 2019, as
MintPy's ``unwrap_error_phase_closure``). Per pixel we count those triplets; per pair we report
the fraction of (pixel, triplet) closures it takes part in that are broken, over the pixels
whose broken count one bad pair can explain (at most as many as the triplets any single pair is
in): noise-dominated pixels (decorrelated vegetation) break triplets of every pair and would
hide the pair that carries an error.

Independent orbital ramps of the three pairs (and smooth closure-phase bias) leave a planar
closure phase that, added to noise, would push many pixels past pi. By default a plane fitted
to each triplet's closure over the whole image is removed before rounding; unwrapping errors
are local patches and survive it. Set ``remove_plane=False`` for MintPy's plain rounding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs, csv_output
from ..blocks import row_blocks
from ..dates import format_yyyymmdd
from ..errors import InputError
from ..io.geotiff import write_geotiff
from ..io.mintpy import IfgramStack, Pair, copy_stack_with_keep
from ..options import Options, option
from ..progress import ProgressCallback, finished, report, silent
from .selection import connected_components

PathLike = Union[str, Path]


@dataclass
class LoopClosureOptions(Options):
    drop_fraction: float = option(
        0.0,
        help="Drop pairs whose share of broken triplet closures exceeds this (0 = keep all)",
        minimum=0.0,
        maximum=1.0,
    )
    remove_plane: bool = option(
        True,
        help="Subtract a plane fitted to each triplet's closure phase before counting (orbital "
        "ramps); off = MintPy's plain rounding",
    )
    memory_mb: float = option(
        256.0, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


@dataclass
class LoopClosureResult:
    triplets: np.ndarray  # (T, 3) pair indices (ij, jk, ik) into the stack
    count: np.ndarray  # (L, W) int32, broken triplets per pixel
    valid_triplets: np.ndarray  # (L, W) int32, triplets with finite closure per pixel
    triplet_broken: np.ndarray  # (T,) pixels where the triplet is broken
    triplet_tested: np.ndarray  # (T,) pixels where the triplet closure is finite
    keep: np.ndarray  # (m,) bool, dropIfgram after the optional cleaning

    @property
    def pair_broken(self) -> np.ndarray:
        """(m,) broken (pixel, triplet) closures each pair takes part in."""
        return pair_totals(self.triplets, self.triplet_broken, len(self.keep))

    @property
    def pair_tested(self) -> np.ndarray:
        return pair_totals(self.triplets, self.triplet_tested, len(self.keep))

    @property
    def pair_fraction(self) -> np.ndarray:
        """(m,) broken / tested closures per pair (NaN for pairs in no triplet)."""
        return broken_fraction(
            self.triplets, self.triplet_broken, self.triplet_tested, len(self.keep)
        )


def pair_totals(triplets: np.ndarray, per_triplet: np.ndarray, num_pairs: int) -> np.ndarray:
    total = np.zeros(num_pairs, np.int64)
    for column in range(3):
        np.add.at(total, triplets[:, column], per_triplet)
    return total


def broken_fraction(
    triplets: np.ndarray, broken: np.ndarray, tested: np.ndarray, num_pairs: int
) -> np.ndarray:
    b = pair_totals(triplets, broken, num_pairs)
    t = pair_totals(triplets, tested, num_pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t > 0, b / np.maximum(t, 1), np.nan)


def find_triplets(pairs: Sequence[Pair], keep: Optional[Sequence[bool]] = None) -> np.ndarray:
    """All (ij, jk, ik) pair-index triplets among the kept pairs, shape (T, 3)."""
    keep = np.ones(len(pairs), bool) if keep is None else np.asarray(keep, bool)
    lookup = {p: k for k, p in enumerate(pairs) if keep[k]}
    after = {}
    for a, b in lookup:
        after.setdefault(a, []).append(b)
    triplets = []
    for (a, b), ab in sorted(lookup.items(), key=lambda item: item[0]):
        for c in sorted(after.get(b, [])):
            ac = lookup.get((a, c))
            if ac is not None:
                triplets.append((ab, lookup[(b, c)], ac))
    return np.asarray(triplets, dtype=int).reshape(-1, 3)


def closure_phase(phase: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """Closure phase phi_ij + phi_jk - phi_ik (rad) per triplet: phase (m, ...) -> (T, ...)
    (NaN where a pair is NaN)."""
    return phase[triplets[:, 0]] + phase[triplets[:, 1]] - phase[triplets[:, 2]]


def closure_ambiguity(phase: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """Integer ambiguity round(C / 2pi) per triplet, (T, ...) float, NaN where undefined."""
    return np.round(closure_phase(phase, triplets) / (2 * np.pi))


def _plane_design(rows: slice, shape) -> np.ndarray:
    """(N, 3) [1, x, y] of the pixels of a row block, x/y scaled to [0, 1]."""
    length, width = shape
    yy, xx = np.mgrid[rows, 0:width]
    return np.column_stack(
        [np.ones(yy.size), xx.ravel() / max(width - 1, 1), yy.ravel() / max(length - 1, 1)]
    )


def _closure_planes(
    stack: IfgramStack,
    used: np.ndarray,
    local_triplets: np.ndarray,
    blocks,
    progress: ProgressCallback,
) -> np.ndarray:
    """(T, 3) plane [c, a_x, a_y] fitted to each triplet's closure phase over the whole image,
    accumulated block by block (normal equations add up over pixels)."""
    num = len(local_triplets)
    normal = np.zeros((num, 3, 3))
    rhs = np.zeros((num, 3))
    for b, rows in enumerate(blocks):
        closure = closure_phase(_read_phase(stack, rows, used), local_triplets).reshape(num, -1)
        finite = np.isfinite(closure)
        design = _plane_design(rows, stack.grid.shape)
        normal += np.einsum("tn,ni,nj->tij", finite.astype(np.float64), design, design)
        rhs += np.where(finite, closure, 0.0) @ design
        report(progress, 0.45 * (b + 1) / len(blocks), "Closure-phase planes")
    planes = np.zeros((num, 3))
    for t in range(num):
        planes[t] = np.linalg.lstsq(normal[t], rhs[t], rcond=None)[0]
    return planes


def _read_phase(stack: IfgramStack, rows: slice, used: np.ndarray) -> np.ndarray:
    phase = stack.read("unwrapPhase", rows, used).astype(np.float64)
    if "connectComponent" in stack.datasets:
        phase[stack.read("connectComponent", rows, used) == 0] = np.nan
    return phase


def loop_closure(
    stack_path: PathLike,
    options: Optional[LoopClosureOptions] = None,
    progress: ProgressCallback = silent,
) -> LoopClosureResult:
    """Count broken triplets per pixel and per pair over the kept pairs of a stack."""
    options = options or LoopClosureOptions()
    stack = IfgramStack.open(stack_path)
    triplets = find_triplets(stack.pairs, stack.keep)
    if len(triplets) == 0:
        raise InputError(
            "the network has no closed triplet (ij, jk, ik) of kept pairs.",
            stack_path,
            "keep at least two connections per acquisition "
            "(e.g. a larger maximum temporal baseline).",
        )
    used = np.unique(triplets)
    local = {k: i for i, k in enumerate(used)}
    local_triplets = np.vectorize(local.get)(triplets)
    length, width = stack.grid.shape
    count = np.zeros((length, width), np.int32)
    valid = np.zeros((length, width), np.int32)
    triplet_broken = np.zeros(len(triplets), np.int64)
    triplet_tested = np.zeros(len(triplets), np.int64)
    bytes_per_row = 8 * width * (len(used) * 2 + len(triplets) * 4)
    blocks = list(row_blocks(length, bytes_per_row, options.memory_mb))
    max_membership = np.bincount(triplets.ravel()).max()
    planes = None
    start = 0.0
    if options.remove_plane:
        planes = _closure_planes(stack, used, local_triplets, blocks, progress)
        start = 0.45
    for b, rows in enumerate(blocks):
        closure = closure_phase(_read_phase(stack, rows, used), local_triplets)
        if planes is not None:
            closure -= (_plane_design(rows, stack.grid.shape) @ planes.T).T.reshape(closure.shape)
        ambiguity = np.round(closure / (2 * np.pi))
        finite = np.isfinite(ambiguity)
        broken = finite & (ambiguity != 0)
        count[rows] = broken.sum(axis=0)
        valid[rows] = finite.sum(axis=0)
        explained = count[rows] <= max_membership
        triplet_broken += (broken & explained).reshape(len(triplets), -1).sum(axis=1)
        triplet_tested += (finite & explained).reshape(len(triplets), -1).sum(axis=1)
        report(progress, start + (0.9 - start) * (b + 1) / len(blocks), "Triplet closure")
    result = LoopClosureResult(
        triplets, count, valid, triplet_broken, triplet_tested, stack.keep.copy()
    )
    if options.drop_fraction > 0:
        result.keep = drop_failing_pairs(stack.pairs, stack.keep, result, options.drop_fraction)
    return result


def drop_failing_pairs(
    pairs: Sequence[Pair], keep: np.ndarray, result: LoopClosureResult, threshold: float
) -> np.ndarray:
    """Drop the pair with the highest broken-closure fraction while it exceeds ``threshold``,
    recomputing fractions over the triplets still complete after each drop (innocent partners
    of a bad pair are cleared once it is gone); never drop a pair whose removal would split
    the network into more parts."""
    keep = np.asarray(keep, bool).copy()
    dates = sorted({d for p, k in zip(pairs, keep, strict=True) if k for d in p})
    parts = len(connected_components([p for p, k in zip(pairs, keep, strict=True) if k], dates))
    protected = np.zeros(len(pairs), bool)
    while True:
        active = keep[result.triplets].all(axis=1)
        fraction = broken_fraction(
            result.triplets[active],
            result.triplet_broken[active],
            result.triplet_tested[active],
            len(pairs),
        )
        fraction = np.where(keep & ~protected & np.isfinite(fraction), fraction, -1.0)
        worst = int(np.argmax(fraction))
        if fraction[worst] <= threshold:
            return keep
        keep[worst] = False
        remaining = [p for p, k in zip(pairs, keep, strict=True) if k]
        if len(connected_components(remaining, dates)) > parts:
            keep[worst] = True
            protected[worst] = True


def write_pair_statistics(
    path: PathLike, pairs: Sequence[Pair], result: LoopClosureResult, input_keep: np.ndarray
) -> Path:
    """CSV per pair: triplets it is in, tested and broken closures, broken fraction, keep."""
    in_triplets = np.bincount(result.triplets.ravel(), minlength=len(pairs))
    with csv_output(path) as writer:
        writer.writerow(
            [
                "reference_date",
                "secondary_date",
                "triplets",
                "closures_tested",
                "closures_broken",
                "broken_fraction",
                "keep_before",
                "keep",
            ]
        )
        fraction = result.pair_fraction
        for k, (a, b) in enumerate(pairs):
            writer.writerow(
                [
                    format_yyyymmdd(a),
                    format_yyyymmdd(b),
                    int(in_triplets[k]),
                    int(result.pair_tested[k]),
                    int(result.pair_broken[k]),
                    f"{fraction[k]:.5f}" if np.isfinite(fraction[k]) else "",
                    int(bool(input_keep[k])),
                    int(bool(result.keep[k])),
                ]
            )
    return Path(path)


def run_loop_closure(
    stack_path: PathLike,
    count_tif: PathLike,
    stats_csv: Optional[PathLike] = None,
    cleaned_stack: Optional[PathLike] = None,
    options: Optional[LoopClosureOptions] = None,
    progress: ProgressCallback = silent,
) -> LoopClosureResult:
    """Loop closure with file outputs: a GeoTIFF (band 1 = broken triplets per pixel,
    band 2 = triplets tested), the per-pair CSV, and optionally a cleaned stack (new file)."""
    options = options or LoopClosureOptions()
    check_outputs([count_tif, stats_csv, cleaned_stack], [stack_path])
    stack = IfgramStack.open(stack_path)
    result = loop_closure(stack_path, options, progress)
    write_geotiff(
        count_tif,
        np.stack([result.count, result.valid_triplets]),
        stack.grid,
        band_names=["broken_triplets", "tested_triplets"],
        nodata=-1,
    )
    if stats_csv:
        write_pair_statistics(stats_csv, stack.pairs, result, stack.keep)
    if cleaned_stack:
        dropped = int((stack.keep & ~result.keep).sum())
        copy_stack_with_keep(
            stack_path, cleaned_stack, result.keep, attrs={"LOOP_CLOSURE_DROPPED": dropped}
        )
    finished(
        progress,
        f"{len(result.triplets)} triplets; "
        f"{int((result.count > 0).sum())} pixels with at least one broken triplet.",
    )
    return result


def worst_pairs(
    pairs: Sequence[Pair], result: LoopClosureResult, n: int = 5
) -> List[Tuple[dt.date, dt.date, float]]:
    """The ``n`` pairs with the highest broken-closure fraction."""
    fraction = result.pair_fraction
    order = np.argsort(-np.nan_to_num(fraction, nan=-1.0))[:n]
    return [
        (pairs[k][0], pairs[k][1], float(fraction[k])) for k in order if np.isfinite(fraction[k])
    ]
