"""importpoints, psinsar and crossvalidate through Processing."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsProperty, QgsVectorLayer

from insar_subsidence.core.demo.extensions.slc import simulate_slc, write_simulation
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.point_layers import read_points

L3 = "points/EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv"
DEPSI = "points/depsi_amsterdam_trim.csv"


def test_importpoints_egms_and_depsi(run_algorithm, test_data, tmp_path):
    result = run_algorithm(
        "importpoints",
        {"INPUT": str(test_data / L3), "FORMAT": "auto", "OUTPUT": str(tmp_path / "l3.gpkg")},
    )
    assert result["COUNT"] == 300 and result["FORMAT"] == "egms"
    points = read_points(tmp_path / "l3.gpkg")
    assert points.epsg == 3035 and len(points.dates) == 304
    result = run_algorithm(
        "importpoints",
        {
            "INPUT": str(test_data / DEPSI),
            "FORMAT": "depsi",
            "OUTPUT": str(tmp_path / "depsi.gpkg"),
        },
    )
    assert result["COUNT"] == 200


def test_importpoints_generic_with_crs_and_bad_input(run_algorithm, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("E,N,2020-01-01,2020-07-01\n500000,4000000,0,-0.004\n")
    result = run_algorithm(
        "importpoints",
        {
            "INPUT": str(path),
            "FORMAT": "generic",
            "X_FIELD": "E",
            "Y_FIELD": "N",
            "CRS": "EPSG:32649",
            "UNIT": "m",
            "DATE_PATTERN": r"^(\d{4}-\d{2}-\d{2})$",
            "OUTPUT": str(tmp_path / "g.gpkg"),
        },
    )
    points = read_points(result["OUTPUT"])
    assert points.epsg == 32649 and points.displacement_mm[0, 1] == pytest.approx(-4.0)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(QgsProcessingException, match="empty.csv: is empty"):
        run_algorithm("importpoints", {"INPUT": str(empty), "OUTPUT": str(tmp_path / "e.gpkg")})


@pytest.fixture(scope="module")
def slc(tmp_path_factory):
    scene = make_scene(seed=3, size=56, n_acquisitions=60)
    sim = simulate_slc(scene, np.random.default_rng(2), size=56, n_ps=40)
    return sim, write_simulation(sim, tmp_path_factory.mktemp("slc"))


def test_psinsar_then_crossvalidate(run_algorithm, slc, tmp_path):
    sim, paths = slc
    result = run_algorithm(
        "psinsar",
        {
            "INPUT": str(paths["slc_stack"]),
            "DATES": str(paths["slc_dates"]),
            "HEIGHT": str(paths["slc_height"]),
            "INCIDENCE": sim.incidence_deg,
            "OUTPUT": str(tmp_path / "ps.gpkg"),
        },
    )
    points = read_points(result["OUTPUT"])
    assert result["COUNT"] == len(points) >= 30
    assert {"VEL", "VEL_STD", "TCOH", "DA", "HGT_ERR", "HEIGHT"} <= set(points.fields)
    # PS against a copy whose LOS rates are 5 mm/yr faster toward the satellite and which
    # carries its incidence as a field: the vertical difference is -5 / cos(incidence)
    shifted = tmp_path / "ps_shifted.gpkg"
    shutil.copy(result["OUTPUT"], shifted)
    source = ogr.Open(str(shifted), 1)
    layer = source.GetLayer(0)
    layer.CreateField(ogr.FieldDefn("INC", ogr.OFTReal))
    for feature in layer:
        feature.SetField("VEL", feature.GetField("VEL") + 5.0)
        feature.SetField("INC", sim.incidence_deg)
        layer.SetFeature(feature)
    source = layer = None
    stats = run_algorithm(
        "crossvalidate",
        {
            "POINTS_A": result["OUTPUT"],
            "POINTS_B": str(shifted),
            "CELL_SIZE": 100,
            "INCIDENCE_A": sim.incidence_deg,
            "INCIDENCE_B": QgsProperty.fromField("INC"),
            "OUTPUT_TABLE": str(tmp_path / "stats.csv"),
            "OUTPUT_PLOT": str(tmp_path / "plot.png"),
            "OUTPUT_DIFFERENCE": str(tmp_path / "diff.tif"),
        },
    )
    vertical_shift = 5.0 / np.cos(np.radians(sim.incidence_deg))
    assert stats["N"] > 20 and stats["PEARSON_R"] == pytest.approx(1.0)
    assert stats["RMSE"] == pytest.approx(vertical_shift, rel=1e-4)
    with open(tmp_path / "stats.csv") as f:
        rows = {row["statistic"]: row["value"] for row in csv.DictReader(f)}
    assert float(rows["mean_difference"]) == pytest.approx(-vertical_shift, rel=1e-4)
    assert (tmp_path / "plot.png").stat().st_size > 1000 and (tmp_path / "diff.tif").exists()


def test_crossvalidate_refuses_nonsense_before_any_work(run_algorithm, slc, tmp_path):
    """The same product twice, a line layer, products far apart and a missing incidence field
    are refused by checkParameterValues, naming what to do."""
    sim, paths = slc
    points = run_algorithm(
        "psinsar",
        {
            "INPUT": str(paths["slc_stack"]),
            "DATES": str(paths["slc_dates"]),
            "INCIDENCE": sim.incidence_deg,
            "OUTPUT": str(tmp_path / "ps.gpkg"),
        },
    )["OUTPUT"]
    layer = QgsVectorLayer(points, "ps", "ogr")
    extent, epsg = layer.extent(), layer.crs().postgisSrid()
    near, far = tmp_path / "near.tif", tmp_path / "far.tif"
    for path, shift in ((near, 0.0), (far, 1e6)):
        grid = Grid(extent.xMinimum() + shift, extent.yMaximum(), 100.0, -100.0, 4, 4, epsg)
        write_geotiff(path, np.zeros((4, 4), np.float32), grid)
    line = tmp_path / "line.geojson"
    x, y = extent.center().x(), extent.center().y()
    line.write_text(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
        f'"EPSG:{epsg}"}}}}, "features": [{{"type": "Feature", '
        '"properties": {}, "geometry": {"type": "LineString", "coordinates": '
        f"[[{x}, {y}], [{x + 100}, {y}]]}}}}]}}"
    )
    cases = [
        ({"POINTS_A": points, "POINTS_B": points}, "same product"),
        ({"POINTS_A": points, "POINTS_B": str(line)}, "not a point layer"),
        ({"POINTS_A": points, "RASTER_B": str(far)}, "do not overlap"),
        (
            {
                "POINTS_A": points,
                "RASTER_B": str(near),
                "INCIDENCE_B": QgsProperty.fromField("INC"),
            },
            "B is a raster",
        ),
        ({"RASTER_A": str(near), "POINTS_B": points, "FIELD_B": "NOPE"}, "has no field 'NOPE'"),
        ({"POINTS_A": points, "RASTER_A": str(near), "RASTER_B": str(near)}, "one of the two"),
        ({"RASTER_B": str(near)}, "Product A: give either"),
    ]
    for given, problem in cases:
        with pytest.raises(QgsProcessingException, match=problem):
            run_algorithm(
                "crossvalidate",
                {
                    **given,
                    "CELL_SIZE": 100,
                    "OUTPUT_TABLE": str(tmp_path / "t.csv"),
                    "OUTPUT_PLOT": "TEMPORARY_OUTPUT",
                    "OUTPUT_DIFFERENCE": "TEMPORARY_OUTPUT",
                },
            )
        assert not (tmp_path / "t.csv").exists()


def test_psinsar_bad_window_and_dates(run_algorithm, slc, tmp_path):
    _, paths = slc
    with pytest.raises(QgsProcessingException, match="SHP_WINDOW"):
        run_algorithm(
            "psinsar",
            {
                "INPUT": str(paths["slc_stack"]),
                "DATES": str(paths["slc_dates"]),
                "SHP_WINDOW": "big",
                "OUTPUT": str(tmp_path / "ps.gpkg"),
            },
        )
    dates = tmp_path / "d.csv"
    dates.write_text("date,bperp\n20200101,0\n")
    with pytest.raises(QgsProcessingException, match="slc_stack.tif: has 60 bands"):
        run_algorithm(
            "psinsar",
            {
                "INPUT": str(paths["slc_stack"]),
                "DATES": str(dates),
                "OUTPUT": str(tmp_path / "ps.gpkg"),
            },
        )
