"""Build a MintPy ``ifgramStack.h5`` (and ``geometryGeo.h5``) from geocoded interferograms.

Shared by the HyP3 and generic GeoTIFF ingests: every interferogram is a :class:`PairSource`
(GDAL paths of its unwrapped phase, coherence and connected components). All sources must share
CRS, pixel size and pixel lattice; the stack covers their common overlap, optionally cropped to
an area of interest and multilooked by an integer factor (unwrapped phase and coherence are
averaged with NaN ignored, as MintPy's ``multilook.py`` does; connected components take the
centre pixel). Pairs are written one by one in row blocks sized from the memory budget.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..blocks import row_blocks
from ..conventions import DEFAULT_MEMORY_BUDGET_MB, SENTINEL1_WAVELENGTH
from ..errors import InputError
from ..grid import Grid
from ..io.geotiff import grid_of, open_raster
from ..io.mintpy import HDF5_OVERHEAD_BYTES, check_values, ifgram_stack_writer, stack_bytes
from ..options import Options, option
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]
Extent = Tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


@dataclass
class IngestOptions(Options):
    """Options shared by the ingests."""

    multilook: int = option(
        1,
        help="Average N x N pixels into one (1 = full resolution); fewer, less noisy pixels",
        unit="pixels",
        minimum=1,
        maximum=50,
    )
    memory_mb: float = option(
        DEFAULT_MEMORY_BUDGET_MB, help="Memory budget of the row blocks", unit="MiB", minimum=0.001
    )
    wavelength: float = option(
        SENTINEL1_WAVELENGTH,
        help="Radar wavelength that converts phase to displacement (default: Sentinel-1 C band)",
        unit="m",
        minimum=0.001,
        maximum=1.0,
    )


@dataclass
class PairSource:
    """One interferogram on disk. ``source`` (zip, folder or file) is named in errors."""

    pair: Tuple[dt.date, dt.date]
    source: Path
    unwrapped: str
    coherence: Optional[str] = None
    conncomp: Optional[str] = None
    bperp: float = 0.0
    name: str = ""


@dataclass
class IngestResult:
    stack: Path
    geometry: Optional[Path]
    grid: Grid
    num_pairs: int
    warnings: List[str] = field(default_factory=list)


def source_grid(path: str, source: PathLike) -> Grid:
    """Grid of one raster; errors name ``source`` (the product) rather than a /vsizip path."""
    try:
        return grid_of(open_raster(path))
    except InputError as exc:
        raise InputError(exc.problem, source, exc.fix) from None


def _crs_label(grid: Grid) -> str:
    return f"EPSG:{grid.epsg}" if grid.epsg else "a CRS without EPSG code"


def _check_layer(path: str, source: PathLike, role: str) -> Grid:
    """One raster of an interferogram: single band, georeferenced, of a numeric type that fits
    ``role`` (unwrapped phase and coherence are floating point). Returns its grid."""
    try:
        ds = open_raster(path)
        grid = grid_of(ds)
    except InputError as exc:
        raise InputError(exc.problem, source, exc.fix) from None
    name = Path(path).name
    if ds.RasterCount != 1:
        raise InputError(
            f"{name} has {ds.RasterCount} bands; a {role} raster has one (is it a picture?).",
            source,
            f"give the {role} GeoTIFF exported by the InSAR processor, not a rendered image.",
        )
    data_type = ds.GetRasterBand(1).DataType
    from osgeo import gdal

    floating = data_type in (gdal.GDT_Float32, gdal.GDT_Float64)
    if role != "connected components" and not floating:
        raise InputError(
            f"{name} holds {gdal.GetDataTypeName(data_type)} values; {role} is stored as "
            "floating point (radians for the phase, 0-1 for coherence).",
            source,
            f"give the floating-point {role} GeoTIFF, not a rendered or rescaled image.",
        )
    if not grid.epsg and not grid.wkt:
        raise InputError(
            f"{name} has no coordinate reference system.",
            source,
            "assign the CRS of the interferograms (Raster > Projections > Assign Projection).",
        )
    return grid


def layer_window(path: str, source: PathLike, role: str, grid: Grid) -> Tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the stack ``grid`` inside a coherence or connected-component
    raster, which must share the stack's CRS and pixel lattice and cover the stack area."""
    layer = source_grid(path, source)
    window = window_of(layer, grid)
    aligned = _same_crs(layer, grid) and all(
        math.isclose(a, b, rel_tol=1e-6)
        for a, b in ((layer.x_step, grid.x_step), (layer.y_step, grid.y_step))
    )
    if aligned:
        shift = np.array(
            [
                (grid.x_first - layer.x_first) / grid.x_step,
                (grid.y_first - layer.y_first) / grid.y_step,
            ]
        )
        aligned = bool(np.all(np.abs(shift - np.round(shift)) <= 1e-3))
    covers = window[0] >= 0 and window[2] >= 0
    covers = covers and window[1] <= layer.length and window[3] <= layer.width
    if not (aligned and covers):
        raise InputError(
            f"{Path(path).name} ({layer.width} x {layer.length} pixels) is not on the pixel grid "
            "of the unwrapped phase or does not cover the stack area.",
            source,
            f"export the {role} on the same grid as the unwrapped phase.",
        )
    return window


