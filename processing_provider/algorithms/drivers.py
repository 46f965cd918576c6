"""Drivers algorithms: why the ground moves (land-use change, zonal statistics over mining
areas, bowl detection, correlation with water and rain) and the study report."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterLayer,
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
from ..base import SubsidenceAlgorithm, vector_file_destination
from ..parameters import option_help, option_parameter, with_help
from ..qgis_compat import ProcessingFieldParameterDataType, ProcessingSourceType

CSV_FILTER = "CSV files (*.csv)"
PLOT_FILTER = "PNG files (*.png);;SVG files (*.svg)"


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


def _file_destination(name, description, file_filter, help_text, optional=False):
    return with_help(
        QgsProcessingParameterFileDestination(
            name, description, file_filter, optional=optional, createByDefault=not optional
        ),
        help_text,
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
    UNITS = (
        "Areas in km²; rates in mm/yr (vertical or LOS, as the velocity raster); class 0 is "
        "no data."
    )
    SOURCE = (
        "paper 000 (land-use transfer matrix and Sankey diagram of the Jincheng mining "
        "clusters, subsidence per land-use change)."
    )
    TAGS = ("land use", "transition matrix", "sankey", "change", "drivers")
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
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.INPUT_BEFORE, "Land use at the earlier date (integer classes)"
                ),
                "Classified land-use raster of the earlier date (integer codes, 0 = no data).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.INPUT_AFTER, "Land use at the later date (integer classes)"
                ),
                "Classified land-use raster of the later date, same codes; another grid is "
                "aligned by nearest neighbour.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.CLASS_NAMES,
                    "Class names CSV (value,name)",
                    extension="csv",
                    optional=True,
                ),
                "CSV with one 'value,name' line per class; empty = classes named by their code.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.VELOCITY,
                    "Velocity raster (mm/yr) for the mean rate per transition",
                    optional=True,
                ),
                "Velocity GeoTIFF (mm/yr, negative = subsidence): mean rate of the pixels of "
                "each transition.",
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_TABLE,
                "Transition matrix (km², CSV)",
                CSV_FILTER,
                "Area in km² that went from each earlier class (rows) to each later class "
                "(columns).",
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_SUMMARY,
                "Per-class summary: persistence, gain, loss, net change (CSV)",
                CSV_FILTER,
                "Per class: area before and after, persistence, gain, loss and net change (km²).",
                optional=True,
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_RATES,
                "Mean rate per transition (mm/yr, CSV; needs a velocity)",
                CSV_FILTER,
                "Mean velocity (mm/yr) of the pixels of each transition.",
                optional=True,
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_PLOT,
                "Sankey diagram",
                PLOT_FILTER,
                "Flows between classes from the earlier to the later date (PNG or SVG).",
            )
        )

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
    UNITS = (
        "Rates in mm/yr (subsidence negative); areas in km²; THRESHOLD in mm/yr, negative; "
        "fractions and shares 0-1."
    )
    SOURCE = (
        "paper 000 (subsidence per county and inside vs outside the mining areas of "
        "Jincheng); paper 002 (Shaqu coal mine)."
    )
    TAGS = ("zonal statistics", "county", "mining", "concession", "enrichment", "drivers")
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
        polygon = ProcessingSourceType.VectorPolygon
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.INPUT, "Polygons (counties, concessions...)", [polygon]
                ),
                "Zones to summarise: counties, concessions, basins...",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.VELOCITY, "Velocity raster (mm/yr)", optional=True
                ),
                "Velocity GeoTIFF (mm/yr, negative = subsidence); give it or a point layer.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.POINTS,
                    "Or: point layer with a rate field (mm/yr)",
                    [ProcessingSourceType.VectorPoint],
                    optional=True,
                ),
                "Points with a rate field (mm/yr), used instead of a velocity raster.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterField(
                    self.RATE_FIELD,
                    "Rate field of the point layer",
                    ZonalOptions().rate_field,
                    self.POINTS,
                    ProcessingFieldParameterDataType.Numeric,
                    optional=True,
                ),
                option_help(ZonalOptions, "rate_field"),
            )
        )
        self.addParameter(
            option_parameter(
                self.THRESHOLD,
                ZonalOptions,
                "threshold",
                "Subsiding at or below this rate (mm/yr, negative)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.MINING,
                    "Mining polygons for the consistency table",
                    [polygon],
                    optional=True,
                ),
                "Mining areas: share of the subsiding area inside them and enrichment ratio.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(self.OUTPUT, "Zonal statistics", polygon),
                "The polygons with count, min, max, mean, std and percentiles of the rate "
                "(mm/yr) and the subsiding area (km²) and fraction.",
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_MINING_TABLE,
                "Mining consistency table (CSV)",
                CSV_FILTER,
                "Subsiding area inside and outside the mining polygons and the enrichment "
                "ratio (> 1: subsidence concentrates in the mines).",
                optional=True,
            )
        )
        self.addOutput(
            QgsProcessingOutputNumber(
                "ENRICHMENT_RATIO", "Enrichment ratio of subsidence in the mining polygons"
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
        rate_field = self.parameterAsString(parameters, self.RATE_FIELD, context)
        options = self.read_options(
            parameters, context, ZonalOptions, **({"rate_field": rate_field} if rate_field else {})
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
            outputs["ENRICHMENT_RATIO"] = float(result.mining["enrichment_ratio"])
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
    UNITS = (
        "Rates in mm/yr (subsidence negative), THRESHOLD negative; areas in km² (MIN_AREA "
        "too); volume loss rate in m³/yr; distances in m."
    )
    SOURCE = (
        "paper 002 (subsidence funnels over the Shaqu coal mine); paper 000 (funnels of the "
        "Jincheng mining clusters)."
    )
    TAGS = ("bowl", "funnel", "detection", "mining", "polygon", "drivers")
    INPUT, THRESHOLD, MIN_AREA, MINING, OUTPUT = (
        "INPUT",
        "THRESHOLD",
        "MIN_AREA",
        "MINING",
        "OUTPUT",
    )

    def initAlgorithm(self, config=None):
        polygon = ProcessingSourceType.VectorPolygon
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.INPUT, "Velocity raster (mm/yr, negative = subsidence)"
                ),
                "Velocity GeoTIFF in mm/yr, negative = subsidence (e.g. the vertical velocity).",
            )
        )
        self.addParameter(
            option_parameter(
                self.THRESHOLD,
                BowlOptions,
                "threshold",
                "Bowl pixels at or below this rate (mm/yr)",
            )
        )
        self.addParameter(
            option_parameter(self.MIN_AREA, BowlOptions, "min_area_km2", "Minimum bowl area (km²)")
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.MINING,
                    "Mining polygons (distance to the nearest)",
                    [polygon],
                    optional=True,
                ),
                "Mining areas: each bowl gets the distance (m) to and the name of the nearest.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(self.OUTPUT, "Subsidence bowls", polygon),
                "Bowl polygons with area (km²), peak and mean rate (mm/yr), volume loss rate "
                "(m³/yr), centroid, orientation and elongation.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        options = self.read_options(parameters, context, BowlOptions)
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
    UNITS = (
        "Displacement in mm (LOS positive toward the satellite, subsidence negative); driver "
        "values in their own units; lags in months (positive = displacement follows the "
        "driver); seasonal amplitude in the series' units, phase as the day of year of the "
        "peak."
    )
    SOURCE = (
        "paper 001 section 5.1 (subsidence against GRACE water storage, precipitation and "
        "groundwater level); significance after Bretherton et al. (1999)."
    )
    TAGS = ("correlation", "rainfall", "groundwater", "grace", "lag", "drivers")
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
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "Displacement: timeseries.h5, point layer (DYYYYMMDD fields) or CSV"
                ),
                "A MintPy timeseries.h5 (m), a point layer with DYYYYMMDD fields (mm) or a "
                "date,value CSV of displacement (mm).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterPoint(
                    self.LOCATION, "Location (default: whole area / all points)", optional=True
                ),
                "Where to read the displacement (click it on the map in any CRS); empty = the "
                "mean of the whole area or of all points.",
            )
        )
        self.addParameter(
            option_parameter(
                self.RADIUS,
                CorrelationOptions,
                "radius_m",
                "Radius around the location for timeseries.h5 (m; 0 = nearest pixel)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.REGION,
                    "Or: region polygons (mean displacement inside)",
                    [ProcessingSourceType.VectorPolygon],
                    optional=True,
                ),
                "Polygons whose mean displacement is correlated (instead of a location).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterMultipleLayers(
                    self.SERIES,
                    "Driver series CSVs (date,value: rainfall, GRACE, groundwater...)",
                    ProcessingSourceType.File,
                ),
                "One or more CSV files of date,value rows (rainfall, GRACE, groundwater "
                "level...); dates YYYY-MM-DD, YYYYMMDD or YYYY-MM.",
            )
        )
        self.addParameter(
            option_parameter(
                self.MIN_LAG,
                CorrelationOptions,
                "min_lag",
                "Smallest lag (months; negative = displacement leads)",
            )
        )
        self.addParameter(
            option_parameter(self.MAX_LAG, CorrelationOptions, "max_lag", "Largest lag (months)")
        )
        self.addParameter(
            option_parameter(
                self.DETREND,
                CorrelationOptions,
                "detrend",
                "Remove linear trends first",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(self.BEST, CorrelationOptions, "best", "Best lag by", advanced=True)
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_TABLE,
                "Correlation summary (CSV)",
                CSV_FILTER,
                "Per driver: best lag (months), r, p-value, effective sample size, seasonal "
                "amplitudes and phase lag (days).",
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_LAGS,
                "Correlation for every lag (CSV)",
                CSV_FILTER,
                "r, p-value and effective sample size of every driver at every lag.",
                optional=True,
            )
        )
        self.addParameter(
            _file_destination(
                self.OUTPUT_PLOT,
                "Chart",
                PLOT_FILTER,
                "Monthly detrended series and r by lag (filled markers: significant).",
            )
        )

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
        options = self.read_options(parameters, context, CorrelationOptions)
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
    UNITS = (
        "As the inputs: rates in mm/yr and displacements in mm (subsidence negative), areas in km²."
    )
    SOURCE = (
        "paper 000 and paper 002 (their result sections: velocity and class maps, funnels, "
        "county and mining statistics, land-use change, drivers and forecasts)."
    )
    TAGS = ("report", "html", "summary", "maps", "drivers")
    #: (parameter, ReportInputs field, description)
    FILE_INPUTS = [
        ("CLASS_NAMES", "class_names", "Class names CSV for the class map legend"),
        ("BOWLS", "bowls", "Subsidence bowls (GeoPackage from Detect subsidence bowls)"),
        ("ZONAL", "zonal", "Zonal statistics (GeoPackage or CSV)"),
        ("MINING_TABLE", "mining_table", "Mining consistency table (CSV)"),
        ("LANDUSE_TABLE", "landuse_table", "Land-use transition matrix (CSV)"),
        ("LANDUSE_PLOT", "landuse_plot", "Land-use Sankey diagram (PNG/SVG)"),
        ("DRIVERS_TABLE", "drivers_table", "Driver correlation summary (CSV)"),
        ("DRIVERS_PLOT", "drivers_plot", "Driver correlation chart (PNG/SVG)"),
        ("BASIN_MEASURED", "basin_measured", "Measured vertical displacement of the basins (mm)"),
        ("BASIN_REFERENCE", "basin_reference", "Reference displacement of the basins (mm)"),
        ("LIMIT_TABLE", "limit_table", "Bowls against the detectable gradient (CSV)"),
    ]
    LIST_INPUTS = [
        ("LANDUSE_EXTRA", "landuse_extra", "More land-use tables (summary, rates; CSV)"),
        ("IMAGES", "images", "Profile and time-series charts (PNG/SVG)"),
        ("FORECAST_IMAGES", "forecast_images", "Forecast charts (PNG/SVG)"),
        ("FORECAST_TABLES", "forecast_tables", "Forecast tables (CSV)"),
        ("TABLES", "tables", "Other tables (CSV, e.g. interpolation metrics)"),
        ("BASIN_MODELS", "basin_models", "Mining basin models (GeoTIFF from pimfit, mm)"),
        ("BASIN_TABLES", "basin_tables", "Mining basin parameters (CSV from pimfit)"),
    ]
    TITLE, VELOCITY, CLASSES, OUTPUT = "TITLE", "VELOCITY", "CLASSES", "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(option_parameter(self.TITLE, ReportInputs, "title", "Report title"))
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.VELOCITY, "Velocity map (mm/yr)", optional=True
                ),
                option_help(ReportInputs, "velocity"),
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.CLASSES, "Class map (deformation classes or land use)", optional=True
                ),
                option_help(ReportInputs, "classes"),
            )
        )
        for name, attribute, description in self.FILE_INPUTS:
            self.addParameter(
                with_help(
                    QgsProcessingParameterFile(name, description, optional=True),
                    option_help(ReportInputs, attribute),
                )
            )
        for name, attribute, description in self.LIST_INPUTS:
            self.addParameter(
                with_help(
                    QgsProcessingParameterMultipleLayers(
                        name, description, ProcessingSourceType.File, optional=True
                    ),
                    option_help(ReportInputs, attribute),
                )
            )
        self.addParameter(
            _file_destination(
                self.OUTPUT,
                "Report",
                "HTML files (*.html)",
                "One self-contained HTML page with every image embedded.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        inputs = self.read_options(
            parameters,
            context,
            ReportInputs,
            velocity=self.raster_path(parameters, self.VELOCITY, context),
            classes=self.raster_path(parameters, self.CLASSES, context),
            **{
                attribute: self.parameterAsFile(parameters, name, context) or None
                for name, attribute, _ in self.FILE_INPUTS
            },
            **{
                attribute: _files(self, parameters, name, context)
                for name, attribute, _ in self.LIST_INPUTS
            },
        )
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        self.run_core(feedback, write_report, output, inputs)
        return {self.OUTPUT: output}
