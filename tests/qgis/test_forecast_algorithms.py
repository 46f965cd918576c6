"""subsidence:forecastcompare and subsidence:forecast through Processing."""

import csv
import datetime as dt
import time

import numpy as np
import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from insar_subsidence.core.io.point_layers import PointSeries, write_points
from tests.qgis.feedback import CancelOnMessage

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def test_compare_writes_metrics_charts_and_forecasts(run_algorithm, test_data, tmp_path):
    result = run_algorithm(
        "forecastcompare",
        {
            "INPUT": str(test_data / "forecast" / "egms_l2b_5points.gpkg"),
            "MODELS": ["persistence", "harmonic", "gru"],
            "TEST_FRACTION": 0.2,
            "HORIZON": 3,
            "SEED": 1,
            "EPOCHS": 10,
            "OUTPUT_TABLE": str(tmp_path / "metrics.csv"),
            "OUTPUT_FOLDER": str(tmp_path / "out"),
        },
    )
    with open(result["OUTPUT_TABLE"]) as f:
        rows = list(csv.DictReader(f))
    assert {r["model"] for r in rows} == {"persistence", "harmonic", "gru"}
    assert len(rows) == 5 * 3 * 2 and {r["split"] for r in rows} == {"train", "test"}
    assert all(float(r["rmse"]) > 0 for r in rows)
    assert len(list((tmp_path / "out").glob("*.png"))) == 10
    assert (tmp_path / "out" / "forecasts.csv").exists()


def test_forecast_adds_forecast_and_band_fields(run_algorithm, test_data, tmp_path):
    out = tmp_path / "forecast.gpkg"
    result = run_algorithm(
        "forecast",
        {
            "INPUT": str(test_data / "forecast" / "egms_l2b_5points.gpkg"),
            "MODEL": "gru",
            "HORIZON": 2,
            "EPOCHS": 10,
            "ENSEMBLE": 2,
            "OUTPUT": str(out),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "fc", "ogr")
    assert layer.isValid() and layer.featureCount() == 5 and result["POINTS"] == 5
    names = [f.name() for f in layer.fields()]
    forecast = [n for n in names if n.startswith("F2")]
    assert (
        len(forecast) == 2 and "FLO" + forecast[0][1:] in names and "FHI" + forecast[0][1:] in names
    )
    for feature in layer.getFeatures():
        assert (
            feature["FLO" + forecast[0][1:]]
            < feature[forecast[0]]
            < feature["FHI" + forecast[0][1:]]
        )


def test_layer_without_date_fields_is_refused_naming_it(run_algorithm, tmp_path):
    bad = tmp_path / "no_dates.gpkg"
    write_points(
        bad,
        PointSeries(
            np.array([1.0]), np.array([2.0]), 32649, [], np.zeros((1, 0)), {"VEL": np.array([1.0])}
        ),
    )
    with pytest.raises(QgsProcessingException, match="no_dates"):
        run_algorithm(
            "forecastcompare",
            {"INPUT": str(bad), "MODELS": ["persistence"], "OUTPUT_TABLE": str(tmp_path / "m.csv")},
        )


def _short_layer(path, n_dates):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    series = np.cumsum(np.random.default_rng(1).normal(-1, 1, (3, n_dates)), axis=1)
    x, y = 500000 + 100 * np.arange(3.0), np.full(3, 4000000.0)
    write_points(path, PointSeries(x, y, 32649, dates, series, {}))
    return path


def test_short_series_are_refused_naming_the_layer_and_the_minimum(run_algorithm, tmp_path):
    short = _short_layer(tmp_path / "short.gpkg", 14)
    with pytest.raises(QgsProcessingException, match="short.gpkg: has 14 dates.*at least 15 d"):
        run_algorithm(
            "forecastcompare",
            {
                "INPUT": str(short),
                "MODELS": ["persistence"],
                "OUTPUT_TABLE": str(tmp_path / "m.csv"),
            },
        )
    shorter = _short_layer(tmp_path / "shorter.gpkg", 6)
    with pytest.raises(QgsProcessingException, match="shorter.gpkg: a series of 6 .* window of 8"):
        run_algorithm(
            "forecast", {"INPUT": str(shorter), "MODEL": "lstm", "OUTPUT": str(tmp_path / "f.gpkg")}
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.gpkg", "shorter.gpkg"]


@pytest.mark.parametrize(
    "algorithm, given",
    [
        ("forecastcompare", {"MODELS": ["lstm"], "OUTPUT_TABLE": "m.csv", "OUTPUT_FOLDER": "out"}),
        ("forecast", {"MODEL": "lstm", "ENSEMBLE": 2, "OUTPUT": "forecast.gpkg"}),
    ],
)
def test_a_cancel_during_network_training_stops_it_and_leaves_nothing(
    run_algorithm, test_data, tmp_path, algorithm, given
):
    """Up to 5000 epochs would train for minutes: the cancel stops the training at once."""
    parameters = {
        "INPUT": str(test_data / "forecast" / "egms_l2b_5points.gpkg"),
        "EPOCHS": 5000,
        **{k: str(tmp_path / v) if k.startswith("OUTPUT") else v for k, v in given.items()},
    }
    feedback = CancelOnMessage("training the networks")
    started = time.monotonic()
    with pytest.raises(QgsProcessingException, match="Cancelled by the user"):
        run_algorithm(algorithm, parameters, feedback)
    assert feedback.shown == 1 and time.monotonic() - started < 60
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
