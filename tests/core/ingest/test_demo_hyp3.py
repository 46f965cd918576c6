"""The demo scene written as HyP3 products and truth: real formats, right signs, known noise."""

import zipfile

import numpy as np
import pytest

from insar_subsidence.core.conventions import SENTINEL1_WAVELENGTH
from insar_subsidence.core.demo.hyp3 import product_name, small_baseline_pairs
from insar_subsidence.core.demo.truth import write_truth
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.hyp3 import GAMMA, discover_products, parse_metadata_text
from insar_subsidence.core.io.mintpy import read_timeseries
from tests.core.ingest_helpers import folder_digest, write_small_products

REAL_GAMMA_TXT = "S1AC_20251001T204513_20251007T204359_HHR006_INT40_G_ueF_1DBE.txt"


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return write_small_products(tmp_path_factory.mktemp("hyp3"))


def test_network_is_small_baseline_and_about_250_pairs_for_90_dates():
    pairs = small_baseline_pairs(90)
    assert 230 <= len(pairs) <= 270
    assert all(i < j for i, j in pairs)
    spans = np.array([j - i for i, j in pairs])
    assert np.all(np.isin(np.arange(1, 3), spans)) and spans.max() == 30
    # every date is connected to the next: one connected network
    assert {(i, i + 1) for i in range(89)} <= set(pairs)


def test_products_are_real_hyp3_zips_with_the_real_metadata_keys(products, test_data):
    scene, folder = products
    found = discover_products(folder)
    assert len(found) == len(small_baseline_pairs(len(scene.dates)))
    first = found[0]
    assert first.product.kind == GAMMA and first.name == product_name(*first.pair)
    assert set(first.layers) == {"unw_phase", "corr", "dem", "lv_theta", "lv_phi", "water_mask"}
    real_keys = set(parse_metadata_text((test_data / "hyp3" / REAL_GAMMA_TXT).read_text()))
    assert set(first.metadata) == real_keys
    i, j = scene.dates.index(first.pair[0]), scene.dates.index(first.pair[1])
    assert first.baseline == pytest.approx(scene.bperp[j] - scene.bperp[i], abs=1e-3)
    with zipfile.ZipFile(first.source) as archive:
        assert all(n.startswith(first.name + "/") for n in archive.namelist())


def _residuals(scene, folder):
    """Per product: unwrapped phase minus the truth phase as a processor measures it (where
    neighbours differ by more than pi: wrapped and unwrapped again), median offset removed
    (rad)."""
    from insar_subsidence.core.demo.hyp3 import aliases, least_squares_unwrap

    los = scene.los_displacement()
    for product in discover_products(folder):
        phase, grid = read_raster(product.raster("unw_phase"))
        assert grid.same_as(scene.grid)
        assert not np.isfinite(phase[scene.water]).any(), "water is nodata"
        i, j = (scene.dates.index(d) for d in product.pair)
        truth = -4 * np.pi / SENTINEL1_WAVELENGTH * (los[j] - los[i])
        if aliases(truth):
            truth = least_squares_unwrap(np.angle(np.exp(1j * truth)))
        residual = phase - truth
        yield product, residual - np.nanmedian(residual)


def test_aliased_basin_is_measured_too_shallow():
    """Fringes denser than one per two pixels: least-squares unwrapping keeps the surface
    smooth and loses part of the bowl, as a real unwrapper does; a gentle bowl comes back
    exactly."""
    from insar_subsidence.core.demo.hyp3 import aliases, least_squares_unwrap

    yy, xx = np.mgrid[0:60, 0:70]
    bowl = np.exp(-((xx - 35.0) ** 2 + (yy - 30.0) ** 2) / 60.0)
    gentle, steep = -15.0 * bowl, -60.0 * bowl  # rad; 15 rad keeps neighbours within pi
    assert not aliases(gentle) and aliases(steep)
    recovered = least_squares_unwrap(np.angle(np.exp(1j * gentle)))
    np.testing.assert_allclose(recovered - recovered[0, 0], gentle - gentle[0, 0], atol=1e-9)
    recovered = least_squares_unwrap(np.angle(np.exp(1j * steep)))
    depth = recovered[0, 0] - recovered[30, 35]
    assert 0.1 * 60 < depth < 0.8 * 60


