"""Time-series dock: clicks through the map tool on synthetic outputs with known series."""

import csv
import datetime as dt

import numpy as np
import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import Qt

from tests.qgis.ui_clicks import click, on_canvas, prepare_canvas, press
from tests.qgis.ui_synthetic import write_synthetic_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return write_synthetic_outputs(tmp_path_factory.mktemp("ui_ts"))


@pytest.fixture
def dock(qgis_iface, qgis_canvas, qgis_new_project, outputs):
    from insar_subsidence.ui.timeseries_dock import TimeSeriesDock

    points = QgsVectorLayer(str(outputs["points"]), "ps_points", "ogr")
    velocity = QgsRasterLayer(str(outputs["velocity"]), "velocity")
    QgsProject.instance().addMapLayers([velocity, points])
    prepare_canvas(qgis_canvas, velocity)
    widget = TimeSeriesDock(qgis_iface)
    widget.resize(700, 420)
    widget.activate_tool()
    assert qgis_canvas.mapTool() is widget.tool
    yield widget
    widget.unload()
    assert qgis_canvas.mapTool() is not widget.tool


def test_click_on_timeseries_h5_plots_the_pixel_in_mm_with_rate(dock, qgis_canvas, outputs):
    dock.add_file(str(outputs["timeseries"]))
    grid = outputs["scene"].grid
    x, y = grid.xy(20, 20)
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert len(dock.entries) == 1
    entry = dock.entries[0]
    expected = outputs["cube"][:, 20, 20] * 1000.0
    plotted_x, plotted_y = entry.items[0].getData()
    np.testing.assert_allclose(plotted_y, expected, rtol=1e-4, atol=1e-3)
    first = dt.datetime.fromtimestamp(plotted_x[0], dt.timezone.utc).date()
    assert first == outputs["scene"].dates[0]
    assert entry.shown.dates == outputs["scene"].dates
    rate = np.polyfit((np.array(plotted_x) - plotted_x[0]) / (365.25 * 86400), expected, 1)[0]
    assert entry.fit.rate_mm_yr == pytest.approx(rate, abs=0.05)
    assert "mm/yr" in entry.legend and f"{entry.fit.rate_mm_yr:+.1f}" in entry.legend
    assert dock.plot.getAxis("left").labelUnits == "mm"


