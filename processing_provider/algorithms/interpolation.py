"""Interpolation algorithms: terrain indices, driving-force stack, kriging/IDW/RBF, the patch
CNN of Azarm et al. (2025) and a side-by-side comparison on identical splits."""

from __future__ import annotations

from typing import Optional, Tuple

from qgis.core import (
    QgsProcessing,
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

from ...core.interpolation.cnn import CnnOptions
from ...core.interpolation.driving_forces import DrivingForceInputs, write_driving_forces
from ...core.interpolation.evaluation import CompareOptions, split_kinds
from ...core.interpolation.idw import IdwOptions
from ...core.interpolation.kriging import MODELS, KrigingOptions
from ...core.interpolation.rbf import RbfOptions
from ...core.interpolation.run import (
    INTERPOLATION_METHODS,
    InterpolateOptions,
    cnn_interpolate,
    compare_points,
    interpolate_points,
)
from ...core.interpolation.terrain import (
    FLOW_METHODS,
    TerrainOptions,
    write_terrain_indices,
)
from ..base import SubsidenceAlgorithm, advanced

CSV_FILTER = "CSV files (*.csv)"
MODEL_FILTER = "PyTorch model (*.pt)"
SPLITS = ("random", "block", "both")


def _extent(algorithm, parameters, context, crs) -> Optional[Tuple[float, float, float, float]]:
    if not parameters.get("EXTENT"):
        return None
    rect = algorithm.parameterAsExtent(parameters, "EXTENT", context, crs)
    if rect.isNull():
        return None
    return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())


def _style_rate(algorithm, context, layer_id: str, field: str) -> None:
    """Velocity ramp for rate fields (VEL, mean_velocity...); other fields keep QGIS's style."""
    if "vel" in field.lower() or "rate" in field.lower():
        algorithm.style_on_load(context, layer_id, "velocity")


def _add_points_parameters(algorithm) -> None:
    algorithm.addParameter(
        QgsProcessingParameterFeatureSource(
            "INPUT", "Points (PS, EGMS...)", [QgsProcessing.TypeVectorPoint]
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterField(
            "FIELD",
            "Value to interpolate (e.g. VEL, mm/yr)",
            "VEL",
            "INPUT",
            QgsProcessingParameterField.Numeric,
        )
    )


def _add_cnn_parameters(algorithm, defaults: CnnOptions, epochs: int) -> None:
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "PATCH_SIZE",
            "CNN patch size (cells; the point is at index size // 2)",
            QgsProcessingParameterNumber.Integer,
            defaults.patch_size,
            minValue=4,
            maxValue=128,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "EPOCHS",
            "CNN: maximum epochs (early stopping on the validation split)",
            QgsProcessingParameterNumber.Integer,
            epochs,
            minValue=1,
            maxValue=10000,
        )
    )
    advanced_parameters = [
        QgsProcessingParameterNumber(
            "PATIENCE",
            "CNN: stop after this many epochs without validation improvement",
            QgsProcessingParameterNumber.Integer,
            defaults.patience,
            minValue=1,
        ),
        QgsProcessingParameterNumber(
            "LEARNING_RATE",
            "CNN: Adam learning rate",
            QgsProcessingParameterNumber.Double,
            defaults.learning_rate,
            minValue=1e-7,
            maxValue=1.0,
        ),
        QgsProcessingParameterNumber(
            "BATCH_SIZE",
            "CNN: batch size",
            QgsProcessingParameterNumber.Integer,
            defaults.batch_size,
            minValue=2,
        ),
        QgsProcessingParameterNumber(
            "VALIDATION_FRACTION",
            "CNN: fraction of the training points used for early stopping",
            QgsProcessingParameterNumber.Double,
            defaults.validation_fraction,
            minValue=0.01,
            maxValue=0.5,
        ),
        QgsProcessingParameterNumber(
            "CONV_WIDTH",
            "CNN: channels of the first conv block "
            "(doubled per block; the paper-like default is 32)",
            QgsProcessingParameterNumber.Integer,
            defaults.conv_channels[0],
            minValue=2,
            maxValue=512,
        ),
        QgsProcessingParameterEnum(
            "DENSE",
            "CNN: dense layers",
            ["1024-1024-512-512-256 (paper)", "256-128 (small, fast)"],
            defaultValue=0,
        ),
    ]
    for parameter in advanced_parameters:
        advanced(parameter)
        algorithm.addParameter(parameter)


