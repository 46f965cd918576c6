"""PS processing on a simulated SLC stack with known persistent scatterers."""

from __future__ import annotations

import numpy as np
import pytest

from insar_subsidence.core.demo.extensions.slc import simulate_slc, write_simulation
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.point_layers import read_points
from insar_subsidence.core.timeseries.psinsar import (
    PsOptions,
    choose_reference_date,
    delaunay_arcs,
    estimate_arcs,
    integrate_arcs,
    run_psinsar,
)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    scene = make_scene(seed=3, size=72, n_acquisitions=80)
    sim = simulate_slc(scene, np.random.default_rng(5), size=72, n_ps=70)
    folder = tmp_path_factory.mktemp("slc")
    return sim, write_simulation(sim, folder)


def test_finds_known_ps_with_their_velocity(simulated, tmp_path):
    sim, paths = simulated
    options = PsOptions(incidence_deg=sim.incidence_deg)
    result = run_psinsar(
        paths["slc_stack"],
        paths["slc_dates"],
        tmp_path / "ps.gpkg",
        height=paths["slc_height"],
        options=options,
    )
    points = read_points(tmp_path / "ps.gpkg")
    assert len(points) == result.n_ps and points.epsg == 32649
    assert len(points.dates) == len(sim.dates)
    truth = {
        (r, c): v * 1000
        for r, c, v in zip(sim.ps_rows, sim.ps_cols, sim.ps_velocity_los, strict=True)
    }
    keys = [
        (int(r), int(c)) for r, c in zip(points.fields["ROW"], points.fields["COL"], strict=True)
    ]
    found = [i for i, k in enumerate(keys) if k in truth]
    assert len(found) >= 0.85 * len(truth)
    reference = int(np.flatnonzero(points.fields["IS_REF"] == 1)[0])
    assert keys[reference] in truth
    reference_truth = truth[keys[reference]]
    error = np.array([points.fields["VEL"][i] - (truth[keys[i]] - reference_truth) for i in found])
    assert np.median(np.abs(error)) < 1.0  # mm/yr
    assert np.sqrt(np.mean(error**2)) < 2.5
    assert np.all(points.fields["TCOH"] >= 0.8)
    assert np.all(points.fields["DA"][found] < 0.25)
    # height errors (relative to the reference, whose own error offsets them all) follow the
    # truth; their precision is set by the atmosphere: up to ~1 rad between a point and the
    # reference over a 50 m baseline spread and 40 dates is ~10 m at one sigma
    true_dh = np.array(
        [
            sim.ps_height_error[np.flatnonzero((sim.ps_rows == k[0]) & (sim.ps_cols == k[1]))[0]]
            for k in (keys[i] for i in found)
        ]
    )
    estimated_dh = points.fields["HGT_ERR"][found]
    assert np.corrcoef(true_dh, estimated_dh)[0, 1] > 0.7
    offset = np.median(estimated_dh - true_dh)
    assert np.median(np.abs(estimated_dh - true_dh - offset)) < 6.0
    # series start at zero and end near velocity x span
    assert np.allclose(points.displacement_mm[:, 0], 0.0)


def test_arc_search_recovers_velocity_and_height():
    rng = np.random.default_rng(0)
    years = np.arange(30) * 12 / 365.25
    bperp = rng.normal(0, 60, 30)
    time_factor = -4 * np.pi / 0.0555 * years
    height_factor = 4 * np.pi * bperp / (0.0555 * 850e3 * np.sin(np.deg2rad(39)))
    v_true = np.array([-0.031, 0.0124, 0.0])
    h_true = np.array([7.3, -12.0, 0.0])
    phase = np.outer(v_true, time_factor) + np.outer(h_true, height_factor)
    phase += rng.normal(0, 0.05, phase.shape)
    v, h, gamma = estimate_arcs(np.exp(1j * phase), time_factor, height_factor, PsOptions())
    np.testing.assert_allclose(v, v_true, atol=0.0006)
    np.testing.assert_allclose(h, h_true, atol=2.5)
    assert np.all(gamma > 0.9)


