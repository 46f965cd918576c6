"""Every algorithm, every output choice, through the path QGIS takes after a run.

For each algorithm of the provider (small inputs from ``algorithm_cases.CASES``) and each
output choice, the parameters are made by QGIS's own widgets (the algorithm dialog, the batch
panel, a one-step model in the dialog), the algorithm runs as the dialog runs it
(``checkParameterValues``, then ``processing.gui.AlgorithmExecutor.execute``) and the results
go through ``processing.gui.Postprocessing.handleAlgorithmResults``, which loads
``context.layersToLoadOnCompletion()`` and runs their post-processors. Then:

* no layer is reported as "not correctly generated", and exactly the layer outputs asked for
  are loaded;
* every reported output exists; every loaded layer is valid and styled by us (a style kind
  recorded, a raster not left in QGIS's default grey);
* the log repeats no line and holds no per-item lines (a progress bar's job).
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from pathlib import Path

import pytest
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProject,
    QgsRasterLayer,
)

from insar_subsidence.processing_provider.qgis_compat import ProcessingParameterFlag
from tests.conftest import register_provider
from tests.qgis.algorithm_cases import (
    CASES,
    NEEDS_AN_OUTPUT,
    NOT_MADE_FOR_CASE,
    TORCH_ALGORITHMS,
    WITHOUT_CASE,
    make_workspace,
)
from tests.qgis.feedback import LogFeedback

STYLE_PROPERTY = "insar_subsidence/style"
_OPEN_DIALOGS = []
DIALOG_CHOICES = ("defaults", "temporary", "files", "skip")
LAYER_OUTPUTS = (
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterFeatureSink,
)


def algorithm_ids():
    return sorted(CASES)


@pytest.fixture(scope="module")
def workspace(provider, tmp_path_factory):
    from qgis import processing

    def run(name, parameters):
        return processing.run(f"subsidence:{name}", parameters)

    return make_workspace(tmp_path_factory.mktemp("workspace"), run)


@pytest.fixture
def gui(qgis_iface, qgis_app, qgis_processing, qgis_new_project, monkeypatch):
    """The Processing dialogs need the interface's browser model (pytest-qgis has none)."""
    from qgis.gui import QgsBrowserGuiModel

    model = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: model, raising=False)
    yield
    QgsProject.instance().removeAllMapLayers()
    while _OPEN_DIALOGS:
        _OPEN_DIALOGS.pop().deleteLater()


def test_every_algorithm_has_a_case(provider):
    ids = {algorithm.name() for algorithm in register_provider().algorithms()}
    assert ids - set(WITHOUT_CASE) == set(CASES), (
        "add a small case to tests/qgis/algorithm_cases.py"
    )
    assert set(WITHOUT_CASE) <= ids and not set(WITHOUT_CASE) & set(CASES)


def _skip_without_torch(algorithm_id):
    if algorithm_id in TORCH_ALGORITHMS:
        pytest.importorskip("torch", reason="torch is optional; these algorithms need it")


def _algorithm(algorithm_id):
    from qgis.core import QgsApplication

    register_provider()
    return QgsApplication.processingRegistry().createAlgorithmById(f"subsidence:{algorithm_id}")


def _made_outputs(algorithm):
    """The destination parameters the algorithm's case can make."""
    not_made = NOT_MADE_FOR_CASE.get(algorithm.name(), ())
    return [d for d in algorithm.destinationParameterDefinitions() if d.name() not in not_made]


def _file_outputs(algorithm, folder: Path) -> dict:
    """A named file (a folder for folder outputs) for every output."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {}
    for definition in _made_outputs(algorithm):
        name = definition.name().lower()
        if isinstance(definition, QgsProcessingParameterFolderDestination):
            outputs[definition.name()] = str(folder / name)
        else:
            outputs[definition.name()] = str(folder / f"{name}.{definition.defaultFileExtension()}")
    return outputs


def _optional(definition) -> bool:
    return bool(definition.flags() & ProcessingParameterFlag.Optional)


def dialog_parameters(algorithm, inputs: dict, choice: str, folder: Path):
    """The parameters the algorithm dialog builds for ``inputs`` and an output choice."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    destinations = _made_outputs(algorithm)
    if choice == "defaults":
        outputs = {}
    elif choice == "temporary":
        outputs = {d.name(): QgsProcessing.TEMPORARY_OUTPUT for d in destinations}
    elif choice == "files":
        outputs = _file_outputs(algorithm, folder)
    else:  # skip every optional output
        outputs = {d.name(): None for d in destinations if _optional(d)}
    dialog = AlgorithmDialog(algorithm)
    _OPEN_DIALOGS.append(dialog)  # the dialog owns the algorithm: keep both for the test
    dialog.setParameters({**inputs, **outputs})
    parameters = dialog.createProcessingParameters()
    for name, value in outputs.items():
        if value is None:
            assert name not in parameters, f"the dialog did not skip {name}"
    return parameters