def check_coherence_layers(sources: Sequence[PairSource]) -> List[str]:
    """Coherence must be given for every interferogram or for none (a stack never holds a
    coherence layer of NaN). Returns a warning when there is none."""
    missing = [s for s in sources if not s.coherence]
    if missing and len(missing) < len(sources):
        names = ", ".join(s.name or Path(str(s.source)).name for s in missing[:3])
        raise InputError(
            f"{len(missing)} of {len(sources)} interferograms have no coherence ({names}"
            f"{', ...' if len(missing) > 3 else ''}).",
            missing[0].source,
            "give the coherence of every interferogram, or remove all coherence files.",
        )
    if missing:
        return ["The interferograms have no coherence: the stack has no coherence dataset."]
    return []


def _same_crs(a: Grid, b: Grid) -> bool:
    if a.epsg or b.epsg:
        return a.epsg == b.epsg
    return (a.wkt or "") == (b.wkt or "")


def common_grid(grids: Sequence[Tuple[PathLike, Grid]]) -> Grid:
    """The common overlap of grids that share CRS, pixel size and pixel lattice.

    InputError names the first file that disagrees with the first one, or the folder when
    the grids do not overlap.
    """
    first_source, first = grids[0]
    xmin, ymin, xmax, ymax = first.extent
    for source, grid in grids[1:]:
        if not _same_crs(first, grid):
            raise InputError(
                f"its CRS ({_crs_label(grid)}) differs from {_crs_label(first)} of "
                f"{Path(str(first_source)).name}.",
                source,
                "give interferograms of one stack, all in the same projection.",
            )
        if not (
            math.isclose(grid.x_step, first.x_step, rel_tol=1e-6)
            and math.isclose(grid.y_step, first.y_step, rel_tol=1e-6)
        ):
            raise InputError(
                f"its pixel size ({grid.x_step:g} x {abs(grid.y_step):g}) differs from "
                f"{first.x_step:g} x {abs(first.y_step):g} of "
                f"{Path(str(first_source)).name}.",
                source,
                "give interferograms of one pixel size (or resample them first).",
            )
        shift = np.array(
            [
                (grid.x_first - first.x_first) / first.x_step,
                (grid.y_first - first.y_first) / first.y_step,
            ]
        )
        if np.any(np.abs(shift - np.round(shift)) > 1e-3):
            raise InputError(
                f"its pixels are not aligned with those of {Path(str(first_source)).name}.",
                source,
                "resample the interferograms onto one pixel grid first.",
            )
        gx0, gy0, gx1, gy1 = grid.extent
        xmin, ymin, xmax, ymax = max(xmin, gx0), max(ymin, gy0), min(xmax, gx1), min(ymax, gy1)
    return _snap(
        first,
        (xmin, ymin, xmax, ymax),
        Path(str(first_source)).parent,
        "the interferograms do not overlap.",
    )


def _snap(lattice: Grid, extent: Extent, source: PathLike, empty_problem: str) -> Grid:
    """Sub-grid of ``lattice`` covering ``extent`` (snapped outward to whole pixels, clipped)."""
    xmin, ymin, xmax, ymax = extent
    col0 = max(0, math.floor((xmin - lattice.x_first) / lattice.x_step + 1e-6))
    col1 = min(lattice.width, math.ceil((xmax - lattice.x_first) / lattice.x_step - 1e-6))
    row0 = max(0, math.floor((ymax - lattice.y_first) / lattice.y_step + 1e-6))
    row1 = min(lattice.length, math.ceil((ymin - lattice.y_first) / lattice.y_step - 1e-6))
    if col1 <= col0 or row1 <= row0:
        raise InputError(
            empty_problem, source, "check the area of interest and that all products cover it."
        )
    return lattice.window(row0, row1, col0, col1)


