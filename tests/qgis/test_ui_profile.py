"""Profile dock and subsidence:profile on a synthetic bowl with known metrics."""

import csv

import numpy as np
import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.gui import QgsMapToolPan
from qgis.PyQt.QtCore import QEvent, Qt

from tests.qgis.ui_clicks import click, draw_line, on_canvas, prepare_canvas, press
from tests.qgis.ui_synthetic import write_synthetic_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return write_synthetic_outputs(tmp_path_factory.mktemp("ui_profile"))


def _bowl_line(outputs):
    grid = outputs["scene"].grid
    velocity = outputs["scene"].vertical_velocity() * 1000
    row, col = np.unravel_index(np.argmin(velocity), velocity.shape)
    x, y = grid.xy(row, col)
    # pixel centres in the middle of the 80 m bins; the line runs along the pixel row
    return [(float(x) - 1560, float(y)), (float(x) + 1640, float(y))], velocity, (row, col)


@pytest.fixture
def dock(qgis_iface, qgis_canvas, qgis_new_project, outputs):
    from insar_subsidence.ui.profile_dock import ProfileDock

    velocity = QgsRasterLayer(str(outputs["velocity"]), "velocity")
    points = QgsVectorLayer(str(outputs["points"]), "ps_points", "ogr")
    QgsProject.instance().addMapLayers([velocity, points])
    prepare_canvas(qgis_canvas, velocity)
    widget = ProfileDock(qgis_iface)
    widget.resize(800, 450)
    widget.activate_tool()
    yield widget
    widget.unload()


def test_drawn_line_profiles_the_bowl_and_exports(dock, qgis_canvas, outputs, tmp_path):
    from insar_subsidence.plugin.tasks import wait_for

    line, velocity, (row, col) = _bowl_line(outputs)
    dock.buffer.setValue(30.0)  # the pixel row only (neighbour rows are 80 m away)
    draw_line(dock.tool, qgis_canvas, line)
    assert on_canvas(qgis_canvas, dock.lines[0].band) and dock.tool.band is None
    assert dock.pending_task is not None and wait_for(dock.pending_task)
    profiles = {p.name: p for p in dock.profiles()}
    assert set(profiles) == {"L1 velocity", "L1 ps_points"}
    raster = profiles["L1 velocity"]
    # the line passes through the pixel with the lowest rate: that is the funnel minimum
    assert raster.metrics.minimum == pytest.approx(velocity[row, col], abs=0.5)
    assert raster.metrics.minimum_at_m == pytest.approx(1560, abs=10)
    below = velocity[row, :] < -10
    assert raster.metrics.affected_length_m == pytest.approx(below.sum() * 80, abs=160)
    xs, ys = dock.drawn_curves["L1 velocity"].getData()
    assert np.nanmin(ys) == pytest.approx(raster.metrics.minimum, abs=1e-6)
    assert raster.metrics.line_length_m == pytest.approx(3200, abs=20)  # clicks snap to pixels
    assert xs.max() <= raster.metrics.line_length_m / 1000 + 1e-9  # km
    dock.axis_combo.setCurrentIndex(1)
    xs_deg, _ = dock.drawn_curves["L1 velocity"].getData()
    assert 0.02 < xs_deg.max() < 0.04  # 3.2 km in degrees at 35 N

    dock.buffer.setValue(130.0)  # wide enough for the points (every 240 m) on both sides
    points = {p.name: p for p in dock.profiles()}["L1 ps_points"]
    (x0, y0), (x1, _) = [(v.x(), v.y()) for v in dock.lines[0].vertices]
    px, py = outputs["scene"].grid.xy(*outputs["rows_cols"])
    beyond = np.maximum.reduce([x0 - px, np.zeros_like(px), px - x1])  # round line ends
    inside = np.hypot(beyond, py - y0) <= 130  # the line is horizontal
    assert points.samples.values.size == inside.sum() > 10
    np.testing.assert_allclose(
        np.sort(points.samples.values),
        np.sort(velocity[outputs["rows_cols"][0][inside], outputs["rows_cols"][1][inside]]),
        rtol=1e-5,
    )
    assert points.metrics.minimum < -40

    csv_path = dock.export_csv(tmp_path / "profile.csv")
    rows = list(csv.DictReader(open(csv_path)))
    assert {r["source"] for r in rows} == {"L1 velocity", "L1 ps_points"}
    raster = {p.name: p for p in dock.profiles()}["L1 velocity"]
    assert min(float(r["mean"]) for r in rows if r["source"] == "L1 velocity") == pytest.approx(
        raster.metrics.minimum, abs=1e-3
    )
    assert dock.export_image(tmp_path / "profile.png").read_bytes()[:4] == b"\x89PNG"
    assert dock.export_image(tmp_path / "profile.svg").stat().st_size > 1000
    saved = dock.save_lines(str(tmp_path / "lines.gpkg"))
    assert saved.featureCount() == 2
    assert {f["source"] for f in saved.getFeatures()} == {"L1 velocity", "L1 ps_points"}

    # a second line keeps the first; both stay on the map when the user switches to Pan,
    # until Clear
    draw_line(
        dock.tool, qgis_canvas, [(line[0][0], line[0][1] + 800), (line[1][0], line[1][1] + 800)]
    )
    assert len(dock.lines) == 2 and len(dock.profiles()) == 4
    bands = [drawn.band for drawn in dock.lines]
    assert bands[0].strokeColor() != bands[1].strokeColor()
    qgis_canvas.setMapTool(QgsMapToolPan(qgis_canvas))
    assert all(on_canvas(qgis_canvas, band) for band in bands)
    dock.clear()
    assert not any(on_canvas(qgis_canvas, band) for band in bands) and dock.lines == []


