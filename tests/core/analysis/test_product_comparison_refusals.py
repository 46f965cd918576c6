"""Comparisons that would look perfect or meaningless are refused or flagged: the same product
twice (r = 1), a line layer compared by centroid (N = 1, r = nan), identical copies."""

import shutil

import numpy as np
import pytest

from insar_subsidence.core.analysis.product_comparison import (
    ProductComparisonOptions,
    compare_products,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.point_layers import PointSeries, write_points


@pytest.fixture
def points(tmp_path):
    rng = np.random.default_rng(2)
    x, y = 600000 + rng.uniform(0, 500, 40), 3900000 + rng.uniform(0, 500, 40)
    fields = {"VEL": rng.normal(-5, 3, 40), "VEL_STD": rng.uniform(0.5, 1, 40)}
    path = tmp_path / "ps.gpkg"
    write_points(path, PointSeries(x, y, 32649, [], np.zeros((40, 0)), fields))
    return path


def test_the_same_product_twice_is_refused(points):
    with pytest.raises(InputError, match="same product") as error:
        compare_products(points, points)
    assert error.value.path == str(points)
    two_fields = ProductComparisonOptions(field_b="VEL_STD")
    assert compare_products(points, points, two_fields).stats["n"] > 3


def test_an_identical_copy_is_flagged(points, tmp_path):
    copy = tmp_path / "copy.gpkg"
    shutil.copy(points, copy)
    messages = []
    result = compare_products(points, copy, progress=lambda f, m="": messages.append(m) or True)
    assert result.stats["pearson_r"] == pytest.approx(1.0)
    assert any("identical on every common cell" in m for m in messages)


def test_a_line_layer_is_refused(points, tmp_path):
    from osgeo import ogr, osr

    path = tmp_path / "lines.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32649)
    layer = ds.CreateLayer("lines", srs, ogr.wkbLineString)
    layer.CreateField(ogr.FieldDefn("VEL", ogr.OFTReal))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING (600000 3900000, 600500 3900500)"))
    feature.SetField("VEL", -3.0)
    layer.CreateFeature(feature)
    feature = layer = ds = None
    with pytest.raises(InputError, match="holds Line String geometries") as error:
        compare_products(points, path)
    assert error.value.path == str(path)
