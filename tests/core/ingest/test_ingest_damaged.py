"""Ingests of real-world exports and damaged products: GAMMA/ISCE/SNAP/LiCSAR coherence names,
no all-NaN coherence, pictures and CRS-less rasters refused, rasters of different sizes,
garbled HyP3 metadata and a corrupt GeoTIFF inside a product zip. Small crafted products of a
20 x 20 demo scene with three interferograms."""

import shutil
import zipfile

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.from_geotiff import ingest_geotiff
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
from insar_subsidence.core.io.hyp3 import discover_products
from insar_subsidence.core.io.mintpy import IfgramStack


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    from insar_subsidence.core.demo import make_scene
    from insar_subsidence.core.demo.hyp3 import write_hyp3_products

    folder = tmp_path_factory.mktemp("hyp3")
    write_hyp3_products(make_scene(seed=3, size=20, n_acquisitions=3), folder)
    return folder


def _export(products, folder, coherence_suffix="_eqa_cc.tif", phase_suffix="_eqa_unw.tif"):
    """The products as GAMMA exports: YYYYMMDD_YYYYMMDD_eqa_unw.tif + coherence files."""
    from osgeo import gdal

    folder.mkdir()
    for product in discover_products(products):
        stem = f"{product.pair[0]:%Y%m%d}_{product.pair[1]:%Y%m%d}"
        gdal.Translate(str(folder / f"{stem}{phase_suffix}"), product.raster("unw_phase"))
        if coherence_suffix:
            gdal.Translate(str(folder / f"{stem}{coherence_suffix}"), product.raster("corr"))
    return folder


@pytest.mark.parametrize(
    "suffix", ["_eqa_cc.tif", ".cor.tif", "_coh.tif", "_corr.tif", ".geo.cc.tif"]
)
def test_gamma_isce_snap_and_licsar_coherence_names_are_recognised(products, tmp_path, suffix):
    folder = _export(products, tmp_path / "gamma", suffix)
    result = ingest_geotiff(folder, tmp_path / "stack.h5")
    stack = IfgramStack.open(result.stack)
    coherence = stack.read("coherence")
    assert np.isfinite(coherence).mean() > 0.9 and stack.num_pairs == 3
    assert not any("coherence" in w for w in result.warnings)


def test_a_user_pattern_names_other_coherence_files(products, tmp_path):
    folder = _export(products, tmp_path / "custom", "_quality.tif")
    result = ingest_geotiff(folder, tmp_path / "stack.h5", coherence_pattern=r"_quality\.")
    assert np.isfinite(IfgramStack.open(result.stack).read("coherence")).mean() > 0.9


def test_without_coherence_files_the_stack_has_no_coherence_and_says_so(products, tmp_path):
    folder = _export(products, tmp_path / "phase_only", None)
    result = ingest_geotiff(folder, tmp_path / "stack.h5")
    assert "coherence" not in IfgramStack.open(result.stack).datasets
    assert any("No coherence GeoTIFFs recognised" in w for w in result.warnings)


def test_coherence_for_only_some_pairs_is_refused(products, tmp_path):
    folder = _export(products, tmp_path / "some", "_eqa_cc.tif")
    missing = sorted(folder.glob("*_cc.tif"))[1]
    missing.unlink()
    with pytest.raises(InputError, match="1 of 3 interferograms have no coherence"):
        ingest_geotiff(folder, tmp_path / "stack.h5")
    assert not (tmp_path / "stack.h5").exists()


def _rewrite(path, make):
    from osgeo import gdal

    source = gdal.Open(str(path))
    temp = path.with_name("rewrite.tif")
    make(gdal, source, str(temp))
    source = None
    temp.replace(path)


def _rgb(gdal, source, target):
    image = gdal.GetDriverByName("GTiff").Create(
        target, source.RasterXSize, source.RasterYSize, 3, gdal.GDT_Byte
    )
    image.SetGeoTransform(source.GetGeoTransform())
    image.SetProjection(source.GetProjection())
    image = None


