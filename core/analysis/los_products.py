"""LOS products read in blocks, each sample with its rate, its series and its LOS unit vector.

A product is one of:

* a point layer (GeoPackage or any OGR format): rate field ``VEL`` (mm/yr), optional
  ``VEL_STD`` (mm/yr) and one ``DYYYYMMDD`` field per date (mm), as the point import, PS and
  decomposition steps write them (EGMS L2a/L2b imported keep ``los_east``, ``los_north``,
  ``los_up``, ``incidence_angle`` and ``track_angle``);
* a MintPy ``timeseries.h5`` (metres; the rate of each pixel is its least-squares line) or
  ``velocity.h5`` (m/yr, rates only);
* a rate raster (GeoTIFF band 1, mm/yr; rates only).

The LOS unit vector of each product (ground to satellite, see :mod:`.line_of_sight`) is given
by a short text, :func:`parse_los`:

* empty or ``auto``: from the product itself: point fields ``los_east``, ``los_north``,
  ``los_up`` (EGMS), else ``incidence_angle`` with ``track_angle`` (EGMS) or ``incidence``
  with ``heading``; for a MintPy file, ``geometryGeo.h5`` beside it or in ``inputs/`` beside it;
* ``vertical`` (or ``up``) and ``east``: a product that is already that component;
* the path of a MintPy ``geometryGeo.h5`` (``incidenceAngle``, ``azimuthAngle``);
* ``key=value`` pairs separated by ``;``: ``incidence`` (deg) with ``heading`` (deg,
  clockwise from north) or ``azimuth`` (deg, MintPy's anticlockwise azimuth of the
  ground-to-satellite vector); ``lv_theta`` with ``lv_phi`` (HyP3, radians); or ``east``,
  ``north``, ``up`` (the unit vector itself). Each value is a number, a raster (GeoTIFF, HyP3
  ``_lv_theta.tif``...) sampled at every sample, or a field of the point layer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

from ..conventions import years_since
from ..crs import transform_xy
from ..dates import parse_yyyymmdd
from ..errors import InputError
from ..io.point_layers import DATE_FIELD, point_blocks
from ..timeseries.rate_fit import linear_rate
from . import line_of_sight

PathLike = Union[str, Path]

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
H5_SUFFIXES = (".h5", ".he5", ".hdf5")
#: the ways a LOS vector can be given, by the set of keys they need
LOS_KEYS = {
    ("heading", "incidence"): "incidence + heading",
    ("azimuth", "incidence"): "incidence + azimuth",
    ("lv_phi", "lv_theta"): "lv_theta + lv_phi",
    ("east", "north", "up"): "east + north + up",
}
LOS_HELP = (
    "give one line per product: empty or 'auto' (from the product: EGMS los_east/los_north/"
    "los_up or incidence_angle/track_angle fields, or geometryGeo.h5 beside a MintPy file), "
    "'vertical', 'east', the path of a geometryGeo.h5, or 'incidence=39;heading=-169' "
    "('azimuth=' MintPy, 'lv_theta=...;lv_phi=...' HyP3 rasters, 'east=..;north=..;up=..'); "
    "each value a number, a raster path or a field of the point layer."
)
#: (fields) a point layer may carry its LOS in, tried in this order by ``auto``
AUTO_FIELDS = (
    (("los_east", "los_north", "los_up"), "vector"),
    (("incidence_angle", "track_angle"), "heading"),
    (("incidence", "heading"), "heading"),
    (("incidence", "azimuth"), "azimuth"),
)
DEFAULT_BLOCK = 50_000


@dataclass(frozen=True)
class LosSpec:
    """How a product's LOS unit vector is found (see :func:`parse_los`)."""

    mode: str  # "auto", "vertical", "east", "geometry" or "keys"
    geometry: Optional[str] = None
    values: Tuple[Tuple[str, str], ...] = ()
    text: str = ""

    @property
    def sources(self) -> Dict[str, str]:
        return dict(self.values)


