"""Charts written to files: matplotlib on its non-interactive Agg backend (no display, safe
in QGIS worker threads), imported lazily, and figures saved through :mod:`.atomic`."""

from __future__ import annotations

from pathlib import Path
from typing import Union

from .atomic import atomic_output
from .errors import InputError

PathLike = Union[str, Path]


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend; InputError naming the package when missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(
            "matplotlib is not installed.",
            None,
            "install python3-matplotlib (or pip install matplotlib) to write charts.",
        ) from None
    return plt


def save_figure(figure, path: PathLike, **savefig) -> Path:
    """Write ``figure`` to ``path`` (PNG, SVG, PDF... by suffix; PNG without one), appearing
    when complete, and close it. ``savefig`` passes on (dpi, bbox_inches...)."""
    with atomic_output(path) as temp:
        figure.savefig(temp, format=Path(path).suffix.lstrip(".").lower() or "png", **savefig)
    pyplot().close(figure)
    return Path(path)
