"""Velocity of a displacement time series: linear rate, optional acceleration and seasonal terms.

Per pixel, the LOS displacement d(t) (m, positive toward the satellite) is fitted by least
squares (:mod:`.rate_fit`) with

    d(t) = c_part + v (t - t_mid) [+ a/2 (t - t_mid)^2] [+ annual + semi-annual sine/cosine]

with t in years and t_mid the middle of the series, so that ``v`` is the mean rate of the
period even when the acceleration ``a`` is fitted. ``c_part`` is one offset per part of a
split network (``NETWORK_PART_OF_DATE`` from the inversion): parts referenced to their own first
dates share the rate but not the offset. Standard deviations come from the residual variance
propagated through the fit (``sigma^2 (D^T D)^-1``). NaN dates are left out per pixel.

Outputs in mm/yr for the map: LOS velocity, its standard deviation, vertical velocity (LOS /
cos(incidence), no horizontal motion assumed), a deformation-class raster (paper 002: < -40,
-40 to -10, -10 to +10, > +10 mm/yr, editable) of the vertical rate when the incidence is known
(else of the LOS rate) and the cumulative displacement at a chosen date (default the last);
MintPy ``velocity.h5`` in m/yr.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_outputs, check_outputs
from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB, los_to_vertical, years_since
from ..dates import format_yyyymmdd
from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import write_geotiff
from ..io.lookup import LOOKUP_ATTRIBUTE, find_lookup
from ..io.mintpy import (
    open_h5,
    read_attrs,
    read_dataset,
    read_incidence,
    read_timeseries,
    read_timeseries_dates,
    write_velocity,
)
from ..options import Choice, Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, report, silent
from .rate_fit import fit_design, rate_design

PathLike = Union[str, Path]

#: pixels fitted between two progress reports (a cancel is honoured within ~0.1 s)
FIT_CHUNK_PIXELS = 16_384
#: paper 002's deformation classes, mm/yr
DEFAULT_CLASS_THRESHOLDS = (-40.0, -10.0, 10.0)


class VelocityModel(Choice):
    """Terms fitted to each displacement series besides the offset."""

    LINEAR = "linear", "linear rate"
    ACCELERATION = "acceleration", "linear + acceleration"
    SEASONAL = "seasonal", "linear + annual and semi-annual"
    ACCELERATION_SEASONAL = "acceleration+seasonal", "linear + acceleration + annual/semi-annual"


@dataclass
class VelocityOptions(Options):
    model: VelocityModel = option(VelocityModel.LINEAR, help="Displacement model fitted per pixel")
    min_temporal_coherence: float = option(
        0.7,
        help="Pixels with temporal coherence below this are left empty (when a temporal "
        "coherence file is given)",
        minimum=0.0,
        maximum=1.0,
    )
    class_thresholds: Sequence[float] = option(
        DEFAULT_CLASS_THRESHOLDS,
        help="Limits between deformation classes, increasing, separated by commas",
        unit="mm/yr",
    )
    cumulative_date: Optional[dt.date] = option(
        None,
        help="Date of the cumulative displacement map (YYYY-MM-DD); the nearest acquisition "
        "is used; empty = the last acquisition",
    )
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )


@dataclass
class VelocityOutputs:
    """Output paths; only ``los`` is required."""

    los: PathLike
    std: Optional[PathLike] = None
    vertical: Optional[PathLike] = None
    classes: Optional[PathLike] = None
    cumulative: Optional[PathLike] = None
    h5: Optional[PathLike] = None


@dataclass
class VelocityResult:
    outputs: Dict[str, Path]
    model: str
    pixels: int
    cumulative_date: Optional[dt.date] = None
    messages: List[str] = field(default_factory=list)


def parse_thresholds(text: str) -> Tuple[float, ...]:
    """'-40,-10,10' -> (-40.0, -10.0, 10.0), strictly increasing."""
    try:
        values = tuple(float(v) for v in str(text).replace(";", ",").split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"class thresholds '{text}' are not numbers.",
            None,
            "give increasing mm/yr values separated by commas, e.g. -40,-10,10.",
        ) from None
    if not values or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise InputError(
            f"class thresholds '{text}' are not strictly increasing.",
            None,
            "give increasing mm/yr values separated by commas, e.g. -40,-10,10.",
        )
    return values


def class_labels(thresholds: Sequence[float]) -> List[str]:
    """Names of the classes 1..len(thresholds)+1 (0 = no data)."""
    t = [f"{v:+g}" for v in thresholds]
    labels = [f"< {t[0]} mm/yr"]
    labels += [f"{a} to {b} mm/yr" for a, b in zip(t, t[1:], strict=False)]
    labels.append(f"> {t[-1]} mm/yr")
    return labels


def classify(velocity_mm: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """uint8 classes 1..k+1 by increasing rate; 0 where the velocity is NaN."""
    classes = (np.digitize(velocity_mm, thresholds) + 1).astype(np.uint8)
    classes[~np.isfinite(velocity_mm)] = 0
    return classes


def velocity_design(
    years: np.ndarray, model: str, part_of_date: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, List[str]]:
    """(n, q) design matrix of a :class:`VelocityModel` and its parameter names (see
    :func:`.rate_fit.rate_design`; the rate is the column named 'velocity')."""
    model = VelocityModel.parse(model, "velocity model")
    return rate_design(
        years,
        acceleration="acceleration" in model,
        harmonics=2 if "seasonal" in model else 0,
        part_of_date=part_of_date,
    )


def _read_tcoh(path: PathLike, grid) -> np.ndarray:
    with open_h5(path) as f:
        name = "temporalCoherence" if "temporalCoherence" in f else next(iter(f.keys()))
    tcoh, _ = read_dataset(path, name)
    if tcoh.shape != grid.shape:
        raise InputError(
            f"the temporal coherence is {tcoh.shape}, the time series is {grid.shape}.",
            path,
            "give the temporal coherence of this time series.",
        )
    return tcoh


def fit_rows(
    rows: slice,
    timeseries_path: PathLike,
    design: np.ndarray,
    cumulative_index: Optional[int],
    grid_length: int,
    progress: ProgressCallback = silent,
) -> tuple:
    """The model fitted to the rows ``rows`` of ``timeseries.h5``: parameters and their
    standard deviations (P, rows, W) float32, and the displacement from the first date to
    ``cumulative_index`` (rows, W), None without it. One block of :func:`estimate_velocity`
    (a module-level function, so a Dask worker can run it)."""
    data = read_timeseries(timeseries_path, rows).data.astype(np.float64)
    n_dates, length, width = data.shape
    block = data.reshape(n_dates, -1)
    p = np.empty((design.shape[1], block.shape[1]))
    s = np.empty_like(p)
    for start in range(0, block.shape[1], FIT_CHUNK_PIXELS):
        done = rows.start + (rows.stop - rows.start) * start / block.shape[1]
        report(progress, 0.9 * done / grid_length, "Fitting rates")
        pixels = slice(start, start + FIT_CHUNK_PIXELS)
        p[:, pixels], s[:, pixels] = fit_design(block[:, pixels], design)
    shape = (design.shape[1], length, width)
    displacement = None
    if cumulative_index is not None:
        displacement = (data[cumulative_index] - data[0]).astype(np.float32)
    return p.reshape(shape).astype(np.float32), s.reshape(shape).astype(np.float32), displacement


def estimate_velocity(
    timeseries_path: PathLike,
    outputs: VelocityOutputs,
    geometry: Optional[PathLike] = None,
    temporal_coherence: Optional[PathLike] = None,
    options: Optional[VelocityOptions] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> VelocityResult:
    """Fit the velocity model to ``timeseries.h5`` and write the requested outputs.

    The rows are fitted block by block under ``options.memory_mb``; ``executor``: None (in
    this process), a Dask scheduler address or an executor (:mod:`core.parallel`) that fits
    the blocks; the result is the same."""
    options = options or VelocityOptions()
    written = {k: Path(v) for k, v in vars(outputs).items() if v}
    check_outputs(
        list(written.values()), [p for p in (timeseries_path, geometry, temporal_coherence) if p]
    )
    if outputs.vertical and not geometry:
        raise InputError(
            "a vertical velocity needs the incidence angle.",
            outputs.vertical,
            "give the geometry file (geometryGeo.h5) or leave the vertical output empty.",
        )
    thresholds = tuple(options.class_thresholds)
    attrs = read_attrs(timeseries_path)
    dates = read_timeseries_dates(timeseries_path)
    if len(dates) < 3:
        raise InputError(
            f"has {len(dates)} dates; a velocity needs at least 3.",
            timeseries_path,
            "invert a longer stack.",
        )
    grid = Grid.from_attrs(attrs)
    incidence = read_incidence(geometry, grid).astype(np.float64) if geometry else None
    tcoh = _read_tcoh(temporal_coherence, grid) if temporal_coherence else None
    years = years_since(dates)
    part_text = attrs.get("NETWORK_PART_OF_DATE", "")
    part_of_date = (
        np.array([int(v) for v in part_text.split(",")])
        if part_text and len(part_text.split(",")) == len(dates)
        else None
    )
    design, names = velocity_design(years, options.model, part_of_date)
    rate = names.index("velocity")
    messages = [
        f"Model {options.model}: {', '.join(names)} over {len(dates)} dates "
        f"{format_yyyymmdd(dates[0])}-{format_yyyymmdd(dates[-1])}."
    ]
    if part_of_date is not None and part_of_date.max() > 0:
        messages.append(
            f"The series has {part_of_date.max() + 1} network parts; each gets its own "
            "offset and they share the rate."
        )
    cumulative_index = len(dates) - 1 if outputs.cumulative else None
    if options.cumulative_date is not None:
        distance = [abs((d - options.cumulative_date).days) for d in dates]
        cumulative_index = int(np.argmin(distance))
        if distance[cumulative_index]:
            messages.append(
                f"No acquisition on {options.cumulative_date}; using the nearest, "
                f"{dates[cumulative_index]}."
            )
        if part_of_date is not None and part_of_date[cumulative_index] != part_of_date[0]:
            messages.append(
                "The cumulative date lies in a later network part, not linked to the "
                "first date: the cumulative displacement is left empty (NaN)."
            )
    for message in messages:
        report(progress, 0.0, message)

    shape = grid.shape
    params = np.full((len(names),) + shape, np.nan, np.float32)
    stds = np.full((len(names),) + shape, np.nan, np.float32)
    cumulative = np.full(shape, np.nan, np.float32)
    bytes_per_row = grid.width * len(dates) * (4 + 8 * 4)
    if part_of_date is not None and cumulative_index is not None:
        if part_of_date[cumulative_index] != part_of_date[0]:
            cumulative_index = None  # left NaN (the message above says why)
    blocks = list(row_blocks(grid.length, bytes_per_row, options.memory_mb))
    with open_executor(executor) as pool:
        block_progress = progress if pool is None else silent
        fitted = map_blocks(
            fit_rows,
            blocks,
            timeseries_path,
            design,
            cumulative_index,
            grid.length,
            block_progress,
            executor=pool,
        )
        for rows, (p, s, displacement) in zip(blocks, fitted, strict=True):
            report(progress, 0.9 * rows.stop / grid.length, "Fitting rates")
            params[:, rows] = p
            stds[:, rows] = s
            if displacement is not None:
                cumulative[rows] = displacement

    mask = np.ones(shape, bool)
    if tcoh is not None:
        mask = np.nan_to_num(tcoh) >= options.min_temporal_coherence
        messages.append(
            f"{int((~mask).sum())} pixels below temporal coherence "
            f"{options.min_temporal_coherence} are masked."
        )
    params[:, ~mask] = np.nan
    stds[:, ~mask] = np.nan
    cumulative[~mask] = np.nan
    velocity, velocity_std = params[rate], stds[rate]
    velocity_mm, std_mm = velocity * 1000, velocity_std * 1000
    tif_meta = {
        "MODEL": options.model,
        "START_DATE": format_yyyymmdd(dates[0]),
        "END_DATE": format_yyyymmdd(dates[-1]),
        "SOURCE": Path(timeseries_path).name,
    }
    lookup = find_lookup(timeseries_path, attrs.get(LOOKUP_ATTRIBUTE)) if grid.radar else None
    if lookup is not None:  # radar-coordinate outputs name their lookup tables for geocoding
        tif_meta[LOOKUP_ATTRIBUTE] = str(lookup)
    # every output appears together, after the last cancel check, or none does
    with atomic_outputs(*written.values()) as temps:
        temp = dict(zip(written, temps, strict=True))
        write_geotiff(
            temp["los"],
            velocity_mm,
            grid,
            ["LOS velocity (mm/yr)"],
            units="mm/yr",
            metadata=tif_meta,
        )
        if outputs.std:
            write_geotiff(
                temp["std"],
                std_mm,
                grid,
                ["LOS velocity standard deviation (mm/yr)"],
                units="mm/yr",
                metadata=tif_meta,
            )
        extra: Dict[str, np.ndarray] = {}
        if incidence is not None:
            vertical_mm = los_to_vertical(velocity_mm, incidence).astype(np.float32)
            vertical_std = los_to_vertical(std_mm, incidence).astype(np.float32)
            extra["velocityVertical"] = vertical_mm / 1000
            extra["velocityVerticalStd"] = vertical_std / 1000
            if outputs.vertical:
                write_geotiff(
                    temp["vertical"],
                    np.stack([vertical_mm, vertical_std]),
                    grid,
                    ["vertical velocity (mm/yr)", "vertical velocity standard deviation (mm/yr)"],
                    units="mm/yr",
                    metadata=tif_meta,
                )
        if outputs.classes:
            labels = class_labels(thresholds)
            vertical = incidence is not None
            write_geotiff(
                temp["classes"],
                classify(vertical_mm if vertical else velocity_mm, thresholds),
                grid,
                [f"deformation class ({'vertical' if vertical else 'LOS'} velocity)"],
                nodata=0,
                metadata=dict(tif_meta, **{f"CLASS_{i + 1}": lab for i, lab in enumerate(labels)}),
            )
        if outputs.cumulative and cumulative_index is not None:
            write_geotiff(
                temp["cumulative"],
                cumulative * 1000,
                grid,
                [
                    f"cumulative LOS displacement {format_yyyymmdd(dates[0])}-"
                    f"{format_yyyymmdd(dates[cumulative_index])} (mm)"
                ],
                units="mm",
                metadata=tif_meta,
            )
        if outputs.h5:
            for name, values, std in zip(names, params, stds, strict=True):
                if name not in ("velocity",) and not name.startswith("offset"):
                    extra[name] = values
                    extra[name + "Std"] = std
            if "seasonal" in options.model:
                cos, sin = params[names.index("annual_cos")], params[names.index("annual_sin")]
                extra["annualAmplitude"] = np.hypot(cos, sin)
            h5_attrs = {k: v for k, v in attrs.items() if k not in ("FILE_TYPE", "UNIT")}
            if lookup is not None:
                h5_attrs[LOOKUP_ATTRIBUTE] = str(lookup)
            h5_attrs.update(
                {
                    "START_DATE": format_yyyymmdd(dates[0]),
                    "END_DATE": format_yyyymmdd(dates[-1]),
                    "DATE12": f"{format_yyyymmdd(dates[0])}_{format_yyyymmdd(dates[-1])}",
                    "VELOCITY_MODEL": options.model,
                }
            )
            write_velocity(temp["h5"], grid, velocity, velocity_std, h5_attrs, extra)
        report(progress, 1.0, f"Velocity of {int(np.isfinite(velocity).sum())} pixels written.")
    files = dict(written)
    return VelocityResult(
        files,
        options.model,
        int(np.isfinite(velocity).sum()),
        dates[cumulative_index] if cumulative_index is not None else None,
        messages,
    )
