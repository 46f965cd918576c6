"""Zonal statistics and the mining enrichment ratio on hand-computable cases."""

import csv

import numpy as np
import pytest
from osgeo import ogr, osr

from insar_subsidence.core.drivers.zonal import (
    ZonalOptions,
    enrichment,
    points_in_polygon,
    zonal_statistics,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.point_layers import PointSeries, write_points

X0, Y0 = 500000.0, 4000000.0
GRID = Grid(X0, Y0, 10.0, -10.0, 10, 10, 32649)  # 10 x 10 pixels of 100 m2


def rates():
    """-20 mm/yr in the 4 western columns (40 pixels), 0 elsewhere."""
    values = np.zeros(GRID.shape, np.float32)
    values[:, :4] = -20
    return values


def write_boxes(path, boxes, epsg=32649, names=None):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("zones", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
            ring.AddPoint_2D(x, y)
        polygon = ogr.Geometry(ogr.wkbPolygon)
        polygon.AddGeometry(ring)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(polygon)
        feature.SetField("name", (names or [f"zone{i}" for i in range(len(boxes))])[k])
        layer.CreateFeature(feature)
    ds = None
    return path


def columns(c0, c1):
    """Box covering pixel columns [c0, c1) over all rows."""
    return (X0 + 10 * c0, Y0 - 100, X0 + 10 * c1, Y0)


@pytest.fixture
def files(tmp_path):
    velocity = write_geotiff(tmp_path / "velocity.tif", rates(), GRID, units="mm/yr")
    zones = write_boxes(tmp_path / "zones.gpkg", [columns(0, 5), columns(5, 10)], names=["W", "E"])
    mining = write_boxes(tmp_path / "mining.gpkg", [columns(0, 2)])
    return velocity, zones, mining


def test_raster_zones_and_enrichment_by_hand(files, tmp_path):
    velocity, zones, mining = files
    out, table = tmp_path / "zonal.csv", tmp_path / "mining.csv"
    result = zonal_statistics(
        zones,
        out,
        velocity_path=velocity,
        mining_path=mining,
        mining_table_path=table,
        options=ZonalOptions(threshold=-10),
    )
    west, east = result.stats
    assert west["count"] == 50 and west["subsiding_count"] == 40
    assert west["min"] == -20 and west["max"] == 0 and west["mean"] == pytest.approx(-16)
    assert west["subsiding_fraction"] == pytest.approx(0.8)
    assert west["subsiding_km2"] == pytest.approx(40e-4)
    assert west["area_km2"] == pytest.approx(50e-4)
    assert west["p50"] == -20
    assert east["subsiding_count"] == 0 and east["mean"] == 0
    # mining = 20 of 100 pixels, 20 of the 40 subsiding pixels inside: share 0.5 / 0.2 = 2.5
    assert result.mining["area_fraction_inside"] == pytest.approx(0.2)
    assert result.mining["share_inside"] == pytest.approx(0.5)
    assert result.mining["enrichment_ratio"] == pytest.approx(2.5)
    rows = {r["measure"]: r for r in csv.DictReader(open(table))}
    assert float(rows["enrichment_ratio"]["value"]) == pytest.approx(2.5)
    assert rows["subsiding_inside"]["unit"] == "km2"
    assert list(csv.reader(open(out)))[1][0] == "W"


def test_points_give_counts(files, tmp_path):
    _, zones, mining = files
    rows, cols = np.mgrid[0:10, 0:10]
    x, y = GRID.xy(rows.ravel(), cols.ravel())
    points = write_points(
        tmp_path / "ps.gpkg",
        PointSeries(x, y, 32649, [], np.zeros((100, 0)), {"VEL": rates().ravel().astype(float)}),
    )
    out = tmp_path / "zonal.gpkg"
    result = zonal_statistics(
        zones, out, points_path=points, mining_path=mining, mining_table_path=tmp_path / "m.csv"
    )
    assert result.unit == "points"
    assert result.stats[0]["count"] == 50 and result.stats[0]["subsiding_fraction"] == 0.8
    assert np.isnan(result.stats[0]["subsiding_km2"])
    assert result.mining["enrichment_ratio"] == pytest.approx(2.5)
    ds = ogr.Open(str(out))  # keep the dataset alive while its layer is used
    feature = ds.GetLayer(0).GetNextFeature()
    assert feature.GetField("name") == "W" and feature.GetField("subsiding_count") == 40


def test_enrichment_equals_one_when_subsidence_ignores_mines():
    valid = np.ones(100, bool)
    subsiding = np.arange(100) % 2 == 0
    inside = np.arange(100) < 30
    assert enrichment(subsiding, inside, valid)["enrichment_ratio"] == pytest.approx(1.0)


def test_polygons_in_another_crs_are_reprojected(files, tmp_path):
    velocity, _, _ = files
    source = osr.SpatialReference()
    source.ImportFromEPSG(32649)
    target = osr.SpatialReference()
    target.ImportFromEPSG(4326)
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, target)
    x0, y0, x1, y1 = columns(0, 5)
    (lon0, lat0, _), (lon1, lat1, _) = transform.TransformPoints(
        [(x0 + 1, y0 + 1), (x1 - 1, y1 - 1)]
    )
    zones = write_boxes(tmp_path / "wgs84.gpkg", [(lon0, lat0, lon1, lat1)], epsg=4326)
    result = zonal_statistics(zones, tmp_path / "z.csv", velocity_path=velocity)
    assert result.stats[0]["count"] == pytest.approx(50, abs=2)


def test_point_in_polygon_with_hole():
    ring = "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 6 4, 6 6, 4 6, 4 4))"
    inside = points_in_polygon(
        ogr.CreateGeometryFromWkt(ring), np.array([1, 5, 11]), np.array([1, 5, 5])
    )
    assert inside.tolist() == [True, False, False]


def test_bad_inputs_name_the_file(files, tmp_path):
    velocity, zones, _ = files
    empty = write_boxes(tmp_path / "empty.gpkg", [])
    with pytest.raises(InputError, match="empty.gpkg: holds no polygons"):
        zonal_statistics(empty, tmp_path / "z.csv", velocity_path=velocity)
    points = write_points(
        tmp_path / "novel.gpkg",
        PointSeries(
            np.array([X0 + 5]),
            np.array([Y0 - 5]),
            32649,
            [],
            np.zeros((1, 0)),
            {"OTHER": np.ones(1)},
        ),
    )
    with pytest.raises(InputError, match="novel.gpkg: has no 'VEL' field"):
        zonal_statistics(zones, tmp_path / "z.csv", points_path=points)
    with pytest.raises(InputError, match="overwrite"):
        zonal_statistics(zones, zones, velocity_path=velocity)
