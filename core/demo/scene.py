"""Truth model of the demo study area (deterministic for a given seed and size).

A UTM 49N grid (Jincheng-like coal district, EPSG:32649) with Sentinel-1 12-day acquisitions.
Signals, VERTICAL unless said otherwise, in metres (negative = subsidence):

* three longwall panels (:class:`LongwallPanel`): rectangles of coal with a thickness, a depth
  and a dip, extracted by a face that advances along the panel; the surface follows the
  probability-integral basin (:mod:`core.analysis.pim`) of the area mined so far, delayed by
  Knothe's time function, with the horizontal movement ``U = b r dW/dx`` the same model gives
  (:meth:`DemoScene.horizontal_displacement`, east and north);
* a small Gaussian trough around a shaft (:class:`Bowl`) with an onset;
* a groundwater basin: slow subsidence plus an annual seasonal cycle;
* gentle uplift everywhere else (a fraction of a mm/yr up to ~2 mm/yr).

Terrain, water body and vegetation (low-coherence) masks are part of the scene so that every
writer (HyP3, SLC, drivers, land use) draws from one consistent truth. The scene is seen by a
descending track (:func:`make_scene`) and, for the two-track decomposition, by an ascending one
(:func:`ascending_track`); each projects the vertical AND horizontal truth on its own line of
sight (:meth:`DemoScene.los_displacement`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple, Union

import numpy as np

from ..analysis.line_of_sight import azimuth_from_heading, los_from_heading
from ..analysis.pim import Panel, PimParameters, horizontal_displacement, rectangle_ring
from ..analysis.pim import subsidence as pim_subsidence
from ..conventions import DAYS_PER_YEAR, years_since
from ..grid import Grid
from ..timeseries.rate_fit import linear_rate

DEMO_EPSG = 32649
DESCENDING_HEADING = -169.0  # deg clockwise from north
ASCENDING_HEADING = -11.0
#: the ascending track passes this many days after the descending one
ASCENDING_DAY_OFFSET = 6
#: step of the calendar on which the Knothe time function is integrated (days)
KNOTHE_STEP_DAYS = 12


def _years(a: dt.date, b: dt.date) -> float:
    return (b - a).days / DAYS_PER_YEAR


@dataclass(frozen=True)
class Bowl:
    """A Gaussian subsidence trough (a shaft or a small collapse). Positions in map metres,
    rates in m/yr (negative = down)."""

    name: str
    x: float
    y: float
    radius: float  # Gaussian sigma of the trough, m
    rate: float  # vertical rate at onset, m/yr (negative)
    onset: dt.date  # subsidence starts
    stop: Optional[dt.date]  # the bowl stabilises afterwards (None = still active)
    acceleration: float = 0.0  # m/yr^2, change of rate after onset (negative = speeds up)

    kind = "bowl"
    elongation = 1.0  # ratio of along- to across-axis extent

    def rate_at(self, date: dt.date) -> float:
        """Vertical rate at the bowl centre (m/yr) on ``date``."""
        if date < self.onset or (self.stop is not None and date >= self.stop):
            return 0.0
        rate = self.rate + self.acceleration * _years(self.onset, date)
        return min(rate, 0.0)

    def shape(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Unit-peak trough on the (x, y) mesh."""
        return np.exp(-0.5 * ((x - self.x) ** 2 + (y - self.y) ** 2) / self.radius**2)

    def footprint(self, x: np.ndarray, y: np.ndarray, on: dt.date) -> np.ndarray:
        """0..1: how strongly each point lies under the trough formed by ``on``."""
        return self.shape(x, y) if self.onset <= on else np.zeros(np.shape(x))

    def affected_extent(self, on: dt.date) -> Tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the ground this source affects."""
        half = 2.0 * self.radius
        return (self.x - half, self.y - half, self.x + half, self.y + half)

    def displacement(self, x, y, dates: List[dt.date]) -> np.ndarray:
        """(n, ...) vertical displacement (m) relative to ``dates[0]``, integrated date by
        date."""
        shape = self.shape(x, y)
        out = np.zeros((len(dates),) + shape.shape)
        total = 0.0
        for k in range(1, len(dates)):
            mid = dates[k - 1] + (dates[k] - dates[k - 1]) / 2
            total += self.rate_at(mid) * _years(dates[k - 1], dates[k])
            out[k] = total * shape
        return out

    def horizontal(self, x, y, dates: List[dt.date]) -> Tuple[np.ndarray, np.ndarray]:
        """A shaft trough is modelled without horizontal movement."""
        zero = np.zeros((len(dates),) + np.shape(x))
        return zero, zero.copy()


@dataclass(frozen=True)
class LongwallPanel:
    """A longwall panel whose face advances from its set-up entry at ``start``.

    The extracted part at a date is the rectangle from the set-up entry to the face; the surface
    basin is the PIM basin of that rectangle (``params``), reached with Knothe's delay
    ``dW/dt = c (W_pim - W)`` (``knothe_per_year`` = c). Positions in map metres, angles in
    degrees (azimuths clockwise from north).
    """

    name: str
    start_x: float  # centre of the set-up entry (where the face starts)
    start_y: float
    advance_azimuth_deg: float  # direction the face advances, the panel's long axis
    length: float  # planned panel length along the advance, m
    width: float  # face length (panel width), m
    depth: float  # seam depth at the centre of the planned panel, m
    thickness: float  # extracted thickness, m
    dip_deg: float
    dip_azimuth_deg: float  # direction toward which the seam deepens
    params: PimParameters
    onset: dt.date  # the face starts (may precede the first acquisition)
    advance_m_yr: float
    stop: Optional[dt.date] = None  # the face stops (None: at the end of the panel)
    advance_acceleration_m_yr2: float = 0.0
    knothe_per_year: float = 5.0

    kind = "panel"

    def _axis(self) -> np.ndarray:
        a = np.deg2rad(self.advance_azimuth_deg)
        return np.array([np.sin(a), np.cos(a)])

    @property
    def x(self) -> float:
        """Centre of the planned panel (map x)."""
        return float(self.start_x + self._axis()[0] * self.length / 2)

    @property
    def y(self) -> float:
        return float(self.start_y + self._axis()[1] * self.length / 2)

    @property
    def influence_radius(self) -> float:
        """r = H / tan(beta) at the panel centre, m."""
        return self.depth / self.params.tan_beta

    @property
    def radius(self) -> float:
        """Half-width of the basin across the panel (to the 1 % line), m."""
        return self.width / 2 + 1.2 * self.influence_radius

    @property
    def elongation(self) -> float:
        """Ratio of the basin's half-length along the panel to :attr:`radius`."""
        return (self.length / 2 + 1.2 * self.influence_radius) / self.radius

    @property
    def w_max(self) -> float:
        """Maximum subsidence of full extraction m q cos(alpha), m (positive down)."""
        return self.thickness * self.params.q * float(np.cos(np.deg2rad(self.dip_deg)))

    def mined_length(self, on: dt.date) -> float:
        """Length extracted by ``on`` (m)."""
        end = on if self.stop is None else min(on, self.stop)
        years = max(_years(self.onset, end), 0.0)
        advanced = self.advance_m_yr * years + 0.5 * self.advance_acceleration_m_yr2 * years**2
        return float(np.clip(advanced, 0.0, self.length))

    def panel(self, length: Optional[float] = None) -> Panel:
        """The PIM panel of the first ``length`` metres (default: the planned panel)."""
        length = self.length if length is None else length
        centre = np.array([self.start_x, self.start_y]) + self._axis() * length / 2
        a = np.deg2rad(self.dip_azimuth_deg)
        planned_centre = np.array([self.x, self.y])
        down_dip = float(np.dot(centre - planned_centre, [np.sin(a), np.cos(a)]))
        depth = self.depth + down_dip * np.tan(np.deg2rad(self.dip_deg))
        ring = rectangle_ring(*centre, length, self.width, self.advance_azimuth_deg)
        return Panel(ring, self.thickness, depth, self.dip_deg, self.dip_azimuth_deg)

    def mined_panel(self, on: dt.date) -> Optional[Panel]:
        length = self.mined_length(on)
        return self.panel(length) if length > 0 else None

    def affected_extent(self, on: dt.date) -> Tuple[float, float, float, float]:
        xmin, ymin, xmax, ymax = self.panel().extent()
        margin = 1.5 * self.influence_radius + self.depth * 0.5 * np.tan(np.deg2rad(self.dip_deg))
        return (xmin - margin, ymin - margin, xmax + margin, ymax + margin)

    def peak_subsidence(self) -> float:
        """Deepest point of the planned panel's final PIM basin (m, positive down)."""
        panel = self.panel()
        v = np.linspace(-self.width, self.width, 81)
        x, y = panel.frame().to_map(np.zeros_like(v), v)
        return float(pim_subsidence(panel, self.params, x, y).max())

    def footprint(self, x: np.ndarray, y: np.ndarray, on: dt.date) -> np.ndarray:
        """0..1: the PIM basin of what is mined by ``on``, relative to the deepest point of
        the planned panel's basin."""
        panel = self.mined_panel(on)
        if panel is None:
            return np.zeros(np.shape(x))
        return pim_subsidence(panel, self.params, x, y) / self.peak_subsidence()

    def _calendar(self, dates: List[dt.date]) -> List[dt.date]:
        first = min(self.onset, dates[0])
        count = (max(dates) - first).days // KNOTHE_STEP_DAYS + 2
        return [first + dt.timedelta(days=KNOTHE_STEP_DAYS * k) for k in range(count)]

    def _develop(self, x, y, dates: List[dt.date], horizontal: bool):
        """Knothe-delayed basin (vertical, or east and north) on a fixed calendar from the
        onset, interpolated to ``dates``; relative to ``dates[0]``."""
        calendar = self._calendar(dates)
        n_fields = 2 if horizontal else 1
        state = np.zeros((n_fields,) + np.shape(x))
        history = np.zeros((len(calendar),) + state.shape)
        for k in range(1, len(calendar)):
            mid = calendar[k - 1] + (calendar[k] - calendar[k - 1]) / 2
            panel = self.mined_panel(mid)
            if panel is None:
                continue
            if horizontal:
                target = np.stack(horizontal_displacement(panel, self.params, x, y))
            else:
                target = -pim_subsidence(panel, self.params, x, y)[None]
            gain = 1.0 - np.exp(-self.knothe_per_year * KNOTHE_STEP_DAYS / DAYS_PER_YEAR)
            state = state + (target - state) * gain
            history[k] = state
        days = np.array([(c - calendar[0]).days for c in calendar], float)
        wanted = np.array([(d - calendar[0]).days for d in dates], float)
        index = np.clip(np.searchsorted(days, wanted, side="right") - 1, 0, len(days) - 2)
        weight = ((wanted - days[index]) / KNOTHE_STEP_DAYS).reshape(
            (len(dates),) + (1,) * (history.ndim - 1)
        )
        series = history[index] * (1 - weight) + history[index + 1] * weight
        return series - series[:1]

    def displacement(self, x, y, dates: List[dt.date]) -> np.ndarray:
        """(n, ...) vertical displacement (m) relative to ``dates[0]``."""
        return self._develop(x, y, dates, horizontal=False)[:, 0]

    def horizontal(self, x, y, dates: List[dt.date]) -> Tuple[np.ndarray, np.ndarray]:
        """(east, north), each (n, ...) metres relative to ``dates[0]``."""
        east_north = self._develop(x, y, dates, horizontal=True)
        return east_north[:, 0], east_north[:, 1]


