"""subsidence:sbasinversion and subsidence:velocity through Processing."""

from __future__ import annotations

import numpy as np
import pytest

from insar_subsidence.core.io.geotiff import band_names, read_raster
from insar_subsidence.core.io.mintpy import read_timeseries, write_geometry
from tests.core.sbas_synthetic import (
    GRID,
    make_dates,
    small_baseline_pairs,
    truth_displacement,
    write_stack,
)


@pytest.fixture
def stack(tmp_path):
    dates = make_dates(12)
    truth = truth_displacement(dates, rate_m_per_yr=-0.08)
    path = write_stack(tmp_path / "ifgramStack.h5", dates, small_baseline_pairs(dates, 3), truth)
    return path, truth


def test_inversion_then_velocity(run_algorithm, stack, tmp_path):
    path, truth = stack
    x, y = GRID.xy(0, 11)
    inverted = run_algorithm(
        "sbasinversion",
        {
            "INPUT": str(path),
            "WEIGHT": "var",
            "REFERENCE": f"{x},{y} [EPSG:32633]",
            "OUTPUT": str(tmp_path / "ts.h5"),
            "OUTPUT_TCOH": str(tmp_path / "tcoh.h5"),
        },
    )
    series = read_timeseries(inverted["OUTPUT"])
    np.testing.assert_allclose(series.data, truth - truth[:, 0, 11][:, None, None], atol=2e-6)
    assert inverted["PARTS"] == 1
    geometry = write_geometry(
        tmp_path / "geometryGeo.h5",
        GRID,
        np.zeros(GRID.shape),
        np.full(GRID.shape, 40.0),
        np.zeros(GRID.shape),
    )
    result = run_algorithm(
        "velocity",
        {
            "INPUT": inverted["OUTPUT"],
            "GEOMETRY": str(geometry),
            "TCOH": inverted["OUTPUT_TCOH"],
            "MIN_TCOH": 0.7,
            "MODEL": "seasonal",
            "CLASS_THRESHOLDS": "-40,-10,10",
            "CUMULATIVE_DATE": "2020-03-20",
            "OUTPUT": str(tmp_path / "v.tif"),
            "OUTPUT_STD": str(tmp_path / "std.tif"),
            "OUTPUT_VERTICAL": str(tmp_path / "vert.tif"),
            "OUTPUT_CLASSES": str(tmp_path / "c.tif"),
            "OUTPUT_CUMULATIVE": str(tmp_path / "cum.tif"),
            "OUTPUT_H5": str(tmp_path / "vel.h5"),
        },
    )
    los, _ = read_raster(result["OUTPUT"])
    vertical, _ = read_raster(result["OUTPUT_VERTICAL"])
    np.testing.assert_allclose(vertical, los / np.cos(np.deg2rad(40.0)), rtol=1e-5)
    assert los[0, 11] == pytest.approx(0.0, abs=1e-3)
    assert los.min() < -40  # the bowl centre, relative to the reference
    assert band_names(result["OUTPUT_STD"]) == ["LOS velocity standard deviation (mm/yr)"]
    classes, _ = read_raster(result["OUTPUT_CLASSES"], dtype=np.uint8)
    assert set(np.unique(classes)) <= {1, 2, 3, 4}
    assert result["OUTPUT_CUMULATIVE"] and result["OUTPUT_H5"]


def test_velocity_outputs_left_empty_are_not_written(run_algorithm, stack, tmp_path):
    path, _ = stack
    inverted = run_algorithm(
        "sbasinversion",
        {
            "INPUT": str(path),
            "WEIGHT": "none",
            "OUTPUT": str(tmp_path / "ts.h5"),
            "OUTPUT_TCOH": str(tmp_path / "tcoh.h5"),
        },
    )
    result = run_algorithm(
        "velocity", {"INPUT": inverted["OUTPUT"], "OUTPUT": str(tmp_path / "v.tif")}
    )
    assert result["OUTPUT_VERTICAL"] is None and result["OUTPUT_CLASSES"] is None
    assert sorted(p.name for p in tmp_path.glob("*.tif")) == ["v.tif"]


def test_bad_stack_is_reported_with_its_name(run_algorithm, tmp_path):
    from qgis.core import QgsProcessingException

    bad = tmp_path / "not_a_stack.h5"
    bad.write_text("nothing")
    with pytest.raises(QgsProcessingException, match="not_a_stack.h5"):
        run_algorithm(
            "sbasinversion",
            {
                "INPUT": str(bad),
                "OUTPUT": str(tmp_path / "ts.h5"),
                "OUTPUT_TCOH": str(tmp_path / "t.h5"),
            },
        )


