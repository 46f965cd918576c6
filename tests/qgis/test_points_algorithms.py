"""importpoints, psinsar and crossvalidate through Processing."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.demo.extensions.slc import simulate_slc, write_simulation
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.io.point_layers import read_points, write_points

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
    crossvalidate = {
        "INPUT_A": result["OUTPUT"],
        "INPUT_B": result["OUTPUT"],
        "CELL_SIZE": 100,
        "INCIDENCE_A": str(sim.incidence_deg),
        "INCIDENCE_B": str(sim.incidence_deg),
        "OUTPUT_TABLE": str(tmp_path / "stats.csv"),
        "OUTPUT_PLOT": str(tmp_path / "plot.png"),
        "OUTPUT_DIFFERENCE": str(tmp_path / "diff.tif"),
    }
    with pytest.raises(QgsProcessingException, match="ps.gpkg: A and B are the same product"):
        run_algorithm("crossvalidate", crossvalidate)
    assert not (tmp_path / "stats.csv").exists()
    # against a copy whose LOS rates are 2 mm/yr higher: r = 1, A - B = -2 / cos(incidence)
    points.fields["VEL"] = points.fields["VEL"] + 2.0
    write_points(tmp_path / "shifted.gpkg", points)
    stats = run_algorithm(
        "crossvalidate", {**crossvalidate, "INPUT_B": str(tmp_path / "shifted.gpkg")}
    )
    shift = 2.0 / np.cos(np.radians(sim.incidence_deg))
    assert stats["N"] > 20 and stats["PEARSON_R"] == pytest.approx(1.0)
    assert stats["RMSE"] == pytest.approx(shift, rel=1e-6)
    with open(tmp_path / "stats.csv") as f:
        assert {row["statistic"] for row in csv.DictReader(f)} >= {"n", "pearson_r", "rmse"}
    assert (tmp_path / "plot.png").stat().st_size > 1000 and (tmp_path / "diff.tif").exists()


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
