"""Small-baseline network design: select interferogram pairs, keep the network connected.

Two uses:

* **modify** an ingested stack (:func:`modify_network`): pairs are selected by temporal and
  perpendicular baseline, number of connections, date range and excluded dates, then pairs whose
  mean spatial coherence (inside an optional AOI) is below a threshold are dropped, except those
  on the maximum-coherence spanning tree of the candidate network, which keeps every acquisition
  connected (as MintPy's ``modify_network`` with ``keepMinSpanTree``). The result is a NEW stack
  with an updated ``dropIfgram`` (True = keep), a pair CSV and a baseline plot.
* **plan** a network before any processing (:func:`plan_network`) from a list of acquisitions
  (CSV of dates + perpendicular baselines, or Sentinel-1/HyP3 granule names) and write the pair
  list to submit to HyP3.

Units: temporal baselines in days, perpendicular baselines in metres (secondary minus reference),
coherence 0..1.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs, csv_output
from ..blocks import row_blocks
from ..dates import dates_in_text, format_yyyymmdd, parse_yyyymmdd
from ..errors import InputError
from ..grid import Grid
from ..io.mintpy import IfgramStack, Pair, copy_stack_with_keep
from ..options import Options, option, option_default
from ..plotting import pyplot, save_figure
from ..progress import ProgressCallback, finished, report, scaled, silent

PathLike = Union[str, Path]
Extent = Tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in the stack CRS

KEPT = "kept"
KEPT_MST = "kept: spanning tree"
DROPPED_INPUT = "dropped in input"
DROPPED_COHERENCE = "coherence below threshold"


@dataclass
class PairSelectionOptions(Options):
    """Pair selection rules. ``None``/0 switches a rule off."""

    max_temporal_baseline: Optional[float] = option(
        None,
        help="Pairs spanning more days than this are not used",
        unit="days",
        minimum=0.0,
    )
    max_perp_baseline: Optional[float] = option(
        None,
        help="Pairs whose perpendicular baseline |bperp| exceeds this are not used",
        unit="m",
        minimum=0.0,
    )
    max_connections: int = option(
        0,
        help="Pair each acquisition with at most its N next acquisitions (0 = no limit)",
        minimum=0,
    )
    start_date: Optional[dt.date] = option(None, help="First acquisition used (empty = all)")
    end_date: Optional[dt.date] = option(None, help="Last acquisition used (empty = all)")
    exclude_dates: Sequence[dt.date] = option(
        (), help="Acquisitions left out with every pair they are in (e.g. snow, a bad orbit)"
    )
    min_coherence: float = option(
        0.1,
        help="Pairs whose mean coherence is below this are dropped (0 = keep all), except "
        "those on the spanning tree when it is kept",
        minimum=0.0,
        maximum=1.0,
    )
    keep_mst: bool = option(
        True,
        help="Keep the most coherent spanning tree, so every acquisition stays connected",
    )
    aoi: Optional[Extent] = option(
        None, help="Area where mean coherence is measured, in the stack CRS (empty = all)"
    )
    memory_mb: float = option(
        256.0, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


@dataclass
class NetworkPlanOptions(PairSelectionOptions):
    """Pair selection when planning a network before any processing (no coherence yet):
    84 days / 150 m (paper 001), three connections per acquisition."""

    max_temporal_baseline: Optional[float] = option_default(
        PairSelectionOptions, "max_temporal_baseline", 84.0
    )
    max_perp_baseline: Optional[float] = option_default(
        PairSelectionOptions, "max_perp_baseline", 150.0
    )
    max_connections: int = option_default(PairSelectionOptions, "max_connections", 3)
    min_coherence: float = option_default(PairSelectionOptions, "min_coherence", 0.0)


@dataclass
class NetworkReport:
    """Outcome of a network selection. Arrays are per pair, in stack order."""

    pairs: List[Pair]
    bperp: np.ndarray  # per pair, m
    keep: np.ndarray  # bool
    reasons: List[str]
    mean_coherence: np.ndarray  # per pair (NaN when not measured)
    components: List[List[dt.date]]  # connected parts of the kept network, by first date
    weak_dates: List[dt.date]  # acquisitions in fewer than two kept pairs
    bridges: List[Tuple[dt.date, dt.date, str]] = field(default_factory=list)

    @property
    def num_kept(self) -> int:
        return int(self.keep.sum())

    @property
    def num_dropped(self) -> int:
        return int((~self.keep).sum())

    def summary(self) -> str:
        lines = [
            f"{self.num_kept} pairs kept, {self.num_dropped} dropped, "
            f"{len(self.components)} connected part(s)."
        ]
        if len(self.components) > 1:
            for part in self.components:
                lines.append(
                    f"  part {format_yyyymmdd(part[0])}..{format_yyyymmdd(part[-1])}"
                    f" ({len(part)} dates)"
                )
            for d1, d2, note in self.bridges:
                lines.append(f"  bridge {format_yyyymmdd(d1)}_{format_yyyymmdd(d2)}: {note}")
        if self.weak_dates:
            lines.append(
                "Acquisitions in fewer than two pairs: "
                + ", ".join(format_yyyymmdd(d) for d in self.weak_dates)
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------- graph helpers
def _date_index(pairs: Sequence[Pair]) -> Tuple[List[dt.date], np.ndarray]:
    dates = sorted({d for pair in pairs for d in pair})
    lookup = {d: i for i, d in enumerate(dates)}
    index = np.array([[lookup[a], lookup[b]] for a, b in pairs], dtype=int).reshape(-1, 2)
    return dates, index


def connected_components(
    pairs: Sequence[Pair], dates: Optional[Sequence[dt.date]] = None
) -> List[List[dt.date]]:
    """Connected parts of the network formed by ``pairs`` (each a sorted date list), ordered by
    their first date. ``dates`` adds acquisitions that may have no pair (isolated parts)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as cc

    all_dates = sorted(set(dates or ()) | {d for pair in pairs for d in pair})
    if not all_dates:
        return []
    lookup = {d: i for i, d in enumerate(all_dates)}
    n = len(all_dates)
    rows = [lookup[a] for a, _ in pairs]
    cols = [lookup[b] for _, b in pairs]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = cc(graph, directed=False)
    parts: Dict[int, List[dt.date]] = {}
    for d, label in zip(all_dates, labels, strict=True):
        parts.setdefault(label, []).append(d)
    return sorted(parts.values(), key=lambda part: part[0])