def test_integration_of_a_consistent_network_with_one_bad_arc():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:6, 0:6] * 100.0
    x, y = xx.ravel() + rng.uniform(-20, 20, 36), yy.ravel() + rng.uniform(-20, 20, 36)
    arcs = delaunay_arcs(x, y, 1000)
    true = rng.normal(0, 5, 36)
    true -= true[0]
    values = true[arcs[:, 1]] - true[arcs[:, 0]] + rng.normal(0, 0.01, len(arcs))
    values[7] += 10  # an unwrapping-like blunder on one arc
    solution, kept, _ = integrate_arcs(arcs, values, np.ones(len(arcs)), 36, 0, (0.001,))
    np.testing.assert_allclose(solution[:, 0], true, atol=0.05)
    assert not kept[7] and kept.sum() >= len(arcs) - 5


def test_reference_date_is_central():
    import datetime as dt

    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(5)]
    assert choose_reference_date(dates, np.array([0.0, 10, 0, -10, 0])) == 2


def test_bad_inputs(simulated, tmp_path):
    sim, paths = simulated
    wrong_dates = tmp_path / "dates.csv"
    wrong_dates.write_text("date,bperp\n20200101,0\n20200113,5\n")
    with pytest.raises(InputError, match="bands but the dates CSV lists 2") as error:
        run_psinsar(paths["slc_stack"], wrong_dates, tmp_path / "ps.gpkg")
    assert str(paths["slc_stack"]) in str(error.value)
    no_columns = tmp_path / "nodates.csv"
    no_columns.write_text("when,baseline\n20200101,0\n")
    with pytest.raises(InputError, match="needs columns 'date' and 'bperp'"):
        run_psinsar(paths["slc_stack"], no_columns, tmp_path / "ps.gpkg")
    with pytest.raises(InputError, match="amplitude dispersion below 0.01"):
        run_psinsar(
            paths["slc_stack"],
            paths["slc_dates"],
            tmp_path / "ps.gpkg",
            options=PsOptions(da_threshold=0.01),
        )
    with pytest.raises(InputError, match="not complex"):
        run_psinsar(paths["slc_height"], _one_date(tmp_path), tmp_path / "ps.gpkg")


def _one_date(folder):
    path = folder / "one.csv"
    path.write_text("date,bperp\n20200101,0\n")
    return path


def test_distributed_scatterers_add_points_with_plausible_rates(simulated, tmp_path):
    sim, paths = simulated
    options = PsOptions(incidence_deg=sim.incidence_deg, distributed=True, shp_window=(11, 9))
    result = run_psinsar(
        paths["slc_stack"], paths["slc_dates"], tmp_path / "ds.gpkg", options=options
    )
    points = read_points(tmp_path / "ds.gpkg")
    is_ds = points.fields["TYPE"] == "DS"
    assert result.n_ps == len(points) and is_ds.sum() > 100
    assert np.all(points.fields["NSHP"][is_ds] > 18)
    # DS velocities agree with the PS velocities around them (same smooth truth field)
    from scipy.spatial import cKDTree

    ps = ~is_ds
    distance, nearest = cKDTree(np.column_stack([points.x[ps], points.y[ps]])).query(
        np.column_stack([points.x[is_ds], points.y[is_ds]])
    )
    close = distance < 250
    difference = points.fields["VEL"][is_ds][close] - points.fields["VEL"][ps][nearest[close]]
    assert np.median(np.abs(difference)) < 2.0


