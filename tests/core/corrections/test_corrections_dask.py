"""The corrections' row blocks and dates on a Dask cluster give the answer of this process."""

import h5py
import numpy as np

from insar_subsidence.core import parallel
from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.corrections.dem_error import DemErrorOptions, correct_dem_error
from insar_subsidence.core.corrections.deramp import DerampOptions, deramp_timeseries
from insar_subsidence.core.corrections.reference import ReferenceOptions, set_reference
from insar_subsidence.core.corrections.troposphere import correct_troposphere
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.mintpy import read_attrs, read_timeseries
from tests.core.corrections.test_troposphere import GEO, write_gacos
from tests.core.network_synthetic import (
    GRID,
    all_pairs,
    dates,
    make_geometry,
    make_stack,
    make_timeseries,
)

BUDGET_MB = 1e-3  # one row per block: several blocks on both workers


def corrections_series(tmp_path, rng):
    """A series on GEO with ramps, a basin, a baseline term, noise and a gap, and its GACOS
    delays."""
    acq = dates(14)
    bperp = np.r_[0.0, rng.normal(0, 80, len(acq) - 1)]
    rows, cols = np.indices(GEO.shape)
    ramps = rng.normal(0, 5e-4, (len(acq), 3)) @ np.stack(
        [np.ones(rows.size), cols.ravel(), rows.ravel()]
    )
    data = ramps.reshape((len(acq),) + GEO.shape) + bperp[:, None, None] * 2e-5
    data += rng.normal(0, 5e-4, data.shape)
    data[:, 3:5, 4:7] -= 0.1 * years_since(acq)[:, None, None]  # left out of the ramp fit
    data[3, 2, 5] = np.nan  # a pixel with a gap: left as it is by the DEM-error fit
    data -= data[:, 1:2, 2:3]
    for k, date in enumerate(acq):
        write_gacos(
            tmp_path / "gacos", date, lambda x, y, k=k: 2.3 + 0.1 * k * np.sin(9 * x + 5 * y)
        )
    ts = make_timeseries(tmp_path / "ts.h5", data, acq, GEO, bperp, {"REF_Y": 1, "REF_X": 2})
    geometry = make_geometry(tmp_path / "geo.h5", 30 + rows + 0.5 * cols, GEO)
    return ts, geometry


def reference_stack(tmp_path, rng):
    acq = dates(6)
    phase = {d: rng.normal(0, 0.3, GRID.shape).astype(np.float32) for d in acq}
    stack = make_stack(tmp_path / "stack.h5", all_pairs(acq, 2), phase_by_date=phase)
    with h5py.File(stack, "a") as f:
        f["coherence"][...] = rng.uniform(0.2, 1.0, f["coherence"].shape)
        f["unwrapPhase"][2, 4, 7] = np.nan  # a pixel not valid in every pair
    return stack


def _run_corrections(tmp_path, name, ts, geometry, stack, executor):
    folder = tmp_path / name
    folder.mkdir()
    out = {}
    out["dz"] = correct_dem_error(
        ts,
        folder / "dem.h5",
        geometry,
        folder / "dz.tif",
        options=DemErrorOptions(memory_mb=BUDGET_MB),
        executor=executor,
    )
    out["dem"] = read_timeseries(folder / "dem.h5").data
    out["dz_tif"] = read_raster(folder / "dz.tif")[0]
    out["ramp_rms"] = deramp_timeseries(
        ts,
        folder / "deramp.h5",
        DerampOptions(ramp="quadratic", max_rate=20.0, memory_mb=BUDGET_MB),
        executor=executor,
    )
    out["deramp"] = read_timeseries(folder / "deramp.h5").data
    out["tropo_rms"] = correct_troposphere(
        ts,
        geometry,
        tmp_path / "gacos",
        folder / "tropo.h5",
        folder / "delay.h5",
        executor=executor,
    )
    out["tropo"] = read_timeseries(folder / "tropo.h5").data
    out["delay"] = read_timeseries(folder / "delay.h5").data
    areas = set_reference(
        stack,
        folder / "ref.h5",
        ReferenceOptions(num_areas=2, radius=1, min_separation=4, memory_mb=BUDGET_MB),
        executor=executor,
    )
    out["areas"] = np.array(areas)
    with h5py.File(folder / "ref.h5", "r") as f:
        out["phase"] = f["unwrapPhase"][()]
    out["ref_attrs"] = [read_attrs(folder / "ref.h5")[k] for k in ("REF_Y", "REF_X", "REF_AREAS")]
    return out


def test_a_dask_cluster_gives_the_corrections_of_this_process(tmp_path, dask_cluster, monkeypatch):
    rng = np.random.default_rng(11)
    ts, geometry = corrections_series(tmp_path, rng)
    stack = reference_stack(tmp_path, rng)
    here = _run_corrections(tmp_path, "here", ts, geometry, stack, None)
    # every shared array goes to the workers once, as a full-size mask or incidence would
    monkeypatch.setattr(parallel, "SCATTER_BYTES", 0)
    tasks = dask_cluster.tasks_run()
    cluster = _run_corrections(tmp_path, "cluster", ts, geometry, stack, dask_cluster.address)
    # one task per row of the DEM error, deramp rates and reference scan, per date twice
    assert dask_cluster.tasks_run() - tasks == 2 * GEO.length + GRID.length + 2 * 14
    assert (
        np.isfinite(here["dz"]).sum() == GEO.length * GEO.width - 1
        and np.isnan(here["dem"]).sum() == 1
    )
    assert here["ramp_rms"][1:].min() > 0 and here["tropo_rms"][1:].min() > 0
    assert len(here["areas"]) == 2 and here["ref_attrs"][2].count(";") == 1
    assert set(here) == set(cluster)
    for key, ours in here.items():
        np.testing.assert_array_equal(cluster[key], ours, err_msg=key)
