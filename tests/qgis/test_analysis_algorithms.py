"""Decomposition and GNSS comparison and tie through Processing: processing.run, a model built
in the modeler's terms, qgis_process, and the bad input each refuses before running."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.io.point_layers import read_points
from tests.core import gnss_synthetic
from tests.core.analysis import two_tracks_synthetic as synthetic
from tests.paths import ROOT


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracks")
    rng = np.random.default_rng(21)
    asc = synthetic.write_track(folder / "asc.gpkg", synthetic.ASCENDING, rng, 2500)
    desc = synthetic.write_track(folder / "desc.gpkg", synthetic.DESCENDING, rng, 2500)
    return folder, asc, desc


@pytest.fixture(scope="module")
def station_files(tmp_path_factory):
    """Three tenv3 files inside the synthetic scene, moving with its truth."""
    from pyproj import Transformer

    folder = tmp_path_factory.mktemp("gnss")
    to_lonlat = Transformer.from_crs(synthetic.EPSG, 4326, always_xy=True)
    dates = gnss_synthetic.daily(dt.date(2019, 10, 1), 1200)
    paths = []
    for name, (dx, dy) in (("GPS1", (300, 300)), ("GPS2", (1700, 400)), ("GPS3", (900, 1700))):
        x, y = synthetic.X0 + dx, synthetic.Y0 + dy
        east, north, up = synthetic.truth_series(np.array([x]), np.array([y]), dates, dates[0])
        enu = np.column_stack([east[0], north[0] * 0, up[0]])
        path = folder / f"{name}.tenv3"
        path.write_text(gnss_synthetic.tenv3_text(name, dates, enu, to_lonlat.transform(x, y)))
        paths.append(str(path))
    return paths


def test_decompose_two_tracks(tracks, run_algorithm):
    folder, asc, desc = tracks
    result = run_algorithm(
        "decompose",
        {
            "INPUTS": [str(asc), str(desc)],
            "LOS": "auto\nauto",
            "CELL_SIZE": 200,
            "OUTPUT_UP": str(folder / "up.gpkg"),
            "OUTPUT_EAST": str(folder / "east.gpkg"),
            "OUTPUT_UP_RASTER": str(folder / "up.tif"),
        },
    )
    assert result["CELLS"] == 100 and result["FLAGGED"] == 0 and result["DATES"] > 100
    up = read_points(result["OUTPUT_UP"])
    east = read_points(result["OUTPUT_EAST"])
    truth_east, _, truth_up = synthetic.truth_rates(up.x, up.y)
    # 200 m cells: the bowl's curvature inside a cell dominates the error
    assert np.sqrt(np.mean((up.fields["VEL"] - truth_up) ** 2)) < 1.5
    assert np.sqrt(np.mean((east.fields["VEL"] - truth_east) ** 2)) < 2.0
    assert set(up.fields) >= {"VEL", "VEL_STD", "COND", "FLAG", "N_asc", "N_desc"}
    assert (folder / "up.tif").exists() and result["OUTPUT_EAST_RASTER"] is None


def test_decompose_refuses_bad_input(tracks, tmp_path, run_algorithm):
    folder, asc, desc = tracks
    outputs = {"OUTPUT_UP": str(tmp_path / "u.gpkg"), "OUTPUT_EAST": str(tmp_path / "e.gpkg")}
    with pytest.raises(QgsProcessingException, match="two or more products"):
        run_algorithm("decompose", {"INPUTS": [str(asc)], **outputs})
    rng = np.random.default_rng(1)
    far = (synthetic.X0 + 90_000, synthetic.Y0, synthetic.X0 + 91_000, synthetic.Y0 + 1000)
    away = synthetic.write_track(tmp_path / "away.gpkg", synthetic.DESCENDING, rng, 100, extent=far)
    with pytest.raises(QgsProcessingException, match="does not overlap"):
        run_algorithm("decompose", {"INPUTS": [str(asc), str(away)], **outputs})
    bare = synthetic.write_track(
        tmp_path / "bare.gpkg", synthetic.DESCENDING, rng, 100, los_fields="none"
    )
    with pytest.raises(QgsProcessingException, match="no line-of-sight vector"):
        run_algorithm("decompose", {"INPUTS": [str(asc), str(bare)], **outputs})
    with pytest.raises(QgsProcessingException, match="3 line-of-sight descriptions"):
        run_algorithm(
            "decompose", {"INPUTS": [str(asc), str(desc)], "LOS": "auto|auto|up", **outputs}
        )
    # a constant geometry given for the bare track makes it usable
    result = run_algorithm(
        "decompose",
        {"INPUTS": [str(asc), str(bare)], "LOS": "|incidence=38;heading=-168", **outputs},
    )
    assert result["CELLS"] > 0
    assert not (tmp_path / "away.gpkg.partial").exists()


def test_importgnss_compare_and_tie(tracks, station_files, tmp_path, run_algorithm):
    folder, asc, _ = tracks
    imported = run_algorithm(
        "importgnss", {"INPUT": station_files, "OUTPUT": str(tmp_path / "gnss.gpkg")}
    )
    assert imported["STATIONS"] == 3
    compared = run_algorithm(
        "gnsscompare",
        {
            "INPUT": str(asc),
            "GNSS": imported["OUTPUT"],
            "RADIUS": 150,
            "OUTPUT_TABLE": str(tmp_path / "compare.csv"),
            "OUTPUT_FOLDER": str(tmp_path / "charts"),
        },
    )
    assert compared["STATIONS"] == 3
    # the synthetic track has 1 mm/yr of noise per point, its series 3 mm per date
    assert abs(compared["BIAS"]) < 1.5 and compared["SERIES_RMSE"] < 3.0
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "GPS1.png",
        "GPS2.png",
        "GPS3.png",
    ]
    tied = run_algorithm(
        "gnsstie",
        {
            "INPUT": str(asc),
            "GNSS": imported["OUTPUT"],
            "RADIUS": 150,
            "MODEL": "plane",
            "OUTPUT": str(tmp_path / "tied.gpkg"),
            "OUTPUT_RESIDUALS": str(tmp_path / "residuals.csv"),
        },
    )
    assert tied["MODEL"] == "plane" and tied["STATIONS"] == 3
    assert "TIE_MM_YR" in read_points(tied["OUTPUT"]).fields


def test_gnss_bad_input_is_refused(tracks, station_files, tmp_path, run_algorithm):
    folder, asc, _ = tracks
    bare = tmp_path / "OLD1.tenv3"
    text = open(station_files[0]).read().replace(gnss_synthetic.TENV3_HEADER, "")
    rows = [" ".join(line.split()[:20]) for line in text.strip().splitlines()]
    bare.write_text(" ".join(gnss_synthetic.TENV3_HEADER.split()[:20]) + "\n" + "\n".join(rows))
    with pytest.raises(QgsProcessingException, match="no coordinates"):
        run_algorithm("importgnss", {"INPUT": [str(bare)], "OUTPUT": str(tmp_path / "g.gpkg")})
    with pytest.raises(QgsProcessingException, match="not a GNSS layer"):
        run_algorithm(
            "gnsscompare",
            {"INPUT": str(asc), "GNSS": str(asc), "OUTPUT_TABLE": str(tmp_path / "t.csv")},
        )
    with pytest.raises(QgsProcessingException, match="Incorrect parameter value for MODEL"):
        run_algorithm(
            "gnsstie",
            {
                "INPUT": str(asc),
                "GNSS": str(asc),
                "MODEL": "spline",
                "OUTPUT": str(tmp_path / "t.gpkg"),
            },
        )


def test_gnss_chain_as_a_model(provider, station_files, tracks, tmp_path):
    """importgnss feeding gnsscompare in a model, as the graphical modeler builds it."""
    from qgis import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
    )

    from tests.qgis.model_outputs import model_output_name

    _, asc, _ = tracks
    model = QgsProcessingModelAlgorithm("gnss check", "tests")
    importer = QgsProcessingModelChildAlgorithm("subsidence:importgnss")
    importer.setChildId("import")
    importer.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromStaticValue(station_files)]
    )
    importer.addParameterSources(
        "OUTPUT",
        [QgsProcessingModelChildParameterSource.fromStaticValue(str(tmp_path / "gnss.gpkg"))],
    )
    compare = QgsProcessingModelChildAlgorithm("subsidence:gnsscompare")
    compare.setChildId("compare")
    compare.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromStaticValue(str(asc))]
    )
    compare.addParameterSources(
        "GNSS", [QgsProcessingModelChildParameterSource.fromChildOutput("import", "OUTPUT")]
    )
    compare.addParameterSources(
        "RADIUS", [QgsProcessingModelChildParameterSource.fromStaticValue(150)]
    )
    for child in (importer, compare):  # the modeler's dialog fills every default in
        for parameter in child.algorithm().parameterDefinitions():
            if parameter.name() not in child.parameterSources() and not parameter.isDestination():
                child.addParameterSources(
                    parameter.name(),
                    [
                        QgsProcessingModelChildParameterSource.fromStaticValue(
                            parameter.defaultValue()
                        )
                    ],
                )
    table = QgsProcessingModelOutput("table", "Comparison table")
    table.setChildId("compare")
    table.setChildOutputName("OUTPUT_TABLE")
    compare.setModelOutputs({"table": table})
    model.addChildAlgorithm(importer)
    model.addChildAlgorithm(compare)
    valid, issues = model.validate()
    assert valid, issues
    table_name = model_output_name(model, "Comparison table")
    result = processing.run(
        model,
        {table_name: str(tmp_path / "compare.csv")},
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )
    assert (tmp_path / "compare.csv").exists() and result[table_name]


def test_decompose_through_qgis_process(tracks, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import qgis_process_cli

    _, asc, desc = tracks
    result = qgis_process_cli.run(
        "subsidence:decompose",
        {
            "INPUTS": [str(asc), str(desc)],
            "LOS": "auto|auto",
            "CELL_SIZE": 250,
            "SERIES": False,
            "OUTPUT_UP": str(tmp_path / "up.gpkg"),
            "OUTPUT_EAST": str(tmp_path / "east.gpkg"),
        },
    )
    assert int(result["CELLS"]) == 64 and int(result["DATES"]) == 0
    assert read_points(result["OUTPUT_UP"]).dates == []