def test_radius_average_error_bars_reference_and_forecast_from_points(
    dock, qgis_canvas, outputs, tmp_path
):
    dock.source_combo.setCurrentText("ps_points")
    dock.radius.setValue(250.0)  # points every 3 pixels (240 m): the nearest neighbours too
    grid = outputs["scene"].grid
    rows, cols = outputs["rows_cols"]
    k = int(np.flatnonzero((rows == 21) & (cols == 21))[0])
    x, y = grid.xy(21, 21)
    click(dock.tool, qgis_canvas, float(x), float(y))
    entry = dock.entries[-1]
    px, py = grid.xy(rows, cols)
    clicked = entry.map_point  # the click lands on a screen pixel (~9 m): use where it landed
    assert abs(clicked.x() - x) < 10 and abs(clicked.y() - y) < 10
    near = np.hypot(px - clicked.x(), py - clicked.y()) <= 250
    assert entry.raw.count == near.sum() >= 4
    series = outputs["cube"][:, rows[near], cols[near]] * 1000
    np.testing.assert_allclose(entry.raw.values_mm, series.mean(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(entry.raw.std_mm, series.std(axis=1), rtol=1e-3, atol=1e-4)
    assert any(type(item).__name__ == "ErrorBarItem" for item in entry.items)
    assert entry.raw.forecast is not None and len(entry.raw.forecast.dates) == 3
    assert any(type(item).__name__ == "FillBetweenItem" for item in entry.items)

    # shift-click sets a reference; it holds for later clicks too
    rx, ry = grid.xy(60, 60)
    click(dock.tool, qgis_canvas, float(rx), float(ry), modifiers=Qt.KeyboardModifier.ShiftModifier)
    reference = dock._reference_for(entry.source)
    np.testing.assert_allclose(entry.shown.values_mm, entry.raw.values_mm - reference.values_mm)
    click(dock.tool, qgis_canvas, float(px[k]), float(py[k]))
    later = dock.entries[-1]
    np.testing.assert_allclose(later.shown.values_mm, later.raw.values_mm - reference.values_mm)
    assert len(dock.entries) == 2

    csv_path = dock.export_csv(tmp_path / "series.csv")
    rows_out = list(csv.DictReader(open(csv_path)))
    observed = [r for r in rows_out if r["series"] == entry.label and r["kind"] == "observed"]
    assert len(observed) == len(outputs["scene"].dates)
    assert float(observed[-1]["displacement_mm"]) == pytest.approx(
        entry.shown.values_mm[-1], abs=1e-3
    )
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml")):
        path = dock.export_image(tmp_path / f"series{suffix}")
        assert path.read_bytes()[:5].startswith(magic)


def test_click_outside_and_missing_source_say_why(dock, qgis_canvas, outputs):
    dock.add_file(str(outputs["timeseries"]))
    click(dock.tool, qgis_canvas, 0.0, 0.0)
    assert dock.entries == []
    assert "outside" in dock.status.text() and "timeseries.h5" in dock.status.text()


def test_dated_geotiff_layer_in_the_project_is_a_source(dock, qgis_canvas, outputs, tmp_path):
    from insar_subsidence.core.io.geotiff import write_geotiff

    cube_mm = outputs["cube"] * 1000
    names = [d.strftime("%Y%m%d") for d in outputs["scene"].dates]
    path = write_geotiff(
        tmp_path / "displacement.tif", cube_mm, outputs["scene"].grid, band_names=names, units="mm"
    )
    QgsProject.instance().addMapLayer(QgsRasterLayer(str(path), "displacement stack"))
    assert "displacement stack" in dock.sources
    dock.source_combo.setCurrentText("displacement stack")
    x, y = outputs["scene"].grid.xy(40, 10)
    click(dock.tool, qgis_canvas, float(x), float(y))
    np.testing.assert_allclose(dock.entries[-1].raw.values_mm, cube_mm[:, 40, 10], rtol=1e-5)


def test_click_far_from_points_says_so(dock, qgis_canvas, outputs):
    dock.source_combo.setCurrentText("ps_points")
    dock.radius.setValue(10.0)
    grid = outputs["scene"].grid
    x, y = grid.xy(1, 1)  # points sit on every third pixel: none within 10 m
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert dock.entries == []
    assert "no point within 10 m" in dock.status.text()


def test_pick_button_follows_the_canvas_map_tool_and_markers_stay(dock, qgis_canvas, outputs):
    from qgis.gui import QgsMapToolPan

    dock.show()
    dock.add_file(str(outputs["timeseries"]))
    x, y = outputs["scene"].grid.xy(20, 20)
    click(dock.tool, qgis_canvas, float(x), float(y))
    pan = QgsMapToolPan(qgis_canvas)
    qgis_canvas.setMapTool(pan)  # the user picks Pan: the button un-presses
    assert not dock.button.isChecked()
    assert on_canvas(qgis_canvas, dock.entries[0].marker)  # the clicked point stays marked
    press(dock.button)  # one click re-arms the tool
    assert dock.button.isChecked() and qgis_canvas.mapTool() is dock.tool
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert len(dock.entries) == 2
    dock.close()  # closing the dock hands the canvas back
    assert qgis_canvas.mapTool() is None and not dock.button.isChecked()


def _copy_points(outputs, folder, name):
    import shutil

    target = folder / f"{name}.gpkg"
    shutil.copy(outputs["points"], target)
    return QgsVectorLayer(str(target), name, "ogr")


def test_axis_says_los_or_vertical_from_the_source(dock, qgis_canvas, outputs, tmp_path):
    axis = dock.plot.getAxis("left")
    dock.add_file(str(outputs["timeseries"]))
    assert axis.labelText == "LOS displacement" and axis.labelUnits == "mm"
    egms = _copy_points(outputs, tmp_path, "EGMS_L3_E45N17_100km_U_2020_2024_1")
    up = _copy_points(outputs, tmp_path, "decomposed_up")
    QgsProject.instance().addMapLayers([egms, up])
    for name in (egms.name(), up.name()):
        dock.source_combo.setCurrentText(name)
        assert axis.labelText == "Vertical displacement"
    grid = outputs["scene"].grid
    dock.radius.setValue(250.0)
    x, y = grid.xy(21, 21)
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert dock.entries[-1].source.direction.value == "vertical"
    dock.source_combo.setCurrentText("timeseries.h5")
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert axis.labelText == "LOS and vertical displacement"
    labels = [label.text for _, label in dock.legend.items]
    assert any(text.endswith("[vertical]") for text in labels)
    assert any(text.endswith("[LOS]") for text in labels)


def test_overlay_hook_draws_with_every_series_and_toggles(dock, qgis_canvas, outputs):
    from insar_subsidence.ui.timeseries_dock import SeriesOverlay

    class FirstDateOverlay(SeriesOverlay):
        """A stand-in for a GNSS overlay: a line 5 mm above each series and its first date."""

        name = "Shifted"
        tooltip = "The series moved up by 5 mm"

        def draw(self, entry, painter):
            s = entry.shown
            painter.curve(s.dates, s.values_mm + 5.0, legend=f"{entry.label} shifted")
            painter.date_line(s.dates[0], "start")
            return f"{entry.label} shifted"

    dock.add_file(str(outputs["timeseries"]))
    overlay = FirstDateOverlay()
    box = dock.add_overlay(overlay)
    grid = outputs["scene"].grid
    for row in (20, 40):
        x, y = grid.xy(row, 20)
        click(dock.tool, qgis_canvas, float(x), float(y))
    for entry in dock.entries:
        curves = [i for i in entry.items if type(i).__name__ == "PlotDataItem"]
        _, shifted = curves[-1].getData()
        np.testing.assert_allclose(shifted, entry.shown.values_mm + 5.0)
        assert any(type(i).__name__ == "InfiniteLine" and i.isVisible() for i in entry.items)
    assert "P1 shifted" in dock.status.text()
    assert "P2 shifted" in [label.text for _, label in dock.legend.items]
    lines = [i for e in dock.entries for i in e.items if type(i).__name__ == "InfiniteLine"]
    box.setChecked(False)  # the user unticks the overlay: its items are hidden
    assert not any(line.isVisible() for line in lines)
    assert "P2 shifted" not in [label.text for _, label in dock.legend.items]
    dock.remove_overlay(overlay)
    assert overlay not in dock.overlays


def test_legend_never_covers_the_curves(dock, qgis_canvas, outputs):
    from qgis.PyQt.QtCore import QCoreApplication

    dock.resize(640, 700)
    dock.show()
    dock.source_combo.setCurrentText("ps_points")  # forecasts: two legend entries a point
    dock.radius.setValue(250.0)
    grid = outputs["scene"].grid
    for row in (12, 24, 36, 48):
        x, y = grid.xy(row, row)
        click(dock.tool, qgis_canvas, float(x), float(y))
    QCoreApplication.processEvents()
    assert len(dock.legend.items) == 8
    legend = dock.legend.sceneBoundingRect()
    axes = dock.plot.getViewBox().sceneBoundingRect()
    assert legend.height() > 0 and not legend.intersects(axes)
    assert dock.chart.widget.sceneRect().contains(legend)
    assert axes.height() > 0.5 * dock.chart.widget.height()


def test_legend_columns_follow_the_dock_width(dock, qgis_canvas, outputs):
    from qgis.PyQt.QtCore import QCoreApplication

    dock.resize(1500, 700)
    dock.show()
    dock.source_combo.setCurrentText("ps_points")
    dock.radius.setValue(250.0)
    for row in (12, 24, 36, 48):
        x, y = outputs["scene"].grid.xy(row, row)
        click(dock.tool, qgis_canvas, float(x), float(y))
    QCoreApplication.processEvents()
    wide = dock.legend.columnCount
    dock.resize(600, 700)  # the user narrows the dock
    QCoreApplication.processEvents()
    assert dock.legend.columnCount < wide
    assert dock.legend.sceneBoundingRect().right() <= dock.chart.widget.width()
