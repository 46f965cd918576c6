"""Profiles along a line: projection, binning and metrics against hand-computed answers."""

import numpy as np
import pytest

from insar_subsidence.core.analysis.profile import (
    PointIndex,
    ProfileOptions,
    below_threshold_intervals,
    bin_profile,
    cumulative_length,
    degree_distance,
    line_substring,
    make_profile,
    plot_profiles_png,
    profile_sources,
    project_onto_line,
    sample_points_along,
    sample_raster_along,
    write_profiles_csv,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid


def test_projection_distance_offset_and_nearest_segment():
    line = [(0, 0), (100, 0), (100, 100)]
    x = np.array([50, 50, 50, 105, 150, 100, 101, -20])
    y = np.array([10, -30, 50, 50, 0, -5, 1, 0])
    x[7] = -25
    idx, along, offset = project_onto_line(PointIndex(x, y), line, buffer=20)
    got = {int(i): (a, o) for i, a, o in zip(idx, along, offset, strict=True)}
    assert set(got) == {0, 3, 5, 6}  # 1 and 2 too far, 4 beyond the corner, 7 behind the start
    assert got[0] == pytest.approx((50, 10))  # left of an eastward segment: positive
    assert got[3] == pytest.approx((150, -5))  # right of the northward segment
    assert got[5][0] == pytest.approx(100)  # at the corner
    assert abs(got[5][1]) == pytest.approx(5)
    assert got[6][0] == pytest.approx(101)  # closer to segment 1 (1 m) than 0 (1 m): tie
    assert list(along) == sorted(along)


def test_points_along_keep_values_of_their_own_point():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1000, 5000), rng.uniform(0, 1000, 5000)
    values = x * 0.01  # rate grows eastward
    samples = sample_points_along(PointIndex(x, y), values, [(0, 500), (1000, 500)], 25)
    assert np.all(np.abs(y[samples.index] - 500) <= 25)
    np.testing.assert_allclose(samples.values, x[samples.index] * 0.01)
    np.testing.assert_allclose(samples.distance_m, x[samples.index])
    inside = np.abs(y - 500) <= 25
    assert len(samples.index) == inside.sum()


def test_binning_and_metrics_of_a_v_shaped_funnel():
    # rate = -20 + |d - 500| / 25 along a 1 km line: min -20 at 500 m, below -10 for |d-500|<250
    d = np.arange(5, 1000, 10.0)
    samples_values = -20 + np.abs(d - 500) / 25
    from insar_subsidence.core.analysis.profile import ProfileSamples

    samples = ProfileSamples(d, np.zeros_like(d), samples_values, np.arange(d.size))
    profile = make_profile("v", samples, [(0, 0), (1000, 0)], 10.0, -10.0)
    m = profile.metrics
    assert m.minimum == pytest.approx(-19.8)
    assert m.minimum_at_m in (495, 505)
    assert m.width_m == pytest.approx(500, abs=1)
    assert m.affected_length_m == pytest.approx(500, abs=1)
    assert m.affected[0] == pytest.approx((250, 750), abs=1)


def test_intervals_two_runs_and_run_touching_the_end():
    d = np.array([0, 1, 2, 3, 4, 5, 6.0])
    v = np.array([0, -20, 0, 0, -20, -20, -20.0])
    runs = below_threshold_intervals(d, v, -10, half_width=0.5, line_length=6.2)
    assert [pytest.approx(run) for run in [(0.5, 1.5), (3.5, 6.2)]] == runs
    # a run from the first valid sample extends half a bin before it, not to the line start
    sparse = below_threshold_intervals(
        np.array([0.5, 1.5, 2.5, 3.5]), np.array([np.nan, -20, -20, 0.0]), -10, half_width=0.5
    )
    assert [pytest.approx((1.0, 3.0))] == sparse