def batch_parameters(algorithm, inputs: dict, folder: Path):
    """One row of the batch panel: typed file names for the outputs made by default, empty
    cells for the others, layers loaded on completion."""
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from processing.tools.dataobjects import createContext

    dialog = BatchAlgorithmDialog(algorithm)
    _OPEN_DIALOGS.append(dialog)
    panel = dialog.mainWidget()
    context = createContext()
    for name, value in inputs.items():
        panel.wrappers[0][panel.parameter_to_column[name]].setParameterValue(value, context)
    files = _file_outputs(algorithm, folder)
    for definition in _made_outputs(algorithm):
        made = not _optional(definition) or definition.createByDefault()
        cell = panel.tblParameters.cellWidget(1, panel.parameter_to_column[definition.name()])
        cell.setValue(files[definition.name()] if made else "")
    options = {"destinationProject": QgsProject.instance(), "warnOnInvalid": True}
    if "context" in inspect.signature(panel.parametersForRow).parameters:  # newer QGIS (3.40)
        options["context"] = context
    parameters, ok = panel.parametersForRow(0, **options)
    assert ok
    return parameters


def one_step_model(algorithm, inputs: dict):
    """A model with the algorithm as its only step: inputs static, every output a model
    output (as an analyst builds it in the modeler)."""
    from qgis.core import (
        QgsApplication,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
    )

    model = QgsProcessingModelAlgorithm(f"one step: {algorithm.id()}", "tests")
    child = QgsProcessingModelChildAlgorithm(algorithm.id())
    child.setChildId("step")
    for name, value in inputs.items():
        child.addParameterSources(
            name, [QgsProcessingModelChildParameterSource.fromStaticValue(value)]
        )
    outputs = {}
    for definition in algorithm.destinationParameterDefinitions():
        output = QgsProcessingModelOutput(definition.name(), definition.description())
        output.setChildId("step")
        output.setChildOutputName(definition.name())
        output.setMandatory(not _optional(definition))
        outputs[definition.name()] = output
    child.setModelOutputs(outputs)
    model.addChildAlgorithm(child)
    model.updateDestinationParameters()
    model.setProvider(QgsApplication.processingRegistry().providerById("model"))
    return model


def run_and_handle(algorithm, parameters):
    """Run as the algorithm dialog does, then QGIS's result handling; return what came out."""
    from processing.gui.AlgorithmExecutor import execute
    from processing.gui.Postprocessing import handleAlgorithmResults
    from processing.tools import dataobjects

    feedback = LogFeedback()
    context = dataobjects.createContext(feedback)
    ok, message = algorithm.checkParameterValues(parameters, context)
    assert ok, message
    before = set(QgsProject.instance().mapLayers())
    ok, results = execute(algorithm, parameters, context, feedback)
    assert ok, "\n".join(feedback.errors)
    handled = handleAlgorithmResults(algorithm, context, feedback=feedback, parameters=results)
    loaded = [
        layer for key, layer in QgsProject.instance().mapLayers().items() if key not in before
    ]
    return handled, results, loaded, feedback, context


def expected_layers(parameters) -> int:
    """Layer outputs the parameters ask QGIS to load."""
    return sum(
        1
        for value in parameters.values()
        if isinstance(value, QgsProcessingOutputLayerDefinition)
        and value.destinationProject is not None
        and value.sink.staticValue()
    )


def _plain(value) -> bool:
    """A value qgis_process can print: numpy scalars reach its JSON as ''."""
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_plain(item) for item in value.values())
    return value is None or type(value) in (bool, int, float, str)


