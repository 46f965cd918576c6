"""Analysis algorithms: rates along profile lines, the comparison of two rate products (PS,
SBAS, EGMS or a second track) on a common grid, the decomposition of two or more tracks into
vertical and east-west motion, and GNSS as a check and a tie."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProperty,
    QgsPropertyDefinition,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ...core.analysis.decomposition import (
    DecompositionOptions,
    check_products,
    decompose,
    open_products,
)
from ...core.analysis.detectable_gradient import (
    BEYOND,
    DetectableGradientOptions,
    detectable_gradient,
)
from ...core.analysis.gnss import (
    GnssComparisonOptions,
    GnssTieOptions,
    compare_with_gnss,
    tie_to_gnss,
)
from ...core.analysis.los_products import LOS_HELP, LosProduct
from ...core.analysis.pim_fit import InputKind, PimMode, PimOptions, PimOutputs, run_pim
from ...core.analysis.product_comparison import ProductComparisonOptions, compare_products
from ...core.analysis.profile import ProfileOptions, profile_lines
from ...core.errors import SubsidenceError
from ...core.io.gnss import read_gnss_layer
from ...core.options import option_spec
from ...plugin import bridge
from ..base import SubsidenceAlgorithm, advanced, layer_file, styled, vector_file_destination
from ..parameters import option_help, option_parameter, with_help
from ..qgis_compat import (
    GeometryType,
    ProcessingFieldParameterDataType,
    ProcessingNumberParameterType,
    ProcessingSourceType,
    PropertyType,
    WkbType,
    attribute_field,
)


def incidence_parameter(name: str, which: str, layer: str) -> QgsProcessingParameterNumber:
    """The incidence of a product in degrees from the vertical: a number, or (data-defined
    button) a field of its point layer."""
    parameter = QgsProcessingParameterNumber(
        name,
        f"Incidence of {which} (degrees from vertical; 0 = {which} is vertical already)",
        ProcessingNumberParameterType.Double,
        0.0,
        minValue=0.0,
        maxValue=89.0,
    )
    parameter.setIsDynamic(True)
    parameter.setDynamicPropertyDefinition(
        QgsPropertyDefinition(
            name,
            f"Incidence of {which} (degrees)",
            QgsPropertyDefinition.StandardPropertyTemplate.DoublePositive,
        )
    )
    parameter.setDynamicLayerParameterName(layer)
    return with_help(
        parameter,
        f"Turns the LOS rates of {which} into vertical (LOS / cos(incidence)): a constant "
        "angle, or a field of the point layer chosen with the data-defined button; a raster "
        "goes in the incidence raster. 0 = no conversion.",
    )


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
    UNITS = (
        "Rates in mm/yr (negative = subsidence); distances along the line in km and degrees, "
        "buffer in the line layer's units, segment lengths in m."
    )
    SOURCE = "paper 001 (the length of the Heze high-speed railway affected by subsidence)."
    TAGS = ("profile", "cross-section", "railway", "bowl", "transect")
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
            styled(
                with_help(
                    QgsProcessingParameterFeatureSink(
                        self.OUTPUT, "Affected segments", ProcessingSourceType.VectorLine
                    ),
                    "Parts of each line where the binned rate is below the threshold, with their "
                    "length (m) and minimum rate (mm/yr).",
                ),
                "affected",
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
                    str(segment.line),
                    str(segment.source),
                    float(segment.start_m),
                    float(segment.end_m),
                    float(segment.end_m - segment.start_m),
                    float(segment.minimum),
                ]
            )
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        for result in results:
            for profile in result.profiles:
                m = profile.metrics
                self.log(
                    feedback,
                    f"line {result.line}, {profile.name}: minimum {m.minimum:.1f} mm/yr at "
                    f"{m.minimum_at_m:.0f} m, width below {m.threshold:g} mm/yr "
                    f"{m.width_m:.0f} m, affected {m.affected_length_m:.0f} of "
                    f"{m.line_length_m:.0f} m",
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
        "product's incidence (degrees, a raster or a field; 0 = no conversion). Writes "
        "N common cells, Pearson r, RMSE, mean and std of the differences (CSV), a "
        "difference raster, and a scatter plot with a histogram (PNG)."
    )
    UNITS = (
        "Rates in the products' unit (mm/yr); incidence in degrees from the vertical; "
        "differences A - B; vertical = LOS / cos(incidence) when an incidence is given."
    )
    SOURCE = (
        "paper 001 (two Sentinel-1 tracks compared on a common grid: r 0.9, RMSE 0.5 cm/yr); "
        "paper 000 compares PS and SBAS results the same way."
    )
    TAGS = ("cross-validation", "comparison", "ps", "sbas", "rmse", "two tracks")
    POINTS_A = "POINTS_A"
    RASTER_A = "RASTER_A"
    POINTS_B = "POINTS_B"
    RASTER_B = "RASTER_B"
    CELL_SIZE = "CELL_SIZE"
    INCIDENCE_A = "INCIDENCE_A"
    INCIDENCE_B = "INCIDENCE_B"
    INCIDENCE_RASTER_A = "INCIDENCE_RASTER_A"
    INCIDENCE_RASTER_B = "INCIDENCE_RASTER_B"
    FIELD_A = "FIELD_A"
    FIELD_B = "FIELD_B"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_PLOT = "OUTPUT_PLOT"
    OUTPUT_DIFFERENCE = "OUTPUT_DIFFERENCE"

    def _product(self, which: str):
        """(points parameter, raster parameter) of product ``which``."""
        return (self.POINTS_A, self.RASTER_A) if which == "A" else (self.POINTS_B, self.RASTER_B)

    def initAlgorithm(self, config=None):
        # each product is a point layer OR a raster, in two parameters: the velocity field is
        # linked to a vector-layer parameter (the QGIS 3.22 dialog crashes when a field's parent
        # is a map-layer parameter holding a raster)
        for which in ("A", "B"):
            points, raster = self._product(which)
            field = self.FIELD_A if which == "A" else self.FIELD_B
            self.addParameter(
                with_help(
                    QgsProcessingParameterVectorLayer(
                        points,
                        f"Product {which}: point layer (e.g. PS, EGMS)",
                        [ProcessingSourceType.VectorPoint],
                        optional=True,
                    ),
                    f"Product {which} when it is a point layer (PS, EGMS, SBAS points) with a "
                    "rate field in mm/yr; give this or the raster of "
                    f"{which}, not both.",
                )
            )
            self.addParameter(
                with_help(
                    QgsProcessingParameterField(
                        field,
                        f"Velocity field of {which}",
                        "VEL",
                        points,
                        type=ProcessingFieldParameterDataType.Numeric,
                        optional=True,
                    ),
                    option_help(ProductComparisonOptions, f"field_{which.lower()}"),
                )
            )
            self.addParameter(
                with_help(
                    QgsProcessingParameterRasterLayer(
                        raster, f"Product {which}: rate raster (e.g. SBAS velocity)", optional=True
                    ),
                    f"Product {which} when it is a rate raster (band 1, mm/yr like everything "
                    f"this toolkit writes); give this or the point layer of {which}, not both.",
                )
            )
        self.addParameter(
            option_parameter(
                self.CELL_SIZE, ProductComparisonOptions, "cell_size_m", "Cell size (m)"
            )
        )
        for which, number, raster in (
            ("A", self.INCIDENCE_A, self.INCIDENCE_RASTER_A),
            ("B", self.INCIDENCE_B, self.INCIDENCE_RASTER_B),
        ):
            self.addParameter(incidence_parameter(number, which, self._product(which)[0]))
            self.addParameter(
                with_help(
                    QgsProcessingParameterRasterLayer(
                        raster,
                        f"Incidence raster of {which} (degrees; instead of the number)",
                        optional=True,
                    ),
                    f"A raster of the incidence angle of {which} from the vertical in degrees "
                    "(e.g. from the HyP3 lv_theta), sampled at each cell; overrides the number.",
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
            styled(
                with_help(
                    QgsProcessingParameterRasterDestination(
                        self.OUTPUT_DIFFERENCE,
                        "Difference A - B per cell",
                        optional=True,
                        createByDefault=False,
                    ),
                    "A - B per common cell on the comparison grid (vertical when incidences are "
                    "given).",
                ),
                "velocity",
            )
        )

    def _given(self, parameters, which: str) -> str:
        """The parameter that holds product ``which``: its point layer or its raster."""
        points, raster = self._product(which)
        return points if parameters.get(points) else raster

    def check_inputs(self, parameters, context):
        layers = {}
        for which in ("A", "B"):
            points, raster = self._product(which)
            if bool(parameters.get(points)) == bool(parameters.get(raster)):
                return (
                    f"Product {which}: give either a point layer ({points}) or a rate raster "
                    f"({raster}), one of the two."
                )
            name = self._given(parameters, which)
            layer = self.parameterAsLayer(parameters, name, context)
            if layer is None:
                return f"{name}: cannot load {parameters.get(name)}."
            if isinstance(layer, QgsVectorLayer) and not bridge.is_point_layer(layer):
                return (
                    f"{name}: '{layer.name()}' is not a point layer. Fix: give a rate raster or "
                    "a point layer (PS, EGMS, SBAS points)."
                )
            layers[which] = layer
        a, b = layers["A"], layers["B"]
        file_a, file_b = bridge.layer_file(a), bridge.layer_file(b)
        if (
            file_a is not None
            and file_b is not None
            and Path(file_a.path).resolve() == Path(file_b.path).resolve()
            and (file_a.layer_name or "") == (file_b.layer_name or "")
        ):
            return (
                f"{self._given(parameters, 'A')} and {self._given(parameters, 'B')} are the "
                f"same product ({file_a.path}): the "
                "comparison would say r = 1, RMSE = 0. Fix: compare two different products (PS "
                "with SBAS, one track with another)."
            )
        to_a = QgsCoordinateTransform(b.crs(), a.crs(), context.transformContext())
        if not to_a.transformBoundingBox(b.extent()).intersects(a.extent()):
            return (
                f"'{a.name()}' and '{b.name()}' do not overlap: no cell holds both products. "
                "Fix: compare products of the same area."
            )
        for which, layer, field, number, raster in (
            ("A", a, self.FIELD_A, self.INCIDENCE_A, self.INCIDENCE_RASTER_A),
            ("B", b, self.FIELD_B, self.INCIDENCE_B, self.INCIDENCE_RASTER_B),
        ):
            name = self.parameterAsString(parameters, field, context) or "VEL"
            if isinstance(layer, QgsVectorLayer) and layer.fields().indexOf(name) < 0:
                return f"{field}: '{layer.name()}' has no field '{name}'."
            value = parameters.get(number)
            if isinstance(value, QgsProperty) and not parameters.get(raster):
                if value.propertyType() != PropertyType.Field:
                    return f"{number}: give a number or a field of {which}, not an expression."
                if not isinstance(layer, QgsVectorLayer):
                    return f"{number}: {which} is a raster; give a number or an incidence raster."
                if layer.fields().indexOf(value.field()) < 0:
                    return f"{number}: '{layer.name()}' has no field '{value.field()}'."
        return None

    def _incidence(self, parameters, context, which: str):
        """The incidence of product ``which`` as core takes it: degrees, a raster path or a
        field name (None = vertical already)."""
        number = self.INCIDENCE_A if which == "A" else self.INCIDENCE_B
        raster = self.INCIDENCE_RASTER_A if which == "A" else self.INCIDENCE_RASTER_B
        if parameters.get(raster):
            return self.raster_path(parameters, raster, context)
        value = parameters.get(number)
        if isinstance(value, QgsProperty) and value.propertyType() == PropertyType.Field:
            return value.field()
        degrees = self.parameterAsDouble(parameters, number, context)
        return f"{degrees:g}" if degrees > 0 else None

    def processAlgorithm(self, parameters, context, feedback):
        input_a = layer_file(self, parameters, self._given(parameters, "A"), context)
        input_b = layer_file(self, parameters, self._given(parameters, "B"), context)
        options = self.read_options(
            parameters,
            context,
            ProductComparisonOptions,
            label_a=Path(input_a).stem,
            label_b=Path(input_b).stem,
            incidence_a=self._incidence(parameters, context, "A"),
            incidence_b=self._incidence(parameters, context, "B"),
            field_a=self.parameterAsString(parameters, self.FIELD_A, context) or "VEL",
            field_b=self.parameterAsString(parameters, self.FIELD_B, context) or "VEL",
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
        self.log(
            feedback,
            f"N = {stats['n']}, r = {stats['pearson_r']:.3f}, RMSE = "
            f"{stats['rmse']:.3f}, mean difference = {stats['mean_difference']:.3f}, "
            f"std = {stats['std_difference']:.3f}",
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
        "date. Outputs: point layers with VEL, VEL_STD, DYYYYMMDD, COND, FLAG, RESIDUAL "
        "and N_<product> (samples per product), and optional rate rasters."
    )
    UNITS = (
        "Rates in mm/yr, series in mm, cell size in metres. LOS positive toward the satellite; up "
        "positive (subsidence negative), east positive; VEL_STD is one standard deviation."
    )
    SOURCE = (
        "Wright, Parsons & Lu (2004), Toward mapping surface deformation in three dimensions "
        "using InSAR, GRL 31; the EGMS L3 product definition (Copernicus EGMS, 2022)."
    )
    TAGS = ("decomposition", "vertical", "east-west", "ascending", "descending", "EGMS L3")
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
            self.log(feedback, message)
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
    UNITS = (
        "Rates in mm/yr, series and RMSE in mm, RADIUS in metres; difference = InSAR - GNSS, "
        "LOS positive toward the satellite, up positive."
    )
    SOURCE = (
        "Projection of GNSS east/north/up motion onto the LOS unit vector as in Fuhrmann & "
        "Garthwaite (2019), Remote Sensing 11, 241."
    )
    TAGS = ("GNSS", "GPS", "validation", "comparison", "stations")
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
            self.log(
                feedback,
                f"{row.name}: {row.samples} samples, InSAR {row.insar_rate:.2f}, GNSS "
                f"{row.gnss_rate:.2f}, difference {row.rate_difference:+.2f} mm/yr; series RMSE "
                f"{row.series_rmse:.2f} mm, r {row.pearson_r:.2f}",
            )
        if result.skipped:
            self.log(feedback, f"Stations outside the product: {', '.join(result.skipped)}")
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
    UNITS = (
        "Rates and the tie in mm/yr, series in mm; residual = GNSS - tied InSAR, in the "
        "product's line of sight (positive toward the satellite) or vertical (up positive)."
    )
    SOURCE = (
        "Tie of InSAR to GNSS by a shift or a plane, as in Fuhrmann & Garthwaite (2019), "
        "Remote Sensing 11, 241."
    )
    TAGS = ("GNSS", "GPS", "tie", "reference", "plane", "calibration")
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
            self.log(feedback, message)
        for entry in result.residuals:
            self.log(feedback, f"{entry['station']}: residual {entry['residual_mm_yr']:+.2f} mm/yr")
        return {
            self.OUTPUT: output,
            self.OUTPUT_RESIDUALS: residuals,
            "MODEL": result.model,
            "SHIFT": result.coefficients[0],
            "STATIONS": len(result.residuals),
        }


class DetectableGradient(SubsidenceAlgorithm):
    ALGORITHM_ID = "detectablegradient"
    DISPLAY_NAME = "Detectable deformation gradient (what InSAR can measure)"
    GROUP = "analysis"
    HELP = (
        "The largest LOS rate gradient the stack can measure per pixel: neighbours may differ "
        "by at most a quarter wavelength per interferogram (Massonnet & Feigl 1998, halved for "
        "unwrapping), lowered by the phase noise of the coherence, sqrt((1-g^2)/(2 L g^2)) "
        "(Rodriguez & Martin 1992), as Baran et al. (2005) and Jiang et al. (2011) measured; "
        "over the kept pairs valid at the pixel the best one (usually the shortest coherent "
        "pair) sets it. Output bands: mm/yr per pixel, mm/yr per metre, shortest pair used "
        "(days). With a velocity (LOS mm/yr, or vertical with the geometry) or, better, the "
        "time series (its steepest rate over time sees a moving face) a mask: 0 measurable, "
        "1 near the limit, 2 beyond (the measured gradient reaches the limit, or the core such "
        "pixels enclose, or a masked or noisy gap next to them). With bowls: per bowl the share "
        "of its area beyond the limit and a warning when its peak rate is likely "
        "underestimated. Method and sources: docs/algorithms/detectablegradient.md."
    )
    UNITS = (
        "Limits in mm/yr per pixel and mm/yr per metre (LOS), shortest pair in days; mask "
        "codes 0 measurable, 1 near the limit, 2 beyond."
    )
    SOURCE = (
        "Massonnet & Feigl (1998); Baran et al. (2005); Jiang et al. (2011); papers 002 and "
        "003 (large gradients over mining panels)."
    )
    TAGS = ("gradient", "aliasing", "decorrelation", "mining", "limit", "longwall")
    INPUT = "INPUT"
    VELOCITY = "VELOCITY"
    TIMESERIES = "TIMESERIES"
    TCOH = "TCOH"
    GEOMETRY = "GEOMETRY"
    BOWLS = "BOWLS"
    LOOKS = "LOOKS"
    MIN_TCOH = "MIN_TCOH"
    SERIES_WINDOW = "SERIES_WINDOW"
    NOISE_MARGIN = "NOISE_MARGIN"
    MIN_COHERENCE = "MIN_COHERENCE"
    NEAR_RATIO = "NEAR_RATIO"
    WARN_SHARE = "WARN_SHARE"
    VELOCITY_VERTICAL = "VELOCITY_VERTICAL"
    MEMORY_MB = "MEMORY_MB"
    OUTPUT = "OUTPUT"
    OUTPUT_MASK = "OUTPUT_MASK"
    OUTPUT_TABLE = "OUTPUT_TABLE"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "Interferogram stack (ifgramStack.h5)", extension="h5"
                ),
                "The stack the velocity comes from: its kept pairs, their temporal baselines "
                "and coherence set the limit.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.VELOCITY, "Velocity (mm/yr) to compare", optional=True
                ),
                "LOS velocity of the stack (velocity.tif), or vertical with the option below "
                "and the geometry; needed for the mask and the bowl check.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.TIMESERIES,
                    "Time series (timeseries.h5) to compare",
                    extension="h5",
                    optional=True,
                ),
                "LOS time series of the stack: its steepest rate over time is compared, which "
                "sees a moving longwall face that the mean velocity hides.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.TCOH,
                    "Temporal coherence (temporalCoherence.h5)",
                    extension="h5",
                    optional=True,
                ),
                "Pixels below the minimum temporal coherence are too noisy to be judged by "
                "their own gradient.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.GEOMETRY, "Geometry (geometryGeo.h5)", extension="h5", optional=True
                ),
                "Incidence angle to turn a vertical velocity into LOS.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.BOWLS,
                    "Subsidence bowls (from Detect subsidence bowls)",
                    [ProcessingSourceType.VectorPolygon],
                    optional=True,
                ),
                "Bowl polygons: each gets the share of its area beyond the limit.",
            )
        )
        for name, field, label, is_advanced in (
            (self.LOOKS, "looks", "Effective looks of the interferograms", False),
            (self.MIN_TCOH, "min_temporal_coherence", "Minimum temporal coherence", False),
            (self.SERIES_WINDOW, "series_window", "Time series: dates per rate", True),
            (self.NOISE_MARGIN, "noise_margin", "Noise margin (standard deviations)", True),
            (self.MIN_COHERENCE, "min_coherence", "Pairs count from this coherence", True),
            (self.NEAR_RATIO, "near_ratio", "Near the limit from this share of it", True),
            (self.WARN_SHARE, "warn_share_pct", "Warn for bowls beyond over (%)", True),
            (self.VELOCITY_VERTICAL, "velocity_vertical", "The velocity is vertical", False),
            (self.MEMORY_MB, "memory_mb", "Memory budget (MiB)", True),
        ):
            self.addParameter(
                option_parameter(
                    name, DetectableGradientOptions, field, label, advanced=is_advanced
                )
            )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT, "Largest measurable LOS rate gradient"
                ),
                "Band 1: mm/yr per pixel; band 2: mm/yr per metre; band 3: shortest pair used "
                "(days).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_MASK,
                    "Beyond what InSAR can measure (mask)",
                    optional=True,
                    createByDefault=False,
                ),
                "0 measurable, 1 near the limit, 2 beyond; the reliability mask of the basin "
                "fit (Fit a mining basin, PIM).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE,
                    "Bowls against the limit (CSV)",
                    "CSV files (*.csv)",
                    optional=True,
                    createByDefault=False,
                ),
                "bowl_id, area_km2, beyond_pct, near_pct, peak_mm_yr, underestimated (0/1).",
            )
        )
        self.addOutput(QgsProcessingOutputNumber("PIXELS_BEYOND", "Pixels beyond the limit"))
        self.addOutput(
            QgsProcessingOutputNumber("BOWLS_UNDERESTIMATED", "Bowls likely underestimated")
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, DetectableGradientOptions)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        mask = self.optional_output(parameters, self.OUTPUT_MASK, context)
        table = self.optional_output(parameters, self.OUTPUT_TABLE, context)
        result = self.run_core(
            feedback,
            detectable_gradient,
            self.parameterAsFile(parameters, self.INPUT, context),
            output,
            velocity=self.raster_path(parameters, self.VELOCITY, context),
            timeseries=self.parameterAsFile(parameters, self.TIMESERIES, context) or None,
            temporal_coherence=self.parameterAsFile(parameters, self.TCOH, context) or None,
            output_mask=mask,
            bowls=self.vector_path(parameters, self.BOWLS, context, feedback),
            output_table=table,
            geometry=self.parameterAsFile(parameters, self.GEOMETRY, context) or None,
            options=options,
        )
        for message in result.messages:
            if message.startswith("Warning"):
                feedback.reportError(message, fatalError=False)
        self.style_on_load(context, output, "gradient")
        if mask:
            self.style_on_load(context, mask, "limit_mask")
        beyond = 0 if result.mask is None else int((result.mask == BEYOND).sum())
        return {
            self.OUTPUT: output,
            self.OUTPUT_MASK: mask,
            self.OUTPUT_TABLE: table,
            "PIXELS_BEYOND": beyond,
            "BOWLS_UNDERESTIMATED": sum(b.underestimated for b in result.bowls),
        }


class PimFit(SubsidenceAlgorithm):
    ALGORITHM_ID = "pimfit"
    DISPLAY_NAME = "Fit a mining basin (probability integral method)"
    GROUP = "analysis"
    HELP = (
        "Probability integral method (PIM) of Chinese mining-survey practice (Liu & Liao 1965; "
        "He et al. 1991; Knothe 1957 influence function): over a rectangular or polygon panel "
        "W(x, y) = W_max Cx(x) Cy(y), "
        "Cx = 1/2 [erf(sqrt(pi)(x - x0)/r) - erf(sqrt(pi)(x - x1)/r)], "
        "W_max = m q cos(alpha), r = H / tan(beta), edges moved inward by the inflection "
        "offset s and shifted toward the dip by H cot(theta); horizontal movement "
        "U = b r dW/dx. FIT mode: q, tan(beta), s and theta (and a constant shift of the "
        "input) by bounded least squares on the RELIABLE pixels around the panel (finite, "
        "temporal coherence above the threshold, outside the mask of Detectable deformation "
        "gradient), so the decorrelated core is filled by the model, never fitted as data; "
        "standard deviations from the Jacobian, optionally a block bootstrap. FORWARD mode: "
        "the final basin of a planned panel from given parameters. INPUT: vertical "
        "displacement in mm (or a rate in mm/yr times its period; LOS with the geometry), "
        "negative = subsidence. Outputs: parameter table (parameter,value,std), the whole "
        "basin (mm), the residual, the 10 mm boundary of influence. Formula, sources and "
        "tolerances: docs/algorithms/pimfit.md."
    )
    UNITS = (
        "INPUT and outputs in mm, negative = subsidence; THICKNESS, DEPTH, OFFSET, CELL_SIZE in "
        "metres; DIP and THETA in degrees; q and tan(beta) dimensionless."
    )
    SOURCE = (
        "Liu & Liao (1965); He et al. (1991); Knothe (1957); papers 002 and 003 (the PIM "
        "route for mining basins)."
    )
    TAGS = ("mining", "PIM", "probability integral", "basin", "longwall", "Knothe")
    MODE = "MODE"
    INPUT = "INPUT"
    PANEL = "PANEL"
    THICKNESS = "THICKNESS"
    DEPTH = "DEPTH"
    DIP = "DIP"
    DIP_DIRECTION = "DIP_DIRECTION"
    INPUT_KIND = "INPUT_KIND"
    PERIOD = "PERIOD"
    GEOMETRY = "GEOMETRY"
    TCOH = "TCOH"
    MIN_TCOH = "MIN_TCOH"
    DETECTABLE_MASK = "DETECTABLE_MASK"
    MASK = "MASK"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT = "OUTPUT"
    OUTPUT_RESIDUAL = "OUTPUT_RESIDUAL"
    OUTPUT_BOUNDARY = "OUTPUT_BOUNDARY"
    OUTPUT_HORIZONTAL = "OUTPUT_HORIZONTAL"
    NUMBER_OUTPUTS = (
        ("Q", "Subsidence factor q"),
        ("TAN_BETA", "tan(beta)"),
        ("OFFSET_M", "Inflection offset s (m)"),
        ("THETA_DEG", "Propagation angle (degrees)"),
        ("W_MAX_MM", "W_max (mm)"),
        ("RMSE_MM", "Fit RMSE (mm)"),
        ("FIT_SECONDS", "Time to fit (s)"),
    )
    #: (parameter, options field, label, advanced)
    OPTION_PARAMETERS = (
        ("THICKNESS", "thickness_m", "Extracted seam thickness (m)", False),
        ("DEPTH", "depth_m", "Seam depth at the panel centre (m)", False),
        ("DIP", "dip_deg", "Seam dip (degrees)", False),
        ("DIP_DIRECTION", "dip_azimuth_deg", "Dip direction (degrees from north)", False),
        ("INPUT_KIND", "input_kind", "The input holds", False),
        ("PERIOD", "period_years", "Period of a rate input (years)", False),
        ("MIN_TCOH", "min_temporal_coherence", "Minimum temporal coherence", False),
        (
            "ALIASED_MARGIN",
            "aliased_margin_px",
            "Margin left out around the flagged pixels of the mask (pixels)",
            True,
        ),
        ("WINDOW", "window_m", "Fit window around the panel (m; empty = 1.5 x depth)", True),
        ("FIT_SHIFT", "fit_shift", "Fit a constant shift of the input", True),
        ("BOOTSTRAP", "bootstrap", "Bootstrap resamples (0 = off)", True),
        ("BOOTSTRAP_BLOCK", "bootstrap_block_px", "Bootstrap block (pixels)", True),
        ("Q", "q", "Subsidence factor q (forward mode)", False),
        ("TAN_BETA", "tan_beta", "tan(beta) (forward mode)", False),
        ("OFFSET", "offset_m", "Inflection offset s (m, forward mode)", True),
        ("THETA", "theta_deg", "Propagation angle (degrees, forward mode)", True),
        ("B", "b", "Horizontal-movement coefficient b", True),
        ("CONTOUR", "contour_mm", "Boundary contour (mm)", True),
        ("CELL_SIZE", "cell_size_m", "Forward grid cell size without input (m)", True),
    )

    def initAlgorithm(self, config=None):
        self.addParameter(option_parameter(self.MODE, PimOptions, "mode", "Mode"))
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.INPUT, "Vertical displacement (mm) or rate (mm/yr)", optional=True
                ),
                "Measured displacement over the panel, negative = subsidence (fit mode); in "
                "forward mode an optional template grid.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.PANEL, "Mined panel (polygon)", [ProcessingSourceType.VectorPolygon]
                ),
                "Plan-view outline of the extracted (or planned) panel; all features are "
                "dissolved into one polygon.",
            )
        )
        for name, field, label, is_advanced in self.OPTION_PARAMETERS:
            parameter = option_parameter(name, PimOptions, field, label, advanced=is_advanced)
            if name in (self.THICKNESS, self.DEPTH):
                # zero or negative get checkParameterValues' message, which says what to give
                parameter.setMinimum(-1e9)
            self.addParameter(parameter)
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.GEOMETRY,
                    "Geometry (geometryGeo.h5): the input is LOS",
                    extension="h5",
                    optional=True,
                ),
                "When given, the input is LOS and becomes vertical as LOS / cos(incidence).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.TCOH, "Temporal coherence (temporalCoherence.h5 or raster)", optional=True
                ),
                "Pixels below the minimum temporal coherence are not fitted.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.DETECTABLE_MASK, "Beyond-what-InSAR-can-measure mask", optional=True
                ),
                "OUTPUT_MASK of Detectable deformation gradient: non-zero pixels are not fitted.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(self.MASK, "Reliability mask", optional=True),
                "Your own mask on the input grid: non-zero = reliable.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE, "PIM parameters (CSV)", "CSV files (*.csv)"
                ),
                "parameter,value,std,std_bootstrap: q, tan_beta, offset_m, theta_deg, w_max_mm, "
                "influence_radius_m and, in fit mode, rmse_mm, shift_mm, pixels_fitted.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(self.OUTPUT, "Modelled basin (mm)"),
                "The whole basin, decorrelated core included; vertical mm, negative = down.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_RESIDUAL,
                    "Residual: measured minus model (mm)",
                    optional=True,
                    createByDefault=False,
                ),
                "Fit mode only; in the core it shows what InSAR missed.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(
                    self.OUTPUT_BOUNDARY,
                    "Basin boundary (contour polygon)",
                    ProcessingSourceType.VectorPolygon,
                    optional=True,
                ),
                "Polygon of the modelled basin deeper than the boundary contour (10 mm: the "
                "usual boundary of influence).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_HORIZONTAL,
                    "Horizontal movement (east, north; mm)",
                    optional=True,
                    createByDefault=False,
                ),
                "U = b r dW/dx of the basin: band 1 east, band 2 north (mm).",
            )
        )
        for name, description in self.NUMBER_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            options = self.read_options(parameters, context, PimOptions)
        except QgsProcessingException as exc:
            return False, str(exc)
        for name, value in (("thickness", options.thickness_m), ("depth", options.depth_m)):
            if value is None or value <= 0:
                return False, f"The panel's {name} must be a positive number of metres."
        raster = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if options.mode == PimMode.FIT and raster is None:
            return False, "Fitting needs the displacement raster (INPUT)."
        source = self.parameterAsSource(parameters, self.PANEL, context)
        if raster is not None and source is not None and options.mode == PimMode.FIT:
            transform = QgsCoordinateTransform(
                source.sourceCrs(), raster.crs(), context.transformContext()
            )
            try:
                extent = transform.transformBoundingBox(source.sourceExtent())
            except Exception as exc:  # noqa: BLE001 (QgsCsException: report, do not crash)
                return False, f"The panel cannot be transformed to the raster CRS: {exc}"
            if not extent.intersects(raster.extent()):
                return False, (
                    "The panel lies outside the displacement raster. Fix: draw the panel over "
                    "the raster (the layers may be in different CRS)."
                )
        if options.input_kind == InputKind.RATE and not options.period_years:
            return False, "A rate input needs the period it covers (PERIOD, years)."
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, PimOptions)
        outputs = PimOutputs(
            table=self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context),
            model=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            residual=self.optional_output(parameters, self.OUTPUT_RESIDUAL, context),
            boundary=self.optional_output(parameters, self.OUTPUT_BOUNDARY, context),
            horizontal=self.optional_output(parameters, self.OUTPUT_HORIZONTAL, context),
        )
        tcoh = self.parameterAsFile(parameters, self.TCOH, context) or None
        fit = self.run_core(
            feedback,
            run_pim,
            self.raster_path(parameters, self.INPUT, context),
            self.vector_path(parameters, self.PANEL, context, feedback),
            outputs,
            options,
            temporal_coherence=tcoh,
            detectable_mask=self.raster_path(parameters, self.DETECTABLE_MASK, context),
            reliability_mask=self.raster_path(parameters, self.MASK, context),
            geometry=self.parameterAsFile(parameters, self.GEOMETRY, context) or None,
        )
        p = fit.parameters
        text = (
            f"q = {p.q:.3f}, tan(beta) = {p.tan_beta:.2f}, s = {p.offset_m:.1f} m, "
            f"theta = {p.theta_deg:.1f} deg, W_max = {fit.w_max_mm:.0f} mm"
        )
        if fit.rmse_mm is not None:
            text += (
                f"; RMSE {fit.rmse_mm:.1f} mm on {fit.pixels_fitted} reliable pixels "
                f"({fit.pixels_excluded} left out); fitted in {fit.seconds:.1f} s"
            )
        self.log(feedback, text)
        for message in fit.messages:
            feedback.reportError(message, fatalError=False)
        self.style_on_load(context, outputs.model, "basin")
        for output, style in (
            (outputs.residual, "displacement"),
            (outputs.boundary, "outline"),
            (outputs.horizontal, "basin"),
        ):
            if output:
                self.style_on_load(context, output, style)
        return {
            self.OUTPUT_TABLE: outputs.table,
            self.OUTPUT: outputs.model,
            self.OUTPUT_RESIDUAL: outputs.residual,
            self.OUTPUT_BOUNDARY: outputs.boundary,
            self.OUTPUT_HORIZONTAL: outputs.horizontal,
            # plain floats: Processing cannot hand numpy scalars on
            "Q": float(p.q),
            "TAN_BETA": float(p.tan_beta),
            "OFFSET_M": float(p.offset_m),
            "THETA_DEG": float(p.theta_deg),
            "W_MAX_MM": float(fit.w_max_mm),
            "RMSE_MM": None if fit.rmse_mm is None else float(fit.rmse_mm),
            "FIT_SECONDS": float(fit.seconds),
        }
