"""Progress reporting and cancellation without QGIS.

A progress callback is ``progress(fraction, message) -> keep_going``: ``fraction`` in [0, 1],
``message`` a short text (may be empty; one that starts with :data:`WARNING_PREFIX` is a
warning). Returning False asks the caller to stop; core code calls :func:`report`, which
raises :class:`~core.errors.Cancelled` in that case.
"""

from __future__ import annotations

from typing import Callable

from .errors import Cancelled

ProgressCallback = Callable[[float, str], bool]

#: a progress message or result line that starts with this is a warning (the Processing log
#: shows it as one)
WARNING_PREFIX = "Warning: "


def silent(fraction: float, message: str = "") -> bool:
    """A callback that shows nothing and never cancels."""
    return True


def report(progress: ProgressCallback, fraction: float, message: str = "") -> None:
    """Forward progress; raise Cancelled if the user asked to stop."""
    if not progress(min(max(fraction, 0.0), 1.0), message):
        raise Cancelled()


def finished(progress: ProgressCallback, message: str = "") -> None:
    """Show that the work is complete, once every output is written: a cancel pressed now
    comes too late to undo anything, so it is not turned into :class:`Cancelled` (which would
    report a cancelled run that left all its outputs behind)."""
    progress(1.0, message)


def scaled(progress: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """A callback mapping [0, 1] of a sub-step onto [start, end] of the parent."""

    def sub(fraction: float, message: str = "") -> bool:
        return progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return sub
