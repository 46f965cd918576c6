"""Base class that keeps every algorithm thin.

A subclass sets ``ALGORITHM_ID``, ``DISPLAY_NAME``, ``GROUP`` (a key of :data:`GROUPS`) and
``HELP``, declares parameters in ``initAlgorithm`` and, in ``processAlgorithm``, reads them and
calls ONE core function through :meth:`SubsidenceAlgorithm.run_core`, which passes a plain
progress callback into core and turns core errors into ``QgsProcessingException``.
"""

from __future__ import annotations

import configparser
import functools
import html
import re
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
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)
from qgis.PyQt.QtGui import QIcon

from ..core.atomic import check_outputs
from ..core.errors import Cancelled, SubsidenceError
from ..core.grid import Grid
from ..core.io.mintpy import read_attrs
from ..core.io.quicklook import write_quicklook
from ..core.progress import WARNING_PREFIX, ProgressCallback
from ..plugin.bridge import grid_crs
from .parameters import check_dates
from .qgis_compat import ProcessingParameterFlag, ProcessingSourceType

PLUGIN_DIR = Path(__file__).resolve().parent.parent
#: the toolbox icon of each group
ICONS = PLUGIN_DIR / "icons"


def _help_pages() -> str:
    """Where the algorithm pages (docs/algorithms/<id>.md) are published: the plugin's
    homepage (metadata.txt) on its main branch."""
    config = configparser.ConfigParser()
    config.read(PLUGIN_DIR / "metadata.txt")
    return config["general"]["homepage"].rstrip("/") + "/blob/main/docs/algorithms"


HELP_PAGES = _help_pages()
#: metadata key of a destination parameter: the style (a kind of plugin.styling.style_layer)
#: its layer gets when QGIS loads it
STYLE_KEY = "insar_subsidence_style"
#: metadata key of a quick-look destination: the output whose MintPy file it summarises
QUICKLOOK_KEY = "insar_subsidence_quicklook_of"
LAYER_DESTINATIONS = (
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
)

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


class RunLog:
    """The log of one run: each line is written once, and of the messages of a loop
    ("Interferogram 3/251: ...", "GACOS 20190116", "12,000 points imported") only the first,
    since the progress bar shows the rest (a dialog logs its progress text too)."""

    def __init__(self, feedback: Optional[QgsProcessingFeedback]):
        self.feedback = feedback
        self.said = set()
        self.loop = None

    @staticmethod
    def loop_key(message: str) -> Optional[str]:
        """What the messages of one loop share: the text before ': ' with the numbers
        blanked (None for a message without numbers)."""
        if not re.search(r"\d", message):
            return None
        return re.sub(r"\d[\d,.]*", "#", message.split(": ")[0])

    def info(self, message: str, warning: bool = False) -> None:
        """Write ``message`` once; a core warning (:data:`WARNING_PREFIX`) as a warning."""
        if self.feedback is None or not message or message in self.said:
            return
        self.said.add(message)
        if message.startswith(WARNING_PREFIX):
            warning, message = True, message[len(WARNING_PREFIX) :]
        (self.feedback.pushWarning if warning else self.feedback.pushInfo)(message)

    def progress_message(self, message: str) -> None:
        if message.startswith(WARNING_PREFIX):  # every warning is written, none is a loop's
            self.info(message)
            return
        key = self.loop_key(message)
        if key is not None and key == self.loop:
            return
        self.loop = key
        self.info(message)


def feedback_progress(
    feedback: Optional[QgsProcessingFeedback], log: Optional[RunLog] = None
) -> ProgressCallback:
    """A core progress callback that drives a Processing feedback (the bar, and the log
    through ``log``) and reads its cancel flag."""
    log = log or RunLog(feedback)

    def progress(fraction: float, message: str = "") -> bool:
        if feedback is None:
            return True
        feedback.setProgress(100.0 * fraction)
        if message:
            log.progress_message(message)
        return not feedback.isCanceled()

    return progress


def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    """Mark a parameter as advanced (folded away in the algorithm dialog) and return it."""
    parameter.setFlags(parameter.flags() | ProcessingParameterFlag.Advanced)
    return parameter