def _byte(gdal, source, target):
    gdal.Translate(target, source, outputType=gdal.GDT_Byte, scaleParams=[[-30, 30, 0, 255]])


def _no_crs(gdal, source, target):
    gdal.Translate(target, source)
    gdal.Open(target, gdal.GA_Update).SetProjection("")


def _smaller(gdal, source, target):
    gdal.Translate(target, source, srcWin=[0, 0, source.RasterXSize - 3, source.RasterYSize - 2])


def _scaled_255(gdal, source, target):
    gdal.Translate(target, source, scaleParams=[[0, 1, 0, 255]])


@pytest.mark.parametrize(
    "layer, make, message",
    [
        ("unw", _rgb, "has 3 bands; a unwrapped phase raster has one"),
        ("unw", _byte, "holds Byte values"),
        ("unw", _no_crs, "has no coordinate reference system"),
        ("cc", _smaller, r"\(17 x 18 pixels\) is not on the pixel grid .* or does not cover"),
        ("cc", _scaled_255, r"coherence holds \d+ values outside \[0, 1\]"),
    ],
)
def test_pictures_crs_less_and_mismatched_rasters_are_refused(
    products, tmp_path, layer, make, message
):
    folder = _export(products, tmp_path / "bad")
    victim = sorted(folder.glob(f"*_{layer}.tif"))[1]
    _rewrite(victim, make)
    with pytest.raises(InputError, match=message) as error:
        ingest_geotiff(folder, tmp_path / "out" / "stack.h5")
    assert error.value.path == str(victim.with_name(victim.name.replace("_cc", "_unw")))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _unzipped(products, tmp_path):
    copy = tmp_path / "products"
    shutil.copytree(products, copy)
    victim = sorted(copy.glob("*.zip"))[1]
    with zipfile.ZipFile(victim) as archive:
        archive.extractall(copy)
    victim.unlink()
    folder = copy / victim.stem
    return copy, folder, folder / f"{victim.stem}.txt"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda text: text.replace("Heading:", "Hxading:"), "has no 'Heading'"),
        (lambda text: text.replace("Range looks: ", "Range looks: x"), "'Range looks: x"),
        (
            lambda text: text.replace("Heading: -1", "Heading: -"),
            "heading -69.0+ deg for a descending",
        ),
        (lambda text: text.replace("Azimuth looks: ", "Azimuth looks: -"), "outside 1 to 1000"),
        (lambda text: text[: text.index("Baseline")], "has no 'Baseline'"),
        (lambda text: "\x00\xff garbage", "has no 'Baseline'"),
    ],
)
def test_garbled_or_truncated_hyp3_metadata_is_refused_naming_the_product(
    products, tmp_path, edit, message
):
    copy, folder, txt = _unzipped(products, tmp_path)
    txt.write_text(edit(txt.read_text()), encoding="latin-1")
    with pytest.raises(InputError, match=message) as error:
        ingest_hyp3(copy, tmp_path / "out" / "stack.h5")
    assert error.value.path == str(folder)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_corrupt_geotiff_inside_a_product_zip_names_the_zip(products, tmp_path):
    copy = tmp_path / "products"
    shutil.copytree(products, copy)
    victim = sorted(copy.glob("*.zip"))[2]
    with zipfile.ZipFile(victim) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = next(n for n in members if n.endswith("_unw_phase.tif"))
    damaged = bytearray(members[name])
    damaged[-300:] = b"\xff" * 300  # the compressed pixels, not the header
    members[name] = bytes(damaged)
    with zipfile.ZipFile(victim, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    with pytest.raises(InputError, match="could not read the pixels of .*_unw_phase.tif") as error:
        ingest_hyp3(copy, tmp_path / "out" / "stack.h5")
    assert error.value.path == str(victim)
