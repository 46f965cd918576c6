"""Analysis algorithms: rates along profile lines, and the comparison of two rate products
(PS, SBAS, EGMS or a second track) on a common grid."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ...core.analysis.product_comparison import ProductComparisonOptions, compare_products
from ...core.analysis.profile import ProfileOptions, profile_lines
from ...core.options import option_spec
from ...plugin import bridge
from ..base import SubsidenceAlgorithm, layer_file
from ..parameters import option_parameter, with_help
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
