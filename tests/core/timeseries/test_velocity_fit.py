"""Velocity: model fits with propagated standard deviations, map outputs, classes, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import band_names, read_raster
from insar_subsidence.core.io.mintpy import (
    TimeSeries,
    read_dataset,
    write_datasets,
    write_geometry,
    write_timeseries,
)
from insar_subsidence.core.timeseries import velocity as vel
from insar_subsidence.core.timeseries.rate_fit import fit_design

GRID = Grid(500000.0, 4000000.0, 30.0, -30.0, width=8, length=6, epsg=32633)
DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(61)]
YEARS = np.array([(d - DATES[0]).days for d in DATES]) / 365.25


def test_linear_rate_and_its_standard_deviation_match_theory():
    rng = np.random.default_rng(0)
    sigma, rate = 0.002, -0.03
    data = rate * YEARS[:, None] + rng.normal(0, sigma, (len(YEARS), 4000))
    design, names = vel.velocity_design(YEARS, "linear")
    params, std = fit_design(data, design)
    v = params[names.index("velocity")]
    expected_std = sigma / np.sqrt(np.sum((YEARS - YEARS.mean()) ** 2))
    assert abs(v.mean() - rate) < 3 * expected_std / np.sqrt(4000) + 1e-6
    assert np.std(v) == pytest.approx(expected_std, rel=0.05)
    assert np.mean(std[names.index("velocity")]) == pytest.approx(expected_std, rel=0.05)


def test_acceleration_and_seasonal_terms_are_recovered():
    centred = YEARS - 0.5 * (YEARS.min() + YEARS.max())
    truth = (
        0.01
        - 0.04 * centred
        + 0.5 * -0.02 * centred**2
        + 0.005 * np.sin(2 * np.pi * YEARS)
        + 0.002 * np.cos(4 * np.pi * YEARS)
    )
    design, names = vel.velocity_design(YEARS, "acceleration+seasonal")
    params, std = fit_design(truth[:, None], design)
    got = dict(zip(names, params[:, 0], strict=True))
    assert got["velocity"] == pytest.approx(-0.04, abs=1e-9)
    assert got["acceleration"] == pytest.approx(-0.02, abs=1e-9)
    assert got["annual_sin"] == pytest.approx(0.005, abs=1e-9)
    assert got["semiannual_cos"] == pytest.approx(0.002, abs=1e-9)


def test_parts_share_the_rate_but_not_the_offset_and_nan_dates_are_skipped():
    parts = (np.arange(len(YEARS)) >= 30).astype(int)
    data = -0.05 * YEARS + np.where(parts == 1, 0.3, 0.0)  # part 2 referenced elsewhere
    data = np.stack([data, data]).T.copy()
    data[::3, 1] = np.nan
    design, names = vel.velocity_design(YEARS, "linear", parts)
    params, _ = fit_design(data, design)
    np.testing.assert_allclose(params[names.index("velocity")], [-0.05, -0.05], atol=1e-9)
    few = np.full((len(YEARS), 1), np.nan)
    few[:2, 0] = [0.0, 1.0]
    assert np.isnan(fit_design(few, vel.velocity_design(YEARS, "linear")[0])[0]).all()


def test_classes_follow_the_thresholds():
    velocity = np.array([-50.0, -40.0, -20.0, 0.0, 10.0, 15.0, np.nan])
    np.testing.assert_array_equal(vel.classify(velocity, (-40, -10, 10)), [1, 2, 2, 3, 4, 4, 0])
    assert vel.parse_thresholds("-40, -10, 10") == (-40.0, -10.0, 10.0)
    assert vel.class_labels((-40, -10, 10))[0] == "< -40 mm/yr"
    with pytest.raises(InputError, match="increasing"):
        vel.parse_thresholds("10,-10")


@pytest.fixture
def series_files(tmp_path):
    rows, cols = np.mgrid[0 : GRID.length, 0 : GRID.width]
    rate = -0.06 * (cols / (GRID.width - 1))  # 0 .. -60 mm/yr LOS
    data = (rate[None] * YEARS[:, None, None]).astype(np.float32)
    ts = write_timeseries(tmp_path / "timeseries.h5", TimeSeries(DATES, data, GRID, {}))
    incidence = np.full(GRID.shape, 60.0)
    geometry = write_geometry(
        tmp_path / "geometryGeo.h5", GRID, np.zeros(GRID.shape), incidence, np.zeros(GRID.shape)
    )
    tcoh = np.ones(GRID.shape, np.float32)
    tcoh[0, 0] = 0.2
    tcoh_path = write_datasets(
        tmp_path / "temporalCoherence.h5", {"temporalCoherence": tcoh}, "temporalCoherence", GRID
    )
    return ts, geometry, tcoh_path, rate


def test_estimate_velocity_writes_every_product(tmp_path, series_files):
    ts, geometry, tcoh, rate = series_files
    outputs = vel.VelocityOutputs(
        los=tmp_path / "v.tif",
        std=tmp_path / "s.tif",
        vertical=tmp_path / "vv.tif",
        classes=tmp_path / "c.tif",
        cumulative=tmp_path / "cum.tif",
        h5=tmp_path / "velocity.h5",
    )
    options = vel.VelocityOptions(cumulative_date=dt.date(2021, 1, 1))
    result = vel.estimate_velocity(ts, outputs, geometry, tcoh, options)
    los, _ = read_raster(outputs.los)
    assert np.isnan(los[0, 0])
    np.testing.assert_allclose(los[1:], rate[1:] * 1000, atol=1e-3)
    vertical, _ = read_raster(outputs.vertical)
    np.testing.assert_allclose(vertical[1:], rate[1:] * 1000 / 0.5, atol=1e-3)
    assert band_names(outputs.los) == ["LOS velocity (mm/yr)"]
    assert band_names(outputs.vertical)[0] == "vertical velocity (mm/yr)"
    classes, _ = read_raster(outputs.classes, dtype=np.uint8)
    assert classes[1, -1] == 1 and classes[1, 0] == 3 and classes[0, 0] == 0
    cumulative, _ = read_raster(outputs.cumulative)
    assert result.cumulative_date == dt.date(2020, 12, 26)
    np.testing.assert_allclose(cumulative[2, 3], rate[2, 3] * 1000 * YEARS[30], rtol=1e-4)
    h5, _ = read_dataset(outputs.h5, "velocity")
    np.testing.assert_allclose(h5[1:], rate[1:], atol=1e-6)


def test_bad_inputs_name_the_file(tmp_path, series_files):
    ts, _, _, _ = series_files
    small = Grid(500000.0, 4000000.0, 30.0, -30.0, width=3, length=3, epsg=32633)
    wrong = write_geometry(
        tmp_path / "wrong.h5", small, np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((3, 3))
    )
    with pytest.raises(InputError, match="wrong.h5"):
        vel.estimate_velocity(
            ts, vel.VelocityOutputs(los=tmp_path / "v.tif", vertical=tmp_path / "vv.tif"), wrong
        )
    with pytest.raises(InputError, match="missing.h5"):
        vel.estimate_velocity(tmp_path / "missing.h5", vel.VelocityOutputs(los=tmp_path / "v.tif"))
    with pytest.raises(InputError, match="geometry"):
        vel.estimate_velocity(
            ts, vel.VelocityOutputs(los=tmp_path / "v.tif", vertical=tmp_path / "vv.tif")
        )
    assert not (tmp_path / "v.tif").exists()


def test_a_dask_cluster_gives_the_answer_of_this_process(tmp_path, series_files, dask_cluster):
    ts, geometry, tcoh, _ = series_files
    options = vel.VelocityOptions(cumulative_date=dt.date(2021, 1, 1), memory_mb=0.02)
    blocks = len(list(vel.row_blocks(GRID.length, GRID.width * len(DATES) * 36, 0.02)))
    assert blocks > 2
    products = {}
    tasks_before = dask_cluster.tasks_run()
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        outputs = vel.VelocityOutputs(
            los=tmp_path / f"{name}_v.tif",
            std=tmp_path / f"{name}_s.tif",
            cumulative=tmp_path / f"{name}_cum.tif",
            h5=tmp_path / f"{name}_velocity.h5",
        )
        vel.estimate_velocity(ts, outputs, geometry, tcoh, options, executor=executor)
        products[name] = [read_raster(outputs.los)[0], read_raster(outputs.std)[0]]
        products[name].append(read_raster(outputs.cumulative)[0])
        products[name].append(read_dataset(outputs.h5, "velocity")[0])
    assert dask_cluster.tasks_run() == tasks_before + blocks  # every row block on a worker
    assert np.isfinite(products["here"][0]).sum() > 20
    for here, cluster_result in zip(products["here"], products["cluster"], strict=True):
        np.testing.assert_array_equal(cluster_result, here)
