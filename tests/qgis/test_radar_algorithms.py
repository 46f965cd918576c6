"""A stack in radar coordinates through Processing as a user runs it: a reference point
clicked on the map (any CRS), the network's area of interest, the inversion, the velocity and
subsidence:geocode back onto the map grid."""

from __future__ import annotations

import numpy as np
import pytest

from insar_subsidence.core.demo.radar import radar_pixel, write_radar_copy
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.mintpy import read_attrs, write_geometry
from tests.core.sbas_synthetic import (
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)

GRID = Grid(499980.0, 4000020.0, 30.0, -30.0, width=12, length=9, epsg=32633)


@pytest.fixture
def radar_stack(tmp_path):
    dates = make_dates(10)
    truth = truth_displacement(dates, GRID, rate_m_per_yr=-0.06)
    stack = write_stack(
        tmp_path / "ifgramStack.h5", dates, small_baseline_pairs(dates), truth, grid=GRID
    )
    geometry = write_geometry(
        tmp_path / "geometryGeo.h5",
        GRID,
        np.zeros(GRID.shape),
        np.full(GRID.shape, 40.0),
        np.zeros(GRID.shape),
    )
    return write_radar_copy(stack, geometry, tmp_path / "radar"), truth


def test_radar_chain_and_geocode(run_algorithm, radar_stack, tmp_path):
    (stack, lookup), truth = radar_stack
    x, y = GRID.xy(7, 10)  # a map point in UTM: the lookup tables find its radar pixel
    inverted = run_algorithm(
        "sbasinversion",
        {
            "INPUT": str(stack),
            "REFERENCE": f"{x},{y} [EPSG:32633]",
            "OUTPUT": str(tmp_path / "ts.h5"),
            "OUTPUT_TCOH": str(tmp_path / "tcoh.h5"),
        },
    )
    attrs = read_attrs(inverted["OUTPUT"])
    assert (int(attrs["REF_Y"]), int(attrs["REF_X"])) == radar_pixel(GRID, 7, 10)
    velocity = run_algorithm(
        "velocity",
        {
            "INPUT": inverted["OUTPUT"],
            "GEOMETRY": str(lookup),
            "OUTPUT": str(tmp_path / "v.tif"),
            "OUTPUT_VERTICAL": str(tmp_path / "vv.tif"),
        },
    )
    geocoded = run_algorithm(
        "geocode",
        {"INPUT": velocity["OUTPUT_VERTICAL"], "OUTPUT": str(tmp_path / "vv_map.tif")},
    )
    assert (geocoded["WIDTH"], geocoded["LENGTH"]) == (GRID.width, GRID.length)
    vertical, grid = read_raster(geocoded["OUTPUT"])
    assert grid.same_as(GRID)
    years = (make_dates(10)[-1] - make_dates(10)[0]).days / 365.25
    expected = (truth[-1] - truth[-1, 7, 10]) / years * 1000 / np.cos(np.deg2rad(40.0))
    # a linear fit to a bowl with a seasonal term: the rate is close, not equal, to the end
    # point's slope; the bowl centre sinks fastest in both
    assert np.unravel_index(np.nanargmin(vertical), GRID.shape) == np.unravel_index(
        np.argmin(expected), GRID.shape
    )


def test_network_area_of_interest_in_map_coordinates(run_algorithm, radar_stack, tmp_path):
    (stack, _), _ = radar_stack
    x, y = GRID.xy(np.array([1, 6]), np.array([2, 9]))
    result = run_algorithm(
        "network",
        {
            "INPUT": str(stack),
            "MIN_COHERENCE": 0.1,
            "AOI": f"{x.min() - 5},{x.max() + 5},{y.min() - 5},{y.max() + 5} [EPSG:32633]",
            "OUTPUT": str(tmp_path / "network.h5"),
        },
    )
    assert result["KEPT"] > 0


def test_geocode_refuses_a_geocoded_product(run_algorithm, tmp_path):
    from insar_subsidence.core.io.mintpy import write_velocity

    path = write_velocity(
        tmp_path / "velocity.h5", GRID, np.zeros(GRID.shape), np.zeros(GRID.shape)
    )
    with pytest.raises(Exception, match="already on a map grid"):
        run_algorithm("geocode", {"INPUT": str(path), "OUTPUT": str(tmp_path / "out.h5")})
