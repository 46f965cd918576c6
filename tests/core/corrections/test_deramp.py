"""Ramp removal: synthetic linear/quadratic ramps are removed exactly on stable pixels."""

import numpy as np
import pytest

from insar_subsidence.core.corrections.deramp import (
    DerampOptions,
    Ramp,
    deramp_timeseries,
    ramp_design,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import read_timeseries
from tests.core.network_synthetic import GRID, dates, make_timeseries


@pytest.mark.parametrize("ramp", ["linear", "quadratic"])
def test_synthetic_ramp_removed_exactly_with_mask(tmp_path, ramp):
    rng = np.random.default_rng(3)
    acq = dates(4)
    design = ramp_design(GRID.shape, ramp)
    ramps = np.stack(
        [(design @ rng.normal(0, 0.01, design.shape[1])).reshape(GRID.shape) for _ in acq]
    )
    ramps[0] = 0
    signal = np.zeros((len(acq),) + GRID.shape)
    signal[:, 4:7, 5:9] = -0.05 * np.arange(len(acq))[:, None, None]  # a bowl, not stable
    stable = np.ones(GRID.shape, np.uint8)
    stable[3:8, 4:10] = 0
    write_geotiff(tmp_path / "stable.tif", stable, GRID)
    ts = make_timeseries(tmp_path / "ts.h5", signal + ramps, acq, attrs={"REF_Y": 0, "REF_X": 0})
    rms = deramp_timeseries(
        ts,
        tmp_path / "out.h5",
        DerampOptions(ramp=ramp, robust=False, max_rate=0),
        tmp_path / "stable.tif",
    )
    out = read_timeseries(tmp_path / "out.h5")
    assert np.allclose(out.data, signal, atol=1e-6)
    assert out.attrs["DERAMP"] == ramp and out.attrs["REF_Y"] == "0"
    assert rms[0] == pytest.approx(0, abs=1e-9) and rms[1] > 0
    # without the mask the bowl biases a plain fit; the robust refit rejects it
    deramp_timeseries(
        ts, tmp_path / "biased.h5", DerampOptions(ramp=ramp, robust=False, max_rate=0)
    )
    assert not np.allclose(read_timeseries(tmp_path / "biased.h5").data, signal, atol=1e-4)
    deramp_timeseries(ts, tmp_path / "robust.h5", DerampOptions(ramp=ramp, robust=True, max_rate=0))
    assert np.allclose(read_timeseries(tmp_path / "robust.h5").data, signal, atol=1e-6)


def test_mask_on_another_grid_is_refused(tmp_path):
    acq = dates(3)
    ts = make_timeseries(tmp_path / "ts.h5", np.zeros((3,) + GRID.shape), acq)
    write_geotiff(tmp_path / "mask.tif", np.ones((5, 5), np.uint8), GRID.window(0, 5, 0, 5))
    with pytest.raises(InputError, match="mask.tif.*does not match"):
        deramp_timeseries(ts, tmp_path / "o.h5", mask=tmp_path / "mask.tif")
    with pytest.raises(InputError, match="unknown ramp"):
        deramp_timeseries(ts, tmp_path / "o.h5", DerampOptions(ramp="cubic"))


def test_broad_deformation_left_out_by_rate(tmp_path):
    acq = dates(6, step=73)
    yy, xx = np.indices(GRID.shape)
    basin = np.exp(-((xx - 9) ** 2 + (yy - 7) ** 2) / 12.0)  # broad, smooth subsidence
    t = np.arange(len(acq))[:, None, None] * 73 / 365.25
    signal = -0.03 * t * basin  # up to -30 mm/yr
    ramp = 0.003 * np.array([0, 1, -1, -1, 1, 0])[:, None, None] * (xx / 11.0)[None]  # no trend
    ts = make_timeseries(tmp_path / "ts.h5", signal + ramp, acq)
    deramp_timeseries(ts, tmp_path / "plain.h5", DerampOptions(max_rate=0))
    deramp_timeseries(ts, tmp_path / "rate.h5", DerampOptions(max_rate=3.0))
    plain = read_timeseries(tmp_path / "plain.h5").data
    by_rate = read_timeseries(tmp_path / "rate.h5").data
    far = basin < 0.01
    for k in (1, 2):
        error_by_rate = np.abs(by_rate[k] - by_rate[k][far].mean() - signal[k]).max()
        error_plain = np.abs(plain[k] - plain[k][far].mean() - signal[k]).max()
        # pixels within 3 mm/yr of the median rate stay in the fit: ~1 mm left, 8x less
        assert error_by_rate < 1.5e-3 and error_plain > 5 * error_by_rate


def test_ramp_is_a_choice_named_in_errors():
    assert DerampOptions(ramp="Quadratic").ramp is Ramp.QUADRATIC
    with pytest.raises(InputError, match=r"unknown ramp 'cubic'.*linear \(plane.*quadratic"):
        DerampOptions(ramp="cubic")
    with pytest.raises(InputError, match="unknown ramp 'cubic'"):
        ramp_design(GRID.shape, "cubic")
    with pytest.raises(InputError, match=r"'max rate' = -1 mm/yr is below its minimum 0 mm/yr"):
        DerampOptions(max_rate=-1)
