"""Import point products (PS/DS results made by others) into a GeoPackage point layer.

Formats, detected from the header when ``format="auto"``:

* ``egms``: European Ground Motion Service L2a/L2b/L3 CSV (also ``.csv.gz`` and inside the
  EGMS ``.zip``): ``pid, ..., easting, northing, ..., mean_velocity, ...`` then one ``YYYYMMDD``
  column per date in mm. Coordinates: ``easting``/``northing`` in EPSG:3035 (present in L2a,
  L2b and L3; L2 also has latitude/longitude, kept as fields).
* ``stamps``: StaMPS ``ps_plot`` export as written by the StaMPS-Visualizer recipe: columns
  lon, lat, mean velocity (mm/yr), then displacement (mm); the first data row holds the
  reference centre and the dates as MATLAB datenums minus one.
* ``depsi``: DePSI / stmtools CSV: ``pnt_lat, pnt_lon, ..., pnt_linear`` (m/yr) and
  ``d_YYYYMMDD`` displacement in METRES (converted to mm).
* ``mintpy``: a MintPy ``timeseries.h5`` (metres) sampled at the points of a vector layer, or
  at every pixel whose temporal coherence reaches a threshold.
* ``generic``: any CSV with lon/lat or x/y columns and date columns found by a regular
  expression, in a user-given unit (m, cm or mm).

Every layer gets ``VEL`` (mm/yr; the source's mean velocity when it has one, else a
least-squares line through the series), ``VEL_STD`` (mm/yr), one ``DYYYYMMDD`` field per date
(mm, the source's line of sight or vertical as given) and the source's scalar quality fields
under their own names. CSV files are streamed in chunks, so memory stays bounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import itertools
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..conventions import years_since
from ..errors import InputError
from ..io.point_layers import PointRowMaker, point_layer_writer, read_points
from ..options import Choice, Options, option
from ..parallel import map_blocks, open_executor
from ..progress import ProgressCallback, finished, report, silent
from ..timeseries.rate_fit import linear_rate

PathLike = Union[str, Path]

EGMS_EPSG = 3035
WGS84 = 4326
DEFAULT_DATE_PATTERN = r"^(?:[dD]_?)?(\d{4}-?\d{2}-?\d{2})$"
RESERVED = {"VEL", "VEL_STD", "FID", "GEOM", "GEOMETRY"}
_DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d")
_X_NAMES = ("lon", "longitude", "lng", "long", "x", "easting", "east", "pnt_lon")
_Y_NAMES = ("lat", "latitude", "y", "northing", "north", "pnt_lat")
_GEOGRAPHIC = {"lon", "longitude", "lng", "long", "lat", "latitude", "pnt_lon", "pnt_lat"}
# MATLAB datenum of 1970-01-01 minus Python's ordinal of the same day
_DATENUM_OFFSET = 366


class PointFormat(Choice):
    """Format of a point product."""

    AUTO = "auto", "auto-detect from the header (MintPy by the .h5 suffix)"
    EGMS = "egms", "EGMS L2a/L2b/L3 CSV, CSV.GZ or zip"
    STAMPS = "stamps", "StaMPS export CSV"
    DEPSI = "depsi", "DePSI / stmtools CSV"
    MINTPY = "mintpy", "MintPy time series (HDF5)"
    GENERIC = "generic", "any CSV with coordinate and date columns"


class DisplacementUnit(Choice):
    """Unit of the displacement columns of a generic CSV."""

    MM = "mm", "millimetres"
    CM = "cm", "centimetres"
    M = "m", "metres"

    @property
    def to_mm(self) -> float:
        """Factor from this unit to millimetres."""
        return {"mm": 1.0, "cm": 10.0, "m": 1000.0}[self.value]


@dataclass
class PointImportOptions(Options):
    """How to read a point product. Options named "Generic CSV" or "MintPy" apply to that
    format only."""

    format: PointFormat = option(
        PointFormat.AUTO, help="Format of the point product; auto detects it from the header"
    )
    date_pattern: str = option(
        DEFAULT_DATE_PATTERN,
        help="Generic CSV: regular expression of the date columns; group 1 (or the whole name) "
        "is the date, YYYYMMDD or YYYY-MM-DD",
    )
    unit: DisplacementUnit = option(
        DisplacementUnit.MM, help="Generic CSV: unit of the displacement columns (stored as mm)"
    )
    x_field: Optional[str] = option(
        None, help="Generic CSV: x or longitude column (empty = guess by name)"
    )
    y_field: Optional[str] = option(
        None, help="Generic CSV: y or latitude column (empty = guess by name)"
    )
    epsg: Optional[int] = option(
        None, help="Generic CSV: EPSG code of the x/y columns (empty = WGS 84 longitude/latitude)"
    )
    chunk_rows: int = option(
        5_000, help="Points read at a time (bounds the memory)", unit="points", minimum=1
    )
    coherence_threshold: float = option(
        0.7,
        help="MintPy: keep pixels whose temporal coherence is at least this",
        minimum=0.0,
        maximum=1.0,
    )
    sample_points: Optional[str] = option(
        None, help="MintPy: point layer to sample the time series at, instead of every pixel"
    )


@dataclass
class ImportSummary:
    path: Path
    format: str
    count: int
    dates: List[dt.date]
    epsg: Optional[int]
    fields: List[str] = field(default_factory=list)
    skipped: int = 0  # rows without coordinates


@dataclass
class _Layout:
    """Where things are in a CSV: column indices and conversions."""

    format: str
    x: int
    y: int
    epsg: int
    date_columns: List[int]
    dates: List[dt.date]
    to_mm: float
    velocity: Optional[int] = None  # column with mean velocity
    velocity_to_mm: float = 1.0
    velocity_std: Optional[int] = None
    numeric: Dict[str, int] = field(default_factory=dict)
    text: Dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------- opening files
def _open_bytes(path: Path):
    """A byte stream over a CSV, a gzip'ed CSV or the (largest) CSV inside a zip."""
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    name = path.name.lower()
    if name.endswith(".zip"):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise InputError("is not a valid zip archive.", path, "download it again.") from None
        members = [
            m for m in archive.infolist() if m.filename.lower().endswith((".csv", ".csv.gz"))
        ]
        if not members:
            raise InputError(
                "the zip holds no .csv file.",
                path,
                "give the EGMS zip as downloaded, or the CSV itself.",
            )
        member = max(members, key=lambda m: m.file_size)
        raw = archive.open(member)
        return gzip.GzipFile(fileobj=raw) if member.filename.lower().endswith(".gz") else raw
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


