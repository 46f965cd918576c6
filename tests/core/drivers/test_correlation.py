"""Lagged correlation, significance and seasonal fit on hand-computable series."""

import csv
import datetime as dt

import numpy as np
import pytest
from scipy import stats

from insar_subsidence.core.drivers.correlation import (
    CorrelationOptions,
    Series,
    correlate,
    correlate_drivers,
    correlation_p_value,
    effective_sample_size,
    lagged_correlation,
    load_displacement,
    pick_best,
    read_series_csv,
    resample_monthly,
    seasonal_fit,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from insar_subsidence.core.io.point_layers import PointSeries, write_points


def months(n, start=(2018, 1)):
    year, month = start
    out = []
    for _ in range(n):
        out.append(dt.date(year, month, 15))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def test_shifted_sinusoid_recovers_the_lag_exactly():
    m = np.arange(48)
    driver = np.sin(2 * np.pi * m / 12)
    response = np.sin(2 * np.pi * (m - 3) / 12)  # follows the driver by 3 months
    results = lagged_correlation(driver, response, range(-2, 6))
    best = pick_best(results)
    assert best.lag == 3 and best.r == pytest.approx(1.0)
    assert results[0].lag == -2 and results[0].n == 46
    # r(k) = cos(2 pi (k - 3) / 12) up to the finite-window effect
    assert results[2].r == pytest.approx(np.cos(2 * np.pi * 3 / 12), abs=0.05)


def test_negative_lag_when_displacement_leads():
    m = np.arange(60)
    driver = np.sin(2 * np.pi * m / 12)
    assert pick_best(lagged_correlation(driver, np.roll(driver, -2), range(-4, 5))).lag == -2


def test_best_lag_choice_positive_negative_absolute():
    m = np.arange(60)
    driver = np.sin(2 * np.pi * m / 12)
    response = -np.sin(2 * np.pi * (m - 1) / 12)  # anti-correlated, 1 month later
    results = lagged_correlation(driver, response, range(0, 6))
    assert pick_best(results, "negative").lag == 1
    assert pick_best(results, "positive").lag == 5  # r = cos(2 pi (5 - 7) / 12) = 0.5
    assert pick_best(results, "absolute").lag == 1


def test_effective_sample_size_and_p_value_by_hand():
    assert effective_sample_size(100, 0.5, 0.5) == pytest.approx(60.0)  # 100 * 0.75 / 1.25
    assert effective_sample_size(100, 0.0, 0.9) == 100
    assert effective_sample_size(10, 0.99, 0.99) == 2.0  # floored
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(size=40)
    r, p = stats.pearsonr(x, y)
    assert correlation_p_value(r, 40) == pytest.approx(p)  # N_eff = N: the textbook test
    assert correlation_p_value(0.0, 30) == pytest.approx(1.0)


def test_autocorrelation_lowers_significance():
    m = np.arange(48)
    rng = np.random.default_rng(3)
    driver = np.sin(2 * np.pi * m / 12) + 0.8 * rng.normal(size=48)
    response = np.sin(2 * np.pi * (m - 2) / 12) + 0.8 * rng.normal(size=48)
    res = lagged_correlation(driver, response, [2])[0]
    assert res.n_eff < res.n
    assert res.p_value > correlation_p_value(res.r, res.n)


def test_monthly_resampling_and_gap_fill():
    dates = [dt.date(2020, 1, 5), dt.date(2020, 1, 25), dt.date(2020, 3, 10)]
    axis, values = resample_monthly(dates, np.array([1.0, 3.0, 6.0]))
    assert axis.tolist() == [2020 * 12, 2020 * 12 + 1, 2020 * 12 + 2]
    assert values.tolist() == [2.0, 4.0, 6.0]  # January mean, February interpolated


def test_seasonal_fit_amplitude_and_peak_day():
    dates = [dt.date(2019, 1, 1) + dt.timedelta(days=12 * k) for k in range(90)]
    t = np.array([(d - dt.date(d.year, 1, 1)).days / 365.0 for d in dates])
    values = 5 * np.cos(2 * np.pi * (t - 99 / 365.0)) + 0.01 * np.arange(90)
    season = seasonal_fit(dates, values)
    assert season.amplitude == pytest.approx(5.0, rel=0.01)
    assert season.peak_doy == pytest.approx(100.0, abs=2.0)


def test_correlate_series_with_trend_and_phase_lag():
    dates = months(48)
    m = np.arange(48)
    rain = Series("rain", dates, 50 + 40 * np.cos(2 * np.pi * (m - 6) / 12), "mm")
    disp = Series("disp", dates, -2.0 * m + 5 * np.cos(2 * np.pi * (m - 8) / 12), "mm")
    result = correlate(disp, rain, CorrelationOptions(min_lag=0, max_lag=5))
    assert result.best.lag == 2 and result.best.r > 0.99
    assert result.phase_lag_days == pytest.approx(61, abs=3)
    assert result.driver_season.amplitude == pytest.approx(40, rel=0.02)
    assert result.displacement_season.amplitude == pytest.approx(5, rel=0.05)
    assert result.months == 48


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_reading_and_bad_dates(tmp_path):
    good = write_csv(
        tmp_path / "rain.csv",
        ["date", "rainfall (mm)"],
        [["2020-01", "10"], ["20200215", ""], ["2020/03/15", "30"], ["2020-04-15", "5"]],
    )
    series = read_series_csv(good)
    assert series.name == "rainfall" and series.unit == "mm"
    assert series.dates[0] == dt.date(2020, 1, 15) and series.values.tolist() == [10, 30, 5]
    bad = write_csv(tmp_path / "bad.csv", ["date", "v"], [["2020-01-15", "1"], ["March 2020", "2"]])
    with pytest.raises(InputError, match="bad.csv: line 3: 'March 2020' is not a date"):
        read_series_csv(bad)
    text = write_csv(tmp_path / "text.csv", ["date", "v"], [["2020-01-15", "lots"]])
    with pytest.raises(InputError, match="text.csv: line 2"):
        read_series_csv(text)


def test_short_overlap_names_the_driver(tmp_path):
    disp = Series("d", months(24), np.arange(24.0))
    far = Series("far", months(24, (2030, 1)), np.arange(24.0), source=str(tmp_path / "far.csv"))
    with pytest.raises(InputError, match="far.csv: it overlaps the displacement by only 0"):
        correlate(disp, far)


GRID = Grid(0.0, 40.0, 10.0, -10.0, 4, 4, 32649)


def test_displacement_sources_timeseries_points_and_region(tmp_path):
    dates = [dt.date(2019, 1, 1) + dt.timedelta(days=12 * k) for k in range(40)]
    data = np.zeros((40, 4, 4), np.float32)
    data[:, :2, :2] = np.arange(40)[:, None, None] * 0.001  # 1 mm per date, north-west
    data[:, 3, 3] = np.nan
    h5 = write_timeseries(tmp_path / "timeseries.h5", TimeSeries(dates, data, GRID, {}))
    at_pixel = load_displacement(h5, x=5.0, y=35.0)
    np.testing.assert_allclose(at_pixel.values, np.arange(40), atol=1e-4)  # m -> mm
    whole = load_displacement(h5)
    np.testing.assert_allclose(whole.values, np.arange(40) * 4 / 15, atol=1e-4)  # NaN skipped
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32649)
    region = tmp_path / "region.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(region))
    layer = ds.CreateLayer("r", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON ((0 20, 40 20, 40 40, 0 40, 0 20))"))
    layer.CreateFeature(feature)
    ds = None
    np.testing.assert_allclose(
        load_displacement(h5, region_path=region).values, np.arange(40) / 2, atol=1e-4
    )  # top two rows: half move
    points = write_points(
        tmp_path / "ps.gpkg",
        PointSeries(
            np.array([5.0, 35.0]),
            np.array([35.0, 5.0]),
            32649,
            dates,
            np.vstack([np.arange(40.0), np.zeros(40)]),
        ),
    )
    assert load_displacement(points, x=6, y=34).values[-1] == 39
    assert load_displacement(points).values[-1] == 19.5
    with pytest.raises(InputError, match="timeseries.h5: the point"):
        load_displacement(h5, x=500.0, y=500.0)


def test_full_run_writes_tables_and_chart(tmp_path):
    dates = months(40)
    m = np.arange(40)
    disp = write_csv(
        tmp_path / "disp.csv",
        ["date", "disp (mm)"],
        [
            [d.isoformat(), f"{-m_ + 4 * np.sin(2 * np.pi * (m_ - 1) / 12):.4f}"]
            for d, m_ in zip(dates, m, strict=True)
        ],
    )
    rain = write_csv(
        tmp_path / "rain.csv",
        ["date", "rain (mm)"],
        [
            [d.isoformat(), f"{50 + 30 * np.sin(2 * np.pi * m_ / 12):.3f}"]
            for d, m_ in zip(dates, m, strict=True)
        ],
    )
    table, plot, lags = tmp_path / "t.csv", tmp_path / "p.png", tmp_path / "l.csv"
    correlate_drivers(disp, [rain], table, plot, lags, options=CorrelationOptions(max_lag=4))
    row = next(csv.DictReader(open(table)))
    assert row["driver"] == "rain" and row["best_lag_months"] == "1"
    assert row["significant"] == "1"
    assert len(list(csv.DictReader(open(lags)))) == 5
    assert plot.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="no driver series"):
        correlate_drivers(disp, [], table)


def test_demo_scene_basin_follows_rainfall_by_two_months(tmp_path):
    """The demo extension's rainfall/GRACE series carry the injected lags of the scene truth."""
    from insar_subsidence.core.demo.extensions import landuse as extension
    from insar_subsidence.core.demo.scene import make_scene

    scene = make_scene(size=32, n_acquisitions=90)
    paths = extension.write(scene, tmp_path, np.random.default_rng(0), lambda f, m="": True)
    weight = scene.groundwater
    disp = scene.vertical_displacement()
    basin = (disp * weight[None]).sum(axis=(1, 2)) / weight.sum() * 1000
    series = Series("basin", scene.dates, basin, "mm")
    for key, lag in (
        ("landuse_rainfall", extension.RAINFALL_LAG_MONTHS),
        ("landuse_grace", extension.GRACE_LAG_MONTHS),
    ):
        result = correlate(series, read_series_csv(paths[key]))
        assert result.best.lag == lag and result.best.p_value < 0.05
