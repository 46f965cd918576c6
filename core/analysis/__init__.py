"""Analysis: profiles along lines, and the comparison of two rate products on a common grid."""

from .product_comparison import (
    ProductComparisonOptions,
    ProductComparisonResult,
    compare_products,
)
from .profile import Profile, ProfileOptions, make_profile, profile_lines

__all__ = [
    "Profile",
    "ProfileOptions",
    "ProductComparisonOptions",
    "ProductComparisonResult",
    "compare_products",
    "make_profile",
    "profile_lines",
]
