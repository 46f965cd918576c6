"""Mining algorithms through Processing, the modeler and qgis_process: the basin fit (PIM),
the detectable gradient and the onset of subsidence, with bad input refused."""

from __future__ import annotations

import csv
import datetime as dt
import sys

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.analysis.pim import Panel, PimParameters, rectangle_ring, subsidence
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
from insar_subsidence.core.io.point_layers import PointSeries, read_points, write_points
from insar_subsidence.core.io.vector import write_polygons
from tests.paths import ROOT

GRID = Grid(500000.0, 4000000.0, 40.0, -40.0, 120, 100, 32649)
TRUTH = PimParameters(q=0.65, tan_beta=2.0, offset_m=30.0, theta_deg=90.0)
PANEL = Panel(rectangle_ring(502400.0, 3998000.0, 1600.0, 360.0, 90.0), 2.5, 380.0, 0.0, 180.0)


@pytest.fixture
def scene(tmp_path):
    x, y = GRID.xy(*np.indices(GRID.shape))
    truth = -subsidence(PANEL, TRUTH, x, y) * 1000
    measured = truth + np.random.default_rng(0).normal(0, 4.0, truth.shape)
    measured[truth < 0.3 * truth.min()] = np.nan  # the decorrelated core
    write_geotiff(tmp_path / "up.tif", measured.astype(np.float32), GRID, units="mm")
    write_polygons(tmp_path / "panel.gpkg", 32649, [(PANEL.ring, {"name": "P"})])
    return tmp_path, truth


def _fit_parameters(folder, **extra):
    parameters = {
        "INPUT": str(folder / "up.tif"),
        "PANEL": str(folder / "panel.gpkg"),
        "THICKNESS": 2.5,
        "DEPTH": 380.0,
        "DIP": 0.0,
        "DIP_DIRECTION": 180.0,
        "OUTPUT_TABLE": str(folder / "pim.csv"),
        "OUTPUT": str(folder / "basin.tif"),
        "OUTPUT_RESIDUAL": str(folder / "residual.tif"),
        "OUTPUT_BOUNDARY": str(folder / "boundary.gpkg"),
    }
    parameters.update(extra)
    return parameters


def test_pimfit_fills_the_core(run_algorithm, scene):
    folder, truth = scene
    result = run_algorithm("pimfit", _fit_parameters(folder))
    assert result["Q"] == pytest.approx(TRUTH.q, abs=0.03)
    assert result["TAN_BETA"] == pytest.approx(TRUTH.tan_beta, abs=0.12)
    assert result["FIT_SECONDS"] > 0
    basin, _ = read_raster(result["OUTPUT"])
    assert np.nanmin(basin) == pytest.approx(truth.min(), rel=0.05)
    rows = {r["parameter"]: r for r in csv.DictReader(open(result["OUTPUT_TABLE"]))}
    assert float(rows["w_max_mm"]["value"]) == pytest.approx(2.5 * result["Q"] * 1000, rel=1e-4)
    assert float(rows["q"]["std"]) > 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"DEPTH": 0.0}, "depth"),
        ({"DEPTH": -100.0}, "depth"),
        ({"INPUT_KIND": "rate"}, "period"),
    ],
)
def test_pimfit_refuses_bad_input(run_algorithm, scene, change, message):
    folder, _ = scene
    with pytest.raises(QgsProcessingException, match=message):
        run_algorithm("pimfit", _fit_parameters(folder, **change))
    assert not (folder / "pim.csv").exists()


def test_pimfit_refuses_a_panel_outside_the_raster_and_one_without_reliable_pixels(
    run_algorithm, scene
):
    folder, _ = scene
    write_polygons(folder / "far.gpkg", 32649, [(PANEL.ring + [80_000.0, 0.0], {"name": "far"})])
    with pytest.raises(QgsProcessingException, match="outside"):
        run_algorithm("pimfit", _fit_parameters(folder, PANEL=str(folder / "far.gpkg")))
    nothing = np.full(GRID.shape, np.nan, np.float32)
    nothing[:3, :3] = 0.0
    write_geotiff(folder / "empty.tif", nothing, GRID)
    with pytest.raises(QgsProcessingException, match="reliable pixels"):
        run_algorithm("pimfit", _fit_parameters(folder, INPUT=str(folder / "empty.tif")))
    assert not (folder / "basin.tif").exists()


