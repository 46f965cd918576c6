"""SBAS inversion: weighted least squares of the kept interferograms into a time series,
pixels sharing one set of valid pairs solved together.
"""

from .inversion import InversionOptions, InversionResult, invert_phases, invert_stack

__all__ = [
    "InversionOptions",
    "InversionResult",
    "invert_phases",
    "invert_stack",
]