def styled(parameter: QgsProcessingParameterDefinition, kind: str):
    """Declare the style of a destination's layer when QGIS loads it (a kind of
    :func:`plugin.styling.style_layer`: ``velocity``, ``classes``, ``coherence``...) and
    return the parameter. Undeclared outputs are styled from what they hold."""
    parameter.setMetadata({**parameter.metadata(), STYLE_KEY: kind})
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
    #: what the step does and how (the method), plain text
    HELP = ""
    #: units and sign conventions of the inputs and outputs
    UNITS = ""
    #: where the method comes from: the papers by their key in docs/architecture.md, others
    SOURCE = ""
    #: search words of the toolbox besides the group, "insar" and "subsidence"
    TAGS = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        process = cls.__dict__.get("processAlgorithm")
        if process is not None:
            cls.processAlgorithm = _finishing_outputs(process)

    def name(self) -> str:
        return self.ALGORITHM_ID

    def displayName(self) -> str:
        return self.DISPLAY_NAME

    def group(self) -> str:
        return GROUPS[self.GROUP]

    def groupId(self) -> str:
        return self.GROUP

    def shortHelpString(self) -> str:
        """The dialog's help panel: the method, units and signs, and the source."""
        parts = [f"<p>{html.escape(self.HELP)}</p>"]  # "< -40 mm/yr" is text, not a tag
        if self.UNITS:
            parts.append(f"<p><b>Units and signs.</b> {html.escape(self.UNITS)}</p>")
        if self.SOURCE:
            parts.append(f"<p><b>Source.</b> {html.escape(self.SOURCE)}</p>")
        parts.append(f'<p>More: <a href="{self.helpUrl()}">the page of this algorithm</a>.</p>')
        return "".join(parts)

    def helpUrl(self) -> str:
        return f"{HELP_PAGES}/{self.ALGORITHM_ID}.md"

    def tags(self) -> list:
        return [*self.TAGS, GROUPS[self.GROUP].lower(), "insar", "subsidence"]

    def icon(self) -> QIcon:
        return QIcon(self.svgIconPath())

    def svgIconPath(self) -> str:
        return str(ICONS / f"{self.GROUP}.svg")

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
        destinations = self.destinationParameterDefinitions()
        if destinations and not any(
            asked_for(parameters, d.name()) or not d.flags() & ProcessingParameterFlag.Optional
            for d in destinations
        ):
            return False, "No output chosen: every output is skipped. Fix: choose at least one."
        try:
            check_outputs(self._named_output_files(parameters), [])
            check_dates(self, parameters, context)
            problem = self.check_inputs(parameters, context)
        except SubsidenceError as exc:
            return False, str(exc)
        except QgsProcessingException as exc:
            return False, str(exc)
        return (False, problem) if problem else (True, "")

    def check_inputs(self, parameters, context) -> Optional[str]:
        """What is wrong with the inputs, found before any work (None when nothing is): the
        same product twice, a layer of the wrong kind, products that do not overlap, a point
        outside the grid. Subclasses override it; core errors raised here are reported too."""
        return None

    def reference_outside_grid(self, parameters, context, stack_name, point_name):
        """The refusal of a reference point (parameter ``point_name``) outside the grid of the
        stack or series in parameter ``stack_name``; None when it lies inside or is not set."""
        if not parameters.get(point_name) or not parameters.get(stack_name):
            return None
        path = self.parameterAsFile(parameters, stack_name, context)
        try:
            grid = Grid.from_attrs(read_attrs(path))
        except (KeyError, ValueError):  # not georeferenced: the step itself says so
            return None
        if grid.radar:  # placed through the lookup tables, which the step itself reads
            return None
        point = self.parameterAsPoint(parameters, point_name, context, grid_crs(grid))
        row, col = grid.rowcol(point.x(), point.y())
        if grid.contains(row, col):
            return None
        xmin, ymin, xmax, ymax = grid.extent
        return (
            f"{Path(path).name}: the {point_name} point ({point.x():.6g}, {point.y():.6g}) lies "
            f"outside the grid ({xmin:.6g} to {xmax:.6g}, {ymin:.6g} to {ymax:.6g} in "
            f"{grid_crs(grid).authid() or 'its CRS'}). Fix: click a point inside the stack."
        )

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
            return function(
                *args, progress=feedback_progress(feedback, self.run_log(feedback)), **kwargs
            )
        except Cancelled as exc:
            raise QgsProcessingException(str(exc)) from None
        except SubsidenceError as exc:
            raise QgsProcessingException(str(exc)) from None

    def run_log(self, feedback) -> RunLog:
        """The log of this run (shared by every core call and :meth:`log`)."""
        log = self.__dict__.get("_run_log")
        if log is None or log.feedback is not feedback:
            log = self._run_log = RunLog(feedback)
        return log

    def log(self, feedback, *lines: str) -> None:
        """Write result lines to the log, leaving out those already written in this run
        (core often reports its summary as progress too)."""
        for line in lines:
            self.run_log(feedback).info(line)

    def warn(self, feedback, *lines: str) -> None:
        """Write warnings to the log, leaving out those already written in this run."""
        for line in lines:
            self.run_log(feedback).info(line, warning=True)

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

    # ------------------------------------------------------------------ outputs, once per run
    def prepareAlgorithm(self, parameters, context, feedback) -> bool:
        self._destinations = {}
        return True

    def parameterAsOutputLayer(self, parameters, name, context) -> str:
        return self.destination(parameters, name, context) or ""

    def parameterAsFileOutput(self, parameters, name, context) -> str:
        return self.destination(parameters, name, context) or ""

    def parameterAsString(self, parameters, name, context) -> str:
        definition = self.parameterDefinition(name)
        if definition is not None and definition.isDestination():
            return self.destination(parameters, name, context) or ""
        return super().parameterAsString(parameters, name, context)

    def parameterAsSink(self, parameters, name, context, fields, *args, **kwargs):
        sink, destination = super().parameterAsSink(
            parameters, name, context, fields, *args, **kwargs
        )
        if destination:
            self._style_when_loaded(context, name, destination)
        self.__dict__.setdefault("_sinks", set()).add(name)
        return sink, destination

    def optional_output(self, parameters, name: str, context) -> Optional[str]:
        """Path of an output, or None when the user skipped it."""
        return self.destination(parameters, name, context)

    def destination(self, parameters, name: str, context) -> Optional[str]:
        """The path of destination parameter ``name`` for this run, or None when skipped.

        Resolved once per run and remembered: Processing makes a new temporary path (and
        registers one more layer to load) at every ``parameterAsOutputLayer`` or
        ``parameterAsFileOutput`` call, so every request of an output goes through here (the
        base class routes those calls here). A required output left empty is a temporary
        file; an optional one left empty is skipped. A layer QGIS will load gets the style
        declared with :func:`styled` (else one chosen from what the layer holds)."""
        resolved = self.__dict__.setdefault("_destinations", {})
        if name in resolved:
            return resolved[name]
        definition = self.parameterDefinition(name)
        empty = not asked_for(parameters, name)
        if empty and not definition.flags() & ProcessingParameterFlag.Optional:
            parameters = {**parameters, name: QgsProcessing.TEMPORARY_OUTPUT}
        elif empty:
            _forget_empty_layer(context)  # batch mode registers skipped outputs as ''
            resolved[name] = None
            return None
        if isinstance(definition, LAYER_DESTINATIONS):
            path = super().parameterAsOutputLayer(parameters, name, context)
        elif isinstance(definition, QgsProcessingParameterFolderDestination):
            path = super().parameterAsString(parameters, name, context)
        else:
            path = super().parameterAsFileOutput(parameters, name, context)
        _forget_empty_layer(context)
        resolved[name] = path or None
        if path:
            self._style_when_loaded(context, name, path)
        return resolved[name]

    def style_on_load(self, context: QgsProcessingContext, layer_id: str, style: str) -> None:
        """Style an output layer with ``style`` (a kind of :func:`plugin.styling.style_layer`)
        when Processing loads it, in place of the style its parameter declares. Does nothing
        when the output is not being loaded."""
        if context.willLoadLayerOnCompletion(layer_id):
            from ..plugin.styling import StylePostProcessor

            details = context.layerToLoadOnCompletionDetails(layer_id)
            details.setPostProcessor(StylePostProcessor.create(style))

    def _style_when_loaded(self, context, name: str, layer_id: str) -> None:
        definition = self.parameterDefinition(name)
        self.style_on_load(context, layer_id, definition.metadata().get(STYLE_KEY, "auto"))

    def finish_outputs(self, parameters, context, feedback, results: dict) -> dict:
        """After ``processAlgorithm``: write the quick-looks declared with
        :func:`quicklook_destination` from the files the run wrote, and report an output that
        was asked for but not written (it is not loaded, and its result is None)."""
        results = dict(results or {})
        for definition in self.destinationParameterDefinitions():
            source_name = definition.metadata().get(QUICKLOOK_KEY)
            if source_name is None:
                continue
            name = definition.name()
            source = results.get(source_name)
            target = self.destination(parameters, name, context)
            results[name] = None
            if not (target and source and Path(str(source)).is_file()):
                continue
            try:
                results[name] = str(self.run_core(feedback, write_quicklook, str(source), target))
            except QgsProcessingException as exc:  # the step itself went well
                feedback.reportError(f"{definition.description()}: {exc}", fatalError=False)
        resolved = self.__dict__.get("_destinations", {})
        for definition in self.destinationParameterDefinitions():
            name = definition.name()
            if name in resolved:
                path = resolved[name]
                if path is None or Path(path).exists():
                    continue
                _forget_layer(context, path)
                if results.get(name) == path:
                    results[name] = None
            elif name in self.__dict__.get("_sinks", ()) or not asked_for(parameters, name):
                continue
            feedback.pushWarning(f"{definition.description()}: not written by this run.")
        return results


