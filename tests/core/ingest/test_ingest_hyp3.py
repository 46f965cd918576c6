"""HyP3 ingest: demo products (known truth) to ifgramStack.h5 + geometryGeo.h5."""

import shutil
import zipfile

import h5py
import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.ingest.from_hyp3 import ingest_hyp3
from insar_subsidence.core.ingest.stack_builder import IngestOptions, multilook_mean
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.hyp3 import discover_products
from insar_subsidence.core.io.mintpy import IfgramStack, read_dataset
from tests.core.ingest_helpers import folder_digest, write_small_products


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return write_small_products(tmp_path_factory.mktemp("hyp3"))


@pytest.fixture(scope="module")
def ingested(products, tmp_path_factory):
    scene, folder = products
    out = tmp_path_factory.mktemp("stack")
    before = folder_digest(folder)
    result = ingest_hyp3(folder, out / "ifgramStack.h5", out / "geometryGeo.h5")
    assert folder_digest(folder) == before, "inputs are never modified"
    return scene, folder, result


def test_stack_holds_every_pair_with_its_baseline_and_phase(ingested):
    scene, folder, result = ingested
    stack = IfgramStack.open(result.stack)
    found = discover_products(folder)
    assert stack.pairs == [p.pair for p in found] and result.num_pairs == len(found)
    assert stack.dates == scene.dates
    index = {d: k for k, d in enumerate(scene.dates)}
    expected = [scene.bperp[index[b]] - scene.bperp[index[a]] for a, b in stack.pairs]
    np.testing.assert_allclose(stack.bperp, expected, atol=1e-3)
    assert stack.grid.same_as(scene.grid) and stack.attrs["EPSG"] == "32649"
    assert float(stack.attrs["WAVELENGTH"]) == pytest.approx(0.0554658, abs=1e-7)
    assert stack.attrs["ORBIT_DIRECTION"] == "DESCENDING"
    assert stack.attrs["HEADING"] == repr(-169.0)
    phase = stack.read("unwrapPhase")
    raw, _ = read_raster(found[3].raster("unw_phase"))
    np.testing.assert_array_equal(phase[3], raw)  # NaN where HyP3 wrote nodata 0
    assert np.isnan(phase[:, scene.water]).all()
    coherence = stack.read("coherence")
    assert np.nanmean(coherence[:, scene.vegetation]) < np.nanmean(coherence[:, ~scene.vegetation])


def test_per_pair_metadata_are_extra_datasets(ingested):
    _, folder, result = ingested
    with h5py.File(result.stack, "r") as f:
        names = [n.decode() for n in f["productName"][()]]
        assert names == [p.name for p in discover_products(folder)]
        assert f["referenceGranule"][0].decode().startswith("S1A_IW_SLC__1SDV_")
        np.testing.assert_allclose(f["heading"][()], -169.0)


def test_geometry_follows_mintpy_hyp3_conventions(ingested):
    scene, _, result = ingested
    incidence, grid = read_dataset(result.geometry, "incidenceAngle")
    assert grid.same_as(scene.grid)
    np.testing.assert_allclose(incidence, scene.incidence, atol=1e-4)  # 90 - deg(lv_theta)
    azimuth, _ = read_dataset(result.geometry, "azimuthAngle")
    np.testing.assert_allclose(azimuth, scene.azimuth, atol=1e-4)  # deg(lv_phi) - 90
    water, _ = read_dataset(result.geometry, "waterMask")
    np.testing.assert_array_equal(water, ~scene.water)  # True on land
    height, _ = read_dataset(result.geometry, "height")
    assert np.abs(height - scene.height).max() < 61  # product DEM = truth minus DEM errors
    distance, _ = read_dataset(result.geometry, "slantRangeDistance")
    assert 750e3 < distance.min() < distance.max() < 950e3


def test_multilook_averages_phase_and_coherence(ingested, tmp_path):
    _, folder, full = ingested
    result = ingest_hyp3(
        folder, tmp_path / "ml.h5", tmp_path / "geo.h5", options=IngestOptions(multilook=3)
    )
    stack, reference = IfgramStack.open(result.stack), IfgramStack.open(full.stack)
    assert stack.grid.shape == (13, 13) and stack.grid.x_step == 240.0
    assert stack.grid.x_first == reference.grid.x_first
    np.testing.assert_allclose(
        stack.read("unwrapPhase", pairs=[2])[0],
        multilook_mean(reference.read("unwrapPhase", pairs=[2])[0], 3),
        rtol=1e-6,
    )
    height, _ = read_dataset(result.geometry, "height")
    assert height.shape == (13, 13)


