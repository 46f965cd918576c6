"""Land-use transition matrix on hand-computable rasters."""

import csv

import numpy as np
import pytest

from insar_subsidence.core.drivers.landuse import (
    align_nearest,
    compute_transitions,
    land_use_transition,
    read_class_names,
    transition_matrix,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff

GRID = Grid(500000.0, 4000000.0, 10.0, -10.0, 3, 3, 32649)  # 100 m2 pixels = 1e-4 km2
BEFORE = np.array([[1, 1, 2], [1, 2, 2], [3, 3, 3]], np.uint8)
AFTER = np.array([[1, 2, 2], [1, 2, 3], [3, 1, 1]], np.uint8)
# pairs: 1->1 x2, 1->2 x1, 2->2 x2, 2->3 x1, 3->3 x1, 3->1 x2
EXPECTED_COUNTS = np.array([[2, 1, 0], [0, 2, 1], [2, 0, 1]])
VELOCITY = np.array([[-1, -4, -2], [-3, -6, -30], [0, -10, -20]], np.float32)


def test_matrix_persistence_and_net_change_by_hand():
    classes, matrix, rates = transition_matrix(BEFORE, AFTER, GRID.pixel_area, velocity=VELOCITY)
    assert classes == [1, 2, 3]
    np.testing.assert_allclose(matrix, EXPECTED_COUNTS * 1e-4)
    # mean rate per transition: 1->1 (-1, -3), 1->2 (-4), 2->2 (-2, -6), 2->3 (-30), 3->3 (0),
    # 3->1 (-10, -20)
    expected = np.array([[-2, -4, np.nan], [np.nan, -4, -30], [-15, np.nan, 0]])
    np.testing.assert_allclose(rates, expected)


def test_summary_rows(tmp_path):
    before, after = tmp_path / "b.tif", tmp_path / "a.tif"
    write_geotiff(before, BEFORE, GRID, nodata=0)
    write_geotiff(after, AFTER, GRID, nodata=0)
    result = compute_transitions(before, after)
    rows = {r["class"]: r for r in result.summary()}
    assert rows[1]["before_km2"] == pytest.approx(3e-4)
    assert rows[1]["after_km2"] == pytest.approx(4e-4)
    assert rows[1]["net_change_km2"] == pytest.approx(1e-4)
    assert rows[3]["persistence_km2"] == pytest.approx(1e-4)
    assert rows[3]["loss_km2"] == pytest.approx(2e-4)
    assert rows[2]["gain_km2"] == pytest.approx(1e-4)


def test_nodata_class_zero_is_ignored():
    before = BEFORE.copy()
    before[0, 0] = 0
    _, matrix, _ = transition_matrix(before, AFTER, GRID.pixel_area)
    assert matrix.sum() == pytest.approx(8e-4)
    assert matrix[0, 0] == pytest.approx(1e-4)


def test_files_names_and_outputs(tmp_path):
    before, after, velocity = tmp_path / "b.tif", tmp_path / "a.tif", tmp_path / "v.tif"
    write_geotiff(before, BEFORE, GRID, nodata=0)
    write_geotiff(after, AFTER, GRID, nodata=0)
    write_geotiff(velocity, VELOCITY, GRID)
    names = tmp_path / "names.csv"
    names.write_text("value,name\n1,cropland\n2,forest\n3,mining\n4,water\n")
    table, summary = tmp_path / "m.csv", tmp_path / "s.csv"
    rates, png, svg = tmp_path / "r.csv", tmp_path / "p.png", tmp_path / "p.svg"
    land_use_transition(before, after, table, names, velocity, summary, rates, png)
    rows = list(csv.reader(open(table)))
    assert rows[0] == ["from \\ to (km2)", "cropland", "forest", "mining", "water"]
    assert rows[3][0] == "mining" and float(rows[3][1]) == pytest.approx(2e-4)
    assert rows[4][1:] == ["0", "0", "0", "0"]  # a named class without pixels keeps its row
    assert list(csv.reader(open(rates)))[2][3] == "-30"  # forest -> mining
    assert png.read_bytes()[:4] == b"\x89PNG"
    land_use_transition(before, after, tmp_path / "m2.csv", plot_path=svg)
    assert b"<svg" in svg.read_bytes()[:2000]


def test_later_raster_on_finer_grid_is_aligned_by_nearest(tmp_path):
    fine = Grid(500000.0, 4000000.0, 5.0, -5.0, 6, 6, 32649)
    before, after = tmp_path / "b.tif", tmp_path / "a.tif"
    write_geotiff(before, BEFORE, GRID, nodata=0)
    write_geotiff(after, np.repeat(np.repeat(AFTER, 2, 0), 2, 1), fine, nodata=0)
    result = compute_transitions(before, after)
    np.testing.assert_allclose(result.matrix_km2, EXPECTED_COUNTS * 1e-4)


def test_align_nearest_offset_grid():
    source = Grid(0.0, 30.0, 10.0, -10.0, 3, 3)
    target = Grid(10.0, 30.0, 10.0, -10.0, 3, 3)  # shifted one column east
    data = np.arange(9.0).reshape(3, 3)
    out = align_nearest(data, source, target)
    np.testing.assert_array_equal(out[:, :2], data[:, 1:])
    assert np.isnan(out[:, 2]).all()


def test_bad_inputs_name_the_file(tmp_path):
    before, other_crs = tmp_path / "b.tif", tmp_path / "utm50.tif"
    write_geotiff(before, BEFORE, GRID, nodata=0)
    write_geotiff(other_crs, AFTER, Grid(500000.0, 4000000.0, 10.0, -10.0, 3, 3, 32650), nodata=0)
    with pytest.raises(InputError, match="utm50.tif.*CRS"):
        compute_transitions(before, other_crs)
    far = tmp_path / "far.tif"
    write_geotiff(far, AFTER, Grid(900000.0, 4000000.0, 10.0, -10.0, 3, 3, 32649), nodata=0)
    with pytest.raises(InputError, match="far.tif.*overlap"):
        compute_transitions(before, far)
    floats = tmp_path / "floats.tif"
    write_geotiff(floats, AFTER + np.float32(0.5), GRID)
    with pytest.raises(InputError, match="floats.tif.*non-integer"):
        compute_transitions(before, floats)
    names = tmp_path / "names.csv"
    names.write_text("value,name\n1,a\nxx,b\n")
    with pytest.raises(InputError, match="names.csv: line 3"):
        read_class_names(names)


def test_demo_extension_mining_land_spreads_where_the_ground_sinks(tmp_path):
    from insar_subsidence.core.demo.extensions import landuse as extension
    from insar_subsidence.core.demo.scene import make_scene

    scene = make_scene(size=48, n_acquisitions=40)
    paths = extension.write(scene, tmp_path, np.random.default_rng(0), lambda f, m="": True)
    velocity = tmp_path / "v.tif"
    write_geotiff(velocity, (scene.vertical_velocity() * 1000).astype(np.float32), scene.grid)
    result = compute_transitions(
        paths["landuse_2019"], paths["landuse_2021"], paths["landuse_class_names"], velocity
    )
    names = result.names
    crop, mining = names.index("cropland"), names.index("mining/industrial")
    # cropland turned to mining land: about one percent of the scene (the longwall basins are
    # compact probability-integral basins, about a third of the old Gaussian troughs' area)
    assert result.matrix_km2[crop, mining] > 0.006 * result.matrix_km2.sum()
    assert result.mean_rate[crop, mining] < -10 < result.mean_rate[crop, crop]
    assert result.net_change_km2[mining] > 0 > result.net_change_km2[crop]
