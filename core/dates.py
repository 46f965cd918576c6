"""Acquisition dates: parsing, formatting and time axes.

Dates are ``datetime.date``; files and HDF5 use ``YYYYMMDD`` strings; time axes for fitting
are in days since the first date here, in years since a date in :mod:`.conventions`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, List, Sequence

import numpy as np

from .errors import InputError

_YYYYMMDD = re.compile(r"(?<!\d)(\d{8})(?!\d)")


def parse_yyyymmdd(text: str, source: str = None) -> dt.date:
    """Parse ``YYYYMMDD`` (also accepts ``YYYYMMDDThhmmss`` by taking the first 8 digits)."""
    digits = str(text).strip()[:8]
    try:
        if len(digits) == 8 and digits.isascii() and digits.isdigit():  # 10x strptime
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        return dt.datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        raise InputError(
            f"'{text}' is not a date in YYYYMMDD form.",
            source,
            "name dates as YYYYMMDD, e.g. 20190610.",
        ) from None


def format_yyyymmdd(date: dt.date) -> str:
    return date.strftime("%Y%m%d")


def dates_in_text(text: str) -> List[dt.date]:
    """All valid YYYYMMDD dates found in ``text`` (e.g. a file name), in order."""
    found = []
    for match in _YYYYMMDD.finditer(text):
        try:
            found.append(dt.datetime.strptime(match.group(1), "%Y%m%d").date())
        except ValueError:
            continue
    return found


def decimal_years(dates: Sequence[dt.date]) -> np.ndarray:
    """Dates as decimal years (float64), e.g. 2020-07-02 -> ~2020.5."""
    out = []
    for d in dates:
        start = dt.date(d.year, 1, 1)
        length = (dt.date(d.year + 1, 1, 1) - start).days
        out.append(d.year + (d - start).days / length)
    return np.asarray(out, dtype=np.float64)


def days_since(dates: Sequence[dt.date], origin: dt.date = None) -> np.ndarray:
    """Days since ``origin`` (default: the first date) as float64."""
    origin = origin or dates[0]
    return np.asarray([(d - origin).days for d in dates], dtype=np.float64)


def to_bytes(dates: Iterable[dt.date]) -> np.ndarray:
    """Dates as the ``|S8`` array MintPy stores."""
    return np.array([format_yyyymmdd(d).encode() for d in dates], dtype="S8")


def from_bytes(values: Iterable, source: str = None) -> List[dt.date]:
    """Inverse of :func:`to_bytes` (accepts bytes or str); errors name ``source``."""
    return [
        parse_yyyymmdd(v.decode(errors="replace") if isinstance(v, bytes) else v, source)
        for v in values
    ]
