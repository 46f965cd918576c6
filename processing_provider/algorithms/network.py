"""Network algorithms: select the interferogram network of a stack, plan a network for HyP3,
and triplet loop closure."""

from __future__ import annotations

from typing import Type

from qgis.core import (
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
)

from ...core.io.mintpy import IfgramStack
from ...core.network.loop_closure import (
    LoopClosureOptions,
    run_loop_closure,
    worst_pairs,
)
from ...core.network.selection import (
    NetworkPlanOptions,
    PairSelectionOptions,
    modify_network,
    plan_network_files,
)
from ...plugin.bridge import grid_crs
from ..base import SubsidenceAlgorithm, stack_quicklook, styled
from ..parameters import (
    date_parameter,
    mintpy_file,
    option_help,
    option_parameter,
    read_date,
    read_dates,
    with_help,
)

H5_FILTER = "HDF5 files (*.h5)"
CSV_FILTER = "CSV files (*.csv)"
PNG_FILTER = "PNG images (*.png)"
STACK_HELP = "MintPy-compatible interferogram stack, from the ingest or an earlier network step."
PLOT_HELP = (
    "Acquisition time against perpendicular baseline (m), with the pairs drawn between them."
)


class _PairSelectionAlgorithm(SubsidenceAlgorithm):
    """Baseline, connection and date parameters shared by 'network' and 'plannetwork'."""

    MAX_TEMPORAL_BASELINE = "MAX_TEMPORAL_BASELINE"
    MAX_PERP_BASELINE = "MAX_PERP_BASELINE"
    MAX_CONNECTIONS = "MAX_CONNECTIONS"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    EXCLUDE_DATES = "EXCLUDE_DATES"

    def add_selection_parameters(self, options_class: Type[PairSelectionOptions]) -> None:
        """The selection parameters, with the defaults of ``options_class``."""
        self.addParameter(
            option_parameter(
                self.MAX_TEMPORAL_BASELINE,
                options_class,
                "max_temporal_baseline",
                "Maximum temporal baseline (days; 0 = no limit)",
                zero_is_none=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.MAX_PERP_BASELINE,
                options_class,
                "max_perp_baseline",
                "Maximum perpendicular baseline (m; 0 = no limit)",
                zero_is_none=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.MAX_CONNECTIONS,
                options_class,
                "max_connections",
                "Maximum connections: pair each acquisition with at most its N "
                "next acquisitions (0 = no limit)",
            )
        )
        for name, field, description in (
            (self.START_DATE, "start_date", "First date to use (empty = all)"),
            (self.END_DATE, "end_date", "Last date to use (empty = all)"),
        ):
            self.addParameter(date_parameter(name, description, option_help(options_class, field)))
        self.addParameter(
            date_parameter(
                self.EXCLUDE_DATES,
                "Dates to exclude",
                option_help(options_class, "exclude_dates"),
                several=True,
            )
        )

    def read_selection(self, parameters, context, options_class, **given):
        """``options_class`` from the selection parameters and any other option parameters."""

        return self.read_options(
            parameters,
            context,
            options_class,
            start_date=read_date(self, parameters, self.START_DATE, context),
            end_date=read_date(self, parameters, self.END_DATE, context),
            exclude_dates=read_dates(self, parameters, self.EXCLUDE_DATES, context),
            **given,
        )


