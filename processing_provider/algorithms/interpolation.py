"""Interpolation algorithms: terrain indices, driving-force stack, kriging/IDW/RBF, the patch
CNN of Azarm et al. (2025) and a side-by-side comparison on identical splits."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Tuple

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from ...core.interpolation.cnn import CnnOptions, DenseLayers
from ...core.interpolation.driving_forces import DrivingForceInputs, write_driving_forces
from ...core.interpolation.evaluation import ComparedMethod, CompareOptions
from ...core.interpolation.run import (
    CnnInterpolationOptions,
    InterpolateOptions,
    InterpolationMethod,
    cnn_interpolate,
    compare_points,
    interpolate_points,
)
from ...core.interpolation.terrain import TerrainIndex, TerrainOptions, write_terrain_indices
from ..base import SubsidenceAlgorithm, advanced
from ..parameters import option_help, option_parameter, with_help
from ..qgis_compat import (
    ProcessingFieldParameterDataType,
    ProcessingNumberParameterType,
    ProcessingSourceType,
    parameter_as_field_names,
)

CSV_FILTER = "CSV files (*.csv)"
MODEL_FILTER = "PyTorch model (*.pt)"


def _style_rate(algorithm, context, layer_id: str, field: str) -> None:
    """Velocity ramp for rate fields (VEL, mean_velocity...); other fields keep QGIS's style."""
    if "vel" in field.lower() or "rate" in field.lower():
        algorithm.style_on_load(context, layer_id, "velocity")


class _PointsAlgorithm(SubsidenceAlgorithm):
    """Algorithms that read one numeric field of a point layer."""

    INPUT = "INPUT"
    FIELD = "FIELD"

    def add_points_parameters(self) -> None:
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.INPUT, "Points (PS, EGMS...)", [ProcessingSourceType.VectorPoint]
                ),
                "Point layer holding the value to interpolate (PS points, imported EGMS, ...).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterField(
                    self.FIELD,
                    "Value to interpolate (e.g. VEL, mm/yr)",
                    "VEL",
                    self.INPUT,
                    ProcessingFieldParameterDataType.Numeric,
                ),
                "Numeric field of the points, e.g. VEL (mm/yr, negative = subsidence) or a "
                "DYYYYMMDD displacement (mm); the output has its unit.",
            )
        )

    def field(self, parameters, context) -> str:
        return parameter_as_field_names(self, parameters, self.FIELD, context)[0]


class _CnnAlgorithm(_PointsAlgorithm):
    """Algorithms that train the patch CNN; its settings live at ``cnn`` of their options."""

    DRIVERS = "DRIVERS"
    PATCH_SIZE = "PATCH_SIZE"
    EPOCHS = "EPOCHS"
    PATIENCE = "PATIENCE"
    LEARNING_RATE = "LEARNING_RATE"
    BATCH_SIZE = "BATCH_SIZE"
    VALIDATION_FRACTION = "VALIDATION_FRACTION"
    CONV_WIDTH = "CONV_WIDTH"
    DENSE = "DENSE"

    def add_cnn_parameters(self, options_class: type) -> None:
        self.addParameter(
            option_parameter(
                self.PATCH_SIZE,
                options_class,
                "cnn.patch_size",
                "CNN patch size (cells; the point is at index size // 2)",
            )
        )
        self.addParameter(
            option_parameter(
                self.EPOCHS,
                options_class,
                "cnn.epochs",
                "CNN: maximum epochs (early stopping on the validation split)",
            )
        )
        for name, field, description in (
            (
                self.PATIENCE,
                "patience",
                "CNN: stop after this many epochs without validation improvement",
            ),
            (self.LEARNING_RATE, "learning_rate", "CNN: Adam learning rate"),
            (self.BATCH_SIZE, "batch_size", "CNN: batch size"),
            (
                self.VALIDATION_FRACTION,
                "validation_fraction",
                "CNN: fraction of the training points used for early stopping",
            ),
        ):
            self.addParameter(
                option_parameter(name, options_class, f"cnn.{field}", description, advanced=True)
            )
        defaults = options_class().cnn
        width = QgsProcessingParameterNumber(
            self.CONV_WIDTH,
            "CNN: channels of the first conv block "
            "(doubled per block; the paper-like default is 32)",
            ProcessingNumberParameterType.Integer,
            defaults.conv_channels[0],
            minValue=2,
            maxValue=512,
        )
        dense = QgsProcessingParameterEnum(
            self.DENSE,
            "CNN: dense layers",
            list(DenseLayers.values()),
            defaultValue=_dense_layout(defaults.dense),
            usesStaticStrings=True,
        )
        for parameter, field, extra in (
            (width, "conv_channels", "Here: the first block's channels, at least 2."),
            (dense, "dense", f"Choices: {DenseLayers.described()}."),
        ):
            self.addParameter(
                advanced(with_help(parameter, f"{option_help(CnnOptions, field)} {extra}"))
            )

    def read_cnn_options(self, parameters, context, options_class: type, **given):
        """``options_class`` from the parameters, with the CNN's channels and dense layers."""
        options = self.read_options(parameters, context, options_class, **given)
        width = self.parameterAsInt(parameters, self.CONV_WIDTH, context)
        dense = DenseLayers.parse(
            self.parameterAsEnumString(parameters, self.DENSE, context), "dense layers"
        )
        cnn = replace(options.cnn, conv_channels=(width, 2 * width, 4 * width), dense=dense.units)
        return replace(options, cnn=cnn)