def test_selected_line_feature(dock, qgis_iface, outputs):
    from insar_subsidence.plugin.tasks import wait_for

    line, _, _ = _bowl_line(outputs)
    layer = QgsVectorLayer("LineString?crs=EPSG:32649", "lines", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(*p) for p in line]))
    layer.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    dock.set_checked([QgsProject.instance().mapLayersByName("velocity")[0]])
    assert dock.use_selected_features() == 1
    if dock.pending_task is not None:
        assert wait_for(dock.pending_task)
    assert [p.name for p in dock.profiles()] == ["L1 velocity"]


def test_profile_algorithm_writes_csv_chart_and_affected_segments(run_algorithm, outputs, tmp_path):
    line, velocity, (row, _) = _bowl_line(outputs)
    layer = QgsVectorLayer("LineString?crs=EPSG:32649", "lines", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(*p) for p in line]))
    layer.dataProvider().addFeatures([feature])
    result = run_algorithm(
        "profile",
        {
            "INPUT": layer,
            "RASTERS": [str(outputs["velocity"])],
            "POINTS": [str(outputs["points"])],
            "BUFFER": 130,
            "THRESHOLD": -10,
            "OUTPUT_FOLDER": str(tmp_path / "profiles"),
            "OUTPUT": str(tmp_path / "affected.gpkg"),
        },
    )
    csv_files = result["CSV_FILES"]
    assert len(csv_files) == 1 and csv_files[0].endswith(".csv")
    rows = list(csv.DictReader(open(csv_files[0])))
    assert {r["source"] for r in rows} == {"velocity", "ps_points"}
    assert open(result["CHART_FILES"][0], "rb").read(4) == b"\x89PNG"
    affected = QgsVectorLayer(result["OUTPUT"], "affected", "ogr")
    by_source = {f["source"]: f for f in affected.getFeatures()}
    assert set(by_source) == {"velocity", "ps_points"}
    expected = (velocity[row - 1 : row + 2, :].mean(axis=0) < -10).sum() * 80  # rows within 130 m
    assert by_source["velocity"]["length_m"] == pytest.approx(expected, abs=160)
    assert by_source["velocity"].geometry().length() == pytest.approx(
        by_source["velocity"]["length_m"], rel=1e-3
    )


def test_profile_algorithm_without_sources_names_the_fix(run_algorithm, tmp_path):
    from qgis.core import QgsProcessingException

    layer = QgsVectorLayer("LineString?crs=EPSG:32649", "lines", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(0, 0), QgsPointXY(10, 0)]))
    layer.dataProvider().addFeatures([feature])
    with pytest.raises(QgsProcessingException, match="at least one velocity raster"):
        run_algorithm(
            "profile", {"INPUT": layer, "OUTPUT_FOLDER": str(tmp_path), "OUTPUT": "memory:"}
        )


