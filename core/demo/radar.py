"""A radar-coordinate copy of a geocoded stack, with lookup tables known exactly (the demo's
radar chain and the tests of radar-coordinate processing and geocoding).

The map images are turned a quarter turn (``numpy.rot90``: radar row ``i``, column ``j`` is
map row ``j``, column ``W - 1 - i``), so that rows and columns trade places, as azimuth and
range do against north and east, and any mix-up between them shows. The copy is laid out as
MintPy's radar-coordinate inputs: ``ifgramStack.h5`` without X_FIRST/Y_FIRST/EPSG and
``geometryRadar.h5`` with ``latitude``/``longitude`` (float32 degrees, WGS 84) of every pixel
centre beside it. Geocoding the copy with nearest neighbour onto the original grid gives the
original values back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple, Union

import numpy as np

from ..atomic import atomic_output, check_outputs
from ..crs import transform_xy
from ..grid import Grid
from ..io.lookup import LOOKUP_ATTRIBUTE, LOOKUP_NAME
from ..io.mintpy import open_h5, read_attrs

PathLike = Union[str, Path]
_MAP_KEYS = ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "X_UNIT", "Y_UNIT", "EPSG", "UTM_ZONE")


def to_radar(image: np.ndarray) -> np.ndarray:
    """Map image(s) (..., L, W) -> radar image(s) (..., W, L) (a quarter turn)."""
    return np.ascontiguousarray(np.rot90(image, 1, axes=(-2, -1)))


def to_map(image: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_radar`."""
    return np.ascontiguousarray(np.rot90(image, -1, axes=(-2, -1)))


def radar_pixel(grid: Grid, row: int, col: int) -> Tuple[int, int]:
    """The radar (row, column) of map pixel (``row``, ``col``) of ``grid``."""
    return grid.width - 1 - int(col), int(row)


def lookup_tables(grid: Grid) -> Tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (float32 degrees) of every radar pixel centre of ``grid``."""
    rows, cols = np.mgrid[0 : grid.length, 0 : grid.width]
    x, y = grid.xy(rows, cols)
    lon, lat = transform_xy(x, y, grid.crs_wkt(), "EPSG:4326")
    return to_radar(lat).astype(np.float32), to_radar(lon).astype(np.float32)


def _radar_attrs(attrs, grid: Grid, lookup: Path):
    out = {k: v for k, v in attrs.items() if k not in _MAP_KEYS}
    out.update(Grid.radar_coordinates(grid.length, grid.width).to_attrs())
    out[LOOKUP_ATTRIBUTE] = str(lookup)
    if "REF_Y" in attrs and "REF_X" in attrs:
        row, col = radar_pixel(grid, int(attrs["REF_Y"]), int(attrs["REF_X"]))
        out.update(REF_Y=str(row), REF_X=str(col))
    return out


def _copy_rotated(source: PathLike, target: PathLike, grid: Grid, attrs, extra=None) -> Path:
    import h5py

    with open_h5(source) as src, atomic_output(target) as temp:
        with h5py.File(temp, "w") as dst:
            for key, value in attrs.items():
                dst.attrs[key] = str(value)
            for name in src:
                data = src[name][()]
                if data.shape[-2:] == grid.shape:
                    data = to_radar(data)
                dst.create_dataset(name, data=data)
            for name, data in (extra or {}).items():
                dst.create_dataset(name, data=data)
    return Path(target)


def write_radar_copy(stack: PathLike, geometry: PathLike, folder: PathLike) -> Tuple[Path, Path]:
    """Write ``folder/ifgramStack.h5`` and ``folder/geometryRadar.h5``: the geocoded
    ``stack`` and ``geometry`` (geometryGeo.h5) in radar coordinates (see the module note).
    Returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stack_out, geometry_out = folder / "ifgramStack.h5", folder / LOOKUP_NAME
    check_outputs([stack_out, geometry_out], [stack, geometry])
    attrs = read_attrs(stack)
    grid = Grid.from_attrs(attrs)
    latitude, longitude = lookup_tables(grid)
    geometry_attrs = _radar_attrs(read_attrs(geometry), grid, geometry_out)
    geometry_attrs.pop(LOOKUP_ATTRIBUTE)  # the file is its own lookup
    _copy_rotated(
        geometry,
        geometry_out,
        grid,
        geometry_attrs,
        {"latitude": latitude, "longitude": longitude},
    )
    return write_radar_product(stack, geometry_out, stack_out), geometry_out


def write_radar_product(product: PathLike, lookup: PathLike, target: PathLike) -> Path:
    """Write ``target``: the geocoded MintPy file ``product`` (a stack, ``velocity.h5``,
    ``timeseries.h5``...) in the radar coordinates of ``lookup`` (the geometryRadar.h5 of
    :func:`write_radar_copy` for the same grid), naming it in LOOKUP_FILE. Returns the path."""
    check_outputs([target], [product, lookup])
    attrs = read_attrs(product)
    grid = Grid.from_attrs(attrs)
    return _copy_rotated(product, target, grid, _radar_attrs(attrs, grid, Path(lookup)))
