"""The HTML study report: self-contained, sections only for what is given."""

import base64
import re

import numpy as np
import pytest

from insar_subsidence.core.drivers.report import (
    ReportInputs,
    build_report,
    write_report,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import write_geotiff

GRID = Grid(500000.0, 4000000.0, 80.0, -80.0, 20, 20, 32649)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def parts(tmp_path):
    velocity = np.zeros(GRID.shape, np.float32)
    velocity[5:10, 5:10] = -30
    classes = np.ones(GRID.shape, np.uint8)
    classes[:, 10:] = 5
    names = tmp_path / "names.csv"
    names.write_text("value,name\n1,cropland\n5,mining\n")
    table = tmp_path / "drivers.csv"
    table.write_text("driver,best_lag_months,r\nrainfall,2,0.9731234\n")
    chart = tmp_path / "profile.png"
    chart.write_bytes(PNG)
    return {
        "velocity": write_geotiff(tmp_path / "velocity.tif", velocity, GRID),
        "classes": write_geotiff(tmp_path / "classes.tif", classes, GRID, nodata=0),
        "class_names": names,
        "drivers_table": table,
        "images": [chart],
    }


def test_self_contained_with_given_sections_only(parts, tmp_path):
    out = write_report(tmp_path / "report.html", ReportInputs(title="Demo <area>", **parts))
    text = out.read_text()
    assert "<title>Demo &lt;area&gt;</title>" in text
    assert text.count("data:image/png;base64,") == 3  # velocity map, class map, profile
    assert not re.search(r'src="(?!data:)', text)  # nothing loaded from outside
    for present in (
        "Maps",
        "Drivers: water and rain",
        "Profiles and time series",
        "Inputs",
        "<td>0.9731</td>",
        "rainfall",
        "velocity.tif",
    ):
        assert present in text
    for absent in ("Subsidence bowls", "Forecasts", "Land-use change"):
        assert absent not in text


def test_gpkg_attribute_table(tmp_path):
    from insar_subsidence.core.drivers.bowls import BowlOptions, detect_bowls

    velocity = np.zeros(GRID.shape, np.float32)
    velocity[5:10, 5:10] = -30
    path = write_geotiff(tmp_path / "v.tif", velocity, GRID)
    detect_bowls(path, tmp_path / "bowls.gpkg", BowlOptions(-10, 0.0))
    text = build_report(ReportInputs(bowls=tmp_path / "bowls.gpkg"))
    assert "Subsidence bowls" in text and "<td>0.16</td>" in text  # 25 pixels of 6400 m2
    assert "<td>-30</td>" in text


def test_missing_or_empty_inputs(parts, tmp_path):
    with pytest.raises(InputError, match="gone.png: file not found"):
        build_report(ReportInputs(images=[tmp_path / "gone.png"]))
    with pytest.raises(InputError, match="nothing to report"):
        build_report(ReportInputs())
    with pytest.raises(InputError, match="names.csv: the output would overwrite"):
        write_report(
            parts["class_names"],
            ReportInputs(class_names=parts["class_names"], drivers_table=parts["drivers_table"]),
        )


def test_class_names_from_raster_metadata(tmp_path):
    from insar_subsidence.core.drivers.report import raster_class_names

    classes = np.ones(GRID.shape, np.uint8)
    path = write_geotiff(
        tmp_path / "classes.tif",
        classes,
        GRID,
        nodata=0,
        metadata={"CLASS_1": "< -40 mm/yr", "CLASS_2": "-40 to -10 mm/yr"},
    )
    assert raster_class_names(path) == ({1: "< -40 mm/yr", 2: "-40 to -10 mm/yr"}, True)
    assert "Classes: classes.tif" in build_report(ReportInputs(classes=path))