def parse_los(text: Optional[str]) -> LosSpec:
    """Parse a LOS description (module doc); InputError for an incomplete one."""
    text = (text or "").strip()
    lowered = text.lower()
    if lowered in ("", "auto"):
        return LosSpec("auto", text=text)
    if lowered in ("vertical", "up"):
        return LosSpec("vertical", text=text)
    if lowered == "east":
        return LosSpec("east", text=text)
    if "=" not in text:
        if Path(text).suffix.lower() in H5_SUFFIXES:
            return LosSpec("geometry", geometry=text, text=text)
        raise InputError(
            f"the line-of-sight description '{text}' is neither a keyword, a geometry file "
            "nor key=value pairs.",
            None,
            LOS_HELP,
        )
    values = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, _, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not value:
            raise InputError(f"'{key}' has no value in '{text}'.", None, LOS_HELP)
        values[key] = value
    keys = tuple(sorted(values))
    if keys not in LOS_KEYS:
        raise InputError(
            f"the line-of-sight description '{text}' names {', '.join(keys)}.",
            None,
            f"give one of: {'; '.join(LOS_KEYS.values())}.",
        )
    return LosSpec("keys", values=tuple(sorted(values.items())), text=text)


@dataclass
class Samples:
    """One block of a product: positions in the target CRS, rates and LOS vectors.

    ``rate_mm_yr`` and ``rate_std_mm_yr`` (N,); ``los`` (N, 3) east, north, up of the
    ground-to-satellite unit vector; ``series_mm`` (N, n_dates) or None for rate-only
    products.
    """

    x: np.ndarray
    y: np.ndarray
    rate_mm_yr: np.ndarray
    rate_std_mm_yr: np.ndarray
    los: np.ndarray
    series_mm: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.x)


def _wkt_of_grid(grid) -> Optional[str]:
    return grid.crs_wkt() or None


class _RasterValues:
    """A raster band (GeoTIFF) or MintPy dataset, sampled at points (nearest pixel)."""

    def __init__(self, path: str, dataset: Optional[str] = None):
        self.path = path
        if dataset is None:
            from ..io.geotiff import read_raster

            self.data, self.grid = read_raster(path, dtype=np.float64)
        else:
            from ..io.mintpy import read_dataset

            data, self.grid = read_dataset(path, dataset)
            self.data = np.asarray(data, dtype=np.float64)
        self.wkt = _wkt_of_grid(self.grid)

    def at(self, x: np.ndarray, y: np.ndarray, wkt: Optional[str]) -> np.ndarray:
        x, y = transform_xy(x, y, wkt, self.wkt)
        rows, cols = self.grid.rowcol(x, y)
        inside = self.grid.contains(rows, cols)
        out = np.full(len(rows), np.nan)
        out[inside] = self.data[rows[inside], cols[inside]]
        return out


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:
        return None


