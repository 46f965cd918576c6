"""The one point-layer reader: fields, dates, nulls, reprojection (against pyproj), both read
paths (bulk Arrow passes and feature by feature) and bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io import point_layers
from insar_subsidence.core.io.point_layers import PointSeries, read_points, write_points

DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=6 * k) for k in range(150)]


@pytest.fixture
def layer(tmp_path):
    """150 date fields (more than one Arrow pass), NaN and empty values, lon/lat points."""
    rng = np.random.default_rng(2)
    n = 40
    displacement = rng.normal(0, 5, (n, len(DATES)))
    displacement[3, 7] = np.nan
    velocity = rng.normal(-5, 3, n)
    velocity[5] = np.nan
    names = np.array([f"p{i}" for i in range(n)])
    names[6] = ""
    points = PointSeries(
        rng.uniform(12.0, 12.5, n),
        rng.uniform(45.0, 45.3, n),
        4326,
        DATES[::-1],  # stored out of order: read back sorted
        displacement[:, ::-1],
        {"VEL": velocity, "name": names, "count": np.arange(n)},
    )
    return write_points(tmp_path / "points.gpkg", points), points, displacement


def test_every_field_dates_sorted_and_nulls(layer):
    path, written, displacement = layer
    points = read_points(path)
    assert points.dates == DATES and points.epsg == 4326
    np.testing.assert_array_equal(points.x, written.x)
    np.testing.assert_array_equal(points.displacement_mm, displacement)
    assert np.isnan(points.displacement_mm[3, 7])
    assert np.isnan(points.fields["VEL"][5])  # a null rate is NaN, not 0
    assert points.fields["name"][6] == "" and points.fields["name"][0] == "p0"
    assert points.fields["count"].dtype == np.float64 and points.fields["count"][9] == 9


def test_named_fields_only_and_no_dates(layer):
    path, written, _ = layer
    points = read_points(path, ["VEL"], dates=False)
    assert list(points.fields) == ["VEL"] and points.dates == []
    assert points.displacement_mm.shape == (len(written), 0)
    with pytest.raises(InputError, match="points.gpkg: has no field 'RATE'"):
        read_points(path, ["RATE"])


def test_reprojection_matches_pyproj(layer):
    from pyproj import CRS, Transformer

    path, written, _ = layer
    expected = Transformer.from_crs(4326, 32633, always_xy=True).transform(written.x, written.y)
    for target in (32633, "EPSG:32633", CRS.from_epsg(32633).to_wkt()):
        points = read_points(path, [], target, dates=False)
        np.testing.assert_allclose(points.x, expected[0], atol=1e-6)
        np.testing.assert_allclose(points.y, expected[1], atol=1e-6)
        assert points.epsg == 32633 and points.wkt is None
    same = read_points(path, [], 4326, dates=False)
    np.testing.assert_array_equal(same.x, written.x)


def test_feature_by_feature_reads_the_same(layer, monkeypatch):
    path, _, _ = layer
    bulk = read_points(path)
    monkeypatch.setattr(point_layers, "_read_arrow", lambda *args: None)  # as GDAL < 3.6
    features = read_points(path)
    np.testing.assert_array_equal(features.x, bulk.x)
    np.testing.assert_array_equal(features.displacement_mm, bulk.displacement_mm)
    for name, values in bulk.fields.items():
        np.testing.assert_array_equal(features.fields[name], values)


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("indexed_share", [0.0, 1.0], ids=["scan", "spatial-index"])
def test_an_extent_reads_only_the_points_inside_it(layer, monkeypatch, arrow, indexed_share):
    path, points, displacement = layer
    if not arrow:
        monkeypatch.setattr(point_layers, "_read_arrow", lambda *args: None)
    monkeypatch.setattr(point_layers, "INDEXED_WINDOW_SHARE", indexed_share)
    monkeypatch.setattr(point_layers, "CHUNK_POINTS", 7)  # the scan reads several chunks
    extent = (12.1, 45.05, 12.35, 45.2)
    inside = (
        (points.x > extent[0])
        & (points.x < extent[2])
        & (points.y > extent[1])
        & (points.y < extent[3])
    )
    assert 0 < inside.sum() < len(points)
    window = read_points(path, extent=extent)
    order = np.argsort(window.x)
    expected = np.argsort(points.x[inside])
    np.testing.assert_array_equal(window.x[order], points.x[inside][expected])
    np.testing.assert_array_equal(window.fields["count"][order], np.flatnonzero(inside)[expected])
    np.testing.assert_array_equal(window.displacement_mm[order], displacement[inside][expected])
    assert len(read_points(path, extent=(0.0, 0.0, 1.0, 1.0))) == 0


def test_centroids_of_other_geometries_and_features_without_geometry(tmp_path):
    from osgeo import ogr, osr

    path = tmp_path / "mixed.gpkg"
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    lyr = dataset.CreateLayer("mixed", srs, ogr.wkbUnknown)
    lyr.CreateField(ogr.FieldDefn("VEL", ogr.OFTReal))
    for wkt, value in (("POINT (10 20)", 1.0), ("POLYGON ((0 0,4 0,4 2,0 2,0 0))", 2.0), (None, 3)):
        feature = ogr.Feature(lyr.GetLayerDefn())
        if wkt:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        feature.SetField("VEL", value)
        lyr.CreateFeature(feature)
    dataset = lyr = None
    points = read_points(path)
    np.testing.assert_array_equal(points.x, [10.0, 2.0])
    np.testing.assert_array_equal(points.y, [20.0, 1.0])
    np.testing.assert_array_equal(points.fields["VEL"], [1.0, 2.0])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nothere.gpkg: file not found"):
        read_points(tmp_path / "nothere.gpkg")


@pytest.mark.parametrize("arrow", [True, False])
def test_blocks_stream_what_read_points_reads(layer, monkeypatch, arrow):
    """point_blocks: the same values as read_points, block by block, over several Arrow
    passes in step (150 date fields), and feature by feature as with GDAL < 3.6."""
    from insar_subsidence.core.io.point_layers import date_field, point_blocks

    path, _, _ = layer
    whole = read_points(path)
    if not arrow:
        monkeypatch.setattr(point_layers, "_arrow_blocks", lambda *args: None)
    names = ["VEL", "name"] + [date_field(d) for d in DATES]
    blocks = list(point_blocks(path, names, block_size=15))
    assert [len(x) for x, _, _ in blocks] == [15, 15, 10]
    x = np.concatenate([b[0] for b in blocks])
    np.testing.assert_array_equal(x, whole.x)
    series = np.column_stack([np.concatenate([b[2][date_field(d)] for b in blocks]) for d in DATES])
    np.testing.assert_array_equal(series, whole.displacement_mm)
    for name in ("VEL", "name"):
        np.testing.assert_array_equal(
            np.concatenate([b[2][name] for b in blocks]), whole.fields[name]
        )
    with pytest.raises(InputError, match="no field 'nope'"):
        next(point_blocks(path, ["nope"]))