def spanning_tree(pairs: Sequence[Pair], cost: np.ndarray) -> np.ndarray:
    """Bool mask of the pairs on a minimum spanning tree (forest) of the pair graph with edge
    ``cost`` (e.g. 1 - coherence, so the tree follows the most coherent pairs)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    if not len(pairs):
        return np.zeros(0, bool)
    dates, index = _date_index(pairs)
    n = len(dates)
    # csgraph treats 0 as "no edge": shift costs to be strictly positive
    weight = np.asarray(cost, float)
    weight = np.where(
        np.isfinite(weight), weight, np.nanmax(weight[np.isfinite(weight)], initial=1.0) + 1
    )
    weight = weight - weight.min() + 1e-3
    # keep the cheapest of duplicate edges
    best: Dict[Tuple[int, int], int] = {}
    for k, (i, j) in enumerate(index):
        key = (min(i, j), max(i, j))
        if key not in best or weight[k] < weight[best[key]]:
            best[key] = k
    edges = np.array(sorted(best.values()))
    graph = coo_matrix((weight[edges], (index[edges, 0], index[edges, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    chosen = {(min(i, j), max(i, j)) for i, j in zip(tree.row, tree.col, strict=True)}
    mask = np.zeros(len(pairs), bool)
    for key in chosen:
        mask[best[key]] = True
    return mask


def acquisition_bperp(
    pairs: Sequence[Pair], pair_bperp: Sequence[float], dates: Optional[Sequence[dt.date]] = None
) -> np.ndarray:
    """Perpendicular baseline of each acquisition (m, first date = 0) from pair baselines
    (secondary minus reference) by least squares; dates without pairs get NaN."""
    dates = list(dates) if dates is not None else sorted({d for p in pairs for d in p})
    lookup = {d: i for i, d in enumerate(dates)}
    design = np.zeros((len(pairs), len(dates)))
    for k, (a, b) in enumerate(pairs):
        design[k, lookup[a]] = -1.0
        design[k, lookup[b]] = 1.0
    out = np.full(len(dates), np.nan)
    if not len(pairs):
        return out
    out[0] = 0.0
    solved, *_ = np.linalg.lstsq(design[:, 1:], np.asarray(pair_bperp, float), rcond=None)
    out[1:] = solved
    connected = np.zeros(len(dates), bool)
    connected[np.abs(design).sum(axis=0) > 0] = True
    out[~connected] = np.nan
    return out


# ----------------------------------------------------------------------------- selection
def selected_dates(pairs: Sequence[Pair], options: PairSelectionOptions) -> List[dt.date]:
    """Acquisition dates of ``pairs`` inside the date range and not excluded, sorted."""
    excluded = set(options.exclude_dates or ())
    return [
        d
        for d in sorted({d for pair in pairs for d in pair})
        if d not in excluded
        and not (options.start_date and d < options.start_date)
        and not (options.end_date and d > options.end_date)
    ]


def baseline_selection(
    pairs: Sequence[Pair], bperp: Sequence[float], options: PairSelectionOptions
) -> List[str]:
    """Reason each pair fails the baseline/date rules ('' when it passes)."""
    excluded = set(options.exclude_dates or ())
    position = {d: i for i, d in enumerate(selected_dates(pairs, options))}
    reasons = []
    for (a, b), bp in zip(pairs, np.asarray(bperp, float), strict=True):
        if a in excluded or b in excluded:
            reasons.append("excluded date")
        elif (options.start_date and a < options.start_date) or (
            options.end_date and b > options.end_date
        ):
            reasons.append("outside date range")
        elif options.max_temporal_baseline and (b - a).days > options.max_temporal_baseline:
            reasons.append("temporal baseline")
        elif options.max_perp_baseline and np.isfinite(bp) and abs(bp) > options.max_perp_baseline:
            reasons.append("perpendicular baseline")
        elif options.max_connections and position[b] - position[a] > options.max_connections:
            reasons.append("connections")
        else:
            reasons.append("")
    return reasons


def aoi_window(grid, aoi: Optional[Extent], source: PathLike = None) -> Tuple[slice, slice]:
    """Row and column slices of ``grid`` covered by ``aoi`` (whole grid when None); ``grid``
    may be a stack's lookup tables (radar coordinates, ``aoi`` in longitude/latitude)."""
    if aoi is None:
        return slice(0, grid.length), slice(0, grid.width)
    if not isinstance(grid, Grid):
        return grid.window(aoi, source)
    xmin, ymin, xmax, ymax = aoi
    x0, y0, x1, y1 = grid.extent
    if xmax <= x0 or xmin >= x1 or ymax <= y0 or ymin >= y1:
        raise InputError(
            "the area of interest does not overlap the stack.",
            source,
            "draw the AOI inside the stack extent (in the stack CRS).",
        )
    rows, cols = grid.rowcol([xmin, xmax], [ymax, ymin])
    r0, r1 = np.clip(np.sort(rows), 0, grid.length - 1)
    c0, c1 = np.clip(np.sort(cols), 0, grid.width - 1)
    return slice(int(r0), int(r1) + 1), slice(int(c0), int(c1) + 1)