def check(algorithm, parameters, handled, results, loaded, feedback, context):
    assert handled, "\n".join(feedback.errors)  # nothing "not correctly generated"
    declared = {definition.name() for definition in algorithm.outputDefinitions()}
    not_plain = {  # a model's results also hold its CHILD_INPUTS, not printed as an output
        name: type(value).__name__
        for name, value in results.items()
        if name in declared and not _plain(value)
    }
    assert not_plain == {}, f"outputs qgis_process cannot print: {not_plain}"
    assert len(loaded) == expected_layers(parameters), [layer.source() for layer in loaded]
    for definition in algorithm.outputDefinitions():
        value = results.get(definition.name())
        if not isinstance(value, str) or not value:
            continue
        if definition.type() in (
            "outputVector",
            "outputRaster",
            "outputLayer",
            "outputFile",
            "outputFolder",
            "outputHtml",
        ):
            exists = Path(value.split("|")[0]).exists() or QgsProject.instance().mapLayer(value)
            assert exists, f"{definition.name()}: {value} does not exist"
    for layer in loaded:
        assert layer.isValid(), layer.source()
        assert layer.customProperty(STYLE_PROPERTY), f"{layer.name()} was not styled"
        if isinstance(layer, QgsRasterLayer):
            assert layer.renderer().type() not in ("singlebandgray", "multibandcolor"), layer.name()
    repeated = [line for line, count in Counter(feedback.lines).items() if count > 1]
    assert repeated == [], "lines logged twice"
    prefixes = Counter(
        re.split(r"\d", line)[0] for line in feedback.lines if re.search(r"\d", line)
    )
    per_item = [prefix for prefix, count in prefixes.items() if len(prefix) > 5 and count > 2]
    assert per_item == [], "one log line per item: report it through the progress bar"
    assert not [w for w in feedback.warnings if "not written" in w], feedback.warnings


@pytest.mark.parametrize("choice", DIALOG_CHOICES)
@pytest.mark.parametrize("algorithm_id", algorithm_ids())
def test_dialog_output_choices(gui, workspace, tmp_path, algorithm_id, choice):
    _skip_without_torch(algorithm_id)
    algorithm = _algorithm(algorithm_id)
    parameters = dialog_parameters(algorithm, CASES[algorithm_id](workspace), choice, tmp_path)
    if choice == "skip" and algorithm_id in NEEDS_AN_OUTPUT:
        from processing.tools import dataobjects

        ok, message = algorithm.checkParameterValues(parameters, dataobjects.createContext())
        assert not ok and "output" in message  # refused before any work
        return
    if choice != "defaults":
        defaults = dialog_parameters(
            _algorithm(algorithm_id), CASES[algorithm_id](workspace), "defaults", tmp_path
        )
        if {k: str(v) for k, v in parameters.items()} == {k: str(v) for k, v in defaults.items()}:
            pytest.skip("the same parameters as the dialog defaults")
    check(algorithm, parameters, *run_and_handle(algorithm, parameters))


@pytest.mark.parametrize(
    "algorithm_id, output", [(a, o) for a, outputs in NOT_MADE_FOR_CASE.items() for o in outputs]
)
def test_an_output_the_input_does_not_make_is_refused(gui, workspace, algorithm_id, output):
    from processing.tools import dataobjects

    algorithm = _algorithm(algorithm_id)
    parameters = dialog_parameters(algorithm, CASES[algorithm_id](workspace), "defaults", Path())
    parameters[output] = QgsProcessing.TEMPORARY_OUTPUT
    ok, message = algorithm.checkParameterValues(parameters, dataobjects.createContext())
    assert not ok and output in message and "Fix: skip" in message  # before any work


@pytest.mark.parametrize("algorithm_id", algorithm_ids())
def test_batch_row(gui, workspace, tmp_path, algorithm_id):
    _skip_without_torch(algorithm_id)
    algorithm = _algorithm(algorithm_id)
    parameters = batch_parameters(algorithm, CASES[algorithm_id](workspace), tmp_path)
    check(algorithm, parameters, *run_and_handle(algorithm, parameters))


@pytest.mark.parametrize("algorithm_id", algorithm_ids())
def test_one_step_model_with_temporary_outputs(gui, workspace, tmp_path, algorithm_id):
    _skip_without_torch(algorithm_id)
    model = one_step_model(_algorithm(algorithm_id), CASES[algorithm_id](workspace))
    parameters = dialog_parameters(model, {}, "defaults", tmp_path)
    check(model, parameters, *run_and_handle(model, parameters))


def test_crossvalidate_velocity_field_follows_its_point_layer(gui, workspace, tmp_path):
    """The dialog lists the fields of the point layer a velocity field is linked to, with the
    other product a raster (a field linked to a raster-or-points parameter crashed QGIS 3.22)."""
    algorithm = _algorithm("crossvalidate")
    inputs = {"RASTER_A": workspace.vertical, "POINTS_B": workspace.points, "FIELD_B": "VEL"}
    parameters = dialog_parameters(algorithm, inputs, "defaults", tmp_path)
    field_b = _OPEN_DIALOGS[-1].mainWidget().wrappers["FIELD_B"].wrappedWidget()
    names = [field_b.itemText(i) for i in range(field_b.count())]
    assert {"VEL", "VEL_TRUE", "LANDUSE"} <= set(names), names  # the layer's numeric fields
    assert parameters["FIELD_B"] == "VEL" and not parameters.get("POINTS_A")
    check(algorithm, parameters, *run_and_handle(algorithm, parameters))
