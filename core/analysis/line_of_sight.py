"""Line-of-sight unit vectors: ground to satellite, in east, north, up components.

A LOS displacement (positive toward the satellite) is the projection of the ground motion
``(v_E, v_N, v_U)`` on the unit vector ``e`` pointing from the ground to the satellite::

    d_LOS = e_E * v_E + e_N * v_N + e_U * v_U

With ``theta`` the incidence angle (from the vertical at the ground) and ``alpha`` the
azimuth of the ground-to-satellite direction measured CLOCKWISE from north::

    e_E = sin(theta) * sin(alpha),   e_N = sin(theta) * cos(alpha),   e_U = cos(theta)

The sources name ``alpha`` in three ways (the derivation is in docs/algorithms/decompose.md):

* heading ``h`` (flight direction, clockwise from north; HyP3 ``Heading``, EGMS
  ``track_angle``) of a right-looking radar: the antenna looks at ``h + 90``, so the satellite
  is seen from the ground at ``alpha = h - 90``: ``e_E = -sin(theta) cos(h)``,
  ``e_N = sin(theta) sin(h)``;
* MintPy ``azimuthAngle`` ``a`` (ground to satellite, from north, ANTICLOCKWISE positive):
  ``alpha = -a``: ``e_E = -sin(theta) sin(a)``, ``e_N = sin(theta) cos(a)``;
* HyP3 ``lv_phi`` ``phi`` (ground to satellite, from EAST, anticlockwise, radians) and
  ``lv_theta`` (elevation above the horizon, radians): ``theta = pi/2 - lv_theta``,
  ``a = phi - pi/2``: ``e_E = cos(lv_theta) cos(phi)``, ``e_N = cos(lv_theta) sin(phi)``,
  ``e_U = sin(lv_theta)``.

Hand case (a Sentinel-1 descending track, EGMS L2b track 22): heading 191.42 deg, incidence
37.31 deg gives (0.594, -0.120, 0.795), the ``los_east, los_north, los_up`` EGMS ships.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

#: unit vectors of products that are already one component of the motion
VERTICAL = (0.0, 0.0, 1.0)
EAST = (1.0, 0.0, 0.0)

Vector = Tuple[np.ndarray, np.ndarray, np.ndarray]


def los_from_heading(incidence_deg, heading_deg) -> Vector:
    """Ground-to-satellite unit vector (east, north, up) of a right-looking radar.

    Parameters
    ----------
    incidence_deg : array_like
        Incidence angle from the vertical, degrees (any shape).
    heading_deg : array_like
        Flight direction, degrees clockwise from north (HyP3 ``Heading``, EGMS
        ``track_angle``), broadcast against ``incidence_deg``.
    """
    theta = np.deg2rad(np.asarray(incidence_deg, dtype=float))
    heading = np.deg2rad(np.asarray(heading_deg, dtype=float))
    return (-np.sin(theta) * np.cos(heading), np.sin(theta) * np.sin(heading), np.cos(theta))


def los_from_azimuth(incidence_deg, azimuth_deg) -> Vector:
    """Ground-to-satellite unit vector from MintPy's ``incidenceAngle`` and ``azimuthAngle``
    (degrees; azimuth of the ground-to-satellite vector from north, anticlockwise positive)."""
    theta = np.deg2rad(np.asarray(incidence_deg, dtype=float))
    azimuth = np.deg2rad(np.asarray(azimuth_deg, dtype=float))
    return (-np.sin(theta) * np.sin(azimuth), np.sin(theta) * np.cos(azimuth), np.cos(theta))


def los_from_hyp3(lv_theta_rad, lv_phi_rad) -> Vector:
    """Ground-to-satellite unit vector from HyP3's ``lv_theta`` (elevation, radians) and
    ``lv_phi`` (from east, anticlockwise, radians)."""
    elevation = np.asarray(lv_theta_rad, dtype=float)
    phi = np.asarray(lv_phi_rad, dtype=float)
    return (np.cos(elevation) * np.cos(phi), np.cos(elevation) * np.sin(phi), np.sin(elevation))


def azimuth_from_heading(heading_deg):
    """MintPy ``azimuthAngle`` (degrees, -180..180) of a right-looking radar's heading."""
    return (90.0 - np.asarray(heading_deg, dtype=float) + 180.0) % 360.0 - 180.0


def normalised(east, north, up) -> Vector:
    """The vector scaled to unit length (NaN where it has none)."""
    east, north, up = (np.asarray(v, dtype=float) for v in (east, north, up))
    norm = np.sqrt(east**2 + north**2 + up**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(norm > 0, norm, np.nan)
        return east / norm, north / norm, up / norm
