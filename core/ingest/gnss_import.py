"""Import GNSS station time series into one GeoPackage (:mod:`core.io.gnss`).

Formats, told apart by name and content when ``format = auto``:

* ``tenv3``: Nevada Geodetic Laboratory ``<SITE>.tenv3``: a header line starting ``site``,
  then per day ``site YYMMMDD decimal_year MJD week day reflon e0 east n0 north u0 up ant
  sig_e sig_n sig_u corr_en corr_eu corr_nu [latitude longitude height]`` in metres; a
  position is ``e0 + east`` (the integer part moves when the fraction rolls over). Files of
  the IGS08 era have no latitude/longitude columns: give a station table.
* ``columns``: whitespace columns ``decimal_year north east up [sig_n sig_e sig_u]``
  (``*_neu_cm.col`` and similar), in mm, cm or m (``unit``; ``auto`` reads ``_cm``/``_mm``/
  ``_m`` in the file name, else mm); ``#`` or ``%`` comment lines may carry ``Latitude`` and
  ``Longitude``.
* ``csv``: a header with a date (``date``, ``time``, YYYY-MM-DD or YYYYMMDD) or decimal year
  (``decimal_year``, ``year``) column and ``east``, ``north``, ``up`` columns, optional
  ``sig_e``/``sig_n``/``sig_u``, ``station`` (several stations in one file) and ``lon``/``lat``.

The station name is the file name up to the first ``.`` or ``_`` unless the file names it.
Coordinates come from the file, else from the station table (CSV: name, lon, lat). Each
component's rate (mm/yr) is the least-squares line (plus an annual term with ``seasonal``)
through the epochs, its standard deviation from the residual scatter (white noise only: GNSS
flicker noise makes the true uncertainty larger).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..atomic import check_outputs
from ..errors import InputError
from ..io.gnss import GnssStation, write_gnss_layer
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, silent
from ..timeseries.sampling import fit_series
from .point_import import DisplacementUnit

PathLike = Union[str, Path]


class GnssFormat(Choice):
    AUTO = "auto", "from the file name and content"
    TENV3 = "tenv3", "Nevada Geodetic Laboratory .tenv3 (m)"
    COLUMNS = "columns", "whitespace columns: decimal year, N, E, U (+ sigmas)"
    CSV = "csv", "CSV with date, east, north, up columns"


@dataclass
class GnssImportOptions(Options):
    """Options of :func:`import_gnss`."""

    format: GnssFormat = option(GnssFormat.AUTO, help="Format of the station files")
    unit: Optional[DisplacementUnit] = option(
        None,
        help="Unit of the displacements of 'columns' and 'csv' files (empty = from the file "
        "name: _cm, _mm or _m, else mm)",
    )
    seasonal: bool = option(
        True, help="Fit an annual term with each component's rate (spans of two years or more)"
    )
    start_date: Optional[dt.date] = option(
        None, help="Keep epochs from this date (YYYY-MM-DD; empty = from the first)"
    )
    end_date: Optional[dt.date] = option(
        None, help="Keep epochs up to this date (YYYY-MM-DD; empty = to the last)"
    )


@dataclass
class _Parsed:
    name: str
    lon: Optional[float]
    lat: Optional[float]
    dates: List[dt.date]
    enu_m: np.ndarray  # (n, 3) metres, absolute or relative
    sigma_m: np.ndarray  # (n, 3) metres, NaN where unknown


# ----------------------------------------------------------------------------- dates
def date_of_decimal_year(year: float) -> dt.date:
    """The day holding a decimal year (2020.5 -> 2020-07-02)."""
    whole = int(np.floor(year))
    start = dt.date(whole, 1, 1)
    length = (dt.date(whole + 1, 1, 1) - start).days
    return start + dt.timedelta(days=int(np.floor((year - whole) * length + 1e-6)))


def _parse_date(text: str, path) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%y%b%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(
        f"'{text}' is not a date.", path, "write dates as YYYY-MM-DD, or give decimal years."
    )


def _station_name(path: Path) -> str:
    return re.split(r"[._]", path.name, maxsplit=1)[0] or path.stem


# ----------------------------------------------------------------------------- readers
def _read_tenv3(path: Path) -> List[_Parsed]:
    lines = path.read_text(errors="replace").splitlines()
    if not lines or not lines[0].lower().startswith("site"):
        raise InputError(
            "is not a .tenv3 file (its first line should start with 'site').",
            path,
            "give the file as downloaded from geodesy.unr.edu, or choose another format.",
        )
    header = lines[0].split()
    has_position = len(header) >= 23
    dates, enu, sigma, lat, lon = [], [], [], None, None
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 20:
            raise InputError(
                f"line {number} has {len(parts)} columns; a .tenv3 row has 20 or 23.",
                path,
                "download the file again; rows may have been cut.",
            )
        try:
            values = [float(v) for v in parts[2:]]
        except ValueError:
            raise InputError(
                f"line {number} holds a value that is not a number.", path, "check the file."
            ) from None
        dates.append(_parse_date(parts[1], path))
        # columns after the date: 0 decyear, 1 MJD, 2 week, 3 day, 4 reflon, 5 e0, 6 east,
        # 7 n0, 8 north, 9 u0, 10 up, 11 ant, 12-14 sigmas, 15-17 correlations, 18-20 position
        enu.append([values[5] + values[6], values[7] + values[8], values[9] + values[10]])
        sigma.append(values[12:15])
        if has_position and len(values) >= 21 and lat is None:
            lat, lon = values[18], values[19]
    if not dates:
        raise InputError("has no epochs below its header.", path, "download the file again.")
    if lon is not None and lon > 180:
        lon -= 360.0
    name = lines[1].split()[0] if len(lines) > 1 and lines[1].split() else _station_name(path)
    return [_Parsed(name, lon, lat, dates, np.asarray(enu), np.asarray(sigma))]


def _metres_per_unit(path: Path, unit: Optional[DisplacementUnit]) -> float:
    """Metres per unit of the file's displacements: ``unit``, else read from the name."""
    if unit is None:
        name = path.name.lower()
        found = [u for u in DisplacementUnit if f"_{u.value}." in name or f"_{u.value}_" in name]
        unit = found[0] if found else DisplacementUnit.MM
    return unit.to_mm / 1000.0