def quicklook_destination(
    name: str, description: str, of: str, style: str, help_text: str
) -> QgsProcessingParameterRasterDestination:
    """An optional GeoTIFF output (made by default) summarising the MintPy file written to
    output ``of``: the base class writes it after the run (:mod:`core.io.quicklook`) and QGIS
    loads it styled as ``style``."""
    parameter = QgsProcessingParameterRasterDestination(
        name, description, optional=True, createByDefault=True
    )
    parameter.setHelp(help_text)
    parameter.setMetadata({QUICKLOOK_KEY: of, STYLE_KEY: style})
    return parameter


def stack_quicklook(name: str, of: str) -> QgsProcessingParameterRasterDestination:
    """Quick look of the interferogram stack written to output ``of``."""
    return quicklook_destination(
        name,
        "Quick look: mean coherence and kept pairs (GeoTIFF)",
        of,
        "coherence",
        "Band 1: mean coherence of the kept pairs (0..1); band 2: number of kept pairs with an "
        "unwrapped phase, per pixel. Loaded on the map to check the step.",
    )


def series_quicklook(name: str, of: str) -> QgsProcessingParameterRasterDestination:
    """Quick look of the time series written to output ``of``."""
    return quicklook_destination(
        name,
        "Quick look: cumulative displacement, first to last date (mm)",
        of,
        "displacement",
        "LOS displacement from the first to the last date in mm, positive toward the "
        "satellite (subsidence negative). Loaded on the map to check the step.",
    )