def test_raster_profile_finds_the_bowl_of_a_synthetic_grid():
    grid = Grid(0.0, 2000.0, 20.0, -20.0, 100, 100, 32649)
    xc, yc = grid.xy(*np.mgrid[0:100, 0:100])
    rate = -30 * np.exp(-((xc - 1000) ** 2 + (yc - 1000) ** 2) / (2 * 200.0**2))
    line = [(0, 1010), (2000, 1010)]
    samples = sample_raster_along(rate, grid, line, 15)
    assert np.all(np.abs(samples.offset_m) <= 15)
    profile = make_profile("rate", samples, line, 20.0, -10.0, epsg=32649)
    m = profile.metrics
    assert m.minimum == pytest.approx(-30, abs=0.2)
    assert m.minimum_at_m == pytest.approx(1000, abs=20)
    # -30 exp(-r^2/2s^2) = -10  ->  r = s sqrt(2 ln 3)
    assert m.width_m == pytest.approx(2 * 200 * np.sqrt(2 * np.log(3)), rel=0.03)
    # UTM 49N near the equator: 2 km is ~0.018 degrees
    assert profile.degrees[-1] == pytest.approx(2000 / 111_000, rel=0.05)


def test_degrees_of_a_geographic_line_equal_its_length():
    degrees = degree_distance([(110, 35), (110.03, 35.04)], [0.05], epsg=4326)
    assert degrees[0] == pytest.approx(0.05)


def test_substring_and_bad_lines():
    part = line_substring([(0, 0), (100, 0), (100, 100)], 50, 150)
    np.testing.assert_allclose(part, [(50, 0), (100, 0), (100, 50)])
    assert cumulative_length(part)[-1] == pytest.approx(100)
    with pytest.raises(InputError, match="two vertices"):
        project_onto_line(PointIndex([0], [0]), [(0, 0)], 10)
    with pytest.raises(InputError, match="zero length"):
        project_onto_line(PointIndex([0], [0]), [(1, 1), (1, 1)], 10)


def test_batch_profiles_csv_and_chart(tmp_path):
    grid = Grid(0.0, 1000.0, 10.0, -10.0, 100, 100, 32649)
    data = np.full(grid.shape, -20.0)
    x = np.linspace(0, 1000, 101)
    index = PointIndex(x, np.full_like(x, 500.0))
    profiles = profile_sources(
        [(0, 505), (1000, 505)],
        [("raster", data, grid)],
        [("points", index, np.full(101, -5.0))],
        ProfileOptions(buffer_m=20, threshold_mm_yr=-10),
        epsg=32649,
    )
    assert profiles[0].metrics.affected_length_m == pytest.approx(1000)
    assert profiles[1].metrics.affected_length_m == 0
    csv_path = write_profiles_csv(tmp_path / "p.csv", profiles)
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("source,distance_m,distance_km,distance_deg,mean")
    assert rows[1].split(",")[0] == "raster" and float(rows[1].split(",")[4]) == -20
    png = plot_profiles_png(tmp_path / "p.png", profiles)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_binning_counts_and_spread():
    from insar_subsidence.core.analysis.profile import ProfileSamples

    s = ProfileSamples(
        np.array([1, 2, 11, 12.0]), np.zeros(4), np.array([1, 3, 10, 10.0]), np.arange(4)
    )
    b = bin_profile(s, 20.0, 10.0)
    np.testing.assert_allclose(b.mean, [2, 10])
    np.testing.assert_allclose(b.std, [1, 0])
    np.testing.assert_array_equal(b.count, [2, 2])


def test_read_point_values_matches_read_points(tmp_path):
    import datetime as dt

    from insar_subsidence.core.analysis.profile import read_point_values
    from insar_subsidence.core.io.point_layers import (
        PointSeries,
        read_points,
        write_points,
    )

    rng = np.random.default_rng(3)
    n = 500
    points = PointSeries(
        rng.uniform(0, 1e4, n),
        rng.uniform(0, 1e4, n),
        32649,
        [dt.date(2020, 1, 1)],
        np.zeros((n, 1)),
        {"VEL": rng.normal(0, 5, n)},
    )
    path = write_points(tmp_path / "p.gpkg", points)
    fast = read_point_values(path, "VEL")
    slow = read_points(path)
    np.testing.assert_array_equal(fast.x, slow.x)
    np.testing.assert_array_equal(fast.values, slow.fields["VEL"])
    assert fast.epsg == 32649
    with pytest.raises(InputError, match="p.gpkg: has no field 'RATE'"):
        read_point_values(path, "RATE")


