"""`make screenshots`: the docks with demo data, grabbed into docs/ (run under Xvfb).

Opens a map canvas in a main window with the demo outputs (styled as on load), opens both docks
from the plugin (so they share one tabbed dock area), then:

* ``docs/timeseries_dock.png`` — time-series dock: points clicked in bowls of the time-series
  file (and in a point layer with forecasts when the demo made one), a reference point;
* ``docs/profile_dock.png`` — profile dock: two lines drawn with the map tool across the
  strongest bowl, sampling the sources the dock ticks by default (the visible velocity
  layers); then the Pan tool takes over and the lines stay on the map;
* ``docs/map_velocity.png`` — the styled velocity map with the profile lines;
* the Processing surface (``scripts/screenshot_surface.py``): every algorithm dialog with its
  help panel in ``docs/dialogs/``, the modeler with each shipped model, the opened demo project.

Without demo outputs (``make demo`` not run) it falls back to small synthetic outputs built
from the demo scene truth and says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))
sys.path.insert(0, str(ROOT / "tests" / "qgis"))  # synthetic outputs, real mouse events
sys.path.insert(0, str(ROOT / "scripts"))

VELOCITY = [
    "sbas/velocity_vertical.tif",
    "sbas/velocity.tif",
    "scene/truth/truth_velocity_vertical.tif",
]
TIMESERIES = ["sbas/timeseries.h5", "scene/truth/truth_timeseries.h5"]
POINTS = ["ps/ps_points.gpkg", "scene/drivers/ps_like.gpkg"]


class ScreenshotIface:
    """The few QgisInterface calls the docks make."""

    def __init__(self, window, canvas):
        self.window = window
        self.canvas = canvas
        self.active = None

    def mapCanvas(self):
        return self.canvas

    def mainWindow(self):
        return self.window

    def activeLayer(self):
        return self.active

    def addDockWidget(self, area, dock):
        self.window.addDockWidget(area, dock)

    def removeDockWidget(self, dock):
        self.window.removeDockWidget(dock)


def settle(app, seconds: float = 0.3, canvas=None) -> None:
    import time

    if canvas is not None:
        canvas.refreshAllLayers()
        canvas.waitWhileRendering()
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.01)


def forecast_layer(project, demo: Path):
    """The first point layer under demo/forecast with FYYYYMMDD fields, if any: the project's
    (the demo project lists it, hidden) or, when it is not there, added hidden."""
    from qgis.core import QgsVectorLayer

    from insar_subsidence.core.timeseries.sampling import series_fields

    def has_forecasts(layer):
        roles = series_fields(layer.fields().names()) if layer.isValid() else None
        return bool(roles and roles["forecast"] and roles["observed"])

    folder = demo / "forecast"
    paths = sorted(folder.glob("*.gpkg")) if folder.is_dir() else []
    for layer in project.mapLayers().values():
        source = Path(layer.source().split("|")[0])
        if source in paths and isinstance(layer, QgsVectorLayer) and has_forecasts(layer):
            return layer
    for path in paths:
        layer = QgsVectorLayer(str(path), path.stem, "ogr")
        if has_forecasts(layer):
            project.addMapLayer(layer, False)
            project.layerTreeRoot().addLayer(layer).setItemVisibilityChecked(False)
            return layer
    return None


def synthetic_demo(folder: Path) -> Path:
    """Lay synthetic outputs out like a demo folder (sbas/, ps/)."""
    from ui_synthetic import write_synthetic_outputs

    written = write_synthetic_outputs(folder / "raw", size=128, n_dates=60)
    for key, relative in (
        ("velocity", "sbas/velocity_vertical.tif"),
        ("timeseries", "sbas/timeseries.h5"),
        ("classes", "sbas/classes.tif"),
        ("points", "ps/ps_points.gpkg"),
    ):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        Path(written[key]).replace(target)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, default=ROOT / "demo_output")
    parser.add_argument("--output", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)

    from qgis.core import QgsApplication, QgsPointXY, QgsProject
    from qgis.PyQt.QtCore import Qt

    app = QgsApplication([], True)
    app.initQgis()

    import numpy as np
    from qgis.gui import QgsMapCanvas, QgsMapToolPan
    from qgis.PyQt.QtWidgets import QMainWindow
    from ui_clicks import draw_line

    from insar_subsidence.core.io.geotiff import read_raster
    from insar_subsidence.plugin.plugin import InsarSubsidencePlugin
    from insar_subsidence.plugin.project_builder import (
        add_demo_layers,
        find_first,
        render_png,
        visible_layers,
    )
    from insar_subsidence.plugin.tasks import wait_for
    from insar_subsidence.ui.timeseries_dock import point_layer_has_series

    demo = args.demo.resolve()
    if find_first(demo, VELOCITY) is None or find_first(demo, TIMESERIES) is None:
        scratch = Path(tempfile.mkdtemp(prefix="insar_screens_"))
        print(
            f"No demo velocity/time series under {demo} (run `make demo`); using synthetic "
            f"outputs from the demo scene truth in {scratch}."
        )
        demo = synthetic_demo(scratch)
    velocity_path = find_first(demo, VELOCITY)
    timeseries_path = find_first(demo, TIMESERIES)
    points_path = find_first(demo, POINTS)
    output = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)

    project = QgsProject.instance()
    layers = add_demo_layers(project, demo)
    velocity = next(layer for layer in layers if layer.source() == str(velocity_path))
    root = project.layerTreeRoot()
    root.findLayer(velocity.id()).setItemVisibilityCheckedParentRecursive(True)
    if root.findGroup("Profiles") is not None:  # the demo's saved lines: show the drawn ones
        root.findGroup("Profiles").setItemVisibilityChecked(False)
    if points_path is not None and not any(
        layer.source().startswith(str(points_path)) for layer in layers
    ):
        from qgis.core import QgsVectorLayer

        from insar_subsidence.plugin.styling import style_layer

        points = QgsVectorLayer(str(points_path), points_path.stem, "ogr")
        style_layer(points, "velocity")
        project.addMapLayer(points)
    forecasts = forecast_layer(project, demo)

    window = QMainWindow()
    window.setWindowTitle("InSAR Subsidence Toolkit")
    canvas = QgsMapCanvas()
    canvas.setCanvasColor(Qt.GlobalColor.white)
    window.setCentralWidget(canvas)
    window.resize(1500, 900)
    window.show()
    canvas.setDestinationCrs(velocity.crs())
    canvas.setLayers(visible_layers(project))
    canvas.setExtent(velocity.extent())
    iface = ScreenshotIface(window, canvas)
    pan = QgsMapToolPan(canvas)
    settle(app)

    data, grid = read_raster(velocity_path)
    finite = np.where(np.isfinite(data), data, np.inf)
    row, col = np.unravel_index(np.argmin(finite), data.shape)
    ring = np.argwhere(np.abs(data - 0.4 * data[row, col]) < 1.0)
    ring_row, ring_col = (
        ring[np.argmin(np.hypot(*(ring - [row, col]).T))] if len(ring) else (row, col)
    )
    stable = np.argwhere(np.abs(data) < 1.0)
    ref_row, ref_col = stable[len(stable) // 2] if len(stable) else (0, 0)

    def at(r, c):
        x, y = grid.xy(r, c)
        return QgsPointXY(float(x), float(y))

    # both docks opened from the plugin, as the toolbar does: they share one tabbed area
    plugin = InsarSubsidencePlugin(iface)
    profile = plugin.show_dock("profile")
    profile.setMinimumWidth(760)
    series = plugin.show_dock("timeseries")
    series.setMinimumWidth(700)

    # ---------------------------------------------------------------- time-series dock
    series.add_file(str(timeseries_path))
    series.fit_combo.setCurrentIndex(2)
    series.radius.setValue(150.0)
    series.add_point(at(row, col))
    series.add_point(at(ring_row, ring_col))
    point_sources = [
        layer for layer in project.mapLayers().values() if point_layer_has_series(layer)
    ]
    preferred = forecasts or (point_sources[0] if point_sources else None)
    if preferred is not None:  # the same bowl seen by the PS (or forecast) points
        series.source_combo.setCurrentText(preferred.name())
        series.radius.setValue(300.0)
        series.add_point(at(ring_row, ring_col))
    reference = at(ref_row, ref_col)
    if preferred is not None and preferred.fields().indexOf("VEL") >= 0:
        # a stable point of the point layer, so every curve has a reference sample
        stable_points = sorted(
            (
                (abs(f["VEL"]), f.geometry().asPoint())
                for f in preferred.getFeatures()
                if isinstance(f["VEL"], float)
            ),
            key=lambda pair: pair[0],
        )
        reference = QgsPointXY(stable_points[0][1]) if stable_points else reference
    series.set_reference(reference)
    settle(app, 0.8, canvas)
    window.grab().save(str(output / "timeseries_dock.png"))
    print(f"wrote {output / 'timeseries_dock.png'}: {series.status.text()}")
    series.clear()
    series.clear_reference()

    # ---------------------------------------------------------------- profile dock
    profile = plugin.show_dock("profile")  # its tab comes to the front, its tool is armed
    settle(app)
    canvas.setExtent(velocity.extent())
    settle(app)
    ticked = [layer.name() for layer in profile.checked_layers()]
    print(f"profile sources ticked by default: {', '.join(ticked)}")
    centre = at(row, col)
    half = 3500.0
    for dx, dy in ((half, 0.0), (half * 0.6, half * 0.8)):
        draw_line(
            profile.tool,
            canvas,
            [(centre.x() - dx, centre.y() - dy), (centre.x() + dx, centre.y() + dy)],
        )
        if profile.pending_task is not None:
            wait_for(profile.pending_task)
    canvas.setMapTool(pan)  # another map tool: the lines stay, the button un-presses
    settle(app, 0.8, canvas)
    window.grab().save(str(output / "profile_dock.png"))
    print(
        f"wrote {output / 'profile_dock.png'}: "
        f"{profile.metrics_label.text().replace('<br>', ' | ')}"
    )

    lines = profile.save_lines()
    render_png(
        [lines] + visible_layers(project),
        velocity.extent(),
        output / "map_velocity.png",
        crs=velocity.crs(),
        legend_layer=velocity,
        title=velocity.name(),
    )
    print(f"wrote {output / 'map_velocity.png'}")
    plugin.unload()
    window.close()

    import screenshot_surface

    from insar_subsidence.processing_provider.models import shipped_models
    from insar_subsidence.processing_provider.provider import SubsidenceProvider

    def wait(seconds, map_canvas=None):
        settle(app, seconds, map_canvas)

    screenshot_surface.processing_gui(SubsidenceProvider)
    dialogs = screenshot_surface.algorithm_dialogs(output, wait)
    print(f"wrote {len(dialogs)} dialogs with their help panel into {output / 'dialogs'}")
    for path in screenshot_surface.modeler_views(shipped_models(), output, wait):
        print(f"wrote {path}")
    screenshot_surface.opened_project(demo, velocity_path, output, wait)
    project.clear()
    sys.stdout.flush()
    # PyQt and QGIS tear down in an order that segfaults after a standalone GUI session;
    # every file is written, so leave without running the destructors
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
