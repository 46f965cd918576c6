"""GACOS correction: synthetic .ztd/.rsc and .ztd.tif files with a known delay."""

import numpy as np
import pytest

from insar_subsidence.core.corrections.troposphere import correct_troposphere
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.io.mintpy import read_timeseries
from tests.core.network_synthetic import dates, make_geometry, make_timeseries

# a small grid in WGS 84 degrees, so the GACOS grid can be a finer copy of it
GEO = Grid(x_first=112.5, y_first=35.6, x_step=0.01, y_step=-0.01, width=8, length=6, epsg=4326)


def write_gacos(folder, date, ztd_of_xy, as_tif=False, x0=112.4, y0=35.7, step=0.005, n=60):
    folder.mkdir(exist_ok=True)
    xs = x0 + (np.arange(n) + 0.5) * step
    ys = y0 - (np.arange(n) + 0.5) * step
    ztd = ztd_of_xy(*np.meshgrid(xs, ys)).astype("<f4")
    stem = date.strftime("%Y%m%d")
    if as_tif:
        write_geotiff(folder / f"{stem}.ztd.tif", ztd, Grid(x0, y0, step, -step, n, n, 4326))
        return
    ztd.tofile(folder / f"{stem}.ztd")
    (folder / f"{stem}.ztd.rsc").write_text(
        f"WIDTH {n}\nFILE_LENGTH {n}\nX_FIRST {x0}\nY_FIRST {y0}\nX_STEP {step}\n"
        f"Y_STEP {-step}\nX_UNIT degrees\nY_UNIT degrees\n"
    )


@pytest.mark.parametrize("as_tif", [False, True])
def test_known_delay_removed(tmp_path, as_tif):
    acq = dates(3)
    # a delay linear in x and y is reproduced exactly by bilinear resampling
    delays = [
        lambda x, y, a=a: 2.3 + a * (x - 112.5) + 0.5 * a * (y - 35.6) for a in (0.0, 0.4, -0.2)
    ]
    for d, f in zip(acq, delays, strict=True):
        write_gacos(tmp_path / "gacos", d, f, as_tif)
    incidence = 40.0
    xx, yy = GEO.xy(*np.indices(GEO.shape))
    los = [-f(xx, yy) / np.cos(np.deg2rad(incidence)) for f in delays]
    apparent = np.stack([layer - los[0] for layer in los])
    apparent -= apparent[:, 1, 2][:, None, None]
    truth = np.zeros((3,) + GEO.shape)
    truth[:, 2:4, 3:6] = np.array([0, -0.01, -0.02])[:, None, None]
    ts = make_timeseries(
        tmp_path / "ts.h5", truth + apparent, acq, grid=GEO, attrs={"REF_Y": 1, "REF_X": 2}
    )
    geo = make_geometry(tmp_path / "geo.h5", incidence, grid=GEO)
    rms = correct_troposphere(
        ts, geo, tmp_path / "gacos", tmp_path / "out.h5", tmp_path / "delay.h5"
    )
    out = read_timeseries(tmp_path / "out.h5")
    assert np.allclose(out.data, truth, atol=2e-6)
    assert np.allclose(read_timeseries(tmp_path / "delay.h5").data, apparent, atol=2e-6)
    assert rms[0] == 0 and rms[1] > 0.005
    assert out.attrs["TROPO_CORRECTION"] == "GACOS"


def test_missing_dates_wrong_area_and_wrong_grid(tmp_path):
    acq = dates(3)
    ts = make_timeseries(tmp_path / "ts.h5", np.zeros((3,) + GEO.shape), acq, grid=GEO)
    geo = make_geometry(tmp_path / "geo.h5", 40.0, grid=GEO)
    for d in acq[:2]:
        write_gacos(tmp_path / "gacos", d, lambda x, y: 2.0 + 0 * x)
    with pytest.raises(InputError, match=r"gacos.*1 of 3 dates: " + acq[2].strftime("%Y%m%d")):
        correct_troposphere(ts, geo, tmp_path / "gacos", tmp_path / "out.h5")
    write_gacos(tmp_path / "far", acq[0], lambda x, y: 2.0 + 0 * x, x0=100.0)
    for d in acq[1:]:
        write_gacos(tmp_path / "far", d, lambda x, y: 2.0 + 0 * x)
    with pytest.raises(InputError, match="far/" + acq[0].strftime("%Y%m%d") + ".ztd.*covers"):
        correct_troposphere(ts, geo, tmp_path / "far", tmp_path / "out.h5")
    other = make_geometry(tmp_path / "geo2.h5", 40.0, grid=GEO.window(0, 3, 0, 3))
    with pytest.raises(InputError, match="geo2.h5.*does not match"):
        correct_troposphere(ts, other, tmp_path / "gacos", tmp_path / "out.h5")
    assert not (tmp_path / "out.h5").exists()


def test_demo_gacos_files_explain_the_demo_tropospheric_phase(tmp_path):
    from insar_subsidence.core.conventions import SENTINEL1_WAVELENGTH
    from insar_subsidence.core.corrections.deramp import fit_ramp
    from insar_subsidence.core.corrections.troposphere import read_ztd, resample_to_grid
    from insar_subsidence.core.demo.extensions import gacos
    from insar_subsidence.core.demo.hyp3 import product_name
    from insar_subsidence.core.io.geotiff import read_raster
    from insar_subsidence.core.progress import silent
    from tests.core.ingest_helpers import write_small_products

    scene, folder = write_small_products(tmp_path / "hyp3")
    written = gacos.write(scene, tmp_path, np.random.default_rng(0), silent)["gacos"]
    assert len(list(written.glob("*.ztd"))) == len(scene.dates)
    first, second = scene.dates[0], scene.dates[1]
    name = product_name(first, second)
    phase, _ = read_raster(f"/vsizip/{folder / name}.zip/{name}/{name}_unw_phase.tif")
    los = scene.los_displacement()[:2]
    to_phase = 4 * np.pi / SENTINEL1_WAVELENGTH
    residual = phase.astype(np.float64) + to_phase * (los[1] - los[0])  # minus deformation
    delays = [
        resample_to_grid(*read_ztd(written / f"{d:%Y%m%d}.ztd"), scene.grid)
        for d in (first, second)
    ]
    predicted = to_phase * (delays[1] - delays[0]) / np.cos(np.deg2rad(scene.incidence))
    clean = ~(scene.water | scene.vegetation)
    residual -= fit_ramp(residual, clean)  # orbital ramp and reference offset
    predicted -= fit_ramp(predicted, clean)
    corrected = residual - predicted
    assert np.corrcoef(residual[clean], predicted[clean])[0, 1] > 0.8
    assert corrected[clean].std() < 0.6 * residual[clean].std()
