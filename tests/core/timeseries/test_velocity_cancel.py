"""Velocity honours a cancel while it fits (not only between row blocks) and, cancelled at any
point, leaves none of its outputs behind."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.errors import Cancelled
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from insar_subsidence.core.timeseries import velocity as vel

GRID = Grid(500000.0, 4000000.0, 30.0, -30.0, width=200, length=120, epsg=32633)
DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(8)]


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    years = np.array([(d - DATES[0]).days for d in DATES]) / 365.25
    data = np.broadcast_to(-0.02 * years[:, None, None], (len(DATES),) + GRID.shape)
    path = tmp_path_factory.mktemp("ts") / "timeseries.h5"
    return write_timeseries(path, TimeSeries(DATES, data.astype(np.float32), GRID, {}))


def _outputs(folder):
    return vel.VelocityOutputs(
        los=folder / "los.tif",
        std=folder / "std.tif",
        classes=folder / "classes.tif",
        h5=folder / "velocity.h5",
    )


def test_a_cancel_during_the_fit_of_one_block_stops_it(series, tmp_path):
    """One row block holds all 24,000 pixels: the fit must still look at the cancel flag."""
    fitting = []

    def progress(fraction, message=""):
        if message == "Fitting rates":
            fitting.append(fraction)
        return len(fitting) < 2

    with pytest.raises(Cancelled):
        vel.estimate_velocity(series, _outputs(tmp_path), progress=progress)
    assert len(fitting) == 2 and 0 < fitting[1] < 0.9
    assert list(tmp_path.iterdir()) == []


def test_a_cancel_after_the_fit_leaves_no_output(series, tmp_path):
    def progress(fraction, message=""):
        return fraction < 1.0

    with pytest.raises(Cancelled):
        vel.estimate_velocity(series, _outputs(tmp_path), progress=progress)
    assert list(tmp_path.iterdir()) == []
    result = vel.estimate_velocity(series, _outputs(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "classes.tif",
        "los.tif",
        "std.tif",
        "velocity.h5",
    ]
    assert result.pixels == GRID.length * GRID.width