def _dense_layout(units) -> str:
    """The DenseLayers value whose units are ``units``."""
    return next(layout for layout in DenseLayers if layout.units == tuple(units)).value


class TerrainIndices(SubsidenceAlgorithm):
    ALGORITHM_ID = "terrainindices"
    DISPLAY_NAME = "Terrain indices (slope, aspect, flow, SPI, TWI)"
    GROUP = "interpolation"
    HELP = (
        "Slope (deg), aspect (deg from north, -1 on flats), flow accumulation (cells; sinks "
        "filled, flats resolved; D8 or D-infinity), stream power index SPI = a tan b and "
        "topographic wetness index TWI = ln(a / tan b) from a DEM (a: specific catchment "
        "area in m; tan b floored). Geographic DEMs are converted to metres per latitude."
    )
    UNITS = (
        "Slope and aspect in degrees (aspect clockwise from north, -1 on flats); flow "
        "accumulation in cells; SPI and TWI dimensionless, from the specific catchment area "
        "in m; DEM heights in m."
    )
    SOURCE = (
        "paper 003 (altitude, slope, aspect, SPI and TWI among the nine driving forces); TWI "
        "of Beven & Kirkby (1979), D8 of O'Callaghan & Mark (1984), D-infinity of Tarboton "
        "(1997)."
    )
    TAGS = ("terrain", "slope", "aspect", "twi", "spi", "flow accumulation", "dem")
    INPUT = "INPUT"
    FLOW_METHOD = "FLOW_METHOD"
    MIN_TAN_SLOPE = "MIN_TAN_SLOPE"
    #: output parameter -> the index it writes
    OUTPUTS = {
        "OUTPUT_SLOPE": TerrainIndex.SLOPE,
        "OUTPUT_ASPECT": TerrainIndex.ASPECT,
        "OUTPUT_FLOWACC": TerrainIndex.FLOWACC,
        "OUTPUT_SPI": TerrainIndex.SPI,
        "OUTPUT_TWI": TerrainIndex.TWI,
    }

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(self.INPUT, "DEM (m)"),
                "Elevation raster in metres (projected or geographic CRS).",
            )
        )
        self.addParameter(
            option_parameter(self.FLOW_METHOD, TerrainOptions, "flow_method", "Flow routing")
        )
        self.addParameter(
            option_parameter(
                self.MIN_TAN_SLOPE,
                TerrainOptions,
                "min_tan_slope",
                "Floor of tan(slope) in TWI",
                advanced=True,
            )
        )
        for name, index in self.OUTPUTS.items():
            self.addParameter(
                with_help(
                    QgsProcessingParameterRasterDestination(name, index.label, optional=True),
                    f"{index.label} on the DEM grid (GeoTIFF); leave empty to skip it.",
                )
            )

    def processAlgorithm(self, parameters, context, feedback):
        dem = self.raster_path(parameters, self.INPUT, context)
        outputs = {
            index.value: self.parameterAsOutputLayer(parameters, name, context)
            for name, index in self.OUTPUTS.items()
        }
        if not any(outputs.values()):
            raise QgsProcessingException("Choose at least one output.")
        options = self.read_options(parameters, context, TerrainOptions)
        self.run_core(feedback, write_terrain_indices, dem, outputs, options)
        return {
            name: outputs[index.value]
            for name, index in self.OUTPUTS.items()
            if outputs[index.value]
        }


