"""HyP3 product names, .txt metadata and rasters, on real HyP3 files (tests/data/hyp3)."""

import datetime as dt
import shutil
import zipfile

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.hyp3 import (
    GAMMA,
    ISCE_BURST,
    ISCE_MULTI_BURST,
    discover_products,
    find_product_name,
    parse_metadata_text,
    parse_product_name,
    slant_range,
    stack_attributes,
    unique_pairs,
)

GAMMA_NAME = "S1AC_20251001T204513_20251007T204359_HHR006_INT40_G_ueF_1DBE"
BURST_NAME = "S1_056072_IW2_20220814_20220907_VV_INT80_E09B"
MULTI_NAME = "S1_044_000000s1n00-093117s2n01-093118s3n01_IW_20250718_20250730_VV_INT80_B4FA"


@pytest.mark.parametrize(
    "name, kind, reference, secondary",
    [
        (GAMMA_NAME, GAMMA, dt.date(2025, 10, 1), dt.date(2025, 10, 7)),
        (
            "S1AA_20190610T135156_20190622T135157_VVP012_INT80_G_ueF_F8BF",
            GAMMA,
            dt.date(2019, 6, 10),
            dt.date(2019, 6, 22),
        ),
        (BURST_NAME, ISCE_BURST, dt.date(2022, 8, 14), dt.date(2022, 9, 7)),
        (MULTI_NAME, ISCE_MULTI_BURST, dt.date(2025, 7, 18), dt.date(2025, 7, 30)),
    ],
)
def test_product_names_of_all_three_kinds_give_pair_dates(name, kind, reference, secondary):
    parsed = parse_product_name(f"{name}_unw_phase.tif")
    assert (parsed.name, parsed.kind, parsed.pair) == (name, kind, (reference, secondary))


def test_unparseable_name_raises_naming_the_file():
    assert find_product_name("my_interferogram_2019.zip") is None
    with pytest.raises(InputError, match="my_interferogram_2019.zip") as error:
        parse_product_name("my_interferogram_2019.zip", "/data/my_interferogram_2019.zip")
    assert "HyP3" in str(error.value)


def test_real_metadata_files_parse_to_expected_values(test_data):
    gamma = parse_metadata_text((test_data / "hyp3" / f"{GAMMA_NAME}.txt").read_text())
    assert float(gamma["Baseline"]) == pytest.approx(48.0195)
    assert float(gamma["UTC time"]) == pytest.approx(74714.869576)
    assert float(gamma["Heading"]) == pytest.approx(-18.1505111)
    assert (gamma["Range looks"], gamma["Azimuth looks"]) == ("10", "2")
    assert gamma["Reference Granule"].startswith("S1A_IW_SLC__1SDH_20251001T204513")
    assert gamma["Secondary Granule"].startswith("S1C_IW_SLC__1SDH_20251007T204359")
    multi = parse_metadata_text((test_data / "hyp3" / f"{MULTI_NAME}.txt").read_text())
    assert multi["Reference Granule"].count("BURST") == 2  # the list keeps its commas
    burst = parse_metadata_text((test_data / "hyp3" / f"{BURST_NAME}.txt").read_text())
    assert burst["Radar sensing stop"] == "2022-08-14T12:58:32.201805"  # colons kept
    assert float(burst["Baseline"]) == pytest.approx(158.57439820410497)


def test_real_unwrapped_phase_geotiff(test_data):
    phase, grid = read_raster(test_data / "hyp3" / "test_unw_phase.tif")
    assert grid.epsg == 32602  # WGS 84 / UTM zone 2N
    assert (grid.x_step, grid.y_step) == (80.0, -80.0)
    assert np.isfinite(phase).mean() == pytest.approx(0.1113, abs=0.002)  # nodata 0 -> NaN
    assert -28 < np.nanmin(phase) < np.nanmax(phase) < -6
    water, water_grid = read_raster(test_data / "hyp3" / "test_water_mask.tif", dtype=np.uint8)
    assert set(np.unique(water)) == {0, 1} and water_grid.epsg == 32602


def _product_zip(test_data, folder, name, layers=("unw_phase",), txt=True):
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for layer in layers:
            archive.write(test_data / "hyp3" / "test_unw_phase.tif", f"{name}/{name}_{layer}.tif")
        if txt:
            archive.write(test_data / "hyp3" / f"{BURST_NAME}.txt", f"{name}/{name}.txt")
    return path


