"""Time-series algorithms: SBAS inversion of a stack, velocity maps of a time series,
persistent scatterers from a coregistered SLC stack, and the geocoding of radar-coordinate
products."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsRasterLayer,
)

from ...core.io.mintpy import IfgramStack
from ...core.options import option_spec
from ...core.timeseries.geocode import GeocodeOptions, geocode
from ...core.timeseries.onset import OnsetOptions, detect_onsets, is_time_series_file
from ...core.timeseries.psinsar import PsOptions, run_psinsar
from ...core.timeseries.sbas.inversion import (
    InversionOptions,
    invert_stack,
)
from ...core.timeseries.velocity import (
    VelocityOptions,
    VelocityOutputs,
    estimate_velocity,
    parse_thresholds,
)
from ...plugin.bridge import epsg_and_wkt, grid_crs
from ..base import (
    SubsidenceAlgorithm,
    advanced,
    asked_for,
    coherence_quicklook,
    series_quicklook,
    styled,
    vector_file_destination,
)
from ..parameters import (
    DASK_SCHEDULER,
    dask_scheduler,
    dask_scheduler_parameter,
    date_parameter,
    mintpy_file,
    option_help,
    option_parameter,
    read_date,
    with_help,
)
from ..qgis_compat import ProcessingNumberParameterType, ProcessingSourceType

H5_FILTER = "HDF5 files (*.h5)"
SERIES_HELP = (
    "MintPy-compatible time series: LOS displacement per date in metres, positive toward the "
    "satellite (from the SBAS inversion or a correction step)."
)


class SbasInversion(SubsidenceAlgorithm):
    ALGORITHM_ID = "sbasinversion"
    DISPLAY_NAME = "SBAS inversion (time series)"
    GROUP = "timeseries"
    HELP = (
        "Inverts the kept interferograms of a stack into a LOS displacement time series "
        "(MintPy timeseries.h5, metres, positive toward the satellite) by weighted least "
        "squares per pixel, plus temporal coherence and pairs used per pixel. A network split "
        "into parts is reported by dates and solved part by part, never smoothed over."
    )
    UNITS = (
        "Phase in radians (positive away from the satellite) turned into LOS displacement in "
        "metres, positive toward the satellite: d = -phase * wavelength / (4 pi); subsidence "
        "is negative. Temporal coherence 0..1."
    )
    SOURCE = (
        "the small-baseline subset method (Berardino et al. 2002) with MintPy's weights "
        "(Yunjun et al. 2019): papers 000, 001 and 002 invert their networks this way."
    )
    TAGS = ("sbas", "small baseline", "time series", "least squares", "mintpy")
    INPUT = "INPUT"
    WEIGHT = "WEIGHT"
    MIN_NORM_VELOCITY = "MIN_NORM_VELOCITY"
    MASK_COHERENCE = "MASK_COHERENCE"
    REFERENCE = "REFERENCE"
    SPLIT_NETWORK = "SPLIT_NETWORK"
    MEMORY_MB = "MEMORY_MB"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"
    OUTPUT_TCOH = "OUTPUT_TCOH"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"
    OUTPUT_QUICKLOOK_TCOH = "OUTPUT_QUICKLOOK_TCOH"

    def initAlgorithm(self, config=None):
        self.addParameter(
            mintpy_file(
                self.INPUT,
                "Interferogram stack (ifgramStack.h5)",
                "MintPy-compatible interferogram stack, from the ingest, network or reference "
                "steps.",
            )
        )
        self.addParameter(
            option_parameter(
                self.WEIGHT, InversionOptions, "weight", "Weight of each interferogram"
            )
        )
        self.addParameter(
            option_parameter(
                self.MIN_NORM_VELOCITY,
                InversionOptions,
                "min_norm_velocity",
                "Minimum-norm velocity (classic SBAS) rather than minimum-norm phase where "
                "parts are bridged",
            )
        )
        self.addParameter(
            option_parameter(
                self.MASK_COHERENCE,
                InversionOptions,
                "mask_coherence",
                "Do not use interferogram pixels with coherence below (0 = off)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterPoint(
                    self.REFERENCE,
                    "Reference point (empty = the stack's REF_Y/REF_X, else automatic)",
                    optional=True,
                ),
                option_help(InversionOptions, "reference_yx") + " Click it on the map in any CRS.",
            )
        )
        self.addParameter(
            option_parameter(
                self.SPLIT_NETWORK,
                InversionOptions,
                "split_network",
                "Where the network is split into parts",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.MEMORY_MB,
                InversionOptions,
                "memory_mb",
                "Memory budget (MiB)",
                advanced=True,
            )
        )
        self.addParameter(dask_scheduler_parameter("row blocks"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Time series (timeseries.h5)", H5_FILTER
                ),
                "LOS displacement per date in metres, positive toward the satellite (MintPy "
                "timeseries.h5).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_TCOH, "Temporal coherence (temporalCoherence.h5)", H5_FILTER
                ),
                "Temporal coherence |mean(exp(j residual))| per pixel (0..1) and the number of "
                "pairs used.",
            )
        )
        self.addParameter(series_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))
        self.addParameter(coherence_quicklook(self.OUTPUT_QUICKLOOK_TCOH, of=self.OUTPUT_TCOH))

    def check_inputs(self, parameters, context):
        return self.reference_outside_grid(parameters, context, self.INPUT, self.REFERENCE)

    def processAlgorithm(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        reference = None
        if parameters.get(self.REFERENCE):
            locator = self.run_core(feedback, lambda p, progress: IfgramStack.open(p).locator, path)
            point = self.parameterAsPoint(parameters, self.REFERENCE, context, grid_crs(locator))
            row, col = locator.rowcol(point.x(), point.y())
            reference = (int(row), int(col))
        options = self.read_options(parameters, context, InversionOptions, reference_yx=reference)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        tcoh = self.parameterAsFileOutput(parameters, self.OUTPUT_TCOH, context)
        result = self.run_core(
            feedback,
            invert_stack,
            path,
            output,
            tcoh,
            options,
            executor=dask_scheduler(self, parameters, context),
        )
        split = result.messages[1] if len(result.parts) > 1 else None
        self.log(feedback, *(message for message in result.messages if message != split))
        if split:
            feedback.reportError(split, fatalError=False)
        return {
            self.OUTPUT: output,
            self.OUTPUT_TCOH: tcoh,
            "PARTS": len(result.parts),
            "PIXELS": result.pixels_inverted,
        }


class Velocity(SubsidenceAlgorithm):
    ALGORITHM_ID = "velocity"
    DISPLAY_NAME = "Velocity map"
    GROUP = "timeseries"
    HELP = (
        "Fits a linear rate (optionally acceleration and annual/semi-annual terms) to a "
        "time series; writes LOS and vertical velocity (mm/yr), its standard deviation, "
        "deformation classes and the cumulative displacement at a date, masked by temporal "
        "coherence."
    )
    UNITS = (
        "Rates in mm/yr and displacements in mm, LOS positive toward the satellite, "
        "subsidence negative; vertical = LOS / cos(incidence), no horizontal motion assumed; "
        "MintPy velocity.h5 in m/yr."
    )
    SOURCE = (
        "paper 002 (deformation classes < -40, -40 to -10, -10 to +10, > +10 mm/yr); the rate "
        "fit of MintPy's timeseries2velocity (Yunjun et al. 2019)."
    )
    TAGS = ("velocity", "rate", "vertical", "classes", "cumulative", "map")
    INPUT = "INPUT"
    GEOMETRY = "GEOMETRY"
    TCOH = "TCOH"
    MIN_TCOH = "MIN_TCOH"
    DASK_SCHEDULER = DASK_SCHEDULER
    MODEL = "MODEL"
    CLASS_THRESHOLDS = "CLASS_THRESHOLDS"
    CUMULATIVE_DATE = "CUMULATIVE_DATE"
    OUTPUT = "OUTPUT"
    OUTPUT_STD = "OUTPUT_STD"
    OUTPUT_VERTICAL = "OUTPUT_VERTICAL"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_CUMULATIVE = "OUTPUT_CUMULATIVE"
    OUTPUT_H5 = "OUTPUT_H5"

    def initAlgorithm(self, config=None):
        self.addParameter(mintpy_file(self.INPUT, "Time series (timeseries.h5)", SERIES_HELP))
        self.addParameter(
            mintpy_file(
                self.GEOMETRY,
                "Geometry (geometryGeo.h5) for the vertical velocity",
                "Geometry of the stack (from the ingest): its incidence angle turns LOS into "
                "vertical velocity (LOS / cos(incidence), no horizontal motion assumed).",
                optional=True,
            )
        )
        self.addParameter(
            mintpy_file(
                self.TCOH,
                "Temporal coherence (temporalCoherence.h5) to mask unreliable pixels",
                "Temporal coherence from the SBAS inversion; pixels below the minimum are left "
                "empty. Empty = no mask.",
                optional=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.MIN_TCOH,
                VelocityOptions,
                "min_temporal_coherence",
                "Minimum temporal coherence",
            )
        )
        self.addParameter(
            option_parameter(self.MODEL, VelocityOptions, "model", "Displacement model")
        )
        defaults = VelocityOptions()
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.CLASS_THRESHOLDS,
                    "Deformation class limits (mm/yr, increasing)",
                    ",".join(f"{v:g}" for v in defaults.class_thresholds),
                ),
                option_help(VelocityOptions, "class_thresholds"),
            )
        )
        self.addParameter(
            date_parameter(
                self.CUMULATIVE_DATE,
                "Date of the cumulative displacement (nearest acquisition; empty = the last)",
                option_help(VelocityOptions, "cumulative_date"),
            )
        )
        self.addParameter(dask_scheduler_parameter("row blocks"))
        self.addParameter(
            styled(
                with_help(
                    QgsProcessingParameterRasterDestination(self.OUTPUT, "LOS velocity (mm/yr)"),
                    "Mean LOS velocity per pixel in mm/yr, positive toward the satellite "
                    "(subsidence is negative).",
                ),
                "velocity",
            )
        )
        optional_rasters = (  # name, description, help, style, made by default
            (
                self.OUTPUT_STD,
                "LOS velocity standard deviation (mm/yr)",
                "Standard deviation of the LOS velocity from the fit residuals, mm/yr.",
                "sequential",
                False,
            ),
            (
                self.OUTPUT_VERTICAL,
                "Vertical velocity (mm/yr)",
                "Vertical velocity in mm/yr (LOS / cos(incidence)); subsidence is negative. "
                "Made when the geometry is given.",
                "velocity",
                True,
            ),
            (
                self.OUTPUT_CLASSES,
                "Deformation classes",
                "Class of each pixel's velocity between the class limits (1 = fastest "
                "subsidence; 0 = no data): of the vertical velocity when the geometry is "
                "given, else of the LOS velocity.",
                "classes",
                True,
            ),
            (
                self.OUTPUT_CUMULATIVE,
                "Cumulative LOS displacement (mm)",
                "LOS displacement at the cumulative date (default the last acquisition), mm, "
                "relative to the first date.",
                "displacement",
                False,
            ),
        )
        for name, description, text, style, made in optional_rasters:
            self.addParameter(
                styled(
                    with_help(
                        QgsProcessingParameterRasterDestination(
                            name, description, optional=True, createByDefault=made
                        ),
                        text,
                    ),
                    style,
                )
            )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_H5,
                    "MintPy velocity.h5 (m/yr)",
                    H5_FILTER,
                    optional=True,
                    createByDefault=False,
                ),
                "The velocity and its standard deviation in m/yr as MintPy's velocity.h5.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        def output(name):
            return self.destination(parameters, name, context)

        geometry = self.parameterAsFile(parameters, self.GEOMETRY, context) or None
        thresholds = self.run_core(
            feedback,
            lambda text, progress: parse_thresholds(text),
            self.parameterAsString(parameters, self.CLASS_THRESHOLDS, context),
        )
        cumulative_date = read_date(self, parameters, self.CUMULATIVE_DATE, context)
        outputs = VelocityOutputs(
            los=output(self.OUTPUT),
            std=output(self.OUTPUT_STD),
            vertical=output(self.OUTPUT_VERTICAL) if geometry else None,
            classes=output(self.OUTPUT_CLASSES),
            cumulative=output(self.OUTPUT_CUMULATIVE),
            h5=output(self.OUTPUT_H5),
        )
        options = self.read_options(
            parameters,
            context,
            VelocityOptions,
            class_thresholds=thresholds,
            cumulative_date=cumulative_date,
        )
        result = self.run_core(
            feedback,
            estimate_velocity,
            self.parameterAsFile(parameters, self.INPUT, context),
            outputs,
            geometry,
            self.parameterAsFile(parameters, self.TCOH, context) or None,
            options,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(feedback, *result.messages)
        keys = {
            "los": self.OUTPUT,
            "std": self.OUTPUT_STD,
            "vertical": self.OUTPUT_VERTICAL,
            "classes": self.OUTPUT_CLASSES,
            "cumulative": self.OUTPUT_CUMULATIVE,
            "h5": self.OUTPUT_H5,
        }
        results = {name: None for name in keys.values()}
        results.update({keys[k]: str(v) for k, v in result.outputs.items()})
        results["PIXELS"] = result.pixels
        return results


class PsInsar(SubsidenceAlgorithm):
    ALGORITHM_ID = "psinsar"
    DISPLAY_NAME = "Persistent scatterers from an SLC stack (PSInSAR)"
    GROUP = "timeseries"
    HELP = (
        "Finds persistent scatterers in a coregistered SLC stack (multi-band complex "
        "GeoTIFF/VRT, or a folder of one file per date): amplitude-dispersion candidates, "
        "velocity and DEM error per arc of a Delaunay network by maximising temporal "
        "coherence, integration to a reference point, atmospheric filtering, and selection "
        "by temporal coherence. Optional distributed scatterers by KS-test homogeneous "
        "pixels. Output: points with VEL (LOS mm/yr), TCOH, DA and a series per date."
    )
    UNITS = (
        "VEL in mm/yr and DYYYYMMDD in mm, LOS positive toward the satellite; DEM error in m; "
        "amplitude dispersion and temporal coherence 0..1; incidence in degrees, slant range "
        "in m."
    )
    SOURCE = (
        "persistent scatterers (Ferretti et al. 2001) with StaMPS-style candidates (Hooper et "
        "al. 2004); paper 003 (amplitude dispersion 0.2, temporal coherence 0.8); the 19 x 13 "
        "homogeneous-pixel window of paper 001."
    )
    TAGS = ("psinsar", "persistent scatterers", "slc", "amplitude dispersion", "ds")
    INPUT = "INPUT"
    DATES = "DATES"
    HEIGHT = "HEIGHT"
    DA_THRESHOLD = "DA_THRESHOLD"
    TCOH_THRESHOLD = "TCOH_THRESHOLD"
    DS = "DS"
    SHP_WINDOW = "SHP_WINDOW"
    INCIDENCE = "INCIDENCE"
    SLANT_RANGE = "SLANT_RANGE"
    MAX_VELOCITY = "MAX_VELOCITY"
    MEMORY_MB = "MEMORY_MB"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        defaults = PsOptions()
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "Coregistered SLC stack (complex GeoTIFF/VRT, bands = dates)"
                ),
                "Coregistered single-look complex images: one multi-band complex GeoTIFF or VRT "
                "(one band per date), or a folder of one file per date.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.DATES,
                    "Dates and perpendicular baselines (CSV: date,bperp; band order)",
                    extension="csv",
                ),
                "One row per band, in band order: acquisition date (YYYYMMDD) and perpendicular "
                "baseline in metres.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterLayer(
                    self.HEIGHT,
                    "DEM on the SLC grid (m; adds HEIGHT = DEM + estimated error)",
                    optional=True,
                ),
                "DEM heights in metres on the SLC grid; the points get HEIGHT = DEM + their "
                "estimated DEM error.",
            )
        )
        self.addParameter(
            option_parameter(
                self.DA_THRESHOLD,
                PsOptions,
                "da_threshold",
                "Amplitude dispersion threshold of PS candidates",
            )
        )
        self.addParameter(
            option_parameter(
                self.TCOH_THRESHOLD,
                PsOptions,
                "tcoh_threshold",
                "Temporal coherence threshold of the final PS",
            )
        )
        self.addParameter(
            option_parameter(
                self.DS,
                PsOptions,
                "distributed",
                "Add distributed scatterers (homogeneous pixels, adaptive averaging)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.SHP_WINDOW,
                    "Homogeneous-pixel window, rows x cols (azimuth x range)",
                    "{}x{}".format(*defaults.shp_window),
                ),
                option_help(PsOptions, "shp_window") + " As rows x columns, e.g. 19x13.",
            )
        )
        self.addParameter(
            option_parameter(
                self.INCIDENCE,
                PsOptions,
                "incidence_deg",
                "Incidence angle (degrees, for the height-error phase)",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.SLANT_RANGE,
                PsOptions,
                "slant_range_m",
                "Slant range (m, for the height-error phase)",
                advanced=True,
            )
        )
        velocity_range = option_spec(PsOptions, "velocity_range_m_per_year")
        self.addParameter(
            advanced(
                with_help(
                    QgsProcessingParameterNumber(
                        self.MAX_VELOCITY,
                        "Velocity search range per arc (+- mm/yr)",
                        ProcessingNumberParameterType.Double,
                        velocity_range.default * 1000,
                        minValue=velocity_range.minimum * 1000,
                    ),
                    f"{velocity_range.help}. Unit: mm/yr. At least "
                    f"{velocity_range.minimum * 1000:g}.",
                )
            )
        )
        self.addParameter(
            option_parameter(
                self.MEMORY_MB, PsOptions, "memory_mb", "Memory budget (MiB)", advanced=True
            )
        )
        self.addParameter(dask_scheduler_parameter("SLC patches"))
        self.addParameter(
            styled(
                with_help(
                    vector_file_destination(self.OUTPUT, "Persistent scatterers (GeoPackage)"),
                    "GeoPackage points: VEL (LOS mm/yr, positive toward the satellite), TCOH, DA, "
                    "DEM error and one DYYYYMMDD field per date (mm).",
                ),
                "velocity",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        window_text = self.parameterAsString(parameters, self.SHP_WINDOW, context)
        try:
            rows, cols = (int(v) for v in window_text.lower().replace(",", "x").split("x"))
        except ValueError:
            raise QgsProcessingException(
                f"{self.SHP_WINDOW} '{window_text}': give rows x cols, e.g. 19x13."
            ) from None
        height = None
        if parameters.get(self.HEIGHT):
            layer = self.parameterAsRasterLayer(parameters, self.HEIGHT, context)
            height = layer.source() if isinstance(layer, QgsRasterLayer) else None
        options = self.read_options(
            parameters,
            context,
            PsOptions,
            shp_window=(rows, cols),
            velocity_range_m_per_year=self.parameterAsDouble(parameters, self.MAX_VELOCITY, context)
            / 1000,
        )
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        result = self.run_core(
            feedback,
            run_psinsar,
            self.parameterAsFile(parameters, self.INPUT, context),
            self.parameterAsFile(parameters, self.DATES, context),
            output,
            height=height,
            options=options,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(
            feedback,
            f"{result.n_candidates} candidates, {result.n_arcs} coherent arcs, "
            f"{result.n_ps} scatterers; reference point "
            f"({result.reference_xy[0]:.1f}, {result.reference_xy[1]:.1f}), "
            f"reference date {result.reference_date}",
        )
        return {self.OUTPUT: output, "COUNT": result.n_ps, "CANDIDATES": result.n_candidates}


class Geocode(SubsidenceAlgorithm):
    """Radar-coordinate products onto a map grid. In the Time series group: it is the last
    step of the radar-coordinate chain (inversion, corrections and velocity run in radar
    geometry), as geocode follows velocity in MintPy's smallbaselineApp."""

    ALGORITHM_ID = "geocode"
    DISPLAY_NAME = "Geocode radar-coordinate products"
    GROUP = "timeseries"
    HELP = (
        "Resamples a product in radar coordinates (velocity, time series, temporal coherence, "
        "geometry: MintPy HDF5 or our radar-coordinate GeoTIFFs) onto a map grid through the "
        "latitude/longitude lookup tables of the stack (geometryRadar.h5), with GDAL's "
        "geolocation-array warp, so that QGIS and the other steps can use it. The output keeps "
        "the input's format, datasets, bands and units; the reference pixel moves with it."
    )
    UNITS = (
        "Values keep their units and signs (LOS positive toward the satellite, subsidence "
        "negative); pixel size in the units of the map CRS (m for UTM); lookup tables in "
        "degrees of latitude and longitude (WGS 84)."
    )
    SOURCE = (
        "the geocoding step of MintPy's smallbaselineApp (Yunjun et al. 2019) through GDAL "
        "geolocation arrays; paper 002 geocodes its MintPy results the same way."
    )
    TAGS = ("geocode", "radar coordinates", "lookup table", "map grid", "mintpy")
    INPUT = "INPUT"
    LOOKUP = "LOOKUP"
    CRS = "CRS"
    PIXEL_SIZE = "PIXEL_SIZE"
    RESAMPLING = "RESAMPLING"
    MEMORY_MB = "MEMORY_MB"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "Product in radar coordinates (.h5, or a GeoTIFF)"
                ),
                "A MintPy file without X_FIRST/Y_FIRST (velocity.h5, timeseries.h5, "
                "temporalCoherence.h5, geometryRadar.h5...) or a GeoTIFF written from one "
                "(no geotransform).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.LOOKUP,
                    "Lookup tables (geometryRadar.h5; empty = found beside the product)",
                    extension="h5",
                    optional=True,
                ),
                "The latitude/longitude of every radar pixel. Empty: the file the product's "
                "LOOKUP_FILE names, else geometryRadar.h5 beside it, in inputs/ or in the "
                "parent folder (MintPy's layout).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterCrs(self.CRS, "Map CRS (empty = UTM zone)", optional=True),
                option_help(GeocodeOptions, "epsg") + " An EPSG CRS.",
            )
        )
        self.addParameter(
            option_parameter(
                self.PIXEL_SIZE,
                GeocodeOptions,
                "pixel_size",
                "Pixel size (map CRS units; 0 = the lookup tables' ground spacing)",
                zero_is_none=True,
            )
        )
        self.addParameter(
            option_parameter(self.RESAMPLING, GeocodeOptions, "resampling", "Resampling")
        )
        self.addParameter(
            option_parameter(
                self.MEMORY_MB, GeocodeOptions, "memory_mb", "Memory budget (MiB)", advanced=True
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT,
                    "Geocoded product (same format as the input)",
                    "HDF5 files (*.h5);;GeoTIFF files (*.tif)",
                ),
                "The product on the map grid: an .h5 for an .h5 input (X_FIRST, Y_FIRST, "
                "X_STEP, Y_STEP, EPSG set), a .tif for a GeoTIFF input.",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        lookup = self.parameterAsFile(parameters, self.LOOKUP, context) or None
        epsg = None
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        if crs.isValid():
            epsg, _ = epsg_and_wkt(crs)
            if epsg is None:
                raise QgsProcessingException(f"{self.CRS}: give a CRS with an EPSG code.")
        options = self.read_options(parameters, context, GeocodeOptions, epsg=epsg)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        result = self.run_core(feedback, geocode, path, output, lookup, options)
        grid = result.grid
        feedback.pushInfo(
            f"{len(result.datasets)} datasets onto {grid.length} x {grid.width} pixels of "
            f"{abs(grid.x_step):g} (EPSG:{grid.epsg}), lookup tables {result.lookup}."
        )
        return {self.OUTPUT: output, "WIDTH": grid.width, "LENGTH": grid.length}


class Onset(SubsidenceAlgorithm):
    ALGORITHM_ID = "onset"
    DISPLAY_NAME = "Onset of subsidence and steps"
    GROUP = "timeseries"
    HELP = (
        "Per pixel of a time series (timeseries.h5, LOS) or per point of a layer with "
        "DYYYYMMDD fields (mm): the date subsidence began, from a continuous piecewise-linear "
        "fit with one breakpoint, y = a + b t + c max(t - tau, 0), tested against a single "
        "line by sup F (Andrews 1993) with its critical value simulated on the same dates, so "
        "FALSE_ALARM is the chance of a breakpoint in a series without one; the rates before "
        "and after (mm/yr). Steps (a collapse, an unwrapping error) at unknown dates are added "
        "greedily while their max-type likelihood-ratio statistic exceeds its simulated "
        "critical value; steps of about lambda/2 (27.7 mm at C band) are flagged as likely "
        "unwrapping errors. Noise is taken as white in time (seasonal signals raise false "
        "alarms). Outputs: a map (GeoTIFF bands: onset and breakpoint in decimal years, rates "
        "before and after, sup F, p-value, steps) or an onset point layer, and a layer with "
        "one point per step. Method: docs/algorithms/onset.md."
    )
    UNITS = (
        "Series in mm (LOS positive toward the satellite, subsidence negative); onset and "
        "breakpoint in decimal years; rates in mm/yr; steps in mm."
    )
    SOURCE = (
        "Andrews (1993), Tests for parameter instability and structural change with unknown "
        "change point, Econometrica 61, 821-856 (sup F test and its simulated critical value)."
    )
    TAGS = ("onset", "breakpoint", "change point", "steps", "unwrapping", "mining")
    INPUT = "INPUT"
    FALSE_ALARM = "FALSE_ALARM"
    MIN_SEGMENT = "MIN_SEGMENT"
    MIN_RATE_CHANGE = "MIN_RATE_CHANGE"
    MAX_STEPS = "MAX_STEPS"
    SIMULATIONS = "SIMULATIONS"
    OUTPUT = "OUTPUT"
    OUTPUT_POINTS = "OUTPUT_POINTS"
    OUTPUT_STEPS = "OUTPUT_STEPS"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT,
                    "Time series (timeseries.h5) or point layer with DYYYYMMDD fields",
                    fileFilter="Time series (*.h5 *.gpkg *.shp);;All files (*)",
                ),
                "A MintPy-style timeseries.h5 (LOS, metres) gives a map; a point layer (PS, "
                "EGMS, decomposed products) with one field per date in mm gives points.",
            )
        )
        for name, field, label, is_advanced in (
            (self.FALSE_ALARM, "false_alarm", "False-alarm probability per series", False),
            (self.MIN_SEGMENT, "min_segment", "Acquisitions on each side of a breakpoint", False),
            (
                self.MIN_RATE_CHANGE,
                "min_rate_change",
                "Onset: rate drop of at least (mm/yr)",
                False,
            ),
            (self.MAX_STEPS, "max_steps", "Most steps per series", False),
            (self.SIMULATIONS, "simulations", "Simulated noise series", True),
        ):
            self.addParameter(
                option_parameter(name, OnsetOptions, field, label, advanced=is_advanced)
            )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT, "Onset map (time-series input)", optional=True
                ),
                "Bands: onset (decimal year, empty where none), breakpoint (decimal year), LOS "
                "rate before and after (mm/yr), sup F, p-value, number of steps.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(
                    self.OUTPUT_POINTS,
                    "Onset points (point-layer input)",
                    ProcessingSourceType.VectorPoint,
                    optional=True,
                ),
                "The points with their series and ONSET, ONSET_YR, BREAK_YR, RATE_BEFORE, "
                "RATE_AFTER, SUP_F, P_VALUE, N_STEPS.",
            )
        )
        self.addParameter(
            with_help(
                vector_file_destination(
                    self.OUTPUT_STEPS,
                    "Steps",
                    ProcessingSourceType.VectorPoint,
                    optional=True,
                ),
                "One point per step: DATE, YEAR, SIZE_MM, STATISTIC, UNWRAP (1 = about "
                "lambda/2, a likely unwrapping error).",
            )
        )
        for name, description in (
            ("SERIES", "Series analysed"),
            ("BREAKPOINTS", "Series with a breakpoint"),
            ("ONSETS", "Onsets of subsidence"),
            ("STEPS", "Steps"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def check_inputs(self, parameters, context):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        if is_time_series_file(path):
            if not asked_for(parameters, self.OUTPUT):
                return f"{path} is a time series, which writes an onset map: give OUTPUT."
            if asked_for(parameters, self.OUTPUT_POINTS):
                return (
                    f"{path} is a time series: it writes the onset map (OUTPUT), not onset "
                    "points. Fix: skip OUTPUT_POINTS, or give a point layer with DYYYYMMDD "
                    "fields as INPUT."
                )
            return None
        if not asked_for(parameters, self.OUTPUT_POINTS):
            return f"{path} is a point layer, which writes onset points: give OUTPUT_POINTS."
        if self._named_output_files({self.OUTPUT: parameters.get(self.OUTPUT)}):
            return (
                f"{path} is a point layer: it writes onset points (OUTPUT_POINTS), not an onset "
                "map. Fix: skip OUTPUT, or give a timeseries.h5 as INPUT."
            )
        return None

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, OnsetOptions)
        path = self.parameterAsFile(parameters, self.INPUT, context)
        if is_time_series_file(path):
            output, points = self.optional_output(parameters, self.OUTPUT, context), None
        else:  # the map's temporary default does not apply to points: not made, not reported
            output, points = None, self.optional_output(parameters, self.OUTPUT_POINTS, context)
        steps = self.optional_output(parameters, self.OUTPUT_STEPS, context)
        result = self.run_core(
            feedback, detect_onsets, path, output, points, steps, options=options
        )
        if output:
            self.style_on_load(context, output, "years")
        if points:
            self.style_on_load(context, points, "onset_points")
        if steps:
            self.style_on_load(context, steps, "steps")
        written = {self.OUTPUT: output, self.OUTPUT_POINTS: points, self.OUTPUT_STEPS: steps}
        return {
            **{name: path for name, path in written.items() if path},
            "SERIES": result.series,
            "BREAKPOINTS": result.breakpoints,
            "ONSETS": result.onsets,
            "STEPS": result.steps,
        }