def test_profile_options_are_bounded():
    assert ProfileOptions(50, -5, 10) == ProfileOptions(buffer_m=50, threshold_mm_yr=-5, bin_m=10)
    with pytest.raises(InputError, match=r"'buffer m' = 0 m is below its minimum 0.001 m"):
        ProfileOptions(buffer_m=0)
    with pytest.raises(InputError, match=r"'bin m' = -1 m is below its minimum 0 m"):
        ProfileOptions(bin_m=-1)


@pytest.mark.parametrize("epsg, lat", [(32649, None), (4326, 35.5), (4326, 62.0)])
def test_point_profiles_read_only_near_the_lines_and_equal_the_whole_layer(tmp_path, epsg, lat):
    """profile_lines reads a point layer only inside the lines' buffered window; its profiles
    equal those of every point of the layer, in metres and in degrees (where a degree of
    longitude is short, at 62 N, the window must still reach the buffer's edge)."""
    import datetime as dt

    from pyproj import CRS

    from insar_subsidence.core.analysis.profile import (
        PointIndex,
        local_metric_crs,
        profile_lines,
        profile_source,
        read_point_values,
    )
    from insar_subsidence.core.crs import transform_xy, utm_crs
    from insar_subsidence.core.io.point_layers import PointSeries, write_points

    rng = np.random.default_rng(8)
    n = 40_000
    utm = CRS.from_epsg(32649) if lat is None else utm_crs(111.0, lat)
    x0, y0 = (680_000.0, 3_940_000.0) if lat is None else transform_xy(111.0, lat, 4326, utm)
    ux, uy = x0 + rng.uniform(-8000, 8000, n), y0 + rng.uniform(-8000, 8000, n)
    x, y = (ux, uy) if epsg == 32649 else transform_xy(ux, uy, utm, 4326)
    values = -30.0 * np.exp(-((ux - x0) ** 2 + (uy - y0) ** 2) / (2 * 3000.0**2))
    path = write_points(
        tmp_path / "p.gpkg",
        PointSeries(x, y, epsg, [dt.date(2020, 1, 1)], np.zeros((n, 1)), {"VEL": values}),
    )
    line = np.array([[x0 - 4000.0, y0 - 1000.0], [x0 + 4000.0, y0 + 1500.0]])
    options = ProfileOptions(buffer_m=150.0, bin_m=200.0, threshold_mm_yr=-10.0)
    results, _ = profile_lines(
        [("L", line)], points=[(path, None)], options=options, line_epsg=utm.to_epsg()
    )
    (profile,) = results[0].profiles

    whole = read_point_values(path, "VEL")
    assert len(whole.x) == n
    layer_line = np.column_stack(transform_xy(line[:, 0], line[:, 1], utm, CRS.from_epsg(epsg)))
    metric = local_metric_crs(*layer_line.mean(axis=0)) if epsg == 4326 else None
    expected = profile_source(
        "points",
        "p",
        (PointIndex(whole.x, whole.y), whole.values),
        layer_line,
        options,
        epsg,
        None,
        metric,
    )
    assert 150 < len(profile.samples.values) < 2_000  # the test reaches the buffer's points
    np.testing.assert_array_equal(np.sort(profile.samples.values), np.sort(expected.samples.values))
    np.testing.assert_allclose(profile.binned.mean, expected.binned.mean, equal_nan=True)
    assert profile.metrics.minimum == pytest.approx(-30.0, abs=1.5)
