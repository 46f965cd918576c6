"""Prediction algorithms: compare forecasting models on a few points, forecast many points."""

from __future__ import annotations

from dataclasses import replace

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorDestination,
)

from ...core.prediction.evaluation import ForecastOptions, compare_file, forecast_file
from ...core.prediction.hybrids import LABELS, MODELS
from ..base import SubsidenceAlgorithm

DEFAULTS = ForecastOptions()
DEFAULT_FORECAST_MODEL = "gru"  # best test RMSE on the real EGMS evaluation


def _common_parameters(algorithm) -> None:
    algorithm.addParameter(
        QgsProcessingParameterFeatureSource(
            "INPUT",
            "Points with DYYYYMMDD displacement fields (mm)",
            [QgsProcessing.TypeVectorPoint],
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterFile(
            "TIMESERIES",
            "Or sample this time series (timeseries.h5) at the points",
            extension="h5",
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "HORIZON",
            "Acquisitions to forecast beyond the last date",
            defaultValue=DEFAULTS.horizon,
            minValue=1,
            maxValue=200,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "SEED",
            "Random seed (network weights, decomposition, search)",
            defaultValue=DEFAULTS.seed,
            minValue=0,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "EPOCHS",
            "Maximum training epochs per network (early stopping ends sooner)",
            defaultValue=DEFAULTS.model.network.epochs,
            minValue=1,
            maxValue=5000,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            "VMD_MODES",
            "Variational modes (K) for the VMD models",
            defaultValue=DEFAULTS.model.vmd.n_modes,
            minValue=1,
            maxValue=12,
        )
    )


def _options(algorithm, parameters, context, **extra) -> ForecastOptions:
    model = DEFAULTS.model
    model = replace(
        model,
        network=replace(
            model.network, epochs=algorithm.parameterAsInt(parameters, "EPOCHS", context)
        ),
        vmd=replace(model.vmd, n_modes=algorithm.parameterAsInt(parameters, "VMD_MODES", context)),
    )
    return replace(
        DEFAULTS,
        model=model,
        horizon=algorithm.parameterAsInt(parameters, "HORIZON", context),
        seed=algorithm.parameterAsInt(parameters, "SEED", context),
        **extra,
    )


class ForecastCompareAlgorithm(SubsidenceAlgorithm):
    ALGORITHM_ID = "forecastcompare"
    DISPLAY_NAME = "Compare forecasting models (LSTM, GRU, VMD hybrids, baselines)"
    GROUP = "prediction"
    HELP = (
        "Chronological train/test split without leakage: each model learns from the "
        "training dates only and predicts every test date one step ahead from earlier "
        "dates only (VMD and SSA decompose a trailing window). Writes RMSE, MAE and MAPE "
        "per point, model and split, charts of predictions and errors, and forecasts."
    )

    def initAlgorithm(self, config=None):
        _common_parameters(self)
        self.addParameter(
            QgsProcessingParameterEnum(
                "MODELS",
                "Models",
                options=[LABELS[m] for m in MODELS],
                allowMultiple=True,
                defaultValue=list(range(len(MODELS))),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "TEST_FRACTION",
                "Fraction of the last dates held out for testing",
                QgsProcessingParameterNumber.Double,
                DEFAULTS.test_fraction,
                minValue=0.05,
                maxValue=0.5,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SPARROW_POPULATION",
                "Sparrow search population (VMD-SSA-LSTM)",
                defaultValue=DEFAULTS.model.sparrow.population,
                minValue=2,
                maxValue=100,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SPARROW_ITERATIONS",
                "Sparrow search iterations (VMD-SSA-LSTM)",
                defaultValue=DEFAULTS.model.sparrow.iterations,
                minValue=0,
                maxValue=500,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_TABLE",
                "Metrics table (point, model, split, rmse, mae, mape)",
                "CSV files (*.csv)",
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                "OUTPUT_FOLDER",
                "Folder for charts (PNG), predictions and forecasts (CSV)",
                optional=True,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        models = [MODELS[i] for i in self.parameterAsEnums(parameters, "MODELS", context)]
        options = _options(
            self,
            parameters,
            context,
            test_fraction=self.parameterAsDouble(parameters, "TEST_FRACTION", context),
        )
        sparrow = replace(
            options.model.sparrow,
            population=self.parameterAsInt(parameters, "SPARROW_POPULATION", context),
            iterations=self.parameterAsInt(parameters, "SPARROW_ITERATIONS", context),
        )
        options = replace(options, model=replace(options.model, sparrow=sparrow))
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context) or None
        return self.run_core(
            feedback,
            compare_file,
            self.vector_path(parameters, "INPUT", context, feedback),
            self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context),
            folder,
            models or list(MODELS),
            options,
            self.parameterAsFile(parameters, "TIMESERIES", context) or None,
        )


class ForecastAlgorithm(SubsidenceAlgorithm):
    ALGORITHM_ID = "forecast"
    DISPLAY_NAME = "Forecast displacement at points"
    GROUP = "prediction"
    HELP = (
        "Forecasts the next acquisitions of every point with the chosen model, trained "
        "in batches (CUDA when present). Adds FYYYYMMDD (mm) and the band bounds "
        "FLOYYYYMMDD / FHIYYYYMMDD to the points, read by the time-series dock."
    )

    def initAlgorithm(self, config=None):
        _common_parameters(self)
        self.addParameter(
            QgsProcessingParameterEnum(
                "MODEL",
                "Model",
                options=[LABELS[m] for m in MODELS],
                defaultValue=MODELS.index(DEFAULT_FORECAST_MODEL),
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "ENSEMBLE",
                "Networks per point for the uncertainty band (seeds)",
                defaultValue=DEFAULTS.model.ensemble,
                minValue=1,
                maxValue=50,
            )
        )
        output = QgsProcessingParameterVectorDestination(
            "OUTPUT", "Points with forecasts", QgsProcessing.TypeVectorPoint
        )
        output.setSupportsNonFileBasedOutput(False)  # core writes the GeoPackage itself
        self.addParameter(output)

    def processAlgorithm(self, parameters, context, feedback):
        options = _options(self, parameters, context)
        options = replace(
            options,
            model=replace(
                options.model, ensemble=self.parameterAsInt(parameters, "ENSEMBLE", context)
            ),
        )
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        result = self.run_core(
            feedback,
            forecast_file,
            self.vector_path(parameters, "INPUT", context, feedback),
            output,
            MODELS[self.parameterAsEnum(parameters, "MODEL", context)],
            options,
            self.parameterAsFile(parameters, "TIMESERIES", context) or None,
        )
        return {"OUTPUT": output, "POINTS": result["POINTS"]}