def _cnn_options(algorithm, parameters, context, seed: int) -> CnnOptions:
    width = algorithm.parameterAsInt(parameters, "CONV_WIDTH", context)
    dense = ((1024, 1024, 512, 512, 256), (256, 128))[
        algorithm.parameterAsEnum(parameters, "DENSE", context)
    ]
    return CnnOptions(
        patch_size=algorithm.parameterAsInt(parameters, "PATCH_SIZE", context),
        epochs=algorithm.parameterAsInt(parameters, "EPOCHS", context),
        patience=algorithm.parameterAsInt(parameters, "PATIENCE", context),
        learning_rate=algorithm.parameterAsDouble(parameters, "LEARNING_RATE", context),
        batch_size=algorithm.parameterAsInt(parameters, "BATCH_SIZE", context),
        validation_fraction=algorithm.parameterAsDouble(parameters, "VALIDATION_FRACTION", context),
        conv_channels=(width, 2 * width, 4 * width),
        dense=dense,
        seed=seed,
    )


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
    defaults = TerrainOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", "DEM (m)"))
        self.addParameter(
            QgsProcessingParameterEnum(
                "FLOW_METHOD",
                "Flow routing",
                list(FLOW_METHODS),
                defaultValue=FLOW_METHODS.index(self.defaults.flow_method),
            )
        )
        minimum = QgsProcessingParameterNumber(
            "MIN_TAN_SLOPE",
            "Floor of tan(slope) in TWI",
            QgsProcessingParameterNumber.Double,
            self.defaults.min_tan_slope,
            minValue=1e-9,
            maxValue=1.0,
        )
        advanced(minimum)
        self.addParameter(minimum)
        for name, label in (
            ("OUTPUT_SLOPE", "Slope (deg)"),
            ("OUTPUT_ASPECT", "Aspect (deg)"),
            ("OUTPUT_FLOWACC", "Flow accumulation (cells)"),
            ("OUTPUT_SPI", "Stream power index"),
            ("OUTPUT_TWI", "Topographic wetness index"),
        ):
            self.addParameter(QgsProcessingParameterRasterDestination(name, label, optional=True))

    def processAlgorithm(self, parameters, context, feedback):
        dem = self.raster_path(parameters, "INPUT", context)
        names = ("OUTPUT_SLOPE", "OUTPUT_ASPECT", "OUTPUT_FLOWACC", "OUTPUT_SPI", "OUTPUT_TWI")
        outputs = {
            n.split("_")[1].lower(): self.parameterAsOutputLayer(parameters, n, context)
            for n in names
        }
        if not any(outputs.values()):
            raise QgsProcessingException("Choose at least one output.")
        options = TerrainOptions(
            flow_method=FLOW_METHODS[self.parameterAsEnum(parameters, "FLOW_METHOD", context)],
            min_tan_slope=self.parameterAsDouble(parameters, "MIN_TAN_SLOPE", context),
        )
        self.run_core(feedback, write_terrain_indices, dem, outputs, options)
        return {
            n: outputs[n.split("_")[1].lower()] for n in names if outputs[n.split("_")[1].lower()]
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

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "REFERENCE", "Reference grid (default: the DEM)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "DEM", "DEM (m): altitude, slope, aspect, SPI, TWI", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer("RED", "Red reflectance", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "RED_BAND",
                "Band of the red raster",
                QgsProcessingParameterNumber.Integer,
                1,
                minValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer("NIR", "Near-infrared reflectance", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "NIR_BAND",
                "Band of the NIR raster",
                QgsProcessingParameterNumber.Integer,
                1,
                minValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "NDVI", "NDVI (used when red/NIR are not given)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "LANDUSE", "Land use (categorical codes)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "WATER_TABLE", "Depth to water table (m)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "WELLS",
                "Wells (points): distance from the nearest well",
                [QgsProcessing.TypeVectorPoint],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "FLOW_METHOD", "Flow routing for SPI/TWI", list(FLOW_METHODS), defaultValue=0
            )
        )
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", "Driving-force stack"))

    def processAlgorithm(self, parameters, context, feedback):
        def raster(name):
            return self.raster_path(parameters, name, context)

        inputs = DrivingForceInputs(
            reference=raster("REFERENCE"),
            dem=raster("DEM"),
            red=raster("RED"),
            nir=raster("NIR"),
            red_band=self.parameterAsInt(parameters, "RED_BAND", context),
            nir_band=self.parameterAsInt(parameters, "NIR_BAND", context),
            ndvi=raster("NDVI"),
            landuse=raster("LANDUSE"),
            water_table=raster("WATER_TABLE"),
            wells=self.vector_path(parameters, "WELLS", context, feedback),
            terrain=TerrainOptions(
                flow_method=FLOW_METHODS[self.parameterAsEnum(parameters, "FLOW_METHOD", context)]
            ),
        )
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        self.run_core(feedback, write_driving_forces, inputs, output)
        return {"OUTPUT": output}