def mean_coherence(
    stack: IfgramStack,
    aoi: Optional[Extent] = None,
    memory_mb: float = 256.0,
    progress: ProgressCallback = silent,
) -> np.ndarray:
    """Mean spatial coherence of every pair inside ``aoi`` (NaN pixels ignored)."""
    if "coherence" not in stack.datasets:
        raise InputError(
            "has no 'coherence' dataset.",
            stack.path,
            "ingest the stack with its coherence rasters.",
        )
    rows, cols = aoi_window(stack.locator if aoi else stack.grid, aoi, stack.path)
    length = rows.stop - rows.start
    total = np.zeros(stack.num_pairs)
    count = np.zeros(stack.num_pairs)
    blocks = list(row_blocks(length, 8 * stack.num_pairs * stack.grid.width, memory_mb))
    for i, block in enumerate(blocks):
        window = slice(rows.start + block.start, rows.start + block.stop)
        data = stack.read("coherence", window)[:, :, cols].astype(np.float64)
        valid = np.isfinite(data)
        total += np.where(valid, data, 0).sum(axis=(1, 2))
        count += valid.sum(axis=(1, 2))
        report(progress, (i + 1) / len(blocks), "Mean coherence per pair")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def select_network(
    pairs: Sequence[Pair],
    bperp: Sequence[float],
    coherence: np.ndarray,
    options: PairSelectionOptions,
    input_keep: Optional[np.ndarray] = None,
) -> NetworkReport:
    """Apply the rules to pairs with known mean ``coherence`` and build the report.

    Pairs failing a baseline/date rule or dropped in the input stay dropped. Of the rest, pairs
    under ``min_coherence`` are dropped unless they lie on the maximum-coherence spanning tree of
    the remaining candidates (``keep_mst``).
    """
    m = len(pairs)
    bperp = np.asarray(bperp, float)
    coherence = np.asarray(coherence, float)
    input_keep = np.ones(m, bool) if input_keep is None else np.asarray(input_keep, bool)
    reasons = baseline_selection(pairs, bperp, options)
    reasons = [DROPPED_INPUT if not k else r for r, k in zip(reasons, input_keep, strict=True)]
    candidate = np.array([r == "" for r in reasons], bool)
    low = (
        candidate & ~(coherence >= options.min_coherence)
        if options.min_coherence
        else (np.zeros(m, bool))
    )
    keep = candidate & ~low
    if options.keep_mst and low.any():
        index = np.flatnonzero(candidate)
        tree = spanning_tree([pairs[k] for k in index], 1.0 - coherence[index])
        rescued = index[tree & low[index]]
        keep[rescued] = True
        for k in rescued:
            reasons[k] = KEPT_MST
    for k in np.flatnonzero(low & ~keep):
        reasons[k] = DROPPED_COHERENCE
    for k in np.flatnonzero(keep):
        if not reasons[k]:
            reasons[k] = KEPT
    kept_pairs = [p for p, k in zip(pairs, keep, strict=True) if k]
    dates = selected_dates(pairs, options)
    components = connected_components(kept_pairs, dates)
    degree: Dict[dt.date, int] = {d: 0 for d in dates}
    for a, b in kept_pairs:
        degree[a] += 1
        degree[b] += 1
    weak = [d for d in dates if degree[d] < 2]
    result = NetworkReport(list(pairs), bperp, keep, reasons, coherence, components, weak)
    result.bridges = propose_bridges(components, pairs, coherence, options.exclude_dates)
    return result