#: what reading a damaged text, gzip or zip stream raises
_STREAM_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


def _text_lines(stream, path: Path) -> Iterator[str]:
    """Lines decoded one by one, so that bad bytes and a cut-off file are reported at their
    line (the header is line 1)."""
    number = 1
    while True:
        try:
            data = stream.readline()
        except _STREAM_ERRORS as exc:
            raise InputError(
                f"the file is damaged or cut off after line {number} ({exc}).",
                path,
                "download or copy the file again (a .gz or .zip must be complete).",
            ) from None
        if not data:
            return
        number += 1
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"line {number} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                f"character {exc.start + 1}).",
                path,
                "save the file as UTF-8 text (EGMS and most exports are plain ASCII).",
            ) from None


def _sniff_delimiter(line: str, path: Path) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        stripped = line.split()
        if len(stripped) > 2:
            return " "
        raise InputError(
            "the header has a single column: the delimiter is not a comma, "
            "semicolon, tab, pipe or space.",
            path,
            "save the table as comma-separated CSV with a header row.",
        )
    return delimiter


def _reader(path: Path) -> Tuple[List[str], str, Iterator[str], object]:
    """The header, the delimiter, the data lines and the open stream of a CSV."""
    stream = _open_bytes(path)
    try:
        raw = stream.readline()
        first = raw.decode("utf-8-sig")
    except (*_STREAM_ERRORS, UnicodeDecodeError) as exc:
        stream.close()
        raise InputError(f"cannot be read as text ({exc}).", path, "give a CSV file.") from None
    if not first.strip():
        stream.close()
        raise InputError("is empty.", path, "give a CSV with a header row and one point per row.")
    delimiter = _sniff_delimiter(first, path)
    try:
        header = next(csv.reader([first], delimiter=delimiter, skipinitialspace=delimiter == " "))
    except csv.Error as exc:
        stream.close()
        raise InputError(f"its header cannot be read ({exc}).", path, "give a CSV file.") from None
    header = [h.strip() for h in header]
    return header, delimiter, _text_lines(stream, path), stream


