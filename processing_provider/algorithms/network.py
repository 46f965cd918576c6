"""Network algorithms: select the interferogram network of a stack, plan a network for HyP3,
and triplet loop closure."""

from __future__ import annotations

from typing import List, Optional

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ...core.dates import parse_yyyymmdd
from ...core.io.mintpy import IfgramStack
from ...core.network.loop_closure import (
    LoopClosureOptions,
    run_loop_closure,
    worst_pairs,
)
from ...core.network.selection import (
    PLAN_DEFAULTS,
    NetworkOptions,
    modify_network,
    plan_network_files,
)
from ...plugin.bridge import grid_crs
from ..base import SubsidenceAlgorithm

H5_FILTER = "HDF5 files (*.h5)"
CSV_FILTER = "CSV files (*.csv)"
PNG_FILTER = "PNG images (*.png)"


def _date(text: str, name: str):
    return parse_yyyymmdd(text.strip().replace("-", ""), name) if text and text.strip() else None


def _dates(text: str, name: str) -> List:
    return [_date(part, name) for part in (text or "").replace(";", ",").split(",") if part.strip()]


def _optional_number(value: float) -> Optional[float]:
    return value if value and value > 0 else None


def add_selection_parameters(algorithm, defaults: NetworkOptions) -> None:
    """Baseline, connection and date parameters shared by 'network' and 'plannetwork'."""
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "MAX_TEMPORAL_BASELINE",
            "Maximum temporal baseline (days; 0 = no limit)",
            QgsProcessingParameterNumber.Double,
            defaults.max_temporal_baseline or 0,
            minValue=0,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "MAX_PERP_BASELINE",
            "Maximum perpendicular baseline (m; 0 = no limit)",
            QgsProcessingParameterNumber.Double,
            defaults.max_perp_baseline or 0,
            minValue=0,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "MAX_CONNECTIONS",
            "Maximum connections: pair each acquisition with at most its N "
            "next acquisitions (0 = no limit)",
            QgsProcessingParameterNumber.Integer,
            defaults.max_connections,
            minValue=0,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterString(
            "START_DATE", "First date to use (YYYYMMDD; empty = all)", optional=True
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterString(
            "END_DATE", "Last date to use (YYYYMMDD; empty = all)", optional=True
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterString(
            "EXCLUDE_DATES", "Dates to exclude (YYYYMMDD, comma separated)", optional=True
        )
    )


def read_selection(algorithm, parameters, context, **extra) -> NetworkOptions:
    def text(name):
        return algorithm.parameterAsString(parameters, name, context)

    return NetworkOptions(
        max_temporal_baseline=_optional_number(
            algorithm.parameterAsDouble(parameters, "MAX_TEMPORAL_BASELINE", context)
        ),
        max_perp_baseline=_optional_number(
            algorithm.parameterAsDouble(parameters, "MAX_PERP_BASELINE", context)
        ),
        max_connections=algorithm.parameterAsInt(parameters, "MAX_CONNECTIONS", context),
        start_date=_date(text("START_DATE"), "START_DATE"),
        end_date=_date(text("END_DATE"), "END_DATE"),
        exclude_dates=_dates(text("EXCLUDE_DATES"), "EXCLUDE_DATES"),
        **extra,
    )


class ModifyNetwork(SubsidenceAlgorithm):
    ALGORITHM_ID = "network"
    DISPLAY_NAME = "Select interferogram network"
    GROUP = "network"
    HELP = (
        "Selects the interferograms of a stack by temporal and perpendicular baseline, "
        "connections per acquisition, dates, and mean coherence (inside an optional area). "
        "Low-coherence pairs are dropped except those on the most coherent spanning tree, so "
        "the network stays connected. Writes a new stack (dropIfgram updated; the input is "
        "untouched), a pair table and a baseline plot, and reports split networks, "
        "acquisitions in fewer than two pairs, and pairs that would bridge a split."
    )
    defaults = NetworkOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "Interferogram stack (ifgramStack.h5)", extension="h5"
            )
        )
        add_selection_parameters(self, self.defaults)
        self.addParameter(
            QgsProcessingParameterNumber(
                "MIN_COHERENCE",
                "Drop pairs whose mean coherence is below (0 = keep all)",
                QgsProcessingParameterNumber.Double,
                self.defaults.min_coherence,
                minValue=0,
                maxValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "KEEP_MST",
                "Keep the most coherent spanning tree (network stays connected)",
                self.defaults.keep_mst,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(
                "AOI", "Area where mean coherence is measured (default: whole stack)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "Stack with the selected network (new ifgramStack .h5)", H5_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_PAIRS", "Pair table (CSV)", CSV_FILTER, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_PLOT", "Baseline plot (PNG)", PNG_FILTER, optional=True
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        stack_path = self.parameterAsFile(parameters, "INPUT", context)
        aoi = None
        if parameters.get("AOI"):
            stack = self.run_core(
                feedback, lambda path, progress: IfgramStack.open(path), stack_path
            )
            crs = grid_crs(stack.grid)
            rect = self.parameterAsExtent(parameters, "AOI", context, crs)
            if not rect.isNull():
                aoi = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        options = read_selection(
            self,
            parameters,
            context,
            min_coherence=self.parameterAsDouble(parameters, "MIN_COHERENCE", context),
            keep_mst=self.parameterAsBool(parameters, "KEEP_MST", context),
            aoi=aoi,
        )
        outputs = {
            name: self.parameterAsFileOutput(parameters, name, context)
            for name in ("OUTPUT", "OUTPUT_PAIRS", "OUTPUT_PLOT")
        }
        result = self.run_core(
            feedback,
            modify_network,
            stack_path,
            outputs["OUTPUT"],
            options,
            outputs["OUTPUT_PAIRS"] or None,
            outputs["OUTPUT_PLOT"] or None,
        )
        for line in result.summary().splitlines():
            feedback.pushInfo(line)
        if len(result.components) > 1:
            feedback.reportError(
                f"The network is split into {len(result.components)} parts; the inversion "
                "will solve each part separately. See the proposed bridging pairs above.",
                fatalError=False,
            )
        return {
            **{k: v or None for k, v in outputs.items()},
            "KEPT": result.num_kept,
            "DROPPED": result.num_dropped,
            "COMPONENTS": len(result.components),
        }


class PlanNetwork(SubsidenceAlgorithm):
    ALGORITHM_ID = "plannetwork"
    DISPLAY_NAME = "Plan interferogram network (pairs to order from HyP3)"
    GROUP = "network"
    HELP = (
        "Plans a small-baseline network before any processing, from a CSV of acquisitions "
        "(date, bperp in m, optional granule) or a text file of Sentinel-1 granule names. "
        "Writes the pair list to submit to ASF HyP3 (reference and secondary granules) and "
        "a baseline plot; a bridging pair is added where the rules would split the network."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "Acquisitions: CSV (date,bperp[,granule]) or text file of granule names"
            )
        )
        add_selection_parameters(self, PLAN_DEFAULTS)
        self.addParameter(
            QgsProcessingParameterFileDestination("OUTPUT", "Pairs to order (CSV)", CSV_FILTER)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_PLOT", "Baseline plot (PNG)", PNG_FILTER, optional=True
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = read_selection(self, parameters, context, min_coherence=0.0, keep_mst=False)
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        plot = self.parameterAsFileOutput(parameters, "OUTPUT_PLOT", context)
        result = self.run_core(
            feedback,
            plan_network_files,
            self.parameterAsFile(parameters, "INPUT", context),
            output,
            plot or None,
            options,
        )
        for line in result.summary().splitlines():
            feedback.pushInfo(line)
        return {"OUTPUT": output, "OUTPUT_PLOT": plot or None, "PAIRS": result.num_kept}


class LoopClosure(SubsidenceAlgorithm):
    ALGORITHM_ID = "loopclosure"
    DISPLAY_NAME = "Triplet loop closure (unwrapping errors)"
    GROUP = "network"
    HELP = (
        "Checks every closed triplet of interferograms (ij + jk - ik) for a non-zero integer "
        "number of 2 pi cycles, the signature of an unwrapping error. Writes a raster of "
        "broken triplets per pixel (band 2: triplets tested), a per-pair table, and "
        "optionally a new stack without the pairs that fail most."
    )
    defaults = LoopClosureOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "Interferogram stack (ifgramStack.h5)", extension="h5"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "DROP_FRACTION",
                "Drop pairs whose share of broken closures exceeds (0 = keep all)",
                QgsProcessingParameterNumber.Double,
                self.defaults.drop_fraction,
                minValue=0,
                maxValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination("OUTPUT", "Broken triplets per pixel")
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_STATS", "Per-pair closure statistics (CSV)", CSV_FILTER, optional=True
            )
        )
        stack_out = QgsProcessingParameterFileDestination(
            "OUTPUT_STACK",
            "Cleaned stack (new ifgramStack .h5)",
            H5_FILTER,
            optional=True,
            createByDefault=False,
        )
        self.addParameter(stack_out)

    def processAlgorithm(self, parameters, context, feedback):
        stack = self.parameterAsFile(parameters, "INPUT", context)
        raster = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        stats = self.parameterAsFileOutput(parameters, "OUTPUT_STATS", context)
        cleaned = self.parameterAsFileOutput(parameters, "OUTPUT_STACK", context) or None
        options = LoopClosureOptions(
            drop_fraction=self.parameterAsDouble(parameters, "DROP_FRACTION", context)
        )
        result = self.run_core(
            feedback, run_loop_closure, stack, raster, stats or None, cleaned, options
        )
        ifgrams = IfgramStack.open(stack)
        feedback.pushInfo("Pairs failing most:")
        for d1, d2, fraction in worst_pairs(ifgrams.pairs, result, 5):
            feedback.pushInfo(f"  {d1:%Y%m%d}_{d2:%Y%m%d}: {100 * fraction:.2f} % broken")
        dropped = int((result.keep != ifgrams.keep).sum())
        return {
            "OUTPUT": raster,
            "OUTPUT_STATS": stats or None,
            "OUTPUT_STACK": cleaned,
            "TRIPLETS": len(result.triplets),
            "DROPPED": dropped,
            "PIXELS_WITH_ERRORS": int((result.count > 0).sum()),
        }
