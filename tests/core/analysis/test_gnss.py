"""GNSS as a check and a tie: synthetic stations with known offsets and ramps, on point
layers, rasters and the demo scene's truth time series."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.analysis.gnss import (
    GnssComparisonOptions,
    GnssTieOptions,
    TieModel,
    compare_with_gnss,
    tie_to_gnss,
)
from insar_subsidence.core.analysis.line_of_sight import los_from_heading
from insar_subsidence.core.analysis.los_products import LosProduct
from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
from insar_subsidence.core.io.gnss import GnssStation, write_gnss_layer
from insar_subsidence.core.io.mintpy import read_timeseries
from insar_subsidence.core.io.point_layers import PointSeries, read_points, write_points
from tests.core import gnss_synthetic

EPSG = 32649
X0, Y0 = 680_000.0, 3_940_000.0
MOTION = np.array([5.0, 3.0, -8.0])  # mm/yr east, north, up everywhere
ANNUAL = 3.0  # mm, vertical
HEADING, INCIDENCE = -12.0, 39.0
DATES = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * k) for k in range(90)]
STATION_XY = [(400, 400), (1600, 500), (900, 1500), (1500, 1700), (300, 1800)]


def _lonlat(x, y):
    from pyproj import Transformer

    return Transformer.from_crs(EPSG, 4326, always_xy=True).transform(x, y)


def _truth_los_series(dates, origin):
    t = years_since(list(dates), origin)
    enu = np.outer(t, MOTION)
    season = ANNUAL * np.sin(2 * np.pi * years_since(list(dates), dt.date(2020, 1, 1)))
    enu[:, 2] += season - ANNUAL * np.sin(2 * np.pi * years_since([origin], dt.date(2020, 1, 1)))
    return enu


def _ramp(x, y, a=1.5, b=2e-3, c=-1e-3):
    """mm/yr: a shift and gradients of 2 and -1 mm/yr per km."""
    return a + b * (np.asarray(x) - X0 - 1000) + c * (np.asarray(y) - Y0 - 1000)


def _product(path, rng, ramp=None, ramp_series=True, points=6000):
    x = X0 + rng.uniform(0, 2000, points)
    y = Y0 + rng.uniform(0, 2000, points)
    e = np.array(los_from_heading(INCIDENCE, HEADING))
    rate = np.full(points, e @ MOTION)
    series = np.tile(_truth_los_series(DATES, DATES[0]) @ e, (points, 1))
    if ramp is not None:
        rate = rate + ramp(x, y)
        if ramp_series:
            series = series + ramp(x, y)[:, None] * years_since(DATES)[None]
    fields = {"VEL": rate, "los_east": np.full(points, e[0])}
    fields.update(los_north=np.full(points, e[1]), los_up=np.full(points, e[2]))
    fields["pid"] = np.array([f"P{k}" for k in range(points)], dtype=object)
    write_points(path, PointSeries(x, y, EPSG, DATES, series, fields))
    return path


def _stations(path, positions=STATION_XY, start=dt.date(2019, 6, 1), days=1500):
    dates = gnss_synthetic.daily(start, days)
    stations = []
    for k, (dx, dy) in enumerate(positions):
        lon, lat = _lonlat(X0 + dx, Y0 + dy)
        enu = _truth_los_series(dates, dates[0])
        stations.append(GnssStation(f"S{k + 1}", lon, lat, dates, enu, np.full(enu.shape, np.nan)))
    return write_gnss_layer(path, stations)


def test_comparison_finds_the_known_rate_offset(tmp_path):
    rng = np.random.default_rng(1)
    product = _product(tmp_path / "asc.gpkg", rng, lambda x, y: np.full(len(x), 2.0))
    far = STATION_XY + [(9000, 9000)]
    gnss = _stations(tmp_path / "gnss.gpkg", far)
    result = compare_with_gnss(
        LosProduct(product),
        gnss,
        tmp_path / "compare.csv",
        tmp_path / "charts",
        GnssComparisonOptions(radius_m=80),
    )
    assert result.skipped == ["S6"] and len(result.stations) == 5
    for row in result.stations:
        assert row.rate_difference == pytest.approx(2.0, abs=0.02)
        assert row.samples > 5
        # after the common offset, the series differ by 2 mm/yr times (t - mean t)
        assert row.series_rmse == pytest.approx(2.0 * np.std(years_since(DATES)), abs=0.02)
        assert row.pearson_r > 0.99
        assert row.chart.exists()
    assert result.overall["bias"] == pytest.approx(2.0, abs=0.02)
    assert result.overall["rate_std"] < 0.02
    with open(tmp_path / "compare.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["station", "lon", "lat"] and rows[1][0] == "S1"
    assert float(rows[1][9]) == pytest.approx(2.0, abs=0.02)


def test_comparison_of_a_vertical_product(tmp_path):
    rng = np.random.default_rng(2)
    x = X0 + rng.uniform(0, 2000, 3000)
    y = Y0 + rng.uniform(0, 2000, 3000)
    up = np.tile(_truth_los_series(DATES, DATES[0])[:, 2], (3000, 1))
    path = write_points(
        tmp_path / "up.gpkg",
        PointSeries(x, y, EPSG, DATES, up, {"VEL": np.full(3000, MOTION[2])}),
    )
    gnss = _stations(tmp_path / "gnss.gpkg")
    result = compare_with_gnss(LosProduct(path, "vertical"), gnss)
    assert all(abs(r.rate_difference) < 0.02 for r in result.stations)
    assert all(r.los.tolist() == [0.0, 0.0, 1.0] for r in result.stations)
    with pytest.raises(InputError, match="no line-of-sight vector"):
        compare_with_gnss(LosProduct(path), gnss)


def test_plane_tie_removes_a_known_offset_and_ramp(tmp_path):
    rng = np.random.default_rng(3)
    product = _product(tmp_path / "asc.gpkg", rng, _ramp)
    gnss = _stations(tmp_path / "gnss.gpkg")
    result = tie_to_gnss(
        LosProduct(product),
        gnss,
        tmp_path / "tied.gpkg",
        tmp_path / "residuals.csv",
        GnssTieOptions(radius_m=80),
    )
    assert result.model == "plane"
    a, b, c = result.coefficients  # mm/yr at the stations' centre, per km east and north
    centre = np.mean(STATION_XY, axis=0)
    assert a == pytest.approx(-_ramp(X0 + centre[0], Y0 + centre[1]), abs=0.05)
    assert (b, c) == pytest.approx((-2.0, 1.0), abs=0.05)
    tied = read_points(tmp_path / "tied.gpkg")
    e = np.array(los_from_heading(INCIDENCE, HEADING))
    np.testing.assert_allclose(tied.fields["VEL"], e @ MOTION, atol=0.05)
    truth = _truth_los_series(DATES, DATES[0]) @ e
    np.testing.assert_allclose(tied.displacement_mm, np.tile(truth, (len(tied), 1)), atol=0.2)
    assert tied.fields["pid"][0] == "P0"  # other fields kept
    assert np.all(np.abs([r["residual_mm_yr"] for r in result.residuals]) < 0.05)
    assert np.all(np.abs([r["leave_one_out_mm_yr"] for r in result.residuals]) < 0.1)
    with open(tmp_path / "residuals.csv") as handle:
        assert next(csv.reader(handle))[0] == "station"


def test_one_station_shifts_and_collinear_stations_fall_back(tmp_path):
    rng = np.random.default_rng(4)
    product = _product(tmp_path / "asc.gpkg", rng, _ramp, points=3000)
    one = _stations(tmp_path / "one.gpkg", [(1000, 1000)])
    result = tie_to_gnss(LosProduct(product), one, tmp_path / "tied.gpkg")
    assert result.model == "shift"
    assert result.coefficients[0] == pytest.approx(-1.5, abs=0.1)
    assert abs(result.residuals[0]["residual_mm_yr"]) < 1e-9
    line = _stations(tmp_path / "line.gpkg", [(200, 200), (1000, 1000), (1800, 1800)])
    fallback = tie_to_gnss(
        LosProduct(product), line, tmp_path / "tied2.gpkg", options=GnssTieOptions(radius_m=100)
    )
    assert fallback.model == "shift" and "lie on a line" in fallback.messages[0]
    with pytest.raises(InputError, match="lie on a line"):
        tie_to_gnss(
            LosProduct(product),
            line,
            tmp_path / "tied3.gpkg",
            options=GnssTieOptions(radius_m=100, model=TieModel.PLANE),
        )
    outside = _stations(tmp_path / "outside.gpkg", [(9000, 9000)])
    with pytest.raises(InputError, match="none of the 1 GNSS stations"):
        tie_to_gnss(LosProduct(product), outside, tmp_path / "tied4.gpkg")
    with pytest.raises(InputError, match="written as .gpkg"):
        tie_to_gnss(LosProduct(product), one, tmp_path / "tied.tif")


def test_tie_of_a_rate_raster(tmp_path):
    grid = Grid(X0, Y0 + 2000, 50.0, -50.0, 40, 40, EPSG)
    rows, cols = np.mgrid[0:40, 0:40]
    x, y = grid.xy(rows, cols)
    e = np.array(los_from_heading(INCIDENCE, HEADING))
    rate = (e @ MOTION + _ramp(x, y)).astype(np.float32)
    path = write_geotiff(tmp_path / "velocity.tif", rate, grid, ["LOS velocity (mm/yr)"])
    gnss = _stations(tmp_path / "gnss.gpkg")
    los = f"incidence={INCIDENCE};heading={HEADING}"
    tie_to_gnss(LosProduct(path, los), gnss, tmp_path / "tied.tif", options=GnssTieOptions(60))
    tied, _ = read_raster(tmp_path / "tied.tif")
    np.testing.assert_allclose(tied, e @ MOTION, atol=0.02)


def test_tie_of_the_demo_truth_time_series(tmp_path):
    """Stations on the demo scene (its vertical truth at five pixels), the scene's truth LOS
    time series with a known offset and ramp added: the tie gives the truth back."""
    from insar_subsidence.core.demo.scene import make_scene
    from insar_subsidence.core.demo.truth import write_truth
    from insar_subsidence.core.io.mintpy import TimeSeries, write_geometry, write_timeseries

    scene = make_scene(seed=5, size=48, n_acquisitions=40)
    truth = write_truth(scene, tmp_path / "truth")["truth_timeseries"]
    series = read_timeseries(truth)
    rows, cols = np.mgrid[0 : scene.grid.length, 0 : scene.grid.width]
    x, y = scene.grid.xy(rows, cols)
    ramp_m = (0.002 + 1e-6 * (x - x.mean()) - 5e-7 * (y - y.mean())) / 1.0  # m/yr
    years = years_since(scene.dates)
    shifted = series.data + (years[:, None, None] * ramp_m[None]).astype(np.float32)
    folder = tmp_path / "product"
    write_timeseries(
        folder / "timeseries.h5", TimeSeries(scene.dates, shifted, scene.grid, series.attrs)
    )
    write_geometry(
        folder / "geometryGeo.h5", scene.grid, scene.height, scene.incidence, scene.azimuth
    )
    daily = gnss_synthetic.daily(scene.dates[0], (scene.dates[-1] - scene.dates[0]).days + 1)
    vertical = scene.vertical_displacement(daily)
    stations = []
    for k, (row, col) in enumerate([(5, 5), (5, 40), (40, 8), (42, 42), (24, 30)]):
        lon, lat = _lonlat(*scene.grid.xy(row, col))
        enu = np.zeros((len(daily), 3))
        enu[:, 2] = vertical[:, row, col] * 1000.0
        stations.append(GnssStation(f"D{k}", lon, lat, daily, enu, np.full(enu.shape, np.nan)))
    gnss = write_gnss_layer(tmp_path / "gnss.gpkg", stations)
    product = LosProduct(folder / "timeseries.h5")
    compared = compare_with_gnss(product, gnss, options=GnssComparisonOptions(radius_m=40))
    assert len(compared.stations) == 5 and compared.overall["rate_rms"] > 1.0
    result = tie_to_gnss(product, gnss, tmp_path / "tied.h5", options=GnssTieOptions(40))
    assert result.model == "plane"
    tied = read_timeseries(tmp_path / "tied.h5").data
    # bowls curve the truth between pixels: a few tenths of a mm at most
    assert np.nanmax(np.abs(tied - series.data)) * 1000 < 0.6
    assert np.sqrt(np.nanmean((tied - series.data) ** 2)) * 1000 < 0.1


def test_station_overlay_for_a_clicked_point(tmp_path):
    """What the time-series dock draws: the nearest station in the layer's LOS, aligned to the
    plotted series."""
    from insar_subsidence.core.analysis.gnss import station_overlay
    from insar_subsidence.core.io.gnss import read_gnss_layer

    rng = np.random.default_rng(6)
    product = LosProduct(_product(tmp_path / "asc.gpkg", rng, points=2000))
    stations = read_gnss_layer(_stations(tmp_path / "gnss.gpkg"))
    x, y = X0 + 420.0, Y0 + 380.0  # 28 m from S1
    los = product.los_near(x, y, f"EPSG:{EPSG}", 60.0)
    np.testing.assert_allclose(los, los_from_heading(INCIDENCE, HEADING), atol=1e-9)
    plotted = _truth_los_series(DATES, DATES[0]) @ los + 7.0  # referenced elsewhere: +7 mm
    overlay = station_overlay(stations, x, y, f"EPSG:{EPSG}", los, DATES, plotted)
    assert overlay.name == "S1" and overlay.distance_m == pytest.approx(28.3, abs=0.5)
    assert overlay.dates[0] == DATES[0] and overlay.dates[-1] == DATES[-1]
    on_dates = np.interp(
        [d.toordinal() for d in DATES], [d.toordinal() for d in overlay.dates], overlay.values_mm
    )
    np.testing.assert_allclose(on_dates, plotted, atol=0.05)
    assert station_overlay(stations, X0 + 20_000, Y0, f"EPSG:{EPSG}", los, DATES) is None
    vertical = station_overlay(stations, x, y, f"EPSG:{EPSG}", (0, 0, 1), DATES)
    # zero at the first date: the mean of the epochs within 3 days of it
    assert vertical.values_mm[0] == pytest.approx(0.0, abs=0.1)
