"""Profiles are measured in metres also over sources in degrees, and a line that crosses no
source, or an empty line set, is refused instead of giving NaN and empty files."""

import numpy as np
import pytest

from insar_subsidence.core.analysis.profile import ProfileOptions, profile_lines
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff

GRID = Grid(680000.0, 3940000.0, 40.0, -40.0, 120, 120, 32649)  # UTM 49N, 4.8 km square


@pytest.fixture(scope="module")
def bowl(tmp_path_factory):
    """A Gaussian bowl (-30 mm/yr, sigma 400 m) in UTM and the same raster warped to WGS 84."""
    from osgeo import gdal

    folder = tmp_path_factory.mktemp("bowl")
    xc, yc = GRID.xy(*np.mgrid[0:120, 0:120])
    x0, y0 = GRID.xy(60, 60)
    rate = -30 * np.exp(-((xc - x0) ** 2 + (yc - y0) ** 2) / (2 * 400.0**2))
    utm = write_geotiff(folder / "utm.tif", rate.astype(np.float32), GRID)
    wgs84 = folder / "wgs84.tif"
    gdal.Warp(str(wgs84), str(utm), dstSRS="EPSG:4326", resampleAlg="bilinear")
    line = np.array([(x0 - 2000.0, y0), (x0 + 2000.0, y0)])
    return utm, wgs84, line


def test_a_raster_in_degrees_gives_the_same_profile_in_metres(bowl):
    utm, wgs84, line = bowl
    options = ProfileOptions(buffer_m=30.0, bin_m=40.0, threshold_mm_yr=-10.0)
    results, _ = profile_lines([("A", line)], [utm, wgs84], options=options, line_epsg=32649)
    metric, degrees = (p.metrics for p in results[0].profiles)
    assert metric.line_length_m == pytest.approx(4000.0, rel=1e-6)
    assert degrees.line_length_m == pytest.approx(4000.0, rel=2e-3)
    assert degrees.minimum == pytest.approx(metric.minimum, abs=1.0)
    assert degrees.minimum_at_m == pytest.approx(2000.0, abs=60)
    # -30 exp(-r^2 / 2 s^2) = -10  ->  r = s sqrt(2 ln 3)
    assert degrees.width_m == pytest.approx(2 * 400 * np.sqrt(2 * np.log(3)), rel=0.08)


def test_a_line_away_from_every_source_is_refused_and_writes_nothing(bowl, tmp_path):
    utm, _, line = bowl
    far = line + np.array([50_000.0, 0.0])
    with pytest.raises(InputError, match="line 'far' crosses no source"):
        profile_lines(
            [("near", line), ("far", far)], [utm], folder=tmp_path / "out", line_epsg=32649
        )
    assert not (tmp_path / "out").exists()


def test_no_line_is_refused(bowl):
    with pytest.raises(InputError, match="no line with two or more vertices"):
        profile_lines([], [bowl[0]], line_epsg=32649)