class _LosResolver:
    """Turns a :class:`LosSpec` into unit vectors for the samples of one product."""

    def __init__(self, spec: LosSpec, product: "LosProduct"):
        self.spec = spec
        self.product = product
        self.method = None  # "vector", "heading", "azimuth" or "hyp3"
        self.sources: Dict[str, Union[float, str, _RasterValues]] = {}
        if spec.mode in ("vertical", "east"):
            return
        if spec.mode == "auto":
            self._auto()
        elif spec.mode == "geometry":
            self._geometry(spec.geometry)
        else:
            self._keys(spec.sources)

    # -- what the product needs read with its fields
    @property
    def fields(self) -> List[str]:
        return [v for v in self.sources.values() if isinstance(v, str)]

    def _missing(self, what: str) -> InputError:
        return InputError(
            f"no line-of-sight vector: {what}.",
            self.product.path,
            "give this product's line of sight: " + LOS_HELP,
        )

    def _auto(self) -> None:
        product = self.product
        if product.kind == "points":
            names = {n.lower(): n for n in product.field_names}
            for wanted, method in AUTO_FIELDS:
                if all(w in names for w in wanted):
                    keys = {
                        "vector": ("east", "north", "up"),
                        "heading": ("incidence", "heading"),
                        "azimuth": ("incidence", "azimuth"),
                    }[method]
                    self.method = method
                    self.sources = {k: names[w] for k, w in zip(keys, wanted, strict=True)}
                    return
            raise self._missing(
                "the layer has no los_east/los_north/los_up nor incidence_angle/track_angle fields"
            )
        if product.kind in ("timeseries", "velocity"):
            folder = Path(product.path).parent
            for candidate in (folder / "geometryGeo.h5", folder / "inputs" / "geometryGeo.h5"):
                if candidate.exists():
                    self._geometry(str(candidate))
                    return
            raise self._missing("no geometryGeo.h5 beside the file nor in inputs/ beside it")
        raise self._missing("a rate raster carries no geometry")

    def _geometry(self, path: str) -> None:
        if not Path(path).exists():
            raise InputError("geometry file not found.", path, "check the path.")
        self.method = "azimuth"
        self.sources = {
            "incidence": _RasterValues(path, "incidenceAngle"),
            "azimuth": _RasterValues(path, "azimuthAngle"),
        }

    def _keys(self, values: Dict[str, str]) -> None:
        keys = tuple(sorted(values))
        self.method = {
            ("heading", "incidence"): "heading",
            ("azimuth", "incidence"): "azimuth",
            ("lv_phi", "lv_theta"): "hyp3",
            ("east", "north", "up"): "vector",
        }[keys]
        names = {n.lower(): n for n in self.product.field_names}
        for key, text in values.items():
            number = _number(text)
            if number is not None:
                self.sources[key] = number
            elif Path(text).exists():
                self.sources[key] = _RasterValues(text)
            elif text.lower() in names:
                self.sources[key] = names[text.lower()]
            else:
                raise InputError(
                    f"{key}='{text}' is neither a number, an existing raster nor a field of "
                    "the product.",
                    self.product.path,
                    LOS_HELP,
                )

    def vectors(
        self, x: np.ndarray, y: np.ndarray, wkt: Optional[str], fields: Dict[str, np.ndarray]
    ) -> np.ndarray:
        """(N, 3) unit vectors at the samples; ``x, y`` in the CRS ``wkt``."""
        n = len(x)
        if self.spec.mode == "vertical":
            return np.tile(line_of_sight.VERTICAL, (n, 1))
        if self.spec.mode == "east":
            return np.tile(line_of_sight.EAST, (n, 1))
        values = {}
        for key, source in self.sources.items():
            if isinstance(source, _RasterValues):
                values[key] = source.at(x, y, wkt)
            elif isinstance(source, str):
                values[key] = np.asarray(fields[source], dtype=float)
            else:
                values[key] = np.full(n, float(source))
        if self.method == "vector":
            e, nn, u = line_of_sight.normalised(values["east"], values["north"], values["up"])
        elif self.method == "heading":
            e, nn, u = line_of_sight.los_from_heading(values["incidence"], values["heading"])
        elif self.method == "azimuth":
            e, nn, u = line_of_sight.los_from_azimuth(values["incidence"], values["azimuth"])
        else:
            e, nn, u = line_of_sight.los_from_hyp3(values["lv_theta"], values["lv_phi"])
        return np.column_stack([e, nn, u])


