"""Drivers algorithms through Processing: small data and bad inputs."""

import csv
import datetime as dt

import numpy as np
import pytest
from osgeo import ogr, osr
from qgis.core import QgsProcessingException

from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from tests.qgis.feedback import CancelOnMessage

GRID = Grid(500000.0, 4000000.0, 10.0, -10.0, 30, 30, 32649)


def polygons(path, wkts, epsg=32649):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer(path.stem, srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for k, wkt in enumerate(wkts):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        feature.SetField("name", f"p{k}")
        layer.CreateFeature(feature)
    ds = None
    return str(path)


def box(c0, r0, c1, r1):
    x0, y0 = GRID.x_first + 10 * c0, GRID.y_first - 10 * r1
    x1, y1 = GRID.x_first + 10 * c1, GRID.y_first - 10 * r0
    return f"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


@pytest.fixture
def velocity(tmp_path):
    rates = np.zeros(GRID.shape, np.float32)
    rates[5:15, 5:15] = -25  # a 10 x 10 pixel bowl: 0.01 km2
    return str(write_geotiff(tmp_path / "velocity.tif", rates, GRID, units="mm/yr"))


def test_landuse_transition(run_algorithm, tmp_path, velocity):
    before = np.ones(GRID.shape, np.uint8)
    after = before.copy()
    after[5:15, 5:15] = 5
    b = write_geotiff(tmp_path / "lu2019.tif", before, GRID, nodata=0)
    a = write_geotiff(tmp_path / "lu2021.tif", after, GRID, nodata=0)
    result = run_algorithm(
        "landusetransition",
        {
            "INPUT_BEFORE": str(b),
            "INPUT_AFTER": str(a),
            "VELOCITY": velocity,
            "OUTPUT_TABLE": str(tmp_path / "m.csv"),
            "OUTPUT_RATES": str(tmp_path / "r.csv"),
            "OUTPUT_PLOT": str(tmp_path / "s.png"),
        },
    )
    rows = list(csv.reader(open(result["OUTPUT_TABLE"])))
    assert rows[0][1:] == ["1", "5"]
    assert float(rows[1][1]) == pytest.approx(0.08) and float(rows[1][2]) == pytest.approx(0.01)
    assert list(csv.reader(open(result["OUTPUT_RATES"])))[1][2] == "-25"


def test_landuse_mismatched_grids_name_the_file(run_algorithm, tmp_path):
    b = write_geotiff(tmp_path / "lu2019.tif", np.ones(GRID.shape, np.uint8), GRID, nodata=0)
    other = Grid(800000.0, 4000000.0, 10.0, -10.0, 30, 30, 32649)
    a = write_geotiff(tmp_path / "elsewhere.tif", np.ones(GRID.shape, np.uint8), other, nodata=0)
    with pytest.raises(QgsProcessingException, match="elsewhere.tif.*overlap"):
        run_algorithm(
            "landusetransition",
            {
                "INPUT_BEFORE": str(b),
                "INPUT_AFTER": str(a),
                "OUTPUT_TABLE": str(tmp_path / "m.csv"),
                "OUTPUT_PLOT": str(tmp_path / "s.png"),
            },
        )


def test_zonalstats_with_mining(run_algorithm, tmp_path, velocity):
    zones = polygons(tmp_path / "zones.gpkg", [box(0, 0, 30, 15), box(0, 15, 30, 30)])
    mining = polygons(tmp_path / "mining.gpkg", [box(5, 5, 15, 15)])
    result = run_algorithm(
        "zonalstats",
        {
            "INPUT": zones,
            "VELOCITY": velocity,
            "THRESHOLD": -10,
            "MINING": mining,
            "OUTPUT": str(tmp_path / "zonal.gpkg"),
            "OUTPUT_MINING_TABLE": str(tmp_path / "mining.csv"),
        },
    )
    # all 100 subsiding pixels lie in the 100-pixel concession out of 900: ratio 9
    assert result["ENRICHMENT_RATIO"] == pytest.approx(9.0)
    ds = ogr.Open(result["OUTPUT"])
    counts = [f.GetField("subsiding_count") for f in ds.GetLayer(0)]
    assert counts == [100, 0]


def test_zonalstats_empty_polygons(run_algorithm, tmp_path, velocity):
    empty = polygons(tmp_path / "empty.gpkg", [])
    with pytest.raises(QgsProcessingException, match="empty.gpkg: holds no polygons"):
        run_algorithm(
            "zonalstats", {"INPUT": empty, "VELOCITY": velocity, "OUTPUT": str(tmp_path / "z.gpkg")}
        )


def test_detectbowls(run_algorithm, tmp_path, velocity):
    mining = polygons(tmp_path / "mining.gpkg", [box(20, 5, 25, 15)])
    result = run_algorithm(
        "detectbowls",
        {
            "INPUT": velocity,
            "THRESHOLD": -10,
            "MIN_AREA": 0.005,
            "MINING": mining,
            "OUTPUT": str(tmp_path / "b.gpkg"),
        },
    )
    assert result["BOWL_COUNT"] == 1
    ds = ogr.Open(result["OUTPUT"])
    feature = ds.GetLayer(0).GetNextFeature()
    assert feature.GetField("area_km2") == pytest.approx(0.01)
    assert feature.GetField("mine_distance_m") == pytest.approx(50.0)


def write_series(path, rows, header=("date", "value")):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_correlatedrivers_csv_and_bad_dates(run_algorithm, tmp_path):
    dates = [dt.date(2019 + k // 12, k % 12 + 1, 15) for k in range(36)]
    disp = write_series(
        tmp_path / "disp.csv",
        [(d.isoformat(), np.sin(2 * np.pi * (k - 2) / 12)) for k, d in enumerate(dates)],
    )
    rain = write_series(
        tmp_path / "rain.csv",
        [(d.isoformat(), 50 + 40 * np.sin(2 * np.pi * k / 12)) for k, d in enumerate(dates)],
    )
    grace = write_series(
        tmp_path / "grace.csv",
        [(d.isoformat(), np.sin(2 * np.pi * (k - 1) / 12)) for k, d in enumerate(dates)],
    )
    result = run_algorithm(
        "correlatedrivers",
        {
            "INPUT": disp,
            "SERIES": [rain, grace],
            "MAX_LAG": 4,
            "OUTPUT_TABLE": str(tmp_path / "t.csv"),
            "OUTPUT_PLOT": str(tmp_path / "p.png"),
        },
    )
    rows = list(csv.DictReader(open(result["OUTPUT_TABLE"])))
    assert [r["best_lag_months"] for r in rows] == ["2", "1"]
    bad = write_series(tmp_path / "bad_dates.csv", [("15.01.2019", 3), ("15.02.2019", 4)])
    with pytest.raises(QgsProcessingException, match="bad_dates.csv: line 2"):
        run_algorithm(
            "correlatedrivers",
            {
                "INPUT": disp,
                "SERIES": [bad],
                "OUTPUT_TABLE": str(tmp_path / "t2.csv"),
                "OUTPUT_PLOT": str(tmp_path / "p2.png"),
            },
        )


def test_studyreport(run_algorithm, tmp_path, velocity):
    table = write_series(tmp_path / "metrics.csv", [("rmse", 1.5)], ("metric", "value"))
    result = run_algorithm(
        "studyreport",
        {
            "TITLE": "Test area",
            "VELOCITY": velocity,
            "TABLES": [table],
            "OUTPUT": str(tmp_path / "r.html"),
        },
    )
    text = open(result["OUTPUT"]).read()
    assert "Test area" in text and "data:image/png;base64," in text and "rmse" in text
    with pytest.raises(QgsProcessingException, match="nothing to report"):
        run_algorithm("studyreport", {"OUTPUT": str(tmp_path / "r2.html")})


def test_correlatedrivers_on_a_time_series_honours_cancel_while_reading(run_algorithm, tmp_path):
    """The whole-area mean reads every date of timeseries.h5 (gigabytes for a real stack)."""
    dates = [dt.date(2019 + k // 12, k % 12 + 1, 15) for k in range(30)]
    data = np.broadcast_to(np.sin(np.arange(30) / 3.0)[:, None, None] / 1000, (30,) + GRID.shape)
    series = write_timeseries(
        tmp_path / "timeseries.h5", TimeSeries(dates, data.astype(np.float32), GRID, {})
    )
    rain = write_series(
        tmp_path / "rain.csv", [(d.isoformat(), np.cos(k / 3.0)) for k, d in enumerate(dates)]
    )
    feedback = CancelOnMessage("Reading 30 dates")
    with pytest.raises(QgsProcessingException, match="Cancelled by the user"):
        run_algorithm(
            "correlatedrivers",
            {
                "INPUT": str(series),
                "SERIES": [rain],
                "OUTPUT_TABLE": str(tmp_path / "t.csv"),
                "OUTPUT_PLOT": str(tmp_path / "p.png"),
            },
            feedback,
        )
    assert feedback.shown == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rain.csv", "timeseries.h5"]