def propose_bridges(
    components: List[List[dt.date]],
    pairs: Sequence[Pair],
    coherence: np.ndarray,
    exclude: Sequence[dt.date] = (),
) -> List[Tuple[dt.date, dt.date, str]]:
    """One pair joining each part to the next in time: the most coherent existing pair of the
    stack between them (the shortest in time when coherence is unknown), else the shortest-time
    pair to order (e.g. from HyP3)."""
    bridges = []
    excluded = set(exclude or ())
    for earlier, later in zip(components[:-1], components[1:], strict=True):
        left, right = set(earlier), set(later)
        best = None
        for k, (a, b) in enumerate(pairs):
            if a in excluded or b in excluded:
                continue
            if (a in left and b in right) or (a in right and b in left):
                coh = coherence[k] if np.isfinite(coherence[k]) else -1.0
                score = (coh, -abs((b - a).days))
                if best is None or score > best[0]:
                    best = (score, a, b)
        if best is not None:
            coh = best[0][0]
            note = (
                f"in the stack, mean coherence {coh:.2f}; relax the rules to keep it"
                if coh >= 0
                else "in the candidate list"
            )
            bridges.append((best[1], best[2], note))
            continue
        options = [(abs((b - a).days), min(a, b), max(a, b)) for a in earlier for b in later]
        _, a, b = min(options)
        bridges.append((a, b, "not in the stack; order this interferogram (e.g. from HyP3)"))
    return bridges