@pytest.mark.parametrize("which", ["OUTPUT", "OUTPUT_TCOH"])
def test_output_that_is_a_folder_is_refused_and_kept(run_algorithm, stack, tmp_path, which):
    from qgis.core import QgsProcessingException

    path, _ = stack
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    outputs = {"OUTPUT": str(tmp_path / "ts.h5"), "OUTPUT_TCOH": str(tmp_path / "tcoh.h5")}
    outputs[which] = str(folder)
    with pytest.raises(QgsProcessingException, match="existing folder"):
        run_algorithm("sbasinversion", {"INPUT": str(path), **outputs})
    assert (folder / "notes.txt").read_text() == "keep me"
    # the input's own folder as output: refused, the input survives
    with pytest.raises(QgsProcessingException):
        run_algorithm(
            "sbasinversion",
            {
                "INPUT": str(path),
                "OUTPUT": str(path.parent),
                "OUTPUT_TCOH": str(tmp_path / "t2.h5"),
            },
        )
    assert path.exists() and (folder / "notes.txt").exists()


def test_two_outputs_at_one_path_are_refused(run_algorithm, stack, tmp_path):
    from qgis.core import QgsProcessingException

    path, _ = stack
    same = str(tmp_path / "ts.h5")
    with pytest.raises(QgsProcessingException, match="same file"):
        run_algorithm("sbasinversion", {"INPUT": str(path), "OUTPUT": same, "OUTPUT_TCOH": same})
    assert not (tmp_path / "ts.h5").exists()


def test_choices_by_name_through_qgis_process(stack, tmp_path):
    """Enum parameters take their static names on the command line: --WEIGHT=var."""
    import sys

    from tests.paths import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    import qgis_process_cli

    path, truth = stack
    x, y = GRID.xy(0, 11)
    result = qgis_process_cli.run(
        "subsidence:sbasinversion",
        {
            "INPUT": str(path),
            "WEIGHT": "var",
            "SPLIT_NETWORK": "parts",
            "REFERENCE": f"{x},{y} [EPSG:32633]",
            "OUTPUT": str(tmp_path / "ts.h5"),
            "OUTPUT_TCOH": str(tmp_path / "tcoh.h5"),
        },
    )
    series = read_timeseries(result["OUTPUT"])
    np.testing.assert_allclose(series.data, truth - truth[:, 0, 11][:, None, None], atol=2e-6)
    with pytest.raises(qgis_process_cli.QgisProcessError):
        qgis_process_cli.run(
            "subsidence:sbasinversion",
            {
                "INPUT": str(path),
                "WEIGHT": "heavy",
                "OUTPUT": str(tmp_path / "t2.h5"),
                "OUTPUT_TCOH": str(tmp_path / "c2.h5"),
            },
        )


def test_dask_scheduler_comes_from_the_parameter_then_the_provider_setting(provider):
    """The provider puts its scheduler setting in Processing options (Providers > InSAR
    Subsidence); an algorithm's DASK_SCHEDULER wins over it, and both empty run in-process."""
    from processing.core.ProcessingConfig import ProcessingConfig
    from qgis.core import QgsApplication, QgsProcessingContext

    from insar_subsidence.processing_provider.parameters import (
        DASK_SCHEDULER_SETTING,
        dask_scheduler,
    )

    setting = ProcessingConfig.settings[DASK_SCHEDULER_SETTING]
    assert setting.group == provider.name()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("subsidence:velocity")
    context = QgsProcessingContext()
    try:
        ProcessingConfig.setSettingValue(DASK_SCHEDULER_SETTING, "")
        assert dask_scheduler(algorithm, {}, context) is None
        ProcessingConfig.setSettingValue(DASK_SCHEDULER_SETTING, " tcp://cluster:8786 ")
        assert dask_scheduler(algorithm, {}, context) == "tcp://cluster:8786"
        given = {"DASK_SCHEDULER": "tcp://other:8786"}
        assert dask_scheduler(algorithm, given, context) == "tcp://other:8786"
    finally:
        ProcessingConfig.setSettingValue(DASK_SCHEDULER_SETTING, "")