# ----------------------------------------------------------------------------- detection
def _parse_date(text: str, fmt: str) -> Optional[dt.date]:
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _date_columns(
    header: Sequence[str], pattern: str, path: Path
) -> Tuple[List[int], List[dt.date]]:
    """Indices and dates of the columns whose name matches ``pattern``; one date format only."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"the date-column pattern '{pattern}' is not a valid regular expression ({exc}).",
            None,
            "correct DATE_PATTERN.",
        ) from None
    indices, dates, formats = [], [], set()
    for i, name in enumerate(header):
        match = regex.match(name)
        if not match:
            if _DAMAGED_DATE.match(name):
                raise _bad_date_column(name, path)
            continue
        text = match.group(1) if match.groups() else match.group(0)
        for fmt in _DATE_FORMATS:
            date = _parse_date(text, fmt)
            if date is not None:
                indices.append(i)
                dates.append(date)
                formats.add(fmt)
                break
        else:
            raise _bad_date_column(name, path)
    if len(formats) > 1:
        raise InputError(
            "date columns use mixed date formats (YYYYMMDD and YYYY-MM-DD).",
            path,
            "name every date column in one format, e.g. 20200103.",
        )
    if len(set(dates)) != len(dates):
        raise InputError(
            "two date columns name the same date.", path, "keep one column per acquisition date."
        )
    return indices, dates


#: a column name that is probably a damaged date (digits with a letter or space in them):
#: refused, since it would silently become a number field and its date would be lost
_DAMAGED_DATE = re.compile(r"^(?:[dD]_?)?(?=(?:[^\d]*\d){5})\d[\w -]{5,9}$")


def _bad_date_column(name: str, path: Path) -> InputError:
    return InputError(
        f"the column '{name}' is named like a date but is not a valid date.",
        path,
        "correct the column name to the date it holds (YYYYMMDD, e.g. 20200103).",
    )


def detect_format(header: Sequence[str]) -> str:
    """Guess the product format from a CSV header (lower-case names compared)."""
    names = {h.lower() for h in header}
    if {"pid", "mean_velocity"} <= names and {"easting", "northing"} <= names:
        return "egms"
    if {"pnt_lat", "pnt_lon"} <= names:
        return "depsi"
    if header and all(re.match(r"^(export_res|var)_?\d+$", h, re.I) for h in header):
        return "stamps"
    return "generic"


def _scalar_fields(
    header: Sequence[str], used: set, path: Path, skip: re.Pattern = None
) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Every other column as a field; text columns (ids) by name, the rest numeric."""
    numeric, text = {}, {}
    for i, name in enumerate(header):
        if i in used or not name or name.upper() in RESERVED or re.match(r"^D\d{8}$", name, re.I):
            continue
        if skip is not None and skip.match(name):
            continue
        if name.lower() in ("pid", "pnt_id", "id", "code", "name"):
            text[name] = i
        else:
            numeric[name] = i
    return numeric, text


def _index(header: Sequence[str], name: str) -> Optional[int]:
    lowered = [h.lower() for h in header]
    return lowered.index(name.lower()) if name.lower() in lowered else None


def _require(header, name: str, path: Path, what: str) -> int:
    index = _index(header, name)
    if index is None:
        raise InputError(
            f"the {what} column '{name}' is missing (columns: "
            f"{', '.join(header[:12])}{'...' if len(header) > 12 else ''}).",
            path,
            "check the file is the format chosen, or use the generic format "
            "and name the coordinate columns.",
        )
    return index


def _layout_egms(header, path) -> _Layout:
    x = _require(header, "easting", path, "coordinate")
    y = _require(header, "northing", path, "coordinate")
    cols, dates = _date_columns(header, r"^(\d{8})$", path)
    if cols:  # EGMS puts every date after the scalar columns
        after = [h for i, h in enumerate(header) if i > cols[0] and i not in set(cols)]
        if after:
            raise _bad_date_column(after[0], path)
    velocity = _index(header, "mean_velocity")
    velocity_std = _index(header, "mean_velocity_std")
    numeric, text = _scalar_fields(header, set(cols) | {x, y}, path)
    return _Layout(
        "egms", x, y, EGMS_EPSG, cols, dates, 1.0, velocity, 1.0, velocity_std, numeric, text
    )


def _layout_depsi(header, path) -> _Layout:
    x = _require(header, "pnt_lon", path, "coordinate")
    y = _require(header, "pnt_lat", path, "coordinate")
    cols, dates = _date_columns(header, r"^d_(\d{8})$", path)
    velocity = _index(header, "pnt_linear")
    # per-date amplitudes and height-to-phase factors would add two fields per date
    numeric, text = _scalar_fields(
        header, set(cols) | {x, y}, path, skip=re.compile(r"^(a|h2ph)_\d{8}$|^$")
    )
    return _Layout("depsi", x, y, WGS84, cols, dates, 1000.0, velocity, 1000.0, None, numeric, text)


