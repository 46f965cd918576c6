"""Synthetic east/up motion seen from several tracks, with known truth.

Truth (mm, mm/yr; x, y in UTM 49N metres): a subsidence bowl (up to -30 mm/yr) with the
horizontal motion of a mining basin (towards the centre, east component up to +-12 mm/yr), a
seasonal cycle (4 mm, annual) in the vertical, and a gentle uplift of 1 mm/yr. Each track
projects it on its own LOS unit vector (incidence varying across the scene, a fixed heading)
at its own dates, with white noise per point.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from insar_subsidence.core.analysis.line_of_sight import los_from_heading
from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.io.point_layers import PointSeries, write_points

EPSG = 32649
X0, Y0 = 680_000.0, 3_940_000.0
SIZE = 2_000.0  # m, square scene
CENTRE = (X0 + 1_000.0, Y0 + 1_000.0)
BOWL_SIGMA = 350.0  # m
START = dt.date(2020, 1, 1)


@dataclass(frozen=True)
class Track:
    heading: float  # deg clockwise from north
    incidence_west: float  # deg at the west edge
    incidence_east: float  # deg at the east edge
    first: dt.date
    step_days: int
    count: int

    def dates(self) -> List[dt.date]:
        return [self.first + dt.timedelta(days=self.step_days * k) for k in range(self.count)]

    def incidence(self, x: np.ndarray) -> np.ndarray:
        fraction = (np.asarray(x) - X0) / SIZE
        return self.incidence_west + (self.incidence_east - self.incidence_west) * fraction


ASCENDING = Track(-12.0, 31.0, 45.0, START + dt.timedelta(days=3), 12, 80)
DESCENDING = Track(-168.0, 44.0, 32.0, START, 12, 82)
DESCENDING_STEEP = Track(-166.0, 38.0, 41.0, START + dt.timedelta(days=7), 6, 150)


def truth_rates(x, y):
    """(east, north, up) mm/yr at positions."""
    dx, dy = np.asarray(x) - CENTRE[0], np.asarray(y) - CENTRE[1]
    shape = np.exp(-0.5 * (dx**2 + dy**2) / BOWL_SIGMA**2)
    up = -30.0 * shape + 1.0
    # horizontal movement towards the bowl centre, largest at the inflection radius
    east = -12.0 * (dx / BOWL_SIGMA) * shape * np.exp(0.5)
    north = -12.0 * (dy / BOWL_SIGMA) * shape * np.exp(0.5)
    return east, north, up


def truth_series(x, y, dates, origin: dt.date):
    """(east, north, up) displacement (N, n_dates) mm, zero at ``origin``."""
    t = years_since(list(dates), START)
    t0 = years_since([origin], START)[0]
    east, north, up = truth_rates(x, y)
    seasonal = 4.0 * (np.sin(2 * np.pi * t) - np.sin(2 * np.pi * t0))
    step = t - t0
    return (
        east[:, None] * step[None],
        north[:, None] * step[None],
        up[:, None] * step[None] + seasonal[None],
    )


def write_track(
    path,
    track: Track,
    rng: np.random.Generator,
    points: int = 4_000,
    rate_noise: float = 1.0,
    series_noise: float = 3.0,
    north_motion: bool = False,
    los_fields: str = "vector",
    extent: Optional[tuple] = None,
):
    """A point layer of ``track``: VEL, VEL_STD (mm/yr), DYYYYMMDD (mm) and the LOS either
    as ``los_east/los_north/los_up`` (``vector``), ``incidence_angle/track_angle``
    (``angles``) or not at all (``none``)."""
    xmin, ymin, xmax, ymax = extent or (X0, Y0, X0 + SIZE, Y0 + SIZE)
    x = rng.uniform(xmin, xmax, points)
    y = rng.uniform(ymin, ymax, points)
    incidence = track.incidence(x)
    e, n, u = los_from_heading(incidence, track.heading)
    east, north, up = truth_rates(x, y)
    if not north_motion:
        north = np.zeros_like(north)
    rate = e * east + n * north + u * up + rng.normal(0, rate_noise, points)
    dates = track.dates()
    se, sn, su = truth_series(x, y, dates, dates[0])
    if not north_motion:
        sn = np.zeros_like(sn)
    series = e[:, None] * se + n[:, None] * sn + u[:, None] * su
    series += rng.normal(0, series_noise, series.shape)
    series[:, 0] = 0.0
    fields = {"VEL": rate, "VEL_STD": np.full(points, rate_noise)}
    if los_fields == "vector":
        fields.update(los_east=e, los_north=n, los_up=u)
    elif los_fields == "angles":
        fields.update(incidence_angle=incidence, track_angle=np.full(points, track.heading % 360))
    write_points(path, PointSeries(x, y, EPSG, dates, series, fields))
    return path
