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
from ..blocks import run_as_slice
from ..dates import from_bytes, to_bytes
from ..errors import InputError
from ..grid import Grid
from .hdf5_probe import check_hdf5_metadata, trust

PathLike = Union[str, Path]
Pair = Tuple[dt.date, dt.date]


def _h5py():
    import h5py

    return h5py


#: what h5py raises on a damaged file (besides crashing, see :mod:`.hdf5_probe`)
_H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError, AttributeError)
_FIX_DAMAGED = "copy the file again from its source, or re-run the step that wrote it."


def _damaged(path: PathLike, exc: Exception) -> InputError:
    return InputError(f"its HDF5 content cannot be read ({exc}).", path, _FIX_DAMAGED)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return str(value)


def _attrs(f, path: PathLike) -> Dict[str, str]:
    try:
        return {k: _text(v) for k, v in f.attrs.items()}
    except _H5_ERRORS as exc:
        raise _damaged(path, exc) from None


def _datasets(f, path: PathLike) -> Dict[str, Tuple[Tuple[int, ...], np.dtype]]:
    """Shape and dtype of every root dataset."""
    h5py = _h5py()
    try:
        return {k: (f[k].shape, f[k].dtype) for k in f.keys() if isinstance(f[k], h5py.Dataset)}
    except _H5_ERRORS as exc:
        raise _damaged(path, exc) from None


def _read(f, name: str, index, path: PathLike) -> np.ndarray:
    """``f[name][index]``; a damaged file raises InputError naming ``path``.

    A tuple of slices is read into a new array by ``read_direct``: the same values, 2.5x
    faster than h5py's indexing for a 66 MB block."""
    try:
        dataset = f[name]
        if (
            isinstance(index, tuple)
            and index
            and len(index) <= dataset.ndim
            and all(isinstance(i, slice) for i in index)
        ):
            leading = dataset.shape[: len(index)]
            shape = (
                tuple(len(range(*i.indices(size))) for i, size in zip(index, leading, strict=True))
                + dataset.shape[len(index) :]
            )
            out = np.empty(shape, dataset.dtype)
            if out.size:
                dataset.read_direct(out, index)
            return out
        return dataset[index]
    except _H5_ERRORS as exc:
        raise _damaged(path, exc) from None


def read_attrs(path: PathLike) -> Dict[str, str]:
    """Root attributes of an HDF5 file, all as str."""
    with open_h5(path) as f:
        return _attrs(f, path)


@contextlib.contextmanager
def open_h5(path: PathLike, required: Sequence[str] = ()):
    """Open an HDF5 file read-only; InputError naming the file if missing, unreadable,
    damaged (its metadata are first walked in a child process, see :mod:`.hdf5_probe`) or
    lacking one of the ``required`` datasets."""
    h5py = _h5py()
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    if path.is_dir():
        raise InputError("is a folder, not an HDF5 file.", path, "give a MintPy-style .h5 file.")
    check_hdf5_metadata(path)
    try:
        f = h5py.File(path, "r")
    except _H5_ERRORS as exc:
        raise InputError(
            f"not a readable HDF5 file ({exc}).", path, "give a MintPy-style .h5 file."
        ) from None
    try:
        try:
            missing = [name for name in required if name not in f]
            found = ", ".join(f.keys()) if missing else ""
        except _H5_ERRORS as exc:
            raise _damaged(path, exc) from None
        if missing:
            raise InputError(
                f"has no '{missing[0]}' dataset (found: {found}).",
                path,
                "give the matching MintPy file type.",
            )
        yield f
    finally:
        f.close()


_FIX_GEOCODE = "geocode the data (X_FIRST, Y_FIRST, X_STEP, Y_STEP attributes)."


def _number(attrs: Mapping[str, str], key: str, path: PathLike, kind=float, fix=_FIX_GEOCODE):
    try:
        value = kind(attrs[key]) if kind is float else int(str(attrs[key]).strip())
    except KeyError:
        raise InputError(f"lacks the georeferencing attribute '{key}'.", path, fix) from None
    except ValueError:
        value = None
    if value is None or not np.isfinite(value):
        raise InputError(
            f"its attribute {key} = '{attrs[key]}' is not a number.", path, _FIX_DAMAGED
        )
    return value