def _layout_stamps(header, first_row: List[str], path) -> _Layout:
    if len(header) < 4:
        raise InputError(
            "a StaMPS export needs lon, lat, velocity and date columns.",
            path,
            "export with the StaMPS-Visualizer recipe (ps_plot ... writetable).",
        )
    try:
        meta = [float(v) if v.strip() else np.nan for v in first_row]
    except ValueError:
        raise InputError(
            "the first data row of a StaMPS export must hold the reference "
            "lon/lat and the dates (MATLAB datenum - 1).",
            path,
            "export with the StaMPS-Visualizer recipe.",
        ) from None
    if not np.all(np.asarray(meta[3:]) > 600_000):
        raise InputError(
            "the first data row does not hold MATLAB datenums (> 600000).",
            path,
            "export with the StaMPS-Visualizer recipe (metarow with day - 1).",
        )
    dates = [dt.date.fromordinal(int(round(v)) + 1 - _DATENUM_OFFSET) for v in meta[3:]]
    return _Layout(
        "stamps",
        0,
        1,
        WGS84,
        list(range(3, len(header))),
        dates,
        1.0,
        2,
        1.0,
        None,
        {},
        {},
    )


def _layout_generic(header, options: PointImportOptions, path) -> _Layout:
    lowered = [h.lower() for h in header]

    def pick(given: Optional[str], candidates, what: str) -> int:
        given = (given or "").strip()
        if given:
            return _require(header, given, path, what)
        for name in candidates:
            if name in lowered:
                return lowered.index(name)
        raise InputError(
            f"no {what} column found (looked for {', '.join(candidates)}).",
            path,
            "name the coordinate columns in X_FIELD and Y_FIELD (advanced), or "
            "check the delimiter.",
        )

    x = pick(options.x_field, _X_NAMES, "x / longitude")
    y = pick(options.y_field, _Y_NAMES, "y / latitude")
    cols, dates = _date_columns(header, options.date_pattern, path)
    if not cols:
        raise InputError(
            f"no column name matches the date pattern '{options.date_pattern}'.",
            path,
            "edit DATE_PATTERN so that it matches the date columns, e.g. "
            r"^D(\d{8})$ for D20200103.",
        )
    epsg = options.epsg
    if not epsg:
        if lowered[x] in _GEOGRAPHIC and lowered[y] in _GEOGRAPHIC:
            epsg = WGS84
        else:
            raise InputError(
                f"the coordinates '{header[x]}'/'{header[y]}' are not lon/lat and "
                "no CRS was given.",
                path,
                "set the CRS of the x/y columns.",
            )
    velocity = next(
        (i for i, n in enumerate(lowered) if n in ("vel", "velocity", "mean_velocity")), None
    )
    velocity_std = next(
        (i for i, n in enumerate(lowered) if n in ("vel_std", "velocity_std", "mean_velocity_std")),
        None,
    )
    used = set(cols) | {x, y} | {i for i in (velocity, velocity_std) if i is not None}
    numeric, text = _scalar_fields(header, used, path)
    return _Layout(
        "generic",
        x,
        y,
        int(epsg),
        cols,
        dates,
        options.unit.to_mm,
        velocity,
        1.0,
        velocity_std,
        numeric,
        text,
    )


# ----------------------------------------------------------------------------- chunk maths
def _number_error(path: Path, line: int, column: str, value: str, problem: str) -> InputError:
    shown = value if len(value) <= 40 else value[:40] + "..."
    return InputError(
        f"line {line}, column '{column}': '{shown}' {problem}.",
        path,
        "use a dot as decimal separator and a comma (or semicolon) between columns, keep "
        "text out of numeric columns, and leave missing values empty (or NaN), not infinite.",
    )


def _to_float(
    strings: np.ndarray, path: Path, lines: np.ndarray, columns: Sequence[str]
) -> np.ndarray:
    """Cells of a chunk (rows, k) as float64; empty, NaN and NA cells are NaN. A cell that is
    not a number, or is infinite, raises InputError naming its line and column."""
    strings = strings.reshape(len(lines), -1)
    try:
        values = strings.astype(np.float64)  # the common case: every cell a number
    except ValueError:
        cleaned = np.char.strip(strings)
        lowered = np.char.lower(cleaned)
        cleaned = np.where((cleaned == "") | (lowered == "nan") | (lowered == "na"), "nan", cleaned)
        values = np.full(strings.shape, np.nan)
        for (row, col), text in np.ndenumerate(cleaned):
            try:
                values[row, col] = float(text)
            except ValueError:
                raise _number_error(
                    path, int(lines[row]), columns[col], str(strings[row, col]), "is not a number"
                ) from None
    infinite = np.argwhere(np.isinf(values))
    if len(infinite):
        row, col = infinite[0]
        raise _number_error(
            path, int(lines[row]), columns[col], str(strings[row, col]), "is infinite"
        )
    return values


@dataclass
class _Chunk:
    """Data rows of a CSV: ``numbers`` (n, width) float64 (NaN for empty cells and in the
    columns not read as numbers), ``text`` column index -> (n,) str, the file ``lines`` of the
    rows (n,) and the characters read (``size``)."""

    numbers: np.ndarray
    text: Dict[int, np.ndarray]
    lines: np.ndarray
    size: int


