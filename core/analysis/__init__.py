"""Analysis: profiles along lines, the comparison of two rate products on a common grid, the
decomposition of two or more lines of sight into vertical and east-west motion, and GNSS
stations as a check and a tie of InSAR products."""

from .decomposition import (
    Decomposition,
    DecompositionOptions,
    DecompositionResult,
    check_products,
    decompose,
    los_lines,
    open_products,
)
from .gnss import (
    ComparisonResult,
    GnssComparisonOptions,
    GnssTieOptions,
    TieModel,
    TieResult,
    compare_with_gnss,
    sample_at_stations,
    station_overlay,
    tie_to_gnss,
)
from .line_of_sight import azimuth_from_heading, los_from_azimuth, los_from_heading, los_from_hyp3
from .los_products import LosProduct, LosSpec, parse_los
from .product_comparison import (
    ProductComparisonOptions,
    ProductComparisonResult,
    compare_products,
)
from .profile import Profile, ProfileOptions, make_profile, profile_lines

__all__ = [
    "ComparisonResult",
    "Decomposition",
    "DecompositionOptions",
    "DecompositionResult",
    "GnssComparisonOptions",
    "GnssTieOptions",
    "LosProduct",
    "LosSpec",
    "ProductComparisonOptions",
    "ProductComparisonResult",
    "Profile",
    "ProfileOptions",
    "TieModel",
    "TieResult",
    "azimuth_from_heading",
    "check_products",
    "compare_products",
    "compare_with_gnss",
    "decompose",
    "los_from_azimuth",
    "los_from_heading",
    "los_from_hyp3",
    "los_lines",
    "make_profile",
    "open_products",
    "parse_los",
    "profile_lines",
    "sample_at_stations",
    "station_overlay",
    "tie_to_gnss",
]
