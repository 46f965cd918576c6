"""Ingest generic GeoTIFF interferograms (GAMMA, ISCE, SNAP exports) into ``ifgramStack.h5``.

Unwrapped phase must be geocoded, in radians, positive = motion away from the satellite (flip
the sign beforehand if your processor uses the opposite). Files are classified by name:
``*coh*``/``*corr*`` = coherence, ``*conncomp*`` = connected components, the rest = unwrapped
phase (only ``*unw*`` files when any exist). Pair dates come from the file name through a
regular expression with two groups (default: the first two ``YYYYMMDD`` in the name).

Baselines CSV (optional, metres): either ``date,bperp`` per acquisition (pair baseline =
secondary - reference) or ``date1,date2,bperp`` per pair; a header row is allowed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..atomic import atomic_output, check_free_space, check_outputs
from ..dates import parse_yyyymmdd
from ..errors import InputError
from ..progress import ProgressCallback, report, scaled, silent
from .stack_builder import (
    IngestOptions,
    IngestResult,
    PairSource,
    check_coherence_layers,
    expected_sizes,
    stack_grid,
    write_stack,
)

PathLike = Union[str, Path]
Pair = Tuple[dt.date, dt.date]

#: The first two stand-alone 8-digit dates in a name.
DEFAULT_PATTERN = r"(?<!\d)(\d{8})(?!\d).*?(?<!\d)(\d{8})(?!\d)"
#: coherence file names of GAMMA (``cc``), ISCE (``cor``), SNAP (``coh``) and LiCSAR (``cc``)
#: exports: ``coh`` or ``corr`` anywhere, ``cc`` or ``cor`` as a word of the name
COHERENCE_PATTERN = r"coh|corr|(?<![a-z])(?:cc|cor)(?![a-z])"
_CONNCOMP = re.compile(r"conn?comp|concomp", re.IGNORECASE)


def pair_from_name(name: str, pattern: str, source: PathLike) -> Pair:
    """(reference, secondary) dates from a file name with ``pattern`` (two groups)."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"the date pattern '{pattern}' is not a valid regular expression ({exc}).",
            None,
            "use two (\\d{8}) groups, e.g. (\\d{8})_(\\d{8}).",
        ) from None
    match = regex.search(name)
    if match is None or len(match.groups()) < 2:
        raise InputError(
            f"no pair of dates matching '{pattern}' in its name.",
            source,
            "rename it to hold both dates as YYYYMMDD (e.g. 20190104_20190116_unw.tif)"
            " or edit the date pattern.",
        )
    reference, secondary = (parse_yyyymmdd(g, source) for g in match.groups()[:2])
    return (reference, secondary) if reference <= secondary else (secondary, reference)


