"""LOS unit vectors: signs on hand cases, the three angle conventions agree, MintPy as a peer."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from insar_subsidence.core.analysis.line_of_sight import (
    azimuth_from_heading,
    los_from_azimuth,
    los_from_heading,
    los_from_hyp3,
)
from tests.paths import PEER_PYTHON


def test_egms_descending_track_hand_case():
    # EGMS L2b track 22 (tests/data/points): track_angle 191.42, incidence 37.31 and the
    # los_east, los_north, los_up it ships
    east, north, up = los_from_heading(37.31, 191.42)
    assert (east, north, up) == pytest.approx((0.594, -0.120, 0.795), abs=1e-3)
    # HyP3 writes headings in -180..180
    assert los_from_heading(37.31, 191.42 - 360) == pytest.approx((east, north, up))


def test_signs_of_motion_seen_from_both_passes():
    ascending = np.array(los_from_heading(39.0, -12.0))
    descending = np.array(los_from_heading(39.0, -168.0))
    # the satellite is west of the ground on ascending passes, east on descending ones
    assert ascending[0] < -0.6 and descending[0] > 0.6
    # both look slightly from the south (near-polar orbits): small negative north
    assert -0.15 < ascending[1] < 0 and -0.15 < descending[1] < 0
    subsidence = np.array([0.0, 0.0, -10.0])
    eastward = np.array([10.0, 0.0, 0.0])
    # subsidence moves away from the satellite (negative LOS) on every track
    assert ascending @ subsidence < 0 and descending @ subsidence < 0
    # eastward motion approaches a descending satellite and recedes from an ascending one
    assert descending @ eastward > 0 > ascending @ eastward
    for vector in (ascending, descending):
        assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_mintpy_and_hyp3_angles_give_the_same_vector():
    incidence = np.array([31.0, 39.0, 45.0])
    for heading in (-12.0, -168.0, 191.42):
        azimuth = azimuth_from_heading(heading)
        expected = los_from_heading(incidence, heading)
        np.testing.assert_allclose(los_from_azimuth(incidence, azimuth), expected, atol=1e-12)
        # HyP3: incidence = 90 - deg(lv_theta), azimuth = deg(lv_phi) - 90 (DESIGN.md)
        lv_theta = np.deg2rad(90.0 - incidence)
        lv_phi = np.deg2rad(azimuth + 90.0)
        np.testing.assert_allclose(los_from_hyp3(lv_theta, lv_phi), expected, atol=1e-12)
    # MintPy's typical values: ascending heading -12 <-> azimuth 102, descending -168 <-> -102
    assert azimuth_from_heading(-12.0) == pytest.approx(102.0)
    assert azimuth_from_heading(-168.0) == pytest.approx(-102.0)


def _mintpy_available() -> bool:
    if not PEER_PYTHON.exists():
        return False
    found = subprocess.run(
        [str(PEER_PYTHON), "-c", "import mintpy.utils.utils0"], capture_output=True
    )
    return found.returncode == 0


@pytest.mark.skipif(not _mintpy_available(), reason="MintPy peer venv (.venv-peers) missing")
def test_projection_equals_mintpy_enu2los():
    cases = [(31.0, -12.0), (44.0, -168.0), (37.31, 191.42)]
    motion = (7.0, -3.0, -25.0)
    script = (
        "import json, sys; from mintpy.utils.utils0 import enu2los\n"
        f"cases = {cases!r}; ve, vn, vu = {motion!r}\n"
        "print(json.dumps([float(enu2los(ve, vn, vu, inc, head_angle=h)) for inc, h in cases]))"
    )
    done = subprocess.run([str(PEER_PYTHON), "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    ours = [float(np.dot(los_from_heading(inc, h), motion)) for inc, h in cases]
    assert ours == pytest.approx(theirs, abs=1e-9)
