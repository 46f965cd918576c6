"""Prediction algorithms: compare forecasting models on a few points, forecast many points."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterVectorDestination,
)

from ...core.prediction.evaluation import ForecastOptions, compare_file, forecast_file
from ..base import SubsidenceAlgorithm
from ..parameters import (
    DASK_SCHEDULER,
    dask_scheduler,
    dask_scheduler_parameter,
    option_parameter,
    with_help,
)
from ..qgis_compat import ProcessingSourceType


class _ForecastingAlgorithm(SubsidenceAlgorithm):
    """The parameters both forecasting algorithms share: points or a time series to sample,
    horizon, seed, network epochs and VMD modes."""

    INPUT = "INPUT"
    TIMESERIES = "TIMESERIES"
    HORIZON = "HORIZON"
    SEED = "SEED"
    EPOCHS = "EPOCHS"
    VMD_MODES = "VMD_MODES"

    def add_common_parameters(self) -> None:
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.INPUT,
                    "Points with DYYYYMMDD displacement fields (mm)",
                    [ProcessingSourceType.VectorPoint],
                ),
                "Point layer with one displacement field per date named DYYYYMMDD (mm, LOS "
                "positive toward the satellite), e.g. imported EGMS or PS points.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.TIMESERIES,
                    "Or sample this time series (timeseries.h5) at the points",
                    extension="h5",
                    optional=True,
                ),
                "MintPy timeseries.h5 sampled at the nearest pixel of each point instead of the "
                "points' own DYYYYMMDD fields.",
            )
        )
        self.addParameter(
            option_parameter(
                self.HORIZON,
                ForecastOptions,
                "horizon",
                "Acquisitions to forecast beyond the last date",
            )
        )
        self.addParameter(
            option_parameter(
                self.SEED,
                ForecastOptions,
                "seed",
                "Random seed (network weights, decomposition, search)",
            )
        )
        self.addParameter(
            option_parameter(
                self.EPOCHS,
                ForecastOptions,
                "model.network.epochs",
                "Maximum training epochs per network (early stopping ends sooner)",
            )
        )
        self.addParameter(
            option_parameter(
                self.VMD_MODES,
                ForecastOptions,
                "model.vmd.n_modes",
                "Variational modes (K) for the VMD models",
            )
        )


class ForecastCompareAlgorithm(_ForecastingAlgorithm):
    ALGORITHM_ID = "forecastcompare"
    DISPLAY_NAME = "Compare forecasting models (LSTM, GRU, VMD hybrids, baselines)"
    GROUP = "prediction"
    HELP = (
        "Chronological train/test split without leakage: each model learns from the "
        "training dates only and predicts every test date one step ahead from earlier "
        "dates only (VMD and SSA decompose a trailing window). Writes RMSE, MAE and MAPE "
        "per point, model and split, charts of predictions and errors, and forecasts."
    )
    UNITS = (
        "Displacements in mm, LOS positive toward the satellite (subsidence negative), as in "
        "the DYYYYMMDD fields; RMSE and MAE in mm, MAPE in %; dates as acquisitions."
    )
    SOURCE = (
        "paper 000 (VMD-SSA-LSTM: variational mode decomposition, Dragomiretskiy & Zosso "
        "2014, with LSTM hyper-parameters tuned by the sparrow search of Xue & Shen 2020)."
    )
    TAGS = ("forecast", "lstm", "gru", "vmd", "sparrow", "time series", "prediction")
    MODELS = "MODELS"
    TEST_FRACTION = "TEST_FRACTION"
    SPARROW_POPULATION = "SPARROW_POPULATION"
    SPARROW_ITERATIONS = "SPARROW_ITERATIONS"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"

    def initAlgorithm(self, config=None):
        self.add_common_parameters()
        self.addParameter(option_parameter(self.MODELS, ForecastOptions, "models", "Models"))
        self.addParameter(
            option_parameter(
                self.TEST_FRACTION,
                ForecastOptions,
                "test_fraction",
                "Fraction of the last dates held out for testing",
            )
        )
        self.addParameter(
            option_parameter(
                self.SPARROW_POPULATION,
                ForecastOptions,
                "model.sparrow.population",
                "Sparrow search population (VMD-SSA-LSTM)",
            )
        )
        self.addParameter(
            option_parameter(
                self.SPARROW_ITERATIONS,
                ForecastOptions,
                "model.sparrow.iterations",
                "Sparrow search iterations (VMD-SSA-LSTM)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TABLE,
                    "Metrics table (point, model, split, rmse, mae, mape)",
                    "CSV files (*.csv)",
                ),
                "One row per point, model and split (train, test): RMSE and MAE in mm, MAPE in "
                "% (targets under 1 mm skipped).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFolderDestination(
                    self.OUTPUT_FOLDER,
                    "Folder for charts (PNG), predictions and forecasts (CSV)",
                    optional=True,
                ),
                "Prediction and error chart per point, predictions.csv (one-step predictions) "
                "and forecasts.csv (each model's forecast with its band, mm).",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, ForecastOptions)
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context) or None
        return self.run_core(
            feedback,
            compare_file,
            self.vector_path(parameters, self.INPUT, context, feedback),
            self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context),
            folder,
            None,
            options,
            self.parameterAsFile(parameters, self.TIMESERIES, context) or None,
        )


class ForecastAlgorithm(_ForecastingAlgorithm):
    ALGORITHM_ID = "forecast"
    DISPLAY_NAME = "Forecast displacement at points"
    GROUP = "prediction"
    HELP = (
        "Forecasts the next acquisitions of every point with the chosen model, trained "
        "in batches (CUDA when present). Adds FYYYYMMDD (mm) and the band bounds "
        "FLOYYYYMMDD / FHIYYYYMMDD to the points, read by the time-series dock."
    )
    UNITS = (
        "Displacements and forecasts in mm, LOS positive toward the satellite (subsidence "
        "negative); FYYYYMMDD at the next acquisition dates (the mean revisit beyond the "
        "last)."
    )
    SOURCE = (
        "paper 000 (VMD-SSA-LSTM forecasts of mining subsidence); recurrent networks (LSTM, "
        "Hochreiter & Schmidhuber 1997; GRU, Cho et al. 2014)."
    )
    TAGS = ("forecast", "lstm", "gru", "vmd", "ensemble", "prediction")
    MODEL = "MODEL"
    ENSEMBLE = "ENSEMBLE"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.add_common_parameters()
        self.addParameter(option_parameter(self.MODEL, ForecastOptions, "forecast_model", "Model"))
        self.addParameter(
            option_parameter(
                self.ENSEMBLE,
                ForecastOptions,
                "model.ensemble",
                "Networks per point for the uncertainty band (seeds)",
            )
        )
        self.addParameter(
            dask_scheduler_parameter(
                "chunks of points (per-point models; the global GRU, one network for all "
                "points, trains here)",
                blocks_carry_data=True,
            )
        )
        output = QgsProcessingParameterVectorDestination(
            self.OUTPUT, "Points with forecasts", ProcessingSourceType.VectorPoint
        )
        output.setSupportsNonFileBasedOutput(False)  # core writes the GeoPackage itself
        self.addParameter(
            with_help(
                output,
                "GeoPackage with the input points and fields plus FYYYYMMDD (forecast, mm), "
                "FLOYYYYMMDD / FHIYYYYMMDD (band) per future date and FMODEL.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, ForecastOptions)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        result = self.run_core(
            feedback,
            forecast_file,
            self.vector_path(parameters, self.INPUT, context, feedback),
            output,
            None,
            options,
            self.parameterAsFile(parameters, self.TIMESERIES, context) or None,
            executor=dask_scheduler(self, parameters, context),
        )
        return {self.OUTPUT: output, "POINTS": result["POINTS"]}
