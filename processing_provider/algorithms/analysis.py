"""Analysis algorithms: rates along profile lines, the comparison of two rate products (PS,
SBAS, EGMS or a second track) on a common grid, the decomposition of two or more tracks into
vertical and east-west motion, and GNSS as a check and a tie."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ...core.analysis.decomposition import (
    DecompositionOptions,
    check_products,
    decompose,
    open_products,
)
from ...core.analysis.gnss import (
    GnssComparisonOptions,
    GnssTieOptions,
    compare_with_gnss,
    tie_to_gnss,
)
from ...core.analysis.los_products import LOS_HELP, LosProduct
from ...core.analysis.product_comparison import ProductComparisonOptions, compare_products
from ...core.analysis.profile import ProfileOptions, profile_lines
from ...core.errors import SubsidenceError
from ...core.io.gnss import read_gnss_layer
from ...core.options import option_spec
from ...plugin import bridge
from ..base import SubsidenceAlgorithm, advanced, layer_file, vector_file_destination
from ..parameters import option_help, option_parameter, with_help
from ..qgis_compat import GeometryType, ProcessingSourceType, WkbType, attribute_field


class Profile(SubsidenceAlgorithm):
    ALGORITHM_ID = "profile"
    DISPLAY_NAME = "Profiles along lines (rate, minimum, affected length)"
    GROUP = "analysis"
    HELP = (
        "Samples velocity rasters (mm/yr) and point layers (rate field, VEL by default) "
        "within a buffer of each line: the binned mean rate and its spread against the "
        "distance along the line (km and degrees), the funnel minimum, the width below a "
        "threshold and the total length below it (paper 001: railway length affected). "
        "Writes a CSV and a PNG chart per line in the output folder and a line layer of the "
        "affected segments."
    )
    INPUT = "INPUT"
    NAME_FIELD = "NAME_FIELD"
    RASTERS = "RASTERS"
    POINTS = "POINTS"
    FIELD = "FIELD"
    BUFFER = "BUFFER"
    THRESHOLD = "THRESHOLD"
    BIN = "BIN"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.INPUT, "Profile lines", [ProcessingSourceType.VectorLine]
                ),
                "Lines to profile along (cross-sections of a bowl, a railway, a road); each "
                "part of a multi-line is profiled on its own.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterField(
                    self.NAME_FIELD,
                    "Field naming each line (default: the feature id)",
                    parentLayerParameterName=self.INPUT,
                    optional=True,
                ),
                "Attribute used to name each line in the file names, the table and the chart "
                "(empty = the feature id).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterMultipleLayers(
                    self.RASTERS,
                    "Velocity rasters (mm/yr)",
                    ProcessingSourceType.Raster,
                    optional=True,
                ),
                "Velocity rasters in mm/yr (band 1) sampled along each line.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterMultipleLayers(
                    self.POINTS,
                    "Point layers with a rate field (file-based, e.g. GeoPackage)",
                    ProcessingSourceType.VectorPoint,
                    optional=True,
                ),
                "Point layers (PS, EGMS) stored in files; their points within the buffer are "
                "projected onto each line.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.FIELD, "Rate field of the point layers (mm/yr)", "VEL"
                ),
                "Field of the point layers holding the rate in mm/yr.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterDistance(
                    self.BUFFER,
                    "Buffer: half-width of the corridor sampled around each line",
                    ProfileOptions().buffer_m,
                    self.INPUT,
                    minValue=0.001,
                ),
                option_spec(ProfileOptions, "buffer_m").help
                + ", in the units of the line layer's CRS (metres when projected).",
            )
        )
        self.addParameter(
            option_parameter(
                self.THRESHOLD,
                ProfileOptions,
                "threshold_mm_yr",
                "Threshold (mm/yr): rates below it count as affected",
            )
        )
        self.addParameter(
            option_parameter(
                self.BIN,
                ProfileOptions,
                "bin_m",
                "Bin spacing along the line (m; 0 = pixel size or buffer)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFolderDestination(
                    self.OUTPUT_FOLDER, "Folder for the profile CSV and PNG of each line"
                ),
                "Receives profile_<line>.csv (binned rate against distance, km and degrees) "
                "and profile_<line>.png per line.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSink(
                    self.OUTPUT, "Affected segments", ProcessingSourceType.VectorLine
                ),
                "Parts of each line where the binned rate is below the threshold, with their "
                "length (m) and minimum rate (mm/yr).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException("The profile line layer could not be read.")
        if QgsWkbTypes.geometryType(source.wkbType()) != GeometryType.Line:
            raise QgsProcessingException(
                f"{source.sourceName()}: it holds {QgsWkbTypes.displayString(source.wkbType())} "
                "geometries; profiles are sampled along lines. Fix: give a line layer."
            )
        rasters = [
            layer.source()
            for layer in self.parameterAsLayerList(
                self.with_mintpy_layers(parameters), self.RASTERS, context
            )
        ]
        points = []
        for layer in self.parameterAsLayerList(parameters, self.POINTS, context):
            found = bridge.layer_file(layer)
            if found is None:
                raise QgsProcessingException(
                    f"{layer.name()}: a point layer must be stored in a file (GeoPackage, "
                    "Shapefile...). Fix: save it to a file first."
                )
            points.append(found)
        name_field = self.parameterAsString(parameters, self.NAME_FIELD, context)
        lines = []
        for feature in source.getFeatures():
            parts = bridge.line_parts(feature.geometry())
            for k, part in enumerate(parts):
                label = feature[name_field] if name_field else feature.id()
                name = str(label) + (f"_{k + 1}" if len(parts) > 1 else "")
                lines.append((name, [(p.x(), p.y()) for p in part]))
        options = self.read_options(
            parameters,
            context,
            ProfileOptions,
            buffer_m=self.parameterAsDouble(parameters, self.BUFFER, context),
        )
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        epsg, wkt = bridge.epsg_and_wkt(source.sourceCrs())
        results, affected = self.run_core(
            feedback,
            profile_lines,
            lines,
            rasters,
            points,
            folder,
            options,
            self.parameterAsString(parameters, self.FIELD, context) or "VEL",
            epsg,
            wkt,
        )

        fields = QgsFields()
        for name, kind in (
            ("line", str),
            ("source", str),
            ("start_m", float),
            ("end_m", float),
            ("length_m", float),
            ("min_rate", float),
        ):
            fields.append(attribute_field(name, kind))
        sink, dest_id = self.parameterAsSink(
            parameters, self.OUTPUT, context, fields, WkbType.LineString, source.sourceCrs()
        )
        for segment in affected:
            feature = QgsFeature(fields)
            feature.setGeometry(
                QgsGeometry.fromPolylineXY([QgsPointXY(float(x), float(y)) for x, y in segment.xy])
            )
            feature.setAttributes(
                [
                    segment.line,
                    segment.source,
                    segment.start_m,
                    segment.end_m,
                    segment.end_m - segment.start_m,
                    segment.minimum,
                ]
            )
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        for result in results:
            for profile in result.profiles:
                m = profile.metrics
                feedback.pushInfo(
                    f"line {result.line}, {profile.name}: minimum {m.minimum:.1f} mm/yr at "
                    f"{m.minimum_at_m:.0f} m, width below {m.threshold:g} mm/yr "
                    f"{m.width_m:.0f} m, affected {m.affected_length_m:.0f} of "
                    f"{m.line_length_m:.0f} m"
                )
        return {
            self.OUTPUT: dest_id,
            self.OUTPUT_FOLDER: folder,
            "CSV_FILES": [str(r.csv_path) for r in results],
            "CHART_FILES": [str(r.chart_path) for r in results],
        }


class CompareProducts(SubsidenceAlgorithm):
    ALGORITHM_ID = "crossvalidate"
    DISPLAY_NAME = "Cross-validate two rate products (PS vs SBAS, two tracks)"
    GROUP = "analysis"
    HELP = (
        "Compares two deformation-rate products (rasters or point layers) on a common grid "
        "of square cells: values are averaged per cell and converted to vertical with each "
        "product's incidence (degrees, a raster or a field; empty = no conversion). Writes "
        "N common cells, Pearson r, RMSE, mean and std of the differences (CSV), a "
        "difference raster, and a scatter plot with a histogram (PNG)."
    )
    INPUT_A = "INPUT_A"
    INPUT_B = "INPUT_B"
    CELL_SIZE = "CELL_SIZE"
    INCIDENCE_A = "INCIDENCE_A"
    INCIDENCE_B = "INCIDENCE_B"
    FIELD_A = "FIELD_A"
    FIELD_B = "FIELD_B"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_PLOT = "OUTPUT_PLOT"
    OUTPUT_DIFFERENCE = "OUTPUT_DIFFERENCE"

    def initAlgorithm(self, config=None):
        for name, description in (
            (self.INPUT_A, "Product A (raster or point layer, e.g. PS points)"),
            (self.INPUT_B, "Product B (raster or point layer, e.g. SBAS velocity)"),
        ):
            self.addParameter(
                with_help(
                    QgsProcessingParameterMapLayer(name, description),
                    "A rate product stored in a file: a raster (band 1) or a point layer, in "
                    "mm/yr like everything this toolkit writes.",
                )
            )
        self.addParameter(
            option_parameter(
                self.CELL_SIZE, ProductComparisonOptions, "cell_size_m", "Cell size (m)"
            )
        )
        self.addParameter(
            option_parameter(
                self.INCIDENCE_A,
                ProductComparisonOptions,
                "incidence_a",
                "Incidence of A: degrees, raster path or field (empty = vertical already)",
            )
        )
        self.addParameter(
            option_parameter(
                self.INCIDENCE_B,
                ProductComparisonOptions,
                "incidence_b",
                "Incidence of B: degrees, raster path or field (empty = vertical already)",
            )
        )
        self.addParameter(
            option_parameter(
                self.FIELD_A,
                ProductComparisonOptions,
                "field_a",
                "Velocity field of A when it is a point layer",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.FIELD_B,
                ProductComparisonOptions,
                "field_b",
                "Velocity field of B when it is a point layer",
                advanced=True,
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE, "Statistics (CSV)", "CSV files (*.csv)"
                ),
                "N common cells, Pearson r, RMSE, mean and standard deviation of A - B (in the "
                "products' unit, mm/yr).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_PLOT, "Scatter plot and histogram (PNG)", "PNG images (*.png)"
                ),
                "A against B per common cell, and the histogram of the differences.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_DIFFERENCE,
                    "Difference A - B per cell",
                    optional=True,
                    createByDefault=False,
                ),
                "A - B per common cell on the comparison grid (vertical when incidences are "
                "given).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        input_a = layer_file(self, parameters, self.INPUT_A, context)
        input_b = layer_file(self, parameters, self.INPUT_B, context)
        options = self.read_options(
            parameters,
            context,
            ProductComparisonOptions,
            label_a=Path(input_a).stem,
            label_b=Path(input_b).stem,
        )
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context)
        plot = self.parameterAsFileOutput(parameters, self.OUTPUT_PLOT, context)
        difference = None
        if parameters.get(self.OUTPUT_DIFFERENCE):
            difference = (
                self.parameterAsOutputLayer(parameters, self.OUTPUT_DIFFERENCE, context) or None
            )
        result = self.run_core(
            feedback,
            compare_products,
            input_a,
            input_b,
            options,
            table=table,
            plot=plot,
            difference=difference,
        )
        stats = result.stats
        feedback.pushInfo(
            f"N = {stats['n']}, r = {stats['pearson_r']:.3f}, RMSE = "
            f"{stats['rmse']:.3f}, mean difference = {stats['mean_difference']:.3f}, "
            f"std = {stats['std_difference']:.3f}"
        )
        outputs = {
            self.OUTPUT_TABLE: table,
            self.OUTPUT_PLOT: plot,
            self.OUTPUT_DIFFERENCE: difference,
            "N": stats["n"],
            "PEARSON_R": stats["pearson_r"],
            "RMSE": stats["rmse"],
            "MEAN_DIFFERENCE": stats["mean_difference"],
            "STD_DIFFERENCE": stats["std_difference"],
        }
        if difference:
            self.style_on_load(context, difference, "velocity")
        return outputs


def _products(algorithm, parameters, context):
    """The LOS products of INPUTS with the descriptions of LOS (core objects)."""
    paths = algorithm.parameterAsFileList(parameters, algorithm.INPUTS, context)
    text = algorithm.parameterAsString(parameters, algorithm.LOS, context)
    return open_products([p.split("|")[0] for p in paths], text)


def _epsg(algorithm, parameters, name, context):
    crs = algorithm.parameterAsCrs(parameters, name, context)
    if not crs.isValid():
        return None
    authid = crs.authid()
    if not authid.upper().startswith("EPSG:"):
        raise QgsProcessingException(f"{name}: give a CRS with an EPSG code.")
    return int(authid.split(":")[1])


class Decompose(SubsidenceAlgorithm):
    ALGORITHM_ID = "decompose"
    DISPLAY_NAME = "Decompose tracks into vertical and east-west motion (rates and series)"
    GROUP = "analysis"
    HELP = (
        "Combines two or more line-of-sight products (point layers with DYYYYMMDD series such "
        "as EGMS L2a/L2b or PS results, MintPy timeseries.h5 or velocity.h5, rate GeoTIFFs) "
        "into vertical and east-west motion on square cells aligned as EGMS L3 (centres at "
        "k * size + size / 2). Per cell: the mean rate and mean LOS unit vector (ground to "
        "satellite) of each product, then weighted least squares for east and up (north "
        "neglected, or a known north rate removed), with propagated standard deviations and "
        "the condition number; cells whose geometry cannot separate the two components are "
        "flagged (FLAG = degenerate), never filled. Series are interpolated onto common dates "
        "every TIME_STEP days within the span all products cover, then decomposed date by "
        "date. Units: mm/yr and mm; LOS positive toward the satellite, up positive, east "
        "positive. Outputs: point layers with VEL, VEL_STD, DYYYYMMDD, COND, FLAG, RESIDUAL "
        "and N_<product> (samples per product), and optional rate rasters."
    )
    INPUTS = "INPUTS"
    LOS = "LOS"
    CELL_SIZE = "CELL_SIZE"
    TIME_STEP = "TIME_STEP"
    SERIES = "SERIES"
    NORTH_RATE = "NORTH_RATE"
    MAX_CONDITION = "MAX_CONDITION"
    DEFAULT_STD = "DEFAULT_STD"
    CRS = "CRS"
    BLOCK_SIZE = "BLOCK_SIZE"
    OUTPUT_UP = "OUTPUT_UP"
    OUTPUT_EAST = "OUTPUT_EAST"
    OUTPUT_UP_RASTER = "OUTPUT_UP_RASTER"
    OUTPUT_EAST_RASTER = "OUTPUT_EAST_RASTER"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterMultipleLayers(
                    self.INPUTS,
                    "LOS products (point layers, timeseries.h5, velocity.h5 or rate GeoTIFFs)",
                    ProcessingSourceType.File,
                ),
                "Two or more products of the same area seen from different geometries (e.g. "
                "an ascending and a descending track). Point layers need VEL (mm/yr) and, for "
                "series, DYYYYMMDD fields (mm).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.LOS,
                    "Line of sight of each product, one line per product (empty = auto)",
                    multiLine=True,
                    optional=True,
                ),
                "In the order of the products; lines may also be separated by '|'. "
                + LOS_HELP[0].upper()
                + LOS_HELP[1:],
            )
        )
        self.addParameter(
            option_parameter(self.CELL_SIZE, DecompositionOptions, "cell_size_m", "Cell size")
        )
        self.addParameter(
            option_parameter(
                self.TIME_STEP, DecompositionOptions, "time_step_days", "Step of the common dates"
            )
        )
        self.addParameter(
            option_parameter(self.SERIES, DecompositionOptions, "series", "Decompose the series")
        )
        self.addParameter(
            option_parameter(
                self.NORTH_RATE,
                DecompositionOptions,
                "north_rate_mm_yr",
                "Known north rate (0 = north motion neglected)",
                zero_is_none=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.MAX_CONDITION,
                DecompositionOptions,
                "max_condition",
                "Largest condition number of a cell's geometry",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.DEFAULT_STD,
                DecompositionOptions,
                "default_rate_std_mm_yr",
                "Standard deviation of a single rate without VEL_STD",
                advanced=True,
            )
        )
        self.addParameter(
            advanced(
                with_help(
                    QgsProcessingParameterCrs(
                        self.CRS, "Output CRS (empty = the first product's)", optional=True
                    ),
                    option_help(DecompositionOptions, "epsg"),
                )
            )
        )
        self.addParameter(
            option_parameter(
                self.BLOCK_SIZE,
                DecompositionOptions,
                "block_size",
                "Samples read at a time",
                advanced=True,
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(self.OUTPUT_UP, "Vertical motion (points at cell centres)"),
                "VEL and VEL_STD in mm/yr (up positive), DYYYYMMDD in mm, COND, FLAG, RESIDUAL "
                "and N_<product>.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(
                    self.OUTPUT_EAST, "East-west motion (points at cell centres)"
                ),
                "VEL and VEL_STD in mm/yr (east positive), DYYYYMMDD in mm, as the vertical.",
            )
        )
        for name, word in ((self.OUTPUT_UP_RASTER, "Vertical"), (self.OUTPUT_EAST_RASTER, "East")):
            self.addParameter(
                with_help(
                    QgsProcessingParameterRasterDestination(
                        name, f"{word} rate raster (mm/yr)", optional=True, createByDefault=False
                    ),
                    "Band 1 the rate, band 2 its standard deviation (mm/yr), on the cells.",
                )
            )

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            check_products(_products(self, parameters, context))
        except SubsidenceError as exc:
            return False, str(exc)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        products = self.run_core(feedback, lambda progress: _products(self, parameters, context))
        options = self.read_options(
            parameters,
            context,
            DecompositionOptions,
            epsg=_epsg(self, parameters, self.CRS, context),
        )
        up = self.parameterAsOutputLayer(parameters, self.OUTPUT_UP, context)
        east = self.parameterAsOutputLayer(parameters, self.OUTPUT_EAST, context)
        up_raster = self.optional_output(parameters, self.OUTPUT_UP_RASTER, context)
        east_raster = self.optional_output(parameters, self.OUTPUT_EAST_RASTER, context)
        result = self.run_core(
            feedback, decompose, products, up, east, options, up_raster, east_raster
        )
        for message in result.messages:
            feedback.pushInfo(message)
        cells = result.cells
        for layer in (up, east, up_raster, east_raster):
            if layer:
                self.style_on_load(context, layer, "velocity")
        return {
            self.OUTPUT_UP: up,
            self.OUTPUT_EAST: east,
            self.OUTPUT_UP_RASTER: up_raster,
            self.OUTPUT_EAST_RASTER: east_raster,
            "CELLS": len(cells),
            "FLAGGED": int((cells.flag != "ok").sum()),
            "DATES": len(cells.dates),
        }


class _GnssAlgorithm(SubsidenceAlgorithm):
    """Parameters shared by the GNSS comparison and tie: a product, its LOS, the stations."""

    INPUT = "INPUT"
    LOS = "LOS"
    GNSS = "GNSS"
    RADIUS = "RADIUS"
    DATE_WINDOW = "DATE_WINDOW"

    def _product_parameters(self, options_class):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "InSAR product (point layer, timeseries.h5 or rate GeoTIFF)"
                ),
                "A point layer with VEL (mm/yr) and DYYYYMMDD (mm), a MintPy timeseries.h5, or "
                "a rate GeoTIFF (mm/yr); a vertical or east-west product too (LOS = vertical "
                "or east).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.LOS, "Line of sight of the product (empty = auto)", optional=True
                ),
                LOS_HELP[0].upper() + LOS_HELP[1:].replace("one line per product: ", ""),
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.GNSS, "GNSS stations (from 'Import GNSS stations')", extension="gpkg"
                ),
                "The GeoPackage written by subsidence:importgnss: stations and their series.",
            )
        )
        self.addParameter(
            option_parameter(self.RADIUS, options_class, "radius_m", "Search radius (m)")
        )
        self.addParameter(
            option_parameter(
                self.DATE_WINDOW,
                options_class,
                "date_window_days",
                "GNSS epochs averaged around each InSAR date (days)",
                advanced=True,
            )
        )

    def _product(self, parameters, context, feedback=None):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        los = self.parameterAsString(parameters, self.LOS, context)
        if feedback is None:
            return LosProduct(path, los)
        return self.run_core(feedback, lambda progress: LosProduct(path, los))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            self._product(parameters, context)
            read_gnss_layer(self.parameterAsFile(parameters, self.GNSS, context))
        except SubsidenceError as exc:
            return False, str(exc)
        return True, ""


class GnssCompare(_GnssAlgorithm):
    ALGORITHM_ID = "gnsscompare"
    DISPLAY_NAME = "Compare an InSAR product with GNSS stations"
    GROUP = "analysis"
    HELP = (
        "For each GNSS station inside the product, projects the station's east, north and up "
        "motion into the product's line of sight (the mean LOS unit vector of the product's "
        "samples within RADIUS; vertical or east-west products use that component), samples "
        "the product within the radius and reports the rate difference InSAR - GNSS (mm/yr; "
        "both rates fitted alike on the InSAR dates), the series RMSE after removing a common "
        "offset (mm) and Pearson r, per station and overall (bias = mean rate difference). "
        "Writes a CSV table and one chart per station."
    )
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"

    def initAlgorithm(self, config=None):
        self._product_parameters(GnssComparisonOptions)
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE, "Comparison table (CSV)", "CSV files (*.csv)"
                ),
                "One row per station (LOS vector, rates, difference, series RMSE, r), then the "
                "overall figures.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFolderDestination(
                    self.OUTPUT_FOLDER, "Folder for the charts (PNG per station)", optional=True
                ),
                "InSAR series against the GNSS series in the product's line of sight.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        product = self._product(parameters, context, feedback)
        options = self.read_options(parameters, context, GnssComparisonOptions)
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context)
        folder = None
        if parameters.get(self.OUTPUT_FOLDER):
            folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context) or None
        gnss = self.parameterAsFile(parameters, self.GNSS, context)
        result = self.run_core(feedback, compare_with_gnss, product, gnss, table, folder, options)
        for row in result.stations:
            feedback.pushInfo(
                f"{row.name}: {row.samples} samples, InSAR {row.insar_rate:.2f}, GNSS "
                f"{row.gnss_rate:.2f}, difference {row.rate_difference:+.2f} mm/yr; series RMSE "
                f"{row.series_rmse:.2f} mm, r {row.pearson_r:.2f}"
            )
        if result.skipped:
            feedback.pushInfo(f"Stations outside the product: {', '.join(result.skipped)}")
        overall = result.overall
        return {
            self.OUTPUT_TABLE: table,
            self.OUTPUT_FOLDER: folder,
            "STATIONS": overall["stations"],
            "BIAS": overall["bias"],
            "RATE_RMS": overall["rate_rms"],
            "SERIES_RMSE": overall["series_rmse"],
        }


class GnssTie(_GnssAlgorithm):
    ALGORITHM_ID = "gnsstie"
    DISPLAY_NAME = "Tie an InSAR product to GNSS stations (shift or plane)"
    GROUP = "analysis"
    HELP = (
        "Makes the product agree with GNSS in its line of sight instead of a single reference "
        "pixel: the differences GNSS - InSAR of the rates at the stations (mm/yr) give a "
        "shift (one or two stations) or a least-squares plane (three or more) that is added to "
        "every rate, and times the years since the first date to every series (mm). Writes "
        "the tied product in the input's kind (GeoPackage points with TIE_MM_YR, GeoTIFF or "
        "timeseries.h5) and the residual of each station (with its leave-one-out residual "
        "from four stations on) as CSV."
    )
    MODEL = "MODEL"
    OUTPUT = "OUTPUT"
    OUTPUT_RESIDUALS = "OUTPUT_RESIDUALS"

    def initAlgorithm(self, config=None):
        self._product_parameters(GnssTieOptions)
        self.addParameter(option_parameter(self.MODEL, GnssTieOptions, "model", "Correction"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT,
                    "Tied product",
                    "GeoPackage (*.gpkg);;GeoTIFF (*.tif);;MintPy time series (*.h5)",
                ),
                "Same kind as the input: .gpkg for a point layer, .tif for a rate raster, .h5 "
                "for a timeseries.h5.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_RESIDUALS,
                    "Residuals per station (CSV)",
                    "CSV files (*.csv)",
                    optional=True,
                    createByDefault=False,
                ),
                "GNSS and InSAR rates, the correction and the residual at each station (mm/yr).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        product = self._product(parameters, context, feedback)
        options = self.read_options(parameters, context, GnssTieOptions)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        residuals = self.optional_output(parameters, self.OUTPUT_RESIDUALS, context)
        gnss = self.parameterAsFile(parameters, self.GNSS, context)
        result = self.run_core(feedback, tie_to_gnss, product, gnss, output, residuals, options)
        for message in result.messages:
            feedback.pushInfo(message)
        for entry in result.residuals:
            feedback.pushInfo(f"{entry['station']}: residual {entry['residual_mm_yr']:+.2f} mm/yr")
        return {
            self.OUTPUT: output,
            self.OUTPUT_RESIDUALS: residuals,
            "MODEL": result.model,
            "SHIFT": result.coefficients[0],
            "STATIONS": len(result.residuals),
        }
