"""OGR helpers shared by the point and polygon readers."""

from osgeo import osr

from insar_subsidence.core.io.vector import crs_of

osr.UseExceptions()


def test_a_crs_without_an_epsg_code_comes_back_as_its_wkt():
    # AutoIdentifyEPSG raises "Unsupported SRS" on it under UseExceptions (psinsar wrote such
    # a layer for a stack without a projection and reading it back failed)
    local = osr.SpatialReference()
    local.SetLocalCS("site grid")
    epsg, wkt = crs_of(local)
    assert epsg is None and "site grid" in wkt


def test_a_crs_with_an_epsg_code_comes_back_as_the_code():
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32633)
    assert crs_of(utm) == (32633, None)