def _line_chunks(lines: Iterator[str], size: int, start_line: int):
    """(lines, file line number of the first) ``size`` lines at a time."""
    first = start_line
    while True:
        raw = list(itertools.islice(lines, size))
        if not raw:
            return
        yield raw, first
        first += len(raw)


@dataclass(frozen=True)
class _Columns:
    """How to cut the data lines of a CSV: its header and delimiter, the column indices read
    as numbers and those kept as text."""

    header: List[str]
    delimiter: str
    numeric: List[int]
    text: List[int]
    path: Path

    def parse(self, raw: List[str], first_line: int) -> _Chunk:
        """The rows of ``raw`` (lines from ``first_line`` on), blank lines left out: the
        numeric columns parsed by numpy's C reader (``loadtxt``) and the text columns cut
        from the lines. Chunks with quotes, empty, NA or infinite cells, or rows of another
        width take the csv module's path, whose errors name the line and column."""
        delimiter, width = self.delimiter, len(self.header)
        size = sum(map(len, raw))
        kept = [k for k, line in enumerate(raw) if not line.isspace()]
        lines = [raw[k] for k in kept]
        numbers = None
        limit = csv.field_size_limit()  # a longer line may hold a field the csv path refuses
        if delimiter != " " and all(
            len(line) < limit and line.count(delimiter) == width - 1 and '"' not in line
            for line in lines
        ):
            numbers = self._numbers(lines)
        if numbers is None:
            return self._parse_rows(raw, first_line, size)
        texts = {
            index: np.array([line.split(delimiter, index + 1)[index].strip() for line in lines])
            for index in self.text
        }
        return _Chunk(numbers, texts, first_line + np.array(kept, dtype=int), size)

    def _numbers(self, lines: List[str]) -> Optional[np.ndarray]:
        numbers = np.full((len(lines), len(self.header)), np.nan)
        if not self.numeric or not lines:
            return numbers
        try:
            values = np.loadtxt(
                lines, delimiter=self.delimiter, usecols=self.numeric, comments=None, ndmin=2
            )
        except ValueError:
            return None
        if np.isinf(values).any():
            return None  # refused by the csv path, at its line and column
        numbers[:, self.numeric] = values
        return numbers

    def _parse_rows(self, raw: List[str], first_line: int, size: int) -> _Chunk:
        width, path = len(self.header), self.path
        reader = csv.reader(raw, delimiter=self.delimiter, skipinitialspace=self.delimiter == " ")
        rows, lines = [], []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(
                    f"line {first_line + reader.line_num - 1} cannot be read as CSV ({exc}).",
                    path,
                    "check the line: a field over 128 KB or an unclosed quote is not a point "
                    "table.",
                ) from None
            line = first_line + reader.line_num - 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise InputError(
                    f"line {line} has {len(row)} values but the header has {width} columns.",
                    path,
                    "check the delimiter (decimal commas in a "
                    "comma-separated file split values) and that no row is cut short.",
                )
            rows.append(row)
            lines.append(line)
        cells = np.array(rows, dtype=str).reshape(len(rows), width)
        lines = np.array(lines, dtype=int)
        numbers = np.full((len(rows), width), np.nan)
        if self.numeric and len(rows):
            names = [self.header[i] for i in self.numeric]
            numbers[:, self.numeric] = _to_float(cells[:, self.numeric], path, lines, names)
        texts = {index: np.char.strip(cells[:, index]) for index in self.text}
        return _Chunk(numbers, texts, lines, size)


# ----------------------------------------------------------------------------- public API
def import_points(
    path: PathLike,
    output: PathLike,
    options: Optional[PointImportOptions] = None,
    progress: ProgressCallback = silent,
    executor=None,
) -> ImportSummary:
    """Import a point product into a GeoPackage point layer at ``output`` (see module doc).

    A CSV is read in chunks of ``options.chunk_rows`` lines, parsed and converted on a thread
    while this process inserts the previous chunk; ``executor`` (a Dask scheduler address or
    an executor, :mod:`core.parallel`) parses and converts them instead. The layer is the
    same, written by this process. A MintPy file is sampled here."""
    options = options or PointImportOptions()
    path, output = Path(path), Path(output)
    check_outputs([output], [path])
    fmt = options.format
    if fmt is PointFormat.MINTPY or (
        fmt is PointFormat.AUTO and path.suffix.lower() in (".h5", ".he5", ".hdf5")
    ):
        return _import_mintpy(path, output, options, progress)
    header, delimiter, lines, stream = _reader(path)
    try:
        return _import_csv(path, output, header, delimiter, lines, fmt, options, progress, executor)
    finally:
        stream.close()


