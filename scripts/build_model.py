"""Build the shipped SBAS chain models (models/sbas_chain.model3 and
models/sbas_chain_gacos.model3) with QgsProcessingModelAlgorithm.

    .venv/bin/python scripts/build_model.py   (headless; QT_QPA_PLATFORM=offscreen)

Chain: ingesthyp3 -> network -> loopclosure -> referencepoint -> sbasinversion ->
[troposphere] -> deramp -> demerror -> velocity. The GACOS variant adds the tropospheric
correction and asks for its folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "build" / "qgis_plugins"))

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QPointF, QSizeF  # noqa: E402

from insar_subsidence.processing_provider.models import MODELS_GROUP  # noqa: E402
from insar_subsidence.processing_provider.qgis_compat import (  # noqa: E402
    ProcessingFileParameterBehavior,
    ProcessingNumberParameterType,
)

# Layout read left to right: inputs in a column, the steps in a column below each other, the
# outputs of a step beside it; boxes wide enough for their labels (the modeler's default of
# 200 x 30 px truncates them).
INPUT_X, STEP_X, OUTPUT_X = 200, 600, 990
ROW_HEIGHT = 130
INPUT_SIZE, STEP_SIZE, OUTPUT_SIZE = QSizeF(360, 40), QSizeF(260, 44), QSizeF(340, 30)


def _row_y(row: int) -> float:
    return 80 + ROW_HEIGHT * row


def _model_input(model, parameter, row):
    component = QgsProcessingModelParameter(parameter.name())
    component.setPosition(QPointF(INPUT_X, _row_y(row)))
    component.setSize(INPUT_SIZE)
    model.addModelParameter(parameter, component)


def _child(model, child_id, algorithm, description, row, sources, outputs=()):
    child = QgsProcessingModelChildAlgorithm(algorithm)
    child.setChildId(child_id)
    child.setDescription(description)
    child.setPosition(QPointF(STEP_X, _row_y(row)))
    child.setSize(STEP_SIZE)
    algorithm_object = QgsApplication.processingRegistry().algorithmById(algorithm)
    if algorithm_object is None:
        raise SystemExit(f"{algorithm} is not in the provider: cannot build the model.")
    for name, source in sources.items():
        child.addParameterSources(name, [source])
    for definition in algorithm_object.parameterDefinitions():
        # the modeler's own behaviour: every other input starts at its default value
        if definition.isDestination() or definition.name() in sources:
            continue
        child.addParameterSources(
            definition.name(),
            [QgsProcessingModelChildParameterSource.fromStaticValue(definition.defaultValue())],
        )
    model_outputs = {}
    for index, (output_name, name, label) in enumerate(outputs):
        out = QgsProcessingModelOutput(name, label)
        out.setChildId(child_id)
        out.setChildOutputName(output_name)
        out.setPosition(QPointF(OUTPUT_X, _row_y(row) + 36 * (index - (len(outputs) - 1) / 2)))
        out.setSize(OUTPUT_SIZE)
        model_outputs[name] = out
    child.setModelOutputs(model_outputs)
    model.addChildAlgorithm(child)
    return child_id


def build(gacos: bool) -> QgsProcessingModelAlgorithm:
    from_param = QgsProcessingModelChildParameterSource.fromModelParameter
    from_child = QgsProcessingModelChildParameterSource.fromChildOutput
    static = QgsProcessingModelChildParameterSource.fromStaticValue
    name = "SBAS chain with GACOS troposphere" if gacos else "SBAS chain (HyP3 to velocity)"
    model = QgsProcessingModelAlgorithm(name, MODELS_GROUP)
    model.setHelpContent(
        {
            "ALG_DESC": (
                "From a folder of ASF HyP3 interferograms to LOS and vertical velocity maps: "
                "ingest, network selection (baselines, coherence with spanning tree), "
                "triplet loop closure, "
                "reference areas (coherent, stable, no broken closures), "
                "weighted SBAS inversion, "
                + ("GACOS tropospheric correction, " if gacos else "")
                + "ramp removal on temporally coherent, slowly moving pixels, DEM-error correction "
                "and velocity."
            )
        }
    )
    _model_input(
        model,
        QgsProcessingParameterFile(
            "HYP3_FOLDER",
            "Folder with HyP3 products",
            behavior=ProcessingFileParameterBehavior.Folder,
        ),
        0,
    )
    _model_input(
        model,
        QgsProcessingParameterExtent("AOI", "Area of interest (optional)", optional=True),
        1,
    )
    _model_input(
        model,
        QgsProcessingParameterNumber(
            "MAX_TEMPORAL_BASELINE",
            "Maximum temporal baseline (days; 0 = no limit)",
            ProcessingNumberParameterType.Double,
            0,
            minValue=0,
        ),
        2,
    )
    _model_input(
        model,
        QgsProcessingParameterNumber(
            "MAX_PERP_BASELINE",
            "Maximum perpendicular baseline (m; 0 = no limit)",
            ProcessingNumberParameterType.Double,
            0,
            minValue=0,
        ),
        3,
    )
    _model_input(
        model,
        QgsProcessingParameterNumber(
            "MIN_COHERENCE",
            "Drop pairs with mean coherence below",
            ProcessingNumberParameterType.Double,
            0.1,
            minValue=0,
            maxValue=1,
        ),
        4,
    )
    if gacos:
        _model_input(
            model,
            QgsProcessingParameterFile(
                "GACOS_FOLDER",
                "Folder of GACOS delays (YYYYMMDD.ztd)",
                behavior=ProcessingFileParameterBehavior.Folder,
            ),
            5,
        )

    _child(
        model,
        "ingest",
        "subsidence:ingesthyp3",
        "Ingest HyP3 products",
        0,
        {"INPUT": from_param("HYP3_FOLDER"), "AOI": from_param("AOI")},
        outputs=[("OUTPUT_QUICKLOOK", "ingest_quicklook", "Ingest: mean coherence, pairs")],
    )
    _child(
        model,
        "network",
        "subsidence:network",
        "Select network",
        1,
        {
            "INPUT": from_child("ingest", "OUTPUT"),
            "MAX_TEMPORAL_BASELINE": from_param("MAX_TEMPORAL_BASELINE"),
            "MAX_PERP_BASELINE": from_param("MAX_PERP_BASELINE"),
            "MIN_COHERENCE": from_param("MIN_COHERENCE"),
            "KEEP_MST": static(True),
        },
        outputs=[
            ("OUTPUT_QUICKLOOK", "network_quicklook", "Network: mean coherence, kept pairs"),
            ("OUTPUT_PLOT", "network_plot", "Network plot (PNG)"),
        ],
    )
    _child(
        model,
        "closure",
        "subsidence:loopclosure",
        "Triplet loop closure",
        2,
        {"INPUT": from_child("network", "OUTPUT")},
        outputs=[("OUTPUT", "loop_closure", "Loop closure: broken triplets per pixel")],
    )
    _child(
        model,
        "reference",
        "subsidence:referencepoint",
        "Reference point",
        3,
        {
            "INPUT": from_child("network", "OUTPUT"),
            "NUM_AREAS": static(3),
            "LOOP_CLOSURE": from_child("closure", "OUTPUT"),
        },
    )
    _child(
        model,
        "inversion",
        "subsidence:sbasinversion",
        "SBAS inversion",
        4,
        {"INPUT": from_child("reference", "OUTPUT")},
        outputs=[
            ("OUTPUT_QUICKLOOK", "inversion_quicklook", "Inversion: cumulative displacement (mm)"),
            ("OUTPUT_QUICKLOOK_TCOH", "coherence_quicklook", "Inversion: temporal coherence"),
            ("OUTPUT_TCOH", "temporal_coherence", "Temporal coherence (.h5)"),
        ],
    )
    series = ("inversion", "OUTPUT")
    row = 5
    if gacos:
        _child(
            model,
            "troposphere",
            "subsidence:troposphere",
            "GACOS troposphere",
            row,
            {
                "INPUT": from_child(*series),
                "GEOMETRY": from_child("ingest", "OUTPUT_GEOMETRY"),
                "GACOS_FOLDER": from_param("GACOS_FOLDER"),
            },
        )
        series = ("troposphere", "OUTPUT")
        row += 1
    _child(
        model,
        "deramp",
        "subsidence:deramp",
        "Remove ramps",
        row,
        {
            "INPUT": from_child(*series),
            "RAMP": static("linear"),
            "MASK": from_child("inversion", "OUTPUT_TCOH"),
            "MASK_THRESHOLD": static(0.7),
        },
    )
    _child(
        model,
        "demerror",
        "subsidence:demerror",
        "DEM-error correction",
        row + 1,
        {
            "INPUT": from_child("deramp", "OUTPUT"),
            "GEOMETRY": from_child("ingest", "OUTPUT_GEOMETRY"),
        },
        outputs=[("OUTPUT", "timeseries", "Corrected time series (.h5)")],
    )
    _child(
        model,
        "velocity",
        "subsidence:velocity",
        "Velocity",
        row + 2,
        {
            "INPUT": from_child("demerror", "OUTPUT"),
            "GEOMETRY": from_child("ingest", "OUTPUT_GEOMETRY"),
            "TCOH": from_child("inversion", "OUTPUT_TCOH"),
        },
        outputs=[
            ("OUTPUT", "velocity_los", "LOS velocity (mm/yr)"),
            ("OUTPUT_VERTICAL", "velocity_vertical", "Vertical velocity (mm/yr)"),
            ("OUTPUT_CLASSES", "velocity_classes", "Deformation classes"),
        ],
    )
    return model


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        from insar_subsidence.processing_provider.provider import SubsidenceProvider

        provider = SubsidenceProvider()
        QgsApplication.processingRegistry().addProvider(provider)
        print(f"{len(provider.algorithms())} algorithms in the provider")
        for gacos, filename in ((False, "sbas_chain.model3"), (True, "sbas_chain_gacos.model3")):
            model = build(gacos)
            path = ROOT / "models" / filename
            if not model.toFile(str(path)):
                print(f"could not write {path}", file=sys.stderr)
                return 1
            print(f"wrote {path} ({len(model.childAlgorithms())} steps)")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
