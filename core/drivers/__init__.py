"""Drivers: why the ground moves (land-use change, zonal statistics over mining areas,
subsidence bowls, correlation with water and rain) and the study report.
"""

from .bowls import BowlOptions, DetectedBowl, detect_bowls, find_bowls
from .correlation import BestLag, CorrelationOptions, correlate_drivers
from .landuse import TransitionResult, land_use_transition
from .report import ReportInputs, build_report, write_report
from .zonal import ZonalOptions, zonal_statistics

__all__ = [
    "BestLag",
    "BowlOptions",
    "CorrelationOptions",
    "DetectedBowl",
    "ReportInputs",
    "TransitionResult",
    "ZonalOptions",
    "build_report",
    "correlate_drivers",
    "detect_bowls",
    "find_bowls",
    "land_use_transition",
    "write_report",
    "zonal_statistics",
]