def georeferenced_grid(
    attrs: Dict[str, str],
    path: PathLike,
    fix: str = _FIX_GEOCODE,
    shape: Optional[Tuple[int, int]] = None,
) -> Grid:
    """The grid of a file's attributes: a map grid, or a radar grid when neither X_FIRST nor
    Y_FIRST is given (MintPy's rule for radar coordinates). InputError naming the file when a
    georeferencing attribute is missing (with ``fix``), not a number or a zero pixel size, or,
    given the ``shape`` (rows, columns) of its images, when LENGTH/WIDTH disagree with it (they
    are filled in from it when absent)."""
    sizes = dict(zip(("LENGTH", "WIDTH"), shape or (None, None), strict=True))
    for key, size in sizes.items():
        if size is None:
            _number(attrs, key, path, int, fix)
        elif key not in attrs:
            attrs[key] = str(size)
        elif _number(attrs, key, path, int) != size:
            raise InputError(
                f"its attribute {key} = {attrs[key]} does not match the datasets "
                f"({shape[0]} rows x {shape[1]} columns).",
                path,
                _FIX_DAMAGED,
            )
    if "X_FIRST" not in attrs and "Y_FIRST" not in attrs:
        return Grid.from_attrs(attrs)
    for key in ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP"):
        value = _number(attrs, key, path, float, fix)
        if key.endswith("STEP") and value == 0:
            raise InputError(f"its pixel size {key} is 0.", path, _FIX_DAMAGED)
    try:
        return Grid.from_attrs(attrs)
    except ValueError:
        raise InputError(
            f"its attribute EPSG = '{attrs.get('EPSG')}' is not an EPSG code.", path, _FIX_DAMAGED
        ) from None


def _check_image_dataset(path, name, info, shape=None, floating=True) -> None:
    """``name`` holds images: 3-D (count, rows, columns) or the given ``shape``; float."""
    found, dtype = info
    if (shape is None and len(found) != 3) or (shape is not None and tuple(found) != shape):
        expected = "(count, rows, columns)" if shape is None else str(tuple(shape))
        raise InputError(
            f"its dataset '{name}' has shape {tuple(found)}, expected {expected}.",
            path,
            "the file is inconsistent: write it again with the step that made it.",
        )
    if floating and not np.issubdtype(dtype, np.floating):
        raise InputError(
            f"its dataset '{name}' holds {dtype} values; floating-point values are expected.",
            path,
            "convert the data to float32 (phase in radians, coherence 0-1, displacement in "
            "metres) before using it.",
        )


def _check_vector(path, name: str, values: np.ndarray, count: int, what: str) -> None:
    if values.shape[:1] != (count,):
        raise InputError(
            f"its dataset '{name}' has {values.shape[0] if values.ndim else 0} entries for "
            f"{count} {what}.",
            path,
            "the file is inconsistent: write it again with the step that made it.",
        )


def check_values(path: PathLike, name: str, data: np.ndarray) -> np.ndarray:
    """Refuse infinite values (and coherence outside [0, 1]) read from dataset ``name``."""
    if not np.issubdtype(data.dtype, np.floating) or not data.size:
        return data
    # two reductions that skip NaN and read the data once each; counted only when refused
    low, high = np.fmin.reduce(data, axis=None), np.fmax.reduce(data, axis=None)
    if np.isinf(low) or np.isinf(high):
        raise InputError(
            f"its dataset '{name}' holds {int(np.isinf(data).sum())} infinite values.",
            path,
            "set missing or invalid values to NaN, not to +/-inf.",
        )
    if name == "coherence" and (low < -COHERENCE_TOLERANCE or high > 1 + COHERENCE_TOLERANCE):
        outside = int(((data < -COHERENCE_TOLERANCE) | (data > 1 + COHERENCE_TOLERANCE)).sum())
        raise InputError(
            f"its coherence holds {outside} values outside [0, 1] (from {low:g} to {high:g}).",
            path,
            "give coherence as a 0-1 magnitude (rescale 0-255 or 0-100 images first).",
        )
    return data


