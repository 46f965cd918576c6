"""What a layer holds, read from its file's band description and unit, its fields and its name:

* its :class:`Role` — a velocity product (the velocity map's LOS or vertical rate, PS/EGMS
  points with ``VEL``), another rate surface (interpolated, a difference of two products), an
  uncertainty (standard deviation, kriging variance, errors), classes, a displacement;
* its :class:`Direction` — line of sight, vertical or east-west.

The profile dock ticks the velocity layers by default and labels its rate axis with the
direction, the time-series dock labels its displacement axis, the demo project styles by role.
Names are read as words: ``velocity_vertical.tif``, "Vertical velocity (mm/yr)", a decomposed
``up`` layer and an EGMS L3 ``..._U_...`` file are vertical; EGMS L3 products without an
east-west mark are taken as vertical (L3 is ortho: U or E); anything else InSAR measures is LOS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List, NamedTuple, Optional, Tuple

from qgis.core import QgsMapLayer, QgsRasterLayer, QgsVectorLayer

from ..core.options import Choice
from ..core.timeseries.sampling import series_fields
from .bridge import layer_file


class Role(Choice):
    """What a layer's values are."""

    VELOCITY = "velocity", "velocity product"
    RATE = "rate", "other rate surface"
    UNCERTAINTY = "uncertainty", "uncertainty (not a rate)"
    CLASSES = "classes", "classes"
    DISPLACEMENT = "displacement", "displacement"
    OTHER = "other", "not a rate"


class Direction(Choice):
    """Which motion the values measure."""

    LOS = "LOS", "LOS"
    VERTICAL = "vertical", "vertical"
    EAST = "east-west", "east-west"


RATE_UNITS = {"mm/yr", "mm/year", "mm/a", "m/yr", "m/year", "cm/yr", "cm/year"}
CLASS_WORDS = {"class", "classes"}
UNCERTAINTY_WORDS = {
    "std",
    "stdev",
    "sigma",
    "deviation",
    "variance",
    "uncertainty",
    "error",
    "errors",
    "err",
    "rmse",
}
OTHER_RATE_WORDS = {"kriging", "idw", "rbf", "cnn", "interpolated", "interpolation", "difference"}
VELOCITY_WORDS = {"velocity", "velocities", "vel", "rate", "rates"}
DISPLACEMENT_WORDS = {"displacement", "cumulative", "timeseries"}
VERTICAL_WORDS = {"vertical", "vert", "up", "u"}
EAST_WORDS = {"east", "ew", "e", "horizontal", "hz", "horz"}


def words(*texts: Optional[str]) -> List[str]:
    """Lower-case words and numbers of the texts (``velocity_vertical.tif`` -> velocity,
    vertical, tif)."""
    return [w for text in texts if text for w in re.findall(r"[a-z0-9]+", text.lower())]


def _band_one(path) -> Tuple[str, str]:
    """(description, unit) of band 1 of a GDAL raster file ('' when unknown)."""
    from osgeo import gdal

    if Path(path).suffix.lower() in (".h5", ".he5", ".hdf5") or not Path(path).is_file():
        return "", ""
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError:  # GDAL with exceptions enabled
        dataset = None
    if dataset is None:
        return "", ""
    band = dataset.GetRasterBand(1)
    return band.GetDescription() or "", (band.GetUnitType() or "").strip().lower()


class _Said(NamedTuple):
    texts: List[str]  # band description, layer name, file name, layer inside the file
    unit: str  # unit of band 1 of a raster, lower case


def _said(layer: QgsMapLayer) -> _Said:
    """What a layer says about itself."""
    found = layer_file(layer)
    if found is None:
        return _Said(["", layer.name(), "", ""], "")
    description, unit = _band_one(found.path) if isinstance(layer, QgsRasterLayer) else ("", "")
    return _Said([description, layer.name(), Path(found.path).stem, found.layer_name or ""], unit)


def layer_role(layer: QgsMapLayer) -> Role:
    """The :class:`Role` of a raster or vector layer."""
    told = _said(layer)
    said = set(words(*told.texts))
    if isinstance(layer, QgsVectorLayer):
        names = layer.fields().names()
        if said & UNCERTAINTY_WORDS:
            return Role.UNCERTAINTY
        if "VEL" in names:
            return Role.RATE if said & OTHER_RATE_WORDS else Role.VELOCITY
        return Role.DISPLACEMENT if series_fields(names)["observed"] else Role.OTHER
    if not isinstance(layer, QgsRasterLayer):
        return Role.OTHER
    for role, vocabulary in (
        (Role.CLASSES, CLASS_WORDS),
        (Role.UNCERTAINTY, UNCERTAINTY_WORDS),
        (Role.RATE, OTHER_RATE_WORDS),
    ):
        if said & vocabulary:
            return role
    if told.unit in RATE_UNITS or said & VELOCITY_WORDS:
        return Role.VELOCITY
    if said & DISPLACEMENT_WORDS:
        return Role.DISPLACEMENT
    return Role.OTHER


def direction_of(texts: Iterable[Optional[str]]) -> Direction:
    """The direction the first telling text names (vertical, east-west, LOS); LOS when none
    does. Texts are read in order, so a band description outranks a layer name."""
    for text in texts:
        said = words(text)
        if not said:
            continue
        if "los" in said:
            return Direction.LOS
        if set(said) & VERTICAL_WORDS:
            return Direction.VERTICAL
        if set(said) & EAST_WORDS:
            return Direction.EAST
        if "l3" in said:  # EGMS L3 is ortho; its east-west product says E
            return Direction.VERTICAL
    return Direction.LOS


def layer_direction(layer: QgsMapLayer) -> Direction:
    return direction_of(_said(layer).texts)


def file_direction(path) -> Direction:
    """Direction of a time-series or rate file from its band description and name."""
    return direction_of([_band_one(path)[0], Path(path).stem])


def axis_direction(directions: Iterable[Direction]) -> str:
    """How an axis names the directions of what it shows: 'LOS', 'vertical', 'LOS and
    vertical' ('' when nothing is shown)."""
    shown = sorted({Direction(d) for d in directions}, key=list(Direction).index)
    return " and ".join(d.label for d in shown)
