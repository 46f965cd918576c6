"""SBAS inversion of an interferogram stack into a displacement time series.

Per pixel, the unwrapped phases of the kept interferograms ``y`` (rad, positive = away from the
satellite) are related to the phase of each acquisition relative to the first one ``x`` by
``A x = y`` (``A[i, date2] = 1``, ``A[i, date1] = -1``). We solve the weighted least squares
problem ``min || W^(1/2) (A x - y) ||`` per pixel, with weights from the spatial coherence
(MintPy's functions: ``none``, ``coherence``, ``fim`` = Fisher information 2 L g^2 / (1 - g^2),
``var`` = inverse phase variance of distributed scatterers after Tough et al. 1995).

Speed: no per-pixel Python loop. ``A^T W A`` is the weighted Laplacian of the date graph, so
its Cholesky factor, after a minimum-degree ordering of the dates, is sparse; the factors of
~2000 pixels are computed together, every operation vectorised over pixels (numpy, or torch on
a CUDA device when one is present). Pixels that share the same set of valid pairs share one
graph analysis and, unweighted, one factorisation.

Networks split into parts (the graph of dates linked by valid pairs has several connected
components) are never smoothed over silently:

* ``split_network="parts"`` (default): each part of the stack's network is solved on its own
  and referenced to its own first date (zero there); the parts are reported by date names and
  written to the output attributes (``NETWORK_PARTS``, ``NETWORK_PART_OF_DATE``). Where masking
  splits a single pixel's network further, the dates not connected to their part's first date
  are NaN for that pixel (counted and reported).
* ``split_network="bridge"``: classic SBAS (Berardino et al. 2002) and MintPy: the minimum-norm
  solution of the velocity (``min_norm_velocity``) or phase over the whole network, pixels
  lacking any pair for a date left out; flagged in the attributes as bridged.

Output: LOS displacement ``-phase * wavelength / (4 pi)`` in metres, positive toward the
satellite, zero at the first date; temporal coherence ``|mean(exp(j residual))|`` and the
number of pairs used per pixel. The reference pixel gets zero displacement, temporal coherence 1
and all pairs, as in MintPy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np

from ...accelerator import blas_threads
from ...atomic import check_free_space, check_outputs
from ...blocks import return_large_frees_to_the_system, row_blocks
from ...conventions import DEFAULT_MEMORY_BUDGET_MB, phase_to_los
from ...errors import InputError
from ...io.lookup import LOOKUP_ATTRIBUTE, reference_position
from ...io.mintpy import (
    HDF5_OVERHEAD_BYTES,
    IfgramStack,
    image_bytes,
    timeseries_bytes,
    timeseries_writer,
    write_datasets,
)
from ...network.selection import acquisition_bperp, connected_components
from ...options import Options, option
from ...parallel import map_blocks, open_executor
from ...progress import ProgressCallback, finished, report, scaled, silent
from .backend import Backend
from .network import DateNetwork, describe_parts, network_dates
from .solve import CACHE_CHUNK_PIXELS, SplitNetwork, invert_phases
from .weights import Weight, number_of_looks

PathLike = Union[str, Path]


@dataclass
class InversionOptions(Options):
    """Options of :func:`invert_stack`."""

    weight: Weight = option(Weight.VAR, help="Weight of each interferogram from its coherence")
    min_norm_velocity: bool = option(
        True,
        help="Where parts are bridged, minimise the velocity steps (classic SBAS) rather than "
        "the phase",
    )
    split_network: SplitNetwork = option(
        SplitNetwork.PARTS, help="Where the network is split into parts that share no date"
    )
    mask_coherence: float = option(
        0.0,
        help="Interferogram pixels with coherence below this are not used (0 = use all)",
        minimum=0.0,
        maximum=1.0,
    )
    mask_conncomp: bool = option(
        True, help="Do not use pixels with connectComponent 0 (when the stack has that dataset)"
    )
    reference_yx: Optional[Tuple[int, int]] = option(
        None,
        help="Reference pixel (row, column); empty = the stack's REF_Y/REF_X, else chosen "
        "automatically (coherent, valid in every pair)",
    )
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB,
        help="Memory budget of the row blocks",
        unit="MiB",
        minimum=0.001,
    )
    rcond: float = option(
        1e-5,
        help="Singular values below rcond times the largest are ignored by the bridged "
        "(minimum-norm) solution",
        minimum=0.0,
    )
    device: str = option("auto", help="auto (CUDA through torch when available), cpu or cuda")


@dataclass
class InversionResult:
    timeseries: Path
    temporal_coherence: Path
    dates: List[dt.date]
    parts: List[List[dt.date]]
    reference_yx: Tuple[int, int]
    pixels_inverted: int
    pixels_with_dates_cut: int
    messages: List[str] = field(default_factory=list)


def _reference_pixel(
    stack: IfgramStack, options: InversionOptions, progress: ProgressCallback
) -> Tuple[int, int]:
    if options.reference_yx is not None:
        ref = tuple(int(v) for v in options.reference_yx)
    elif stack.reference_yx is not None:
        ref = stack.reference_yx
    else:
        from ...corrections.reference import automatic_reference_pixel

        ref = automatic_reference_pixel(stack, options.memory_mb)
        report(
            progress,
            0.0,
            f"No reference pixel given: using row {ref[0]}, column {ref[1]} "
            "(valid in every pair, stable, most coherent).",
        )
    if not stack.grid.contains(*ref):
        raise InputError(
            f"the reference pixel (row {ref[0]}, column {ref[1]}) is outside the "
            f"{stack.grid.length} x {stack.grid.width} grid.",
            stack.path,
            "choose a reference point inside the stack extent.",
        )
    return ref


#: memory the inversion holds besides its row blocks and full-image outputs: HDF5 chunk
#: caches and conversion buffers, the network's factorisation pattern (bytes)
FIXED_BYTES = 6 * 2**20


def inversion_bytes_per_pixel(num_pairs: int, num_dates: int) -> int:
    """Peak bytes per pixel of a row block in :func:`_invert_rows`: the float32 phase and
    coherence and two masks per pair, then the float64 series, the group labels and the
    float32 output per date."""
    m, n = num_pairs, num_dates
    return 10 * m + 28 * n


def _invert_rows(
    stack,
    rows,
    index,
    pairs,
    raw_ref,
    options,
    looks,
    use_conncomp,
    backend,
    chunk_pixels,
    progress,
):
    """Invert one row block: (phase time series (n, P) rad, temporal coherence (P,), pairs
    used (P,), dates cut (P,)). Its work arrays are freed on return."""
    m = len(index)
    phase = stack.read("unwrapPhase", rows, index).reshape(m, -1)  # float32, referenced later
    # raw zeros are no-data (HyP3/MintPy fill value); MintPy also drops phases that become
    # exactly zero after referencing, we keep those valid observations
    phase[phase == 0] = np.nan
    phase[np.isnan(raw_ref)] = np.nan  # pairs without a reference phase
    coherence = None
    if options.weight != "none" or options.mask_coherence > 0:
        coherence = stack.read("coherence", rows, index).reshape(m, -1)
    if options.mask_coherence > 0:
        phase[~(coherence >= options.mask_coherence)] = np.nan  # NaN coherence too
    if use_conncomp:
        phase[stack.read("connectComponent", rows, index).reshape(m, -1) == 0] = np.nan
    return invert_phases(
        phase,
        pairs,
        options.weight,
        coherence,
        looks,
        raw_ref,
        options.split_network,
        options.min_norm_velocity,
        options.rcond,
        backend,
        chunk_pixels,
        progress,
    )


@blas_threads(1)  # network-sized products and solves: threads only wait for busy cores
def invert_block(
    rows: slice,
    stack: IfgramStack,
    index,
    pairs,
    raw_ref,
    options,
    looks,
    use_conncomp: bool,
    chunk_pixels: int,
    length: int,
    progress: ProgressCallback = silent,
):
    """:func:`_invert_rows` of the row block ``rows`` of ``length`` rows with the backend of
    ``options.device``: one block of :func:`invert_stack`, a module-level function of
    picklable arguments, so that a Dask worker can run it."""
    return _invert_rows(
        stack,
        rows,
        index,
        pairs,
        raw_ref,
        options,
        looks,
        use_conncomp,
        Backend(options.device),
        chunk_pixels,
        scaled(progress, rows.start / length, rows.stop / length),
    )


@blas_threads(1)  # network-sized products and solves: threads only wait for busy cores
def invert_stack(
    stack_path: PathLike,
    timeseries_path: PathLike,
    tcoh_path: PathLike,
    options: Optional[InversionOptions] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> InversionResult:
    """Invert an ``ifgramStack.h5`` into ``timeseries.h5`` and ``temporalCoherence.h5``.

    Row blocks under ``options.memory_mb`` are inverted one by one; ``executor``: None (in
    this process), a Dask scheduler address or an executor (:mod:`core.parallel`) that
    inverts the blocks; the result is the same, written by this process.

    Uses the kept pairs (``dropIfgram``). Phases are referenced to the reference pixel (the
    given one, else the stack's REF_Y/REF_X, else automatic); exactly zero phases in the file
    are no-data (MintPy's convention). ``temporalCoherence.h5`` also holds ``numInvIfgram``
    (pairs used per pixel). Split networks are reported in ``result.messages`` and in the
    output attributes.
    """
    options = options or InversionOptions()
    check_outputs([timeseries_path, tcoh_path], [stack_path])
    stack = IfgramStack.open(stack_path)
    keep = stack.keep.copy()
    index = np.flatnonzero(keep)
    pairs = [stack.pairs[i] for i in index]
    if len(pairs) < 1:
        raise InputError(
            "no interferogram is kept (dropIfgram is all False).",
            stack_path,
            "keep at least one pair in the network step.",
        )
    if options.weight != "none" and "coherence" not in stack.datasets:
        raise InputError(
            "weighting needs a 'coherence' dataset and the stack has none.",
            stack_path,
            "use WEIGHT = none, or ingest the coherence too.",
        )
    backend = Backend(options.device)
    dates = network_dates(pairs)
    parts = connected_components(pairs)
    messages = [
        f"{len(pairs)} pairs, {len(dates)} dates, weight {options.weight}, solver {backend.name}."
    ]
    if len(parts) > 1:
        handling = (
            "each part is solved on its own and referenced to its own first date"
            if options.split_network == "parts"
            else "bridged by the minimum-norm solution (classic SBAS); the offsets between "
            "parts are an assumption, not a measurement"
        )
        messages.append(
            f"The network is split into {len(parts)} parts: {describe_parts(parts)}; {handling}."
        )
    for message in messages:
        report(progress, 0.0, message)

    ref_y, ref_x = _reference_pixel(stack, options, progress)
    raw_ref = stack.read("unwrapPhase", slice(ref_y, ref_y + 1), index)[:, 0, ref_x].astype(
        np.float64
    )
    if np.isnan(raw_ref).all():
        raise InputError(
            f"the reference pixel (row {ref_y}, column {ref_x}) has no valid phase.",
            stack_path,
            "choose a reference point with valid, coherent phase.",
        )
    if np.isnan(raw_ref).any():
        messages.append(
            f"{int(np.isnan(raw_ref).sum())} pairs have no phase at the reference "
            "pixel and are not used."
        )
        report(progress, 0.0, messages[-1])
    looks = number_of_looks(stack.attrs)
    use_conncomp = options.mask_conncomp and "connectComponent" in stack.datasets
    n, m = len(dates), len(pairs)
    width = stack.grid.width
    net_part = DateNetwork.build(pairs).part_of_date
    part_text = ",".join(str(int(p)) for p in net_part)
    attrs = {k: v for k, v in stack.attrs.items() if k not in ("FILE_TYPE", "REF_DATE")}
    attrs.update(
        {
            "REF_Y": ref_y,
            "REF_X": ref_x,
            "UNIT": "m",
            "INVERSION_WEIGHT": options.weight,
            "INVERSION_MIN_NORM": "velocity" if options.min_norm_velocity else "phase",
            "INVERSION_MASK_COHERENCE": options.mask_coherence,
            "INVERSION_SOLVER": backend.name,
            "NETWORK_NUM_PARTS": len(parts),
            "NETWORK_SPLIT_HANDLING": options.split_network if len(parts) > 1 else "none",
            "NETWORK_PARTS": describe_parts(parts),
            "NETWORK_PART_OF_DATE": part_text,
        }
    )
    position = reference_position(stack.path, stack.grid, attrs.get(LOOKUP_ATTRIBUTE), ref_y, ref_x)
    if position is not None:
        attrs.update(REF_LON=position[0], REF_LAT=position[1])
    check_free_space(
        {
            timeseries_path: timeseries_bytes(n, stack.grid.shape),
            tcoh_path: image_bytes(1, stack.grid.shape, 4 + 2) + HDF5_OVERHEAD_BYTES,
        }
    )
    length = stack.grid.length
    tcoh = np.zeros(stack.grid.shape, np.float32)
    count = np.zeros(stack.grid.shape, np.int16)
    bperp = np.nan_to_num(acquisition_bperp(pairs, stack.bperp[keep], dates)).astype(np.float32)
    wavelength = stack.wavelength
    inverted = cut_pixels = 0
    chunk_pixels = max(
        64, min(CACHE_CHUNK_PIXELS, int(options.memory_mb * 2**20 / 4 // (8 * (n * 16 + 6 * m))))
    )
    # the budget holds the full-image outputs kept in memory, then the row blocks
    return_large_frees_to_the_system()
    block_mb = options.memory_mb - (tcoh.nbytes + count.nbytes + FIXED_BYTES) / 2**20
    blocks = row_blocks(length, inversion_bytes_per_pixel(m, n) * width, max(block_mb, 1e-6))
    blocks = list(blocks)
    with (
        open_executor(executor) as pool,
        timeseries_writer(timeseries_path, stack.grid, dates, bperp, attrs) as f,
    ):
        inverted_blocks = map_blocks(
            invert_block,
            blocks,
            stack,
            index,
            pairs,
            raw_ref,
            options,
            looks,
            use_conncomp,
            chunk_pixels,
            length,
            progress if pool is None else silent,
            executor=pool,
        )
        for rows, (ts, tc, used, cut) in zip(blocks, inverted_blocks, strict=True):
            report(
                progress,
                rows.stop / length,
                f"Inverted rows {rows.start + 1}-{rows.stop} of {length}",
            )
            block_shape = (rows.stop - rows.start, width)
            displacement = phase_to_los(ts, wavelength).astype(np.float32)
            del ts
            if rows.start <= ref_y < rows.stop:
                flat = (ref_y - rows.start) * width + ref_x
                displacement[:, flat] = 0.0
                tc[flat], used[flat] = 1.0, m
            f["timeseries"][:, rows, :] = displacement.reshape((n,) + block_shape)
            del displacement
            tcoh[rows] = tc.reshape(block_shape)
            count[rows] = used.reshape(block_shape)
            inverted += int((used > 0).sum())
            cut_pixels += int(cut.sum())
        tcoh_attrs = dict(attrs, UNIT="1")
        write_datasets(
            tcoh_path,
            {"temporalCoherence": tcoh, "numInvIfgram": count},
            "temporalCoherence",
            stack.grid,
            tcoh_attrs,
        )
    if cut_pixels:
        messages.append(
            f"{cut_pixels} pixels lost the link between some dates and their "
            "part's first date after masking; those dates are NaN there."
        )
    finished(progress, f"Inverted {inverted} pixels.")
    return InversionResult(
        Path(timeseries_path),
        Path(tcoh_path),
        dates,
        parts,
        (ref_y, ref_x),
        inverted,
        cut_pixels,
        messages,
    )
