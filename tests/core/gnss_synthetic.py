"""Hand-made GNSS station files (tenv3, whitespace columns, CSV) with known rates."""

from __future__ import annotations

import datetime as dt
from typing import Sequence, Tuple

import numpy as np

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.dates import decimal_years

TENV3_HEADER = (
    "site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) "
    "____up(m) _ant(m) sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu "
    "_latitude(deg) _longitude(deg) __height(m)"
)
MJD_OF_1858_11_17 = dt.date(1858, 11, 17).toordinal()


def daily(start: dt.date, days: int, every: int = 1):
    return [start + dt.timedelta(days=k) for k in range(0, days, every)]


def enu_series(
    dates: Sequence[dt.date],
    rates_mm_yr: Tuple[float, float, float],
    annual_mm: float = 0.0,
    origin: dt.date = None,
) -> np.ndarray:
    """(n, 3) east, north, up (mm) from rates and an annual vertical term (zero at origin)."""
    t = years_since(list(dates), origin or dates[0])
    enu = np.outer(t, rates_mm_yr)
    enu[:, 2] += annual_mm * np.sin(2 * np.pi * t)
    return enu


def tenv3_text(
    site: str,
    dates,
    enu_mm: np.ndarray,
    lonlat=(112.85, 35.49),
    with_position: bool = True,
    east0: float = -12.0,
) -> str:
    """A .tenv3 file as NGL writes it: integer metres in e0/n0/u0, the fraction beside them
    (``east0`` puts the east fraction across a rollover of e0)."""
    lines = [TENV3_HEADER if with_position else " ".join(TENV3_HEADER.split()[:20])]
    years = decimal_years(dates)
    for date, year, (e, n, u) in zip(dates, years, enu_mm / 1000.0, strict=True):
        east = east0 + 0.9995 + e  # crosses an integer: e0 changes inside the file
        e0 = np.floor(east)
        north, up = 4_000_123.0 + n, 1234.0 + u
        n0, u0 = np.floor(north), np.floor(up)
        mjd = date.toordinal() - MJD_OF_1858_11_17
        row = (
            f"{site} {date:%y%b%d}".upper()
            + f" {year:.4f} {mjd} 2086 3 {lonlat[0]:.1f} {e0:.0f} {east - e0:.6f} {n0:.0f}"
            + f" {north - n0:.6f} {u0:.0f} {up - u0:.6f} 0.0000 0.00110 0.00120 0.00450"
            + " 0.01234 -0.00123 0.00234"
        )
        if with_position:
            row += f" {lonlat[1]:.8f} {lonlat[0]:.8f} 1234.56789"
        lines.append(row)
    return "\n".join(lines) + "\n"


def columns_text(dates, enu_mm: np.ndarray, to_unit: float, lonlat=None) -> str:
    """Whitespace columns: decimal year, north, east, up, sig_n, sig_e, sig_u (``to_unit``
    per mm, e.g. 0.1 for cm)."""
    lines = ["# GNSS station time series, north east up"]
    if lonlat:
        lines += [f"# Latitude : {lonlat[1]:.6f}", f"# Longitude: {lonlat[0]:.6f}"]
    for year, (e, n, u) in zip(decimal_years(dates), enu_mm * to_unit, strict=True):
        lines.append(
            f"{year + 0.5 / 366:10.5f} {n:9.4f} {e:9.4f} {u:9.4f} {0.1 * to_unit:7.4f}"
            f" {0.1 * to_unit:7.4f} {0.3 * to_unit:7.4f}"
        )
    return "\n".join(lines) + "\n"


def csv_text(stations) -> str:
    """CSV of several stations: (name, lonlat, dates, enu_mm) each."""
    lines = ["station,lon,lat,date,east,north,up,sig_e,sig_n,sig_u"]
    for name, (lon, lat), dates, enu in stations:
        for date, (e, n, u) in zip(dates, enu, strict=True):
            lines.append(f"{name},{lon},{lat},{date:%Y-%m-%d},{e:.4f},{n:.4f},{u:.4f},1,1,3")
    return "\n".join(lines) + "\n"
