"""Bowl detection on shapes with known area, orientation and distance."""

import numpy as np
import pytest
from osgeo import ogr

from insar_subsidence.core.drivers.bowls import (
    BowlOptions,
    detect_bowls,
    find_bowls,
    moment_ellipse,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff

PIXEL = 10.0
GRID = Grid(0.0, 1010.0, PIXEL, -PIXEL, 101, 101, 32649)


def coordinates():
    rows, cols = np.mgrid[0 : GRID.length, 0 : GRID.width]
    return GRID.xy(rows, cols)


def disc(cx=505.0, cy=505.0, radius=200.0, rate=-50.0):
    x, y = coordinates()
    return np.where(np.hypot(x - cx, y - cy) <= radius, rate, 1.0).astype(np.float32)


def test_disc_area_peak_and_centre():
    bowls = find_bowls(disc(), GRID, BowlOptions(threshold=-10, min_area_km2=0.0))
    assert len(bowls) == 1
    bowl = bowls[0]
    true_area = np.pi * 0.2**2  # km2
    perimeter_pixels = 2 * np.pi * 200 / PIXEL
    assert abs(bowl.area_km2 - true_area) < 0.5 * perimeter_pixels * GRID.pixel_area / 1e6
    assert bowl.area_km2 == pytest.approx(true_area, rel=0.01)
    assert bowl.geometry.GetArea() / 1e6 == pytest.approx(bowl.area_km2)  # polygon = pixels
    assert bowl.peak == -50 and bowl.mean == -50
    assert bowl.centroid == pytest.approx((505.0, 505.0), abs=PIXEL / 2)
    assert bowl.elongation == pytest.approx(1.0, abs=0.02)
    assert bowl.volume_m3_per_yr == pytest.approx(-0.05 * bowl.area_km2 * 1e6)


def test_ellipse_orientation_and_elongation():
    x, y = coordinates()
    azimuth = np.radians(30.0)  # major axis 30 degrees east of north
    along = (x - 505) * np.sin(azimuth) + (y - 505) * np.cos(azimuth)
    across = (x - 505) * np.cos(azimuth) - (y - 505) * np.sin(azimuth)
    rates = -40 * np.exp(-0.5 * ((along / 150) ** 2 + (across / 75) ** 2))
    bowl = find_bowls(rates, GRID, BowlOptions(threshold=-10, min_area_km2=0.0))[0]
    assert bowl.orient_deg == pytest.approx(30.0, abs=1.5)
    assert bowl.elongation == pytest.approx(2.0, rel=0.05)
    assert bowl.peak == pytest.approx(-40, abs=0.5)


def test_moment_ellipse_of_a_line():
    azimuth, elongation, major, _ = moment_ellipse(np.arange(10.0), np.zeros(10))
    assert azimuth == pytest.approx(90.0) and elongation == np.inf and major > 0


def test_min_area_and_two_bowls_sorted_by_peak():
    rates = np.minimum(disc(300, 300, 100, -20), disc(750, 750, 150, -60))
    rates[0, 0] = -30  # a single noisy pixel
    bowls = find_bowls(rates, GRID, BowlOptions(threshold=-10, min_area_km2=0.01))
    assert [b.peak for b in bowls] == [-60, -20]
    assert [b.bowl_id for b in bowls] == [1, 2]


def test_distance_to_mining_and_gpkg(tmp_path):
    velocity = write_geotiff(tmp_path / "v.tif", disc(), GRID)
    mining = tmp_path / "mining.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(mining))
    layer = ds.CreateLayer("mining", grid_srs(), ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for name, wkt in (
        ("far", "POLYGON ((905 0, 1000 0, 1000 100, 905 100, 905 0))"),
        ("near", "POLYGON ((805 400, 900 400, 900 600, 805 600, 805 400))"),
    ):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        feature.SetField("name", name)
        layer.CreateFeature(feature)
    ds = None
    out = tmp_path / "bowls.gpkg"
    bowls = detect_bowls(velocity, out, BowlOptions(-10, 0.01), mining_path=mining)
    # disc edge at x = 505 + 200 = 705 (pixel edges within half a pixel): 100 m to "near"
    assert bowls[0].mine_name == "near"
    assert bowls[0].mine_distance_m == pytest.approx(100.0, abs=PIXEL)
    ds = ogr.Open(str(out))  # keep the dataset alive while its layer is used
    feature = ds.GetLayer(0).GetNextFeature()
    assert feature.GetField("mine_name") == "near"
    assert feature.GetField("area_km2") == pytest.approx(bowls[0].area_km2)


def grid_srs():
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32649)
    return srs


def test_no_bowl_writes_an_empty_layer(tmp_path):
    velocity = write_geotiff(tmp_path / "flat.tif", np.zeros(GRID.shape, np.float32), GRID)
    out = tmp_path / "none.gpkg"
    assert detect_bowls(velocity, out) == []
    ds = ogr.Open(str(out))
    assert ds.GetLayer(0).GetFeatureCount() == 0


def test_bad_inputs(tmp_path):
    velocity = write_geotiff(tmp_path / "v.tif", disc(), GRID)
    with pytest.raises(InputError, match="v.tif.*not negative"):
        detect_bowls(velocity, tmp_path / "b.gpkg", BowlOptions(threshold=5))
    nan = write_geotiff(tmp_path / "nan.tif", np.full(GRID.shape, np.nan, np.float32), GRID)
    with pytest.raises(InputError, match="nan.tif: holds no valid rate"):
        detect_bowls(nan, tmp_path / "b.gpkg")
