"""Quick-look GeoTIFFs of MintPy HDF5 files, so that every step writing ``.h5`` also gives the
analyst something to look at on the map.

* ``ifgramStack.h5``: band 1 the mean coherence of the kept pairs (0..1), band 2 the number
  of kept pairs with an unwrapped phase at the pixel (connected component not 0);
* ``timeseries.h5``: the cumulative LOS displacement from the first to the last date, mm,
  positive toward the satellite (subsidence negative);
* ``temporalCoherence.h5``: the temporal coherence (0..1).

Stacks are read in row blocks under the memory budget.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..atomic import check_outputs
from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB
from ..errors import InputError
from ..grid import Grid
from ..progress import ProgressCallback, report, silent
from .geotiff import write_geotiff
from .mintpy import IfgramStack, PathLike, open_h5, read_attrs, read_dataset

MEAN_COHERENCE = "Mean coherence of the kept pairs"
KEPT_PAIRS = "Kept pairs with an unwrapped phase"
TEMPORAL_COHERENCE = "Temporal coherence"


def _grid(attrs: dict, path: PathLike) -> Grid:
    try:
        return Grid.from_attrs(attrs)
    except (KeyError, ValueError):
        raise InputError(
            "has no georeferencing (X_FIRST, Y_FIRST, X_STEP, Y_STEP): no quick-look map.",
            path,
            "geocode the file to see it on the map.",
        ) from None


def stack_quicklook(
    stack_path: PathLike,
    output: PathLike,
    memory_mb: float = DEFAULT_MEMORY_BUDGET_MB,
    progress: ProgressCallback = silent,
) -> Path:
    """Mean coherence of the kept pairs (band 1) and kept pairs with a phase (band 2) of an
    ``ifgramStack.h5``, as a GeoTIFF on the stack's grid. Pixels no kept pair covers are
    NaN in band 1 and 0 in band 2."""
    stack = IfgramStack.open(stack_path)
    grid = _grid(stack.attrs, stack_path)
    keep = np.flatnonzero(stack.keep)
    coherence = np.full(grid.shape, np.nan, np.float32)
    count = np.zeros(grid.shape, np.float32)
    with_coherence = "coherence" in stack.datasets
    with_components = "connectComponent" in stack.datasets
    bytes_per_row = max(1, len(keep)) * grid.width * 4 * (2 + with_coherence + with_components)
    for rows in row_blocks(grid.length, bytes_per_row, memory_mb):
        phase = stack.read("unwrapPhase", rows, keep)
        valid = np.isfinite(phase) & (phase != 0)
        if with_components:
            valid &= stack.read("connectComponent", rows, keep) != 0
        count[rows] = valid.sum(axis=0)
        if with_coherence:
            values = np.where(valid, stack.read("coherence", rows, keep), np.nan)
            with warnings.catch_warnings():  # pixels no kept pair covers: NaN, quietly
                warnings.simplefilter("ignore", RuntimeWarning)
                coherence[rows] = np.nanmean(values, axis=0) if len(keep) else np.nan
        report(progress, rows.stop / grid.length)
    return write_geotiff(
        output,
        np.stack([coherence, count]),
        grid,
        band_names=[MEAN_COHERENCE, KEPT_PAIRS],
        metadata={"SOURCE": Path(stack_path).name, "KEPT_PAIRS": len(keep)},
    )


def timeseries_quicklook(
    series_path: PathLike, output: PathLike, progress: ProgressCallback = silent
) -> Path:
    """Cumulative LOS displacement (mm) from the first to the last date of a
    ``timeseries.h5``, positive toward the satellite, as a GeoTIFF."""
    with open_h5(series_path, required=("timeseries", "date")) as f:
        attrs = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in f.attrs.items()}
        dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
        cube = f["timeseries"]
        last = cube[-1].astype(np.float64)
        first = cube[0].astype(np.float64)
    grid = _grid(attrs, series_path)
    report(progress, 0.8)
    scale = {"m": 1000.0, "cm": 10.0, "mm": 1.0}.get(attrs.get("UNIT", "m").lower(), 1000.0)
    return write_geotiff(
        output,
        ((last - first) * scale).astype(np.float32),
        grid,
        band_names=[f"Cumulative LOS displacement {dates[0]}-{dates[-1]} (mm)"],
        units="mm",
        metadata={"SOURCE": Path(series_path).name},
    )


def coherence_quicklook(
    coherence_path: PathLike, output: PathLike, progress: ProgressCallback = silent
) -> Path:
    """The temporal coherence (0..1) of a ``temporalCoherence.h5`` as a GeoTIFF."""
    data, grid = read_dataset(coherence_path, "temporalCoherence")
    report(progress, 0.8)
    return write_geotiff(
        output,
        np.asarray(data, np.float32),
        grid,
        band_names=[TEMPORAL_COHERENCE],
        metadata={"SOURCE": Path(coherence_path).name},
    )


QUICKLOOKS = {
    "ifgramStack": stack_quicklook,
    "timeseries": timeseries_quicklook,
    "temporalCoherence": coherence_quicklook,
}


def write_quicklook(
    source: PathLike, output: PathLike, progress: ProgressCallback = silent
) -> Path:
    """The quick-look GeoTIFF of a MintPy file, chosen by its FILE_TYPE (see the module)."""
    check_outputs([output], [source])
    file_type = read_attrs(source).get("FILE_TYPE", "")
    if file_type not in QUICKLOOKS:
        raise InputError(
            f"FILE_TYPE '{file_type}' has no quick-look.",
            source,
            f"give one of {', '.join(QUICKLOOKS)}.",
        )
    return QUICKLOOKS[file_type](source, output, progress=progress)