def test_one_file_per_date_reads_like_the_multiband_stack(simulated, tmp_path):
    from insar_subsidence.core.io.slc import SlcStack, write_slc_stack

    sim, paths = simulated
    for k, date in enumerate(sim.dates[:8]):
        write_slc_stack(tmp_path / f"slc_{date:%Y%m%d}.tif", sim.data[k : k + 1], sim.grid, [date])
    dates = tmp_path / "dates.csv"
    # listed out of order: the stack comes back sorted by date
    lines = [f"{d:%Y%m%d},{b}" for d, b in zip(sim.dates[:8], sim.bperp[:8], strict=True)]
    dates.write_text("date,bperp\n" + "\n".join(lines[::-1]) + "\n")
    stack = SlcStack(tmp_path, dates)
    assert stack.dates == sim.dates[:8]
    np.testing.assert_array_equal(stack.read(), sim.data[:8])
    np.testing.assert_array_equal(stack.read(slice(3, 9), slice(10, 14)), sim.data[:8, 3:9, 10:14])
    np.testing.assert_allclose(stack.bperp, sim.bperp[:8])
    (tmp_path / f"slc_{sim.dates[3]:%Y%m%d}.tif").unlink()
    with pytest.raises(InputError, match="no SLC file for 1 date"):
        SlcStack(tmp_path, dates)


def test_thresholds_and_geometry_are_bounded():
    with pytest.raises(InputError, match=r"'da threshold' = 0 is below its minimum 0.01"):
        PsOptions(da_threshold=0)
    with pytest.raises(InputError, match=r"'incidence deg' = 90 degrees is above its maximum 89"):
        PsOptions(incidence_deg=90)


@pytest.mark.parametrize(
    "distributed, window, budget_mb", [(False, (11, 9), 1.0), (True, (7, 7), 6.0)]
)
def test_patches_give_the_answer_of_the_whole_stack(
    simulated, tmp_path, distributed, window, budget_mb
):
    from dataclasses import replace

    from insar_subsidence.core.blocks import patches
    from insar_subsidence.core.timeseries.psinsar import patch_bytes_per_pixel

    sim, paths = simulated
    options = PsOptions(incidence_deg=sim.incidence_deg, distributed=distributed, shp_window=window)
    n_dates, (length, width) = len(sim.dates), sim.grid.shape
    per_pixel = patch_bytes_per_pixel(n_dates, options)
    assert len(patches(length, width, per_pixel, options.memory_mb)) == 1
    overlap = (window[0] // 2, window[1] // 2) if distributed else (0, 0)
    assert len(patches(length, width, per_pixel, budget_mb, overlap)) >= 9
    results = []
    for name, memory_mb in (("whole", options.memory_mb), ("patched", budget_mb)):
        run_psinsar(
            paths["slc_stack"],
            paths["slc_dates"],
            tmp_path / f"{name}.gpkg",
            height=paths["slc_height"],
            options=replace(options, memory_mb=memory_mb),
        )
        results.append(read_points(tmp_path / f"{name}.gpkg"))
    whole, patched = results
    assert (whole.fields["TYPE"] == "DS").any() == distributed
    for key in ("ROW", "COL", "TYPE", "NSHP", "IS_REF"):
        np.testing.assert_array_equal(patched.fields[key], whole.fields[key])
    for key in ("VEL", "VEL_STD", "TCOH", "DA", "AMP", "HGT_ERR", "HEIGHT"):
        np.testing.assert_allclose(patched.fields[key], whole.fields[key], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(patched.displacement_mm, whole.displacement_mm, atol=1e-9)


def test_scene_median_is_numpys_median_streamed_over_patches(tmp_path):
    import datetime as dt

    from insar_subsidence.core.blocks import patches
    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.slc import SlcStack, write_slc_stack
    from insar_subsidence.core.timeseries.psinsar import scene_median_amplitude

    rng = np.random.default_rng(4)
    length, width = 37, 53
    halves = np.repeat([0.0, 1.0, 2.0], [1, 980, 980]).reshape(length, width)
    amplitude = np.stack(
        [
            rng.permutation(halves.ravel()).reshape(length, width),  # an even count
            rng.lognormal(0, 1, (length, width)),
            np.round(rng.lognormal(0, 1, (length, width)), 2),  # many ties
            rng.lognormal(3, 0.2, (length, width)),
            np.zeros((length, width)),  # no valid pixel
        ]
    ).astype(np.float32)
    amplitude[3, :5, :7] = 0  # no data: left out (and an odd count remains)
    amplitude[1, 3, 3] = np.nan
    phase = rng.uniform(-np.pi, np.pi, amplitude.shape)
    phase[0] = 0  # exact amplitudes: the middle values 1 and 2 lie in different bins
    data = amplitude * np.exp(1j * phase)
    grid = Grid(500000.0, 4000000.0, 20.0, -20.0, width=width, length=length, epsg=32633)
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * k) for k in range(len(data))]
    write_slc_stack(tmp_path / "slc.tif", data, grid, dates)
    (tmp_path / "dates.csv").write_text("date,bperp\n" + "".join(f"{d:%Y%m%d},0\n" for d in dates))
    stack = SlcStack(tmp_path / "slc.tif", tmp_path / "dates.csv")
    plan = patches(length, width, 1000, 0.01)
    assert len(plan) > 4
    stored = np.abs(stack.read())
    expected = []
    for image in stored:
        valid = image[np.isfinite(image) & (image > 0)]
        expected.append(np.median(valid) if valid.size else 1.0)
    median = scene_median_amplitude(stack, plan)
    assert median.dtype == np.float32
    np.testing.assert_array_equal(median, np.array(expected, np.float32))
    assert median[0] == 1.5


