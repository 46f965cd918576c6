"""Terrain indices against analytic surfaces (plane, cone, bowl), GDAL's Horn slope/aspect and
a real geographic DEM."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.interpolation.terrain import (
    FLAT_ASPECT,
    TerrainOptions,
    cell_size_metres,
    d8_receivers,
    fill_sinks,
    flow_accumulation,
    slope_aspect,
    terrain_indices,
    write_terrain_indices,
)
from insar_subsidence.core.io.geotiff import read_raster

GRID = Grid(500000.0, 4000000.0, 10.0, -10.0, 40, 30, 32633)


def coordinates(grid=GRID):
    rows, cols = np.indices(grid.shape)
    return grid.xy(rows, cols)


def outflow(dem, grid):
    """Accumulation leaving the grid: sum over cells that drain off it (D8)."""
    acc = flow_accumulation(dem, grid, "D8")
    receivers = d8_receivers(fill_sinks(dem), grid)
    return acc[receivers < 0].sum()


def test_plane_has_constant_slope_aspect_and_known_accumulation():
    x, y = coordinates()
    plane = 0.1 * (x - x.min())  # rises to the east, faces west
    tan_slope, aspect = slope_aspect(plane, GRID)
    np.testing.assert_allclose(tan_slope, 0.1, rtol=1e-9)
    np.testing.assert_allclose(aspect, 270.0)
    expected = np.broadcast_to(GRID.width - np.arange(GRID.width), GRID.shape)  # W - col cells
    for method in ("D8", "Dinf"):
        np.testing.assert_allclose(flow_accumulation(plane, GRID, method), expected)


def test_diagonal_plane_faces_south_west():
    x, y = coordinates()
    tan_slope, aspect = slope_aspect(0.03 * x + 0.04 * y, GRID)
    np.testing.assert_allclose(tan_slope, 0.05, rtol=1e-9)
    np.testing.assert_allclose(aspect, np.degrees(np.arctan2(-0.03, -0.04)) % 360)


def test_cone_slope_and_outward_aspect():
    grid = Grid(0.0, 1000.0, 10.0, -10.0, 61, 61, 32633)
    x, y = coordinates(grid)
    cx, cy = grid.xy(30, 30)
    cone = 100.0 - 0.2 * np.hypot(x - cx, y - cy)
    tan_slope, aspect = slope_aspect(cone, grid)
    ring = (np.hypot(x - cx, y - cy) > 50) & (np.hypot(x - cx, y - cy) < 250)
    np.testing.assert_allclose(tan_slope[ring], 0.2, rtol=0.03)
    outward = np.degrees(np.arctan2(x - cx, y - cy)) % 360
    diff = (aspect - outward + 180) % 360 - 180
    assert np.abs(diff[ring]).max() < 3.0
    # a cone sheds water outward: every cell is its own little catchment or close to it
    acc = flow_accumulation(cone, grid, "Dinf")
    assert acc[30, 30] == pytest.approx(1.0)
    assert outflow(cone, grid) == pytest.approx(grid.width * grid.length)


def test_bowl_is_filled_flats_drain_and_mass_is_conserved():
    grid = Grid(0.0, 1000.0, 10.0, -10.0, 41, 41, 32633)
    x, y = coordinates(grid)
    cx, cy = grid.xy(20, 20)
    bowl = 1e-3 * ((x - cx) ** 2 + (y - cy) ** 2)
    tan_slope, aspect = slope_aspect(bowl, grid)
    r = np.hypot(x - cx, y - cy)
    inner = (r > 20) & (r < 150)
    np.testing.assert_allclose(tan_slope[inner], 2e-3 * r[inner], rtol=1e-6)
    assert aspect[20, 20] == FLAT_ASPECT  # the flat bottom
    filled = fill_sinks(bowl)
    spill = min(bowl[0].min(), bowl[-1].min(), bowl[:, 0].min(), bowl[:, -1].min())
    assert (filled >= bowl).all()
    assert filled[20, 20] == pytest.approx(spill)  # raised to the spill level
    receivers = d8_receivers(filled, grid)
    assert (receivers[1:-1, 1:-1] >= 0).all()  # no interior cell is stuck
    for method in ("D8", "Dinf"):
        acc = flow_accumulation(bowl, grid, method)
        assert acc.max() > 0.25 * bowl.size  # the bowl drains through a spill
    assert outflow(bowl, grid) == pytest.approx(bowl.size)


def test_flat_dem_aspect_defined_and_twi_finite():
    flat = np.full(GRID.shape, 300.0)
    out = terrain_indices(flat, GRID)
    assert (out["aspect"] == FLAT_ASPECT).all()
    assert np.isfinite(out["twi"]).all()
    assert out["flowacc"].sum() >= flat.size
    assert outflow(flat, GRID) == pytest.approx(flat.size)


def test_spi_twi_formulas_on_plane():
    x, _ = coordinates()
    plane = 0.1 * (x - x.min())
    out = terrain_indices(plane, GRID, TerrainOptions(min_tan_slope=1e-3))
    sca = (GRID.width - np.arange(GRID.width)) * 10.0  # cells * area / width = cells * 10 m
    np.testing.assert_allclose(out["sca"][5], sca, rtol=1e-6)
    np.testing.assert_allclose(out["spi"][5], sca * 0.1, rtol=1e-5)
    np.testing.assert_allclose(out["twi"][5], np.log(sca / 0.1), rtol=1e-5)
    np.testing.assert_allclose(out["slope"], np.degrees(np.arctan(0.1)), rtol=1e-5)


def test_nodata_cells_stay_nodata_and_act_as_outlets():
    x, _ = coordinates()
    plane = 0.1 * (x - x.min())
    plane[10:12, 15:20] = np.nan
    acc = flow_accumulation(plane, GRID, "D8")
    assert np.isnan(acc[10:12, 15:20]).all()
    assert np.isfinite(acc[~np.isnan(plane)]).all()


def test_matches_gdal_horn_slope_and_aspect():
    from osgeo import gdal

    from insar_subsidence.core.demo.scene import make_scene

    scene = make_scene(size=48, n_acquisitions=4)
    src = gdal.GetDriverByName("MEM").Create("", 48, 48, 1, gdal.GDT_Float32)
    src.SetGeoTransform(scene.grid.geotransform)
    src.GetRasterBand(1).WriteArray(scene.height)
    gdal_slope = gdal.DEMProcessing("", src, "slope", format="MEM").ReadAsArray()
    gdal_aspect = gdal.DEMProcessing("", src, "aspect", format="MEM").ReadAsArray()
    out = terrain_indices(scene.height, scene.grid)
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(out["slope"][inner], gdal_slope[inner], atol=1e-3)
    diff = (out["aspect"][inner] - gdal_aspect[inner] + 180) % 360 - 180
    assert np.abs(diff).max() < 1e-2


def test_geographic_dem_uses_metres(tmp_path):
    lat0 = 60.0
    grid = Grid(10.0, lat0 + 0.05, 0.001, -0.001, 50, 50, 4326)
    dx, dy = cell_size_metres(grid)
    assert dy == pytest.approx(111.4, rel=0.01)  # 0.001 deg of latitude
    assert dx[25, 0] == pytest.approx(111.4 * 0.5, rel=0.01)  # cos(60 deg)
    lon, lat = coordinates(grid)
    metres_east = (lon - 10.0) * dx / 0.001
    tan_slope, aspect = slope_aspect(0.02 * metres_east, grid)
    np.testing.assert_allclose(tan_slope[5:-5, 5:-5], 0.02, rtol=0.01)
    np.testing.assert_allclose(aspect[5:-5, 5:-5], 270.0, atol=0.5)


def test_real_geographic_dem(test_data, tmp_path):
    dem_path = test_data / "interpolation" / "fortworth_dem_crop.tif"
    outputs = {
        name: tmp_path / f"{name}.tif" for name in ("slope", "aspect", "flowacc", "spi", "twi")
    }
    written = write_terrain_indices(dem_path, outputs, TerrainOptions(flow_method="Dinf"))
    assert set(written) == set(outputs)
    slope, grid = read_raster(written["slope"])
    dem, _ = read_raster(dem_path)
    assert grid.epsg == 4326
    # 3 arc-second cells are ~78 m x 93 m at 32.7 N; Texas prairie slopes are a few degrees
    assert 0.3 < np.nanmedian(slope) < 8.0
    acc, _ = read_raster(written["flowacc"])
    assert np.nanmax(acc) > 100  # real streams gather area
    assert np.isfinite(read_raster(written["twi"])[0][np.isfinite(dem)]).all()
    assert outflow(dem.astype(float), grid) == pytest.approx(np.isfinite(dem).sum())


def test_missing_dem_names_the_file(tmp_path):
    with pytest.raises(InputError, match="nothere.tif"):
        write_terrain_indices(tmp_path / "nothere.tif", {"slope": tmp_path / "s.tif"})
