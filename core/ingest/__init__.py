"""Ingest: interferograms (ASF HyP3 products, generic GeoTIFFs) into a MintPy-compatible
``ifgramStack.h5`` + ``geometryGeo.h5``, and point products (EGMS, StaMPS, DePSI, MintPy, CSV)
into a GeoPackage point layer.
"""

from .from_geotiff import ingest_geotiff, pair_from_name
from .from_hyp3 import ingest_hyp3
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
    "ImportSummary",
    "IngestOptions",
    "IngestResult",
    "PairSource",
    "PointFormat",
    "PointImportOptions",
    "import_points",
    "ingest_geotiff",
    "ingest_hyp3",
    "pair_from_name",
]