class Interpolate(SubsidenceAlgorithm):
    ALGORITHM_ID = "interpolate"
    DISPLAY_NAME = "Interpolate points (kriging, IDW, RBF)"
    GROUP = "interpolation"
    HELP = (
        "Continuous raster from point values: ordinary kriging (variogram fitted on a "
        "subsample, local systems over the nearest points, so 60,000+ points fit in "
        "memory; optional kriging variance), inverse distance weighting or radial basis "
        "functions (scipy, local neighbourhood). Output in the points' CRS."
    )
    defaults = InterpolateOptions()

    def initAlgorithm(self, config=None):
        _add_points_parameters(self)
        self.addParameter(
            QgsProcessingParameterEnum(
                "METHOD", "Method", list(INTERPOLATION_METHODS), defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "CELL_SIZE",
                "Cell size (map units of the points)",
                QgsProcessingParameterNumber.Double,
                self.defaults.cell_size,
                minValue=1e-9,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(
                "EXTENT", "Extent (default: the points' bounding box)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "NEIGHBOURS",
                "Neighbours per prediction (kriging and IDW)",
                QgsProcessingParameterNumber.Integer,
                self.defaults.kriging.neighbours,
                minValue=1,
                maxValue=500,
            )
        )
        advanced_parameters = [
            QgsProcessingParameterEnum(
                "VARIOGRAM",
                "Kriging: variogram model",
                list(MODELS),
                defaultValue=MODELS.index(self.defaults.kriging.model),
            ),
            QgsProcessingParameterNumber(
                "POWER",
                "IDW: power",
                QgsProcessingParameterNumber.Double,
                self.defaults.idw.power,
                minValue=0.1,
                maxValue=10,
            ),
            QgsProcessingParameterNumber(
                "RBF_NEIGHBOURS",
                "RBF: neighbours",
                QgsProcessingParameterNumber.Integer,
                self.defaults.rbf.neighbours,
                minValue=3,
            ),
            QgsProcessingParameterNumber(
                "RBF_SMOOTHING",
                "RBF: smoothing (0 = exact through the points; raise it for noisy points)",
                QgsProcessingParameterNumber.Double,
                self.defaults.rbf.smoothing,
                minValue=0.0,
            ),
        ]
        for parameter in advanced_parameters:
            advanced(parameter)
            self.addParameter(parameter)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", "Interpolated raster"))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_VARIANCE",
                "Kriging variance (value units squared)",
                optional=True,
                createByDefault=False,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, "INPUT", context)
        points = self.vector_path(parameters, "INPUT", context, feedback)
        k = self.parameterAsInt(parameters, "NEIGHBOURS", context)
        options = InterpolateOptions(
            method=INTERPOLATION_METHODS[self.parameterAsEnum(parameters, "METHOD", context)],
            cell_size=self.parameterAsDouble(parameters, "CELL_SIZE", context),
            extent=_extent(self, parameters, context, source.sourceCrs()),
            kriging=KrigingOptions(
                model=MODELS[self.parameterAsEnum(parameters, "VARIOGRAM", context)], neighbours=k
            ),
            idw=IdwOptions(
                power=self.parameterAsDouble(parameters, "POWER", context), neighbours=k
            ),
            rbf=RbfOptions(
                neighbours=self.parameterAsInt(parameters, "RBF_NEIGHBOURS", context),
                smoothing=self.parameterAsDouble(parameters, "RBF_SMOOTHING", context),
            ),
        )
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        variance = self.optional_output(parameters, "OUTPUT_VARIANCE", context)
        field = self.parameterAsFields(parameters, "FIELD", context)[0]
        self.run_core(feedback, interpolate_points, points, field, output, options, variance)
        _style_rate(self, context, output, field)
        result = {"OUTPUT": output}
        if variance and options.method == "kriging":
            result["OUTPUT_VARIANCE"] = variance
        return result


