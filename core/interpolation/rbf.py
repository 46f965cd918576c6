"""Radial basis function interpolation (scipy's RBFInterpolator with a local neighbourhood)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..options import Choice, Options, option
from .common import PathLike, Predictor, merge_duplicates


class RbfKernel(Choice):
    """Radial basis functions that need no shape parameter (scipy's scale-free kernels)."""

    THIN_PLATE_SPLINE = "thin_plate_spline", "thin-plate spline r^2 log r"
    LINEAR = "linear", "linear -r"
    CUBIC = "cubic", "cubic r^3"
    QUINTIC = "quintic", "quintic -r^5"


@dataclass
class RbfOptions(Options):
    """Options of :func:`rbf_predictor`."""

    kernel: RbfKernel = option(RbfKernel.THIN_PLATE_SPLINE, help="Radial basis function")
    neighbours: int = option(32, help="Nearest points of each local interpolant", minimum=3)
    smoothing: float = option(
        0.0,
        help="Smoothing: 0 passes exactly through the points; raise it for noisy points",
        minimum=0.0,
    )


def rbf_predictor(
    xy: np.ndarray,
    values: np.ndarray,
    options: Optional[RbfOptions] = None,
    source: Optional[PathLike] = None,
) -> Predictor:
    """``predict(query_xy) -> values``; exact at the data points when ``smoothing`` is 0.

    Coordinates are centred and scaled (scipy's kernels are not scale-free for every kernel,
    and UTM coordinates of 1e6 m make the polynomial part ill-conditioned). Points on one line
    (or a neighbourhood of them) leave the kernel's linear term undetermined: InputError
    naming ``source``.
    """
    options = options or RbfOptions()
    from scipy.interpolate import RBFInterpolator

    xy, values = merge_duplicates(xy, values)
    centre = xy.mean(axis=0)
    scale = float(np.max(xy.std(axis=0))) or 1.0
    k = int(min(options.neighbours, len(values)))

    def refused(exc) -> InputError:
        return InputError(
            f"the RBF cannot be fitted: the points (or a neighbourhood of {k} of them) lie on "
            f"one line or coincide ({exc}).",
            source,
            "use IDW or kriging, or add points off the line.",
        )

    try:
        rbf = RBFInterpolator(
            (xy - centre) / scale,
            values,
            neighbors=k,
            kernel=options.kernel.value,
            smoothing=options.smoothing,
        )
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise refused(exc) from None

    def predict(query: np.ndarray) -> np.ndarray:
        out = np.empty(len(query))
        for start in range(0, len(query), 50_000):
            q = np.asarray(query[start : start + 50_000], dtype=np.float64)
            try:
                out[start : start + len(q)] = rbf((q - centre) / scale)
            except np.linalg.LinAlgError as exc:
                raise refused(exc) from None
        return out

    return predict
