"""Truth model of the demo study area (deterministic for a given seed and size).

A UTM 49N grid (Jincheng-like coal district, EPSG:32649) with Sentinel-1 12-day acquisitions.
Signals, all VERTICAL and in metres (negative = subsidence):

* mining bowls: Gaussian-shaped troughs with an onset, a rate that may accelerate, and a
  stabilisation date; one bowl migrates with its longwall face;
* a groundwater basin: slow subsidence plus an annual seasonal cycle;
* gentle uplift everywhere else (a fraction of a mm/yr up to ~2 mm/yr).

Terrain, water body and vegetation (low-coherence) masks are part of the scene so that every
writer (HyP3, SLC, drivers, land use) draws from one consistent truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..grid import Grid

DEMO_EPSG = 32649


@dataclass(frozen=True)
class Bowl:
    """A mining subsidence bowl. Positions in map metres, rates in m/yr (negative = down)."""

    name: str
    x: float
    y: float
    radius: float  # Gaussian sigma of the trough, m
    rate: float  # vertical rate at onset, m/yr (negative)
    onset: dt.date  # mining under the bowl starts
    stop: Optional[dt.date]  # mining ends: the bowl stabilises afterwards (None = still active)
    acceleration: float = 0.0  # m/yr^2, change of rate after onset (negative = speeds up)
    migration: Tuple[float, float] = (0.0, 0.0)  # centre velocity (vx, vy), m/yr
    elongation: float = 1.0  # ratio of along- to across-strike sigma

    def centre(self, years_since_onset: float) -> Tuple[float, float]:
        t = max(0.0, years_since_onset)
        return self.x + self.migration[0] * t, self.y + self.migration[1] * t

    def rate_at(self, date: dt.date) -> float:
        """Vertical rate at the bowl centre (m/yr) on ``date``."""
        if date < self.onset or (self.stop is not None and date >= self.stop):
            return 0.0
        years = (date - self.onset).days / DAYS_PER_YEAR
        rate = self.rate + self.acceleration * years
        return min(rate, 0.0)


@dataclass
class DemoScene:
    """Everything the demo writers need. Arrays are (length, width) on ``grid``."""

    grid: Grid
    dates: List[dt.date]
    bowls: List[Bowl]
    height: np.ndarray  # m above sea level
    incidence: np.ndarray  # deg from vertical
    azimuth: np.ndarray  # deg, MintPy convention (from north, anticlockwise, LOS)
    water: np.ndarray  # bool, True = water body
    vegetation: np.ndarray  # bool, True = vegetated / low coherence
    groundwater: np.ndarray  # 0..1 weight of the groundwater basin
    seed: int
    groundwater_rate: float = -0.012  # m/yr at basin centre
    seasonal_amplitude: float = 0.008  # m, annual, basin centre, peak in early spring (recharge)
    uplift_rate: float = 0.0015  # m/yr, broad
    heading: float = -169.0  # deg, descending-like track heading
    bperp: np.ndarray = field(default=None)  # per acquisition, m (relative to the first date)

    @property
    def x(self) -> np.ndarray:
        return self.grid.xy(0, np.arange(self.grid.width))[0]

    @property
    def y(self) -> np.ndarray:
        return self.grid.xy(np.arange(self.grid.length), 0)[1]

    def years(self) -> np.ndarray:
        return np.array([(d - self.dates[0]).days for d in self.dates]) / DAYS_PER_YEAR

    def bowl_shape(self, bowl: Bowl, centre: Tuple[float, float]) -> np.ndarray:
        """Unit-peak trough of ``bowl`` centred at ``centre`` (elongated along its migration)."""
        xx, yy = np.meshgrid(self.x - centre[0], self.y - centre[1])
        vx, vy = bowl.migration
        norm = np.hypot(vx, vy)
        ux, uy = (vx / norm, vy / norm) if norm > 0 else (1.0, 0.0)
        along = xx * ux + yy * uy
        across = -xx * uy + yy * ux
        sa, sc = bowl.radius * bowl.elongation, bowl.radius
        return np.exp(-0.5 * ((along / sa) ** 2 + (across / sc) ** 2))

    def vertical_displacement(self, dates: Optional[List[dt.date]] = None) -> np.ndarray:
        """Truth vertical displacement (n, L, W) in metres relative to the first date.

        Bowl subsidence is integrated date by date so a migrating bowl leaves a trail.
        """
        dates = dates or self.dates
        n = len(dates)
        out = np.zeros((n,) + self.grid.shape, dtype=np.float64)
        for bowl in self.bowls:
            total = np.zeros(self.grid.shape)
            for k in range(1, n):
                mid = dates[k - 1] + (dates[k] - dates[k - 1]) / 2
                rate = bowl.rate_at(mid)
                if rate != 0.0:
                    years_on = (mid - bowl.onset).days / DAYS_PER_YEAR
                    dt_years = (dates[k] - dates[k - 1]).days / DAYS_PER_YEAR
                    total = total + rate * dt_years * self.bowl_shape(bowl, bowl.centre(years_on))
                out[k] += total
        t = np.array([(d - self.dates[0]).days for d in dates]) / DAYS_PER_YEAR
        seasonal = np.sin(2 * np.pi * (t + self.dates[0].timetuple().tm_yday / DAYS_PER_YEAR))
        seasonal = seasonal - seasonal[0]
        out += (self.groundwater_rate * t)[:, None, None] * self.groundwater[None]
        out += (self.seasonal_amplitude * seasonal)[:, None, None] * self.groundwater[None]
        out += (
            (self.uplift_rate * t)[:, None, None]
            * (1 - self.groundwater)[None]
            * self.uplift_weight()[None]
        )
        return out

    def uplift_weight(self) -> np.ndarray:
        """0..1: uplift fades to zero inside and near the bowls."""
        weight = np.ones(self.grid.shape)
        for bowl in self.bowls:
            weight *= 1 - self.bowl_shape(bowl, (bowl.x, bowl.y)) ** 0.25
        return weight

    def vertical_velocity(self) -> np.ndarray:
        """Truth mean vertical velocity (m/yr): least-squares line through the truth series."""
        disp = self.vertical_displacement()
        t = self.years()
        design = np.column_stack([t, np.ones_like(t)])
        coef, *_ = np.linalg.lstsq(design, disp.reshape(len(t), -1), rcond=None)
        return coef[0].reshape(self.grid.shape)

    def los_factor(self) -> np.ndarray:
        """LOS displacement = vertical * cos(incidence) (no horizontal motion)."""
        return np.cos(np.deg2rad(self.incidence))


def _terrain(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Rolling loess-plateau-like terrain, 700-1100 m, smooth enough for slopes and flow."""
    from scipy.ndimage import gaussian_filter

    length, width = grid.shape
    yy, xx = np.mgrid[0:length, 0:width] / max(length, width)
    base = 900 + 120 * np.sin(2 * np.pi * (0.8 * xx + 0.3 * yy)) + 80 * np.cos(2 * np.pi * 1.3 * yy)
    rough = gaussian_filter(rng.normal(size=(length, width)), sigma=max(3, width / 40))
    rough = rough / (np.abs(rough).max() + 1e-12) * 60
    valley = -90 * np.exp(-((xx - 0.15 - 0.6 * yy) ** 2) / 0.004)
    return (base + rough + valley).astype(np.float32)