# ----------------------------------------------------------------------------- outputs
def write_pairs_csv(path: PathLike, result: NetworkReport) -> Path:
    """CSV with one row per pair: dates, baselines, mean coherence, keep flag and reason."""
    with csv_output(path) as writer:
        writer.writerow(
            [
                "reference_date",
                "secondary_date",
                "temporal_baseline_days",
                "perp_baseline_m",
                "mean_coherence",
                "keep",
                "reason",
            ]
        )
        for (a, b), bp, coh, keep, reason in zip(
            result.pairs,
            result.bperp,
            result.mean_coherence,
            result.keep,
            result.reasons,
            strict=True,
        ):
            writer.writerow(
                [
                    format_yyyymmdd(a),
                    format_yyyymmdd(b),
                    (b - a).days,
                    f"{bp:.2f}" if np.isfinite(bp) else "",
                    f"{coh:.4f}" if np.isfinite(coh) else "",
                    int(bool(keep)),
                    reason,
                ]
            )
    return Path(path)


def plot_network(
    path: PathLike,
    pairs: Sequence[Pair],
    keep: np.ndarray,
    date_bperp: Dict[dt.date, float],
    title: str = "",
    reasons: Optional[Sequence[str]] = None,
) -> Path:
    """Baseline plot PNG: acquisition time vs perpendicular baseline, kept pairs blue, pairs
    rescued by the spanning tree orange, dropped pairs grey dashed."""
    plt = pyplot()

    reasons = reasons or [""] * len(pairs)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    styles = {
        "dropped": dict(color="0.6", lw=0.7, ls="--", zorder=1),
        "kept": dict(color="tab:blue", lw=0.9, zorder=2),
        "tree": dict(color="tab:orange", lw=1.4, zorder=3),
    }
    labelled = set()
    for (a, b), k, reason in zip(pairs, keep, reasons, strict=True):
        kind = "tree" if reason == KEPT_MST else ("kept" if k else "dropped")
        ya, yb = date_bperp.get(a, np.nan), date_bperp.get(b, np.nan)
        label = {"tree": "kept (spanning tree)", "kept": "kept", "dropped": "dropped"}[kind]
        ax.plot(
            [a, b],
            [0 if np.isnan(ya) else ya, 0 if np.isnan(yb) else yb],
            label=None if kind in labelled else label,
            **styles[kind],
        )
        labelled.add(kind)
    dates = sorted(date_bperp)
    ax.scatter(
        dates,
        [0 if np.isnan(date_bperp[d]) else date_bperp[d] for d in dates],
        s=14,
        color="k",
        zorder=4,
        label="acquisition",
    )
    ax.set_xlabel("Acquisition date")
    ax.set_ylabel("Perpendicular baseline (m)")
    ax.set_title(title or f"Interferogram network: {int(np.sum(keep))} of {len(pairs)} pairs kept")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    save_figure(fig, path)
    return Path(path)


