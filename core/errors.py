"""Errors raised by core functions.

The Processing glue turns every :class:`SubsidenceError` into a ``QgsProcessingException``
whose text is ``str(error)``, so messages are written for the GIS analyst: they name the
file at fault and say how to fix it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Union


class SubsidenceError(Exception):
    """Base class of every error core raises on purpose."""


class InputError(SubsidenceError):
    """Input that cannot be used as given (missing file, wrong CRS, NaN, bad name...)."""

    def __init__(
        self, problem: str, path: Optional[Union[str, Path]] = None, fix: Optional[str] = None
    ):
        self.problem = problem
        self.path = None if path is None else str(path)
        self.fix = fix
        text = f"{self.path}: {problem}" if self.path else problem
        if fix:
            text += f" Fix: {fix}"
        super().__init__(text)


class Cancelled(SubsidenceError):  # noqa: N818 (a user decision, not an error)
    """The user cancelled; raised when a progress callback returns False."""

    def __init__(self, message: str = "Cancelled by the user."):
        super().__init__(message)


@contextmanager
def about(path: Optional[Union[str, Path]]) -> Iterator[None]:
    """An :class:`InputError` raised inside that names no file is re-raised naming ``path``
    (the input the work inside was about)."""
    try:
        yield
    except InputError as error:
        if error.path is not None or path is None:
            raise
        raise InputError(error.problem, path, error.fix) from None