def transform_extent(extent: Extent, source_crs: Union[int, str], target: Grid) -> Extent:
    """Bounding box in ``target``'s CRS of ``extent`` given in ``source_crs`` (EPSG code,
    ``'EPSG:xxxx'`` or WKT). The boundary is densified so curved edges are covered."""
    from osgeo import osr

    source = osr.SpatialReference()
    code = source.SetFromUserInput(
        f"EPSG:{source_crs}" if isinstance(source_crs, int) else str(source_crs)
    )
    if code != 0:
        raise InputError(
            f"the area-of-interest CRS '{source_crs}' is unknown.",
            None,
            "give the AOI in a CRS with an EPSG code.",
        )
    destination = osr.SpatialReference()
    if target.epsg:
        destination.ImportFromEPSG(int(target.epsg))
    else:
        destination.ImportFromWkt(target.crs_wkt())
    for srs in (source, destination):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    if source.IsSame(destination):
        return extent
    xmin, ymin, xmax, ymax = extent
    t = np.linspace(0.0, 1.0, 21)
    xs = np.concatenate(
        [xmin + (xmax - xmin) * t, np.full(21, xmax), xmax - (xmax - xmin) * t, np.full(21, xmin)]
    )
    ys = np.concatenate(
        [np.full(21, ymin), ymin + (ymax - ymin) * t, np.full(21, ymax), ymax - (ymax - ymin) * t]
    )
    transform = osr.CoordinateTransformation(source, destination)
    points = np.array(transform.TransformPoints(np.column_stack([xs, ys]).tolist()))
    return (
        float(points[:, 0].min()),
        float(points[:, 1].min()),
        float(points[:, 0].max()),
        float(points[:, 1].max()),
    )


def stack_grid(
    sources: Sequence[PairSource],
    aoi: Optional[Extent] = None,
    aoi_crs: Optional[Union[int, str]] = None,
    multilook: int = 1,
) -> Grid:
    """Full-resolution grid of the stack: the sources' common overlap, cropped to ``aoi``,
    trimmed to a whole number of ``multilook`` windows."""
    grids = []
    for s in sources:
        grids.append((s.source, _check_layer(s.unwrapped, s.source, "unwrapped phase")))
        for path, role in _other_layers(s):
            _check_layer(path, s.source, role)
    grid = common_grid(grids)
    if aoi is not None:
        box = transform_extent(aoi, aoi_crs, grid) if aoi_crs is not None else aoi
        grid = _snap(
            grid,
            box,
            Path(str(sources[0].source)).parent,
            "the area of interest does not overlap the products' common area.",
        )
    if multilook < 1:
        raise InputError(f"multilook factor {multilook} is below 1.", None, "use 1 or more.")
    if grid.width < multilook or grid.length < multilook:
        raise InputError(
            f"the common area ({grid.width} x {grid.length} pixels) is smaller "
            f"than one {multilook} x {multilook} multilook window.",
            None,
            "use a smaller MULTILOOK or a larger area of interest.",
        )
    grid = grid.window(
        0, grid.length - grid.length % multilook, 0, grid.width - grid.width % multilook
    )
    for s in sources:
        for path, role in _other_layers(s):
            layer_window(path, s.source, role, grid)
    return grid


def _other_layers(source: PairSource) -> List[Tuple[str, str]]:
    layers = ((source.coherence, "coherence"), (source.conncomp, "connected components"))
    return [(path, role) for path, role in layers if path]


#: geometry layers an ingest may write: height, incidence, azimuth, slant range (float32)
#: and the water mask (bool)
GEOMETRY_BYTES_PER_PIXEL = 4 * 4 + 1


def expected_sizes(
    sources: Sequence[PairSource],
    grid: Grid,
    options: IngestOptions,
    stack_path: PathLike,
    geometry_path: Optional[PathLike] = None,
) -> dict:
    """Expected bytes of the stack (and geometry) files of an ingest over ``grid``."""
    shape = grid.multilooked(options.multilook, options.multilook).shape
    sizes = {
        stack_path: stack_bytes(
            len(sources),
            shape,
            all(s.coherence for s in sources),
            all(s.conncomp for s in sources),
        )
    }
    if geometry_path:
        sizes[geometry_path] = shape[0] * shape[1] * GEOMETRY_BYTES_PER_PIXEL + HDF5_OVERHEAD_BYTES
    return sizes