def modify_network(
    stack_path: PathLike,
    output: PathLike,
    options: Optional[PairSelectionOptions] = None,
    pairs_csv: Optional[PathLike] = None,
    plot_png: Optional[PathLike] = None,
    progress: ProgressCallback = silent,
) -> NetworkReport:
    """Select pairs of the stack at ``stack_path``; write a NEW stack with the updated
    ``dropIfgram`` to ``output`` (input untouched), plus the optional pair CSV and plot."""
    options = options or PairSelectionOptions()
    check_outputs([output, pairs_csv, plot_png], [stack_path])
    stack = IfgramStack.open(stack_path)
    if stack.num_pairs == 0:
        raise InputError(
            "the stack holds no interferograms.", stack_path, "ingest interferograms first."
        )
    coherence = np.full(stack.num_pairs, np.nan)
    if options.min_coherence or options.keep_mst:
        coherence = mean_coherence(
            stack, options.aoi, options.memory_mb, scaled(progress, 0.0, 0.8)
        )
    result = select_network(stack.pairs, stack.bperp, coherence, options, stack.keep)
    if result.num_kept == 0:
        raise InputError(
            "no pair passes the selection rules.",
            stack_path,
            "relax the baseline limits, date range or coherence threshold.",
        )
    report(progress, 0.85, result.summary())
    attrs = {
        "NETWORK_COMPONENTS": len(result.components),
        "NETWORK_MIN_COHERENCE": options.min_coherence,
    }
    copy_stack_with_keep(stack_path, output, result.keep, attrs=attrs)
    if pairs_csv:
        write_pairs_csv(pairs_csv, result)
    if plot_png:
        dates = stack.dates
        per_date = acquisition_bperp(stack.pairs, stack.bperp, dates)
        plot_network(
            plot_png,
            stack.pairs,
            result.keep,
            dict(zip(dates, per_date, strict=True)),
            reasons=result.reasons,
        )
    finished(progress, "Network written.")
    return result


# ----------------------------------------------------------------------------- planning
@dataclass
class Acquisition:
    date: dt.date
    bperp: float = float("nan")  # m, relative to any common reference
    granule: str = ""


def granule_dates(name: str, source: PathLike = None) -> List[dt.date]:
    """Distinct acquisition dates in a Sentinel-1 granule name
    (``S1A_IW_SLC__1SDV_20190610T135156_...``: one date) or a HyP3 product name (GAMMA
    ``S1AA_20190610T135156_20190622T135157_...`` or ISCE burst
    ``S1_056072_IW2_20220814_20220907_...``: two dates)."""
    found = sorted(set(dates_in_text(name.replace("T", "_"))))
    if not found:
        raise InputError(
            f"'{name}' holds no YYYYMMDD date.",
            source,
            "list Sentinel-1 granules or HyP3 product names, "
            "or give a CSV with columns date,bperp.",
        )
    return found