def test_long_gaps_stay_open_short_ones_are_bridged():
    from insar_subsidence.ui.profile_dock import _long_gaps

    valid = np.array([1, 0, 1, 0, 0, 0, 1, 0, 0], bool)
    np.testing.assert_array_equal(_long_gaps(valid), [0, 0, 0, 1, 1, 1, 0, 0, 0])


def test_shift_click_picks_the_nearest_line_feature(dock, qgis_canvas, outputs):
    from insar_subsidence.plugin.tasks import wait_for

    line, _, _ = _bowl_line(outputs)
    layer = QgsVectorLayer("LineString?crs=EPSG:32649", "railway", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(*p) for p in line]))
    layer.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(layer)
    dock.set_checked([QgsProject.instance().mapLayersByName("velocity")[0]])
    click(
        dock.tool,
        qgis_canvas,
        line[0][0] + 900,
        line[0][1] + 20,
        modifiers=Qt.KeyboardModifier.ShiftModifier,
        kind=QEvent.Type.MouseButtonPress,
    )
    assert len(dock.lines) == 1 and dock.tool.vertices == []
    if dock.pending_task is not None:
        assert wait_for(dock.pending_task)
    assert dock.profiles()[0].metrics.line_length_m == pytest.approx(3200)
    click(
        dock.tool,
        qgis_canvas,
        line[0][0] + 900,
        line[0][1] + 2000,
        modifiers=Qt.KeyboardModifier.ShiftModifier,
        kind=QEvent.Type.MouseButtonPress,
    )
    assert len(dock.lines) == 1 and "No line feature" in dock.metrics_label.text()


def test_save_dialog_exports_to_the_chosen_path_and_warns_on_write_errors(
    qgis_app, monkeypatch, tmp_path
):
    from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox

    from insar_subsidence.ui.plotting import save_via_dialog

    chosen = str(tmp_path / "chart.png")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (chosen, "PNG (*.png)"))
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    exported = []
    save_via_dialog(None, "Export chart", "chart.png", "PNG (*.png)", exported.append)
    assert exported == [chosen] and warnings == []

    def fail(path):
        raise OSError(f"{path}: the chart could not be written.")

    save_via_dialog(None, "Export chart", "chart.png", "PNG (*.png)", fail)
    assert warnings == [f"{chosen}: the chart could not be written."]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    save_via_dialog(None, "Export chart", "chart.png", "PNG (*.png)", exported.append)
    assert exported == [chosen]  # cancelled dialog exports nothing


def test_draw_button_follows_the_canvas_map_tool(dock, qgis_canvas, outputs):
    dock.show()
    assert dock.button.isChecked() and qgis_canvas.mapTool() is dock.tool
    line, _, _ = _bowl_line(outputs)
    click(dock.tool, qgis_canvas, *line[0], kind=QEvent.Type.MouseButtonPress)
    drawing = dock.tool.band
    assert on_canvas(qgis_canvas, drawing)
    pan = QgsMapToolPan(qgis_canvas)
    qgis_canvas.setMapTool(pan)  # the user picks Pan: the button un-presses
    assert not dock.button.isChecked()
    assert not on_canvas(qgis_canvas, drawing) and dock.tool.vertices == []  # half a line
    press(dock.button)  # one click re-arms the tool
    assert dock.button.isChecked() and qgis_canvas.mapTool() is dock.tool
    draw_line(dock.tool, qgis_canvas, line)
    assert len(dock.lines) == 1
    press(dock.button)  # and one click hands the canvas back
    assert qgis_canvas.mapTool() is None and on_canvas(qgis_canvas, dock.lines[0].band)


def _write_rate(folder, name, values, grid, band, units=None):
    from insar_subsidence.core.io.geotiff import write_geotiff

    return str(write_geotiff(folder / name, values, grid, [band], units=units))


