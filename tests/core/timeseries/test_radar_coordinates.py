"""Stacks in radar coordinates (no X_FIRST, lookup tables in geometryRadar.h5) through
network, inversion, corrections and velocity, and geocoded back: a geocoded stack turned a
quarter turn with exactly known lookup tables (core.demo.radar) must give the geocoded chain's
answers, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest

from insar_subsidence.core.corrections.deramp import DerampOptions, deramp_timeseries
from insar_subsidence.core.corrections.reference import ReferenceOptions, set_reference
from insar_subsidence.core.corrections.troposphere import correct_troposphere
from insar_subsidence.core.crs import transform_xy
from insar_subsidence.core.demo.radar import (
    lookup_tables,
    radar_pixel,
    to_map,
    to_radar,
    write_radar_copy,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.lookup import RadarLookup, find_lookup
from insar_subsidence.core.io.mintpy import (
    IfgramStack,
    read_attrs,
    read_dataset,
    read_timeseries,
    write_geometry,
)
from insar_subsidence.core.network.selection import mean_coherence
from insar_subsidence.core.timeseries.geocode import GeocodeOptions, geocode
from insar_subsidence.core.timeseries.sbas.inversion import invert_stack
from insar_subsidence.core.timeseries.velocity import VelocityOutputs, estimate_velocity
from tests.core.corrections.test_troposphere import write_gacos
from tests.core.sbas_synthetic import (
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)

# edges on multiples of the pixel, as the default map grid of the geocoding step
GRID = Grid(499980.0, 4000020.0, 30.0, -30.0, width=12, length=9, epsg=32633)


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    """The same stack geocoded and in radar coordinates, each inverted and turned into
    velocity (LOS, vertical, classes, HDF5)."""
    folder = tmp_path_factory.mktemp("radar")
    dates = make_dates(8)
    pairs = small_baseline_pairs(dates)
    (folder / "geo").mkdir()
    stack = write_stack(
        folder / "geo" / "ifgramStack.h5",
        dates,
        pairs,
        truth_displacement(dates, GRID),
        noise_rad=0.2,
        ref_yx=(1, 2),
        grid=GRID,
    )
    incidence = 36.0 + 0.5 * np.arange(GRID.width)[None, :] + np.zeros(GRID.shape)
    water = np.ones(GRID.shape, bool)
    water[0, :3] = False
    geometry = write_geometry(
        folder / "geo" / "geometryGeo.h5",
        GRID,
        np.full(GRID.shape, 250.0),
        incidence,
        np.full(GRID.shape, -100.0),
        water,
    )
    radar_stack, lookup = write_radar_copy(stack, geometry, folder / "radar")
    runs = {"geo": (stack, geometry), "radar": (radar_stack, lookup)}
    for name, (path, geom) in runs.items():
        out = folder / name
        invert_stack(path, out / "timeseries.h5", out / "temporalCoherence.h5")
        estimate_velocity(
            out / "timeseries.h5",
            VelocityOutputs(
                los=out / "velocity.tif",
                vertical=out / "velocity_vertical.tif",
                classes=out / "classes.tif",
                h5=out / "velocity.h5",
            ),
            geometry=geom,
        )
    return folder, dates


def test_radar_stack_opens_with_its_lookup_tables(chains):
    folder, _ = chains
    stack = IfgramStack.open(folder / "radar" / "ifgramStack.h5")
    assert stack.grid.radar and stack.grid.shape == (GRID.width, GRID.length)
    assert "X_FIRST" not in read_attrs(folder / "radar" / "ifgramStack.h5")
    assert stack.reference_yx == radar_pixel(GRID, 1, 2)
    lookup = stack.locator
    assert isinstance(lookup, RadarLookup) and lookup.shape == stack.grid.shape
    # every pixel's own position leads back to it
    rows, cols = np.indices(lookup.shape).reshape(2, -1)
    lon, lat = lookup.xy(rows, cols)
    found = lookup.rowcol(lon, lat)
    np.testing.assert_array_equal(found[0], rows)
    np.testing.assert_array_equal(found[1], cols)
    assert lookup.rowcol(0.0, 0.0) == (-1, -1)


def test_inversion_in_radar_geometry_equals_the_geocoded_one(chains):
    folder, _ = chains
    geo = read_timeseries(folder / "geo" / "timeseries.h5")
    radar = read_timeseries(folder / "radar" / "timeseries.h5")
    assert radar.grid.radar
    np.testing.assert_allclose(to_map(radar.data), geo.data, rtol=0, atol=1e-7)
    attrs = read_attrs(folder / "radar" / "timeseries.h5")
    lat, lon = lookup_tables(GRID)
    row, col = radar_pixel(GRID, 1, 2)
    assert float(attrs["REF_LAT"]) == pytest.approx(lat[row, col])
    assert float(attrs["REF_LON"]) == pytest.approx(lon[row, col])


def test_velocity_geocoded_back_is_the_geocoded_chains(chains, tmp_path):
    folder, _ = chains
    result = geocode(folder / "radar" / "velocity.h5", tmp_path / "velocity.h5")
    assert result.grid.same_as(GRID) and result.grid.epsg == GRID.epsg
    for name in ("velocity", "velocityStd", "velocityVertical"):
        mapped, grid = read_dataset(tmp_path / "velocity.h5", name)
        expected, _ = read_dataset(folder / "geo" / "velocity.h5", name)
        assert grid.same_as(GRID)
        np.testing.assert_allclose(mapped, expected, rtol=0, atol=1e-9)
    for name in ("velocity.tif", "velocity_vertical.tif", "classes.tif"):
        geocode(folder / "radar" / name, tmp_path / name)
        for band in (1, 2) if name == "velocity_vertical.tif" else (1,):
            mapped, grid = read_raster(tmp_path / name, band)
            expected, _ = read_raster(folder / "geo" / name, band)
            assert grid.same_as(GRID)
            np.testing.assert_allclose(mapped, expected, rtol=0, atol=1e-6, equal_nan=True)


def test_geocoded_series_moves_its_reference_and_keeps_every_dataset(chains, tmp_path):
    folder, dates = chains
    geocode(folder / "radar" / "timeseries.h5", tmp_path / "timeseries.h5")
    mapped = read_timeseries(tmp_path / "timeseries.h5")
    expected = read_timeseries(folder / "geo" / "timeseries.h5")
    assert mapped.dates == dates and mapped.grid.same_as(GRID)
    np.testing.assert_allclose(mapped.data, expected.data, rtol=0, atol=1e-7)
    attrs = read_attrs(tmp_path / "timeseries.h5")
    assert (int(attrs["REF_Y"]), int(attrs["REF_X"])) == (1, 2)
    assert attrs["EPSG"] == "32633" and "LOOKUP_FILE" not in attrs
    geometry = geocode(folder / "radar" / "geometryRadar.h5", tmp_path / "geometry.h5")
    assert {"height", "incidenceAngle", "waterMask", "latitude"} <= set(geometry.datasets)
    water, _ = read_dataset(tmp_path / "geometry.h5", "waterMask")
    original, _ = read_dataset(folder / "geo" / "geometryGeo.h5", "waterMask")
    assert water.dtype == bool
    np.testing.assert_array_equal(water, original)


def test_bilinear_resampling_and_a_chosen_grid(chains, tmp_path):
    folder, _ = chains
    options = GeocodeOptions(pixel_size=60.0, resampling="bilinear")
    result = geocode(folder / "radar" / "velocity.h5", tmp_path / "coarse.h5", options=options)
    assert result.grid.x_step == 60.0 and result.grid.x_first % 60 == 0
    coarse, _ = read_dataset(tmp_path / "coarse.h5", "velocity")
    fine, _ = read_dataset(folder / "geo" / "velocity.h5", "velocity")
    # the outer cells' centres lie beyond the outermost radar pixel centres
    assert np.isfinite(coarse[1:-1, 1:-1]).all()
    assert np.nanmin(fine) <= np.nanmin(coarse) and np.nanmax(coarse) <= np.nanmax(fine)


def test_corrections_in_radar_geometry(chains, tmp_path):
    folder, dates = chains
    lat, lon = lookup_tables(GRID)
    centre = float(lon.mean()), float(lat.mean())
    for date, slope in zip(dates, np.linspace(-0.2, 0.3, len(dates)), strict=True):
        write_gacos(
            tmp_path / "gacos",
            date,
            lambda x, y, s=slope: 2.3 + s * (x - centre[0]) - s * (y - centre[1]),
            x0=centre[0] - 0.05,
            y0=centre[1] + 0.05,
            step=0.001,
            n=100,
        )
    results = {}
    for name, geometry in (
        ("geo", folder / "geo" / "geometryGeo.h5"),
        ("radar", folder / "radar" / "geometryRadar.h5"),
    ):
        series = folder / name / "timeseries.h5"
        tropo = correct_troposphere(
            series, geometry, tmp_path / "gacos", tmp_path / f"{name}_tropo.h5"
        )
        deramp_timeseries(
            tmp_path / f"{name}_tropo.h5",
            tmp_path / f"{name}_deramped.h5",
            options=DerampOptions(ramp="linear"),
        )
        results[name] = (tropo, read_timeseries(tmp_path / f"{name}_deramped.h5").data)
    # GACOS sampled at the (float32) lookup positions vs GDAL's approximate warp onto the map
    # grid: delays of ~3 m agree within microns
    assert results["geo"][0][-1] > 1e-3
    np.testing.assert_allclose(results["radar"][0], results["geo"][0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(to_map(results["radar"][1]), results["geo"][1], rtol=0, atol=5e-6)


def test_reference_and_network_area_through_the_lookup(chains, tmp_path):
    folder, _ = chains
    stack = IfgramStack.open(folder / "radar" / "ifgramStack.h5")
    lat, lon = lookup_tables(GRID)
    row, col = radar_pixel(GRID, 4, 7)
    assert stack.locator.rowcol(lon[row, col], lat[row, col]) == (row, col)
    areas = set_reference(
        stack.path,
        tmp_path / "referenced.h5",
        ReferenceOptions(areas=[(row, col, 0)]),
    )
    attrs = read_attrs(tmp_path / "referenced.h5")
    assert areas[0][:2] == (row, col)
    assert float(attrs["REF_LON"]) == pytest.approx(lon[row, col])
    # an area of interest in longitude/latitude (a metre wider: float32 tables) picks the same
    # pixels as in map coordinates
    geo = IfgramStack.open(folder / "geo" / "ifgramStack.h5")
    x, y = GRID.xy(np.array([2, 5]), np.array([3, 8]))
    aoi_map = (x.min(), y.min(), x.max(), y.max())
    lon_corners, lat_corners = transform_xy(x[[0, 1, 0, 1]], y[[0, 1, 1, 0]], 32633, 4326)
    aoi_lonlat = (
        lon_corners.min() - 1e-5,
        lat_corners.min() - 1e-5,
        lon_corners.max() + 1e-5,
        lat_corners.max() + 1e-5,
    )
    np.testing.assert_allclose(
        mean_coherence(stack, aoi_lonlat), mean_coherence(geo, aoi_map), rtol=1e-6
    )


def test_refusals_name_the_file(chains, tmp_path):
    folder, _ = chains
    with pytest.raises(InputError, match="already on a map grid") as error:
        geocode(folder / "geo" / "velocity.h5", tmp_path / "v.h5")
    assert "velocity.h5" in str(error.value)
    lonely = tmp_path / "alone" / "velocity.h5"
    lonely.parent.mkdir()
    lonely.write_bytes((folder / "radar" / "velocity.h5").read_bytes())
    import h5py

    with h5py.File(lonely, "r+") as f:
        del f.attrs["LOOKUP_FILE"]
    assert find_lookup(lonely) is None
    with pytest.raises(InputError, match="radar coordinates and no lookup table") as error:
        geocode(lonely, tmp_path / "v.h5")
    assert str(lonely) in str(error.value)
    other = tmp_path / "other" / "geometryRadar.h5"
    other.parent.mkdir()
    write_geometry(other, Grid.radar_coordinates(5, 4), *np.ones((3, 4, 5)))
    with h5py.File(other, "r+") as f:
        f["latitude"] = np.ones((4, 5), np.float32)
        f["longitude"] = np.ones((4, 5), np.float32)
    with pytest.raises(InputError, match="lookup tables geometryRadar.h5 are 4 x 5"):
        geocode(lonely, tmp_path / "v.h5", lookup=other)
    with pytest.raises(InputError, match="output format differs"):
        geocode(folder / "radar" / "velocity.h5", tmp_path / "v.tif")
    assert not (tmp_path / "v.h5").exists()


def test_quarter_turn_round_trip():
    image = np.arange(12).reshape(3, 4)
    assert to_radar(image).shape == (4, 3)
    np.testing.assert_array_equal(to_map(to_radar(image)), image)
    row, col = radar_pixel(Grid(0, 0, 1, -1, 4, 3), 1, 2)
    assert to_radar(image)[row, col] == image[1, 2]