def test_noise_free_phase_is_the_truth_with_positive_away(tmp_path, monkeypatch):
    from insar_subsidence.core.demo import hyp3

    for name in ("TURBULENCE_STD", "STRATIFIED_STD", "RAMP_STD"):
        monkeypatch.setattr(hyp3, name, 0.0)
    monkeypatch.setattr(hyp3, "LOOKS", 1e12)
    scene, folder = write_small_products(tmp_path)
    jumps = 0
    for product, residual in _residuals(scene, folder):
        land = np.isfinite(residual)
        cycles = residual[land] / (2 * np.pi)
        # what is left: whole-cycle unwrapping errors and the few DEM-error pixels
        off = np.abs(cycles - np.round(cycles)) > 0.01
        assert off.sum() <= 6, product.name
        jumps += np.any(np.abs(np.round(cycles)) >= 1)
    assert jumps >= 1, "some pairs carry unwrapping errors"


def test_noisy_phase_scatters_realistically_around_the_truth(products):
    scene, folder = products
    spread = [np.nanstd(residual) for _, residual in _residuals(scene, folder)]
    assert 0.5 < np.median(spread) < 3.0  # rad


def test_truth_files_are_consistent(products, tmp_path):
    scene, _ = products
    truth = write_truth(scene, tmp_path / "truth")
    vertical, _ = read_raster(truth["truth_velocity_vertical"])
    los, _ = read_raster(truth["truth_velocity_los"])
    east_north = [scene.linear_rate(h) * 1000 for h in scene.horizontal_displacement()]
    e, n, u = scene.los_vector()
    np.testing.assert_allclose(los, e * east_north[0] + n * east_north[1] + u * vertical, atol=2e-3)
    # the longwall basins move the ground sideways: LOS differs from vertical * cos(incidence)
    assert np.max(np.abs(los - vertical * np.cos(np.deg2rad(scene.incidence)))) > 10
    # mm/yr: the deepest bowl is the longwall near its advancing face (a PIM basin of ~0.6 m
    # developing within months); over the 108 days of this scene that is ~1 m/yr
    assert -2000 < vertical.min() < -300
    series = read_timeseries(truth["truth_timeseries"])
    assert series.attrs["FILE_TYPE"] == "timeseries" and series.attrs["UNIT"] == "m"
    assert np.all(series.data[0] == 0)
    assert truth["bowls"].read_text().count("\n") == len(scene.bowls) + 1
    dem, _ = read_raster(truth["dem"])
    np.testing.assert_allclose(dem, scene.height)


def test_products_are_deterministic(products, tmp_path):
    _, folder = products
    _, again = write_small_products(tmp_path / "again")
    assert folder_digest(folder) == folder_digest(again)


MINTPY_HYP3_PARSER = """
import json, sys
from mintpy.prep_hyp3 import add_hyp3_metadata
meta = {"X_FIRST": "680000", "Y_FIRST": "3940000", "X_STEP": "80", "Y_STEP": "-80",
        "LENGTH": "40", "WIDTH": "40"}
meta = add_hyp3_metadata(sys.argv[1], meta, is_ifg=True)
print(json.dumps({k: str(v) for k, v in meta.items()}))
"""


def test_mintpy_parses_the_demo_products_as_hyp3(products, tmp_path):
    """MintPy's own HyP3 reader (name patterns and .txt keys) accepts the demo products."""
    import json
    import subprocess

    from tests.paths import PEER_PYTHON

    if not PEER_PYTHON.exists():
        pytest.skip("no .venv-peers (run `make peers` to cross-check with MintPy)")
    scene, folder = products
    product = discover_products(folder)[5]
    with zipfile.ZipFile(product.source) as archive:
        archive.extractall(tmp_path)
    unw = tmp_path / product.name / f"{product.name}_unw_phase.tif"
    run = subprocess.run(
        [str(PEER_PYTHON), "-c", MINTPY_HYP3_PARSER, str(unw)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "No module named 'mintpy'" in run.stderr:
        pytest.skip("MintPy is not installed in .venv-peers")
    assert run.returncode == 0, run.stderr[-2000:]
    meta = json.loads(run.stdout.strip().splitlines()[-1])
    assert meta["ORBIT_DIRECTION"] == "DESCENDING"
    assert float(meta["P_BASELINE_TOP_HDR"]) == pytest.approx(product.baseline)
    assert meta["DATE12"] == f"{product.pair[0]:%y%m%d}-{product.pair[1]:%y%m%d}"
    assert float(meta["HEADING"]) == pytest.approx(scene.heading)
    assert meta["startUTC"].startswith(f"{product.pair[0]:%Y-%m-%d}")
