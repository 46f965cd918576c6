"""Generic GeoTIFF ingest: the demo products exported as plain GeoTIFFs give the same stack."""

import csv

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.from_geotiff import (
    DEFAULT_PATTERN,
    ingest_geotiff,
    pair_from_name,
    read_baselines,
)
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
from insar_subsidence.core.io.hyp3 import discover_products
from insar_subsidence.core.io.mintpy import IfgramStack
from tests.core.ingest_helpers import folder_digest, write_small_products


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The small demo scene as GAMMA-style exports: YYYYMMDD_YYYYMMDD.unw.tif / .cor.tif."""
    from osgeo import gdal

    scene, hyp3 = write_small_products(tmp_path_factory.mktemp("hyp3"))
    folder = tmp_path_factory.mktemp("geotiff")
    for product in discover_products(hyp3):
        stem = f"{product.pair[0]:%Y%m%d}_{product.pair[1]:%Y%m%d}"
        gdal.Translate(str(folder / f"{stem}.unw.tif"), product.raster("unw_phase"))
        gdal.Translate(str(folder / f"{stem}.cor.tif"), product.raster("corr"))
    baselines = tmp_path_factory.mktemp("csv") / "baselines.csv"
    with open(baselines, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "bperp"])
        writer.writerows(
            [[f"{d:%Y-%m-%d}", f"{b:.4f}"] for d, b in zip(scene.dates, scene.bperp, strict=True)]
        )
    reference = ingest_hyp3(hyp3, tmp_path_factory.mktemp("ref") / "stack.h5")
    return scene, folder, baselines, reference


def test_geotiff_ingest_matches_the_hyp3_ingest(exported, tmp_path):
    scene, folder, baselines, reference = exported
    before = folder_digest(folder)
    result = ingest_geotiff(folder, tmp_path / "stack.h5", baselines=baselines)
    assert folder_digest(folder) == before
    ours, theirs = IfgramStack.open(result.stack), IfgramStack.open(reference.stack)
    assert ours.pairs == theirs.pairs and ours.grid == theirs.grid
    np.testing.assert_allclose(ours.bperp, theirs.bperp, atol=1e-3)
    np.testing.assert_array_equal(ours.read("unwrapPhase"), theirs.read("unwrapPhase"))
    np.testing.assert_array_equal(ours.read("coherence"), theirs.read("coherence"))
    assert ours.attrs["PROCESSOR"] == "geotiff"


def test_without_baselines_they_are_zero_with_a_warning(exported, tmp_path):
    _, folder, _, _ = exported
    result = ingest_geotiff(folder, tmp_path / "stack.h5", options=None)
    assert np.all(IfgramStack.open(result.stack).bperp == 0)
    assert any("baselines" in w for w in result.warnings)


def test_date_patterns():
    assert pair_from_name(
        "S1AA_20190610T135156_20190622T135157_VVP012_unw.tif", DEFAULT_PATTERN, "x"
    ) == (np.datetime64("2019-06-10").item(), np.datetime64("2019-06-22").item())
    # a user pattern picks other fields; reversed dates are put in order
    pattern = r"sec(\d{8})_ref(\d{8})"
    first, second = pair_from_name("ifg_sec20200125_ref20200101_unw.tif", pattern, "x")
    assert first < second
    with pytest.raises(InputError, match="ifg_2019.tif"):
        pair_from_name("ifg_2019.tif", DEFAULT_PATTERN, "/data/ifg_2019.tif")
    with pytest.raises(InputError, match="regular expression"):
        pair_from_name("x", "(", "x")


def test_unparseable_file_name_is_named(exported, tmp_path):
    from osgeo import gdal

    _, folder, _, _ = exported
    bad = tmp_path / "bad"
    bad.mkdir()
    gdal.Translate(str(bad / "interferogram_unw.tif"), str(sorted(folder.glob("*.unw.tif"))[0]))
    with pytest.raises(InputError, match="interferogram_unw.tif"):
        ingest_geotiff(bad, tmp_path / "stack.h5")
    assert not (tmp_path / "stack.h5").exists()


def test_baseline_csv_errors_name_the_csv(exported, tmp_path):
    _, folder, _, _ = exported
    csv_path = tmp_path / "b.csv"
    csv_path.write_text("20190104,0\n20190116,abc\n")
    with pytest.raises(InputError, match="b.csv"):
        read_baselines(csv_path)
    csv_path.write_text("20190104,20190116,12.5\n")
    with pytest.raises(InputError, match="no baseline for the pair") as error:
        ingest_geotiff(folder, tmp_path / "stack.h5", baselines=csv_path)
    assert "b.csv" in str(error.value)
    assert read_baselines(csv_path)[1] == {
        tuple(pair_from_name("20190104_20190116", DEFAULT_PATTERN, "x")): 12.5
    }


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(InputError, match="folder not found"):
        ingest_geotiff(tmp_path / "missing", tmp_path / "s.h5")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no unwrapped-phase GeoTIFFs") as error:
        ingest_geotiff(tmp_path / "empty", tmp_path / "s.h5")
    assert "empty" in str(error.value)