_COORDINATE = re.compile(
    r"(?i)\b(latitude|lat|longitude|east longitude|lon)\b[^-+\d]*([-+]?\d+(?:\.\d*)?)"
)


def _read_columns(path: Path, unit: Optional[DisplacementUnit]) -> List[_Parsed]:
    to_m = _metres_per_unit(path, unit)
    years, enu, sigma, lat, lon = [], [], [], None, None
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] in "#%*":
            for key, value in _COORDINATE.findall(stripped):
                if key.lower().startswith("lat"):
                    lat = float(value)
                else:
                    lon = float(value)
            continue
        parts = stripped.split()
        try:
            values = [float(v) for v in parts]
        except ValueError:
            raise InputError(
                f"line {number} holds a value that is not a number ('{stripped[:40]}').",
                path,
                "give whitespace columns: decimal year, north, east, up (+ sigmas); start "
                "comment lines with #.",
            ) from None
        if len(values) < 4:
            raise InputError(
                f"line {number} has {len(values)} columns; at least decimal year, north, east "
                "and up are needed.",
                path,
                "check the file's columns.",
            )
        years.append(values[0])
        north, east, up = values[1:4]
        enu.append([east, north, up])
        sig = values[4:7] if len(values) >= 7 else [np.nan] * 3
        sigma.append([sig[1], sig[0], sig[2]])
    if not years:
        raise InputError("has no epochs.", path, "give a file with one epoch per line.")
    if lon is not None and lon > 180:
        lon -= 360.0
    dates = [date_of_decimal_year(y) for y in years]
    return [
        _Parsed(
            _station_name(path),
            lon,
            lat,
            dates,
            np.asarray(enu) * to_m,
            np.asarray(sigma) * to_m,
        )
    ]


_CSV_NAMES = {
    "date": ("date", "time", "epoch", "datetime"),
    "year": ("decimal_year", "decyear", "year", "yyyy.yyyy", "t"),
    "east": ("east", "e", "de", "dx_east", "east_mm", "east_m", "east_cm"),
    "north": ("north", "n", "dn", "north_mm", "north_m", "north_cm"),
    "up": ("up", "u", "du", "vertical", "height", "up_mm", "up_m", "up_cm"),
    "sig_e": ("sig_e", "sigma_e", "std_e", "se", "sig_east", "std_east"),
    "sig_n": ("sig_n", "sigma_n", "std_n", "sn", "sig_north", "std_north"),
    "sig_u": ("sig_u", "sigma_u", "std_u", "su", "sig_up", "std_up"),
    "station": ("station", "site", "name", "code"),
    "lon": ("lon", "longitude", "lng"),
    "lat": ("lat", "latitude"),
}