def test_memory_budget_splits_rows_without_changing_the_result(ingested, tmp_path):
    _, folder, full = ingested
    result = ingest_hyp3(
        folder, tmp_path / "blocks.h5", options=IngestOptions(memory_mb=0.002, multilook=2)
    )
    reference = ingest_hyp3(folder, tmp_path / "ref.h5", options=IngestOptions(multilook=2))
    np.testing.assert_array_equal(
        IfgramStack.open(result.stack).read("unwrapPhase"),
        IfgramStack.open(reference.stack).read("unwrapPhase"),
    )


def test_aoi_crops_in_the_stack_crs_and_in_lonlat(ingested, tmp_path):
    scene, folder, _ = ingested
    g = scene.grid
    box = (g.x_first + 800, g.y_first - 1600, g.x_first + 1600, g.y_first - 800)  # 10 x 10 px
    result = ingest_hyp3(folder, tmp_path / "aoi.h5", aoi=box)
    assert result.grid.shape == (10, 10)
    assert (result.grid.x_first, result.grid.y_first) == (box[0], box[3])
    from osgeo import osr

    utm, wgs = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32649)
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_lonlat = osr.CoordinateTransformation(utm, wgs)
    lon0, lat0, _ = to_lonlat.TransformPoint(box[0], box[1])
    lon1, lat1, _ = to_lonlat.TransformPoint(box[2], box[3])
    result = ingest_hyp3(
        folder, tmp_path / "aoi_ll.h5", aoi=(lon0, lat0, lon1, lat1), aoi_crs="EPSG:4326"
    )
    assert 10 <= result.grid.width <= 12 and 10 <= result.grid.length <= 12


def test_empty_aoi_raises_and_leaves_nothing(ingested, tmp_path):
    _, folder, _ = ingested
    with pytest.raises(InputError, match="area of interest does not overlap"):
        ingest_hyp3(
            folder, tmp_path / "out" / "s.h5", tmp_path / "out" / "g.h5", aoi=(0.0, 0.0, 10.0, 10.0)
        )
    assert _left(tmp_path / "out") == []


def _left(folder):
    """Files left in ``folder`` (none when it was never created)."""
    return sorted(folder.iterdir()) if folder.exists() else []


def _rewrite_raster(zip_path, layer, edit, tmp_path):
    """Copy a product zip with one raster changed by ``edit(gdal dataset path)``."""
    from osgeo import gdal

    name = zip_path.stem
    work = tmp_path / "edit"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(work)
    tif = work / name / f"{name}_{layer}.tif"
    edit(gdal, str(tif))
    zip_path.unlink()
    shutil.make_archive(str(zip_path.with_suffix("")), "zip", work)
    shutil.rmtree(work)


@pytest.mark.parametrize(
    "case, message",
    [
        ("crs", "CRS"),
        ("pixel", "pixel size"),
        ("nan", "no valid pixel"),
        ("shifted", "aligned"),
    ],
)
def test_inconsistent_products_raise_naming_the_product(products, tmp_path, case, message):
    _, folder = products
    copy = tmp_path / "products"
    shutil.copytree(folder, copy)
    victim = sorted(copy.glob("*.zip"))[4]

    def edit(gdal, path):
        ds = gdal.Open(path, gdal.GA_Update)
        gt = list(ds.GetGeoTransform())
        if case == "crs":
            ds.SetProjection(_wkt(32650))
        elif case == "pixel":
            ds.SetGeoTransform([gt[0], 90.0, 0, gt[3], 0, -90.0])
        elif case == "shifted":
            ds.SetGeoTransform([gt[0] + 30.0] + gt[1:])
        else:
            ds.GetRasterBand(1).WriteArray(np.zeros((ds.RasterYSize, ds.RasterXSize), np.float32))
        ds = None

    _rewrite_raster(victim, "unw_phase", edit, tmp_path)
    before = folder_digest(copy)
    with pytest.raises(InputError, match=message) as error:
        ingest_hyp3(copy, tmp_path / "out" / "s.h5", tmp_path / "out" / "g.h5")
    assert victim.name in str(error.value)
    assert _left(tmp_path / "out") == []
    assert folder_digest(copy) == before


def _wkt(epsg):
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def test_duplicate_products_are_skipped_with_a_warning(products, tmp_path):
    _, folder = products
    copy = tmp_path / "products"
    shutil.copytree(folder, copy)
    first = sorted(copy.glob("*.zip"))[0]
    with zipfile.ZipFile(first) as archive:
        archive.extractall(copy)  # the same product, also unzipped
    messages = []
    result = ingest_hyp3(copy, tmp_path / "s.h5", progress=lambda f, m: messages.append(m) or True)
    assert result.num_pairs == len(list(folder.glob("*.zip")))
    assert len(result.warnings) == 1 and first.stem in result.warnings[0]
    assert result.warnings[0] in messages