class DrivingForces(SubsidenceAlgorithm):
    ALGORITHM_ID = "drivingforces"
    DISPLAY_NAME = "Driving-force stack"
    GROUP = "interpolation"
    HELP = (
        "Aligns subsidence driving forces onto one reference grid and stacks them into one "
        "multi-band GeoTIFF with band names: altitude, slope, aspect, SPI, TWI (from a DEM), "
        "NDVI (from red/NIR bands or given), land use (nearest neighbour), water table "
        "(bilinear) and distance from wells (m). Input for the CNN interpolation."
    )
    UNITS = (
        "One band per force, each in its own unit: altitude m, slope and aspect degrees, SPI "
        "and TWI dimensionless, NDVI -1..1, land use class codes, water table as given (m), "
        "distance from wells m."
    )
    SOURCE = "paper 003 (the driving forces of subsidence stacked as CNN inputs)."
    TAGS = ("driving forces", "stack", "ndvi", "land use", "water table", "wells", "cnn")
    REFERENCE = "REFERENCE"
    DEM = "DEM"
    RED = "RED"
    RED_BAND = "RED_BAND"
    NIR = "NIR"
    NIR_BAND = "NIR_BAND"
    NDVI = "NDVI"
    LANDUSE = "LANDUSE"
    WATER_TABLE = "WATER_TABLE"
    WELLS = "WELLS"
    FLOW_METHOD = "FLOW_METHOD"
    OUTPUT = "OUTPUT"
    #: raster parameter -> its DrivingForceInputs field
    RASTERS = {
        REFERENCE: "reference",
        DEM: "dem",
        RED: "red",
        NIR: "nir",
        NDVI: "ndvi",
        LANDUSE: "landuse",
        WATER_TABLE: "water_table",
    }

    def _raster(self, name: str, description: str):
        return with_help(
            QgsProcessingParameterRasterLayer(name, description, optional=True),
            option_help(DrivingForceInputs, self.RASTERS[name]),
        )

    def initAlgorithm(self, config=None):
        self.addParameter(self._raster(self.REFERENCE, "Reference grid (default: the DEM)"))
        self.addParameter(self._raster(self.DEM, "DEM (m): altitude, slope, aspect, SPI, TWI"))
        self.addParameter(self._raster(self.RED, "Red reflectance"))
        self.addParameter(
            option_parameter(
                self.RED_BAND, DrivingForceInputs, "red_band", "Band of the red raster"
            )
        )
        self.addParameter(self._raster(self.NIR, "Near-infrared reflectance"))
        self.addParameter(
            option_parameter(
                self.NIR_BAND, DrivingForceInputs, "nir_band", "Band of the NIR raster"
            )
        )
        self.addParameter(self._raster(self.NDVI, "NDVI (used when red/NIR are not given)"))
        self.addParameter(self._raster(self.LANDUSE, "Land use (categorical codes)"))
        self.addParameter(self._raster(self.WATER_TABLE, "Depth to water table (m)"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.WELLS,
                    "Wells (points): distance from the nearest well",
                    [ProcessingSourceType.VectorPoint],
                    optional=True,
                ),
                option_help(DrivingForceInputs, "wells"),
            )
        )
        self.addParameter(
            option_parameter(
                self.FLOW_METHOD,
                DrivingForceInputs,
                "terrain.flow_method",
                "Flow routing for SPI/TWI",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(self.OUTPUT, "Driving-force stack"),
                "Multi-band GeoTIFF on the reference grid, one named band per driving force.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        inputs = self.read_options(
            parameters,
            context,
            DrivingForceInputs,
            wells=self.vector_path(parameters, self.WELLS, context, feedback),
            **{
                field: self.raster_path(parameters, name, context)
                for name, field in self.RASTERS.items()
            },
        )
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        self.run_core(feedback, write_driving_forces, inputs, output)
        return {self.OUTPUT: output}


class Interpolate(_PointsAlgorithm):
    ALGORITHM_ID = "interpolate"
    DISPLAY_NAME = "Interpolate points (kriging, IDW, RBF)"
    GROUP = "interpolation"
    HELP = (
        "Continuous raster from point values: ordinary kriging (variogram fitted on a "
        "subsample, local systems over the nearest points, so 60,000+ points fit in "
        "memory; optional kriging variance), inverse distance weighting or radial basis "
        "functions (scipy, local neighbourhood). Output in the points' CRS."
    )
    UNITS = (
        "The surface is in the unit of the chosen field (mm/yr for VEL); kriging variance in "
        "that unit squared; distances and cell size in the units of the points' CRS (m for "
        "projected CRS)."
    )
    SOURCE = (
        "paper 003 (ordinary kriging, IDW and RBF as the reference interpolators of InSAR rates)."
    )
    TAGS = ("interpolation", "kriging", "idw", "rbf", "variogram", "raster", "points")
    METHOD = "METHOD"
    CELL_SIZE = "CELL_SIZE"
    EXTENT = "EXTENT"
    NEIGHBOURS = "NEIGHBOURS"
    VARIOGRAM = "VARIOGRAM"
    POWER = "POWER"
    RBF_NEIGHBOURS = "RBF_NEIGHBOURS"
    RBF_SMOOTHING = "RBF_SMOOTHING"
    OUTPUT = "OUTPUT"
    OUTPUT_VARIANCE = "OUTPUT_VARIANCE"

    def initAlgorithm(self, config=None):
        self.add_points_parameters()
        self.addParameter(option_parameter(self.METHOD, InterpolateOptions, "method", "Method"))
        self.addParameter(
            option_parameter(
                self.CELL_SIZE,
                InterpolateOptions,
                "cell_size",
                "Cell size (map units of the points)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterExtent(
                    self.EXTENT, "Extent (default: the points' bounding box)", optional=True
                ),
                option_help(InterpolateOptions, "extent"),
            )
        )
        neighbours = option_parameter(
            self.NEIGHBOURS,
            InterpolateOptions,
            "kriging.neighbours",
            "Neighbours per prediction (kriging and IDW)",
        )
        neighbours.setHelp(neighbours.help() + " IDW averages as many nearest points.")
        self.addParameter(neighbours)
        for name, field, description in (
            (self.VARIOGRAM, "kriging.model", "Kriging: variogram model"),
            (self.POWER, "idw.power", "IDW: power"),
            (self.RBF_NEIGHBOURS, "rbf.neighbours", "RBF: neighbours"),
            (
                self.RBF_SMOOTHING,
                "rbf.smoothing",
                "RBF: smoothing (0 = exact through the points; raise it for noisy points)",
            ),
        ):
            self.addParameter(
                option_parameter(name, InterpolateOptions, field, description, advanced=True)
            )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(self.OUTPUT, "Interpolated raster"),
                "GeoTIFF in the points' CRS, in the unit of the interpolated field.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_VARIANCE,
                    "Kriging variance (value units squared)",
                    optional=True,
                    createByDefault=False,
                ),
                "Kriging variance per cell (unit of the field, squared); kriging only.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, self.INPUT, context)
        points = self.vector_path(parameters, self.INPUT, context, feedback)
        options = self.read_options(
            parameters,
            context,
            InterpolateOptions,
            extent=self._extent(parameters, context, source),
        )
        # one NEIGHBOURS parameter serves kriging and IDW
        options = replace(options, idw=replace(options.idw, neighbours=options.kriging.neighbours))
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        variance = self.optional_output(parameters, self.OUTPUT_VARIANCE, context)
        field = self.field(parameters, context)
        self.run_core(feedback, interpolate_points, points, field, output, options, variance)
        _style_rate(self, context, output, field)
        result = {self.OUTPUT: output}
        if variance and options.method == InterpolationMethod.KRIGING:
            result[self.OUTPUT_VARIANCE] = variance
        return result

    def _extent(self, parameters, context, source) -> Optional[Tuple[float, float, float, float]]:
        if not parameters.get(self.EXTENT):
            return None
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, source.sourceCrs())
        if rect.isNull():
            return None
        return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())