def read_acquisitions(path: PathLike) -> List[Acquisition]:
    """Acquisitions from a CSV (columns ``date`` [YYYYMMDD or YYYY-MM-DD], optional ``bperp``
    metres and ``granule``) or a text file of Sentinel-1 granule or HyP3 product names, one per
    line. One acquisition per date (the first listed)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise InputError("the acquisition list is empty.", path, "list at least two dates.")
    header = [h.strip().lower() for h in re.split(r"[,;\t]", lines[0])]
    found: Dict[dt.date, Acquisition] = {}
    if "date" in header:
        with open(path, newline="") as f:
            sample = f.read(2048)
            f.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            reader = csv.DictReader(f, dialect=dialect)
            for row in reader:
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                date = parse_yyyymmdd(row["date"].replace("-", ""), path)
                bperp = float(row["bperp"]) if row.get("bperp") else float("nan")
                found.setdefault(date, Acquisition(date, bperp, row.get("granule", "")))
    else:
        for name in lines:
            name = name.split(",")[0].strip()
            dates = granule_dates(name, path)
            for date in dates:
                found.setdefault(
                    date, Acquisition(date, float("nan"), name if len(dates) == 1 else "")
                )
    if len(found) < 2:
        raise InputError(
            f"only {len(found)} distinct acquisition date(s).",
            path,
            "list at least two acquisitions.",
        )
    return [found[d] for d in sorted(found)]


def plan_network(
    acquisitions: Sequence[Acquisition], options: Optional[PairSelectionOptions] = None
) -> NetworkReport:
    """All pairs of ``acquisitions`` passing the baseline/date rules (no coherence yet).

    When the rules split the network, the shortest-time pair joining consecutive parts is added
    (reason ``kept: bridge``) so the planned network is connected.
    """
    options = options or NetworkPlanOptions()
    acquisitions = sorted(acquisitions, key=lambda a: a.date)
    pairs, bperp = [], []
    for i, a in enumerate(acquisitions):
        for b in acquisitions[i + 1 :]:
            pairs.append((a.date, b.date))
            bperp.append(b.bperp - a.bperp)
    no_coherence = np.full(len(pairs), np.nan)
    rules = dataclasses.replace(options, min_coherence=0.0, keep_mst=False)
    result = select_network(pairs, bperp, no_coherence, rules)
    lookup = {p: k for k, p in enumerate(pairs)}
    for a, b, _ in result.bridges:
        k = lookup[(a, b)]
        result.keep[k] = True
        result.reasons[k] = "kept: bridge"
    if result.bridges:
        kept = [p for p, k in zip(pairs, result.keep, strict=True) if k]
        result.components = connected_components(
            kept, [d for part in result.components for d in part]
        )
        result.bridges = []
    return result


def write_plan_csv(
    path: PathLike, result: NetworkReport, acquisitions: Sequence[Acquisition]
) -> Path:
    """The pairs to order: ``reference_granule,secondary_granule`` (HyP3 ``INSAR_GAMMA`` job
    inputs) with dates and baselines; kept pairs only."""
    granules = {a.date: a.granule for a in acquisitions}
    with csv_output(path) as writer:
        writer.writerow(
            [
                "reference_granule",
                "secondary_granule",
                "reference_date",
                "secondary_date",
                "temporal_baseline_days",
                "perp_baseline_m",
            ]
        )
        for (a, b), bp, keep in zip(result.pairs, result.bperp, result.keep, strict=True):
            if keep:
                writer.writerow(
                    [
                        granules.get(a, ""),
                        granules.get(b, ""),
                        format_yyyymmdd(a),
                        format_yyyymmdd(b),
                        (b - a).days,
                        f"{bp:.2f}" if np.isfinite(bp) else "",
                    ]
                )
    return Path(path)


def plan_network_files(
    acquisitions_path: PathLike,
    pairs_csv: PathLike,
    plot_png: Optional[PathLike] = None,
    options: Optional[PairSelectionOptions] = None,
    progress: ProgressCallback = silent,
) -> NetworkReport:
    """Read an acquisition list, plan the network, write the pair CSV (and plot)."""
    check_outputs([pairs_csv, plot_png], [acquisitions_path])
    acquisitions = read_acquisitions(acquisitions_path)
    result = plan_network(acquisitions, options)
    if result.num_kept == 0:
        raise InputError(
            "no pair passes the baseline rules.",
            acquisitions_path,
            "raise the temporal or perpendicular baseline limits.",
        )
    report(progress, 0.5, result.summary())
    write_plan_csv(pairs_csv, result, acquisitions)
    if plot_png:
        kept = [
            (p, r) for p, r, k in zip(result.pairs, result.reasons, result.keep, strict=True) if k
        ]
        plot_network(
            plot_png,
            [p for p, _ in kept],
            np.ones(len(kept), bool),
            {a.date: a.bperp for a in acquisitions},
            title=f"Planned network: {len(kept)} pairs, {len(acquisitions)} acquisitions",
            reasons=[r for _, r in kept],
        )
    finished(progress, "Planned network written.")
    return result
