"""Base class that keeps every algorithm thin.

A subclass sets ``ALGORITHM_ID``, ``DISPLAY_NAME``, ``GROUP`` (a key of :data:`GROUPS`) and
``HELP``, declares parameters in ``initAlgorithm`` and, in ``processAlgorithm``, reads them and
calls ONE core function through :meth:`SubsidenceAlgorithm.run_core`, which passes a plain
progress callback into core and turns core errors into ``QgsProcessingException``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)

from ..core.atomic import check_outputs
from ..core.errors import Cancelled, SubsidenceError
from ..core.progress import ProgressCallback
from .qgis_compat import ProcessingParameterFlag, ProcessingSourceType

GROUPS = {
    "ingest": "Ingest",
    "network": "Network",
    "corrections": "Corrections",
    "timeseries": "Time series",
    "analysis": "Analysis",
    "prediction": "Prediction",
    "interpolation": "Interpolation",
    "drivers": "Drivers",
}


def feedback_progress(feedback: Optional[QgsProcessingFeedback]) -> ProgressCallback:
    """A core progress callback that drives a Processing feedback and reads its cancel flag."""
    last = {"message": None}

    def progress(fraction: float, message: str = "") -> bool:
        if feedback is None:
            return True
        feedback.setProgress(100.0 * fraction)
        if message and message != last["message"]:
            feedback.pushInfo(message)
            last["message"] = message
        return not feedback.isCanceled()

    return progress


def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    """Mark a parameter as advanced (folded away in the algorithm dialog) and return it."""
    parameter.setFlags(parameter.flags() | ProcessingParameterFlag.Advanced)
    return parameter


def vector_file_destination(
    name: str, description: str, kind=ProcessingSourceType.VectorPoint, optional: bool = False
) -> QgsProcessingParameterVectorDestination:
    """A vector output that must be a file: core writes GeoPackages with OGR itself."""
    parameter = QgsProcessingParameterVectorDestination(
        name, description, kind, optional=optional, createByDefault=not optional
    )
    parameter.setSupportsNonFileBasedOutput(False)
    return parameter


class SubsidenceAlgorithm(QgsProcessingAlgorithm):
    ALGORITHM_ID = ""
    DISPLAY_NAME = ""
    GROUP = ""
    HELP = ""

    def name(self) -> str:
        return self.ALGORITHM_ID

    def displayName(self) -> str:
        return self.DISPLAY_NAME

    def group(self) -> str:
        return GROUPS[self.GROUP]

    def groupId(self) -> str:
        return self.GROUP

    def shortHelpString(self) -> str:
        return self.HELP

    def createInstance(self):
        return type(self)()

    def checkParameterValues(self, parameters, context):
        try:
            parameters = self.with_mintpy_layers(parameters)
        except SubsidenceError as exc:
            return False, str(exc)
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            check_outputs(self._named_output_files(parameters), [])
        except SubsidenceError as exc:
            return False, str(exc)
        return True, ""

    def _named_output_files(self, parameters) -> list:
        """File paths the user typed for destination parameters (temporary outputs excluded)."""
        paths = []
        for definition in self.destinationParameterDefinitions():
            if isinstance(definition, QgsProcessingParameterFolderDestination):
                continue
            value = parameters.get(definition.name())
            if isinstance(value, QgsProcessingOutputLayerDefinition):
                value = value.sink.staticValue()
            if (
                isinstance(value, str)
                and value
                and value != QgsProcessing.TEMPORARY_OUTPUT
                and not value.startswith(("memory:", "ogr:", "postgres"))
            ):
                paths.append(value.split("|")[0])
        return paths

    def run_core(self, feedback: QgsProcessingFeedback, function: Callable, *args, **kwargs) -> Any:
        """Call a core function with ``progress=`` bound to ``feedback``; map its errors."""
        try:
            return function(*args, progress=feedback_progress(feedback), **kwargs)
        except Cancelled as exc:
            raise QgsProcessingException(str(exc)) from None
        except SubsidenceError as exc:
            raise QgsProcessingException(str(exc)) from None

    def read_options(self, parameters, context, options_class, **given):
        """The options dataclass filled from this algorithm's option parameters (see
        :func:`..parameters.read_options`); a value out of bounds raises a Processing error."""
        from .parameters import read_options

        try:
            return read_options(self, parameters, context, options_class, **given)
        except SubsidenceError as exc:
            raise QgsProcessingException(str(exc)) from None

    def with_mintpy_layers(self, parameters: dict) -> dict:
        """``parameters`` with the MintPy .h5 files given for layer parameters replaced by
        the VRTs that put them on the map (:func:`core.io.rasters.map_layer`): QGIS cannot
        load an HDF5 product as a layer, GDAL reads the VRT. Raises the core InputError of
        a file that is not such a product."""
        layer_types = (
            QgsProcessingParameterMapLayer,
            QgsProcessingParameterMultipleLayers,
            QgsProcessingParameterRasterLayer,
        )
        replaced = dict(parameters)
        for definition in self.parameterDefinitions():
            if isinstance(definition, layer_types) and definition.name() in replaced:
                replaced[definition.name()] = _mintpy_as_layer(replaced[definition.name()])
        return replaced

    def raster_path(self, parameters, name: str, context) -> Optional[str]:
        """File path of a raster parameter (a MintPy .h5 as its map VRT), or None when it is
        not set."""
        if not parameters.get(name):
            return None
        try:
            parameters = self.with_mintpy_layers(parameters)
        except SubsidenceError as exc:
            raise QgsProcessingException(str(exc)) from None
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(f"{name}: cannot load raster {parameters.get(name)}.")
        return layer.source()

    def vector_path(self, parameters, name: str, context, feedback) -> Optional[str]:
        """A GeoPackage/Shapefile path holding only the layer of a vector parameter (exported
        by Processing when the layer is in memory, another format, or one layer of many), or
        None when it is not set. Core readers take the first layer of the file."""
        if not parameters.get(name):
            return None
        path = self.parameterAsCompatibleSourceLayerPath(
            parameters, name, context, ["gpkg", "shp"], "gpkg", feedback
        )
        if "|" in path:  # one layer inside a multi-layer file: write it on its own
            path = self.parameterAsCompatibleSourceLayerPath(
                {name: parameters[name]}, name, context, ["shp"], "shp", feedback
            )
        return path

    def optional_output(self, parameters, name: str, context) -> Optional[str]:
        """Path of an optional file or layer output, or None when the user skipped it."""
        value = parameters.get(name)
        if value is None or value == "":
            return None
        return (
            self.parameterAsOutputLayer(parameters, name, context)
            or self.parameterAsFileOutput(parameters, name, context)
            or None
        )

    def style_on_load(self, context: QgsProcessingContext, layer_id: str, style: str) -> None:
        """Style an output layer when Processing loads it into the project.

        ``style`` is a kind understood by :func:`plugin.styling.style_layer` (for example
        ``velocity`` or ``classes``). Does nothing when the output is not being loaded.
        """
        if not context.willLoadLayerOnCompletion(layer_id):
            return
        from ..plugin.styling import StylePostProcessor

        details = context.layerToLoadOnCompletionDetails(layer_id)
        processor = StylePostProcessor.create(style)
        details.setPostProcessor(processor)


def _mintpy_as_layer(value):
    """A MintPy .h5 path (or a list holding some) as the path of its map VRT, written once in
    Processing's temporary folder; any other value as it is."""
    if isinstance(value, (list, tuple)):
        return [_mintpy_as_layer(v) for v in value]
    if not isinstance(value, str) or not value.lower().endswith((".h5", ".he5", ".hdf5")):
        return value
    if not Path(value).is_file():
        return value
    from ..core.io.rasters import map_layer, map_layer_folder

    root = Path(QgsProcessingUtils.tempFolder()) / "mintpy_layers"
    return str(map_layer(value, map_layer_folder(value, root)).path)


def layer_file(algorithm, parameters, name, context) -> str:
    """The file behind a raster or vector layer parameter (GeoPackage layer suffix dropped; a
    MintPy .h5 product read through its map VRT)."""
    from ..plugin.bridge import layer_file as file_of

    try:
        parameters = algorithm.with_mintpy_layers(parameters)
    except SubsidenceError as exc:
        raise QgsProcessingException(str(exc)) from None
    layer = algorithm.parameterAsLayer(parameters, name, context)
    if layer is None:
        raise QgsProcessingException(f"{name}: cannot load layer {parameters.get(name)}.")
    found = file_of(layer)
    if found is None:
        raise QgsProcessingException(
            f"{name}: layer '{layer.name()}' is not a whole file ({layer.source()}: a memory "
            "or database layer, or a filtered one); save it as a GeoPackage or GeoTIFF first."
        )
    return found.path
