"""Styling on load, background tasks and the plugin's dock actions."""

import time

import numpy as np
import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

from insar_subsidence.core.errors import Cancelled, InputError
from insar_subsidence.core.progress import report
from tests.qgis.ui_synthetic import write_synthetic_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return write_synthetic_outputs(tmp_path_factory.mktemp("ui_style"), size=48, n_dates=12)


def test_nice_symmetric_limits():
    from insar_subsidence.plugin.styling import nice_number, symmetric_limit

    assert [nice_number(v) for v in (0.7, 1.3, 2.2, 4.9, 33, 76)] == [1, 2, 2.5, 5, 50, 100]
    values = np.r_[np.linspace(-30, 8, 1000), 5000.0]  # one outlier does not set the scale
    assert symmetric_limit(values) == 50
    assert symmetric_limit(np.array([np.nan])) == 1.0


def test_velocity_raster_ramp_is_centred_with_units(outputs):
    from insar_subsidence.plugin.styling import style_layer

    layer = QgsRasterLayer(str(outputs["velocity"]), "velocity")
    style_layer(layer, "velocity")
    renderer = layer.renderer()
    assert renderer.classificationMin() == -renderer.classificationMax()
    velocity = outputs["scene"].vertical_velocity() * 1000
    assert renderer.classificationMax() >= np.percentile(np.abs(velocity), 98)
    items = renderer.shader().rasterShaderFunction().colorRampItemList()
    assert items[0].color.name() == "#b2182b" and items[-1].color.name() == "#2166ac"
    assert all("mm/yr" in item.label for item in items)
    assert any(item.value == 0 for item in items)


