"""The interpolation algorithms through Processing, on a small demo scene."""

import csv

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.demo.extensions import drivers as demo_drivers
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import band_names, read_raster, write_geotiff
from tests.qgis.feedback import CancelOnMessage, LogFeedback

TINY_CNN = {
    "PATCH_SIZE": 8,
    "EPOCHS": 2,
    "CONV_WIDTH": 4,
    "DENSE": "small",
    "LEARNING_RATE": 1e-3,
}


def _torch_one_thread():
    """Skip a CNN test without torch; torch on one thread otherwise."""
    torch = pytest.importorskip("torch", reason="the CNN needs torch")
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def scene_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene")
    scene = make_scene(size=40, n_acquisitions=6)
    return scene, demo_drivers.write(scene, folder, np.random.default_rng(2))


@pytest.fixture(scope="module")
def stack_path(scene_files, tmp_path_factory):
    return tmp_path_factory.mktemp("stack") / "drivers.tif"


def test_terrain_indices(run_algorithm, scene_files, tmp_path):
    scene, files = scene_files
    outputs = {
        n: str(tmp_path / f"{n}.tif")
        for n in ("OUTPUT_SLOPE", "OUTPUT_ASPECT", "OUTPUT_FLOWACC", "OUTPUT_SPI", "OUTPUT_TWI")
    }
    result = run_algorithm(
        "terrainindices", {"INPUT": str(files["drivers_dem"]), "FLOW_METHOD": "Dinf", **outputs}
    )
    assert set(result) == set(outputs)
    slope, grid = read_raster(result["OUTPUT_SLOPE"])
    assert grid.same_as(scene.grid) and 0 < np.nanmean(slope) < 45
    acc, _ = read_raster(result["OUTPUT_FLOWACC"])
    assert np.nanmin(acc) >= 1.0


def test_driving_forces_stack(run_algorithm, scene_files, stack_path):
    _, files = scene_files
    result = run_algorithm(
        "drivingforces",
        {
            "DEM": str(files["drivers_dem"]),
            "RED": str(files["drivers_reflectance"]),
            "RED_BAND": 1,
            "NIR": str(files["drivers_reflectance"]),
            "NIR_BAND": 2,
            "LANDUSE": str(files["drivers_landuse"]),
            "WATER_TABLE": str(files["drivers_water_table"]),
            "WELLS": str(files["drivers_wells"]),
            "OUTPUT": str(stack_path),
        },
    )
    assert band_names(result["OUTPUT"]) == [
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


def test_interpolate_kriging_with_variance(run_algorithm, scene_files, tmp_path):
    scene, files = scene_files
    result = run_algorithm(
        "interpolate",
        {
            "INPUT": str(files["drivers_ps_like"]),
            "FIELD": "VEL",
            "METHOD": "kriging",
            "CELL_SIZE": 160.0,
            "OUTPUT": str(tmp_path / "k.tif"),
            "OUTPUT_VARIANCE": str(tmp_path / "kvar.tif"),
        },
    )
    surface, grid = read_raster(result["OUTPUT"])
    truth = scene.vertical_velocity() * 1000
    rows, cols = np.indices(grid.shape)
    tr, tc = scene.grid.rowcol(*grid.xy(rows, cols))
    ok = scene.grid.contains(tr, tc)
    corr = np.corrcoef(surface[ok], truth[tr[ok], tc[ok]])[0, 1]
    assert corr > 0.8
    assert read_raster(result["OUTPUT_VARIANCE"])[0].min() >= 0


def test_cnn_interpolation(run_algorithm, scene_files, stack_path, tmp_path):
    _torch_one_thread()
    _, files = scene_files
    assert stack_path.exists()
    result = run_algorithm(
        "interpolatecnn",
        {
            "INPUT": str(files["drivers_ps_like"]),
            "FIELD": "VEL",
            "DRIVERS": str(stack_path),
            **TINY_CNN,
            "OUTPUT_MODEL": str(tmp_path / "m.pt"),
            "OUTPUT_METRICS": str(tmp_path / "m.csv"),
            "OUTPUT_ERRORS": str(tmp_path / "e.gpkg"),
            "OUTPUT": str(tmp_path / "cnn.tif"),
        },
    )
    with open(result["OUTPUT_METRICS"]) as handle:
        subsets = [row["subset"] for row in csv.DictReader(handle)]
    assert subsets == ["train", "test"]
    surface, grid = read_raster(result["OUTPUT"])
    assert np.isfinite(surface).all() and grid.shape == (40, 40)
    from insar_subsidence.core.io.point_layers import read_points

    errors = read_points(result["OUTPUT_ERRORS"])
    np.testing.assert_allclose(errors.fields["ERR"], errors.fields["PRED"] - errors.fields["OBS"])


def test_compare_interpolators_table(run_algorithm, scene_files, stack_path, tmp_path):
    _torch_one_thread()
    _, files = scene_files
    result = run_algorithm(
        "compareinterpolators",
        {
            "INPUT": str(files["drivers_ps_like"]),
            "FIELD": "VEL",
            "DRIVERS": str(stack_path),
            "SPLIT": "both",
            "FOLDS": 2,
            "BLOCK_SIZE": 600.0,
            "SEED": 1,
            **TINY_CNN,
            "OUTPUT_TABLE": str(tmp_path / "t.csv"),
            "OUTPUT_FOLDER": str(tmp_path / "maps"),
        },
    )
    with open(result["OUTPUT_TABLE"]) as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["method"], r["split"]) for r in rows} == {
        (m, s) for m in ("cnn", "kriging", "idw", "rbf") for s in ("random", "block")
    }
    assert len({r["n"] for r in rows}) == 1  # every method scored on the same points
    assert (tmp_path / "maps" / "errors_block.gpkg").exists()


