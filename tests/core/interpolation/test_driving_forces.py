"""Driving-force alignment, NDVI, distance from wells and the stacked GeoTIFF."""

import numpy as np
import pytest

from insar_subsidence.core.demo.extensions import drivers as demo_drivers
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.interpolation.driving_forces import (
    DrivingForceInputs,
    align_raster,
    distance_to_points,
    ndvi,
    read_driving_forces,
    write_driving_forces,
)
from insar_subsidence.core.io.geotiff import band_names, read_raster, write_geotiff

COARSE = Grid(600000.0, 4000000.0, 100.0, -100.0, 10, 10, 32633)
FINE = Grid(600000.0, 4000000.0, 25.0, -25.0, 40, 40, 32633)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    scene = make_scene(size=48, n_acquisitions=6)
    return scene, demo_drivers.write(scene, folder, np.random.default_rng(1))


def test_categorical_nearest_keeps_codes_and_continuous_is_bilinear(tmp_path):
    codes = (np.arange(100).reshape(10, 10) % 5 + 1).astype(np.uint8)
    write_geotiff(tmp_path / "codes.tif", codes, COARSE, nodata=0)
    aligned = align_raster(tmp_path / "codes.tif", FINE, categorical=True)
    assert set(np.unique(aligned)) <= set(range(1, 6))
    assert aligned[1, 1] == codes[0, 0] and aligned[38, 38] == codes[9, 9]
    rows, cols = np.indices(COARSE.shape)
    x, y = COARSE.xy(rows, cols)
    write_geotiff(tmp_path / "ramp.tif", (0.01 * x + 0.02 * y).astype(np.float64), COARSE)
    ramp = align_raster(tmp_path / "ramp.tif", FINE)
    fr, fc = np.indices(FINE.shape)
    fx, fy = FINE.xy(fr, fc)
    inner = (slice(3, -3), slice(3, -3))  # bilinear is exact for a ramp away from the edges
    np.testing.assert_allclose(ramp[inner], (0.01 * fx + 0.02 * fy)[inner], rtol=1e-6)


def test_ndvi_known_values():
    np.testing.assert_allclose(
        ndvi(np.array([0.1, 0.2, 0.0]), np.array([0.5, 0.2, 0.0])), [0.4 / 0.6, 0.0, np.nan]
    )


def test_distance_from_points_in_metres():
    x, y = COARSE.xy(np.array([2]), np.array([3]))
    dist = distance_to_points(COARSE, x, y)
    assert dist[2, 3] == 0.0
    assert dist[2, 4] == pytest.approx(100.0)
    assert dist[5, 7] == pytest.approx(np.hypot(300.0, 400.0))
    geographic = Grid(10.0, 60.01, 0.001, -0.001, 10, 10, 4326)
    gx, gy = geographic.xy(np.array([5]), np.array([5]))
    gdist = distance_to_points(geographic, gx, gy)
    assert gdist[4, 5] == pytest.approx(111.4, rel=0.01)  # one row north, metres
    assert gdist[5, 6] == pytest.approx(55.8, rel=0.02)  # one column east at 60 N


def test_stack_of_the_demo_drivers(demo, tmp_path):
    scene, files = demo
    output = tmp_path / "stack.tif"
    write_driving_forces(
        DrivingForceInputs(
            dem=files["drivers_dem"],
            red=files["drivers_reflectance"],
            red_band=1,
            nir=files["drivers_reflectance"],
            nir_band=2,
            landuse=files["drivers_landuse"],
            water_table=files["drivers_water_table"],
            wells=files["drivers_wells"],
        ),
        output,
    )
    names = [
        "altitude",
        "slope",
        "aspect",
        "spi",
        "twi",
        "ndvi",
        "landuse",
        "water_table",
        "dist_wells",
    ]
    assert band_names(output) == names
    stack, grid, read_names = read_driving_forces(output)
    assert grid.same_as(scene.grid) and read_names == names
    np.testing.assert_allclose(stack[0], scene.height, rtol=1e-5)
    expected_ndvi, _ = read_raster(files["drivers_ndvi"])
    np.testing.assert_allclose(stack[5], expected_ndvi, atol=1e-5)  # NDVI from red/NIR
    landuse = stack[6]
    assert (landuse[scene.water] == 4).all()
    assert (stack[8] >= 0).all() and (stack[8] == 0).sum() > 0  # wells sit on cells
    # the water table is deepest where the groundwater basin subsides
    assert np.corrcoef(stack[7].ravel(), scene.groundwater.ravel())[0, 1] > 0.8


def test_demo_points_follow_truth(demo):
    from insar_subsidence.core.io.point_layers import read_points

    scene, files = demo
    points = read_points(files["drivers_ps_like"])
    assert len(points) > 500
    noise = points.fields["VEL"] - points.fields["VEL_TRUE"]
    assert abs(noise.std() - demo_drivers.VEL_NOISE_MM) < 0.2
    rows, cols = scene.grid.rowcol(points.x, points.y)
    truth = scene.vertical_velocity()[rows, cols] * 1000
    np.testing.assert_allclose(points.fields["VEL_TRUE"], truth, atol=1e-9)
    assert not scene.water[rows, cols].any()
    # mining bowls subside: the minimum velocity is a bowl, several cm/yr
    assert points.fields["VEL_TRUE"].min() < -20


def test_missing_input_names_the_file(tmp_path):
    write_geotiff(tmp_path / "ref.tif", np.zeros((10, 10), np.float32), COARSE)
    with pytest.raises(InputError, match="nolanduse.tif"):
        write_driving_forces(
            DrivingForceInputs(reference=tmp_path / "ref.tif", landuse=tmp_path / "nolanduse.tif"),
            tmp_path / "out.tif",
        )
    assert not (tmp_path / "out.tif").exists()