def test_classes_and_points_styles(outputs):
    from insar_subsidence.plugin.styling import style_layer

    classes = QgsRasterLayer(str(outputs["classes"]), "classes")
    style_layer(classes, "classes")
    palette = classes.renderer().classes()
    assert [c.value for c in palette] == [1, 2, 3, 4]
    assert "< -40 mm/yr" in palette[0].label
    points = QgsVectorLayer(str(outputs["points"]), "ps", "ogr")
    style_layer(points, "velocity")
    renderer = points.renderer()
    assert renderer.classAttribute() == "VEL"
    ranges = renderer.ranges()
    middle = ranges[len(ranges) // 2]  # the white class straddles zero symmetrically
    assert middle.lowerValue() == pytest.approx(-middle.upperValue())
    assert middle.symbol().color().name() == "#f7f7f7"
    assert all("mm/yr" in r.label() for r in ranges)
    values = [f["VEL"] for f in points.getFeatures()]
    assert ranges[0].lowerValue() <= min(values) and ranges[-1].upperValue() >= max(values)


def _slow(n, progress):
    for i in range(n):
        report(progress, i / n, "working")
        time.sleep(0.01)
    return n * 2


def test_core_task_result_progress_cancel_and_error(qgis_app):
    from insar_subsidence.plugin.tasks import run_in_background, wait_for

    got = {}
    task = run_in_background("double", _slow, 5, on_done=lambda r: got.setdefault("result", r))
    assert wait_for(task) and got["result"] == 10

    errors = []
    task = run_in_background("long", _slow, 10_000, on_error=errors.append)
    time.sleep(0.05)
    task.cancel()
    assert wait_for(task) is False and isinstance(errors[0], Cancelled)

    def bad(progress):
        raise InputError("broken.", "/data/x.tif", "fix it.")

    task = run_in_background("bad", bad, on_error=errors.append)
    assert wait_for(task) is False and "/data/x.tif" in str(errors[-1])


def test_add_layers_when_done_styles_on_the_main_thread(outputs, qgis_new_project):
    from insar_subsidence.plugin.tasks import (
        add_layers_when_done,
        run_in_background,
        wait_for,
    )

    task = run_in_background(
        "paths",
        lambda progress: [str(outputs["velocity"])],
        on_done=add_layers_when_done("velocity"),
    )
    assert wait_for(task)
    layer = QgsProject.instance().mapLayersByName("velocity")[0]
    assert layer.renderer().type() == "singlebandpseudocolor"


def test_plugin_dock_actions_tabbed_docks_and_unload(qgis_iface, qgis_canvas, monkeypatch):
    import insar_subsidence

    window = qgis_iface.mainWindow()
    # pytest-qgis' iface drops docks; QGIS puts them in its main window, as this does
    monkeypatch.setattr(qgis_iface, "addDockWidget", window.addDockWidget, raising=False)
    plugin = insar_subsidence.classFactory(qgis_iface)
    plugin.initProcessing = lambda: None  # keep the session's provider registered
    plugin.initGui()
    texts = [action.text() for action in plugin.actions]
    assert len(texts) == 5 and texts[-1].startswith("Check dependencies")
    assert texts[-2].startswith("Add a MintPy product")
    # the MintPy products and the dependency check live in the menu only
    assert len(plugin.toolbar.actions()) == 3
    timeseries = plugin.show_dock("timeseries")
    assert qgis_canvas.mapTool() is timeseries.tool and timeseries.button.isChecked()
    profile = plugin.show_dock("profile")
    assert qgis_canvas.mapTool() is profile.tool
    assert not timeseries.button.isChecked()  # the other dock's button follows the canvas
    assert window.tabifiedDockWidgets(profile) == [timeseries]  # tabbed, not stacked
    assert window.dockWidgetArea(profile) == window.dockWidgetArea(timeseries)
    assert plugin.show_dock("profile") is profile
    plugin.unload()
    assert plugin.docks == {} and plugin.actions == []
    assert qgis_canvas.mapTool() is not profile.tool


def test_class_labels_from_the_velocity_step_metadata(tmp_path, outputs):
    from insar_subsidence.core.io.geotiff import write_geotiff
    from insar_subsidence.plugin.styling import style_layer

    grid = outputs["scene"].grid
    codes = (np.arange(grid.width * grid.length) % 3 + 1).reshape(grid.shape).astype(np.uint8)
    labels = {"CLASS_1": "< -20 mm/yr", "CLASS_2": "-20 to +5 mm/yr", "CLASS_3": "> +5 mm/yr"}
    path = write_geotiff(tmp_path / "classes3.tif", codes, grid, nodata=0, metadata=labels)
    layer = QgsRasterLayer(str(path), "classes")
    style_layer(layer, "classes")
    palette = layer.renderer().classes()
    assert [(c.value, c.label) for c in palette] == [
        (1, "< -20 mm/yr"),
        (2, "-20 to +5 mm/yr"),
        (3, "> +5 mm/yr"),
    ]
    assert palette[0].color.name() == "#b2182b" and palette[-1].color.name() == "#2166ac"


def test_polygon_outline_style_leaves_the_fill_transparent(qgis_app):
    from qgis.core import QgsVectorLayer

    from insar_subsidence.plugin.styling import style_layer

    layer = QgsVectorLayer("Polygon?crs=EPSG:32649", "bowls", "memory")
    style_layer(layer, "outline")
    symbol = layer.renderer().symbol()
    assert symbol.color().alpha() == 0
    assert symbol.symbolLayer(0).strokeColor().name() == "#252525"


def test_toolbar_toolbox_button_shows_the_provider_and_its_models(
    qgis_iface, qgis_processing, tmp_path, monkeypatch
):
    """The real Processing toolbox, searched by the plugin's toolbar button: every algorithm
    of the provider and every shipped model, nothing else."""
    from processing.gui.ProcessingToolbox import ProcessingToolbox
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import Qt

    import insar_subsidence
    from insar_subsidence.processing_provider import models
    from tests.conftest import register_provider

    monkeypatch.setattr(models, "user_models_folder", lambda: tmp_path)
    monkeypatch.setattr(
        "processing.modeler.ModelerUtils.ModelerUtils.modelsFolders", lambda: [str(tmp_path)]
    )
    register_provider()
    models.install_models()
    QgsApplication.processingRegistry().providerById("model").refreshAlgorithms()
    window = qgis_iface.mainWindow()
    toolbox = ProcessingToolbox()
    toolbox.setObjectName("ProcessingToolbox")
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, toolbox)
    plugin = insar_subsidence.classFactory(qgis_iface)
    plugin._show_toolbox()

    tree = toolbox.algorithmTree
    shown, pending = set(), [tree.model().index(row, 0) for row in range(tree.model().rowCount())]
    while pending:
        index = pending.pop()
        algorithm = tree.algorithmForIndex(index)
        if algorithm is not None:
            shown.add(algorithm.id())
        pending += [tree.model().index(r, 0, index) for r in range(tree.model().rowCount(index))]
    expected = {a.id() for a in register_provider().algorithms()}
    model_ids = {
        a.id()
        for a in QgsApplication.processingRegistry().providerById("model").algorithms()
        if a.group() == models.MODELS_GROUP
    }
    assert len(model_ids) == len(models.shipped_models())
    assert shown == expected | model_ids
    window.removeDockWidget(toolbox)
    toolbox.deleteLater()


