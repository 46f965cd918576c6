"""Time-series dock: the onset overlay draws the breakpoint and steps of the clicked series."""

import datetime as dt

import numpy as np
import pytest
from qgis.core import QgsProject, QgsRasterLayer

from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import TimeSeries, write_timeseries
from tests.qgis.ui_clicks import click, prepare_canvas

GRID = Grid(680000.0, 3940000.0, 80.0, -80.0, 20, 20, 32649)
DATES = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * k) for k in range(60)]
ONSET, STEP = 25, 45


@pytest.fixture
def dock(qgis_iface, qgis_canvas, qgis_new_project, tmp_path):
    from insar_subsidence.ui.timeseries_dock import TimeSeriesDock

    t = np.array([(d - DATES[0]).days for d in DATES]) / 365.25
    series = np.where(t > t[ONSET], -0.04 * (t - t[ONSET]), 0.0)
    series = series + np.where(np.arange(len(DATES)) >= STEP, -0.012, 0.0)
    noise = np.random.default_rng(0).normal(0, 0.0015, (len(DATES),) + GRID.shape)
    cube = (series[:, None, None] + noise).astype(np.float32)
    path = write_timeseries(tmp_path / "ts.h5", TimeSeries(DATES, cube, GRID, {}, None))
    write_geotiff(tmp_path / "v.tif", np.zeros(GRID.shape, np.float32), GRID)
    layer = QgsRasterLayer(str(tmp_path / "v.tif"), "v")
    QgsProject.instance().addMapLayer(layer)
    prepare_canvas(qgis_canvas, layer)
    widget = TimeSeriesDock(qgis_iface)
    widget.activate_tool()
    widget.add_file(str(path))
    yield widget
    widget.unload()


def _date_lines(entry):
    lines = []
    for item in entry.items:
        if hasattr(item, "label") and hasattr(item, "value"):
            day = dt.datetime.fromtimestamp(item.value(), dt.timezone.utc).date()
            lines.append((day, item.label.format))
    return lines


def test_onset_overlay_marks_the_breakpoint_and_the_step(dock, qgis_canvas):
    box = next(b for o, b in dock.overlays.items() if o.name == "Onset and steps")
    assert not box.isChecked()  # off until asked for
    x, y = GRID.xy(10, 10)
    click(dock.tool, qgis_canvas, float(x), float(y))
    assert _date_lines(dock.entries[0]) == []
    box.setChecked(True)
    lines = _date_lines(dock.entries[0])
    onset = [d for d, text in lines if text.startswith("onset")]
    steps = [d for d, text in lines if text.startswith("step")]
    assert len(onset) == 1 and abs((onset[0] - DATES[ONSET]).days) <= 24
    assert steps == [DATES[STEP]]
    assert "onset" in dock.status.text() and "-12" in dock.status.text()
