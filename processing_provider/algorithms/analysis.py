"""Analysis algorithms: rates along profile lines, and the comparison of two rate products
(cross-validation of PS, SBAS, EGMS or a second track on a common grid)."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ...core.analysis.product_comparison import CrossValidationOptions, cross_validate
from ...core.analysis.profile import ProfileOptions, profile_lines
from ...plugin import bridge
from ..base import SubsidenceAlgorithm, advanced, layer_file


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
    defaults = ProfileOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "INPUT", "Profile lines", [QgsProcessing.TypeVectorLine]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "NAME_FIELD",
                "Field naming each line (default: the feature id)",
                parentLayerParameterName="INPUT",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                "RASTERS", "Velocity rasters (mm/yr)", QgsProcessing.TypeRaster, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                "POINTS",
                "Point layers with a rate field (file-based, e.g. GeoPackage)",
                QgsProcessing.TypeVectorPoint,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString("FIELD", "Rate field of the point layers (mm/yr)", "VEL")
        )
        self.addParameter(
            QgsProcessingParameterDistance(
                "BUFFER",
                "Buffer: half-width of the corridor sampled around each line",
                self.defaults.buffer_m,
                "INPUT",
                minValue=0.001,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "THRESHOLD",
                "Threshold (mm/yr): rates below it count as affected",
                QgsProcessingParameterNumber.Double,
                self.defaults.threshold_mm_yr,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "BIN",
                "Bin spacing along the line (m; 0 = pixel size or buffer)",
                QgsProcessingParameterNumber.Double,
                self.defaults.bin_m,
                minValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                "OUTPUT_FOLDER", "Folder for the profile CSV and PNG of each line"
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Affected segments", QgsProcessing.TypeVectorLine
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            raise QgsProcessingException("The profile line layer could not be read.")
        rasters = [
            layer.source() for layer in self.parameterAsLayerList(parameters, "RASTERS", context)
        ]
        points = []
        for layer in self.parameterAsLayerList(parameters, "POINTS", context):
            found = bridge.layer_file(layer)
            if found is None:
                raise QgsProcessingException(
                    f"{layer.name()}: a point layer must be stored in a file (GeoPackage, "
                    "Shapefile...). Fix: save it to a file first."
                )
            points.append(found)
        name_field = self.parameterAsString(parameters, "NAME_FIELD", context)
        lines = []
        for feature in source.getFeatures():
            parts = bridge.line_parts(feature.geometry())
            for k, part in enumerate(parts):
                label = feature[name_field] if name_field else feature.id()
                name = str(label) + (f"_{k + 1}" if len(parts) > 1 else "")
                lines.append((name, [(p.x(), p.y()) for p in part]))
        options = ProfileOptions(
            self.parameterAsDouble(parameters, "BUFFER", context),
            self.parameterAsDouble(parameters, "THRESHOLD", context),
            self.parameterAsDouble(parameters, "BIN", context),
        )
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        epsg, wkt = bridge.epsg_and_wkt(source.sourceCrs())
        results, affected = self.run_core(
            feedback,
            profile_lines,
            lines,
            rasters,
            points,
            folder,
            options,
            self.parameterAsString(parameters, "FIELD", context) or "VEL",
            epsg,
            wkt,
        )

        fields = QgsFields()
        for name, kind in (
            ("line", QVariant.String),
            ("source", QVariant.String),
            ("start_m", QVariant.Double),
            ("end_m", QVariant.Double),
            ("length_m", QVariant.Double),
            ("min_rate", QVariant.Double),
        ):
            fields.append(QgsField(name, kind))
        sink, dest_id = self.parameterAsSink(
            parameters, "OUTPUT", context, fields, QgsWkbTypes.LineString, source.sourceCrs()
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
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
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
            "OUTPUT": dest_id,
            "OUTPUT_FOLDER": folder,
            "CSV_FILES": [str(r.csv_path) for r in results],
            "CHART_FILES": [str(r.chart_path) for r in results],
        }


class CrossValidate(SubsidenceAlgorithm):
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
    defaults = CrossValidationOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterMapLayer(
                "INPUT_A", "Product A (raster or point layer, e.g. PS points)"
            )
        )
        self.addParameter(
            QgsProcessingParameterMapLayer(
                "INPUT_B", "Product B (raster or point layer, e.g. SBAS velocity)"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "CELL_SIZE",
                "Cell size (m)",
                QgsProcessingParameterNumber.Double,
                self.defaults.cell_size_m,
                minValue=0.01,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "INCIDENCE_A",
                "Incidence of A: degrees, raster path or field (empty = vertical already)",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "INCIDENCE_B",
                "Incidence of B: degrees, raster path or field (empty = vertical already)",
                optional=True,
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    "FIELD_A", "Velocity field of A when it is a point layer", self.defaults.field_a
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    "FIELD_B", "Velocity field of B when it is a point layer", self.defaults.field_b
                )
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_TABLE", "Statistics (CSV)", "CSV files (*.csv)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_PLOT", "Scatter plot and histogram (PNG)", "PNG images (*.png)"
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_DIFFERENCE",
                "Difference A - B per cell",
                optional=True,
                createByDefault=False,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        input_a = layer_file(self, parameters, "INPUT_A", context)
        input_b = layer_file(self, parameters, "INPUT_B", context)
        options = CrossValidationOptions(
            cell_size_m=self.parameterAsDouble(parameters, "CELL_SIZE", context),
            incidence_a=self.parameterAsString(parameters, "INCIDENCE_A", context) or None,
            incidence_b=self.parameterAsString(parameters, "INCIDENCE_B", context) or None,
            field_a=self.parameterAsString(parameters, "FIELD_A", context) or "VEL",
            field_b=self.parameterAsString(parameters, "FIELD_B", context) or "VEL",
            label_a=Path(input_a).stem,
            label_b=Path(input_b).stem,
        )
        table = self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context)
        plot = self.parameterAsFileOutput(parameters, "OUTPUT_PLOT", context)
        difference = None
        if parameters.get("OUTPUT_DIFFERENCE"):
            difference = (
                self.parameterAsOutputLayer(parameters, "OUTPUT_DIFFERENCE", context) or None
            )
        result = self.run_core(
            feedback,
            cross_validate,
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
            "OUTPUT_TABLE": table,
            "OUTPUT_PLOT": plot,
            "OUTPUT_DIFFERENCE": difference,
            "N": stats["n"],
            "PEARSON_R": stats["pearson_r"],
            "RMSE": stats["rmse"],
            "MEAN_DIFFERENCE": stats["mean_difference"],
            "STD_DIFFERENCE": stats["std_difference"],
        }
        if difference:
            self.style_on_load(context, difference, "velocity")
        return outputs
