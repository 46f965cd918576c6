"""Detectable gradient: the limit against hand values, and synthetic bowls of increasing
depth whose aliasing onset is known."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.analysis.detectable_gradient import (
    BEYOND,
    MEASURABLE,
    NEAR_LIMIT,
    DetectableGradientOptions,
    detectable_gradient,
    pair_limit,
    rate_gradient,
    stack_limit,
)
from insar_subsidence.core.conventions import DAYS_PER_YEAR, SENTINEL1_WAVELENGTH
from insar_subsidence.core.demo.hyp3 import aliases, least_squares_unwrap
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
from insar_subsidence.core.io.mintpy import write_ifgram_stack
from insar_subsidence.core.io.vector import write_polygons

GRID = Grid(600000.0, 4000000.0, 40.0, -40.0, 220, 50, 32649)
SIGMA_M = 160.0
CENTRES = [30, 85, 140, 195]  # columns
DATES = [dt.date(2021, 1, 2) + dt.timedelta(days=12 * k) for k in range(16)]
COHERENCE = 0.8
LAMBDA = SENTINEL1_WAVELENGTH


def limit_12_days(coherence=COHERENCE, looks=8.0, margin=2.0):
    """Hand value: lambda/(4 pi) (pi - k sqrt(2) sigma), sigma = sqrt((1-g^2)/(2 L g^2))."""
    sigma = np.sqrt((1 - coherence**2) / (2 * looks * coherence**2))
    return LAMBDA / (4 * np.pi) * (np.pi - margin * np.sqrt(2) * sigma) / (12 / DAYS_PER_YEAR)


#: rate (m/yr) at which a Gaussian bowl's steepest neighbours differ by the 12-day limit
ONSET = limit_12_days() / (40.0 * np.exp(-0.5) / SIGMA_M)
FACTORS = [0.3, 0.6, 1.5, 3.0]


def bowls(factors=FACTORS):
    rows, cols = np.indices(GRID.shape)
    field = np.zeros(GRID.shape)
    for centre, factor in zip(CENTRES, factors, strict=True):
        d2 = ((cols - centre) ** 2 + (rows - 25) ** 2) * 40.0**2
        field -= factor * ONSET * np.exp(-0.5 * d2 / SIGMA_M**2)
    return field  # LOS rate, m/yr


def write_stack(path, rate):
    pairs = [(DATES[i], DATES[j]) for i in range(len(DATES)) for j in (i + 1, i + 2) if j < 16]
    phase = np.zeros((len(pairs),) + GRID.shape, np.float32)
    for k, (a, b) in enumerate(pairs):
        truth = -4 * np.pi / LAMBDA * rate * (b - a).days / DAYS_PER_YEAR
        if aliases(truth):  # what an unwrapper returns: too shallow where fringes alias
            truth = least_squares_unwrap(np.angle(np.exp(1j * truth)))
            truth -= truth[0, 0]
        phase[k] = truth
    coherence = np.full(phase.shape, COHERENCE, np.float32)
    write_ifgram_stack(path, GRID, pairs, np.zeros(len(pairs)), phase, coherence)
    # the velocity an SBAS chain of the 12-day pairs gives (m/yr, LOS)
    firsts = [k for k, (a, b) in enumerate(pairs) if (b - a).days == 12]
    span = (DATES[-1] - DATES[0]).days / DAYS_PER_YEAR
    return -LAMBDA / (4 * np.pi) * phase[firsts].sum(axis=0) / span


def test_pair_limit_is_a_quarter_wavelength_at_full_coherence_and_falls_with_noise():
    assert pair_limit(1.0, 8, 2.0, LAMBDA) == pytest.approx(LAMBDA / 4)
    assert pair_limit(COHERENCE, 8, 2.0, LAMBDA) == pytest.approx(
        limit_12_days() * 12 / DAYS_PER_YEAR
    )
    assert pair_limit(0.8, 50, 2.0, LAMBDA) > pair_limit(0.8, 8, 2.0, LAMBDA)  # more looks
    assert pair_limit(0.15, 8, 2.0, LAMBDA) == 0.0  # noise alone reaches pi


def test_stack_limit_uses_the_best_pair_of_each_pixel(tmp_path):
    write_stack(tmp_path / "s.h5", bowls())
    result = stack_limit(tmp_path / "s.h5")
    np.testing.assert_allclose(result.limit_mm_yr_per_pixel, limit_12_days() * 1000, rtol=1e-5)
    assert np.all(result.shortest_days == 12)
    strict = stack_limit(tmp_path / "s.h5", DetectableGradientOptions(min_coherence=0.9))
    assert np.isnan(strict.limit_mm_yr_per_pixel).all()


def _bowl_masks(mask):
    return [mask[15:36, c - 10 : c + 11] for c in CENTRES]


def test_true_gradients_are_beyond_exactly_past_the_aliasing_onset(tmp_path):
    rate = bowls()
    write_stack(tmp_path / "s.h5", rate)
    write_geotiff(tmp_path / "v.tif", (rate * 1000).astype(np.float32), GRID)
    result = detectable_gradient(
        tmp_path / "s.h5", tmp_path / "limit.tif", velocity=tmp_path / "v.tif"
    )
    gentle, moderate, steep, steeper = _bowl_masks(result.mask)
    assert np.all(gentle == MEASURABLE) and np.all(moderate == MEASURABLE)
    assert (steep == BEYOND).any() and (steeper == BEYOND).sum() > (steep == BEYOND).sum()
    ratio = result.ratio[15:36, 130:151]
    assert np.nanmax(ratio) == pytest.approx(1.5, rel=0.05)  # the bowl's factor over the onset
    bands, _ = read_raster(tmp_path / "limit.tif", band=2)
    np.testing.assert_allclose(bands, limit_12_days() * 1000 / 40.0, rtol=1e-5)


def test_measured_velocity_of_aliased_bowls_is_flagged_and_bowls_are_warned(tmp_path):
    velocity = write_stack(tmp_path / "s.h5", bowls())
    velocity[20:31, 190:201] = np.nan  # the fastest core masked out, as SBAS masks it
    write_geotiff(tmp_path / "v.tif", (velocity * 1000).astype(np.float32), GRID)
    features = []
    for bowl_id, centre in enumerate(CENTRES, start=1):
        x0, y0 = GRID.xy(25, centre)
        ring = [
            (x0 - 400, y0 - 400),
            (x0 + 400, y0 - 400),
            (x0 + 400, y0 + 400),
            (x0 - 400, y0 + 400),
        ]
        features.append((ring, {"bowl_id": bowl_id}))
    write_polygons(tmp_path / "bowls.gpkg", 32649, features)
    messages = []
    result = detectable_gradient(
        tmp_path / "s.h5",
        tmp_path / "limit.tif",
        velocity=tmp_path / "v.tif",
        output_mask=tmp_path / "mask.tif",
        bowls=tmp_path / "bowls.gpkg",
        output_table=tmp_path / "bowls.csv",
        progress=lambda f, m="": messages.append(m) or True,
    )
    gentle, moderate, steep, steeper = _bowl_masks(result.mask)
    assert np.all(gentle == MEASURABLE) and np.all(moderate == MEASURABLE)
    assert np.isin(steep, (NEAR_LIMIT, BEYOND)).any()
    # the masked core of the fastest bowl is a gap next to flagged pixels: beyond
    assert np.all(result.mask[20:31, 190:201] == BEYOND)
    # the measured (aliased) peak is too shallow: this is what the warning is about
    assert np.nanmin(velocity[:, 120:160]) > 1.5 * ONSET * -1 * 0.9
    rows = list(csv.DictReader(open(tmp_path / "bowls.csv")))
    assert [row["underestimated"] for row in rows] == ["0", "0", "1", "1"]
    assert float(rows[3]["beyond_pct"]) > float(rows[2]["beyond_pct"]) >= 0.0
    warnings = [m for m in messages if m.startswith("Warning: bowl")]
    assert len(warnings) == 2 and "likely underestimated" in warnings[0]
    mask, _ = read_raster(tmp_path / "mask.tif", dtype=np.uint8)
    np.testing.assert_array_equal(mask, result.mask)


def test_rate_gradient_is_the_largest_neighbour_difference():
    v = np.array([[0.0, 1.0, 3.0], [0.0, np.nan, 2.0], [5.0, 5.0, 5.0]])
    g = rate_gradient(v)
    assert g[0, 0] == 1.0 and g[0, 2] == 2.0 and g[2, 0] == 5.0 and np.isnan(g[1, 1])


def test_bad_input_is_refused(tmp_path):
    write_stack(tmp_path / "s.h5", bowls())
    with pytest.raises(InputError, match="compare a measured rate"):
        detectable_gradient(tmp_path / "s.h5", tmp_path / "l.tif", output_mask=tmp_path / "m.tif")
    other = Grid(600000.0, 4000000.0, 80.0, -80.0, 110, 25, 32649)
    write_geotiff(tmp_path / "v.tif", np.zeros(other.shape, np.float32), other)
    with pytest.raises(InputError, match="another grid"):
        detectable_gradient(tmp_path / "s.h5", tmp_path / "l.tif", velocity=tmp_path / "v.tif")
    assert not (tmp_path / "l.tif").exists()