def read_baselines(path: PathLike) -> Tuple[Dict[dt.date, float], Dict[Pair, float]]:
    """Per-date and per-pair perpendicular baselines (m) from a CSV."""
    per_date, per_pair = {}, {}
    with open(path, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            cells = [c.strip() for c in row if c.strip()]
            dates = [c.replace("-", "") for c in cells]
            if not cells or (number == 1 and not dates[0][:8].isdigit()):
                continue
            try:
                if len(cells) == 2:
                    per_date[parse_yyyymmdd(dates[0], path)] = float(cells[1])
                elif len(cells) >= 3:
                    pair = (parse_yyyymmdd(dates[0], path), parse_yyyymmdd(dates[1], path))
                    per_pair[pair] = float(cells[2])
                else:
                    raise ValueError
            except (ValueError, InputError):
                raise InputError(
                    f"line {number} ({', '.join(row)}) is not 'date,bperp' or 'date1,date2,bperp'.",
                    path,
                    "give dates as YYYYMMDD and baselines in metres.",
                ) from None
    return per_date, per_pair


def _baseline(pair: Pair, per_date, per_pair, path) -> float:
    if pair in per_pair:
        return per_pair[pair]
    if pair[0] in per_date and pair[1] in per_date:
        return per_date[pair[1]] - per_date[pair[0]]
    raise InputError(
        f"it has no baseline for the pair {pair[0]:%Y%m%d}_{pair[1]:%Y%m%d}.",
        path,
        "add the pair (or both dates) to the CSV.",
    )


def find_interferograms(
    folder: PathLike, pattern: str, coherence_pattern: str = COHERENCE_PATTERN
) -> Tuple[List[PairSource], List[str]]:
    """Group the GeoTIFFs of ``folder`` (recursively) into one PairSource per pair; files whose
    name matches ``coherence_pattern`` (a regular expression, case ignored) are coherence."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("folder not found.", folder, "choose the folder holding the GeoTIFFs.")
    try:
        coherence = re.compile(coherence_pattern or COHERENCE_PATTERN, re.IGNORECASE)
    except re.error as exc:
        raise InputError(
            f"the coherence pattern '{coherence_pattern}' is not a valid regular expression "
            f"({exc}).",
            None,
            "give a part of the coherence file names, e.g. _cc or \\.cor\\.",
        ) from None
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".tif", ".tiff"))
    roles = {"coherence": [], "conncomp": [], "unwrapped": []}
    for path in files:
        role = (
            "conncomp"
            if _CONNCOMP.search(path.name)
            else "coherence"
            if coherence.search(path.name)
            else "unwrapped"
        )
        roles[role].append(path)
    if any("unw" in p.name.lower() for p in roles["unwrapped"]):
        roles["unwrapped"] = [p for p in roles["unwrapped"] if "unw" in p.name.lower()]
    if not roles["unwrapped"]:
        raise InputError(
            "no unwrapped-phase GeoTIFFs found.",
            folder,
            "put the interferograms (*.tif, names with both dates) in this folder.",
        )
    sources: Dict[Pair, PairSource] = {}
    warnings = []
    for path in roles["unwrapped"]:
        pair = pair_from_name(path.name, pattern, path)
        if pair in sources:
            warnings.append(
                f"Skipping {path.name}: it repeats the pair {pair[0]:%Y%m%d}_"
                f"{pair[1]:%Y%m%d} of {sources[pair].source.name}."
            )
            continue
        sources[pair] = PairSource(pair, path, str(path), name=path.name)
    for role in ("coherence", "conncomp"):
        for path in roles[role]:
            source = sources.get(pair_from_name(path.name, pattern, path))
            if source is not None and getattr(source, role) is None:
                setattr(source, role, str(path))
    if not roles["coherence"]:
        warnings.append(
            "No coherence GeoTIFFs recognised (names with cc, coh, cor or corr, or the "
            "coherence pattern): the stack has no coherence dataset. Invert with WEIGHT = none, "
            "or give the pattern of the coherence file names."
        )
    return [sources[p] for p in sorted(sources)], warnings


def ingest_geotiff(
    folder: PathLike,
    stack_path: PathLike,
    pattern: str = DEFAULT_PATTERN,
    baselines: Optional[PathLike] = None,
    options: Optional[IngestOptions] = None,
    progress: ProgressCallback = silent,
    coherence_pattern: str = COHERENCE_PATTERN,
) -> IngestResult:
    """Ingest the GeoTIFF interferograms of ``folder`` into ``stack_path``."""
    options = options or IngestOptions()
    check_outputs([stack_path], [folder] + ([baselines] if baselines else []))
    sources, warnings = find_interferograms(folder, pattern, coherence_pattern)
    if baselines:
        per_date, per_pair = read_baselines(baselines)
        for source in sources:
            source.bperp = _baseline(source.pair, per_date, per_pair, baselines)
    else:
        warnings.append(
            "No baselines CSV: perpendicular baselines set to 0 (DEM-error "
            "correction will not be possible)."
        )
    grid = stack_grid(sources, multilook=options.multilook)
    check_coherence_layers(sources)  # no coherence at all is already in the warnings
    for warning in warnings:
        report(progress, 0.0, warning)
    attrs = {"PROCESSOR": "geotiff", "INGESTED_FROM": str(folder)}
    check_free_space(expected_sizes(sources, grid, options, stack_path))
    with atomic_output(stack_path) as temp:
        out_grid = write_stack(
            sources, temp, grid, options, attrs, progress=scaled(progress, 0.02, 1.0)
        )
    return IngestResult(Path(stack_path), None, out_grid, len(sources), warnings)