def _import_csv(path, output, header, delimiter, lines, fmt, options, progress, executor):
    if fmt == "auto":
        fmt = detect_format(header)
    first_row = None
    if fmt == "stamps":
        try:
            first_row = next(csv.reader(itertools.islice(lines, 1), delimiter=delimiter), None)
        except csv.Error as exc:
            raise InputError(f"line 2 cannot be read as CSV ({exc}).", path) from None
        if first_row is None:
            raise InputError("has a header but no points.", path, "export the points again.")
        layout = _layout_stamps(header, first_row, path)
    elif fmt == "egms":
        layout = _layout_egms(header, path)
    elif fmt == "depsi":
        layout = _layout_depsi(header, path)
    else:
        layout = _layout_generic(header, options, path)
    if not layout.date_columns:
        raise InputError(
            "no date columns found.",
            path,
            "check the format; dates are columns named like 20200103.",
        )
    order = np.argsort(layout.dates, kind="stable")
    dates = [layout.dates[i] for i in order]
    date_cols = np.asarray(layout.date_columns)[order]
    years = years_since(dates)
    field_types: Dict[str, np.ndarray] = {"VEL": np.zeros(1), "VEL_STD": np.zeros(1)}
    field_types.update({name: np.array([""]) for name in layout.text})
    field_types.update({name: np.zeros(1) for name in layout.numeric})
    columns = 2 + len(field_types) + len(dates)  # + feature id and geometry
    if columns > GEOPACKAGE_MAX_COLUMNS:
        raise InputError(
            f"it has {len(dates)} date columns and {len(field_types)} other fields; a "
            f"GeoPackage layer holds at most {GEOPACKAGE_MAX_COLUMNS} columns.",
            path,
            f"split the file by period (at most {GEOPACKAGE_MAX_COLUMNS - columns + len(dates)} "
            "dates per file).",
        )
    total_bytes = _size_hint(path)
    conversion = _Conversion(layout, date_cols, years, _position_check(header, layout, path))
    numeric = [layout.x, layout.y, *date_cols, *layout.numeric.values()]
    numeric += [i for i in (layout.velocity, layout.velocity_std) if i is not None]
    numeric += [
        i for i in (_index(header, "latitude"), _index(header, "longitude")) if i is not None
    ]
    columns = _Columns(header, delimiter, sorted(set(numeric)), list(layout.text.values()), path)
    chunks = _line_chunks(lines, options.chunk_rows, 3 if layout.format == "stamps" else 2)
    first = None
    for raw, start in chunks:  # the first chunk with rows (the rest stay in ``chunks``)
        first = columns.parse(raw, start)
        if len(first.lines):
            break
    if first is None or not len(first.lines):
        raise InputError(
            "has a header but no points.",
            path,
            "check that the file holds data rows below the header.",
        )
    *first_points, first_skipped = conversion(first)  # bad values raise here, before any output
    count, characters, skipped = 0, 0, (0, None)  # rows without coordinates, the first's line
    with point_layer_writer(
        output, layout.epsg, dates, field_types, layer_name=_layer_name(output)
    ) as writer:
        row_maker = writer.row_maker
        # a thread (or a Dask cluster) reads and converts the next chunks while SQLite
        # inserts this one
        thread = ThreadPoolExecutor(max_workers=1)
        with open_executor(executor) as cluster, thread:
            pool = thread if cluster is None else cluster
            following = map_blocks(
                _prepare_chunk,
                chunks,
                columns,
                conversion,
                row_maker,
                executor=pool,
                in_flight=2 if cluster is None else None,
            )
            prepared = [(row_maker.rows(*first_points), first.size, first_skipped)]
            for rows, size, (missing, first_missing) in itertools.chain(prepared, following):
                writer.write_rows(rows)
                count += rows.count
                characters += size
                skipped = (skipped[0] + missing, skipped[1] or first_missing)
                report(progress, min(0.99, characters / total_bytes), f"{count:,} points imported")
        if count == 0:
            raise InputError(
                "has a header but no points with coordinates.",
                path,
                "check that the file holds data rows below the header.",
            )
    message = f"{count:,} points imported"
    if skipped[0]:
        message += (
            f"; {skipped[0]:,} rows without coordinates skipped (the first at line {skipped[1]})"
        )
    finished(progress, message + ".")
    return ImportSummary(
        output, layout.format, count, dates, layout.epsg, list(field_types), skipped[0]
    )


