"""The demo project builder: existing outputs are grouped and styled, the map renders."""

import shutil

from qgis.core import QgsProject

from tests.qgis.ui_synthetic import write_synthetic_outputs

DEMO_LAYOUT = (
    ("velocity", "sbas/velocity_vertical.tif"),
    ("classes", "sbas/classes.tif"),
    ("points", "ps/ps_points.gpkg"),
)


def synthetic_demo_folder(tmp_path, extra=()):
    """A demo output folder holding synthetic outputs at the demo's paths."""
    written = write_synthetic_outputs(tmp_path / "raw", size=32, n_dates=8)
    demo = tmp_path / "demo"
    for key, relative in DEMO_LAYOUT + tuple(extra):
        (demo / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(written[key], demo / relative)
    return demo


def test_demo_layers_grouped_styled_and_rendered(tmp_path, qgis_new_project):
    from insar_subsidence.plugin.project_builder import (
        add_demo_layers,
        render_png,
        visible_layers,
    )

    demo = synthetic_demo_folder(tmp_path)
    project = QgsProject.instance()
    layers = add_demo_layers(project, demo)
    names = {layer.name(): layer for layer in layers}
    assert set(names) == {
        "Vertical velocity (mm/yr)",
        "Deformation classes",
        "PS points (VEL mm/yr)",
    }
    assert names["Vertical velocity (mm/yr)"].renderer().type() == "singlebandpseudocolor"
    assert names["Deformation classes"].renderer().type() == "paletted"
    assert names["PS points (VEL mm/yr)"].renderer().type() == "graduatedSymbol"
    root = project.layerTreeRoot()
    assert {group.name() for group in root.children()} == {"Points", "SBAS"}
    shown = visible_layers(project)
    assert [layer.name() for layer in shown] == [
        "PS points (VEL mm/yr)",
        "Vertical velocity (mm/yr)",
    ]
    velocity = names["Vertical velocity (mm/yr)"]
    png = render_png(
        shown, velocity.extent(), tmp_path / "map.png", size=(200, 160), legend_layer=velocity
    )
    from qgis.PyQt.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (200, 160)
    colours = {image.pixelColor(x, y).name() for x in range(0, 200, 10) for y in range(0, 160, 10)}
    assert len(colours) > 5  # a styled map, not a blank image


def test_demo_project_opens_on_the_study_area_in_order(tmp_path, qgis_new_project):
    """Written, cleared and read back as QGIS opens a project: the main canvas (named
    theMapCanvas, in the project CRS) comes back on the velocity map's extent at a map scale,
    not 1:1, and the groups are in drawing order with the vertical velocity shown."""
    from qgis.gui import QgsMapCanvas

    from insar_subsidence.plugin.project_builder import (
        GROUP_ORDER,
        add_demo_layers,
        write_project,
    )

    demo = synthetic_demo_folder(
        tmp_path, extra=[("velocity", "scene/truth/truth_velocity_vertical.tif")]
    )
    project = QgsProject.instance()
    layers = add_demo_layers(project, demo)
    velocity = next(layer for layer in layers if layer.name() == "Vertical velocity (mm/yr)")
    extent, crs = velocity.extent(), velocity.crs()
    qgz = write_project(project, tmp_path / "demo.qgz", extent, crs)
    project.clear()

    canvas = QgsMapCanvas()
    canvas.setObjectName("theMapCanvas")
    canvas.resize(1200, 900)
    # QGIS's main window keeps its canvas in the project CRS
    project.crsChanged.connect(lambda: canvas.setDestinationCrs(project.crs()))
    assert project.read(str(qgz))
    shown = canvas.extent()
    assert shown.contains(extent.center())
    assert (
        0.9 < shown.width() / extent.width() < 1.6 or 0.9 < shown.height() / extent.height() < 1.6
    )
    assert 1000 < canvas.scale() < 10_000_000  # a map scale, not 1:1
    assert project.crs() == crs
    assert project.viewSettings().defaultViewExtent() == extent
    groups = [node.name() for node in project.layerTreeRoot().children()]
    assert groups == [g for g in GROUP_ORDER if g in groups] == ["Points", "SBAS", "Demo truth"]
    visible = [
        node.layer().name() for node in project.layerTreeRoot().findLayers() if node.isVisible()
    ]
    assert visible == ["PS points (VEL mm/yr)", "Vertical velocity (mm/yr)"]
    canvas.deleteLater()


def test_every_demo_group_has_its_place_in_the_drawing_order(qgis_new_project):
    """A layer or folder put in a group missing from GROUP_ORDER stopped the demo project."""
    from insar_subsidence.plugin.project_builder import DEMO_LAYERS, EXTRA_FOLDERS, GROUP_ORDER

    used = {spec.group for spec in DEMO_LAYERS} | {group for _, group in EXTRA_FOLDERS}
    assert used - set(GROUP_ORDER) == set()