def test_velocity_ramp_limits_come_from_the_data(tmp_path):
    """A stable scene (|v| <= 2 mm/yr, 9800 pixels), a bowl of 200 pixels from -5 to -45 mm/yr
    and 3 outlying pixels at -900: the 99.5th percentile of |v| lies in the bowl (about 35.5,
    rounded up to 50), so the bowl keeps its gradation and the outliers do not set the ramp;
    without the bowl the ramp hugs the noise (2 mm/yr)."""
    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.geotiff import write_geotiff
    from insar_subsidence.plugin.styling import style_layer

    background = np.linspace(-2, 2, 9800)
    bowl = np.linspace(-45, -5, 200)
    grid = Grid(500000.0, 4000000.0, 80.0, -80.0, 100, 100, 32649)

    def ramp(values):
        path = tmp_path / f"v{len(values)}.tif"
        write_geotiff(path, np.resize(values, grid.shape).astype(np.float32), grid, units="mm/yr")
        layer = QgsRasterLayer(str(path), "velocity")
        style_layer(layer, "velocity")
        renderer = layer.renderer()
        items = renderer.shader().rasterShaderFunction().colorRampItemList()
        return (
            renderer.classificationMin(),
            renderer.classificationMax(),
            items[0].value,
            items[-1].value,
        )

    assert ramp(np.r_[background, bowl[:197], [-900.0] * 3]) == (-50, 50, -50, 50)
    assert ramp(np.resize(background, 10000)) == (-2, 2, -2, 2)


def test_modelled_basin_reaches_its_core_and_legends_read_plainly(tmp_path):
    """A modelled basin: zero on 9900 pixels, 100 pixels down to -590 mm. The percentile rule
    would give +-1 (the basin is 1 % of the scene); the basin style reaches -590 (rounded to
    1000). An onset-year raster (2019.17..2021.77) prints its legend as 2021.7, with no
    thousands separator; a coherence raster (0..1) one decimal."""
    from qgis.core import QgsNumericFormatContext

    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.geotiff import write_geotiff
    from insar_subsidence.plugin.styling import style_layer

    grid = Grid(500000.0, 4000000.0, 80.0, -80.0, 100, 100, 32649)

    layers = []  # a renderer lives as long as its layer

    def styled(name, values, kind):
        path = tmp_path / f"{name}.tif"
        write_geotiff(path, np.resize(values, grid.shape).astype(np.float32), grid)
        layers.append(QgsRasterLayer(str(path), name))
        style_layer(layers[-1], kind)
        return layers[-1].renderer()

    basin = styled("basin", np.r_[np.zeros(9900), np.linspace(-590, -10, 100)], "basin")
    assert (basin.classificationMin(), basin.classificationMax()) == (-1000, 1000)
    as_displacement = styled(
        "flat", np.r_[np.zeros(9900), np.linspace(-590, -10, 100)], "displacement"
    )
    assert as_displacement.classificationMax() < 1000

    def legend_text(renderer, value):
        settings = renderer.shader().rasterShaderFunction().legendSettings()
        return settings.numericFormat().formatDouble(value, QgsNumericFormatContext())

    years = styled("onset", np.linspace(2019.1726, 2021.767, 10000), "years")
    assert legend_text(years, 2021.734253) == "2021.7"
    coherence = styled("tcoh", np.linspace(0.05, 0.95, 10000), "coherence")
    assert legend_text(coherence, 0.734) == "0.7"
