"""The embedded demo study area: a synthetic mining district with known truth.

:mod:`.scene` defines the truth (grid, dates, terrain, bowls, groundwater area, uplift);
writers turn it into real file formats (HyP3 product zips, SLC stacks, driver rasters...).
"""
