"""Analysis: profiles along lines, the comparison of two rate products on a common grid, the
decomposition of two or more lines of sight into vertical and east-west motion, GNSS stations
as a check and a tie of InSAR products, what InSAR can measure (the detectable gradient) and the
mining basin model (PIM) that fills it."""

from .decomposition import (
    Decomposition,
    DecompositionOptions,
    DecompositionResult,
    check_products,
    decompose,
    los_lines,
    open_products,
)
from .detectable_gradient import (
    DetectableGradientOptions,
    DetectableGradientResult,
    detectable_gradient,
    pair_limit,
    stack_limit,
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
from .pim import Panel, PimParameters, horizontal_displacement, subsidence, vertical_displacement
from .pim_fit import InputKind, PimFit, PimMode, PimOptions, PimOutputs, fit_pim, run_pim
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
    "DetectableGradientOptions",
    "DetectableGradientResult",
    "GnssComparisonOptions",
    "GnssTieOptions",
    "InputKind",
    "LosProduct",
    "LosSpec",
    "Panel",
    "PimFit",
    "PimMode",
    "PimOptions",
    "PimOutputs",
    "PimParameters",
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
    "detectable_gradient",
    "fit_pim",
    "horizontal_displacement",
    "los_from_azimuth",
    "los_from_heading",
    "los_from_hyp3",
    "los_lines",
    "make_profile",
    "open_products",
    "pair_limit",
    "parse_los",
    "profile_lines",
    "run_pim",
    "sample_at_stations",
    "stack_limit",
    "station_overlay",
    "subsidence",
    "tie_to_gnss",
    "vertical_displacement",
]
