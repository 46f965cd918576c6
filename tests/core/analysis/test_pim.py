"""Probability integral method: the forward model against hand computations, and the fit
recovering known parameters from synthetic basins with noise and a masked core."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.special import erf

from insar_subsidence.core.analysis.pim import (
    Panel,
    PimParameters,
    horizontal_displacement,
    long_axis_azimuth,
    rectangle_ring,
    subsidence,
)
from insar_subsidence.core.analysis.pim_fit import (
    InputKind,
    PimMode,
    PimOptions,
    PimOutputs,
    fit_pim,
    run_pim,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
from insar_subsidence.core.io.vector import open_vector, write_polygons

GRID = Grid(500000.0, 4000000.0, 40.0, -40.0, 150, 120, 32649)
CENTRE = (503000.0, 3997600.0)


def _mesh(grid=GRID):
    return grid.xy(*np.indices(grid.shape))


def test_flat_rectangle_is_the_erf_product_by_hand():
    # a 1000 m (east) by 400 m (north) panel at 300 m, s = 20 m, tan(beta) = 2: r = 150 m
    ring = rectangle_ring(0.0, 0.0, 1000.0, 400.0, 90.0)
    panel = Panel(ring, thickness_m=2.0, depth_m=300.0, dip_azimuth_deg=0.0)
    params = PimParameters(q=0.6, tan_beta=2.0, offset_m=20.0)
    x = np.array([0.0, 480.0, 700.0, 100.0])
    y = np.array([0.0, 0.0, 150.0, -260.0])
    r, w0 = 150.0, 2.0 * 0.6
    sq = np.sqrt(np.pi)
    cx = 0.5 * (erf(sq * (x + 480.0) / r) - erf(sq * (x - 480.0) / r))
    cy = 0.5 * (erf(sq * (y + 180.0) / r) - erf(sq * (y - 180.0) / r))
    np.testing.assert_allclose(subsidence(panel, params, x, y), w0 * cx * cy, rtol=1e-12)


def test_supercritical_panel_reaches_w_max_and_moves_b_w_max_at_its_edge():
    ring = rectangle_ring(0.0, 0.0, 6000.0, 6000.0, 30.0)
    panel = Panel(ring, 1.5, 300.0)
    params = PimParameters(q=0.8, tan_beta=2.0, offset_m=0.0, b=0.3)
    assert subsidence(panel, params, 0.0, 0.0) == pytest.approx(1.2, rel=1e-9)
    # at the middle of an edge the ground subsides W0 / 2 and moves b W0 toward the panel
    a = np.deg2rad(30.0)
    edge = (3000.0 * np.sin(a), 3000.0 * np.cos(a))
    assert subsidence(panel, params, *edge) == pytest.approx(0.6, rel=1e-6)
    east, north = horizontal_displacement(panel, params, *edge)
    assert np.hypot(east, north) == pytest.approx(0.3 * 1.2, rel=1e-6)
    assert (east, north) == pytest.approx((-0.36 * np.sin(a), -0.36 * np.cos(a)), abs=1e-6)


def test_horizontal_movement_is_b_r_times_the_slope():
    ring = rectangle_ring(0.0, 0.0, 800.0, 300.0, 0.0)
    panel = Panel(ring, 2.0, 250.0, dip_azimuth_deg=90.0)
    params = PimParameters(q=0.7, tan_beta=1.8, offset_m=15.0, b=0.25)
    r = 250.0 / 1.8
    x, y, h = 140.0, 310.0, 0.01
    dw_dx = (subsidence(panel, params, x + h, y) - subsidence(panel, params, x - h, y)) / (2 * h)
    dw_dy = (subsidence(panel, params, x, y + h) - subsidence(panel, params, x, y - h)) / (2 * h)
    east, north = horizontal_displacement(panel, params, x, y)
    assert east == pytest.approx(0.25 * r * dw_dx, rel=1e-6)
    assert north == pytest.approx(0.25 * r * dw_dy, rel=1e-6)


def test_polygon_panel_is_the_sum_of_its_rectangles():
    """An L-shaped panel (strips across the dip) equals two rectangles (superposition)."""
    params = PimParameters(q=0.7, tan_beta=2.0, offset_m=0.0)
    big = rectangle_ring(0.0, 0.0, 1200.0, 400.0, 90.0)  # x -600..600, y -200..200
    small = rectangle_ring(400.0, 400.0, 400.0, 400.0, 90.0)  # x 200..600, y 200..600
    l_shape = np.array(
        [[-600, -200], [600, -200], [600, 600], [200, 600], [200, 200], [-600, 200]], float
    )
    x, y = np.meshgrid(np.linspace(-1200, 1200, 41), np.linspace(-800, 1200, 41))
    whole = subsidence(Panel(l_shape, 1.0, 300.0, dip_azimuth_deg=0.0), params, x, y)
    parts = subsidence(Panel(big, 1.0, 300.0, dip_azimuth_deg=0.0), params, x, y) + subsidence(
        Panel(small, 1.0, 300.0, dip_azimuth_deg=0.0), params, x, y
    )
    assert np.max(np.abs(whole - parts)) < 0.01 * parts.max()


def test_propagation_angle_shifts_the_basin_down_dip_by_h_cot_theta():
    ring = rectangle_ring(0.0, 0.0, 2000.0, 600.0, 90.0)
    panel = Panel(ring, 2.0, 400.0, dip_azimuth_deg=180.0)  # flat: theta shifts it south
    y = np.linspace(-600, 600, 2401)
    straight = subsidence(panel, PimParameters(0.7, 2.0, 0.0, 90.0), 0.0 * y, y)
    tilted = subsidence(panel, PimParameters(0.7, 2.0, 0.0, 80.0), 0.0 * y, y)
    shift = 400.0 / np.tan(np.deg2rad(80.0))
    half = lambda w: y[np.argmax(w >= 0.5 * w.max())]  # noqa: E731 (southern half-depth edge)
    assert half(straight) - half(tilted) == pytest.approx(shift, abs=1.0)


def test_dipping_seam_basin_is_wider_and_deeper_on_the_down_dip_side():
    ring = rectangle_ring(0.0, 0.0, 2000.0, 800.0, 90.0)
    panel = Panel(ring, 2.0, 400.0, dip_deg=15.0, dip_azimuth_deg=0.0)  # deepens northward
    params = PimParameters(0.7, 2.0, 0.0, 90.0)
    y = np.linspace(-1500, 1500, 3001)
    w = subsidence(panel, params, 0.0 * y, y)
    width_north = y[w > 0.05 * w.max()].max() - 400.0
    width_south = -400.0 - y[w > 0.05 * w.max()].min()
    assert width_north > width_south * 1.2  # r grows with depth on the down-dip side
    assert w.max() == pytest.approx(2.0 * 0.7 * np.cos(np.deg2rad(15.0)), rel=0.05)


def test_long_axis_of_a_rotated_rectangle():
    ring = rectangle_ring(10.0, 20.0, 900.0, 200.0, 63.0)
    assert long_axis_azimuth(ring) == pytest.approx(63.0, abs=1e-6)


TRUTH = PimParameters(q=0.68, tan_beta=2.2, offset_m=32.0, theta_deg=86.4)
PANEL = Panel(rectangle_ring(*CENTRE, 1800.0, 320.0, 75.0), 3.0, 400.0, 6.0, 165.0)


def _synthetic(noise_mm=5.0, shift_mm=7.0, core=0.3, seed=1):
    x, y = _mesh()
    truth = -subsidence(PANEL, TRUTH, x, y) * 1000
    rng = np.random.default_rng(seed)
    measured = truth + rng.normal(0.0, noise_mm, truth.shape) + shift_mm
    reliable = truth > core * truth.min()  # the core deeper than 30 % of the peak is lost
    measured[~reliable] = np.where(rng.random((~reliable).sum()) < 0.5, np.nan, -50.0)
    return truth, measured, reliable


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_recovers_known_parameters_with_noise_and_a_masked_core(seed):
    truth, measured, reliable = _synthetic(seed=seed)
    options = PimOptions(thickness_m=3.0, depth_m=400.0, dip_deg=6.0, dip_azimuth_deg=165.0)
    fit = fit_pim(measured, GRID, PANEL, reliable, options)
    p = fit.parameters
    assert p.q == pytest.approx(TRUTH.q, abs=0.03)
    assert p.tan_beta == pytest.approx(TRUTH.tan_beta, abs=0.1)
    assert p.offset_m == pytest.approx(TRUTH.offset_m, abs=15.0)
    assert p.theta_deg == pytest.approx(TRUTH.theta_deg, abs=1.5)
    assert fit.shift_mm == pytest.approx(7.0, abs=1.5)
    assert fit.rmse_mm == pytest.approx(5.0, rel=0.1)
    # the model restores the core the data lost: its depth within 5 % of the truth
    x, y = _mesh()
    model = -subsidence(PANEL, p, x, y) * 1000
    assert model.min() == pytest.approx(truth.min(), rel=0.05)
    # one-sigma errors are small but not zero, and the parameter is within ~4 sigma
    assert 0 < fit.std["q"] < 0.02 and abs(p.q - TRUTH.q) < 4 * fit.std["q"] + 0.01
    assert fit.pixels_excluded > 300


def test_bootstrap_spread_is_of_the_order_of_the_jacobian_one():
    _, measured, reliable = _synthetic()
    options = PimOptions(
        thickness_m=3.0, depth_m=400.0, dip_deg=6.0, dip_azimuth_deg=165.0, bootstrap=12
    )
    fit = fit_pim(measured, GRID, PANEL, reliable, options)
    for name in ("q", "tan_beta", "offset_m", "theta_deg"):
        assert 0.2 < fit.bootstrap_std[name] / fit.std[name] < 5.0, name


def test_no_reliable_pixels_around_the_panel_is_refused():
    _, measured, _ = _synthetic()
    reliable = np.zeros(GRID.shape, bool)
    reliable[:5, :5] = True  # far away
    with pytest.raises(InputError, match="reliable pixels"):
        fit_pim(measured, GRID, PANEL, reliable, PimOptions(thickness_m=3.0, depth_m=400.0))


# ---------------------------------------------------------------------------------------------
# files


@pytest.fixture
def files(tmp_path):
    truth, measured, reliable = _synthetic()
    write_geotiff(tmp_path / "up.tif", measured.astype(np.float32), GRID, units="mm")
    tcoh = np.where(reliable, 0.9, 0.3).astype(np.float32)
    write_geotiff(tmp_path / "tcoh.tif", tcoh, GRID)
    write_polygons(tmp_path / "panel.gpkg", 32649, [(PANEL.ring, {"name": "P1"})])
    return tmp_path, truth


def _options(**extra):
    values = dict(thickness_m=3.0, depth_m=400.0, dip_deg=6.0, dip_azimuth_deg=165.0)
    values.update(extra)
    return PimOptions(**values)


def test_run_writes_table_model_residual_and_boundary(files):
    folder, truth = files
    outputs = PimOutputs(
        table=folder / "pim.csv",
        model=folder / "model.tif",
        residual=folder / "residual.tif",
        boundary=folder / "boundary.gpkg",
        horizontal=folder / "horizontal.tif",
    )
    fit = run_pim(
        folder / "up.tif",
        folder / "panel.gpkg",
        outputs,
        _options(),
        temporal_coherence=folder / "tcoh.tif",
    )
    rows = {row["parameter"]: row for row in csv.DictReader(open(folder / "pim.csv"))}
    assert list(next(csv.reader(open(folder / "pim.csv")))) == [
        "parameter",
        "value",
        "std",
        "std_bootstrap",
    ]
    assert {"q", "tan_beta", "offset_m", "theta_deg", "w_max_mm", "rmse_mm"} <= set(rows)
    assert float(rows["q"]["value"]) == pytest.approx(TRUTH.q, abs=0.03)
    assert float(rows["w_max_mm"]["value"]) == pytest.approx(
        3.0 * fit.parameters.q * np.cos(np.deg2rad(6.0)) * 1000, rel=1e-4
    )
    model, _ = read_raster(folder / "model.tif")
    assert np.nanmin(model) == pytest.approx(truth.min(), rel=0.05)
    residual, _ = read_raster(folder / "residual.tif")
    assert np.nanstd(residual[truth > 0.3 * truth.min()]) == pytest.approx(5.0, rel=0.15)
    east, _ = read_raster(folder / "horizontal.tif", band=1)
    assert np.nanmax(np.abs(east)) > 100  # mm: b W0 ~ 0.3 x 2 m at the edges
    _, layer = open_vector(folder / "boundary.gpkg")
    features = list(layer)
    assert len(features) == 1
    # the 10 mm line lies about one influence radius outside the panel
    area = features[0].GetGeometryRef().GetArea()
    assert PANEL.area_m2 * 2 < area < (1800 + 2 * 400) * (320 + 2 * 400)
    assert features[0].GetField("contour_mm") == 10.0


def test_rate_input_is_scaled_by_its_period(files):
    folder, _ = files
    rate, _ = read_raster(folder / "up.tif")
    write_geotiff(folder / "rate.tif", rate / 4.0, GRID, units="mm/yr")
    fit = run_pim(
        folder / "rate.tif",
        folder / "panel.gpkg",
        PimOutputs(table=folder / "t.csv"),
        _options(input_kind=InputKind.RATE, period_years=4.0),
        temporal_coherence=folder / "tcoh.tif",
    )
    assert fit.parameters.q == pytest.approx(TRUTH.q, abs=0.03)
    with pytest.raises(InputError, match="period"):
        run_pim(
            folder / "rate.tif",
            folder / "panel.gpkg",
            PimOutputs(table=folder / "t2.csv"),
            _options(input_kind="rate"),
        )


def test_forward_mode_predicts_a_planned_panel_on_its_own_grid(files):
    folder, _ = files
    outputs = PimOutputs(model=folder / "planned.tif", boundary=folder / "planned.gpkg")
    fit = run_pim(
        None,
        folder / "panel.gpkg",
        outputs,
        _options(mode=PimMode.FORWARD, q=0.68, tan_beta=2.2, offset_m=32.0, theta_deg=86.4),
    )
    model, grid = read_raster(folder / "planned.tif")
    assert grid.epsg == 32649 and abs(grid.x_step) == 20.0
    x, y = grid.xy(*np.indices(grid.shape))
    np.testing.assert_allclose(model, -subsidence(PANEL, TRUTH, x, y) * 1000, atol=1e-3)
    assert fit.std == {} and fit.w_max_mm == pytest.approx(3 * 0.68 * np.cos(np.deg2rad(6)) * 1e3)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"depth_m": None}, "depth must be a positive"),
        ({"thickness_m": None}, "thickness must be a positive"),
    ],
)
def test_missing_geometry_is_refused(files, change, message):
    folder, _ = files
    with pytest.raises(InputError, match=message):
        run_pim(
            folder / "up.tif",
            folder / "panel.gpkg",
            PimOutputs(table=folder / "x.csv"),
            _options(**change),
        )


def test_non_positive_depth_is_refused_by_the_schema():
    with pytest.raises(InputError, match="depth"):
        PimOptions(thickness_m=2.0, depth_m=0.0)
    with pytest.raises(InputError, match="depth"):
        PimOptions(thickness_m=2.0, depth_m=-300.0)


def test_panel_outside_the_raster_is_refused(files):
    folder, _ = files
    far = PANEL.ring + np.array([50_000.0, 0.0])
    write_polygons(folder / "far.gpkg", 32649, [(far, {"name": "far"})])
    with pytest.raises(InputError, match="outside the raster"):
        run_pim(
            folder / "up.tif", folder / "far.gpkg", PimOutputs(table=folder / "x.csv"), _options()
        )
    assert not (folder / "x.csv").exists()


def test_separate_polygons_are_refused_and_a_panel_in_another_crs_is_transformed(files):
    folder, _ = files
    second = PANEL.ring + np.array([0.0, -1500.0])
    write_polygons(
        folder / "two.gpkg", 32649, [(PANEL.ring, {"name": "a"}), (second, {"name": "b"})]
    )
    with pytest.raises(InputError, match="2 separate polygons"):
        run_pim(
            folder / "up.tif", folder / "two.gpkg", PimOutputs(table=folder / "x.csv"), _options()
        )
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32649, 4326, always_xy=True).transform(*PANEL.ring.T)
    write_polygons(folder / "wgs84.gpkg", 4326, [(np.column_stack([lon, lat]), {"name": "p"})])
    fit = run_pim(
        folder / "up.tif",
        folder / "wgs84.gpkg",
        PimOutputs(table=folder / "w.csv"),
        _options(),
        temporal_coherence=folder / "tcoh.tif",
    )
    np.testing.assert_allclose(fit.panel.ring, PANEL.ring, atol=0.01)


def test_aliased_too_shallow_margin_is_not_fitted_by_default(tmp_path):
    """An aliased core (flagged by subsidence:detectablegradient) whose lost cycles the
    unwrapper spread into the pixels around it: the ring next to the flagged core reads 45 %,
    the next one 25 %, the third 10 % too shallow although its own gradient looks measurable
    (as around the demo's North longwall). Fitted as data, that ring makes the basin too
    shallow; the default margin of the mask leaves it out and the basin is recovered."""
    from scipy import ndimage

    from insar_subsidence.core.analysis.detectable_gradient import BEYOND, MASK_NODATA

    x, y = _mesh()
    truth = -subsidence(PANEL, TRUTH, x, y) * 1000
    rng = np.random.default_rng(4)
    flagged = truth < 0.5 * truth.min()
    distance = ndimage.distance_transform_cdt(~flagged, metric="taxicab")
    shallow = np.select([distance == 1, distance == 2, distance == 3], [0.45, 0.25, 0.1], 0.0)
    measured = truth * (1.0 - shallow) + rng.normal(0.0, 3.0, truth.shape)
    measured[flagged] = 0.3 * truth.min()  # the flattened hole of the aliased core
    mask = np.where(flagged, BEYOND, 0).astype(np.uint8)
    mask[:, :3] = MASK_NODATA  # not judged: no flag, not fitted
    write_geotiff(tmp_path / "up.tif", measured.astype(np.float32), GRID, units="mm")
    write_geotiff(tmp_path / "mask.tif", mask, GRID, nodata=MASK_NODATA)
    write_polygons(tmp_path / "panel.gpkg", 32649, [(PANEL.ring, {"name": "P1"})])

    def fit(**extra):
        return run_pim(
            tmp_path / "up.tif",
            tmp_path / "panel.gpkg",
            PimOutputs(),
            _options(**extra),
            detectable_mask=tmp_path / "mask.tif",
        )

    recovered = fit()
    p = recovered.parameters
    assert p.q == pytest.approx(TRUTH.q, abs=0.05)
    assert p.tan_beta == pytest.approx(TRUTH.tan_beta, abs=0.2)
    assert p.offset_m == pytest.approx(TRUTH.offset_m, abs=25.0)
    assert p.theta_deg == pytest.approx(TRUTH.theta_deg, abs=2.0)
    model = -subsidence(PANEL, p, x, y) * 1000
    assert model.min() == pytest.approx(truth.min(), rel=0.08)
    # the cause: with only the flagged pixels left out, the shallow ring drags the basin up
    fooled = fit(aliased_margin_px=0).parameters
    assert fooled.q < 0.85 * TRUTH.q
    assert recovered.pixels_fitted < fit(aliased_margin_px=0).pixels_fitted
