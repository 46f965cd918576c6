"""The time-series dock's GNSS overlay: a click on a point layer near a station of a GNSS layer
in the project draws the station's series in the layer's line of sight, on the series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from qgis.core import QgsProject, QgsVectorLayer

from insar_subsidence.core.analysis.line_of_sight import los_from_heading
from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.io.gnss import GnssStation, write_gnss_layer
from insar_subsidence.core.io.point_layers import PointSeries, write_points
from tests.core import gnss_synthetic
from tests.qgis.ui_clicks import click, prepare_canvas

EPSG = 32649
X0, Y0 = 680_000.0, 3_940_000.0
MOTION = np.array([6.0, 0.0, -20.0])  # mm/yr
DATES = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * k) for k in range(60)]
STATION = (X0 + 500.0, Y0 + 500.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from pyproj import Transformer

    folder = tmp_path_factory.mktemp("gnss_overlay")
    rng = np.random.default_rng(0)
    x, y = X0 + rng.uniform(0, 1000, 400), Y0 + rng.uniform(0, 1000, 400)
    los = np.array(los_from_heading(39.0, -168.0))
    series = np.tile(np.outer(years_since(DATES), MOTION) @ los, (400, 1))
    fields = {"VEL": np.full(400, MOTION @ los)}
    fields.update(
        {f"los_{c}": np.full(400, v) for c, v in zip(("east", "north", "up"), los, strict=True)}
    )
    descending = write_points(
        folder / "descending.gpkg", PointSeries(x, y, EPSG, DATES, series, fields)
    )
    vertical = write_points(
        folder / "decomposed_vertical.gpkg",
        PointSeries(x, y, EPSG, DATES, np.tile(years_since(DATES) * MOTION[2], (400, 1)), {}),
    )
    daily = gnss_synthetic.daily(dt.date(2019, 6, 1), 1200)
    enu = np.outer(years_since(daily), MOTION)
    lon, lat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(*STATION)
    gnss = write_gnss_layer(
        folder / "gnss.gpkg",
        [GnssStation("JC01", lon, lat, daily, enu, np.full(enu.shape, np.nan))],
    )
    return {"descending": descending, "vertical": vertical, "gnss": gnss, "los": los}


@pytest.fixture
def dock(qgis_iface, qgis_canvas, qgis_new_project, files):
    from insar_subsidence.ui.gnss_overlay import GnssOverlay
    from insar_subsidence.ui.timeseries_dock import TimeSeriesDock

    layers = [
        QgsVectorLayer(f"{files[name]}|layername={files[name].stem}", name, "ogr")
        for name in ("descending", "vertical")
    ]
    QgsProject.instance().addMapLayers(layers)
    prepare_canvas(qgis_canvas, layers[0])
    widget = TimeSeriesDock(qgis_iface)
    widget.resize(700, 420)
    widget.activate_tool()
    widget.add_overlay(GnssOverlay(qgis_canvas))
    yield widget
    widget.unload()


def _gnss_curve(entry):
    curves = [i for i in entry.items if type(i).__name__ == "PlotDataItem" and i.isVisible()]
    return curves[-1].getData()


def test_station_drawn_in_the_line_of_sight_and_the_vertical(dock, qgis_canvas, files):
    from insar_subsidence.ui.plotting import timestamps

    dock.source_combo.setCurrentText("descending")
    dock.radius.setValue(100.0)
    click(dock.tool, qgis_canvas, *STATION)
    assert "GNSS" not in dock.status.text()  # no GNSS layer in the project yet
    QgsProject.instance().addMapLayer(
        QgsVectorLayer(f"{files['gnss']}|layername=stations", "gnss", "ogr")
    )
    dock.redraw()
    entry = dock.entries[-1]
    x, y = _gnss_curve(entry)
    on_dates = np.interp(timestamps(entry.shown.dates), x, y)
    # the daily GNSS motion projected on the descending LOS lies on the plotted series
    np.testing.assert_allclose(on_dates, entry.shown.values_mm, atol=0.05)
    assert "JC01 at" in dock.status.text()
    assert "GNSS JC01 (LOS)" in [label.text for _, label in dock.legend.items][-1]

    dock.source_combo.setCurrentText("vertical")
    click(dock.tool, qgis_canvas, *STATION)
    entry = dock.entries[-1]
    assert entry.source.direction.value == "vertical"
    x, y = _gnss_curve(entry)
    np.testing.assert_allclose(
        np.interp(timestamps(entry.shown.dates), x, y), entry.shown.values_mm, atol=0.05
    )
    assert y[-1] - y[0] == pytest.approx(MOTION[2] * years_since(DATES)[-1], abs=0.2)