def make_scene(
    seed: int = 42,
    size: int = 256,
    n_acquisitions: int = 90,
    start: dt.date = dt.date(2019, 1, 4),
    pixel: float = 80.0,
) -> DemoScene:
    """The demo truth. ``size`` pixels square at ``pixel`` m; Sentinel-1 12-day sampling.

    Positions scale with ``size`` so small test scenes keep every feature.
    """
    rng = np.random.default_rng(seed)
    extent = size * pixel
    grid = Grid(
        x_first=680000.0,
        y_first=3940000.0,
        x_step=pixel,
        y_step=-pixel,
        width=size,
        length=size,
        epsg=DEMO_EPSG,
    )
    dates = [start + dt.timedelta(days=12 * k) for k in range(n_acquisitions)]
    x0, y0 = grid.x_first, grid.y_first

    def at(fx, fy):
        return x0 + fx * extent, y0 - fy * extent

    end = dates[-1]
    span = end - start
    bowls = [
        Bowl(
            "North longwall",
            *at(0.30, 0.28),
            radius=0.045 * extent,
            rate=-0.080,
            onset=start,
            stop=None,
            migration=(0.045 * extent, 0.0),
            elongation=1.6,
        ),
        Bowl(
            "East panel",
            *at(0.72, 0.35),
            radius=0.035 * extent,
            rate=-0.030,
            onset=start + span * 0.25,
            stop=None,
            acceleration=-0.025,
        ),
        Bowl(
            "South panel",
            *at(0.55, 0.75),
            radius=0.05 * extent,
            rate=-0.060,
            onset=start,
            stop=start + span * 0.6,
        ),
        Bowl(
            "West shaft",
            *at(0.18, 0.62),
            radius=0.022 * extent,
            rate=-0.040,
            onset=start + span * 0.1,
            stop=None,
        ),
    ]
    length = width = size
    yy, xx = (np.mgrid[0:length, 0:width] + 0.5) / size
    groundwater = np.exp(-(((xx - 0.80) / 0.12) ** 2 + ((yy - 0.80) / 0.09) ** 2))
    water = (((xx - 0.35) / 0.07) ** 2 + ((yy - 0.88) / 0.035) ** 2) < 1.0
    from scipy.ndimage import gaussian_filter

    veg_field = gaussian_filter(rng.normal(size=(length, width)), sigma=max(2, size / 25))
    vegetation = (veg_field > np.percentile(veg_field, 82)) & ~water
    incidence = (33.0 + 11.0 * xx).astype(np.float32)  # near range west, far range east
    # MintPy azimuthAngle of the ground-to-satellite vector (HyP3: deg(lv_phi) - 90)
    azimuth = np.full((length, width), -79.0, dtype=np.float32)
    bperp = np.concatenate([[0.0], rng.normal(0.0, 45.0, n_acquisitions - 1)]).astype(np.float32)
    return DemoScene(
        grid=grid,
        dates=dates,
        bowls=bowls,
        height=_terrain(grid, rng),
        incidence=incidence,
        azimuth=azimuth,
        water=water,
        vegetation=vegetation,
        groundwater=groundwater.astype(np.float32),
        seed=seed,
        bperp=bperp,
    )
