"""MintPy-compatible HDF5 files: ifgramStack.h5, geometryGeo.h5, timeseries.h5 and the
single-dataset products (temporalCoherence.h5, velocity.h5, ...).

Layouts, dtypes, attribute spellings, units and sign conventions follow MintPy so that MintPy
opens our files and we open MintPy's:

* ``ifgramStack.h5`` (FILE_TYPE ``ifgramStack``): ``unwrapPhase`` (m, L, W) float32 radians,
  positive = motion away from the satellite; ``coherence`` (m, L, W) float32;
  optional ``connectComponent`` (m, L, W) int16 (0 = not unwrapped); ``date`` (m, 2) ``|S8``;
  ``bperp`` (m,) float32 metres; ``dropIfgram`` (m,) bool, True = keep.
* ``geometryGeo.h5`` (FILE_TYPE ``geometry``): ``height`` m, ``incidenceAngle`` degrees from
  vertical, ``azimuthAngle`` degrees, ``waterMask`` bool (True = land, as MintPy),
  optional ``slantRangeDistance`` m.
* ``timeseries.h5`` (FILE_TYPE ``timeseries``, UNIT ``m``): ``timeseries`` (n, L, W) float32
  metres of LOS displacement, positive = toward the satellite; ``date`` (n,) ``|S8``;
  ``bperp`` (n,) float32.

Attributes are written as strings, as MintPy's writefile does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import atomic_output
from ..dates import from_bytes, to_bytes
from ..errors import InputError
from ..grid import Grid

PathLike = Union[str, Path]
Pair = Tuple[dt.date, dt.date]


def _h5py():
    import h5py

    return h5py


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return str(value)


def read_attrs(path: PathLike) -> Dict[str, str]:
    """Root attributes of an HDF5 file, all as str."""
    with open_h5(path) as f:
        return {k: _text(v) for k, v in f.attrs.items()}


@contextlib.contextmanager
def open_h5(path: PathLike, required: Sequence[str] = ()):
    """Open an HDF5 file read-only; InputError naming the file if missing, unreadable or
    lacking one of the ``required`` datasets."""
    h5py = _h5py()
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(
            f"not a readable HDF5 file ({exc}).", path, "give a MintPy-style .h5 file."
        ) from None
    try:
        for name in required:
            if name not in f:
                raise InputError(
                    f"has no '{name}' dataset (found: {', '.join(f.keys())}).",
                    path,
                    "give the matching MintPy file type.",
                )
        yield f
    finally:
        f.close()


def _write_attrs(f, attrs: Mapping) -> None:
    for key, value in attrs.items():
        if value is not None:
            f.attrs[key] = str(value)


def base_attrs(grid: Grid, file_type: str, extra: Optional[Mapping] = None) -> Dict[str, str]:
    """Attributes MintPy expects on every geocoded file."""
    attrs = {"FILE_TYPE": file_type, "PROCESSOR": "hyp3"}
    if extra:
        attrs.update({k: str(v) for k, v in extra.items() if v is not None})
    attrs.update(grid.to_attrs())
    attrs["FILE_TYPE"] = file_type
    return attrs


# ----------------------------------------------------------------------------- ifgramStack
@dataclass
class IfgramStack:
    """Read access to an ``ifgramStack.h5``; arrays are read on demand by row block."""

    path: Path
    attrs: Dict[str, str]
    grid: Grid
    pairs: List[Pair]
    bperp: np.ndarray
    keep: np.ndarray
    datasets: Tuple[str, ...]

    @classmethod
    def open(cls, path: PathLike) -> "IfgramStack":
        with open_h5(path, required=("unwrapPhase", "date")) as f:
            attrs = {k: _text(v) for k, v in f.attrs.items()}
            if attrs.get("FILE_TYPE", "ifgramStack") != "ifgramStack":
                raise InputError(
                    f"FILE_TYPE is {attrs['FILE_TYPE']}, not ifgramStack.",
                    path,
                    "give the interferogram stack (ifgramStack.h5).",
                )
            raw_dates = f["date"][()]
            pairs = [tuple(from_bytes(row)) for row in raw_dates]
            m = len(pairs)
            bperp = f["bperp"][()].astype(np.float32) if "bperp" in f else np.zeros(m, np.float32)
            keep = f["dropIfgram"][()].astype(bool) if "dropIfgram" in f else np.ones(m, bool)
            datasets = tuple(k for k in f.keys() if isinstance(f[k], _h5py().Dataset))
            shape = f["unwrapPhase"].shape
        if "WIDTH" not in attrs:
            attrs.update(LENGTH=str(shape[1]), WIDTH=str(shape[2]))
        grid = georeferenced_grid(
            attrs, path, "geocode the stack (X_FIRST, Y_FIRST, X_STEP, Y_STEP)."
        )
        return cls(Path(path), attrs, grid, pairs, bperp, keep, datasets)

    @property
    def num_pairs(self) -> int:
        return len(self.pairs)

    @property
    def dates(self) -> List[dt.date]:
        """Sorted unique acquisition dates of all pairs."""
        return sorted({d for pair in self.pairs for d in pair})

    @property
    def wavelength(self) -> float:
        from ..conventions import SENTINEL1_WAVELENGTH

        return float(self.attrs.get("WAVELENGTH", SENTINEL1_WAVELENGTH))

    @property
    def reference_yx(self) -> Optional[Tuple[int, int]]:
        try:
            return int(self.attrs["REF_Y"]), int(self.attrs["REF_X"])
        except (KeyError, ValueError):
            return None

    def read(self, name: str, rows: slice = slice(None), pairs=None) -> np.ndarray:
        """Read dataset ``name`` for a row slice and optional pair indices -> (m', rows, W)."""
        with open_h5(self.path, required=(name,)) as f:
            ds = f[name]
            if pairs is None:
                return ds[:, rows, :]
            index = np.asarray(pairs)
            if index.dtype == bool:
                index = np.flatnonzero(index)
            return (
                ds[index.tolist(), rows, :]
                if len(index)
                else np.empty((0,) + ds[:1, rows, :].shape[1:], ds.dtype)
            )


@contextlib.contextmanager
def ifgram_stack_writer(
    path: PathLike,
    grid: Grid,
    pairs: Sequence[Pair],
    bperp: Sequence[float],
    attrs: Optional[Mapping] = None,
    keep: Optional[Sequence[bool]] = None,
    with_conncomp: bool = False,
    chunk_rows: int = 128,
) -> Iterator:
    """Create an ``ifgramStack.h5`` and yield the open h5py file to fill.

    Datasets ``unwrapPhase``, ``coherence`` (and ``connectComponent``) are created empty
    (NaN / 0); write them per pair or per block. The file appears at ``path`` only when the
    block exits without error.
    """
    h5py = _h5py()
    m = len(pairs)
    chunks = (1, min(chunk_rows, grid.length), grid.width)
    with atomic_output(path) as temp:
        with h5py.File(temp, "w") as f:
            _write_attrs(f, base_attrs(grid, "ifgramStack", attrs))
            f.create_dataset(
                "date", data=np.stack([to_bytes(p) for p in pairs]) if m else np.empty((0, 2), "S8")
            )
            f.create_dataset("bperp", data=np.asarray(bperp, dtype=np.float32))
            f.create_dataset(
                "dropIfgram", data=np.ones(m, bool) if keep is None else np.asarray(keep, bool)
            )
            for name in ("unwrapPhase", "coherence"):
                f.create_dataset(
                    name, shape=(m,) + grid.shape, dtype=np.float32, chunks=chunks, fillvalue=np.nan
                )
            if with_conncomp:
                f.create_dataset(
                    "connectComponent",
                    shape=(m,) + grid.shape,
                    dtype=np.int16,
                    chunks=chunks,
                    fillvalue=0,
                )
            yield f


def write_ifgram_stack(
    path: PathLike,
    grid: Grid,
    pairs: Sequence[Pair],
    bperp: Sequence[float],
    unwrap_phase: np.ndarray,
    coherence: np.ndarray,
    conncomp: Optional[np.ndarray] = None,
    attrs: Optional[Mapping] = None,
    keep: Optional[Sequence[bool]] = None,
) -> Path:
    """Write a whole in-memory stack (small stacks and tests)."""
    with ifgram_stack_writer(
        path, grid, pairs, bperp, attrs, keep, with_conncomp=conncomp is not None
    ) as f:
        f["unwrapPhase"][...] = unwrap_phase
        f["coherence"][...] = coherence
        if conncomp is not None:
            f["connectComponent"][...] = conncomp
    return Path(path)


def copy_stack_with_keep(
    source: PathLike, destination: PathLike, keep: Sequence[bool], attrs: Optional[Mapping] = None
) -> Path:
    """Copy a stack to a new file with a new ``dropIfgram`` (and extra attributes).

    The input is never modified.
    """
    h5py = _h5py()
    from ..atomic import check_outputs

    check_outputs([destination], [source])
    with open_h5(source, required=("unwrapPhase", "date")) as src:
        if len(keep) != src["date"].shape[0]:
            raise ValueError("keep has the wrong length")
        with atomic_output(destination) as temp:
            with h5py.File(temp, "w") as dst:
                for key, value in src.attrs.items():
                    dst.attrs[key] = value
                for name in src:
                    if name != "dropIfgram":
                        src.copy(src[name], dst, name=name)
                dst.create_dataset("dropIfgram", data=np.asarray(keep, bool))
                if attrs:
                    _write_attrs(dst, attrs)
    return Path(destination)


# ----------------------------------------------------------------------------- time series
@dataclass
class TimeSeries:
    """A displacement time series: ``data`` (n, L, W) metres LOS, positive toward satellite."""

    dates: List[dt.date]
    data: np.ndarray
    grid: Grid
    attrs: Dict[str, str]
    bperp: Optional[np.ndarray] = None


def read_timeseries(path: PathLike, rows: slice = slice(None)) -> TimeSeries:
    """Read a MintPy ``timeseries.h5`` (all dates, a row slice)."""
    with open_h5(path, required=("timeseries", "date")) as f:
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        dates = from_bytes(f["date"][()])
        data = f["timeseries"][:, rows, :].astype(np.float32)
        bperp = f["bperp"][()].astype(np.float32) if "bperp" in f else None
    grid = Grid.from_attrs(attrs)
    if rows != slice(None):
        start = rows.start or 0
        grid = grid.window(start, start + data.shape[1], 0, grid.width)
    return TimeSeries(dates, data, grid, attrs, bperp)


def read_timeseries_dates(path: PathLike) -> List[dt.date]:
    with open_h5(path, required=("date",)) as f:
        return from_bytes(f["date"][()])


@contextlib.contextmanager
def timeseries_writer(
    path: PathLike,
    grid: Grid,
    dates: Sequence[dt.date],
    bperp: Optional[Sequence[float]] = None,
    attrs: Optional[Mapping] = None,
    chunk_rows: int = 128,
) -> Iterator:
    """Create ``timeseries.h5`` and yield the open file; fill ``f['timeseries']`` by blocks."""
    h5py = _h5py()
    n = len(dates)
    extra = {"UNIT": "m", "REF_DATE": dates[0].strftime("%Y%m%d") if n else None}
    extra.update(attrs or {})
    with atomic_output(path) as temp:
        with h5py.File(temp, "w") as f:
            _write_attrs(f, base_attrs(grid, "timeseries", extra))
            f.create_dataset("date", data=to_bytes(dates))
            f.create_dataset(
                "bperp",
                data=np.zeros(n, np.float32) if bperp is None else np.asarray(bperp, np.float32),
            )
            f.create_dataset(
                "timeseries",
                shape=(n,) + grid.shape,
                dtype=np.float32,
                chunks=(1, min(chunk_rows, grid.length), grid.width),
                fillvalue=np.nan,
            )
            yield f


def write_timeseries(path: PathLike, series: TimeSeries) -> Path:
    with timeseries_writer(path, series.grid, series.dates, series.bperp, series.attrs) as f:
        f["timeseries"][...] = series.data
    return Path(path)


# ----------------------------------------------------------------------------- single products
def write_datasets(
    path: PathLike,
    datasets: Mapping[str, np.ndarray],
    file_type: str,
    grid: Grid,
    attrs: Optional[Mapping] = None,
) -> Path:
    """Write 2-D datasets sharing one grid (geometry, temporalCoherence, velocity, mask...).

    Conventional FILE_TYPE values: ``geometry``, ``temporalCoherence``, ``velocity``, ``mask``.
    """
    h5py = _h5py()
    with atomic_output(path) as temp:
        with h5py.File(temp, "w") as f:
            _write_attrs(f, base_attrs(grid, file_type, attrs))
            for name, array in datasets.items():
                array = np.asarray(array)
                if array.shape[-2:] != grid.shape:
                    raise ValueError(f"{name}: shape {array.shape} does not match {grid.shape}")
                f.create_dataset(name, data=array)
    return Path(path)


def read_dataset(path: PathLike, name: str, rows: slice = slice(None)) -> Tuple[np.ndarray, Grid]:
    """Read one 2-D dataset (e.g. ``temporalCoherence``, ``incidenceAngle``) and its grid."""
    with open_h5(path, required=(name,)) as f:
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        data = f[name][rows, :] if f[name].ndim == 2 else f[name][..., rows, :]
    grid = Grid.from_attrs(attrs)
    if rows != slice(None):
        start = rows.start or 0
        grid = grid.window(start, start + data.shape[-2], 0, grid.width)
    return data, grid


def read_incidence(geometry: PathLike, grid: Grid) -> np.ndarray:
    """``incidenceAngle`` (L, W) of a geometry file (degrees from the vertical, as stored);
    InputError naming the file when it lies on another grid than ``grid``."""
    incidence, geo_grid = read_dataset(geometry, "incidenceAngle")
    if not geo_grid.same_as(grid):
        raise InputError(
            f"geometry grid {geo_grid.shape} does not match the time series {grid.shape}.",
            geometry,
            "give the geometry of this stack.",
        )
    return incidence


def georeferenced_grid(attrs: Mapping, path: PathLike, fix: str) -> Grid:
    """The grid of a file's attributes; InputError naming the file (and ``fix``) when a
    georeferencing attribute (X_FIRST, Y_FIRST, X_STEP, Y_STEP...) is missing."""
    try:
        return Grid.from_attrs(attrs)
    except KeyError as exc:
        raise InputError(f"lacks the georeferencing attribute {exc}.", path, fix) from None


def write_geometry(
    path: PathLike,
    grid: Grid,
    height: np.ndarray,
    incidence_angle: np.ndarray,
    azimuth_angle: np.ndarray,
    water_mask: Optional[np.ndarray] = None,
    attrs: Optional[Mapping] = None,
) -> Path:
    """Write ``geometryGeo.h5``. ``water_mask`` is True on land (valid), as in MintPy."""
    datasets = {
        "height": np.asarray(height, np.float32),
        "incidenceAngle": np.asarray(incidence_angle, np.float32),
        "azimuthAngle": np.asarray(azimuth_angle, np.float32),
    }
    if water_mask is not None:
        datasets["waterMask"] = np.asarray(water_mask, bool)
    return write_datasets(path, datasets, "geometry", grid, attrs)


def write_temporal_coherence(
    path: PathLike, grid: Grid, coherence: np.ndarray, attrs: Optional[Mapping] = None
) -> Path:
    extra = {"UNIT": "1"}
    extra.update(attrs or {})
    return write_datasets(
        path,
        {"temporalCoherence": np.asarray(coherence, np.float32)},
        "temporalCoherence",
        grid,
        extra,
    )


def write_velocity(
    path: PathLike,
    grid: Grid,
    velocity: np.ndarray,
    velocity_std: np.ndarray,
    attrs: Optional[Mapping] = None,
    extra_datasets: Optional[Mapping] = None,
) -> Path:
    """Write MintPy ``velocity.h5``: ``velocity`` and ``velocityStd`` in m/year (LOS)."""
    datasets = {
        "velocity": np.asarray(velocity, np.float32),
        "velocityStd": np.asarray(velocity_std, np.float32),
    }
    datasets.update(extra_datasets or {})
    extra = {"UNIT": "m/year", "DATA_TYPE": "float32"}
    extra.update(attrs or {})
    return write_datasets(path, datasets, "velocity", grid, extra)
