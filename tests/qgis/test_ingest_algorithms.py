"""Ingest and demo algorithms through processing.run (and once through qgis_process.bin)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.io.mintpy import IfgramStack, read_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(provider, tmp_path_factory):
    """A small demo study area written by subsidence:createdemo (40 x 40 pixels, 10 dates)."""
    from qgis import processing

    folder = tmp_path_factory.mktemp("demo")
    result = processing.run(
        "subsidence:createdemo",
        {"OUTPUT_FOLDER": str(folder), "SEED": 3, "SIZE": 40, "ACQUISITIONS": 10},
    )
    return folder, result


def _digest(folder):
    sys.path.insert(0, str(ROOT / "tests" / "core"))
    from ingest_helpers import folder_digest

    return folder_digest(folder)


def test_createdemo_writes_products_and_truth(demo):
    folder, result = demo
    assert result["OUTPUT_FOLDER"] == str(folder)
    assert len(list((folder / "hyp3").glob("S1AA_*.zip"))) == 21
    for name in (
        "truth_velocity_vertical.tif",
        "truth_velocity_los.tif",
        "truth_timeseries.h5",
        "bowls.csv",
        "dem.tif",
    ):
        assert (folder / "truth" / name).exists(), name
    assert Path(result["TRUTH_VELOCITY_LOS"]).exists()


def test_ingesthyp3_with_aoi_and_multilook(demo, run_algorithm, tmp_path):
    folder, _ = demo
    before = _digest(folder / "hyp3")
    # 20 x 16 pixels inside the 40 x 40 scene, given as a QGIS extent string with its CRS
    extent = "680800,682400,3937440,3938720 [EPSG:32649]"
    result = run_algorithm(
        "ingesthyp3",
        {
            "INPUT": str(folder / "hyp3"),
            "AOI": extent,
            "MULTILOOK": 2,
            "OUTPUT": str(tmp_path / "ifgramStack.h5"),
            "OUTPUT_GEOMETRY": str(tmp_path / "geo.h5"),
        },
    )
    stack = IfgramStack.open(result["OUTPUT"])
    assert result["NUM_PAIRS"] == stack.num_pairs == 21
    assert stack.grid.shape == (8, 10) and stack.grid.x_step == 160.0
    assert (stack.grid.x_first, stack.grid.y_first) == (680800.0, 3938720.0)
    assert np.isfinite(stack.read("unwrapPhase")).mean() > 0.8
    incidence, grid = read_dataset(result["OUTPUT_GEOMETRY"], "incidenceAngle")
    assert grid == stack.grid and 30 < incidence.mean() < 46
    assert _digest(folder / "hyp3") == before


def test_ingestgeotiff_reads_exported_interferograms(demo, run_algorithm, tmp_path):
    from osgeo import gdal

    from insar_subsidence.core.io.hyp3 import discover_products

    folder, _ = demo
    exports = tmp_path / "exports"
    exports.mkdir()
    for product in discover_products(folder / "hyp3")[:6]:
        stem = f"filt_{product.pair[0]:%Y%m%d}-{product.pair[1]:%Y%m%d}"
        gdal.Translate(str(exports / f"{stem}_unw.tif"), product.raster("unw_phase"))
        gdal.Translate(str(exports / f"{stem}_coh.tif"), product.raster("corr"))
    result = run_algorithm(
        "ingestgeotiff",
        {"INPUT": str(exports), "WAVELENGTH": 0.031, "OUTPUT": str(tmp_path / "stack.h5")},
    )
    stack = IfgramStack.open(result["OUTPUT"])
    assert stack.num_pairs == 6 and stack.wavelength == pytest.approx(0.031)
    assert np.isfinite(stack.read("coherence")).any()


@pytest.mark.parametrize("case", ["missing", "empty", "nan_only"])
def test_bad_input_folders_raise_messages_naming_the_file(demo, run_algorithm, tmp_path, case):
    import shutil
    import zipfile

    folder, _ = demo
    source = tmp_path / "products"
    expected = str(source)
    if case != "missing":
        source.mkdir()
    if case == "nan_only":
        for path in sorted((folder / "hyp3").glob("*.zip"))[:3]:
            shutil.copy(path, source)
        victim = sorted(source.glob("*.zip"))[1]
        expected = victim.name
        name = victim.stem
        with zipfile.ZipFile(victim) as archive:
            members = {n: archive.read(n) for n in archive.namelist()}
        from osgeo import gdal

        gdal.UseExceptions()
        template = gdal.Open(f"/vsizip/{victim}/{name}/{name}_dem.tif")
        nan_only = gdal.GetDriverByName("GTiff").CreateCopy(str(tmp_path / "nan.tif"), template)
        nan_only.GetRasterBand(1).WriteArray(
            np.full((template.RasterYSize, template.RasterXSize), np.nan)
        )
        nan_only = None
        with zipfile.ZipFile(victim, "w") as archive:  # every unwrapped phase value is NaN
            for member, content in members.items():
                if member.endswith("_unw_phase.tif"):
                    content = (tmp_path / "nan.tif").read_bytes()
                archive.writestr(member, content)
    output = tmp_path / "out" / "ifgramStack.h5"
    with pytest.raises(QgsProcessingException) as error:
        run_algorithm(
            "ingesthyp3",
            {
                "INPUT": str(source),
                "OUTPUT": str(output),
                "OUTPUT_GEOMETRY": str(tmp_path / "out" / "geo.h5"),
            },
        )
    assert expected in str(error.value)
    assert not output.exists() and not (tmp_path / "out" / "geo.h5").exists()


def test_ingesthyp3_through_qgis_process(demo, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import qgis_process_cli

    folder, _ = demo
    result = qgis_process_cli.run(
        "subsidence:ingesthyp3",
        {
            "INPUT": str(folder / "hyp3"),
            "MULTILOOK": 4,
            "OUTPUT": str(tmp_path / "ifgramStack.h5"),
            "OUTPUT_GEOMETRY": str(tmp_path / "geo.h5"),
        },
    )
    stack = IfgramStack.open(result["OUTPUT"])
    assert stack.num_pairs == 21 and stack.grid.shape == (10, 10)


def test_ingesthyp3_aoi_from_a_polygon_layer_in_another_crs(demo, run_algorithm, tmp_path):
    """A polygon layer in WGS 84 as AOI: its extent is transformed to the products' UTM grid."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
    )

    folder, _ = demo
    utm_box = QgsRectangle(680800, 3937440, 682400, 3938720)  # 20 x 16 pixels
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:32649"),
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsProject.instance(),
    )
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "aoi", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(transform.transformBoundingBox(utm_box)))
    layer.dataProvider().addFeatures([feature])
    result = run_algorithm(
        "ingesthyp3",
        {
            "INPUT": str(folder / "hyp3"),
            "AOI": layer,
            "OUTPUT": str(tmp_path / "s.h5"),
            "OUTPUT_GEOMETRY": str(tmp_path / "g.h5"),
        },
    )
    grid = IfgramStack.open(result["OUTPUT"]).grid
    assert 20 <= grid.width <= 22 and 16 <= grid.length <= 18
    assert abs(grid.x_first - 680800) <= 80 and abs(grid.y_first - 3938720) <= 80


