"""File formats read and written between the steps: GeoTIFF rasters, MintPy HDF5
(``ifgramStack.h5``, ``geometryGeo.h5``, ``timeseries.h5``...), GeoPackage point layers with
``DYYYYMMDD``/``VEL`` fields, vector files through OGR, ASF HyP3 products, coregistered SLC
stacks, the lookup tables of radar-coordinate files, rasters read in windows (GeoTIFF,
MintPy products, radar products warped on the fly) and quick-look GeoTIFFs of the MintPy files.
"""

from .geotiff import band_names, grid_of, open_raster, read_raster, write_geotiff
from .gnss import GnssStation, is_gnss_layer, read_gnss_layer, write_gnss_layer
from .hyp3 import Hyp3Product, discover_products, parse_product_name, stack_attributes, unique_pairs
from .lookup import RadarLookup, find_lookup, lookup_for, pixel_locator
from .mintpy import (
    IfgramStack,
    Pair,
    TimeSeries,
    open_h5,
    read_attrs,
    read_dataset,
    read_timeseries,
    read_timeseries_dates,
    write_datasets,
    write_geometry,
    write_ifgram_stack,
    write_temporal_coherence,
    write_timeseries,
    write_velocity,
)
from .point_layers import (
    PointSeries,
    date_field,
    point_layer_crs,
    point_layer_writer,
    read_point_chunks,
    read_points,
    write_points,
)
from .quicklook import write_quicklook
from .rasters import RasterSource, open_raster_source, open_rate_raster, read_rate_raster
from .slc import SlcStack, read_dates_bperp, write_slc_stack
from .vector import crs_of, field_names, open_vector

__all__ = [
    "GnssStation",
    "is_gnss_layer",
    "read_gnss_layer",
    "write_gnss_layer",
    "Hyp3Product",
    "IfgramStack",
    "Pair",
    "PointSeries",
    "RadarLookup",
    "RasterSource",
    "SlcStack",
    "TimeSeries",
    "band_names",
    "crs_of",
    "date_field",
    "discover_products",
    "find_lookup",
    "field_names",
    "grid_of",
    "lookup_for",
    "open_h5",
    "open_raster",
    "open_raster_source",
    "open_rate_raster",
    "open_vector",
    "parse_product_name",
    "pixel_locator",
    "point_layer_crs",
    "point_layer_writer",
    "read_attrs",
    "read_dates_bperp",
    "read_dataset",
    "read_point_chunks",
    "read_points",
    "read_raster",
    "read_rate_raster",
    "read_timeseries",
    "read_timeseries_dates",
    "stack_attributes",
    "unique_pairs",
    "write_datasets",
    "write_geometry",
    "write_geotiff",
    "write_ifgram_stack",
    "write_points",
    "write_slc_stack",
    "write_quicklook",
    "write_temporal_coherence",
    "write_timeseries",
    "write_velocity",
]
