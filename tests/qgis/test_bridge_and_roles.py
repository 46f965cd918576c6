"""The QGIS bridge (CRS, layer files, line parts, point arrays) and the layer roles and
directions the docks read, on real files and layers."""

import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsVectorLayer,
)

from insar_subsidence.core.grid import Grid
from insar_subsidence.plugin import bridge
from insar_subsidence.plugin.layer_roles import Direction, Role, direction_of, layer_role
from insar_subsidence.processing_provider.qgis_compat import attribute_field
from tests.qgis.ui_synthetic import write_synthetic_outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return write_synthetic_outputs(tmp_path_factory.mktemp("bridge"), size=24, n_dates=6)


def test_crs_of_grids_files_and_back(qgis_app, outputs):
    utm = Grid(500000.0, 4000000.0, 80.0, -80.0, 10, 10, 32649)
    assert bridge.grid_crs(utm).authid() == "EPSG:32649"
    lambert = QgsCoordinateReferenceSystem("EPSG:3035").toWkt()
    custom = Grid(0.0, 0.0, 1.0, -1.0, 2, 2, None, lambert)
    assert bridge.grid_crs(custom).isValid()
    assert not bridge.grid_crs(Grid(0.0, 0.0, 1.0, -1.0, 2, 2)).isValid()  # radar coordinates
    assert bridge.h5_crs(outputs["timeseries"]).authid() == f"EPSG:{outputs['scene'].grid.epsg}"
    assert bridge.epsg_and_wkt(bridge.crs_from(4326)) == (4326, None)
    epsg, wkt = bridge.epsg_and_wkt(QgsCoordinateReferenceSystem.fromProj("+proj=robin"))
    assert epsg is None and "Robinson" in wkt
    wgs84 = bridge.crs_from(4326)
    (point,) = bridge.to_crs([QgsPointXY(500000, 0)], bridge.grid_crs(utm), wgs84)
    assert point.x() == pytest.approx(111.0) and point.y() == pytest.approx(0.0, abs=1e-6)
    (same,) = bridge.to_crs([QgsPointXY(3, 4)], QgsCoordinateReferenceSystem(), wgs84)
    assert (same.x(), same.y()) == (3, 4)  # unknown CRS: left as given


def test_layer_file_only_when_the_file_gives_the_layer(qgis_app, outputs):
    points = QgsVectorLayer(f"{outputs['points']}|layername=ps_points", "ps", "ogr")
    assert points.isValid()
    assert bridge.layer_file(points) == (str(outputs["points"]), "ps_points")
    points.setSubsetString('"VEL" < 0')
    assert bridge.layer_file(points) is None  # the file alone would bring every point
    memory = QgsVectorLayer("Point?crs=EPSG:32649", "scratch", "memory")
    assert bridge.layer_file(memory) is None


def test_line_parts_and_point_arrays(qgis_app):
    multi = QgsGeometry.fromWkt("MultiLineString((0 0, 1 0, 2 1), (5 5, 6 6))")
    parts = bridge.line_parts(multi)
    assert [[(p.x(), p.y()) for p in part] for part in parts] == [
        [(0, 0), (1, 0), (2, 1)],
        [(5, 5), (6, 6)],
    ]
    assert bridge.line_parts(QgsGeometry()) == []

    layer = QgsVectorLayer("Point?crs=EPSG:32649", "pts", "memory")
    layer.dataProvider().addAttributes([attribute_field("VEL", float)])
    layer.updateFields()
    features = []
    for x, value in ((1.0, -12.5), (2.0, None), (3.0, 4.0)):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, 10 * x)))
        feature.setAttributes([value])
        features.append(feature)
    features.append(QgsFeature(layer.fields()))  # no geometry: skipped
    layer.dataProvider().addFeatures(features)
    arrays = bridge.point_arrays(layer, ["VEL"])
    np.testing.assert_array_equal(arrays.x, [1, 2, 3])
    np.testing.assert_array_equal(arrays.y, [10, 20, 30])
    np.testing.assert_array_equal(arrays.values["VEL"], [-12.5, np.nan, 4.0])
    np.testing.assert_array_equal(bridge.field_values(layer, "VEL"), [-12.5, 4.0])


@pytest.mark.parametrize(
    "texts, direction",
    [
        (["LOS velocity (mm/yr)", "velocity"], Direction.LOS),
        (["vertical velocity (mm/yr)", "velocity_vertical"], Direction.VERTICAL),
        (["", "Vertical velocity (mm/yr)"], Direction.VERTICAL),
        (["", "EGMS_L3_E45N17_100km_U_2020_2024_1"], Direction.VERTICAL),
        (["", "EGMS_L3_E45N17_100km_E_2020_2024_1"], Direction.EAST),
        (["", "egms_l3_sample"], Direction.VERTICAL),
        (["", "decomposed_up"], Direction.VERTICAL),
        (["20190104", "timeseries"], Direction.LOS),
        (["", "PS points (VEL mm/yr)", "ps_points"], Direction.LOS),
    ],
)
def test_direction_from_descriptions_and_names(texts, direction):
    assert direction_of(texts) == direction


def test_roles_of_demo_like_layers(qgis_app, outputs, tmp_path):
    from qgis.core import QgsRasterLayer

    from insar_subsidence.core.io.geotiff import write_geotiff

    grid = outputs["scene"].grid
    values = np.zeros(grid.shape, np.float32)

    def raster(name, band, units=None):
        path = write_geotiff(tmp_path / name, values, grid, [band], units=units)
        return QgsRasterLayer(str(path), path.stem)

    assert layer_role(raster("velocity.tif", "LOS velocity (mm/yr)", "mm/yr")) == Role.VELOCITY
    assert layer_role(raster("subsidence.tif", "", "mm/yr")) == Role.VELOCITY  # by its unit
    assert layer_role(raster("velocity_kriging.tif", "VEL_kriging")) == Role.RATE
    assert layer_role(raster("v_var.tif", "VEL_kriging_variance")) == Role.UNCERTAINTY
    assert layer_role(raster("classes.tif", "deformation class (LOS velocity)")) == Role.CLASSES
    assert layer_role(raster("slope.tif", "slope", "deg")) == Role.OTHER
    points = QgsVectorLayer(str(outputs["points"]), "PS points", "ogr")
    assert layer_role(points) == Role.VELOCITY