def test_importgnss_csv_with_a_station_table_and_period(run_algorithm, tmp_path):
    import datetime as dt

    from insar_subsidence.core.io.gnss import read_gnss_layer
    from tests.core import gnss_synthetic

    dates = gnss_synthetic.daily(dt.date(2019, 1, 1), 1100, every=2)
    enu = gnss_synthetic.enu_series(dates, (4.0, 1.0, -6.0), annual_mm=2.0)
    path = tmp_path / "JC01_daily.csv"
    lines = ["date,east,north,up"] + [
        f"{d:%Y-%m-%d},{e:.4f},{n:.4f},{u:.4f}" for d, (e, n, u) in zip(dates, enu, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    output = str(tmp_path / "gnss.gpkg")
    with pytest.raises(QgsProcessingException, match="no coordinates"):
        run_algorithm("importgnss", {"INPUT": [str(path)], "OUTPUT": output})
    table = tmp_path / "stations.csv"
    table.write_text("station,longitude,latitude\nJC01,112.83,35.52\n")
    result = run_algorithm(
        "importgnss",
        {
            "INPUT": [str(path)],
            "STATIONS": str(table),
            "FORMAT": "csv",
            "START_DATE": "2019-06-01",
            "OUTPUT": output,
        },
    )
    (station,) = read_gnss_layer(result["OUTPUT"])
    assert result["STATIONS"] == 1 and (station.name, station.lon) == ("JC01", 112.83)
    assert station.dates[0] >= dt.date(2019, 6, 1)
    assert station.rates["VEL_E"] == pytest.approx(4.0, abs=1e-3)
    assert station.rates["VEL_U"] == pytest.approx(-6.0, abs=1e-3)