#: coherence this far outside [0, 1] is rounding, not a wrong scale
COHERENCE_TOLERANCE = 1e-3
#: plausible radar wavelengths (m): Ka band to P band
WAVELENGTH_RANGE = (0.005, 1.0)


def _check_wavelength(attrs: Mapping[str, str], path: PathLike) -> None:
    if "WAVELENGTH" not in attrs:
        return
    try:
        value = float(attrs["WAVELENGTH"])
    except ValueError:
        value = float("nan")
    if not WAVELENGTH_RANGE[0] <= value <= WAVELENGTH_RANGE[1]:
        raise InputError(
            f"its WAVELENGTH attribute is '{attrs['WAVELENGTH']}', not a radar wavelength in "
            f"metres ({WAVELENGTH_RANGE[0]}-{WAVELENGTH_RANGE[1]}).",
            path,
            "set WAVELENGTH to the sensor's wavelength in metres (Sentinel-1: 0.0554658).",
        )


def _check_reference(attrs: Mapping[str, str], grid: Grid, path: PathLike) -> None:
    if "REF_Y" not in attrs and "REF_X" not in attrs:
        return
    try:
        row, col = int(attrs["REF_Y"]), int(attrs["REF_X"])
    except (KeyError, ValueError):
        row = col = None
    if row is None or not grid.contains(row, col):
        where = (
            "is not a pixel number"
            if row is None
            else f"is outside the {grid.length} x {grid.width} grid"
        )
        raise InputError(
            f"its reference pixel REF_Y = '{attrs.get('REF_Y')}', REF_X = "
            f"'{attrs.get('REF_X')}' {where}.",
            path,
            "run 'Reference point' on the stack again.",
        )


def _write_attrs(f, attrs: Mapping) -> None:
    """Write (or replace) root attributes as str: variable-length UTF-8 scalars, as
    ``f.attrs[key] = str(value)`` does, through h5py's low-level calls (its high-level ones
    take ~0.1 ms per attribute: 4 ms for an inversion output's 45)."""
    h5py = _h5py()
    string = h5py.string_dtype()
    file_type = h5py.h5t.py_create(string, logical=True)
    memory_type = h5py.h5t.py_create(string)  # the bits of numpy's object array
    scalar = h5py.h5s.create(h5py.h5s.SCALAR)
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.encode() if isinstance(key, str) else key
        if h5py.h5a.exists(f.id, name):
            h5py.h5a.delete(f.id, name)
        attribute = h5py.h5a.create(f.id, name, file_type, scalar)
        attribute.write(np.array(str(value), dtype=string), mtype=memory_type)


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
        """Open and validate a stack: dataset shapes and types, dates, georeferencing,
        wavelength and reference pixel. InputError names the file and what is wrong."""
        path = Path(path)
        with open_h5(path, required=("unwrapPhase", "date")) as f:
            attrs = _attrs(f, path)
            if attrs.get("FILE_TYPE", "ifgramStack") != "ifgramStack":
                raise InputError(
                    f"FILE_TYPE is {attrs['FILE_TYPE']}, not ifgramStack.",
                    path,
                    "give the interferogram stack (ifgramStack.h5).",
                )
            info = _datasets(f, path)
            raw_dates = _read(f, "date", (), path)
            bperp = _read(f, "bperp", (), path) if "bperp" in info else None
            keep = _read(f, "dropIfgram", (), path) if "dropIfgram" in info else None
        _check_image_dataset(path, "unwrapPhase", info["unwrapPhase"])
        shape = tuple(info["unwrapPhase"][0])
        m = shape[0]
        for name in ("coherence", "connectComponent"):
            if name in info:
                _check_image_dataset(path, name, info[name], shape, name == "coherence")
        if raw_dates.ndim != 2 or raw_dates.shape[1] != 2:
            raise InputError(
                f"its dataset 'date' has shape {raw_dates.shape}, expected ({m}, 2).",
                path,
                "the file is inconsistent: write it again with the step that made it.",
            )
        _check_vector(path, "date", raw_dates, m, "interferograms")
        pairs = [tuple(from_bytes(row, str(path))) for row in raw_dates]
        _check_pairs(pairs, path)
        if bperp is None:
            bperp = np.zeros(m, np.float32)
        _check_vector(path, "bperp", bperp, m, "interferograms")
        if keep is None:
            keep = np.ones(m, bool)
        _check_vector(path, "dropIfgram", keep, m, "interferograms")
        grid = georeferenced_grid(
            attrs, path, "geocode the stack (X_FIRST, Y_FIRST, X_STEP, Y_STEP).", shape[1:]
        )
        _check_wavelength(attrs, path)
        _check_reference(attrs, grid, path)
        return cls(
            path,
            attrs,
            grid,
            pairs,
            np.asarray(bperp, np.float32),
            np.asarray(keep).astype(bool),
            tuple(info),
        )

    @property
    def locator(self):
        """Where the pixels lie on the map (:func:`core.io.lookup.pixel_locator`): the grid,
        or for a stack in radar coordinates its lookup tables (geometryRadar.h5 beside it)."""
        from .lookup import LOOKUP_ATTRIBUTE, pixel_locator

        return pixel_locator(self.path, self.grid, self.attrs.get(LOOKUP_ATTRIBUTE))

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
        """Read dataset ``name`` for a row slice and optional pair indices -> (m', rows, W).

        Infinite values and coherence outside [0, 1] raise InputError naming the file."""
        with open_h5(self.path, required=(name,)) as f:
            if pairs is None:
                return check_values(self.path, name, _read(f, name, (slice(None), rows), self.path))
            index = np.asarray(pairs)
            if index.dtype == bool:
                index = np.flatnonzero(index)
            if not len(index):
                empty = _read(f, name, (slice(0, 1), rows), self.path)
                return np.empty((0,) + empty.shape[1:], empty.dtype)
            selection = run_as_slice(index)  # a run: read as one slab
            if not isinstance(selection, slice):
                selection = index.tolist()
            return check_values(self.path, name, _read(f, name, (selection, rows), self.path))


