"""Coordinate reference systems: one way to name a CRS (EPSG code or WKT) as a pyproj CRS and
to move coordinates between two of them (x east, y north, whatever the axis order of the CRS
definition)."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def pyproj_crs(epsg: Optional[int] = None, wkt: Optional[str] = None):
    """The pyproj CRS of an EPSG code, else of a WKT; None when neither is given."""
    from pyproj import CRS

    if epsg:
        return CRS.from_epsg(int(epsg))
    return CRS.from_wkt(wkt) if wkt else None


def transform_xy(x, y, source, target) -> Tuple[np.ndarray, np.ndarray]:
    """Coordinates (any shape) from ``source`` to ``target`` (pyproj CRS or anything
    ``CRS.from_user_input`` takes); unchanged when either is None or both are the same."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if source is None or target is None:
        return x, y
    from pyproj import CRS, Transformer

    source, target = CRS.from_user_input(source), CRS.from_user_input(target)
    if source == target or x.size == 0:
        return x, y
    x, y = Transformer.from_crs(source, target, always_xy=True).transform(x, y)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def utm_crs(lon: float, lat: float):
    """The WGS 84 / UTM zone CRS (pyproj) holding the position ``lon``, ``lat`` (degrees)."""
    from pyproj import CRS
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    info = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    return CRS.from_epsg(int(info[0].code))
