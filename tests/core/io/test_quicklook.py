"""Quick-look GeoTIFFs of MintPy files, against hand-computed values."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.geotiff import band_names, read_raster
from insar_subsidence.core.io.mintpy import (
    TimeSeries,
    write_datasets,
    write_temporal_coherence,
    write_timeseries,
)
from insar_subsidence.core.io.quicklook import stack_quicklook, write_quicklook
from tests.core.sbas_synthetic import GRID, make_dates, small_baseline_pairs, write_stack


def test_stack_quicklook_means_the_kept_pairs_only(tmp_path):
    dates = make_dates(4)
    pairs = small_baseline_pairs(dates, 2)  # 5 pairs
    coherence = np.empty((len(pairs),) + GRID.shape, np.float32)
    for k in range(len(pairs)):
        coherence[k] = 0.1 * (k + 1)
    keep = np.array([True, False, True, True, False])
    displacement = np.zeros((len(dates),) + GRID.shape)
    stack = write_stack(
        tmp_path / "ifgramStack.h5", dates, pairs, displacement, coherence=coherence, keep=keep
    )
    out = stack_quicklook(stack, tmp_path / "quick.tif", memory_mb=0.001)  # a block per row
    mean_coherence, grid = read_raster(out)
    assert grid.same_as(GRID)
    np.testing.assert_allclose(mean_coherence, np.mean([0.1, 0.3, 0.4]), rtol=1e-6)
    np.testing.assert_array_equal(read_raster(out, band=2)[0], 3)
    assert band_names(out) == [
        "Mean coherence of the kept pairs",
        "Kept pairs with an unwrapped phase",
    ]


def test_series_quicklook_is_the_last_minus_the_first_date_in_mm(tmp_path):
    dates = make_dates(3)
    cube = np.zeros((3,) + GRID.shape, np.float32)
    cube[0] = 0.002
    cube[2] = -0.010
    path = write_timeseries(tmp_path / "ts.h5", TimeSeries(dates, cube, GRID, {}))
    out = write_quicklook(path, tmp_path / "ts.tif")
    data, _ = read_raster(out)
    np.testing.assert_allclose(data, -12.0, rtol=1e-5)
    assert band_names(out)[0].startswith("Cumulative LOS displacement 20200106-20200130")


def test_temporal_coherence_quicklook_copies_the_values(tmp_path):
    values = np.linspace(0, 1, GRID.width * GRID.length).reshape(GRID.shape)
    path = write_temporal_coherence(tmp_path / "tcoh.h5", GRID, values)
    data, _ = read_raster(write_quicklook(path, tmp_path / "tcoh.tif"))
    np.testing.assert_allclose(data, values, rtol=1e-6)


def test_other_files_and_the_input_itself_are_refused(tmp_path):
    path = write_datasets(
        tmp_path / "geometryGeo.h5", {"height": np.zeros(GRID.shape)}, "geometry", GRID
    )
    with pytest.raises(InputError, match="geometryGeo.h5.*no quick-look"):
        write_quicklook(path, tmp_path / "g.tif")
    with pytest.raises(InputError, match="overwrite this input"):
        write_quicklook(path, path)