@dataclass
class _Conversion:
    """Parsed CSV rows to points: coordinates, displacement in mm by date, VEL/VEL_STD and the
    source's fields; rows without coordinates are left out (picklable: it travels to Dask
    workers)."""

    layout: _Layout
    date_cols: np.ndarray  # the date columns in date order
    years: np.ndarray  # of the dates
    check_position: Optional["_PositionCheck"]

    def __call__(self, chunk: _Chunk) -> tuple:
        """(x, y, displacement (n, dates) mm, fields, (rows left out, line of the first or
        None)) of ``chunk``."""
        layout, numbers, lines = self.layout, chunk.numbers, chunk.lines
        x, y = numbers[:, layout.x], numbers[:, layout.y]
        keep = np.isfinite(x) & np.isfinite(y)
        skipped = (0, None) if keep.all() else (int((~keep).sum()), int(lines[~keep][0]))
        if self.check_position is not None:
            self.check_position(numbers[keep], lines[keep], x[keep], y[keep])
        displacement = numbers[:, self.date_cols]  # a copy (fancy indexing)
        if layout.to_mm != 1.0:
            displacement *= layout.to_mm
        fields: Dict[str, np.ndarray] = {}
        if layout.velocity is None or layout.velocity_std is None:  # else the source's own
            fields["VEL"], fields["VEL_STD"] = linear_rate(self.years, displacement.T)
        if layout.velocity is not None:
            fields["VEL"] = numbers[:, layout.velocity] * layout.velocity_to_mm
        if layout.velocity_std is not None:
            fields["VEL_STD"] = numbers[:, layout.velocity_std] * layout.velocity_to_mm
        for name, index in layout.text.items():
            fields[name] = chunk.text[index].astype(object)
        for name, index in layout.numeric.items():
            fields[name] = numbers[:, index]
        if keep.all():  # the usual case: no copies
            return x, y, displacement, fields, skipped
        kept = {k: v[keep] for k, v in fields.items()}
        return x[keep], y[keep], displacement[keep], kept, skipped


def _prepare_chunk(
    lines_and_start: Tuple[List[str], int],
    columns: "_Columns",
    conversion: _Conversion,
    row_maker: PointRowMaker,
) -> tuple:
    """(rows for the writer, characters read, (rows left out, line of the first)) of the
    data lines ``lines_and_start`` = (lines, line number of the first). One block of the
    CSV import, run on a thread here or on a Dask worker."""
    chunk = columns.parse(*lines_and_start)
    *points, skipped = conversion(chunk)
    return row_maker.rows(*points), chunk.size, skipped


#: SQLite's default column limit, which GDAL's GeoPackage driver inherits
GEOPACKAGE_MAX_COLUMNS = 2000
#: metres between the easting/northing of a point and its latitude/longitude projected
POSITION_TOLERANCE_M = 100.0


def _position_check(header, layout: _Layout, path: Path) -> Optional["_PositionCheck"]:
    """For files with both projected x/y and latitude/longitude (EGMS L2a/L2b): the check
    refusing rows whose x/y are not the projected lat/lon (swapped or damaged columns)."""
    lat, lon = _index(header, "latitude"), _index(header, "longitude")
    if layout.format != "egms" or lat is None or lon is None:
        return None
    return _PositionCheck(lat, lon, layout.epsg, path)


@functools.lru_cache(maxsize=None)
def _from_wgs84(epsg: int):
    """The GDAL transformation from WGS 84 longitude/latitude to ``epsg`` (x, y order), made
    once per process."""
    from osgeo import osr

    source, target = osr.SpatialReference(), osr.SpatialReference()
    source.ImportFromEPSG(WGS84)
    target.ImportFromEPSG(epsg)
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return osr.CoordinateTransformation(source, target)


@dataclass(frozen=True)
class _PositionCheck:
    """Refuses rows whose x/y lie more than POSITION_TOLERANCE_M from their latitude/longitude
    (columns ``lat``, ``lon``) projected to ``epsg``, naming the line in ``path``."""

    lat: int
    lon: int
    epsg: int
    path: Path

    def __call__(self, numbers, lines, x, y) -> None:
        if not len(lines):
            return
        lonlat = numbers[:, [self.lon, self.lat]]
        inside = np.all(np.isfinite(lonlat), axis=1)
        if not inside.any():
            return
        transform = _from_wgs84(self.epsg)
        projected = np.array(transform.TransformPoints(lonlat[inside].tolist()))[:, :2]
        distance = np.hypot(projected[:, 0] - x[inside], projected[:, 1] - y[inside])
        bad = np.flatnonzero(~(distance <= POSITION_TOLERANCE_M))
        if not len(bad):
            return
        k = bad[0]
        swapped = np.hypot(projected[k, 0] - y[inside][k], projected[k, 1] - x[inside][k])
        line = int(lines[inside][k])
        cause = (
            "its easting and northing are swapped"
            if swapped <= POSITION_TOLERANCE_M
            else f"its easting/northing lie {distance[k] / 1000:,.1f} km from its "
            "latitude/longitude"
        )
        raise InputError(
            f"line {line}: {cause} (EPSG:{self.epsg}).",
            self.path,
            "restore the easting/northing columns of the original file (EGMS: easting before "
            "northing, both in EPSG:3035).",
        )


