"""Decomposition of LOS products into east and up: hand case, synthetic truth from two and
three geometries with different dates, degenerate geometry, refusals, real EGMS files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.analysis.decomposition import (
    DEGENERATE,
    DecompositionOptions,
    cell_keys,
    decompose,
    interpolate_series,
)
from insar_subsidence.core.analysis.line_of_sight import los_from_heading
from insar_subsidence.core.analysis.los_products import LosProduct, parse_los
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.point_import import import_points
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.point_layers import PointSeries, read_points, write_points
from tests.core.analysis import two_tracks_synthetic as synthetic

ASC, DESC, DESC2 = synthetic.ASCENDING, synthetic.DESCENDING, synthetic.DESCENDING_STEEP


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracks")
    rng = np.random.default_rng(7)
    return {
        name: synthetic.write_track(folder / f"{name}.gpkg", track, rng)
        for name, track in (("asc", ASC), ("desc", DESC), ("desc2", DESC2))
    }


def _errors(result):
    cells = result.cells
    east, _, up = synthetic.truth_rates(cells.x, cells.y)
    return cells, cells.east - east, cells.up - up


def _rms(values):
    return float(np.sqrt(np.nanmean(np.square(values))))


def test_hand_case_one_cell(tmp_path):
    # one point per track in cell [0, 100) x [0, 100): east 5 mm/yr, up -20 mm/yr
    vectors = [los_from_heading(40.0, -12.0), los_from_heading(35.0, -168.0)]
    paths = []
    for k, (e, n, u) in enumerate(vectors):
        rate = e * 5.0 + u * -20.0
        fields = {"VEL": np.array([rate]), "los_east": np.array([e])}
        fields.update(los_north=np.array([n]), los_up=np.array([u]))
        paths.append(
            write_points(
                tmp_path / f"t{k}.gpkg",
                PointSeries(
                    np.array([680_030.0]),
                    np.array([3_940_070.0]),
                    32649,
                    [],
                    np.zeros((1, 0)),
                    fields,
                ),
            )
        )
    result = decompose(
        [LosProduct(p) for p in paths],
        tmp_path / "up.gpkg",
        tmp_path / "east.gpkg",
        DecompositionOptions(default_rate_std_mm_yr=2.0),
    )
    cells = result.cells
    assert len(cells) == 1
    assert (cells.x[0], cells.y[0]) == (680_050.0, 3_940_050.0)  # k * 100 + 50
    assert cells.east[0] == pytest.approx(5.0) and cells.up[0] == pytest.approx(-20.0)
    design = np.array([[v[0], v[2]] for v in vectors])
    covariance = 4.0 * np.linalg.inv(design.T @ design)  # sigma = 2 mm/yr for single samples
    assert cells.east_std[0] == pytest.approx(np.sqrt(covariance[0, 0]))
    assert cells.up_std[0] == pytest.approx(np.sqrt(covariance[1, 1]))
    assert cells.condition[0] == pytest.approx(np.linalg.cond(design))
    up = read_points(tmp_path / "up.gpkg")
    assert up.fields["VEL"][0] == pytest.approx(-20.0)
    assert up.fields["FLAG"][0] == "ok"
    assert up.fields["N_t0"][0] == 1 and up.fields["N_t1"][0] == 1


def test_two_tracks_with_different_dates_recover_rates_and_series(tracks, tmp_path):
    result = decompose(
        [LosProduct(tracks["asc"]), LosProduct(tracks["desc"])],
        tmp_path / "up.gpkg",
        tmp_path / "east.gpkg",
        raster_up=tmp_path / "up.tif",
        raster_east=tmp_path / "east.tif",
    )
    cells, east_error, up_error = _errors(result)
    assert len(cells) == 400 and np.all(cells.flag == "ok")
    # 1 mm/yr noise per point, ~10 points per cell and track: measured 0.50 and 0.37 mm/yr
    assert _rms(east_error) < 0.7 and _rms(up_error) < 0.5
    # the propagated standard deviations describe the errors
    assert 0.8 < np.std(east_error / cells.east_std) < 1.25
    assert 0.8 < np.std(up_error / cells.up_std) < 1.25
    # common 6-day dates inside both spans: from the later first date, no extrapolation
    assert cells.dates[0] == ASC.first
    assert cells.dates[-1] <= min(ASC.dates()[-1], DESC.dates()[-1])
    assert all((b - a).days == 6 for a, b in zip(cells.dates[:-1], cells.dates[1:], strict=True))
    se, _, su = synthetic.truth_series(cells.x, cells.y, cells.dates, cells.dates[0])
    # 3 mm noise per point and date: measured 1.08 (east) and 0.83 mm (up)
    assert _rms(cells.east_series - se) < 1.5 and _rms(cells.up_series - su) < 1.2
    layer = read_points(tmp_path / "up.gpkg")
    assert layer.dates == cells.dates
    np.testing.assert_allclose(layer.fields["VEL"], cells.up)
    np.testing.assert_allclose(layer.displacement_mm, cells.up_series, atol=1e-4)
    data, grid = read_raster(tmp_path / "east.tif")
    rows, cols = grid.rowcol(cells.x, cells.y)
    np.testing.assert_allclose(data[rows, cols], cells.east, atol=1e-4)
    std, _ = read_raster(tmp_path / "east.tif", band=2)
    np.testing.assert_allclose(std[rows, cols], cells.east_std, atol=1e-4)


def test_a_third_geometry_lowers_the_errors_and_gives_a_misfit(tracks):
    two = decompose([LosProduct(tracks["asc"]), LosProduct(tracks["desc"])])
    three = decompose([LosProduct(p) for p in tracks.values()])
    _, east2, up2 = _errors(two)
    cells, east3, up3 = _errors(three)
    assert _rms(east3) < _rms(east2) and _rms(up3) < _rms(up2)
    assert np.all(np.isnan(two.cells.residual))
    # misfit RMS of three rates of ~0.3 mm/yr each about a 2-parameter fit
    assert 0.05 < np.nanmedian(cells.residual) < 0.5
    assert cells.dates[0] == DESC2.first  # the latest first date of the three


def test_parallel_tracks_are_refused_and_flagged_per_cell(tracks, tmp_path):
    with pytest.raises(InputError, match="too close to separate east from up"):
        decompose([LosProduct(tracks["desc"]), LosProduct(tracks["desc2"])])
    # an ascending track over the west half only: the east half has descending tracks only
    rng = np.random.default_rng(3)
    west = (synthetic.X0, synthetic.Y0, synthetic.X0 + 1000.0, synthetic.Y0 + synthetic.SIZE)
    half = synthetic.write_track(tmp_path / "asc_west.gpkg", ASC, rng, 2000, extent=west)
    result = decompose(
        [LosProduct(half), LosProduct(tracks["desc"]), LosProduct(tracks["desc2"])],
        tmp_path / "up.gpkg",
    )
    cells = result.cells
    flagged = cells.flag == DEGENERATE
    assert np.all(flagged == (cells.x > synthetic.X0 + 1000.0))
    assert np.all(np.isnan(cells.up[flagged])) and np.all(np.isnan(cells.up_series[flagged]))
    assert np.all(cells.condition[flagged] > 10) and np.all(cells.condition[~flagged] < 3)
    layer = read_points(tmp_path / "up.gpkg")
    assert np.count_nonzero(layer.fields["FLAG"] == DEGENERATE) == flagged.sum()


def test_known_north_rate_is_removed(tmp_path):
    rng = np.random.default_rng(11)
    north = 6.0  # mm/yr everywhere
    plain, moved = [], []
    for name, track in (("asc", ASC), ("desc", DESC)):
        path = synthetic.write_track(tmp_path / f"{name}.gpkg", track, rng, 2000, 0.0, 0.0)
        points = read_points(path)
        points.fields["VEL"] = points.fields["VEL"] + points.fields["los_north"] * north
        plain.append(LosProduct(path))
        moved.append(LosProduct(write_points(tmp_path / f"{name}_north.gpkg", points)))
    rates = DecompositionOptions(series=False)
    reference = decompose(plain, options=rates).cells
    biased = decompose(moved, options=rates).cells
    known = decompose(moved, options=DecompositionOptions(series=False, north_rate_mm_yr=north))
    # both passes see north with e_N of about -0.1: ignored, it leaks into the vertical
    assert np.mean(biased.up - reference.up) < -0.5
    # equal but for the weights: the north term widens the spread of the rates in a cell
    np.testing.assert_allclose(known.cells.up, reference.up, atol=0.01)
    np.testing.assert_allclose(known.cells.east, reference.east, atol=0.01)


def test_small_blocks_give_the_same_cells(tracks):
    products = [LosProduct(tracks["asc"]), LosProduct(tracks["desc"])]
    whole = decompose(products).cells
    blocks = decompose(products, options=DecompositionOptions(block_size=700)).cells
    np.testing.assert_allclose(blocks.up, whole.up)
    np.testing.assert_allclose(blocks.east_series, whole.east_series, atol=1e-5)


def test_interpolation_onto_common_dates():
    dates = [dt.date(2020, 1, 1), dt.date(2020, 1, 13), dt.date(2020, 1, 25)]
    series = np.array([[0.0, 12.0, 6.0], [0.0, np.nan, 6.0]])
    targets = [dt.date(2020, 1, 1), dt.date(2020, 1, 7), dt.date(2020, 1, 13), dt.date(2020, 1, 19)]
    out = interpolate_series(series, dates, targets)
    np.testing.assert_allclose(out[0], [0.0, 6.0, 12.0, 9.0])
    assert out[1, 0] == 0.0 and np.all(np.isnan(out[1, 1:]))
    with pytest.raises(ValueError):
        interpolate_series(series, dates, [dt.date(2020, 2, 1)])


def test_bad_input_is_refused(tracks, tmp_path):
    with pytest.raises(InputError, match="two or more products"):
        decompose([LosProduct(tracks["asc"])])
    rng = np.random.default_rng(5)
    far = (synthetic.X0 + 50_000, synthetic.Y0, synthetic.X0 + 52_000, synthetic.Y0 + 2000)
    away = synthetic.write_track(tmp_path / "away.gpkg", DESC, rng, 200, extent=far)
    with pytest.raises(InputError, match="does not overlap"):
        decompose([LosProduct(tracks["asc"]), LosProduct(away)])
    bare = synthetic.write_track(tmp_path / "bare.gpkg", DESC, rng, 200, los_fields="none")
    with pytest.raises(InputError, match="no line-of-sight vector") as error:
        LosProduct(bare)
    assert "bare.gpkg" in str(error.value)
    late = synthetic.Track(-168.0, 44.0, 32.0, dt.date(2024, 1, 1), 12, 20)
    later = synthetic.write_track(tmp_path / "late.gpkg", late, rng, 500)
    with pytest.raises(InputError, match="do not overlap in time"):
        decompose([LosProduct(tracks["asc"]), LosProduct(later)])
    rates = decompose(
        [LosProduct(tracks["asc"]), LosProduct(later)], options=DecompositionOptions(series=False)
    )
    assert rates.cells.up_series is None
    with pytest.raises(InputError, match="incidence"):
        parse_los("heading=-12")
    with pytest.raises(InputError, match="neither a number"):
        LosProduct(bare, "incidence=39;heading=no_such_field")


def test_los_from_angle_fields_and_constants(tmp_path):
    rng = np.random.default_rng(2)
    angles = synthetic.write_track(tmp_path / "asc.gpkg", ASC, rng, 1500, los_fields="angles")
    vector = synthetic.write_track(tmp_path / "desc.gpkg", DESC, rng, 1500)
    auto = decompose([LosProduct(angles), LosProduct(vector)], options=DecompositionOptions())
    _, east_error, up_error = _errors(auto)
    assert _rms(east_error) < 1.0 and _rms(up_error) < 0.8
    named = LosProduct(angles, "incidence=incidence_angle; heading=track_angle")
    same = decompose([named, LosProduct(vector)]).cells
    np.testing.assert_allclose(same.up, auto.cells.up)
    # a constant incidence of the scene centre: small errors from the ignored variation
    constant = LosProduct(angles, "incidence=38;heading=-12")
    approx = decompose([constant, LosProduct(vector)])
    _, east_error, up_error = _errors(approx)
    assert _rms(up_error) < 2.0


def test_real_egms_track_with_the_vertical_l3_product(test_data, tmp_path):
    """EGMS L2b (descending, its own los_* fields) with the L3 vertical product of the same
    area: the vertical solution is L3 itself and the east-west one is near the GNSS model
    east rate EGMS ships in the L3 file (-0.7 mm/yr)."""
    l2b = import_points(
        test_data / "points" / "EGMS_L2b_022_0845_IW2_VV_2020_2024_1_trim.csv.gz",
        tmp_path / "l2b.gpkg",
    ).path
    l3 = import_points(
        test_data / "points" / "EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv", tmp_path / "l3.gpkg"
    ).path
    result = decompose([LosProduct(l2b), LosProduct(l3, "vertical")], tmp_path / "up.gpkg")
    cells = result.cells
    assert result.epsg == 3035 and len(cells) == 14
    vertical = read_points(l3)
    order = np.argsort(cell_keys(vertical.x, vertical.y, 100.0))
    keys = cell_keys(vertical.x, vertical.y, 100.0)[order]
    found = order[np.searchsorted(keys, cell_keys(cells.x, cells.y, 100.0))]
    np.testing.assert_allclose(cells.up, vertical.fields["VEL"][found], atol=1e-9)
    np.testing.assert_allclose(cells.x, vertical.x[found])  # L3 cell centres: k * 100 + 50
    gnss_east = float(np.mean(vertical.fields["gnss_velocity_e"]))
    assert gnss_east == pytest.approx(-0.7)
    assert abs(np.mean(cells.east) - gnss_east) < 0.5
    assert cells.dates[0] == dt.date(2020, 1, 3) and len(cells.dates) == 304