Source = Union[Bowl, LongwallPanel]


@dataclass
class DemoScene:
    """Everything the demo writers need. Arrays are (length, width) on ``grid``."""

    grid: Grid
    dates: List[dt.date]
    bowls: List[Source]  # the mining sources: longwall panels first, then the shaft trough
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
    heading: float = DESCENDING_HEADING  # deg clockwise from north, of the track seeing it
    bperp: np.ndarray = field(default=None)  # per acquisition, m (relative to the first date)
    _mining_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def x(self) -> np.ndarray:
        return self.grid.xy(0, np.arange(self.grid.width))[0]

    @property
    def y(self) -> np.ndarray:
        return self.grid.xy(np.arange(self.grid.length), 0)[1]

    @property
    def panels(self) -> List[LongwallPanel]:
        return [source for source in self.bowls if source.kind == "panel"]

    def mesh(self) -> Tuple[np.ndarray, np.ndarray]:
        """(x, y) map coordinates of every pixel centre, (L, W) each."""
        return np.meshgrid(self.x, self.y)

    def years(self) -> np.ndarray:
        return years_since(self.dates)

    def _window(self, source: Source) -> Tuple[slice, slice]:
        """Rows and columns of the grid where ``source`` moves the ground."""
        xmin, ymin, xmax, ymax = source.affected_extent(self.dates[-1])
        r0, c0 = self.grid.rowcol(xmin, ymax)
        r1, c1 = self.grid.rowcol(xmax, ymin)
        length, width = self.grid.shape
        rows = slice(int(np.clip(min(r0, r1), 0, length)), int(np.clip(max(r0, r1) + 1, 0, length)))
        cols = slice(int(np.clip(min(c0, c1), 0, width)), int(np.clip(max(c0, c1) + 1, 0, width)))
        return rows, cols

    def footprint(self, source: Source, on: dt.date) -> np.ndarray:
        """0..1 on the grid: how strongly each pixel lies under what ``source`` has mined by
        ``on`` (relative to its full extraction)."""
        out = np.zeros(self.grid.shape)
        rows, cols = self._window(source)
        x, y = self.mesh()
        out[rows, cols] = source.footprint(x[rows, cols], y[rows, cols], on)
        return out

    def _mining(self, dates: List[dt.date], horizontal: bool) -> Tuple[np.ndarray, ...]:
        """(vertical,) or (east, north) of the mining sources, each (n, L, W) m; computed once
        per list of dates."""
        key = (tuple(dates), horizontal)
        if key not in self._mining_cache:
            n_fields = 2 if horizontal else 1
            out = np.zeros((n_fields, len(dates)) + self.grid.shape)
            x, y = self.mesh()
            for source in self.bowls:
                rows, cols = self._window(source)
                xs, ys = x[rows, cols], y[rows, cols]
                if horizontal:
                    fields = source.horizontal(xs, ys, dates)
                else:
                    fields = (source.displacement(xs, ys, dates),)
                for k, values in enumerate(fields):
                    out[k][:, rows, cols] += values
            self._mining_cache[key] = out
        return tuple(values.copy() for values in self._mining_cache[key])

    def mining_displacement(self, dates: Optional[List[dt.date]] = None) -> np.ndarray:
        """(n, L, W) vertical displacement of the mining sources alone (m)."""
        return self._mining(list(dates or self.dates), horizontal=False)[0]

    def vertical_displacement(self, dates: Optional[List[dt.date]] = None) -> np.ndarray:
        """Truth vertical displacement (n, L, W) in metres relative to the first date."""
        dates = dates or self.dates
        out = self.mining_displacement(dates)
        t = years_since(dates, self.dates[0])
        t = t - t[0]
        seasonal = np.sin(2 * np.pi * (t + dates[0].timetuple().tm_yday / DAYS_PER_YEAR))
        seasonal = seasonal - seasonal[0]
        out += (self.groundwater_rate * t)[:, None, None] * self.groundwater[None]
        out += (self.seasonal_amplitude * seasonal)[:, None, None] * self.groundwater[None]
        out += (
            (self.uplift_rate * t)[:, None, None]
            * (1 - self.groundwater)[None]
            * self.uplift_weight()[None]
        )
        return out

    def horizontal_displacement(
        self, dates: Optional[List[dt.date]] = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Truth horizontal displacement (east, north), each (n, L, W) metres relative to the
        first date: the longwall basins move the ground toward their centres."""
        return self._mining(list(dates or self.dates), horizontal=True)

    def uplift_weight(self) -> np.ndarray:
        """0..1: uplift fades to zero inside and near the mining sources."""
        weight = np.ones(self.grid.shape)
        for source in self.bowls:
            weight *= 1 - np.clip(self.footprint(source, self.dates[-1]), 0, 1) ** 0.25
        return weight

    def vertical_velocity(self) -> np.ndarray:
        """Truth mean vertical velocity (m/yr): least-squares line through the truth series."""
        return self.linear_rate(self.vertical_displacement())

    def linear_rate(self, series: np.ndarray) -> np.ndarray:
        """Least-squares rate (per year) through an (n, L, W) series on the scene dates."""
        rate, _ = linear_rate(self.years(), series.reshape(len(self.dates), -1))
        return rate.reshape(self.grid.shape)

    def los_vector(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ground-to-satellite unit vector (east, north, up), each (L, W), of the track."""
        return los_from_heading(self.incidence, self.heading)

    def los_displacement(self, dates: Optional[List[dt.date]] = None) -> np.ndarray:
        """Truth LOS displacement (n, L, W) in metres, positive toward the satellite: the
        vertical and the horizontal motion projected on the track's line of sight."""
        east, north = self.horizontal_displacement(dates)
        e, n, u = self.los_vector()
        return e * east + n * north + u * self.vertical_displacement(dates)

    def is_ascending(self) -> bool:
        return abs(self.heading) < 90.0


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
    # panel sizes shrink with the scene more slowly than positions, so that the basins of small
    # test scenes still span several pixels (1 at the full 20.48 km demo)
    scale = float(np.sqrt(extent / 20480.0))
    bowls = [
        LongwallPanel(
            "North longwall",
            *at(0.20, 0.28),
            advance_azimuth_deg=90.0,
            length=3400.0 * scale,
            width=560.0 * scale,
            depth=520.0 * scale,
            thickness=1.0,
            dip_deg=4.0,
            dip_azimuth_deg=180.0,
            params=PimParameters(q=0.62, tan_beta=2.1, offset_m=40.0 * scale, theta_deg=87.6),
            onset=start,
            advance_m_yr=850.0 * scale,
            knothe_per_year=10.0,
        ),
        LongwallPanel(
            "East panel",
            *at(0.78, 0.36),  # on bare ground: a vegetated panel is invisible to InSAR
            advance_azimuth_deg=180.0,
            length=1600.0 * scale,
            width=420.0 * scale,
            depth=640.0 * scale,
            thickness=1.0,
            dip_deg=0.0,
            dip_azimuth_deg=90.0,
            # paste-backfilled: a small subsidence factor
            params=PimParameters(q=0.18, tan_beta=1.8, offset_m=45.0 * scale, theta_deg=90.0),
            onset=start + span * 0.25,
            advance_m_yr=250.0 * scale,
            advance_acceleration_m_yr2=300.0 * scale,
            knothe_per_year=10.0,
        ),
        LongwallPanel(
            "South panel",
            *at(0.48, 0.75),
            advance_azimuth_deg=90.0,
            length=1500.0 * scale,
            width=800.0 * scale,
            depth=760.0 * scale,
            thickness=0.9,
            dip_deg=8.0,
            dip_azimuth_deg=0.0,
            params=PimParameters(q=0.25, tan_beta=1.9, offset_m=55.0 * scale, theta_deg=85.2),
            onset=start - dt.timedelta(days=73),
            advance_m_yr=850.0 * scale,
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
    incidence = (33.0 + 11.0 * xx).astype(np.float32)
    # MintPy azimuthAngle of the ground-to-satellite vector (HyP3: deg(lv_phi) - 90)
    azimuth = np.full((length, width), azimuth_from_heading(DESCENDING_HEADING), np.float32)
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
        heading=DESCENDING_HEADING,
        bperp=bperp,
    )


def ascending_track(scene: DemoScene, n_acquisitions: Optional[int] = None) -> DemoScene:
    """The same ground seen by an ascending track: heading -11 deg (the radar looks east, so
    the incidence grows eastward, 31 to 45 deg), acquisitions ``ASCENDING_DAY_OFFSET`` days
    after the descending ones (``n_acquisitions`` of them, default all) and its own
    perpendicular baselines. Shares the truth (and its cache) with ``scene``."""
    count = n_acquisitions or len(scene.dates)
    offset = dt.timedelta(days=ASCENDING_DAY_OFFSET)
    dates = [d + offset for d in scene.dates[:count]]
    length, width = scene.grid.shape
    xx = (np.arange(width) + 0.5) / width
    incidence = np.tile((31.0 + 14.0 * xx).astype(np.float32), (length, 1))
    azimuth = np.full((length, width), azimuth_from_heading(ASCENDING_HEADING), np.float32)
    rng = np.random.default_rng([scene.seed, 11])
    bperp = np.concatenate([[0.0], rng.normal(0.0, 45.0, count - 1)]).astype(np.float32)
    return replace(
        scene,
        dates=dates,
        incidence=incidence,
        azimuth=azimuth,
        heading=ASCENDING_HEADING,
        bperp=bperp,
    )