def _layer_name(output: Path) -> str:
    return re.sub(r"\W", "_", output.stem) or "points"


def _size_hint(path: Path) -> float:
    size = path.stat().st_size
    return float(size * (8 if path.suffix.lower() in (".gz", ".zip") else 1)) or 1.0


# ----------------------------------------------------------------------------- MintPy


def _import_mintpy(
    path: Path, output: Path, options: PointImportOptions, progress: ProgressCallback
) -> ImportSummary:
    from ..blocks import row_blocks
    from ..grid import Grid
    from ..io.mintpy import read_attrs, read_dataset, read_timeseries, read_timeseries_dates

    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    attrs = read_attrs(path)
    if attrs.get("FILE_TYPE", "timeseries") != "timeseries":
        raise InputError(
            f"is a MintPy '{attrs.get('FILE_TYPE')}' file, not a time series.",
            path,
            "give timeseries.h5 (or a corrected time-series file).",
        )
    grid = Grid.from_attrs(attrs)
    dates = read_timeseries_dates(path)
    years = years_since(dates)
    coherence_path = path.with_name("temporalCoherence.h5")
    field_types = {
        "VEL": np.zeros(1),
        "VEL_STD": np.zeros(1),
        "TCOH": np.zeros(1),
        "row": np.zeros(1, int),
        "col": np.zeros(1, int),
    }
    count = 0
    with point_layer_writer(
        output, grid.epsg, dates, field_types, _layer_name(output), wkt=grid.wkt
    ) as writer:
        if options.sample_points:
            sample_at = read_points(options.sample_points, [], grid.crs_wkt(), dates=False)
            px, py = sample_at.x, sample_at.y
            rows, cols = grid.rowcol(px, py)
            inside = grid.contains(rows, cols)
            rows, cols = rows[inside], cols[inside]
            blocks = [(slice(0, grid.length), rows, cols)]
        else:
            blocks = [
                (b, None, None) for b in row_blocks(grid.length, len(dates) * grid.width * 16)
            ]
        for number, (block, rows, cols) in enumerate(blocks):
            series = read_timeseries(path, rows=block) if rows is None else None
            if coherence_path.exists():
                tcoh = read_dataset(coherence_path, "temporalCoherence", block)[0]
            else:
                tcoh = np.full((block.stop - block.start, grid.width), np.nan)
            if rows is None:
                data = series.data * 1000.0
                valid = np.all(np.isfinite(data), axis=0)
                if coherence_path.exists():
                    valid &= tcoh >= options.coherence_threshold
                else:  # all-zero series are no-data fill (the reference pixel aside)
                    valid &= np.any(data != 0, axis=0)
                rr, cc = np.nonzero(valid)
                displacement = data[:, rr, cc].T
                rr_abs = rr + block.start
            else:
                rr_abs, cc, rr = rows, cols, rows
                displacement = _sample_pixels(path, rows, cols) * 1000.0
            x, y = grid.xy(rr_abs, cc)
            velocity, velocity_std = linear_rate(years, displacement.T)
            writer.write(
                x,
                y,
                displacement,
                {
                    "VEL": velocity,
                    "VEL_STD": velocity_std,
                    "TCOH": tcoh[rr, cc].astype(float),
                    "row": rr_abs,
                    "col": cc,
                },
            )
            count += len(x)
            report(progress, (number + 1) / len(blocks), f"{count:,} points sampled")
    if count == 0:
        output.unlink(missing_ok=True)
        raise InputError(
            "no pixel passed: none inside the sample points or above the "
            f"temporal-coherence threshold {options.coherence_threshold}.",
            path,
            "lower the threshold or give points inside the time-series extent.",
        )
    return ImportSummary(output, "mintpy", count, dates, grid.epsg, list(field_types))


def _sample_pixels(path: Path, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(N, n_dates) metres at pixels (rows, cols), read one row at a time (no full stack)."""
    from ..io.mintpy import open_h5

    out = np.full((len(rows), 0), np.nan)
    with open_h5(path, required=("timeseries",)) as f:
        data = f["timeseries"]
        out = np.full((len(rows), data.shape[0]), np.nan)
        for row in np.unique(rows):
            pick = rows == row
            out[pick] = data[:, int(row), :][:, cols[pick]].T
    return out
