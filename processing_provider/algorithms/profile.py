"""``subsidence:profile``: rates along lines for batch use and the modeler."""
from __future__ import annotations

from qgis.core import (QgsFeature, QgsFeatureSink, QgsField, QgsFields, QgsGeometry,
                       QgsPointXY, QgsProcessing, QgsProcessingException,
                       QgsProcessingParameterDistance, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterString, QgsWkbTypes)
from qgis.PyQt.QtCore import QVariant

from ...core.profile import ProfileOptions, profile_lines
from ..base import SubsidenceAlgorithm


def _epsg_and_wkt(crs):
    authid = crs.authid()
    if authid.upper().startswith("EPSG:"):
        return int(authid.split(":")[1]), None
    return None, (crs.toWkt() or None)


def _ogr_file(layer):
    """(path, layer name) of a file-backed vector layer; None for memory layers."""
    if layer.providerType() != "ogr":
        return None
    parts = layer.source().split("|")
    name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
    return parts[0], name


class Profile(SubsidenceAlgorithm):
    ALGORITHM_ID = "profile"
    DISPLAY_NAME = "Profiles along lines (rate, minimum, affected length)"
    GROUP = "analysis"
    HELP = ("Samples velocity rasters (mm/yr) and point layers (rate field, VEL by default) "
            "within a buffer of each line: the binned mean rate and its spread against the "
            "distance along the line (km and degrees), the funnel minimum, the width below a "
            "threshold and the total length below it (paper 001: railway length affected). "
            "Writes a CSV and a PNG chart per line in the output folder and a line layer of the "
            "affected segments.")
    defaults = ProfileOptions()

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFeatureSource(
            "INPUT", "Profile lines", [QgsProcessing.TypeVectorLine]))
        self.addParameter(QgsProcessingParameterField(
            "NAME_FIELD", "Field naming each line (default: the feature id)",
            parentLayerParameterName="INPUT", optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "RASTERS", "Velocity rasters (mm/yr)", QgsProcessing.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "POINTS", "Point layers with a rate field (file-based, e.g. GeoPackage)",
            QgsProcessing.TypeVectorPoint, optional=True))
        self.addParameter(QgsProcessingParameterString(
            "FIELD", "Rate field of the point layers (mm/yr)", "VEL"))
        self.addParameter(QgsProcessingParameterDistance(
            "BUFFER", "Buffer: half-width of the corridor sampled around each line",
            self.defaults.buffer_m, "INPUT", minValue=0.001))
        self.addParameter(QgsProcessingParameterNumber(
            "THRESHOLD", "Threshold (mm/yr): rates below it count as affected",
            QgsProcessingParameterNumber.Double, self.defaults.threshold_mm_yr))
        self.addParameter(QgsProcessingParameterNumber(
            "BIN", "Bin spacing along the line (m; 0 = pixel size or buffer)",
            QgsProcessingParameterNumber.Double, self.defaults.bin_m, minValue=0))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "OUTPUT_FOLDER", "Folder for the profile CSV and PNG of each line"))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", "Affected segments", QgsProcessing.TypeVectorLine))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            raise QgsProcessingException("The profile line layer could not be read.")
        rasters = [layer.source() for layer in
                   self.parameterAsLayerList(parameters, "RASTERS", context)]
        points = []
        for layer in self.parameterAsLayerList(parameters, "POINTS", context):
            found = _ogr_file(layer)
            if found is None:
                raise QgsProcessingException(
                    f"{layer.name()}: a point layer must be stored in a file (GeoPackage, "
                    "Shapefile...). Fix: save it to a file first.")
            points.append(found)
        name_field = self.parameterAsString(parameters, "NAME_FIELD", context)
        lines = []
        for feature in source.getFeatures():
            geometry = feature.geometry()
            if geometry.isEmpty():
                continue
            parts = (geometry.asMultiPolyline() if geometry.isMultipart()
                     else [geometry.asPolyline()])
            for k, part in enumerate(parts):
                label = feature[name_field] if name_field else feature.id()
                name = str(label) + (f"_{k + 1}" if len(parts) > 1 else "")
                lines.append((name, [(p.x(), p.y()) for p in part]))
        options = ProfileOptions(self.parameterAsDouble(parameters, "BUFFER", context),
                                 self.parameterAsDouble(parameters, "THRESHOLD", context),
                                 self.parameterAsDouble(parameters, "BIN", context))
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        epsg, wkt = _epsg_and_wkt(source.sourceCrs())
        results, affected = self.run_core(
            feedback, profile_lines, lines, rasters, points, folder, options,
            self.parameterAsString(parameters, "FIELD", context) or "VEL", epsg, wkt)

        fields = QgsFields()
        for name, kind in (("line", QVariant.String), ("source", QVariant.String),
                           ("start_m", QVariant.Double), ("end_m", QVariant.Double),
                           ("length_m", QVariant.Double), ("min_rate", QVariant.Double)):
            fields.append(QgsField(name, kind))
        sink, dest_id = self.parameterAsSink(parameters, "OUTPUT", context, fields,
                                             QgsWkbTypes.LineString, source.sourceCrs())
        for segment in affected:
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPolylineXY(
                [QgsPointXY(float(x), float(y)) for x, y in segment.xy]))
            feature.setAttributes([segment.line, segment.source, segment.start_m, segment.end_m,
                                   segment.end_m - segment.start_m, segment.minimum])
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
        for result in results:
            for profile in result.profiles:
                m = profile.metrics
                feedback.pushInfo(
                    f"line {result.line}, {profile.name}: minimum {m.minimum:.1f} mm/yr at "
                    f"{m.minimum_at_m:.0f} m, width below {m.threshold:g} mm/yr "
                    f"{m.width_m:.0f} m, affected {m.affected_length_m:.0f} of "
                    f"{m.line_length_m:.0f} m")
        return {"OUTPUT": dest_id, "OUTPUT_FOLDER": folder,
                "CSV_FILES": [str(r.csv_path) for r in results],
                "CHART_FILES": [str(r.chart_path) for r in results]}