class LosProduct:
    """One input product of a decomposition, comparison or tie.

    Parameters
    ----------
    path
        Point layer, MintPy ``timeseries.h5`` / ``velocity.h5`` or rate GeoTIFF.
    los
        Its line of sight (text for :func:`parse_los`, or a :class:`LosSpec`).
    rate_field, std_field
        Point layers: fields of the rate and its standard deviation (mm/yr).
    label
        Name in tables and messages (default: the file stem).
    """

    def __init__(
        self,
        path: PathLike,
        los: Union[str, LosSpec, None] = None,
        rate_field: str = "VEL",
        std_field: str = "VEL_STD",
        label: Optional[str] = None,
    ):
        self.path = str(path)
        self.label = label or Path(self.path).stem
        self.rate_field = rate_field
        self.std_field = std_field
        if not Path(self.path).exists():
            raise InputError("file not found.", self.path, "check the path.")
        suffix = Path(self.path).suffix.lower()
        self.field_names: List[str] = []
        self.dates: List[dt.date] = []
        self._date_fields: List[str] = []
        if suffix in H5_SUFFIXES:
            self._open_h5()
        elif suffix in RASTER_SUFFIXES:
            self._open_raster()
        else:
            self._open_points()
        self.spec = los if isinstance(los, LosSpec) else parse_los(los)
        self._los = _LosResolver(self.spec, self)

    # ------------------------------------------------------------------ opening
    def _open_h5(self) -> None:
        from ..io.mintpy import open_h5, read_attrs

        with open_h5(self.path) as f:
            names = set(f.keys())
        if "timeseries" in names:
            from ..io.mintpy import read_timeseries_dates

            self.kind = "timeseries"
            self.dates = read_timeseries_dates(self.path)
        elif "velocity" in names:
            self.kind = "velocity"
        else:
            raise InputError(
                "the HDF5 file holds neither 'timeseries' nor 'velocity'.",
                self.path,
                "give a MintPy timeseries.h5 or velocity.h5.",
            )
        from ..grid import Grid

        self.grid = Grid.from_attrs(read_attrs(self.path))
        self.wkt = _wkt_of_grid(self.grid)

    def _open_raster(self) -> None:
        from ..io.geotiff import grid_of, open_raster

        self.kind = "raster"
        self.grid = grid_of(open_raster(self.path))
        self.wkt = _wkt_of_grid(self.grid)

    def _open_points(self) -> None:
        from ..io.vector import crs_of, field_names, open_vector

        _dataset, layer = open_vector(self.path, expected="a point layer (GeoPackage)")
        self.kind = "points"
        self.field_names = field_names(layer)
        self.count = layer.GetFeatureCount()
        srs = layer.GetSpatialRef()
        if srs is None:
            raise InputError("the point layer has no CRS.", self.path, "assign its CRS first.")
        epsg, wkt = crs_of(srs)
        self.wkt = f"EPSG:{epsg}" if epsg else wkt
        if self.rate_field not in self.field_names:
            raise InputError(
                f"the point layer has no rate field '{self.rate_field}'.",
                self.path,
                "give a layer with VEL (mm/yr), as the point import writes it, or name its "
                "rate field.",
            )
        found = []
        for name in self.field_names:
            match = DATE_FIELD.match(name)
            if match:
                found.append((parse_yyyymmdd(match.group(1), self.path), name))
        found.sort()
        self.dates = [d for d, _ in found]
        self._date_fields = [n for _, n in found]

    @property
    def size(self) -> int:
        """Number of samples: points, or pixels of a grid."""
        if self.kind == "points":
            return int(self.count)
        return int(self.grid.width * self.grid.length)

    @property
    def has_series(self) -> bool:
        return len(self.dates) >= 2

    def describe(self) -> str:
        series = f"{len(self.dates)} dates" if self.has_series else "rates only"
        return f"{self.label} ({self.kind}, {series}, line of sight {self.spec.mode})"

    def los_near(
        self, x: float, y: float, wkt: Optional[str], radius_m: float = 100.0
    ) -> Optional[np.ndarray]:
        """The mean LOS unit vector (3,) of the product at (x, y) in the CRS ``wkt``: of the
        points within ``radius_m`` (the nearest one when none is), or of the geometry at the
        position; None where the product has no sample there."""
        x, y = (float(v) for v in transform_xy(x, y, wkt, self.wkt))
        if self.kind != "points":
            vector = self._los.vectors(np.array([x]), np.array([y]), self.wkt, {})[0]
            return vector if np.all(np.isfinite(vector)) else None
        from ..io.vector import open_vector

        _dataset, layer = open_vector(self.path)
        fields = self._los.fields
        for reach in (radius_m, 10 * radius_m):
            layer.SetSpatialFilterRect(x - reach, y - reach, x + reach, y + reach)
            found = [
                (
                    f.GetGeometryRef().GetX(),
                    f.GetGeometryRef().GetY(),
                    [f.GetField(n) for n in fields],
                )
                for f in layer
                if f.GetGeometryRef() is not None
            ]
            if found:
                break
        if not found:
            return None
        px = np.array([f[0] for f in found])
        py = np.array([f[1] for f in found])
        values = {
            n: np.array([np.nan if f[2][i] is None else f[2][i] for f in found], float)
            for i, n in enumerate(fields)
        }
        vectors = self._los.vectors(px, py, self.wkt, values)
        distance = np.hypot(px - x, py - y)
        near = distance <= radius_m
        chosen = vectors[near] if near.any() else vectors[[int(np.argmin(distance))]]
        chosen = chosen[np.all(np.isfinite(chosen), axis=1)]
        return chosen.mean(0) if len(chosen) else None

    # ------------------------------------------------------------------ reading
    def blocks(
        self, target_wkt: Optional[str], block_size: int = DEFAULT_BLOCK, series: bool = True
    ) -> Iterator[Samples]:
        """Samples in blocks of about ``block_size``, positions transformed to ``target_wkt``;
        samples without a finite rate or LOS vector are left out."""
        if self.kind == "points":
            source = self._point_blocks(block_size, series)
        elif self.kind == "raster":
            source = self._raster_blocks(block_size)
        else:
            source = self._h5_blocks(block_size, series)
        for x, y, rate, std, fields, values in source:
            los = self._los.vectors(x, y, self.wkt, fields)
            keep = np.isfinite(rate) & np.all(np.isfinite(los), axis=1)
            if not keep.any():
                continue
            x, y = transform_xy(x[keep], y[keep], self.wkt, target_wkt)
            yield Samples(
                np.asarray(x, float),
                np.asarray(y, float),
                rate[keep],
                std[keep],
                los[keep],
                None if values is None else values[keep],
            )

    def _point_blocks(self, block_size: int, series: bool):
        wanted = [self.rate_field] + self._los.fields
        if self.std_field in self.field_names:
            wanted.append(self.std_field)
        date_fields = self._date_fields if series and self.has_series else []
        for x, y, values in point_blocks(
            self.path, list(dict.fromkeys(wanted)) + date_fields, block_size
        ):
            rate = values[self.rate_field]
            std = values.get(self.std_field, np.full(len(x), np.nan))
            table = np.column_stack([values[n] for n in date_fields]) if date_fields else None
            yield x, y, rate, std, values, table

    def _raster_blocks(self, block_size: int):
        from ..blocks import rows_per_block
        from ..io.geotiff import read_raster

        grid = self.grid
        step = max(1, block_size // max(1, grid.width))
        step = min(step, rows_per_block(grid.width * 8 * 8, length=grid.length))
        for start in range(0, grid.length, step):
            stop = min(start + step, grid.length)
            data, _ = read_raster(self.path, 1, (start, stop, 0, grid.width), np.float64)
            rows, cols = np.nonzero(np.isfinite(data))
            x, y = grid.xy(rows + start, cols)
            yield x, y, data[rows, cols], np.full(len(rows), np.nan), {}, None

    def _h5_blocks(self, block_size: int, series: bool):
        from ..io.mintpy import read_dataset, read_timeseries

        grid = self.grid
        step = max(1, block_size // max(1, grid.width))
        years = years_since(self.dates) if self.dates else None
        for start in range(0, grid.length, step):
            rows = slice(start, min(start + step, grid.length))
            if self.kind == "timeseries":
                data = read_timeseries(self.path, rows).data.astype(np.float64) * 1000.0
                table = data.reshape(len(self.dates), -1).T
                rate, std = linear_rate(years, table.T)
            else:
                rate = read_dataset(self.path, "velocity", rows)[0].astype(np.float64).ravel()
                rate = rate * 1000.0
                try:
                    std = read_dataset(self.path, "velocityStd", rows)[0].ravel() * 1000.0
                except InputError:
                    std = np.full(rate.shape, np.nan)
                table = None
            row_index, col_index = np.divmod(np.arange(rate.size), grid.width)
            x, y = grid.xy(row_index + start, col_index)
            keep = np.isfinite(rate)
            yield (
                x[keep],
                y[keep],
                rate[keep],
                np.asarray(std, float)[keep],
                {},
                None if table is None or not series else table[keep],
            )
