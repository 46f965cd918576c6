"""Ingest: interferograms (ASF HyP3 products, generic GeoTIFFs) into a MintPy-compatible
``ifgramStack.h5`` + ``geometryGeo.h5``, point products (EGMS, StaMPS, DePSI, MintPy, CSV)
into a GeoPackage point layer, and GNSS station series (NGL tenv3, NEU columns, CSV).
"""

from .from_geotiff import ingest_geotiff, pair_from_name
from .from_hyp3 import ingest_hyp3
from .gnss_import import (
    GnssFormat,
    GnssImportOptions,
    check_gnss_files,
    import_gnss,
)
from .point_import import (
    DisplacementUnit,
    ImportSummary,
    PointFormat,
    PointImportOptions,
    import_points,
)
from .stack_builder import IngestOptions, IngestResult, PairSource

__all__ = [
    "DisplacementUnit",
    "GnssFormat",
    "GnssImportOptions",
    "ImportSummary",
    "IngestOptions",
    "IngestResult",
    "PairSource",
    "PointFormat",
    "PointImportOptions",
    "check_gnss_files",
    "import_gnss",
    "import_points",
    "ingest_geotiff",
    "ingest_hyp3",
    "pair_from_name",
]
