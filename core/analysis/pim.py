"""Probability integral method (PIM): the subsidence basin over a mined panel.

The standard model of Chinese mining-survey practice (Liu & Liao 1965; He et al. 1991), an
integral of Knothe's (1957) Gaussian influence function over the extracted seam
(Litwiniszyn 1957). An element of seam of area dA at depth H lowers the surface at horizontal
distance rho by::

    dW = W0 / r^2 * exp(-pi * rho^2 / r^2) dA,     r = H / tan(beta)

with ``W0 = m * q * cos(alpha)`` the maximum subsidence of a fully extracted (supercritical)
panel: ``m`` the extracted thickness, ``q`` the subsidence factor, ``alpha`` the seam dip and
``tan(beta)`` the tangent of the major influence angle. Integrated over a rectangle whose
edges are moved inward by the inflection-point offset ``s`` (the goaf is not fully closed
near the ribs), the basin is a product of error-function differences::

    W(x, y) = W0 * Cx(x) * Cy(y)
    Cx(x) = 1/2 [erf(sqrt(pi) (x - x0) / r) - erf(sqrt(pi) (x - x1) / r)]
    Cy(y) = 1/2 [erf(sqrt(pi) (y - y0) / r_up) - erf(sqrt(pi) (y - y1) / r_down)]

where x runs along the strike, y toward the dip (down-dip positive), ``x0 = a + s``,
``x1 = b - s`` the strike edges and ``y0``, ``y1`` the up- and down-dip edges. On a dipping seam
the depth differs between the up-dip and down-dip edges (``r_up = H_up / tan(beta)``,
``r_down = H_down / tan(beta)``) and each edge is seen at the surface shifted toward the dip by
``H_edge * cot(theta)``, ``theta`` the propagation angle (90 degrees on a flat seam; about
``90 - 0.6 alpha`` in practice). Projecting the inclined panel width D along ``theta`` gives
the computation width ``D sin(theta + alpha) / sin(theta)`` of the textbook formula.

Horizontal movement follows from the same integral (Kratzsch 1983; He et al. 1991)::

    U = b * r * dW/dx,

``b`` the horizontal-movement coefficient (0.2-0.4): ground moves toward the basin centre,
most where the basin is steepest (at the inflection lines).

Conventions here: lengths in metres, angles in degrees in the public API, W positive DOWN
(subsidence) in the model functions; :func:`vertical_displacement` returns the signed
displacement (negative = subsidence) used everywhere else in the toolkit. A panel is its
plan-view polygon (what a mine plan shows); polygons that are not an axis-aligned rectangle in
the strike/dip frame are integrated as strips across the dip, each a rectangle at its own depth.
The offset ``s`` is applied in plan view: it shrinks each strip by ``s`` along the strike and
the panel by ``s`` at its up- and down-dip edges (exact for a rectangle).

Sources: Knothe S. (1957) Observations of surface movements under influence of mining and
their theoretical interpretation, Proc. European Congress on Ground Movement, Leeds, 210-218;
Litwiniszyn J. (1957) The theories and model research of movements of ground masses, same
proceedings, 203-209; Liu B., Liao G. (1965) Basic laws of surface movement in coal mines,
China Industry Press; He G., Yang L., Ling G., Jia F., Hong D. (1991) Mining Subsidence
Science, China University of Mining and Technology Press; Kratzsch H. (1983) Mining Subsidence
Engineering, Springer; Fan H., Cheng D., Deng K., Chen B., Zhu C. (2015) Subsidence monitoring
using D-InSAR and probability integral prediction modelling in deep mining areas, Survey
Review 47, 438-445 (the InSAR + PIM route named in paper 003).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import List, Optional, Sequence, Tuple

import numpy as np

SQRT_PI = float(np.sqrt(np.pi))


@dataclass(frozen=True)
class PimParameters:
    """The four fitted PIM parameters and the horizontal coefficient.

    ``q``: subsidence factor (-); ``tan_beta``: tangent of the major influence angle (-);
    ``offset_m``: inflection-point offset s (m, positive = inward); ``theta_deg``: propagation
    angle (degrees, 90 = straight up); ``b``: horizontal-movement coefficient (-).
    """

    q: float
    tan_beta: float
    offset_m: float = 0.0
    theta_deg: float = 90.0
    b: float = 0.3


@dataclass(frozen=True)
class Panel:
    """A mined panel in plan view, in the strike/dip frame of its seam.

    ``ring``: (k, 2) map coordinates (x east, y north, metres) of the plan-view outline;
    ``thickness_m``: extracted thickness m; ``depth_m``: depth of the seam at the panel
    centroid; ``dip_deg``: seam dip alpha; ``dip_azimuth_deg``: direction toward which the
    seam deepens, degrees clockwise from north (for a flat seam: the direction toward which
    ``theta`` shifts the basin; default across the panel's long axis).
    """

    ring: np.ndarray
    thickness_m: float
    depth_m: float
    dip_deg: float = 0.0
    dip_azimuth_deg: Optional[float] = None

    def __post_init__(self):
        ring = np.asarray(self.ring, dtype=float)
        if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
            ring = ring[:-1]
        object.__setattr__(self, "ring", ring)
        if self.dip_azimuth_deg is None:
            object.__setattr__(self, "dip_azimuth_deg", (long_axis_azimuth(ring) + 90.0) % 360)
        object.__setattr__(self, "_centroid", polygon_centroid(ring))

    @property
    def centroid(self) -> Tuple[float, float]:
        return self._centroid

    @property
    def area_m2(self) -> float:
        return abs(polygon_area(self.ring))

    def frame(self) -> "StrikeDipFrame":
        return StrikeDipFrame(*self.centroid, self.dip_azimuth_deg)

    def w0(self, q: float) -> float:
        """Maximum subsidence of full extraction ``m q cos(alpha)`` (m, positive down)."""
        return self.thickness_m * q * float(np.cos(np.deg2rad(self.dip_deg)))

    def extent(self) -> Tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the outline."""
        return (*self.ring.min(axis=0), *self.ring.max(axis=0))


@dataclass(frozen=True)
class StrikeDipFrame:
    """Local coordinates: ``u`` along the strike, ``v`` toward the dip (down-dip positive),
    origin at (x0, y0). ``azimuth_deg``: direction of +v, clockwise from north."""

    x0: float
    y0: float
    azimuth_deg: float

    def unit_vectors(self) -> Tuple[np.ndarray, np.ndarray]:
        """(u_hat, v_hat) as (east, north) components."""
        a = np.deg2rad(self.azimuth_deg)
        v_hat = np.array([np.sin(a), np.cos(a)])
        u_hat = np.array([np.cos(a), -np.sin(a)])  # v_hat turned 90 degrees anticlockwise
        return u_hat, v_hat

    def to_local(self, x, y) -> Tuple[np.ndarray, np.ndarray]:
        u_hat, v_hat = self.unit_vectors()
        dx, dy = np.asarray(x, float) - self.x0, np.asarray(y, float) - self.y0
        return dx * u_hat[0] + dy * u_hat[1], dx * v_hat[0] + dy * v_hat[1]

    def to_map(self, u, v) -> Tuple[np.ndarray, np.ndarray]:
        u_hat, v_hat = self.unit_vectors()
        u, v = np.asarray(u, float), np.asarray(v, float)
        return self.x0 + u * u_hat[0] + v * v_hat[0], self.y0 + u * u_hat[1] + v * v_hat[1]


def _next(values: np.ndarray) -> np.ndarray:
    """The following vertex of each vertex of a closed ring."""
    return np.concatenate([values[1:], values[:1]])


def polygon_area(ring: np.ndarray) -> float:
    """Signed shoelace area of a (k, 2) ring (positive anticlockwise)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, _next(y)) - np.dot(y, _next(x)))


def polygon_centroid(ring: np.ndarray) -> Tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x * _next(y) - _next(x) * y
    area = 0.5 * cross.sum()
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean())
    cx = ((x + _next(x)) * cross).sum() / (6 * area)
    cy = ((y + _next(y)) * cross).sum() / (6 * area)
    return float(cx), float(cy)


def long_axis_azimuth(ring: np.ndarray) -> float:
    """Azimuth (degrees clockwise from north, 0-180) of the long side of the minimum-area
    rectangle around ``ring`` (rotating the hull edges)."""
    points = np.asarray(ring, float)
    best = (np.inf, 0.0)
    for k in range(len(points)):
        edge = points[(k + 1) % len(points)] - points[k]
        if np.hypot(*edge) < 1e-9:
            continue
        angle = np.arctan2(edge[1], edge[0])
        c, s = np.cos(angle), np.sin(angle)
        along = points @ np.array([c, s])
        across = points @ np.array([-s, c])
        spans = (np.ptp(along), np.ptp(across))
        area = spans[0] * spans[1]
        if area < best[0] - 1e-6:
            long_angle = angle if spans[0] >= spans[1] else angle + np.pi / 2
            best = (area, long_angle)
    # math angle (from east, anticlockwise) to azimuth (from north, clockwise)
    return float((90.0 - np.rad2deg(best[1])) % 180.0)


def rectangle_ring(
    centre_x: float, centre_y: float, length_m: float, width_m: float, axis_azimuth_deg: float
) -> np.ndarray:
    """(4, 2) corners of a rectangle ``length_m`` along ``axis_azimuth_deg`` (clockwise from
    north) and ``width_m`` across it, centred at (centre_x, centre_y), anticlockwise."""
    a = np.deg2rad(axis_azimuth_deg)
    along = np.array([np.sin(a), np.cos(a)]) * length_m / 2
    across = np.array([np.cos(a), -np.sin(a)]) * width_m / 2
    centre = np.array([centre_x, centre_y])
    corners = [centre - along - across, centre + along - across, centre + along + across]
    corners.append(centre - along + across)
    ring = np.array(corners)
    return ring if polygon_area(ring) > 0 else ring[::-1]


@dataclass(frozen=True)
class _Strip:
    """A rectangle of the panel in the strike/dip frame: u-intervals over [v0, v1]."""

    v0: float
    v1: float
    intervals: Tuple[Tuple[float, float], ...]


def _scanline(ring_uv: np.ndarray, v: float) -> List[Tuple[float, float]]:
    """u-intervals of the polygon on the line at ``v`` (even-odd rule)."""
    u0, v0 = ring_uv[:, 0], ring_uv[:, 1]
    u1, v1 = _next(u0), _next(v0)
    crosses = (v0 <= v) != (v1 <= v)
    t = (v - v0[crosses]) / (v1[crosses] - v0[crosses])
    us = np.sort(u0[crosses] + t * (u1[crosses] - u0[crosses]))
    return [(float(us[k]), float(us[k + 1])) for k in range(0, len(us) - 1, 2)]


def panel_strips(panel: Panel, offset_m: float, n_strips: int = 32) -> List[_Strip]:
    """The panel shrunk by ``offset_m`` as rectangles in its strike/dip frame: one when the
    outline is a rectangle aligned with the frame, else ``n_strips`` across the dip."""
    u, v = panel.frame().to_local(panel.ring[:, 0], panel.ring[:, 1])
    ring_uv = np.column_stack([u, v])
    umin, umax, vmin, vmax = u.min(), u.max(), v.min(), v.max()
    box_area = (umax - umin) * (vmax - vmin)
    v_low, v_high = vmin + offset_m, vmax - offset_m
    if v_high <= v_low:
        return []
    if box_area > 0 and abs(polygon_area(ring_uv)) > 0.999 * box_area:
        low, high = umin + offset_m, umax - offset_m
        return [_Strip(v_low, v_high, ((low, high),))] if high > low else []
    edges = np.linspace(v_low, v_high, n_strips + 1)
    strips = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        intervals = tuple(
            (lo + offset_m, hi - offset_m)
            for lo, hi in _scanline(ring_uv, 0.5 * (a + b))
            if hi - lo > 2 * offset_m
        )
        if intervals:
            strips.append(_Strip(float(a), float(b), intervals))
    return strips


def _basin_terms(
    panel: Panel, params: PimParameters, u: np.ndarray, v: np.ndarray, horizontal: bool
):
    """W (positive down) and, when asked, the horizontal movement (u, v components), metres."""
    from scipy.special import erf

    w0 = panel.w0(params.q)
    tan_alpha = np.tan(np.deg2rad(panel.dip_deg))
    cot_theta = 1.0 / np.tan(np.deg2rad(params.theta_deg))
    depth = panel.depth_m

    def depth_at(v_edge):  # v measured from the centroid, down-dip positive
        return max(depth + v_edge * tan_alpha, 1.0)

    subsidence = np.zeros(np.broadcast(u, v).shape)
    move_u = np.zeros_like(subsidence) if horizontal else None
    move_v = np.zeros_like(subsidence) if horizontal else None
    for strip in panel_strips(panel, params.offset_m):
        h0, h1 = depth_at(strip.v0), depth_at(strip.v1)
        r0, r1 = h0 / params.tan_beta, h1 / params.tan_beta
        e0, e1 = strip.v0 + h0 * cot_theta, strip.v1 + h1 * cot_theta
        z0, z1 = SQRT_PI * (v - e0) / r0, SQRT_PI * (v - e1) / r1
        cy = 0.5 * (erf(z0) - erf(z1))
        r_strike = depth_at(0.5 * (strip.v0 + strip.v1)) / params.tan_beta
        cx = np.zeros_like(subsidence)
        gx = np.zeros_like(subsidence) if horizontal else None
        for a, b in strip.intervals:
            za, zb = SQRT_PI * (u - a) / r_strike, SQRT_PI * (u - b) / r_strike
            cx = cx + 0.5 * (erf(za) - erf(zb))
            if horizontal:
                # b * r * d/du of 1/2 erf(sqrt(pi) u / r) = b * exp(-pi u^2 / r^2)
                gx = gx + np.exp(-(za**2)) - np.exp(-(zb**2))
        subsidence += w0 * cx * cy
        if horizontal:
            move_u += params.b * w0 * gx * cy
            move_v += params.b * w0 * cx * (np.exp(-(z0**2)) - np.exp(-(z1**2)))
    return subsidence, move_u, move_v


def subsidence(panel: Panel, params: PimParameters, x, y) -> np.ndarray:
    """PIM subsidence W (m, POSITIVE DOWN) at map coordinates ``x``, ``y`` (any shape)."""
    u, v = panel.frame().to_local(x, y)
    return _basin_terms(panel, params, u, v, horizontal=False)[0]


def vertical_displacement(panel: Panel, params: PimParameters, x, y) -> np.ndarray:
    """Vertical displacement of the basin (m, negative = subsidence) at ``x``, ``y``."""
    return -subsidence(panel, params, x, y)


def horizontal_displacement(
    panel: Panel, params: PimParameters, x, y
) -> Tuple[np.ndarray, np.ndarray]:
    """Horizontal movement ``U = b r dW/dx`` of the basin as (east, north) metres: toward the
    basin centre, largest at the inflection lines."""
    frame = panel.frame()
    u, v = frame.to_local(x, y)
    _, move_u, move_v = _basin_terms(panel, params, u, v, horizontal=True)
    u_hat, v_hat = frame.unit_vectors()
    return move_u * u_hat[0] + move_v * v_hat[0], move_u * u_hat[1] + move_v * v_hat[1]


def typical_theta(dip_deg: float) -> float:
    """Propagation angle of practice, ``90 - 0.6 alpha`` degrees (He et al. 1991 give
    k = 0.5-0.8 for ``theta = 90 - k alpha``)."""
    return 90.0 - 0.6 * dip_deg


def with_parameters(params: PimParameters, values: Sequence[float]) -> PimParameters:
    """``params`` with (q, tan_beta, offset_m, theta_deg) replaced by ``values``."""
    q, tan_beta, offset, theta = values
    return replace(params, q=q, tan_beta=tan_beta, offset_m=offset, theta_deg=theta)
