"""QGIS project with every demo output (styled), profiles across the strongest bowl, map PNG.

Runs ``subsidence:profile`` through qgis_process on two lines crossing the strongest
subsidence of the velocity map, then builds ``insar_subsidence_demo.qgz`` in-process with
PyQGIS (standalone, offscreen) and renders ``map_velocity.png``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VELOCITY_CANDIDATES = [
    "sbas/velocity_vertical.tif",
    "sbas/velocity.tif",
    "scene/truth/truth_velocity_vertical.tif",
]
POINT_CANDIDATES = ["ps/ps_points.gpkg"]
HALF_LENGTH_M = 4000.0
_APP = []  # the QgsApplication must outlive this step's layers


def qgis_app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication.instance()
    if app is None:
        app = QgsApplication([], True)  # rendering needs a GUI application (offscreen)
        app.initQgis()
    _APP.append(app)
    return app


def profile_lines(velocity_path: Path):
    """An east-west and a north-south line through the lowest rate, clipped to the raster."""
    import numpy as np

    from insar_subsidence.core.io.geotiff import read_raster

    data, grid = read_raster(velocity_path)
    row, col = np.unravel_index(np.nanargmin(data), data.shape)
    x, y = (float(v) for v in grid.xy(row, col))
    xmin, ymin, xmax, ymax = grid.extent
    ew = [(max(xmin, x - HALF_LENGTH_M), y), (min(xmax, x + HALF_LENGTH_M), y)]
    ns = [(x, min(ymax, y + HALF_LENGTH_M)), (x, max(ymin, y - HALF_LENGTH_M))]
    return {"W-E": ew, "N-S": ns}, grid.epsg


def write_lines(path: Path, lines: dict, epsg: int) -> Path:
    from osgeo import ogr, osr

    from insar_subsidence.core.atomic import atomic_output

    ogr.UseExceptions()
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(epsg))
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    with atomic_output(path) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        layer = ds.CreateLayer("profile_lines", srs, ogr.wkbLineString)
        layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
        for name, vertices in lines.items():
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetField("name", name)
            line = ogr.Geometry(ogr.wkbLineString)
            for vx, vy in vertices:
                line.AddPoint_2D(vx, vy)
            feature.SetGeometry(line)
            layer.CreateFeature(feature)
        ds = None
    return path


def run(ctx):
    sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
    out = ctx.output
    velocity = next((out / p for p in VELOCITY_CANDIDATES if (out / p).is_file()), None)
    if velocity is None:
        print("  no velocity map yet: run the earlier demo steps first; skipping the project")
        return
    points = next((out / p for p in POINT_CANDIDATES if (out / p).is_file()), None)
    folder = ctx.folder("profiles")
    lines, epsg = profile_lines(velocity)
    lines_path = write_lines(folder / "profile_lines.gpkg", lines, epsg)
    params = {
        "INPUT": str(lines_path),
        "NAME_FIELD": "name",
        "RASTERS": str(velocity),
        "BUFFER": 100,
        "THRESHOLD": -10,
        "OUTPUT_FOLDER": str(folder),
        "OUTPUT": str(folder / "affected_segments.gpkg"),
    }
    if points is not None:
        params["POINTS"] = str(points)
    result = ctx.run("profile", params)
    ctx.results["profile charts"] = ", ".join(result.get("CHART_FILES", []))

    qgis_app()
    from qgis.core import QgsProject

    from insar_subsidence.plugin.project_builder import (
        add_demo_layers,
        render_png,
        visible_layers,
        write_project,
    )

    project = QgsProject.instance()
    project.clear()
    layers = add_demo_layers(project, out)
    base = next(layer for layer in layers if layer.source() == str(velocity))
    project.layerTreeRoot().findLayer(base.id()).setItemVisibilityCheckedParentRecursive(True)
    project.setTitle("InSAR Subsidence Toolkit demo")
    qgz = write_project(project, out / "insar_subsidence_demo.qgz", base.extent(), base.crs())
    png = render_png(
        visible_layers(project),
        base.extent(),
        out / "map_velocity.png",
        crs=base.crs(),
        legend_layer=base,
        title=base.name(),
    )
    ctx.results["project"] = str(qgz)
    ctx.results["map"] = str(png)
    print(f"  {len(layers)} layers in {qgz.name}; map rendered to {png.name}")