def _check_pairs(pairs: Sequence[Pair], path: PathLike) -> None:
    seen = set()
    for first, second in pairs:
        label = f"{first:%Y%m%d}_{second:%Y%m%d}"
        if first >= second:
            raise InputError(
                f"the pair {label} does not have its first date before its second date.",
                path,
                "order each pair as (earlier, later) dates.",
            )
        if (first, second) in seen:
            raise InputError(
                f"the pair {label} appears twice.",
                path,
                "keep one interferogram per pair of dates.",
            )
        seen.add((first, second))


#: HDF5 metadata, chunk indexes and the small datasets of one file, at most (bytes)
HDF5_OVERHEAD_BYTES = 256 * 2**10
#: rows per chunk of the image datasets written here
CHUNK_ROWS = 128


def image_bytes(count: int, shape: Tuple[int, int], itemsize: int) -> int:
    """Bytes of a chunked (count, rows, columns) dataset: the last chunk of rows is whole."""
    rows = min(CHUNK_ROWS, shape[0])
    padded = -(-shape[0] // max(rows, 1)) * rows
    return count * padded * shape[1] * itemsize


def stack_bytes(
    num_pairs: int, shape: Tuple[int, int], with_coherence: bool = True, with_conncomp: bool = False
) -> int:
    """Expected size of an ``ifgramStack.h5`` written by :func:`ifgram_stack_writer`."""
    itemsize = 4 + (4 if with_coherence else 0) + (2 if with_conncomp else 0)
    return image_bytes(num_pairs, shape, itemsize) + HDF5_OVERHEAD_BYTES


def timeseries_bytes(num_dates: int, shape: Tuple[int, int]) -> int:
    """Expected size of a ``timeseries.h5`` written by :func:`timeseries_writer`."""
    return image_bytes(num_dates, shape, 4) + HDF5_OVERHEAD_BYTES


@contextlib.contextmanager
def ifgram_stack_writer(
    path: PathLike,
    grid: Grid,
    pairs: Sequence[Pair],
    bperp: Sequence[float],
    attrs: Optional[Mapping] = None,
    keep: Optional[Sequence[bool]] = None,
    with_conncomp: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    with_coherence: bool = True,
) -> Iterator:
    """Create an ``ifgramStack.h5`` and yield the open h5py file to fill.

    Datasets ``unwrapPhase``, ``coherence`` (unless ``with_coherence`` is False) and
    ``connectComponent`` (when ``with_conncomp``) are created empty (NaN / 0); write them per
    pair or per block. The file appears at ``path`` only when the
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
            for name in ("unwrapPhase", "coherence")[: 2 if with_coherence else 1]:
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
    trust(path)


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
    """Write a whole in-memory stack (small stacks and tests); ``coherence`` may be None."""
    with ifgram_stack_writer(
        path,
        grid,
        pairs,
        bperp,
        attrs,
        keep,
        with_conncomp=conncomp is not None,
        with_coherence=coherence is not None,
    ) as f:
        f["unwrapPhase"][...] = unwrap_phase
        if coherence is not None:
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
    from ..atomic import check_free_space, check_outputs

    check_outputs([destination], [source])
    check_free_space({destination: Path(source).stat().st_size})
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
    trust(destination)
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


def _series_dates(f, path: PathLike) -> List[dt.date]:
    """The dates of a time series, refused unless strictly increasing (a reversed or repeated
    date would flip or break every rate fitted to the series)."""
    raw = _read(f, "date", (), path)
    dates = from_bytes(np.atleast_1d(raw).reshape(-1), str(path))
    for before, after in zip(dates, dates[1:], strict=False):
        if after <= before:
            raise InputError(
                f"the date {after:%Y%m%d} appears twice."
                if after == before
                else f"its dates are not in increasing order: {after:%Y%m%d} follows "
                f"{before:%Y%m%d}.",
                path,
                "write the time series again with the inversion step: one layer per date, "
                "oldest first.",
            )
    return dates


def read_timeseries(path: PathLike, rows: slice = slice(None)) -> TimeSeries:
    """Read a MintPy ``timeseries.h5`` (all dates, a row slice), validated: dates strictly
    increasing, one float layer per date, no infinite values."""
    with open_h5(path, required=("timeseries", "date")) as f:
        attrs = _attrs(f, path)
        info = _datasets(f, path)
        dates = _series_dates(f, path)
        _check_image_dataset(path, "timeseries", info["timeseries"])
        count, length, width = info["timeseries"][0]
        if count != len(dates):
            raise InputError(
                f"its dataset 'timeseries' has {count} layers for {len(dates)} dates.",
                path,
                "the file is inconsistent: write it again with the step that made it.",
            )
        grid = georeferenced_grid(attrs, path, shape=(length, width))
        data = _read(f, "timeseries", (slice(None), rows), path)
        check_values(path, "timeseries", data)
        bperp = _read(f, "bperp", (), path) if "bperp" in info else None
    if bperp is not None:
        _check_vector(path, "bperp", bperp, count, "dates")
        bperp = bperp.astype(np.float32)
    if rows != slice(None):
        start = rows.start or 0
        grid = grid.window(start, start + data.shape[1], 0, grid.width)
    return TimeSeries(dates, data.astype(np.float32, copy=False), grid, attrs, bperp)


def read_timeseries_dates(path: PathLike) -> List[dt.date]:
    with open_h5(path, required=("date",)) as f:
        return _series_dates(f, path)


@contextlib.contextmanager
def timeseries_writer(
    path: PathLike,
    grid: Grid,
    dates: Sequence[dt.date],
    bperp: Optional[Sequence[float]] = None,
    attrs: Optional[Mapping] = None,
    chunk_rows: int = CHUNK_ROWS,
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
    trust(path)


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
    trust(path)
    return Path(path)


def read_dataset(path: PathLike, name: str, rows: slice = slice(None)) -> Tuple[np.ndarray, Grid]:
    """Read one 2-D dataset (e.g. ``temporalCoherence``, ``incidenceAngle``) and its grid."""
    with open_h5(path, required=(name,)) as f:
        attrs = _attrs(f, path)
        shape = _datasets(f, path)[name][0]
        if len(shape) < 2:
            raise InputError(
                f"its dataset '{name}' has shape {tuple(shape)}, not an image.",
                path,
                "the file is inconsistent: write it again with the step that made it.",
            )
        grid = georeferenced_grid(attrs, path, shape=tuple(shape[-2:]))
        index = (rows, slice(None)) if len(shape) == 2 else (Ellipsis, rows, slice(None))
        data = _read(f, name, index, path)
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