def test_discovery_reads_zips_in_place_and_unzipped_folders(test_data, tmp_path):
    _product_zip(test_data, tmp_path, BURST_NAME, ("unw_phase", "corr"))
    unzipped = tmp_path / GAMMA_NAME
    unzipped.mkdir()
    shutil.copy(test_data / "hyp3" / "test_unw_phase.tif", unzipped / f"{GAMMA_NAME}_unw_phase.tif")
    shutil.copy(test_data / "hyp3" / f"{GAMMA_NAME}.txt", unzipped / f"{GAMMA_NAME}.txt")
    (tmp_path / "notes.zip").write_bytes(b"not a product")
    products = discover_products(tmp_path)
    assert [p.name for p in products] == [BURST_NAME, GAMMA_NAME]
    burst = products[0]
    assert burst.layers["unw_phase"].startswith("/vsizip/")
    assert burst.baseline == pytest.approx(158.574398)
    phase, grid = read_raster(burst.raster("unw_phase"))
    assert grid.epsg == 32602 and np.isfinite(phase).mean() == pytest.approx(0.1113, abs=0.002)
    assert products[1].baseline == pytest.approx(48.0195)
    assert stack_attributes(products[1])["ORBIT_DIRECTION"] == "ASCENDING"
    assert not (tmp_path / BURST_NAME).exists(), "zips are read in place, never extracted"


def test_duplicate_pairs_are_skipped_with_a_warning_naming_both(test_data, tmp_path):
    other = BURST_NAME.replace("E09B", "FFFF")
    _product_zip(test_data, tmp_path, BURST_NAME)
    _product_zip(test_data, tmp_path, other)
    kept, warnings = unique_pairs(discover_products(tmp_path))
    assert [p.name for p in kept] == [BURST_NAME]
    assert len(warnings) == 1 and other in warnings[0] and BURST_NAME in warnings[0]


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "folder not found"),
        ("empty", "no HyP3 InSAR products"),
        ("bad_name", "interferogram_a.zip"),
        ("no_txt", ".txt"),
        ("no_phase", "unwrapped phase"),
    ],
)
def test_bad_product_folders_raise_errors_naming_the_file(test_data, tmp_path, case, message):
    folder = tmp_path / "products"
    if case != "missing":
        folder.mkdir()
    if case == "bad_name":
        with zipfile.ZipFile(folder / "interferogram_a.zip", "w") as archive:
            archive.write(test_data / "hyp3" / "test_unw_phase.tif", "a/a_unw_phase.tif")
    elif case == "no_txt":
        _product_zip(test_data, folder, BURST_NAME, txt=False)
    elif case == "no_phase":
        _product_zip(test_data, folder, BURST_NAME, layers=("corr",))
    with pytest.raises(InputError, match=message) as error:
        discover_products(folder)
    assert str(folder) in str(error.value)


def test_slant_range_grows_with_incidence_and_matches_real_metadata(test_data):
    burst = parse_metadata_text((test_data / "hyp3" / f"{BURST_NAME}.txt").read_text())
    near, far = slant_range(
        [30.0, 46.0], float(burst["Spacecraft height"]), float(burst["Earth radius at nadir"])
    )
    assert near < far
    # IW2 spans ~36-42 deg incidence: its real near/far ranges lie within our 30-46 deg range
    assert near < float(burst["Slant range near"]) < float(burst["Slant range far"]) < far


def test_real_products_ingest_with_the_geometry_layers_they_have(test_data, tmp_path):
    """Two real-format products around the real HyP3 rasters (UTM 2N, 80 m): the water mask
    is one column wider than the phase, as in the real files; no DEM or look vectors."""
    import h5py

    from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
    from insar_subsidence.core.io.mintpy import IfgramStack

    for name, txt in ((BURST_NAME, BURST_NAME), (GAMMA_NAME, GAMMA_NAME)):
        folder = tmp_path / "products" / name
        folder.mkdir(parents=True)
        shutil.copy(test_data / "hyp3" / "test_unw_phase.tif", folder / f"{name}_unw_phase.tif")
        shutil.copy(test_data / "hyp3" / "test_water_mask.tif", folder / f"{name}_water_mask.tif")
        shutil.copy(test_data / "hyp3" / f"{txt}.txt", folder / f"{name}.txt")
    result = ingest_hyp3(tmp_path / "products", tmp_path / "stack.h5", tmp_path / "geo.h5")
    stack = IfgramStack.open(result.stack)
    assert stack.grid.shape == (718, 2314) and stack.grid.epsg == 32602
    np.testing.assert_allclose(stack.bperp, [158.574398, 48.0195], rtol=1e-6)
    assert np.isfinite(stack.read("unwrapPhase", pairs=[0])).mean() == pytest.approx(
        0.1113, abs=0.002
    )
    # the products hold no corr raster: no all-NaN coherence dataset, and a warning says so
    assert "coherence" not in stack.datasets
    assert any("no coherence" in w for w in result.warnings)
    with h5py.File(result.geometry, "r") as f:
        assert list(f) == ["waterMask"]
        land = f["waterMask"][()]
    water, _ = read_raster(test_data / "hyp3" / "test_water_mask.tif", dtype=np.uint8)
    np.testing.assert_array_equal(land, water[:, :2314] == 1)