class InterpolateCnn(SubsidenceAlgorithm):
    ALGORITHM_ID = "interpolatecnn"
    DISPLAY_NAME = "CNN interpolation from driving forces"
    GROUP = "interpolation"
    HELP = (
        "Trains a patch CNN (Azarm et al. 2025) mapping the driving-force window around each "
        "point to its value, with per-raster normalisation and the patch centred on the "
        "point; early stopping on a validation split. Writes the model, train/test metrics, "
        "held-out point errors and the surface over the whole grid. Uses CUDA when present."
    )
    defaults = CnnOptions()

    def initAlgorithm(self, config=None):
        _add_points_parameters(self)
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "DRIVERS", "Driving-force stack (from 'Driving-force stack')"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "TEST_FRACTION",
                "Fraction of points held out for testing",
                QgsProcessingParameterNumber.Double,
                0.2,
                minValue=0.05,
                maxValue=0.5,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0, minValue=0
            )
        )
        _add_cnn_parameters(self, self.defaults, self.defaults.epochs)
        self.addParameter(
            QgsProcessingParameterFileDestination("OUTPUT_MODEL", "Trained model", MODEL_FILTER)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_METRICS", "Metrics (CSV: subset, rmse, mae, r2)", CSV_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                "OUTPUT_ERRORS", "Errors at held-out points", QgsProcessing.TypeVectorPoint
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination("OUTPUT", "CNN surface over the driver grid")
        )

    def processAlgorithm(self, parameters, context, feedback):
        points = self.vector_path(parameters, "INPUT", context, feedback)
        field = self.parameterAsFields(parameters, "FIELD", context)[0]
        drivers = self.raster_path(parameters, "DRIVERS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        options = _cnn_options(self, parameters, context, seed)
        outputs = {
            "OUTPUT_MODEL": self.parameterAsFileOutput(parameters, "OUTPUT_MODEL", context),
            "OUTPUT_METRICS": self.parameterAsFileOutput(parameters, "OUTPUT_METRICS", context),
            "OUTPUT_ERRORS": self.parameterAsOutputLayer(parameters, "OUTPUT_ERRORS", context),
            "OUTPUT": self.parameterAsOutputLayer(parameters, "OUTPUT", context),
        }
        self.run_core(
            feedback,
            cnn_interpolate,
            points,
            field,
            drivers,
            outputs["OUTPUT_MODEL"],
            outputs["OUTPUT"],
            outputs["OUTPUT_METRICS"],
            outputs["OUTPUT_ERRORS"],
            self.parameterAsDouble(parameters, "TEST_FRACTION", context),
            options,
        )
        _style_rate(self, context, outputs["OUTPUT"], field)
        return outputs


class CompareInterpolators(SubsidenceAlgorithm):
    ALGORITHM_ID = "compareinterpolators"
    DISPLAY_NAME = "Compare interpolators (random vs spatial block CV)"
    GROUP = "interpolation"
    HELP = (
        "Scores kriging, IDW, RBF and (with a driver stack) the CNN on IDENTICAL folds: "
        "random K-fold and spatial block K-fold (whole blocks held out, so test points have "
        "no training neighbours). Table of RMSE, MAE, R2 per method and split, Wilcoxon "
        "tests on paired absolute errors and error maps at held-out points."
    )
    defaults = CompareOptions()

    def initAlgorithm(self, config=None):
        _add_points_parameters(self)
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "DRIVERS", "Driving-force stack (optional; enables the CNN)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "SPLIT", "Split", list(SPLITS), defaultValue=SPLITS.index(self.defaults.split)
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "FOLDS",
                "Folds",
                QgsProcessingParameterNumber.Integer,
                self.defaults.folds,
                minValue=2,
                maxValue=20,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "BLOCK_SIZE",
                "Block size (map units; 0 = 5 CNN patch widths, or 1/8 of the extent "
                "without drivers)",
                QgsProcessingParameterNumber.Double,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SEED",
                "Random seed",
                QgsProcessingParameterNumber.Integer,
                self.defaults.seed,
                minValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "WITH_CNN", "Include the CNN (needs the driver stack; slow on CPU)", True
            )
        )
        _add_cnn_parameters(self, self.defaults.cnn, 50)
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_TABLE", "Metrics table (CSV: method, split, rmse, mae, r2)", CSV_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                "OUTPUT_FOLDER", "Folder for paired tests and error maps", optional=True
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        points = self.vector_path(parameters, "INPUT", context, feedback)
        field = self.parameterAsFields(parameters, "FIELD", context)[0]
        drivers = self.raster_path(parameters, "DRIVERS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        methods = tuple(
            m
            for m in self.defaults.methods
            if m != "cnn" or self.parameterAsBool(parameters, "WITH_CNN", context)
        )
        split = SPLITS[self.parameterAsEnum(parameters, "SPLIT", context)]
        split_kinds(split)
        options = CompareOptions(
            split=split,
            folds=self.parameterAsInt(parameters, "FOLDS", context),
            block_size=self.parameterAsDouble(parameters, "BLOCK_SIZE", context) or None,
            seed=seed,
            methods=methods,
            cnn=_cnn_options(self, parameters, context, seed),
        )
        table = self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context)
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context) or None
        if folder:
            folder = self.parameterAsFileOutput(parameters, "OUTPUT_FOLDER", context)
        self.run_core(feedback, compare_points, points, field, table, folder, drivers, options)
        result = {"OUTPUT_TABLE": table}
        if folder:
            result["OUTPUT_FOLDER"] = folder
        return result
