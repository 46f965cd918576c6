"""Drivers algorithms: why the ground moves (land-use change, zonal statistics over mining
areas, bowl detection, correlation with water and rain) and the study report."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...core.drivers.bowls import BowlOptions, detect_bowls
from ...core.drivers.correlation import (
    CorrelationOptions,
    correlate_drivers,
    source_crs_wkt,
)
from ...core.drivers.landuse import land_use_transition
from ...core.drivers.report import ReportInputs, write_report
from ...core.drivers.zonal import ZonalOptions, zonal_statistics
from ..base import SubsidenceAlgorithm, advanced, vector_file_destination

CSV_FILTER = "CSV files (*.csv)"
PLOT_FILTER = "PNG files (*.png);;SVG files (*.svg)"
BEST_CHOICES = ["positive", "negative", "absolute"]


def _files(algorithm, parameters, name, context):
    """Files of a multiple-file parameter; a comma- or semicolon-joined string (as qgis_process
    passes lists) is split when its parts are files."""
    files = []
    for item in algorithm.parameterAsFileList(parameters, name, context):
        parts = [p.strip() for p in item.replace(";", ",").split(",")]
        if not Path(item).exists() and len(parts) > 1 and all(Path(p).exists() for p in parts):
            files.extend(parts)
        elif item:
            files.append(item)
    return files


def _file_destination(name, description, file_filter, optional=False):
    return QgsProcessingParameterFileDestination(
        name, description, file_filter, optional=optional, createByDefault=not optional
    )


class LandUseTransition(SubsidenceAlgorithm):
    ALGORITHM_ID = "landusetransition"
    DISPLAY_NAME = "Land-use transition matrix"
    GROUP = "drivers"
    HELP = (
        "Transition matrix in km² between two classified land-use rasters (rows = earlier "
        "date, columns = later date), with persistence, gain, loss and net change per class, "
        "a Sankey diagram, and the mean subsidence rate of each transition when a velocity "
        "raster (mm/yr) is given. Rasters on other grids are aligned by nearest neighbour; "
        "class 0 is no data."
    )
    (
        INPUT_BEFORE,
        INPUT_AFTER,
        CLASS_NAMES,
        VELOCITY,
        OUTPUT_TABLE,
        OUTPUT_SUMMARY,
        OUTPUT_RATES,
        OUTPUT_PLOT,
    ) = (
        "INPUT_BEFORE",
        "INPUT_AFTER",
        "CLASS_NAMES",
        "VELOCITY",
        "OUTPUT_TABLE",
        "OUTPUT_SUMMARY",
        "OUTPUT_RATES",
        "OUTPUT_PLOT",
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT_BEFORE, "Land use at the earlier date (integer classes)"
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT_AFTER, "Land use at the later date (integer classes)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.CLASS_NAMES, "Class names CSV (value,name)", extension="csv", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.VELOCITY,
                "Velocity raster (mm/yr) for the mean rate per transition",
                optional=True,
            )
        )
        self.addParameter(
            _file_destination(self.OUTPUT_TABLE, "Transition matrix (km², CSV)", CSV_FILTER)
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_SUMMARY,
                "Per-class summary: persistence, gain, loss, net change (CSV)",
                CSV_FILTER,
                optional=True,
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_RATES,
                "Mean rate per transition (mm/yr, CSV; needs a velocity)",
                CSV_FILTER,
                optional=True,
            )
        )
        self.addParameter(_file_destination(self.OUTPUT_PLOT, "Sankey diagram", PLOT_FILTER))

    def processAlgorithm(self, parameters, context, feedback):
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context)
        summary = self.optional_output(parameters, self.OUTPUT_SUMMARY, context)
        rates = self.optional_output(parameters, self.OUTPUT_RATES, context)
        plot = self.optional_output(parameters, self.OUTPUT_PLOT, context)
        velocity = self.raster_path(parameters, self.VELOCITY, context)
        result = self.run_core(
            feedback,
            land_use_transition,
            self.raster_path(parameters, self.INPUT_BEFORE, context),
            self.raster_path(parameters, self.INPUT_AFTER, context),
            table,
            class_names_path=self.parameterAsFile(parameters, self.CLASS_NAMES, context) or None,
            velocity_path=velocity,
            summary_path=summary,
            rates_path=rates,
            plot_path=plot,
        )
        for row in result.summary():
            feedback.pushInfo(
                f"{row['name']}: {row['before_km2']:.3f} -> {row['after_km2']:.3f} "
                f"km² (net {row['net_change_km2']:+.3f})"
            )
        outputs = {self.OUTPUT_TABLE: table, self.OUTPUT_PLOT: plot}
        if summary:
            outputs[self.OUTPUT_SUMMARY] = summary
        if rates and velocity:
            outputs[self.OUTPUT_RATES] = rates
        return outputs


class ZonalStats(SubsidenceAlgorithm):
    ALGORITHM_ID = "zonalstats"
    DISPLAY_NAME = "Zonal subsidence statistics and mining consistency"
    GROUP = "drivers"
    HELP = (
        "Per polygon (counties, concessions): count, min/max/mean/std and percentiles of the "
        "rate (mm/yr) from a velocity raster or a point layer, and the subsiding area and "
        "fraction at or below THRESHOLD. With mining polygons: the share of subsiding area "
        "inside vs outside them and the enrichment ratio (share inside / area fraction "
        "inside; > 1 means subsidence concentrates in the mines)."
    )
    (INPUT, VELOCITY, POINTS, RATE_FIELD, THRESHOLD, MINING, OUTPUT, OUTPUT_MINING_TABLE) = (
        "INPUT",
        "VELOCITY",
        "POINTS",
        "RATE_FIELD",
        "THRESHOLD",
        "MINING",
        "OUTPUT",
        "OUTPUT_MINING_TABLE",
    )

    def initAlgorithm(self, config=None):
        defaults = ZonalOptions()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT, "Polygons (counties, concessions...)", [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.VELOCITY, "Velocity raster (mm/yr)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.POINTS,
                "Or: point layer with a rate field (mm/yr)",
                [QgsProcessing.TypeVectorPoint],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.RATE_FIELD,
                "Rate field of the point layer",
                defaults.rate_field,
                self.POINTS,
                QgsProcessingParameterField.Numeric,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                "Subsiding at or below this rate (mm/yr, negative)",
                QgsProcessingParameterNumber.Double,
                defaults.threshold,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.MINING,
                "Mining polygons for the consistency table",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            vector_file_destination(
                self.OUTPUT, "Zonal statistics", QgsProcessing.TypeVectorPolygon
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_MINING_TABLE,
                "Mining consistency table (CSV)",
                CSV_FILTER,
                optional=True,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        velocity = self.raster_path(parameters, self.VELOCITY, context)
        points = self.vector_path(parameters, self.POINTS, context, feedback)
        mining = self.vector_path(parameters, self.MINING, context, feedback)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        mining_table = self.optional_output(parameters, self.OUTPUT_MINING_TABLE, context)
        if mining and not mining_table:
            mining_table = str(Path(output).with_name(Path(output).stem + "_mining.csv"))
        options = ZonalOptions(
            threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
            rate_field=self.parameterAsString(parameters, self.RATE_FIELD, context)
            or ZonalOptions().rate_field,
        )
        result = self.run_core(
            feedback,
            zonal_statistics,
            self.vector_path(parameters, self.INPUT, context, feedback),
            output,
            velocity_path=velocity,
            points_path=points,
            mining_path=mining,
            mining_table_path=mining_table,
            options=options,
        )
        outputs = {self.OUTPUT: output}
        if result.mining is not None:
            feedback.pushInfo(
                f"Share of subsiding {result.unit} inside mining polygons: "
                f"{result.mining['share_inside']:.3f}; enrichment ratio "
                f"{result.mining['enrichment_ratio']:.2f}"
            )
            outputs[self.OUTPUT_MINING_TABLE] = mining_table
            outputs["ENRICHMENT_RATIO"] = result.mining["enrichment_ratio"]
        return outputs


class DetectBowls(SubsidenceAlgorithm):
    ALGORITHM_ID = "detectbowls"
    DISPLAY_NAME = "Detect subsidence bowls"
    GROUP = "drivers"
    HELP = (
        "Connected regions of a velocity raster at or below THRESHOLD (mm/yr) larger than "
        "MIN_AREA become bowl polygons with area, peak and mean rate, volume loss rate, "
        "centroid, orientation and elongation of the fitted moment ellipse, and the distance "
        "to the nearest mining polygon."
    )
    INPUT, THRESHOLD, MIN_AREA, MINING, OUTPUT = (
        "INPUT",
        "THRESHOLD",
        "MIN_AREA",
        "MINING",
        "OUTPUT",
    )

    def initAlgorithm(self, config=None):
        defaults = BowlOptions()
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT, "Velocity raster (mm/yr, negative = subsidence)"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                "Bowl pixels at or below this rate (mm/yr)",
                QgsProcessingParameterNumber.Double,
                defaults.threshold,
                maxValue=-1e-9,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                "Minimum bowl area (km²)",
                QgsProcessingParameterNumber.Double,
                defaults.min_area_km2,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.MINING,
                "Mining polygons (distance to the nearest)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            vector_file_destination(
                self.OUTPUT, "Subsidence bowls", QgsProcessing.TypeVectorPolygon
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        options = BowlOptions(
            threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
            min_area_km2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
        )
        bowls = self.run_core(
            feedback,
            detect_bowls,
            self.raster_path(parameters, self.INPUT, context),
            output,
            options=options,
            mining_path=self.vector_path(parameters, self.MINING, context, feedback),
        )
        for bowl in bowls:
            feedback.pushInfo(
                f"Bowl {bowl.bowl_id}: {bowl.area_km2:.2f} km², peak "
                f"{bowl.peak:.1f} mm/yr, mean {bowl.mean:.1f} mm/yr"
            )
        self.style_on_load(context, output, "outline")
        return {self.OUTPUT: output, "BOWL_COUNT": len(bowls)}


class CorrelateDrivers(SubsidenceAlgorithm):
    ALGORITHM_ID = "correlatedrivers"
    DISPLAY_NAME = "Correlate displacement with water and rain"
    GROUP = "drivers"
    HELP = (
        "Lagged Pearson correlation between a displacement series (pixel, radius or region "
        "mean of a timeseries.h5; point or region mean of a point layer; or a date,value "
        "CSV) and external date,value CSVs (rainfall, GRACE, groundwater level): monthly "
        "resampling, detrending, significance corrected for autocorrelation, best lag "
        "(positive = displacement follows), seasonal amplitude and phase."
    )
    (
        INPUT,
        LOCATION,
        RADIUS,
        REGION,
        SERIES,
        MIN_LAG,
        MAX_LAG,
        DETREND,
        BEST,
        OUTPUT_TABLE,
        OUTPUT_LAGS,
        OUTPUT_PLOT,
    ) = (
        "INPUT",
        "LOCATION",
        "RADIUS",
        "REGION",
        "SERIES",
        "MIN_LAG",
        "MAX_LAG",
        "DETREND",
        "BEST",
        "OUTPUT_TABLE",
        "OUTPUT_LAGS",
        "OUTPUT_PLOT",
    )

    def initAlgorithm(self, config=None):
        defaults = CorrelationOptions()
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT, "Displacement: timeseries.h5, point layer (DYYYYMMDD fields) or CSV"
            )
        )
        self.addParameter(
            QgsProcessingParameterPoint(
                self.LOCATION, "Location (default: whole area / all points)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.RADIUS,
                "Radius around the location for timeseries.h5 (m; 0 = nearest pixel)",
                QgsProcessingParameterNumber.Double,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.REGION,
                "Or: region polygons (mean displacement inside)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.SERIES,
                "Driver series CSVs (date,value: rainfall, GRACE, groundwater...)",
                QgsProcessing.TypeFile,
            )
        )
        for name, description, value in (
            (
                self.MIN_LAG,
                "Smallest lag (months; negative = displacement leads)",
                defaults.min_lag,
            ),
            (self.MAX_LAG, "Largest lag (months)", defaults.max_lag),
        ):
            self.addParameter(
                QgsProcessingParameterNumber(
                    name,
                    description,
                    QgsProcessingParameterNumber.Integer,
                    value,
                    minValue=-36,
                    maxValue=36,
                )
            )
        detrend = QgsProcessingParameterBoolean(
            self.DETREND, "Remove linear trends first", defaults.detrend
        )
        best = QgsProcessingParameterEnum(
            self.BEST, "Best lag by", BEST_CHOICES, defaultValue=BEST_CHOICES.index(defaults.best)
        )
        for parameter in (detrend, best):
            advanced(parameter)
            self.addParameter(parameter)
        self.addParameter(
            _file_destination(self.OUTPUT_TABLE, "Correlation summary (CSV)", CSV_FILTER)
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_LAGS, "Correlation for every lag (CSV)", CSV_FILTER, optional=True
            )
        )
        self.addParameter(_file_destination(self.OUTPUT_PLOT, "Chart", PLOT_FILTER))

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsFile(parameters, self.INPUT, context)
        x = y = None
        if parameters.get(self.LOCATION):
            wkt = source_crs_wkt(source)
            crs = QgsCoordinateReferenceSystem.fromWkt(wkt) if wkt else None
            point = (
                self.parameterAsPoint(parameters, self.LOCATION, context, crs)
                if crs
                else self.parameterAsPoint(parameters, self.LOCATION, context)
            )
            x, y = point.x(), point.y()
        options = CorrelationOptions(
            min_lag=self.parameterAsInt(parameters, self.MIN_LAG, context),
            max_lag=self.parameterAsInt(parameters, self.MAX_LAG, context),
            detrend=self.parameterAsBool(parameters, self.DETREND, context),
            best=BEST_CHOICES[self.parameterAsEnum(parameters, self.BEST, context)],
        )
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context)
        lags = self.optional_output(parameters, self.OUTPUT_LAGS, context)
        plot = self.optional_output(parameters, self.OUTPUT_PLOT, context)
        results = self.run_core(
            feedback,
            correlate_drivers,
            source,
            _files(self, parameters, self.SERIES, context),
            table,
            plot_path=plot,
            lags_path=lags,
            x=x,
            y=y,
            region_path=self.vector_path(parameters, self.REGION, context, feedback),
            radius_m=self.parameterAsDouble(parameters, self.RADIUS, context),
            options=options,
        )
        for res in results:
            feedback.pushInfo(
                f"{res.driver.name}: best lag {res.best.lag} month(s), "
                f"r = {res.best.r:.3f}, p = {res.best.p_value:.3g} "
                f"(N_eff {res.best.n_eff:.1f})"
            )
        outputs = {self.OUTPUT_TABLE: table, self.OUTPUT_PLOT: plot}
        if lags:
            outputs[self.OUTPUT_LAGS] = lags
        return outputs


class StudyReport(SubsidenceAlgorithm):
    ALGORITHM_ID = "studyreport"
    DISPLAY_NAME = "Study report (HTML)"
    GROUP = "drivers"
    HELP = (
        "One self-contained HTML report with every image embedded: velocity and class maps, "
        "subsidence bowls, zonal and mining tables, land-use change, driver correlations, "
        "profile and time-series charts, forecasts and other tables. Every input is "
        "optional; sections without input are left out."
    )
    FILE_INPUTS = [
        ("CLASS_NAMES", "class_names", "Class names CSV for the class map legend"),
        ("BOWLS", "bowls", "Subsidence bowls (GeoPackage from Detect subsidence bowls)"),
        ("ZONAL", "zonal", "Zonal statistics (GeoPackage or CSV)"),
        ("MINING_TABLE", "mining_table", "Mining consistency table (CSV)"),
        ("LANDUSE_TABLE", "landuse_table", "Land-use transition matrix (CSV)"),
        ("LANDUSE_PLOT", "landuse_plot", "Land-use Sankey diagram (PNG/SVG)"),
        ("DRIVERS_TABLE", "drivers_table", "Driver correlation summary (CSV)"),
        ("DRIVERS_PLOT", "drivers_plot", "Driver correlation chart (PNG/SVG)"),
    ]
    LIST_INPUTS = [
        ("LANDUSE_EXTRA", "landuse_extra", "More land-use tables (summary, rates; CSV)"),
        ("IMAGES", "images", "Profile and time-series charts (PNG/SVG)"),
        ("FORECAST_IMAGES", "forecast_images", "Forecast charts (PNG/SVG)"),
        ("FORECAST_TABLES", "forecast_tables", "Forecast tables (CSV)"),
        ("TABLES", "tables", "Other tables (CSV, e.g. interpolation metrics)"),
    ]
    TITLE, VELOCITY, CLASSES, OUTPUT = "TITLE", "VELOCITY", "CLASSES", "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterString(self.TITLE, "Report title", ReportInputs().title)
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.VELOCITY, "Velocity map (mm/yr)", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.CLASSES, "Class map (deformation classes or land use)", optional=True
            )
        )
        for name, _, description in self.FILE_INPUTS:
            self.addParameter(QgsProcessingParameterFile(name, description, optional=True))
        for name, _, description in self.LIST_INPUTS:
            self.addParameter(
                QgsProcessingParameterMultipleLayers(
                    name, description, QgsProcessing.TypeFile, optional=True
                )
            )
        self.addParameter(_file_destination(self.OUTPUT, "Report", "HTML files (*.html)"))

    def processAlgorithm(self, parameters, context, feedback):
        inputs = ReportInputs(
            title=self.parameterAsString(parameters, self.TITLE, context) or ReportInputs().title,
            velocity=self.raster_path(parameters, self.VELOCITY, context),
            classes=self.raster_path(parameters, self.CLASSES, context),
        )
        for name, attribute, _ in self.FILE_INPUTS:
            setattr(inputs, attribute, self.parameterAsFile(parameters, name, context) or None)
        for name, attribute, _ in self.LIST_INPUTS:
            setattr(inputs, attribute, _files(self, parameters, name, context))
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        self.run_core(feedback, write_report, output, inputs)
        return {self.OUTPUT: output}
