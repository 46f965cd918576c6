"""GNSS stations and their displacement series in one GeoPackage.

* layer ``stations`` (points, EPSG:4326): ``NAME``, ``LON``, ``LAT``, the rate of each
  component ``VEL_E``, ``VEL_N``, ``VEL_U`` with standard deviations ``STD_E``, ``STD_N``,
  ``STD_U`` (mm/yr), ``VEL`` (= ``VEL_U``, so the layer styles like any velocity layer),
  ``N_OBS``, ``FIRST`` and ``LAST`` (dates);
* table ``gnss_series`` (no geometry): one row per station and epoch, ``NAME``, ``DATE``
  (YYYY-MM-DD), ``EAST``, ``NORTH``, ``UP`` (mm, relative to the station's first epoch) and
  their standard deviations ``SIG_E``, ``SIG_N``, ``SIG_U`` (mm, empty when unknown).

Written by the GNSS import, read by the comparison, the tie and the time-series dock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ..atomic import atomic_output
from ..errors import InputError

PathLike = Union[str, Path]
STATIONS_LAYER = "stations"
SERIES_TABLE = "gnss_series"
COMPONENTS = ("east", "north", "up")


@dataclass
class GnssStation:
    """One station: position (degrees, WGS84) and its ENU series (mm) on ``dates``.

    ``enu_mm`` (n, 3) east, north, up; ``sigma_mm`` (n, 3), NaN where unknown.
    """

    name: str
    lon: float
    lat: float
    dates: List[dt.date]
    enu_mm: np.ndarray
    sigma_mm: np.ndarray
    rates: Dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.dates)

    def between(self, start: Optional[dt.date], end: Optional[dt.date]) -> "GnssStation":
        """The epochs from ``start`` to ``end`` (inclusive; None = open)."""
        keep = np.array(
            [(start is None or d >= start) and (end is None or d <= end) for d in self.dates],
            bool,
        )
        return replace(
            self,
            dates=[d for d, k in zip(self.dates, keep, strict=True) if k],
            enu_mm=self.enu_mm[keep],
            sigma_mm=self.sigma_mm[keep],
        )


def write_gnss_layer(path: PathLike, stations: Sequence[GnssStation]) -> Path:
    """Write the stations (with ``rates``: ``VEL_E``... ``STD_U`` in mm/yr) and their series."""
    from osgeo import ogr, osr

    ogr.UseExceptions()
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    rate_fields = ("VEL", "VEL_E", "VEL_N", "VEL_U", "STD_E", "STD_N", "STD_U")
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer(STATIONS_LAYER, srs, ogr.wkbPoint)
        for name, kind in (("NAME", ogr.OFTString), ("LON", ogr.OFTReal), ("LAT", ogr.OFTReal)):
            layer.CreateField(ogr.FieldDefn(name, kind))
        for name in rate_fields:
            layer.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
        for name, kind in (("N_OBS", ogr.OFTInteger), ("FIRST", ogr.OFTString)):
            layer.CreateField(ogr.FieldDefn(name, kind))
        layer.CreateField(ogr.FieldDefn("LAST", ogr.OFTString))
        series = ds.CreateLayer(SERIES_TABLE, None, ogr.wkbNone)
        series.CreateField(ogr.FieldDefn("NAME", ogr.OFTString))
        series.CreateField(ogr.FieldDefn("DATE", ogr.OFTString))
        for name in ("EAST", "NORTH", "UP", "SIG_E", "SIG_N", "SIG_U"):
            series.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
        ds.StartTransaction()
        for station in stations:
            feature = ogr.Feature(layer.GetLayerDefn())
            point = ogr.Geometry(ogr.wkbPoint)
            point.AddPoint_2D(float(station.lon), float(station.lat))
            feature.SetGeometry(point)
            feature.SetField("NAME", station.name)
            feature.SetField("LON", float(station.lon))
            feature.SetField("LAT", float(station.lat))
            for name in rate_fields:
                value = station.rates.get(name)
                if value is not None and np.isfinite(value):
                    feature.SetField(name, float(value))
            feature.SetField("N_OBS", len(station))
            feature.SetField("FIRST", station.dates[0].isoformat())
            feature.SetField("LAST", station.dates[-1].isoformat())
            layer.CreateFeature(feature)
        ds.CommitTransaction()
        ds = layer = series = None
        # the series rows go in with SQLite's executemany (OGR's feature API costs
        # microseconds per value: minutes for decades of daily epochs of many stations)
        import sqlite3

        connection = sqlite3.connect(str(temp))
        try:
            connection.executemany(
                f'INSERT INTO "{SERIES_TABLE}" (NAME, DATE, EAST, NORTH, UP, SIG_E, SIG_N, '
                "SIG_U) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (station.name, date.isoformat(), *map(float, enu), *map(_nullable, sigma))
                    for station in stations
                    for date, enu, sigma in zip(
                        station.dates, station.enu_mm, station.sigma_mm, strict=True
                    )
                ),
            )
            connection.commit()
        finally:
            connection.close()
    return Path(path)


def _nullable(value) -> Optional[float]:
    return float(value) if np.isfinite(value) else None


def is_gnss_layer(path: PathLike) -> bool:
    """True when ``path`` is a GeoPackage holding the stations layer and the series table."""
    from osgeo import ogr

    if not str(path).lower().endswith(".gpkg") or not Path(path).exists():
        return False
    ds = ogr.Open(str(path))
    return bool(
        ds is not None
        and ds.GetLayerByName(STATIONS_LAYER) is not None
        and ds.GetLayerByName(SERIES_TABLE) is not None
    )


def _table_columns(table) -> Dict[str, np.ndarray]:
    """Every column of a table without geometry: text as str, numbers as float (NaN = NULL)."""
    batches = list(table.GetArrowStreamAsNumPy(options=["INCLUDE_FID=NO"]))
    out: Dict[str, np.ndarray] = {}
    for name in ("NAME", "DATE", "EAST", "NORTH", "UP", "SIG_E", "SIG_N", "SIG_U"):
        parts = [batch[name] for batch in batches]
        if name in ("NAME", "DATE"):
            out[name] = np.array(
                [v.decode() if isinstance(v, bytes) else str(v) for p in parts for v in p],
                dtype=object,
            )
        else:
            out[name] = (
                np.concatenate([np.ma.filled(np.ma.asarray(p, dtype=float), np.nan) for p in parts])
                if parts
                else np.zeros(0)
            )
    return out


def read_gnss_layer(path: PathLike) -> List[GnssStation]:
    """The stations of a GNSS GeoPackage with their series, in the order of the layer."""
    from osgeo import ogr

    ogr.UseExceptions()
    if not Path(path).exists():
        raise InputError("file not found.", path, "check the path.")
    ds = ogr.Open(str(path))
    if ds is None or ds.GetLayerByName(STATIONS_LAYER) is None:
        raise InputError(
            f"is not a GNSS layer (no '{STATIONS_LAYER}' layer).",
            path,
            "import the station files with 'Import GNSS stations' first.",
        )
    table = ds.GetLayerByName(SERIES_TABLE)
    if table is None:
        raise InputError(
            f"has no '{SERIES_TABLE}' table of station series.",
            path,
            "import the station files with 'Import GNSS stations' again.",
        )
    columns = _table_columns(table)
    names = columns["NAME"]
    order = np.argsort(names, kind="stable")
    sorted_names = names[order]
    starts = np.flatnonzero(np.r_[True, sorted_names[1:] != sorted_names[:-1]])
    ends = np.r_[starts[1:], len(order)]
    values = np.column_stack(
        [columns[k] for k in ("EAST", "NORTH", "UP", "SIG_E", "SIG_N", "SIG_U")]
    )
    rows = {}
    for start, end in zip(starts, ends, strict=True):
        index = order[start:end]
        dates = [dt.date.fromisoformat(d) for d in columns["DATE"][index]]
        by_date = np.argsort(np.array(dates, dtype="datetime64[D]"), kind="stable")
        rows[sorted_names[start]] = ([dates[i] for i in by_date], values[index[by_date]])
    stations = []
    for feature in ds.GetLayerByName(STATIONS_LAYER):
        name = feature.GetField("NAME")
        if name not in rows:
            continue
        dates, values = rows[name]
        rates = {
            key: feature.GetField(key)
            for key in ("VEL_E", "VEL_N", "VEL_U", "STD_E", "STD_N", "STD_U")
        }
        geometry = feature.GetGeometryRef()
        stations.append(
            GnssStation(
                name,
                geometry.GetX(),
                geometry.GetY(),
                dates,
                values[:, :3],
                values[:, 3:],
                {k: np.nan if v is None else float(v) for k, v in rates.items()},
            )
        )
    if not stations:
        raise InputError("holds no station with a series.", path, "import the stations again.")
    return stations
