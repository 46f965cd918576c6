"""Georeferencing of regular grids, shared by GeoTIFF and MintPy HDF5 files.

MintPy stores ``X_FIRST``/``Y_FIRST`` as the outer corner of the upper-left pixel and
``X_STEP``/``Y_STEP`` as the pixel size (``Y_STEP`` negative for north-up), exactly GDAL's
geotransform ``(X_FIRST, X_STEP, 0, Y_FIRST, 0, Y_STEP)``.

Files in radar coordinates (MintPy's rule: neither ``X_FIRST`` nor ``Y_FIRST``; rows are
azimuth lines, columns range samples) get a *radar* grid: pixel coordinates only (x = column
+ 0.5, y = row + 0.5), no CRS. Their map position comes from lookup tables
(:mod:`core.io.lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class Grid:
    """A north-up regular grid: ``length`` rows by ``width`` columns (``radar``: radar
    coordinates, see the module note)."""

    x_first: float
    y_first: float
    x_step: float
    y_step: float
    width: int
    length: int
    epsg: Optional[int] = None
    wkt: Optional[str] = None  # CRS as WKT when it has no EPSG code
    radar: bool = False

    @classmethod
    def radar_coordinates(cls, width: int, length: int) -> "Grid":
        """The grid of a radar-coordinate image: unit pixels, rows downward, no CRS."""
        return cls(0.0, 0.0, 1.0, 1.0, int(width), int(length), radar=True)

    @property
    def shape(self) -> Tuple[int, int]:
        return (self.length, self.width)

    @property
    def geotransform(self) -> Tuple[float, float, float, float, float, float]:
        return (self.x_first, self.x_step, 0.0, self.y_first, 0.0, self.y_step)

    @property
    def extent(self) -> Tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the grid CRS."""
        x_last = self.x_first + self.width * self.x_step
        y_last = self.y_first + self.length * self.y_step
        return (
            min(self.x_first, x_last),
            min(self.y_first, y_last),
            max(self.x_first, x_last),
            max(self.y_first, y_last),
        )

    @property
    def pixel_area(self) -> float:
        return abs(self.x_step * self.y_step)

    @classmethod
    def from_geotransform(
        cls, gt, width: int, length: int, epsg: Optional[int] = None, wkt: Optional[str] = None
    ) -> "Grid":
        if gt[2] != 0 or gt[4] != 0:
            raise InputError(
                "the raster is rotated or sheared.",
                None,
                "warp it to a north-up grid first (Raster > Projections > Warp).",
            )
        return cls(
            float(gt[0]),
            float(gt[3]),
            float(gt[1]),
            float(gt[5]),
            int(width),
            int(length),
            epsg,
            wkt,
        )

    @classmethod
    def from_attrs(cls, attrs: Dict) -> "Grid":
        """Build from MintPy attributes (values may be str or bytes); a radar grid when
        neither X_FIRST nor Y_FIRST is given (MintPy's rule for radar coordinates), WGS 84
        when X_UNIT is degrees and no EPSG is given."""

        def get(key):
            value = attrs[key]
            return value.decode() if isinstance(value, bytes) else value

        if "X_FIRST" not in attrs and "Y_FIRST" not in attrs:
            return cls.radar_coordinates(int(get("WIDTH")), int(get("LENGTH")))
        epsg = attrs.get("EPSG")
        epsg = int(float(get("EPSG"))) if epsg not in (None, "", b"", "None") else None
        if epsg is None and str(get("X_UNIT") if "X_UNIT" in attrs else "").startswith("deg"):
            epsg = 4326  # MintPy's geocoded latitude/longitude grids carry no EPSG
        return cls(
            float(get("X_FIRST")),
            float(get("Y_FIRST")),
            float(get("X_STEP")),
            float(get("Y_STEP")),
            int(get("WIDTH")),
            int(get("LENGTH")),
            epsg,
        )

    def to_attrs(self) -> Dict[str, str]:
        """MintPy attributes (all str, as MintPy writes them); only the size for radar."""
        if self.radar:
            return {"WIDTH": str(self.width), "LENGTH": str(self.length)}
        unit = "degrees" if self.epsg == 4326 else "meters"
        attrs = {
            "X_FIRST": repr(self.x_first),
            "Y_FIRST": repr(self.y_first),
            "X_STEP": repr(self.x_step),
            "Y_STEP": repr(self.y_step),
            "X_UNIT": unit,
            "Y_UNIT": unit,
            "WIDTH": str(self.width),
            "LENGTH": str(self.length),
        }
        if self.epsg:
            attrs["EPSG"] = str(self.epsg)
            if self.epsg // 100 in (326, 327):
                attrs["UTM_ZONE"] = f"{self.epsg % 100}{'N' if self.epsg // 100 == 326 else 'S'}"
        return attrs

    def crs_wkt(self) -> str:
        """The CRS as WKT (via GDAL's osr); empty when unknown (and for radar grids)."""
        if self.wkt:
            return self.wkt
        from osgeo import osr

        srs = osr.SpatialReference()
        if self.epsg is None or srs.ImportFromEPSG(int(self.epsg)) != 0:
            return ""
        return srs.ExportToWkt()

    def rowcol(self, x, y) -> Tuple[np.ndarray, np.ndarray]:
        """Row and column indices (int, may fall outside the grid) of map coordinates."""
        col = np.floor((np.asarray(x, dtype=float) - self.x_first) / self.x_step).astype(int)
        row = np.floor((np.asarray(y, dtype=float) - self.y_first) / self.y_step).astype(int)
        return row, col

    def xy(self, row, col) -> Tuple[np.ndarray, np.ndarray]:
        """Map coordinates of pixel centres."""
        x = self.x_first + (np.asarray(col, dtype=float) + 0.5) * self.x_step
        y = self.y_first + (np.asarray(row, dtype=float) + 0.5) * self.y_step
        return x, y

    def contains(self, row, col) -> np.ndarray:
        row, col = np.asarray(row), np.asarray(col)
        return (row >= 0) & (row < self.length) & (col >= 0) & (col < self.width)

    def window(self, row0: int, row1: int, col0: int, col1: int) -> "Grid":
        """Sub-grid of rows [row0, row1) and columns [col0, col1)."""
        return replace(
            self,
            x_first=self.x_first + col0 * self.x_step,
            y_first=self.y_first + row0 * self.y_step,
            width=col1 - col0,
            length=row1 - row0,
        )

    def multilooked(self, looks_y: int, looks_x: int) -> "Grid":
        return replace(
            self,
            x_step=self.x_step * looks_x,
            y_step=self.y_step * looks_y,
            width=self.width // looks_x,
            length=self.length // looks_y,
        )

    def same_as(self, other: "Grid", tolerance: float = 1e-6) -> bool:
        if self.radar or other.radar:
            return self.radar == other.radar and self.shape == other.shape
        a = np.array(self.geotransform + (self.width, self.length))
        b = np.array(other.geotransform + (other.width, other.length))
        crs_equal = (self.epsg == other.epsg) if (self.epsg and other.epsg) else True
        return crs_equal and bool(
            np.allclose(a, b, rtol=0, atol=tolerance * max(abs(self.x_step), 1e-12))
        )
