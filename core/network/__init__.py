"""Network: choose the interferograms of a small-baseline network (or plan one before
processing) and check triplet loop closure for unwrapping errors.
"""

from .loop_closure import LoopClosureOptions, LoopClosureResult, run_loop_closure, worst_pairs
from .selection import (
    NetworkPlanOptions,
    NetworkReport,
    PairSelectionOptions,
    connected_components,
    modify_network,
    plan_network,
    plan_network_files,
)

__all__ = [
    "LoopClosureOptions",
    "LoopClosureResult",
    "NetworkPlanOptions",
    "NetworkReport",
    "PairSelectionOptions",
    "connected_components",
    "modify_network",
    "plan_network",
    "plan_network_files",
    "run_loop_closure",
    "worst_pairs",
]
