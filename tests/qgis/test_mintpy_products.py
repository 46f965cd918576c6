"""MintPy's own products straight onto the map and into the analysis steps: a velocity.h5
(m/yr, geocoded in UTM, or in radar coordinates beside its lookup tables) where a velocity
raster is asked for, and the plugin's "Add a MintPy product" giving styled layers in mm/yr and
a dated time series the time-series dock plots."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import ogr
from qgis.core import QgsProject

from insar_subsidence.core.demo.radar import (
    lookup_tables,
    radar_pixel,
    to_radar,
    write_radar_copy,
    write_radar_product,
)
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.mintpy import (
    TimeSeries,
    write_geometry,
    write_timeseries,
    write_velocity,
)
from insar_subsidence.core.timeseries.sampling import sample_series_file
from tests.core.sbas_synthetic import make_dates, small_baseline_pairs, write_stack
from tests.qgis.test_drivers_algorithms import polygons

GRID = Grid(499980.0, 4000020.0, 30.0, -30.0, width=12, length=9, epsg=32633)
BOWL = (slice(3, 6), slice(4, 8))  # 12 pixels of 900 m2 at -30 mm/yr


def map_box(r0, c0, r1, c1):
    x0, y1 = GRID.x_first + GRID.x_step * c0, GRID.y_first + GRID.y_step * r0
    x1, y0 = GRID.x_first + GRID.x_step * c1, GRID.y_first + GRID.y_step * r1
    return f"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """velocity.h5 and timeseries.h5 on the map grid, and their radar-coordinate copies."""
    folder = tmp_path_factory.mktemp("mintpy")
    rate = np.zeros(GRID.shape, np.float32)
    rate[BOWL] = -0.03  # m/yr, as MintPy writes it
    velocity = write_velocity(folder / "velocity.h5", GRID, rate, np.full(GRID.shape, 0.002))
    dates = make_dates(6)
    years = np.array([(d - dates[0]).days / 365.25 for d in dates])
    data = (years[:, None, None] * rate[None]).astype(np.float32)
    series = write_timeseries(
        folder / "timeseries.h5", TimeSeries(dates, data, GRID, {}, np.zeros(len(dates)))
    )
    stack = write_stack(
        folder / "ifgramStack.h5", dates, small_baseline_pairs(dates), data, grid=GRID
    )
    geometry = write_geometry(
        folder / "geometryGeo.h5", GRID, *np.zeros((2, *GRID.shape)), np.zeros(GRID.shape)
    )
    _, lookup = write_radar_copy(stack, geometry, folder / "radar")
    radar = {
        name: write_radar_product(folder / name, lookup, folder / "radar" / name)
        for name in ("velocity.h5", "timeseries.h5")
    }
    return {"geo": (velocity, series), "radar": (radar["velocity.h5"], radar["timeseries.h5"])}


@pytest.mark.parametrize("kind", ["geo", "radar"])
def test_bowls_and_zonal_statistics_read_velocity_h5(run_algorithm, products, tmp_path, kind):
    velocity, _ = products[kind]
    bowls = run_algorithm(
        "detectbowls",
        {
            "INPUT": str(velocity),
            "THRESHOLD": -10,
            "MIN_AREA": 0,
            "OUTPUT": str(tmp_path / "bowls.gpkg"),
        },
    )
    assert bowls["BOWL_COUNT"] == 1
    table = ogr.Open(bowls["OUTPUT"])  # kept open while its feature is read
    bowl = table.GetLayer(0).GetNextFeature()
    assert bowl.GetField("peak") == pytest.approx(-30.0)
    assert bowl.GetField("area_km2") == pytest.approx(12 * 900 / 1e6)
    zones = polygons(tmp_path / "zones.gpkg", [map_box(0, 0, 9, 6), map_box(0, 6, 9, 12)], 32633)
    zonal = run_algorithm(
        "zonalstats",
        {
            "INPUT": zones,
            "VELOCITY": str(velocity),
            "THRESHOLD": -10,
            "OUTPUT": str(tmp_path / "zonal.gpkg"),
        },
    )
    table = ogr.Open(zonal["OUTPUT"])
    counts = [f.GetField("subsiding_count") for f in table.GetLayer(0)]
    assert counts == [6, 6]


def test_a_file_that_is_no_product_is_refused_by_name(run_algorithm, products, tmp_path):
    geometry = products["radar"][0].parent / "geometryRadar.h5"
    with pytest.raises(Exception, match="geometryRadar.h5.*holds none of velocity"):
        run_algorithm(
            "detectbowls",
            {"INPUT": str(geometry), "THRESHOLD": -10, "OUTPUT": str(tmp_path / "b.gpkg")},
        )


@pytest.mark.parametrize("kind", ["geo", "radar"])
def test_add_mintpy_products_to_the_map(qgis_app, products, kind):
    from insar_subsidence.plugin.mintpy_layers import add_mintpy_product
    from insar_subsidence.ui.timeseries_dock import raster_has_series

    velocity, series = products[kind]
    project = QgsProject()
    layers = add_mintpy_product(velocity, project)
    assert [layer.name() for layer in layers] == [
        "velocity LOS velocity (mm/yr)",
        "velocity LOS velocity standard deviation (mm/yr)",
    ]
    rate = layers[0]
    assert rate.crs().authid() == "EPSG:32633"
    assert rate.width() == GRID.width and rate.height() == GRID.length
    provider = rate.dataProvider()
    inside, outside = GRID.xy(4, 5), GRID.xy(8, 0)
    from qgis.core import QgsPointXY

    assert provider.sample(QgsPointXY(*inside), 1)[0] == pytest.approx(-30.0)
    assert provider.sample(QgsPointXY(*outside), 1)[0] == pytest.approx(0.0)
    assert layers[1].dataProvider().sample(QgsPointXY(*inside), 1)[0] == pytest.approx(2.0)
    # styled as velocities: a pseudocolour ramp, not QGIS's grey
    assert rate.renderer().type() == "singlebandpseudocolor"
    assert len(project.mapLayers()) == 2
    # added again: the same VRTs, not new ones
    again = add_mintpy_product(velocity, project)
    assert [layer.source() for layer in again] == [layer.source() for layer in layers]

    (displacement,) = add_mintpy_product(series, project)
    assert displacement.bandCount() == 6 and raster_has_series(displacement)
    sampled = sample_series_file(displacement.source(), *inside, radius=1.0)
    dates = make_dates(6)
    years = np.array([(d - dates[0]).days / 365.25 for d in dates])
    assert sampled.dates == dates
    np.testing.assert_allclose(sampled.values_mm, -30.0 * years, rtol=1e-5, atol=1e-4)
    # the radar file itself, sampled by longitude/latitude through its lookup tables
    if kind == "radar":
        lat, lon = lookup_tables(GRID)
        row, col = radar_pixel(GRID, 4, 5)
        direct = sample_series_file(series, float(lon[row, col]), float(lat[row, col]), 1.0)
        np.testing.assert_allclose(direct.values_mm, sampled.values_mm, rtol=1e-6)


def test_degree_grid_of_mintpy_goes_onto_the_map_in_wgs84(qgis_app, tmp_path):
    from qgis.core import QgsPointXY

    from insar_subsidence.plugin.mintpy_layers import add_mintpy_product

    grid = Grid(116.0, 40.0, 0.001, -0.001, width=10, length=8, epsg=None)
    rate = np.zeros(grid.shape, np.float32)
    rate[2, 3] = -0.05
    path = write_velocity(tmp_path / "velocity.h5", grid, rate, np.zeros(grid.shape))
    import h5py

    with h5py.File(path, "r+") as f:  # as MintPy's geocode writes it: degrees, no EPSG
        f.attrs["X_UNIT"] = f.attrs["Y_UNIT"] = "degrees"
    project = QgsProject()  # owns the layers
    layer = add_mintpy_product(path, project)[0]
    assert layer.crs().authid() == "EPSG:4326"
    assert layer.dataProvider().sample(QgsPointXY(*grid.xy(2, 3)), 1)[0] == pytest.approx(-50.0)


def test_radar_copy_turns_products_a_quarter(products):
    import h5py

    velocity, _ = products["radar"]
    with h5py.File(velocity, "r") as f:
        assert "X_FIRST" not in f.attrs and f["velocity"].shape == (GRID.width, GRID.length)
        expected = np.zeros(GRID.shape, np.float32)
        expected[BOWL] = -0.03
        np.testing.assert_array_equal(f["velocity"][()], to_radar(expected))