def test_pimfit_forward_mode_in_a_model(provider, scene):
    """A one-step model with the panel as model input: the modeler path."""
    from qgis import processing
    from qgis.core import (
        QgsApplication,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterVectorLayer,
    )

    from tests.qgis.model_outputs import model_output_name

    folder, truth = scene
    model = QgsProcessingModelAlgorithm("planned panel", "InSAR Subsidence")
    model.addModelParameter(
        QgsProcessingParameterVectorLayer("panel", "Planned panel"),
        QgsProcessingModelParameter("panel"),
    )
    child = QgsProcessingModelChildAlgorithm("subsidence:pimfit")
    child.setChildId("pim")
    algorithm = QgsApplication.processingRegistry().algorithmById("subsidence:pimfit")
    static = {"MODE": "forward", "THICKNESS": 2.5, "DEPTH": 380.0, "Q": 0.65, "TAN_BETA": 2.0}
    static.update({"OFFSET": 30.0, "THETA": 90.0, "DIP_DIRECTION": 180.0, "INPUT": None})
    for definition in algorithm.parameterDefinitions():
        if definition.isDestination() or definition.name() == "PANEL":
            continue
        value = static.get(definition.name(), definition.defaultValue())
        child.addParameterSources(
            definition.name(), [QgsProcessingModelChildParameterSource.fromStaticValue(value)]
        )
    child.addParameterSources(
        "PANEL", [QgsProcessingModelChildParameterSource.fromModelParameter("panel")]
    )
    output = QgsProcessingModelOutput("basin", "Planned basin")
    output.setChildOutputName("OUTPUT")
    output.setChildId("pim")
    child.setModelOutputs({"basin": output})
    table = QgsProcessingModelOutput("table", "Parameters")
    table.setChildOutputName("OUTPUT_TABLE")
    table.setChildId("pim")
    child.setModelOutputs({"basin": output, "table": table})
    model.addChildAlgorithm(child)
    basin_name = model_output_name(model, "Planned basin")
    result = processing.run(
        model,
        {
            "panel": str(folder / "panel.gpkg"),
            basin_name: str(folder / "planned.tif"),
            model_output_name(model, "Parameters"): str(folder / "planned.csv"),
        },
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )
    basin, grid = read_raster(result[basin_name])
    x, y = grid.xy(*np.indices(grid.shape))
    np.testing.assert_allclose(basin, -subsidence(PANEL, TRUTH, x, y) * 1000, atol=1e-3)


def test_detectablegradient_and_onset_through_qgis_process(scene):
    sys.path.insert(0, str(ROOT / "scripts"))
    import qgis_process_cli

    from insar_subsidence.core.io.mintpy import write_ifgram_stack

    folder, _ = scene
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * k) for k in range(8)]
    pairs = list(zip(dates[:-1], dates[1:], strict=True))
    phase = np.zeros((len(pairs),) + GRID.shape, np.float32)
    write_ifgram_stack(
        folder / "stack.h5",
        GRID,
        pairs,
        np.zeros(len(pairs)),
        phase,
        np.full(phase.shape, 0.8, np.float32),
    )
    write_geotiff(folder / "v.tif", np.zeros(GRID.shape, np.float32), GRID)
    result = qgis_process_cli.run(
        "subsidence:detectablegradient",
        {
            "INPUT": str(folder / "stack.h5"),
            "VELOCITY": str(folder / "v.tif"),
            "OUTPUT": str(folder / "limit.tif"),
            "OUTPUT_MASK": str(folder / "mask.tif"),
        },
    )
    limit, _ = read_raster(result["OUTPUT"])
    assert np.nanmedian(limit) == pytest.approx(350.8, rel=1e-3)  # mm/yr per pixel, g = 0.8
    assert result["PIXELS_BEYOND"] == 0

    series_dates = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(60)]
    t = np.array([(d - series_dates[0]).days for d in series_dates]) / 365.25
    values = np.where(t > t[30], -50 * (t - t[30]), 0.0)[None] + np.random.default_rng(1).normal(
        0, 2, (4, 60)
    )
    points = PointSeries(
        500100.0 + 40 * np.arange(4.0), np.full(4, 3999000.0), 32649, series_dates, values
    )
    write_points(folder / "ps.gpkg", points)
    result = qgis_process_cli.run(
        "subsidence:onset",
        {
            "INPUT": str(folder / "ps.gpkg"),
            "OUTPUT_POINTS": str(folder / "onsets.gpkg"),
            "OUTPUT_STEPS": str(folder / "steps.gpkg"),
        },
    )
    assert result["ONSETS"] == 4
    onsets = read_points(result["OUTPUT_POINTS"])
    for text in onsets.fields["ONSET"]:
        assert abs((dt.date.fromisoformat(text) - series_dates[30]).days) <= 24
    with pytest.raises(qgis_process_cli.QgisProcessError):
        qgis_process_cli.run(
            "subsidence:onset", {"INPUT": str(folder / "ps.gpkg"), "OUTPUT": str(folder / "x.tif")}
        )


def test_onset_of_points_reports_only_the_outputs_it_writes(run_algorithm, tmp_path):
    """A point layer makes onset points: the onset map's temporary default is neither written
    nor reported, and a named onset map is refused before any work."""
    dates = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(30)]
    values = np.random.default_rng(2).normal(0, 2, (3, 30))
    points = PointSeries(
        500100.0 + 40 * np.arange(3.0), np.full(3, 3999000.0), 32649, dates, values
    )
    write_points(tmp_path / "ps.gpkg", points)
    parameters = {
        "INPUT": str(tmp_path / "ps.gpkg"),
        "SIMULATIONS": 200,
        "OUTPUT": "TEMPORARY_OUTPUT",
        "OUTPUT_POINTS": str(tmp_path / "onsets.gpkg"),
    }
    result = run_algorithm("onset", parameters)
    assert "OUTPUT" not in result and result["SERIES"] == 3
    assert read_points(result["OUTPUT_POINTS"]).x.size == 3
    with pytest.raises(QgsProcessingException, match="Fix: skip OUTPUT"):
        run_algorithm("onset", {**parameters, "OUTPUT": str(tmp_path / "onsets.tif")})
    assert not (tmp_path / "onsets.tif").exists()
