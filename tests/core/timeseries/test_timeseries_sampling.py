"""Series at a map position and their fits, against synthetic files with known values."""

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from insar_subsidence.core.io.point_layers import PointSeries
from insar_subsidence.core.timeseries.sampling import (
    PointTable,
    fit_series,
    pixels_within,
    rereference,
    sample_points,
    sample_series_file,
    series_fields,
)

GRID = Grid(500000.0, 4000000.0, 20.0, -20.0, 10, 8, 32649)
DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(40)]


def _cube():
    """(n, L, W) metres: pixel (r, c) moves -(r*10 + c) mm/yr."""
    rows, cols = np.mgrid[0 : GRID.length, 0 : GRID.width]
    rate_m = -(rows * 10 + cols) / 1000.0
    t = years_since(DATES)
    return (t[:, None, None] * rate_m[None]).astype(np.float32), rate_m * 1000


def test_h5_single_pixel_and_radius_average(tmp_path):
    cube, rate = _cube()
    path = write_timeseries(tmp_path / "timeseries.h5", TimeSeries(DATES, cube, GRID, {}))
    x, y = GRID.xy(3, 4)
    one = sample_series_file(path, float(x), float(y), radius=5)
    assert one.count == 1 and one.std_mm is None and one.dates == DATES
    np.testing.assert_allclose(one.values_mm, cube[:, 3, 4] * 1000, rtol=1e-5)
    # 25 m: the pixel and its four neighbours (centres 20 m away), not the diagonals (28 m)
    five = sample_series_file(path, float(x), float(y), radius=25)
    assert five.count == 5
    expected = cube[:, [3, 2, 4, 3, 3], [4, 4, 4, 3, 5]] * 1000
    np.testing.assert_allclose(five.values_mm, expected.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(five.std_mm, expected.std(axis=1), rtol=1e-4, atol=1e-6)
    fit = fit_series(five.dates, five.values_mm)
    assert fit.rate_mm_yr == pytest.approx(-34.0, abs=1e-3)


def test_geotiff_stack_with_dated_band_names_in_metres(tmp_path):
    cube, _ = _cube()
    names = [f"D{d:%Y%m%d}" for d in DATES]
    path = write_geotiff(tmp_path / "ts.tif", cube, GRID, band_names=names, units="m")
    x, y = GRID.xy(7, 9)
    series = sample_series_file(path, float(x), float(y), radius=1)
    np.testing.assert_allclose(series.values_mm, cube[:, 7, 9] * 1000, rtol=1e-5)
    undated = write_geotiff(tmp_path / "bad.tif", cube[:2], GRID, band_names=["a", "b"])
    with pytest.raises(InputError, match="bad.tif.*band 1 has no date"):
        sample_series_file(undated, float(x), float(y))
    with pytest.raises(InputError, match="outside"):
        sample_series_file(path, 0.0, 0.0)


def test_points_radius_forecast_and_rereference():
    t = years_since(DATES)
    displacement = np.vstack([-10 * t, -30 * t, 5 * t])
    fields = {
        "F20211231": np.array([-20.0, -60.0, 10.0]),
        "FLO20211231": np.array([-25.0, -70.0, 5.0]),
        "FHI20211231": np.array([-15.0, -50.0, 15.0]),
        "VEL": np.array([-10, -30, 5.0]),
    }
    points = PointSeries(
        np.array([0.0, 30.0, 1000.0]), np.array([0.0, 0.0, 0.0]), 32649, DATES, displacement, fields
    )
    table = PointTable.from_point_series(points, "ps.gpkg")
    both = sample_points(table, 10.0, 0.0, radius=50)
    assert both.count == 2
    np.testing.assert_allclose(both.values_mm, -20 * t)
    np.testing.assert_allclose(both.std_mm, 10 * t)
    assert both.forecast.dates == [dt.date(2021, 12, 31)]
    assert both.forecast.values_mm[0] == -40 and both.forecast.low_mm[0] == -47.5
    assert both.forecast.high_mm[0] == -32.5
    reference = sample_points(table, 1000.0, 0.0, radius=50)
    relative = rereference(both, reference)
    assert fit_series(relative.dates, relative.values_mm).rate_mm_yr == pytest.approx(-25)
    with pytest.raises(InputError, match="ps.gpkg: no point within 50 m"):
        sample_points(table, 500.0, 0.0)


def test_seasonal_fit_recovers_rate_and_amplitude():
    t = years_since(DATES)
    rng = np.random.default_rng(1)
    values = 3 - 12 * t + 4 * np.sin(2 * np.pi * t + 0.7) + rng.normal(0, 0.5, t.size)
    fit = fit_series(DATES, values, seasonal=True)
    assert fit.rate_mm_yr == pytest.approx(-12, abs=3 * fit.rate_std_mm_yr + 0.1)
    assert fit.amplitude_mm == pytest.approx(4, abs=0.4)
    assert 0.1 < fit.rate_std_mm_yr < 1.0
    assert np.std(fit.evaluate(DATES) - values) < 0.7
    with pytest.raises(InputError, match="seasonal fit needs 5"):
        fit_series(DATES[:4], values[:4], seasonal=True)


def test_field_roles_and_pixel_fallback():
    roles = series_fields(
        ["VEL", "D20200101", "F20200301", "FLO20200301", "FHI20200301", "D20200113"]
    )
    assert [n for _, n in roles["observed"]] == ["D20200101", "D20200113"]
    assert [n for _, n in roles["low"]] == ["FLO20200301"]
    rows, cols = pixels_within(GRID, 500001.0, 3999999.0, 1.0)  # radius << pixel
    assert (rows.tolist(), cols.tolist()) == ([0], [0])
