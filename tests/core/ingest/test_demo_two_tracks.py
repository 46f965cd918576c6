"""The demo's second (ascending) track and its GNSS stations: geometry, truth in each line of
sight, and the decomposition of the two noise-free tracks giving the truth back."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.analysis.decomposition import DecompositionOptions, decompose
from insar_subsidence.core.analysis.los_products import LosProduct
from insar_subsidence.core.demo.extensions import ascending, gnss
from insar_subsidence.core.demo.scene import ASCENDING_DAY_OFFSET, ascending_track, make_scene
from insar_subsidence.core.ingest.gnss_import import GnssImportOptions, import_gnss
from insar_subsidence.core.io.geotiff import write_geotiff
from insar_subsidence.core.progress import silent


@pytest.fixture(scope="module")
def scene():
    return make_scene(seed=3, size=48, n_acquisitions=30)


def test_ascending_track_sees_the_same_ground_from_the_west(scene):
    track = ascending_track(scene, 20)
    assert track.is_ascending() and not scene.is_ascending()
    assert track.dates[0] - scene.dates[0] == dt.timedelta(days=ASCENDING_DAY_OFFSET)
    assert len(track.dates) == len(track.bperp) == 20
    east_asc = track.los_vector()[0]
    east_desc = scene.los_vector()[0]
    assert np.all(east_asc < -0.5) and np.all(east_desc > 0.5)
    # incidence grows away from the radar: eastward for a radar looking east
    assert np.all(np.diff(track.incidence, axis=1) > 0)
    # the same truth on the same dates (its time integration starts at the first date asked
    # for when that precedes a panel's onset: a few hundredths of a mm apart)
    np.testing.assert_allclose(
        track.vertical_displacement(track.dates[:3]),
        scene.vertical_displacement(track.dates[:3]),
        atol=1e-4,
    )


def test_decomposing_the_two_truth_tracks_gives_the_truth(scene, tmp_path):
    track = ascending_track(scene)
    paths, los = [], []
    for name, seen in (("descending", scene), ("ascending", track)):
        rate = seen.linear_rate(seen.los_displacement()) * 1000
        paths.append(write_geotiff(tmp_path / f"{name}.tif", rate.astype(np.float32), scene.grid))
        incidence = write_geotiff(tmp_path / f"{name}_inc.tif", seen.incidence, scene.grid)
        los.append(f"incidence={incidence};heading={seen.heading}")
    # one pixel per cell: 80 m cells on the 80 m grid
    result = decompose(
        [LosProduct(p, line) for p, line in zip(paths, los, strict=True)],
        options=DecompositionOptions(cell_size_m=80, series=False),
    )
    cells = result.cells
    rows, cols = scene.grid.rowcol(cells.x, cells.y)
    vertical = scene.linear_rate(scene.vertical_displacement())[rows, cols] * 1000
    east, north = (scene.linear_rate(h)[rows, cols] * 1000 for h in scene.horizontal_displacement())
    # the shifted dates of the ascending track and the neglected north motion are all that
    # separate the solution from the truth; with north known per pixel it is exact
    e_n = np.array([s.los_vector()[1][rows, cols] for s in (scene, track)])
    e_u = np.array([s.los_vector()[2][rows, cols] for s in (scene, track)])
    assert len(cells) == scene.grid.width * scene.grid.length
    moving = np.abs(vertical) > 5
    leak = np.max(np.abs(e_n * north)) / np.min(e_u)
    assert np.max(np.abs(cells.up - vertical)[moving] / np.abs(vertical[moving])) < 0.5
    assert np.median(np.abs(cells.up - vertical)) < 0.2 * leak + 0.5
    assert np.corrcoef(cells.east[moving], east[moving])[0, 1] > 0.95


def test_ascending_and_gnss_extensions_write_their_files(scene, tmp_path):
    written = ascending.write(scene, tmp_path, np.random.default_rng(0), silent)
    products = sorted(written["hyp3_ascending"].glob("*.zip"))
    assert products and written["truth_velocity_los_ascending"].exists()
    import zipfile

    with zipfile.ZipFile(products[0]) as archive:
        text = next(m for m in archive.namelist() if m.endswith(".txt"))
        metadata = archive.read(text).decode()
    assert "Reference Pass Direction: ASCENDING" in metadata and "Heading: -11.0" in metadata
    stations = gnss.write(scene, tmp_path, np.random.default_rng(1), silent)
    files = sorted(stations["gnss"].glob("*.tenv3"))
    period = GnssImportOptions(seasonal=False, start_date=scene.dates[0])
    imported = import_gnss(files, tmp_path / "gnss.gpkg", options=period)
    with open(stations["gnss_truth"]) as handle:
        truth = {row["name"]: row for row in csv.DictReader(handle)}
    assert len(imported) == 5
    for station in imported:
        expected = truth[station.name]
        assert station.lon == pytest.approx(float(expected["lon"]), abs=1e-7)
        # daily epochs with 4 mm of noise against the 12-day truth of a curving basin
        up = float(expected["up_mm_yr"])
        assert station.rates["VEL_U"] == pytest.approx(up, abs=max(3.0, 0.05 * abs(up)))
    usable = ~(scene.water | scene.vegetation)
    assert all(usable[int(truth[n]["row"]), int(truth[n]["col"])] for n in truth)