def test_sources_default_to_visible_velocity_layers_and_name_the_direction(
    dock, qgis_canvas, outputs, tmp_path
):
    from insar_subsidence.plugin.layer_roles import Role, layer_role

    grid = outputs["scene"].grid
    rate = (outputs["scene"].vertical_velocity() * 1000).astype(np.float32)
    written = {
        "vertical": _write_rate(
            tmp_path, "velocity_vertical.tif", rate, grid, "vertical velocity (mm/yr)", "mm/yr"
        ),
        "hidden": _write_rate(
            tmp_path, "velocity_2.tif", rate, grid, "LOS velocity (mm/yr)", "mm/yr"
        ),
        "std": _write_rate(
            tmp_path,
            "velocity_std.tif",
            np.abs(rate) / 10,
            grid,
            "LOS velocity standard deviation (mm/yr)",
            "mm/yr",
        ),
        "kriging": _write_rate(tmp_path, "velocity_kriging.tif", rate, grid, "VEL_kriging"),
        "variance": _write_rate(
            tmp_path, "velocity_kriging_variance.tif", rate**2, grid, "VEL_kriging_variance"
        ),
        "dem": _write_rate(tmp_path, "dem.tif", rate * 0 + 500, grid, "height (m)", "m"),
    }
    project = QgsProject.instance()
    root = project.layerTreeRoot()
    layers = {}
    for key, path in written.items():  # as Processing loads outputs: project, then tree
        layers[key] = QgsRasterLayer(path, key)
        project.addMapLayer(layers[key], False)
        root.addLayer(layers[key]).setItemVisibilityChecked(key != "hidden")
    from qgis.PyQt.QtCore import QCoreApplication

    QCoreApplication.processEvents()
    assert layer_role(layers["variance"]) == Role.UNCERTAINTY  # never taken as a rate
    assert layer_role(layers["kriging"]) == Role.RATE
    assert layer_role(layers["hidden"]) == Role.VELOCITY
    ticked = {layer.name() for layer in dock.checked_layers()}
    assert ticked == {"velocity", "ps_points", "vertical"}
    listed = [dock.source_list.item(i).text() for i in range(dock.source_list.count())]
    assert set(listed[:4]) == {"velocity", "ps_points", "vertical", "hidden"}  # velocity first
    assert len(listed) == 8
    assert dock.plot.getAxis("left").labelText == "LOS and vertical rate (mm/yr)"
    dock.set_checked([layers["vertical"]])
    dock.update_profiles()
    assert dock.plot.getAxis("left").labelText == "Vertical rate (mm/yr)"
    dock.set_checked([project.mapLayersByName("velocity")[0]])
    dock.update_profiles()
    assert dock.plot.getAxis("left").labelText == "LOS rate (mm/yr)"


def test_legend_never_covers_the_curves(dock, qgis_canvas, outputs):
    from qgis.PyQt.QtCore import QCoreApplication

    from insar_subsidence.plugin.tasks import wait_for

    dock.resize(640, 800)
    dock.show()
    line, _, _ = _bowl_line(outputs)
    for dy in (0, 400, 800):
        draw_line(dock.tool, qgis_canvas, [(x, y + dy) for x, y in line])
        if dock.pending_task is not None:
            assert wait_for(dock.pending_task)
    QCoreApplication.processEvents()
    assert len(dock.legend.items) == len(dock.profiles()) == 6
    legend = dock.legend.sceneBoundingRect()
    axes = dock.plot.getViewBox().sceneBoundingRect()
    assert legend.height() > 0 and not legend.intersects(axes)
    assert dock.chart.widget.sceneRect().contains(legend)  # all of it is shown
    assert axes.height() > 0.6 * dock.chart.widget.height()  # and the plot keeps its room


def test_a_source_without_samples_says_so_and_draws_nothing(dock, qgis_canvas, outputs):
    """A line between two pixel rows with a 0.5 m buffer: the raster is sampled along it, no
    point lies within 0.5 m, so the points' profile is reported as empty (not 'min nan') and
    gets no curve or legend entry."""
    from insar_subsidence.plugin.tasks import wait_for

    line, _, _ = _bowl_line(outputs)
    dock.buffer.setValue(0.5)
    draw_line(dock.tool, qgis_canvas, [(x, y + 40.0) for x, y in line])
    assert dock.pending_task is None or wait_for(dock.pending_task)
    profiles = {p.name: p for p in dock.profiles()}
    assert profiles["L1 ps_points"].samples.values.size == 0
    assert profiles["L1 velocity"].samples.values.size > 10
    text = dock.metrics_label.text()
    assert "<b>L1 ps_points</b>: no samples within 0.5 m of the line" in text
    assert "nan" not in text
    assert "L1 ps_points" not in dock.drawn_curves and "L1 velocity" in dock.drawn_curves
