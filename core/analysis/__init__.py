"""Analysis: profiles along lines, and the comparison of two rate products on a common grid."""

from .product_comparison import CrossValidationOptions, CrossValidationResult, cross_validate
from .profile import Profile, ProfileOptions, make_profile, profile_lines

__all__ = [
    "CrossValidationOptions",
    "CrossValidationResult",
    "Profile",
    "ProfileOptions",
    "cross_validate",
    "make_profile",
    "profile_lines",
]