class InterpolateCnn(_CnnAlgorithm):
    ALGORITHM_ID = "interpolatecnn"
    DISPLAY_NAME = "CNN interpolation from driving forces"
    GROUP = "interpolation"
    HELP = (
        "Trains a patch CNN (Azarm et al. 2025) mapping the driving-force window around each "
        "point to its value, with per-raster normalisation and the patch centred on the "
        "point; early stopping on a validation split. Writes the model, train/test metrics, "
        "held-out point errors and the surface over the whole grid. Uses CUDA when present."
    )
    UNITS = (
        "Predictions in the unit of the point field (mm/yr for VEL); RMSE and MAE in that "
        "unit, R2 dimensionless; patch size in pixels of the driver stack."
    )
    SOURCE = (
        "paper 003 (Azarm et al. 2025: patch CNN from nine driving forces, InSAR points as labels)."
    )
    TAGS = ("cnn", "deep learning", "interpolation", "driving forces", "patch", "torch")
    TEST_FRACTION = "TEST_FRACTION"
    SEED = "SEED"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    OUTPUT_METRICS = "OUTPUT_METRICS"
    OUTPUT_ERRORS = "OUTPUT_ERRORS"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.add_points_parameters()
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.DRIVERS, "Driving-force stack (from 'Driving-force stack')"
                ),
                "Multi-band raster of driving forces; the points must fall on its grid.",
            )
        )
        self.addParameter(
            option_parameter(
                self.TEST_FRACTION,
                CnnInterpolationOptions,
                "test_fraction",
                "Fraction of points held out for testing",
            )
        )
        self.addParameter(
            option_parameter(self.SEED, CnnInterpolationOptions, "cnn.seed", "Random seed")
        )
        self.add_cnn_parameters(CnnInterpolationOptions)
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_MODEL, "Trained model", MODEL_FILTER
                ),
                "The network with its normalisation and band names (PyTorch .pt).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_METRICS, "Metrics (CSV: subset, rmse, mae, r2)", CSV_FILTER
                ),
                "RMSE, MAE (unit of the field) and R2 on the training and the held-out points.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterVectorDestination(
                    self.OUTPUT_ERRORS,
                    "Errors at held-out points",
                    ProcessingSourceType.VectorPoint,
                ),
                "Held-out points with OBS, PRED and ERR = PRED - OBS.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT, "CNN surface over the driver grid"
                ),
                "CNN prediction at every cell of the driver grid (unit of the field).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        points = self.vector_path(parameters, self.INPUT, context, feedback)
        field = self.field(parameters, context)
        drivers = self.raster_path(parameters, self.DRIVERS, context)
        options = self.read_cnn_options(parameters, context, CnnInterpolationOptions)
        outputs = {
            self.OUTPUT_MODEL: self.parameterAsFileOutput(parameters, self.OUTPUT_MODEL, context),
            self.OUTPUT_METRICS: self.parameterAsFileOutput(
                parameters, self.OUTPUT_METRICS, context
            ),
            self.OUTPUT_ERRORS: self.parameterAsOutputLayer(
                parameters, self.OUTPUT_ERRORS, context
            ),
            self.OUTPUT: self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
        }
        self.run_core(
            feedback,
            cnn_interpolate,
            points,
            field,
            drivers,
            outputs[self.OUTPUT_MODEL],
            outputs[self.OUTPUT],
            outputs[self.OUTPUT_METRICS],
            outputs[self.OUTPUT_ERRORS],
            options,
        )
        _style_rate(self, context, outputs[self.OUTPUT], field)
        return outputs