def test_output_inside_nothing_overwrites_the_input(products, tmp_path):
    _, folder = products
    with pytest.raises(InputError, match="overwrite"):
        ingest_hyp3(folder, folder)


def test_products_with_different_extents_are_cropped_to_their_overlap(products, tmp_path):
    scene, folder = products
    copy = tmp_path / "products"
    shutil.copytree(folder, copy)
    victim = sorted(copy.glob("*.zip"))[2]

    def crop(gdal, path):  # this product starts 3 columns east and ends 2 rows short
        gdal.Translate(path + ".crop.tif", path, srcWin=[3, 0, 37, 38])
        shutil.move(path + ".crop.tif", path)

    _rewrite_raster(victim, "unw_phase", crop, tmp_path)
    result = ingest_hyp3(copy, tmp_path / "s.h5", tmp_path / "g.h5")
    assert result.grid.shape == (38, 37)
    assert result.grid.x_first == scene.grid.x_first + 3 * 80.0
    stack = IfgramStack.open(result.stack)
    full = IfgramStack.open(ingest_hyp3(folder, tmp_path / "full.h5").stack)
    np.testing.assert_array_equal(
        stack.read("unwrapPhase", pairs=[0])[0], full.read("unwrapPhase", pairs=[0])[0, :38, 3:]
    )
    incidence, _ = read_dataset(result.geometry, "incidenceAngle")
    np.testing.assert_allclose(incidence, scene.incidence[:38, 3:], atol=1e-4)


def test_isce_burst_products_with_connected_components(products, tmp_path):
    """INSAR_ISCE_BURST names (dates = fields 3 and 4) and a conncomp layer, unzipped."""
    _, folder = products
    copy = tmp_path / "bursts"
    copy.mkdir()
    for index, path in enumerate(sorted(folder.glob("*.zip"))[:4]):
        gamma = path.stem
        reference, secondary = gamma.split("_")[1][:8], gamma.split("_")[2][:8]
        burst = f"S1_056072_IW2_{reference}_{secondary}_VV_INT80_{index:04X}"
        target = copy / burst
        target.mkdir()
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                suffix = member.split("/")[-1][len(gamma) :]
                (target / f"{burst}{suffix}").write_bytes(archive.read(member))
        shutil.copy(target / f"{burst}_water_mask.tif", target / f"{burst}_conncomp.tif")
    result = ingest_hyp3(
        copy, tmp_path / "s.h5", tmp_path / "g.h5", options=IngestOptions(multilook=2)
    )
    stack = IfgramStack.open(result.stack)
    assert stack.num_pairs == 4 and "connectComponent" in stack.datasets
    assert stack.attrs["PRODUCT_TYPE"] == "INSAR_ISCE_BURST"
    components = stack.read("connectComponent")
    assert components.dtype == np.int16 and set(np.unique(components)) <= {0, 1}


def test_mintpy_opens_the_ingested_stack(ingested):
    from tests.paths import PEER_PYTHON

    if not PEER_PYTHON.exists():
        pytest.skip("no .venv-peers (run `make peers` to cross-check with MintPy)")
    import subprocess

    _, _, result = ingested
    code = (
        "import sys; from mintpy.objects import ifgramStack, geometry\n"
        "s = ifgramStack(sys.argv[1]); s.open(print_msg=False)\n"
        "g = geometry(sys.argv[2]); g.open(print_msg=False)\n"
        "print(s.numIfgram, s.numDate, s.metadata['PROCESSOR'], ','.join(s.datasetNames),"
        " ','.join(sorted(g.datasetNames)))"
    )
    run = subprocess.run(
        [str(PEER_PYTHON), "-c", code, str(result.stack), str(result.geometry)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "No module named 'mintpy'" in run.stderr:
        pytest.skip("MintPy is not installed in .venv-peers")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [
        str(result.num_pairs),
        "10",
        "hyp3",
        "unwrapPhase,coherence",
        "azimuthAngle,height,incidenceAngle,slantRangeDistance,waterMask",
    ]


def test_cancelling_leaves_no_output(products, tmp_path):
    from insar_subsidence.core.errors import Cancelled

    _, folder = products
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        return len(calls) < 6

    with pytest.raises(Cancelled):
        ingest_hyp3(folder, tmp_path / "out" / "s.h5", tmp_path / "out" / "g.h5", progress=progress)
    assert _left(tmp_path / "out") == []


def test_multilook_and_wavelength_bounds():
    with pytest.raises(InputError, match=r"'multilook' = 0 pixels is below its minimum 1"):
        IngestOptions(multilook=0)
    with pytest.raises(InputError, match=r"'wavelength' = 2 m is above its maximum 1 m"):
        IngestOptions(wavelength=2.0)
