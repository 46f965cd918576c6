"""MintPy products (``velocity.h5``, ``timeseries.h5``, ``temporalCoherence.h5``; geocoded or
in radar coordinates) added to the map from the plugin menu, without an export: QGIS opens the
VRTs of :func:`core.io.rasters.write_map_layers`, which read the HDF5 file."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer

from ..core.errors import InputError
from ..core.io.rasters import map_layer_folder, write_map_layers
from .styling import style_layer


def mintpy_layers_root() -> Path:
    """Where the map VRTs of MintPy products are kept: under the QGIS profile, so that a saved
    project finds them again."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "insar_subsidence" / "mintpy_layers"


def add_mintpy_product(path, project: Optional[QgsProject] = None) -> List[QgsRasterLayer]:
    """Add every map dataset of the MintPy product ``path`` to ``project`` (the current one by
    default) as styled raster layers: rates in mm/yr, a time series in mm with one dated band
    per acquisition (the time-series dock plots it). Raises InputError naming the file."""
    project = project or QgsProject.instance()
    layers = []
    for found in write_map_layers(path, map_layer_folder(path, mintpy_layers_root())):
        layer = QgsRasterLayer(str(found.path), found.name, "gdal")
        if not layer.isValid():
            raise InputError(
                f"GDAL cannot open its map view {found.path.name}.",
                path,
                "check that the file is a complete MintPy product (open it with h5py).",
            )
        if found.style:
            style_layer(layer, found.style)
        project.addMapLayer(layer)
        layers.append(layer)
    return layers