def _columns_by_role(header: Sequence[str]) -> Dict[str, int]:
    lowered = [h.strip().lower() for h in header]
    found = {}
    for role, names in _CSV_NAMES.items():
        for name in names:
            if name in lowered:
                found[role] = lowered.index(name)
                break
    return found


def _read_csv(path: Path, unit: Optional[DisplacementUnit]) -> List[_Parsed]:
    text = path.read_text(errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    if len(rows) < 2:
        raise InputError("has no rows below its header.", path, "give one epoch per row.")
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    roles = _columns_by_role(header)
    missing = [r for r in ("east", "north", "up") if r not in roles]
    if ("date" not in roles and "year" not in roles) or missing:
        raise InputError(
            "a GNSS CSV needs a date (or decimal_year) column and east, north, up columns"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + f" (columns: {', '.join(header[:10])}).",
            path,
            "name the columns date, east, north, up (optional sig_e, sig_n, sig_u, station, "
            "lon, lat).",
        )
    to_m = _metres_per_unit(path, unit)
    by_station: Dict[str, dict] = {}
    for number, row in enumerate(body, start=2):
        name = row[roles["station"]].strip() if "station" in roles else _station_name(path)
        entry = by_station.setdefault(
            name, {"dates": [], "enu": [], "sigma": [], "lon": None, "lat": None}
        )
        try:
            if "date" in roles:
                entry["dates"].append(_parse_date(row[roles["date"]], path))
            else:
                entry["dates"].append(date_of_decimal_year(float(row[roles["year"]])))
            entry["enu"].append([float(row[roles[c]]) for c in ("east", "north", "up")])
            entry["sigma"].append(
                [
                    float(row[roles[c]]) if c in roles and row[roles[c]].strip() else np.nan
                    for c in ("sig_e", "sig_n", "sig_u")
                ]
            )
            if "lon" in roles and "lat" in roles and entry["lon"] is None:
                entry["lon"], entry["lat"] = float(row[roles["lon"]]), float(row[roles["lat"]])
        except (ValueError, IndexError):
            raise InputError(
                f"row {number} holds a value that is not a number or a date.",
                path,
                "use a dot as decimal separator and one epoch per row.",
            ) from None
    return [
        _Parsed(
            name,
            e["lon"],
            e["lat"],
            e["dates"],
            np.asarray(e["enu"], float) * to_m,
            np.asarray(e["sigma"], float) * to_m,
        )
        for name, e in by_station.items()
    ]


def detect_gnss_format(path: Path) -> GnssFormat:
    """tenv3 by suffix or header, csv by suffix or a delimiter in the header, else columns."""
    name = path.name.lower()
    if name.endswith(".tenv3"):
        return GnssFormat.TENV3
    with open(path, errors="replace") as handle:
        first = handle.readline()
    if first.lower().startswith("site "):
        return GnssFormat.TENV3
    if name.endswith(".csv") or (first.count(",") >= 3 or first.count(";") >= 3):
        return GnssFormat.CSV
    return GnssFormat.COLUMNS


def read_station_table(path: PathLike) -> Dict[str, Tuple[float, float]]:
    """Station name -> (lon, lat) from a CSV with name, lon and lat columns."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    text = path.read_text(errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    roles = _columns_by_role(rows[0]) if rows else {}
    if not rows or not {"station", "lon", "lat"} <= set(roles):
        raise InputError(
            "a station table needs name, lon and lat columns.",
            path,
            "give a CSV with a header row: name, lon, lat (degrees, WGS84).",
        )
    table = {}
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        try:
            table[row[roles["station"]].strip()] = (
                float(row[roles["lon"]]),
                float(row[roles["lat"]]),
            )
        except (ValueError, IndexError):
            raise InputError(
                f"the row of '{row[0]}' has no numeric lon/lat.", path, "check the table."
            ) from None
    return table


def read_gnss_file(path: PathLike, options: Optional[GnssImportOptions] = None) -> List[_Parsed]:
    """The station(s) of one file, displacements in metres."""
    options = options or GnssImportOptions()
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", path, "check the path.")
    fmt = options.format if options.format != GnssFormat.AUTO else detect_gnss_format(path)
    if fmt == GnssFormat.TENV3:
        return _read_tenv3(path)
    if fmt == GnssFormat.CSV:
        return _read_csv(path, options.unit)
    return _read_columns(path, options.unit)


# ----------------------------------------------------------------------------- rates
def component_rates(dates: Sequence[dt.date], enu_mm: np.ndarray, seasonal: bool) -> dict:
    """``VEL_E``... and ``STD_E``... (mm/yr) of each component's least-squares fit; the annual
    term only over spans of two years or more."""
    span_years = (dates[-1] - dates[0]).days / 365.25
    rates = {}
    for k, key in enumerate("ENU"):
        try:
            fit = fit_series(dates, enu_mm[:, k], seasonal=seasonal and span_years >= 2.0)
            rates[f"VEL_{key}"], rates[f"STD_{key}"] = fit.rate_mm_yr, fit.rate_std_mm_yr
        except InputError:
            rates[f"VEL_{key}"] = rates[f"STD_{key}"] = np.nan
    rates["VEL"] = rates["VEL_U"]
    return rates


# ----------------------------------------------------------------------------- public API
def _located(parsed: _Parsed, table: Dict[str, Tuple[float, float]], path: Path):
    """(lon, lat) of a station: the station table's, else the file's; InputError if none."""
    lon, lat = table.get(parsed.name, (parsed.lon, parsed.lat))
    if lon is None or lat is None:
        raise InputError(
            f"station '{parsed.name}' has no coordinates in the file"
            + (" nor in the station table." if table else "."),
            path,
            "give a station table (CSV: name, lon, lat) that lists it.",
        )
    return lon, lat


def check_gnss_files(
    files: Sequence[PathLike],
    station_table: Optional[PathLike] = None,
    options: Optional[GnssImportOptions] = None,
) -> int:
    """Read the files and refuse what cannot be imported (no file, a station without
    coordinates, an unreadable file) before any output; returns the number of stations."""
    if not files:
        raise InputError("no station file given.", None, "give one or more GNSS files.")
    table = read_station_table(station_table) if station_table else {}
    count = 0
    for path in files:
        for parsed in read_gnss_file(path, options):
            _located(parsed, table, Path(path))
            count += 1
    return count


def import_gnss(
    files: Sequence[PathLike],
    output: PathLike,
    station_table: Optional[PathLike] = None,
    options: Optional[GnssImportOptions] = None,
    progress: ProgressCallback = silent,
) -> List[GnssStation]:
    """Read station files, fit each component's rate and write the GNSS GeoPackage.

    Displacements are stored relative to each station's first kept epoch (mm).
    """
    options = options or GnssImportOptions()
    files = [Path(f) for f in files]
    if not files:
        raise InputError("no station file given.", None, "give one or more GNSS files.")
    check_outputs([output], [*files, station_table])
    table = read_station_table(station_table) if station_table else {}
    stations: List[GnssStation] = []
    for i, path in enumerate(files):
        for parsed in read_gnss_file(path, options):
            lon, lat = _located(parsed, table, path)
            order = np.argsort(parsed.dates, kind="stable")
            station = GnssStation(
                parsed.name,
                float(lon),
                float(lat),
                [parsed.dates[j] for j in order],
                parsed.enu_m[order] * 1000.0,
                parsed.sigma_m[order] * 1000.0,
            ).between(options.start_date, options.end_date)
            if len(station) < 3:
                raise InputError(
                    f"station '{parsed.name}' has {len(station)} epochs in the chosen period.",
                    path,
                    "widen the start and end dates, or leave the station out.",
                )
            station.enu_mm = station.enu_mm - station.enu_mm[0]
            station.rates = component_rates(station.dates, station.enu_mm, options.seasonal)
            stations.append(station)
        report(progress, 0.9 * (i + 1) / len(files), f"{len(stations)} stations read")
    names = [s.name for s in stations]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"station names occur twice: {', '.join(repeated)}.",
            None,
            "give each station once (rename one file if two stations share a code).",
        )
    write_gnss_layer(output, stations)
    report(progress, 1.0, f"{len(stations)} stations written")
    return stations