def test_missing_field_is_reported(run_algorithm, scene_files, tmp_path):

    _, files = scene_files
    with pytest.raises(QgsProcessingException):
        run_algorithm(
            "interpolate",
            {
                "INPUT": str(files["drivers_ps_like"]),
                "FIELD": "NOPE",
                "OUTPUT": str(tmp_path / "x.tif"),
            },
        )


def test_a_cancel_during_flow_accumulation_stops_it_and_writes_nothing(run_algorithm, tmp_path):
    """The accumulation visits every cell in Python: a large DEM takes minutes, so it looks
    at the cancel flag as it goes; the progress bar only moves forward."""
    size = 420
    rows, cols = np.mgrid[0:size, 0:size]
    dem = 100 + 0.05 * rows + 3 * np.sin(cols / 17.0) * np.cos(rows / 23.0)
    grid = Grid(500000.0, 4000000.0, 10.0, -10.0, width=size, length=size, epsg=32633)
    write_geotiff(tmp_path / "dem.tif", dem.astype(np.float32), grid, ["dem"])
    outputs = {n: str(tmp_path / f"{n}.tif") for n in ("OUTPUT_FLOWACC", "OUTPUT_TWI")}
    feedback = CancelOnMessage("Accumulating flow")
    with pytest.raises(QgsProcessingException, match="Cancelled by the user"):
        run_algorithm("terrainindices", {"INPUT": str(tmp_path / "dem.tif"), **outputs}, feedback)
    assert feedback.shown == 1
    assert feedback.percentages == sorted(feedback.percentages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif"]


def test_a_core_warning_reaches_the_log_as_a_warning(run_algorithm, tmp_path):
    """Kriging three points cannot fit a variogram: core says so with a warning, which the
    Processing log shows as a warning (pushWarning), not as an information line."""
    from insar_subsidence.core.io.point_layers import PointSeries, write_points

    write_points(
        tmp_path / "three.gpkg",
        PointSeries(
            np.array([600000.0, 601000.0, 600400.0]),
            np.array([3900000.0, 3900200.0, 3900900.0]),
            32649,
            [],
            np.zeros((3, 0)),
            {"VEL": np.array([-10.0, -2.0, -5.0])},
        ),
    )
    feedback = LogFeedback()
    run_algorithm(
        "interpolate",
        {
            "INPUT": str(tmp_path / "three.gpkg"),
            "FIELD": "VEL",
            "METHOD": "kriging",
            "CELL_SIZE": 50.0,
            "OUTPUT": str(tmp_path / "k.tif"),
        },
        feedback=feedback,
    )
    warnings = [w for w in feedback.warnings if "too few pairs to fit a variogram" in w]
    assert len(warnings) == 1 and warnings[0].startswith("3 points give too few pairs")
    assert [line for line in feedback.lines if "variogram;" in line] == warnings  # once