def coherence_quicklook(name: str, of: str) -> QgsProcessingParameterRasterDestination:
    """Quick look of the temporal coherence written to output ``of``."""
    return quicklook_destination(
        name,
        "Quick look: temporal coherence (GeoTIFF)",
        of,
        "coherence",
        "Temporal coherence |mean(exp(j residual))| per pixel (0..1): low where the inversion "
        "did not fit the interferograms. Loaded on the map to check the step.",
    )


def _finishing_outputs(process: Callable) -> Callable:
    """``processAlgorithm`` followed by :meth:`SubsidenceAlgorithm.finish_outputs` (once, also
    when a subclass calls its parent's ``processAlgorithm``)."""

    @functools.wraps(process)
    def processAlgorithm(self, parameters, context, feedback):
        depth = self.__dict__.get("_process_depth", 0)
        self._process_depth = depth + 1
        try:
            results = process(self, parameters, context, feedback)
        except SubsidenceError as exc:  # bad input found outside run_core
            raise QgsProcessingException(str(exc)) from None
        finally:
            self._process_depth = depth
        if depth:
            return results
        return self.finish_outputs(parameters, context, feedback, results)

    return processAlgorithm


def asked_for(parameters, name: str) -> bool:
    """Whether destination parameter ``name`` is given (not skipped) in ``parameters``."""
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    return value not in (None, "")


def _forget_layer(context: QgsProcessingContext, layer: str) -> None:
    """Do not load ``layer`` on completion (an output that was not written)."""
    if context.willLoadLayerOnCompletion(layer):
        layers = context.layersToLoadOnCompletion()
        del layers[layer]
        context.setLayersToLoadOnCompletion(layers)


def _forget_empty_layer(context: QgsProcessingContext) -> None:
    """Drop the layer with an empty path that Processing registers for a skipped output."""
    _forget_layer(context, "")


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