class CompareInterpolators(_CnnAlgorithm):
    ALGORITHM_ID = "compareinterpolators"
    DISPLAY_NAME = "Compare interpolators (random vs spatial block CV)"
    GROUP = "interpolation"
    HELP = (
        "Scores kriging, IDW, RBF and (with a driver stack) the CNN on IDENTICAL folds: "
        "random K-fold and spatial block K-fold (whole blocks held out, so test points have "
        "no training neighbours). Table of RMSE, MAE, R2 per method and split, Wilcoxon "
        "tests on paired absolute errors and error maps at held-out points."
    )
    UNITS = (
        "Errors in the unit of the point field (mm/yr for VEL); R2 dimensionless; block size "
        "in the units of the points' CRS (m)."
    )
    SOURCE = (
        "paper 003 (kriging, IDW, RBF and the CNN compared on held-out InSAR points); spatial "
        "block cross-validation after Roberts et al. (2017)."
    )
    TAGS = ("cross-validation", "kriging", "idw", "rbf", "cnn", "spatial blocks")
    SPLIT = "SPLIT"
    FOLDS = "FOLDS"
    BLOCK_SIZE = "BLOCK_SIZE"
    SEED = "SEED"
    WITH_CNN = "WITH_CNN"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"

    def initAlgorithm(self, config=None):
        self.add_points_parameters()
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.DRIVERS, "Driving-force stack (optional; enables the CNN)", optional=True
                ),
                "Multi-band raster of driving forces; with it only points on its grid are "
                "scored, by every method.",
            )
        )
        self.addParameter(option_parameter(self.SPLIT, CompareOptions, "split", "Split"))
        self.addParameter(option_parameter(self.FOLDS, CompareOptions, "folds", "Folds"))
        self.addParameter(
            option_parameter(
                self.BLOCK_SIZE,
                CompareOptions,
                "block_size",
                "Block size (map units; 0 = 5 CNN patch widths, or 1/8 of the extent "
                "without drivers)",
                zero_is_none=True,
            )
        )
        self.addParameter(option_parameter(self.SEED, CompareOptions, "seed", "Random seed"))
        self.addParameter(
            with_help(
                QgsProcessingParameterBoolean(
                    self.WITH_CNN,
                    "Include the CNN (needs the driver stack; slow on CPU)",
                    ComparedMethod.CNN in CompareOptions().methods,
                ),
                "Train and score the CNN in every fold (needs the driving-force stack).",
            )
        )
        self.add_cnn_parameters(CompareOptions)
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE,
                    "Metrics table (CSV: method, split, rmse, mae, r2)",
                    CSV_FILTER,
                ),
                "RMSE, MAE (unit of the field), R2 and N per method and split, on pooled "
                "out-of-fold predictions.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFolderDestination(
                    self.OUTPUT_FOLDER, "Folder for paired tests and error maps", optional=True
                ),
                "paired_tests.csv (Wilcoxon tests of paired absolute errors) and "
                "errors_<split>.gpkg (PRED_ and ERR_ per method at every point).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        points = self.vector_path(parameters, self.INPUT, context, feedback)
        field = self.field(parameters, context)
        drivers = self.raster_path(parameters, self.DRIVERS, context)
        options = self.read_cnn_options(parameters, context, CompareOptions)
        with_cnn = self.parameterAsBool(parameters, self.WITH_CNN, context)
        options = replace(
            options,
            methods=tuple(m for m in options.methods if m != ComparedMethod.CNN or with_cnn),
            cnn=replace(options.cnn, seed=options.seed),  # one SEED for folds and network
        )
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context)
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context) or None
        if folder:
            folder = self.parameterAsFileOutput(parameters, self.OUTPUT_FOLDER, context)
        self.run_core(feedback, compare_points, points, field, table, folder, drivers, options)
        result = {self.OUTPUT_TABLE: table}
        if folder:
            result[self.OUTPUT_FOLDER] = folder
        return result