def test_a_dask_cluster_gives_the_answer_of_this_process(simulated, tmp_path, dask_cluster):
    sim, paths = simulated
    options = PsOptions(incidence_deg=sim.incidence_deg, memory_mb=1.0)
    results = []
    tasks_before = dask_cluster.tasks_run()
    for name, executor in (("here", None), ("cluster", dask_cluster.address)):
        run_psinsar(
            paths["slc_stack"],
            paths["slc_dates"],
            tmp_path / f"{name}.gpkg",
            height=paths["slc_height"],
            options=options,
            executor=executor,
        )
        results.append(read_points(tmp_path / f"{name}.gpkg"))
    assert dask_cluster.tasks_run() > tasks_before + 2  # the patches ran on the workers
    here, cluster_result = results
    assert len(here.x) > 0
    for key in ("ROW", "COL", "TYPE", "VEL", "TCOH", "DA", "HGT_ERR"):
        np.testing.assert_array_equal(cluster_result.fields[key], here.fields[key])
    np.testing.assert_array_equal(cluster_result.displacement_mm, here.displacement_mm)


def test_reading_patches_leaves_nothing_in_gdals_block_cache(tmp_path):
    # GDAL keeps decoded blocks (up to 5 % of the RAM): a pass over a burst grew the process
    # to the size of the stack whatever the memory budget (859 MB for a 540 MB stack)
    import datetime as dt

    from osgeo import gdal

    from insar_subsidence.core.grid import Grid
    from insar_subsidence.core.io.slc import SlcStack, write_slc_stack

    rng = np.random.default_rng(5)
    data = (rng.standard_normal((4, 64, 80)) + 1j * rng.standard_normal((4, 64, 80))).astype(
        np.complex64
    )
    grid = Grid(500000.0, 4000000.0, 20.0, -20.0, width=80, length=64, epsg=32633)
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * k) for k in range(len(data))]
    write_slc_stack(tmp_path / "slc.tif", data, grid, dates)
    (tmp_path / "dates.csv").write_text("date,bperp\n" + "".join(f"{d:%Y%m%d},0\n" for d in dates))
    stack = SlcStack(tmp_path / "slc.tif", tmp_path / "dates.csv")
    before = gdal.GetCacheUsed()
    window = stack.read(slice(10, 50), slice(5, 70))
    np.testing.assert_array_equal(window, data[:, 10:50, 5:70])
    assert gdal.GetCacheUsed() - before < window.nbytes // 10
