"""DEM-error correction recovers a known height error and removes its baseline term."""

import numpy as np
import pytest

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.corrections.dem_error import (
    EARTH_RADIUS,
    SENTINEL1_ALTITUDE,
    DemErrorOptions,
    correct_dem_error,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.hyp3 import slant_range
from insar_subsidence.core.io.mintpy import read_timeseries
from tests.core.network_synthetic import (
    GRID,
    all_pairs,
    dates,
    make_geometry,
    make_stack,
    make_timeseries,
)


def test_known_dem_error_recovered(tmp_path):
    rng = np.random.default_rng(5)
    acq = dates(30)
    bperp = rng.normal(0, 60, len(acq))
    bperp[0] = 0
    t = years_since(acq)
    incidence = 39.0
    dz = rng.normal(0, 15, GRID.shape)  # m of DEM error
    scale = slant_range(incidence, SENTINEL1_ALTITUDE, EARTH_RADIUS) * np.sin(np.deg2rad(incidence))
    deformation = (-0.03 * t[:, None, None] + 0.004 * t[:, None, None] ** 2) * np.ones(GRID.shape)
    ts = deformation + bperp[:, None, None] * dz[None] / scale
    path = make_timeseries(tmp_path / "ts.h5", ts - ts[0], acq, bperp=bperp)
    geometry = make_geometry(tmp_path / "geo.h5", incidence)
    estimated = correct_dem_error(path, tmp_path / "out.h5", geometry, tmp_path / "dz.tif")
    assert np.allclose(estimated, dz, atol=1e-3)
    tif, _ = read_raster(tmp_path / "dz.tif")
    assert np.allclose(tif, dz, atol=1e-3)
    out = read_timeseries(tmp_path / "out.h5")
    residual = out.data - out.data[0]
    assert np.allclose(residual, deformation - deformation[0], atol=1e-5)


def test_baselines_taken_from_the_stack_when_the_series_has_none(tmp_path):
    rng = np.random.default_rng(6)
    acq = dates(12)
    per_date = {d: float(b) for d, b in zip(acq, np.r_[0, rng.normal(0, 80, 11)], strict=True)}
    stack = make_stack(tmp_path / "stack.h5", all_pairs(acq, 2), bperp_by_date=per_date)
    g = 2e-5  # m per m of baseline
    ts = np.array([per_date[d] * g for d in acq])[:, None, None] * np.ones(GRID.shape)
    path = make_timeseries(tmp_path / "ts.h5", ts, acq)  # bperp stored as zeros
    with pytest.raises(InputError, match="ts.h5.*baselines"):
        correct_dem_error(path, tmp_path / "out.h5")
    coef = correct_dem_error(path, tmp_path / "out.h5", stack=stack)
    assert np.allclose(coef, g, rtol=1e-4)
    assert np.abs(read_timeseries(tmp_path / "out.h5").data).max() < 1e-6
    with pytest.raises(InputError, match="geometry"):
        correct_dem_error(path, tmp_path / "o2.h5", dem_error_tif=tmp_path / "dz.tif", stack=stack)


def test_polynomial_order_is_bounded():
    with pytest.raises(InputError, match=r"'poly order' = 4 is above its maximum 3"):
        DemErrorOptions(poly_order=4)
    with pytest.raises(InputError, match=r"'poly order' = 0 is below its minimum 1"):
        DemErrorOptions(poly_order=0)
