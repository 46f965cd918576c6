"""SBAS inversion: weighted least squares of the kept interferograms into a time series,
pixels sharing one set of valid pairs solved together.

:mod:`.weights` (coherence to least-squares weights), :mod:`.network` (the date graph, its
parts, pixels grouped by their valid pairs), :mod:`.backend` (numpy or torch on CUDA),
:mod:`.normal_equations` (sparse Cholesky of the network's normal equations), :mod:`.solve`
(phases to phase time series) and :mod:`.inversion` (the stack driver, files in and out).
"""

from .backend import Backend
from .inversion import InversionOptions, InversionResult, invert_stack
from .network import describe_parts, incidence_matrix, network_dates
from .solve import SplitNetwork, invert_phases
from .weights import Weight, coherence_to_weight, number_of_looks, phase_variance_ds

__all__ = [
    "Backend",
    "InversionOptions",
    "InversionResult",
    "SplitNetwork",
    "Weight",
    "coherence_to_weight",
    "describe_parts",
    "incidence_matrix",
    "invert_phases",
    "invert_stack",
    "network_dates",
    "number_of_looks",
    "phase_variance_ds",
]