def window_of(grid: Grid, target: Grid) -> Tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of ``target`` inside ``grid`` (same lattice)."""
    row0 = int(round((target.y_first - grid.y_first) / grid.y_step))
    col0 = int(round((target.x_first - grid.x_first) / grid.x_step))
    return row0, row0 + target.length, col0, col0 + target.width


def multilook_mean(data: np.ndarray, looks: int) -> np.ndarray:
    """Average ``looks`` x ``looks`` windows ignoring NaN (all-NaN windows stay NaN)."""
    if looks == 1:
        return data
    rows, cols = data.shape[0] // looks, data.shape[1] // looks
    blocks = data[: rows * looks, : cols * looks].reshape(rows, looks, cols, looks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(blocks, axis=(1, 3)).astype(data.dtype, copy=False)


def multilook_nearest(data: np.ndarray, looks: int) -> np.ndarray:
    """Centre pixel of each window (for integer labels such as connected components)."""
    if looks == 1:
        return data
    rows, cols = data.shape[0] // looks, data.shape[1] // looks
    return data[looks // 2 : rows * looks : looks, looks // 2 : cols * looks : looks]


def read_block(
    path: str, source: PathLike, window: Tuple[int, int, int, int], dtype=np.float32
) -> np.ndarray:
    """Read a window (row0, row1, col0, col1) of band 1; nodata -> NaN for float output."""
    try:
        ds = open_raster(path)
    except InputError as exc:
        raise InputError(exc.problem, source, exc.fix) from None
    band = ds.GetRasterBand(1)
    row0, row1, col0, col1 = window
    problem = ""
    try:
        data = band.ReadAsArray(col0, row0, col1 - col0, row1 - row0)
    except RuntimeError as exc:
        data = None
        problem = f" ({exc})"
    if data is None:
        raise InputError(
            f"GDAL could not read the pixels of {Path(path).name}{problem}.",
            source,
            "download it again.",
        )
    data = data.astype(dtype, copy=False)
    nodata = band.GetNoDataValue()
    if np.issubdtype(np.dtype(dtype), np.floating) and nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    return data


def _checked_block(path: str, source: PairSource, name: str, rows) -> np.ndarray:
    """A block of one raster, refused (naming the product) when it holds infinite values
    or, for coherence, values outside [0, 1]."""
    data = read_block(path, source.source, rows)
    try:
        return check_values(path, name, data)
    except InputError as exc:
        raise InputError(f"{Path(path).name}: {exc.problem}", source.source, exc.fix) from None


def write_stack(
    sources: Sequence[PairSource],
    path: PathLike,
    grid: Grid,
    options: IngestOptions,
    attrs: Mapping[str, str],
    pair_datasets: Optional[Mapping[str, np.ndarray]] = None,
    progress: ProgressCallback = silent,
) -> Grid:
    """Write ``ifgramStack.h5`` for ``sources`` over the full-resolution ``grid``.

    Returns the (multilooked) grid of the stack. InputError names a source whose unwrapped
    phase holds no valid pixel inside ``grid``. Nothing is left at ``path`` on error.
    """
    looks = options.multilook
    out_grid = grid.multilooked(looks, looks)
    with_conncomp = all(s.conncomp for s in sources)
    with_coherence = all(s.coherence for s in sources)
    bytes_per_row = grid.width * looks * 4 * 6
    stack_attrs = dict(attrs)
    stack_attrs.update(
        {
            "WAVELENGTH": repr(options.wavelength),
            "UNIT": "radian",
            "ALOOKS_INGEST": str(looks),
            "RLOOKS_INGEST": str(looks),
        }
    )
    with ifgram_stack_writer(
        path,
        out_grid,
        [s.pair for s in sources],
        [s.bperp for s in sources],
        stack_attrs,
        with_conncomp=with_conncomp,
        with_coherence=with_coherence,
    ) as f:
        for name, values in (pair_datasets or {}).items():
            f.create_dataset(name, data=values)
        for k, source in enumerate(sources):
            windows = {"unwrapped": window_of(source_grid(source.unwrapped, source.source), grid)}
            if with_coherence:
                windows["coherence"] = layer_window(source.coherence, source.source, "", grid)
            if with_conncomp:
                windows["conncomp"] = layer_window(source.conncomp, source.source, "", grid)
            valid = 0
            for block in row_blocks(out_grid.length, bytes_per_row, options.memory_mb):
                rows = {
                    layer: (row0 + block.start * looks, row0 + block.stop * looks, col0, col1)
                    for layer, (row0, _, col0, col1) in windows.items()
                }
                phase = _checked_block(source.unwrapped, source, "unwrapPhase", rows["unwrapped"])
                phase = multilook_mean(phase, looks)
                valid += int(np.isfinite(phase).sum())
                f["unwrapPhase"][k, block, :] = phase
                if with_coherence:
                    coherence = _checked_block(
                        source.coherence, source, "coherence", rows["coherence"]
                    )
                    f["coherence"][k, block, :] = multilook_mean(coherence, looks)
                if with_conncomp:
                    f["connectComponent"][k, block, :] = multilook_nearest(
                        read_block(source.conncomp, source.source, rows["conncomp"], np.int16),
                        looks,
                    )
            if valid == 0:
                raise InputError(
                    "its unwrapped phase has no valid pixel inside the stack area.",
                    source.source,
                    "remove this interferogram from the folder or "
                    "choose an area of interest it covers.",
                )
            report(
                progress,
                (k + 1) / len(sources),
                f"Interferogram {k + 1}/{len(sources)}: {source.name or source.source.name}",
            )
    return out_grid