class ModifyNetwork(_PairSelectionAlgorithm):
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
    UNITS = "Temporal baselines in days, perpendicular baselines in m, coherence 0..1."
    SOURCE = (
        "paper 001 (84 days / 150 m thresholds), paper 002 (30 days / 300 m, pairs with mean "
        "coherence below 0.1 dropped); the coherence spanning tree keeps the network "
        "connected (Berardino et al. 2002 need a connected network)."
    )
    TAGS = ("small baseline", "sbas", "interferogram", "coherence", "spanning tree")
    INPUT = "INPUT"
    MIN_COHERENCE = "MIN_COHERENCE"
    KEEP_MST = "KEEP_MST"
    AOI = "AOI"
    OUTPUT = "OUTPUT"
    OUTPUT_PAIRS = "OUTPUT_PAIRS"
    OUTPUT_PLOT = "OUTPUT_PLOT"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(
            mintpy_file(self.INPUT, "Interferogram stack (ifgramStack.h5)", STACK_HELP)
        )
        self.add_selection_parameters(PairSelectionOptions)
        self.addParameter(
            option_parameter(
                self.MIN_COHERENCE,
                PairSelectionOptions,
                "min_coherence",
                "Drop pairs whose mean coherence is below (0 = keep all)",
            )
        )
        self.addParameter(
            option_parameter(
                self.KEEP_MST,
                PairSelectionOptions,
                "keep_mst",
                "Keep the most coherent spanning tree (network stays connected)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterExtent(
                    self.AOI,
                    "Area where mean coherence is measured (default: whole stack)",
                    optional=True,
                ),
                "Mean coherence of each pair is measured inside this extent (any CRS), e.g. "
                "around the mine; empty = the whole stack.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Stack with the selected network (new ifgramStack .h5)", H5_FILTER
                ),
                "A new stack with dropIfgram updated (True = pair kept); the input stack is not "
                "changed.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_PAIRS, "Pair table (CSV)", CSV_FILTER, optional=True
                ),
                "One row per pair: dates, temporal (days) and perpendicular (m) baselines, mean "
                "coherence, kept or not and why.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_PLOT, "Baseline plot (PNG)", PNG_FILTER, optional=True
                ),
                PLOT_HELP + " Kept and dropped pairs are told apart.",
            )
        )
        self.addParameter(stack_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        stack_path = self.parameterAsFile(parameters, self.INPUT, context)
        aoi = None
        if parameters.get(self.AOI):
            locator = self.run_core(
                feedback, lambda path, progress: IfgramStack.open(path).locator, stack_path
            )
            crs = grid_crs(locator)
            rect = self.parameterAsExtent(parameters, self.AOI, context, crs)
            if not rect.isNull():
                aoi = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        options = self.read_selection(parameters, context, PairSelectionOptions, aoi=aoi)
        outputs = {
            name: self.parameterAsFileOutput(parameters, name, context)
            for name in (self.OUTPUT, self.OUTPUT_PAIRS, self.OUTPUT_PLOT)
        }
        result = self.run_core(
            feedback,
            modify_network,
            stack_path,
            outputs[self.OUTPUT],
            options,
            outputs[self.OUTPUT_PAIRS] or None,
            outputs[self.OUTPUT_PLOT] or None,
        )
        self.log(feedback, *result.summary().splitlines())
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


class PlanNetwork(_PairSelectionAlgorithm):
    ALGORITHM_ID = "plannetwork"
    DISPLAY_NAME = "Plan interferogram network (pairs to order from HyP3)"
    GROUP = "network"
    HELP = (
        "Plans a small-baseline network before any processing, from a CSV of acquisitions "
        "(date, bperp in m, optional granule) or a text file of Sentinel-1 granule names. "
        "Writes the pair list to submit to ASF HyP3 (reference and secondary granules) and "
        "a baseline plot; a bridging pair is added where the rules would split the network."
    )
    UNITS = "Temporal baselines in days, perpendicular baselines in m."
    SOURCE = (
        "paper 001 (84 days / 150 m) and paper 002 (30 days / 300 m); pairs to order from ASF "
        "HyP3 as in paper 002."
    )
    TAGS = ("hyp3", "order", "small baseline", "sbas", "planning")
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    OUTPUT_PLOT = "OUTPUT_PLOT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT,
                    "Acquisitions: CSV (date,bperp[,granule]) or text file of granule names",
                ),
                "The acquisitions to pair: a CSV of date, perpendicular baseline (m) and "
                "optional granule name, or a text file of Sentinel-1 granule names (one a line).",
            )
        )
        self.add_selection_parameters(NetworkPlanOptions)
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Pairs to order (CSV)", CSV_FILTER
                ),
                "reference_granule,secondary_granule per pair (the inputs of an ASF HyP3 "
                "INSAR_GAMMA job), with dates and baselines.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_PLOT, "Baseline plot (PNG)", PNG_FILTER, optional=True
                ),
                PLOT_HELP,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_selection(
            parameters, context, NetworkPlanOptions, min_coherence=0.0, keep_mst=False
        )
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        plot = self.parameterAsFileOutput(parameters, self.OUTPUT_PLOT, context)
        result = self.run_core(
            feedback,
            plan_network_files,
            self.parameterAsFile(parameters, self.INPUT, context),
            output,
            plot or None,
            options,
        )
        self.log(feedback, *result.summary().splitlines())
        return {self.OUTPUT: output, self.OUTPUT_PLOT: plot or None, "PAIRS": result.num_kept}


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
    UNITS = (
        "Closure phase of each triplet ij + jk - ik in radians, counted as broken when it is "
        "a non-zero integer number of 2 pi cycles; counts per pixel."
    )
    SOURCE = (
        "the triplet closure check of MintPy (Yunjun et al. 2019) used in paper 002's workflow."
    )
    TAGS = ("unwrapping error", "closure phase", "triplet", "quality")
    INPUT = "INPUT"
    DROP_FRACTION = "DROP_FRACTION"
    OUTPUT = "OUTPUT"
    OUTPUT_STATS = "OUTPUT_STATS"
    OUTPUT_STACK = "OUTPUT_STACK"

    def initAlgorithm(self, config=None):
        self.addParameter(
            mintpy_file(self.INPUT, "Interferogram stack (ifgramStack.h5)", STACK_HELP)
        )
        self.addParameter(
            option_parameter(
                self.DROP_FRACTION,
                LoopClosureOptions,
                "drop_fraction",
                "Drop pairs whose share of broken closures exceeds (0 = keep all)",
            )
        )
        self.addParameter(
            styled(
                with_help(
                    QgsProcessingParameterRasterDestination(
                        self.OUTPUT, "Broken triplets per pixel"
                    ),
                    "GeoTIFF: band 1 = triplets whose closure is a non-zero number of 2 pi cycles, "
                    "band 2 = triplets tested, per pixel.",
                ),
                "count",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_STATS,
                    "Per-pair closure statistics (CSV)",
                    CSV_FILTER,
                    optional=True,
                ),
                "Per pair: closures tested, closures broken and their share.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_STACK,
                    "Cleaned stack (new ifgramStack .h5)",
                    H5_FILTER,
                    optional=True,
                    createByDefault=False,
                ),
                "A new stack without the pairs that fail most (dropIfgram updated); the input "
                "is not changed.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        stack = self.parameterAsFile(parameters, self.INPUT, context)
        raster = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        stats = self.parameterAsFileOutput(parameters, self.OUTPUT_STATS, context)
        cleaned = self.parameterAsFileOutput(parameters, self.OUTPUT_STACK, context) or None
        options = self.read_options(parameters, context, LoopClosureOptions)
        result = self.run_core(
            feedback, run_loop_closure, stack, raster, stats or None, cleaned, options
        )
        ifgrams = IfgramStack.open(stack)
        worst = ", ".join(
            f"{d1:%Y%m%d}_{d2:%Y%m%d} ({100 * fraction:.2f} % broken)"
            for d1, d2, fraction in worst_pairs(ifgrams.pairs, result, 5)
        )
        self.log(feedback, f"Pairs failing most: {worst}")
        dropped = int((result.keep != ifgrams.keep).sum())
        return {
            self.OUTPUT: raster,
            self.OUTPUT_STATS: stats or None,
            self.OUTPUT_STACK: cleaned,
            "TRIPLETS": len(result.triplets),
            "DROPPED": dropped,
            "PIXELS_WITH_ERRORS": int((result.count > 0).sum()),
        }
