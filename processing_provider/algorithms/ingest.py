"""Ingest algorithms: HyP3 products and generic GeoTIFF interferograms to an ifgramStack.h5,
point products (EGMS, StaMPS, DePSI, MintPy, CSV) to a GeoPackage, GNSS station series to a
GeoPackage, and the embedded demo study area."""

from __future__ import annotations

import inspect

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from ...core.dates import parse_yyyymmdd
from ...core.demo import create_demo
from ...core.errors import SubsidenceError
from ...core.ingest.from_geotiff import COHERENCE_PATTERN, DEFAULT_PATTERN, ingest_geotiff
from ...core.ingest.from_hyp3 import ingest_hyp3
from ...core.ingest.gnss_import import GnssImportOptions, check_gnss_files, import_gnss
from ...core.ingest.point_import import PointImportOptions, import_points
from ...core.ingest.stack_builder import IngestOptions
from ..base import (
    SubsidenceAlgorithm,
    advanced,
    layer_file,
    stack_quicklook,
    styled,
    vector_file_destination,
)
from ..parameters import (
    DASK_SCHEDULER,
    dask_scheduler,
    dask_scheduler_parameter,
    option_help,
    option_parameter,
    with_help,
)
from ..qgis_compat import (
    ProcessingFileParameterBehavior,
    ProcessingNumberParameterType,
    ProcessingSourceType,
)

H5_FILTER = "HDF5 files (*.h5)"
STACK_HELP = (
    "MintPy-compatible interferogram stack: unwrapped phase (rad), coherence and dates of every "
    "pair, for the network and inversion steps."
)


def _aoi(algorithm, parameters, context, name):
    """(extent tuple, CRS authid or WKT) of an optional extent parameter, or (None, None)."""
    if not parameters.get(name):
        return None, None
    rectangle = algorithm.parameterAsExtent(parameters, name, context)
    if rectangle.isNull():
        return None, None
    crs = algorithm.parameterAsExtentCrs(parameters, name, context)
    crs_text = (crs.authid() or crs.toWkt()) if crs.isValid() else None
    return (
        rectangle.xMinimum(),
        rectangle.yMinimum(),
        rectangle.xMaximum(),
        rectangle.yMaximum(),
    ), crs_text


def _multilook_parameter(name):
    return option_parameter(
        name, IngestOptions, "multilook", "Multilook factor (integer averaging of N x N pixels)"
    )


class IngestHyp3(SubsidenceAlgorithm):
    ALGORITHM_ID = "ingesthyp3"
    DISPLAY_NAME = "Ingest ASF HyP3 InSAR products"
    GROUP = "ingest"
    HELP = (
        "Builds a MintPy-compatible interferogram stack (ifgramStack.h5) and geometry file "
        "(geometryGeo.h5) from a folder of ASF HyP3 InSAR products (INSAR_GAMMA, "
        "INSAR_ISCE_BURST, INSAR_ISCE_MULTI_BURST), zipped or unzipped. Products are cropped "
        "to their common overlap or to the area of interest, and can be multilooked. "
        "Duplicate pairs are skipped with a warning."
    )
    UNITS = (
        "Unwrapped phase in radians, positive = motion away from the satellite (HyP3 and "
        "MintPy); coherence 0..1; height in m; incidence angle in degrees from the vertical "
        "(90 - lv_theta); azimuth angle in degrees (lv_phi - 90); perpendicular baseline in "
        "m."
    )
    SOURCE = (
        "paper 002 (Xu: ASF HyP3 interferograms ingested into MintPy); the MintPy "
        "ifgramStack.h5 and geometryGeo.h5 layouts (Yunjun et al. 2019)."
    )
    TAGS = ("hyp3", "asf", "sentinel-1", "mintpy", "ifgramstack", "interferogram", "import")
    INPUT = "INPUT"
    AOI = "AOI"
    MULTILOOK = "MULTILOOK"
    OUTPUT = "OUTPUT"
    OUTPUT_GEOMETRY = "OUTPUT_GEOMETRY"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT,
                    "Folder with HyP3 products (zips or unzipped folders)",
                    behavior=ProcessingFileParameterBehavior.Folder,
                ),
                "Folder holding the HyP3 InSAR product zips as downloaded, or their unzipped "
                "folders (one product per pair).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterExtent(
                    self.AOI,
                    "Area of interest (default: common overlap of all products)",
                    optional=True,
                ),
                "Crop the stack to this extent (any CRS); empty = the area every product covers.",
            )
        )
        self.addParameter(_multilook_parameter(self.MULTILOOK))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Interferogram stack (ifgramStack.h5)", H5_FILTER
                ),
                STACK_HELP,
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_GEOMETRY, "Geometry (geometryGeo.h5)", H5_FILTER
                ),
                "Height (m), incidence and azimuth angles (degrees) and water mask on the stack "
                "grid, for vertical velocities and corrections.",
            )
        )
        self.addParameter(stack_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        folder = self.parameterAsFile(parameters, self.INPUT, context)
        aoi, aoi_crs = _aoi(self, parameters, context, self.AOI)
        options = self.read_options(parameters, context, IngestOptions)
        stack = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        geometry = self.parameterAsFileOutput(parameters, self.OUTPUT_GEOMETRY, context)
        result = self.run_core(
            feedback,
            ingest_hyp3,
            folder,
            stack,
            geometry,
            aoi=aoi,
            aoi_crs=aoi_crs,
            options=options,
        )
        self.warn(feedback, *result.warnings)
        return {
            self.OUTPUT: str(result.stack),
            self.OUTPUT_GEOMETRY: str(result.geometry),
            "NUM_PAIRS": result.num_pairs,
        }


class IngestGeoTiff(SubsidenceAlgorithm):
    ALGORITHM_ID = "ingestgeotiff"
    DISPLAY_NAME = "Ingest GeoTIFF interferograms"
    GROUP = "ingest"
    HELP = (
        "Builds a MintPy-compatible interferogram stack (ifgramStack.h5) from unwrapped-phase "
        "GeoTIFFs (radians) exported by GAMMA, ISCE, SNAP or others, with coherence GeoTIFFs "
        "when present (names with 'coh' or 'corr', or the words 'cc' or 'cor' as GAMMA, "
        "ISCE, SNAP and LiCSAR name them; or COHERENCE_PATTERN). Without coherence files the "
        "stack has no coherence dataset. Pair dates are parsed from file names with PATTERN; "
        "perpendicular baselines come from an optional CSV."
    )
    UNITS = (
        "Unwrapped phase in radians, positive = motion away from the satellite; coherence "
        "0..1; perpendicular baselines in m (0 without a baseline CSV); wavelength in m."
    )
    SOURCE = (
        "the MintPy ifgramStack.h5 layout (Yunjun et al. 2019), so GAMMA, ISCE and SNAP "
        "exports feed the same chain as HyP3 (paper 002)."
    )
    TAGS = ("gamma", "isce", "snap", "geotiff", "mintpy", "interferogram", "import")
    INPUT = "INPUT"
    PATTERN = "PATTERN"
    COHERENCE_PATTERN = "COHERENCE_PATTERN"
    BASELINES = "BASELINES"
    WAVELENGTH = "WAVELENGTH"
    MULTILOOK = "MULTILOOK"
    OUTPUT = "OUTPUT"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT,
                    "Folder with interferogram GeoTIFFs",
                    behavior=ProcessingFileParameterBehavior.Folder,
                ),
                "Folder (searched with its sub-folders) of unwrapped-phase GeoTIFFs in radians, "
                "all on one grid, with coherence GeoTIFFs named like them.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterString(
                    self.PATTERN,
                    "Date pattern: regular expression with two YYYYMMDD groups "
                    "(default: the first two dates in the name)",
                    DEFAULT_PATTERN,
                ),
                "Regular expression applied to each file name; its two groups are the reference "
                "and secondary dates (YYYYMMDD).",
            )
        )
        self.addParameter(
            advanced(
                with_help(
                    QgsProcessingParameterString(
                        self.COHERENCE_PATTERN,
                        "Coherence file names: regular expression (case ignored)",
                        COHERENCE_PATTERN,
                    ),
                    "GeoTIFFs whose name matches are coherence (0-1), paired with the "
                    "unwrapped phase of the same dates; default: coh, corr, cc or cor.",
                )
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.BASELINES,
                    "Perpendicular baselines CSV (date,bperp or date1,date2,bperp; m)",
                    extension="csv",
                    optional=True,
                ),
                "Perpendicular baseline in metres per acquisition (date,bperp) or per pair "
                "(date1,date2,bperp); empty = 0 m for every pair.",
            )
        )
        self.addParameter(
            option_parameter(
                self.WAVELENGTH,
                IngestOptions,
                "wavelength",
                "Radar wavelength (m; default Sentinel-1 C band)",
            )
        )
        self.addParameter(_multilook_parameter(self.MULTILOOK))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Interferogram stack (ifgramStack.h5)", H5_FILTER
                ),
                STACK_HELP,
            )
        )
        self.addParameter(stack_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        options = self.read_options(parameters, context, IngestOptions)
        result = self.run_core(
            feedback,
            ingest_geotiff,
            self.parameterAsFile(parameters, self.INPUT, context),
            self.parameterAsFileOutput(parameters, self.OUTPUT, context),
            pattern=self.parameterAsString(parameters, self.PATTERN, context) or DEFAULT_PATTERN,
            baselines=self.parameterAsFile(parameters, self.BASELINES, context) or None,
            options=options,
            coherence_pattern=self.parameterAsString(parameters, self.COHERENCE_PATTERN, context)
            or COHERENCE_PATTERN,
        )
        self.warn(feedback, *result.warnings)
        return {self.OUTPUT: str(result.stack), "NUM_PAIRS": result.num_pairs}


class CreateDemo(SubsidenceAlgorithm):
    ALGORITHM_ID = "createdemo"
    DISPLAY_NAME = "Create demo study area"
    GROUP = "ingest"
    HELP = (
        "Writes a synthetic mining district with known truth: real-format ASF HyP3 product "
        "zips (Sentinel-1, 12-day sampling, small-baseline network) with subsidence bowls, "
        "groundwater motion and realistic noise, plus truth velocity and time series."
    )
    UNITS = (
        "Truth velocities in mm/yr and series in metres, LOS positive toward the satellite, "
        "subsidence negative; HyP3 products in their own units (phase in radians)."
    )
    SOURCE = (
        "a synthetic scene of this toolkit: probability-integral basins over longwall panels "
        "(Chinese mining-survey practice, Knothe delay), groundwater subsidence, turbulent "
        "and stratified troposphere; written in the ASF HyP3 product format."
    )
    TAGS = ("demo", "synthetic", "test data", "tutorial")
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    SEED = "SEED"
    SIZE = "SIZE"
    ACQUISITIONS = "ACQUISITIONS"

    def initAlgorithm(self, config=None):
        defaults = inspect.signature(create_demo).parameters
        self.addParameter(
            with_help(
                QgsProcessingParameterFolderDestination(
                    self.OUTPUT_FOLDER, "Output folder for the demo study area"
                ),
                "Folder that receives the HyP3 product zips (hyp3/), the truth rasters and "
                "series (truth/) and the other demo inputs.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterNumber(
                    self.SEED,
                    "Random seed (same seed, same scene)",
                    ProcessingNumberParameterType.Integer,
                    defaults["seed"].default,
                    minValue=0,
                ),
                "Seed of the random noise and layout: the same seed writes the same scene.",
            )
        )
        for name, key, description, minimum, text in (
            (
                self.SIZE,
                "size",
                "Scene size (pixels per side, 80 m each)",
                16,
                "Pixels per side of the square scene; each pixel is 80 m.",
            ),
            (
                self.ACQUISITIONS,
                "n_acquisitions",
                "Number of Sentinel-1 acquisitions",
                4,
                "Number of acquisitions, 12 days apart.",
            ),
        ):
            parameter = QgsProcessingParameterNumber(
                name,
                description,
                ProcessingNumberParameterType.Integer,
                defaults[key].default,
                minValue=minimum,
                maxValue=2048,
            )
            self.addParameter(advanced(with_help(parameter, text)))

    def processAlgorithm(self, parameters, context, feedback):
        folder = self.parameterAsFileOutput(parameters, self.OUTPUT_FOLDER, context)
        outputs = self.run_core(
            feedback,
            create_demo,
            folder,
            seed=self.parameterAsInt(parameters, self.SEED, context),
            size=self.parameterAsInt(parameters, self.SIZE, context),
            n_acquisitions=self.parameterAsInt(parameters, self.ACQUISITIONS, context),
        )
        results = {self.OUTPUT_FOLDER: folder}
        results.update({key.upper(): str(path) for key, path in outputs.items()})
        return results


class ImportPoints(SubsidenceAlgorithm):
    ALGORITHM_ID = "importpoints"
    DISPLAY_NAME = "Import point product (EGMS, StaMPS, DePSI, MintPy, CSV)"
    GROUP = "ingest"
    HELP = (
        "Imports persistent-scatterer points made elsewhere into a GeoPackage point layer "
        "styled by velocity: EGMS L2a/L2b/L3 CSV (also .csv.gz or the EGMS zip), StaMPS "
        "exports, DePSI/stmtools CSV (metres, converted to mm), a MintPy timeseries.h5 "
        "(every coherent pixel, or sampled at a point layer) or any CSV with lon/lat or x/y "
        "and date columns. Fields: VEL and VEL_STD (mm/yr), one DYYYYMMDD field per date "
        "(mm) and the source's quality fields. Large files stream in bounded memory."
    )
    UNITS = (
        "Displacements written in mm (DYYYYMMDD fields; DePSI metres and other units "
        "converted), rates in mm/yr (VEL), LOS positive toward the satellite unless the "
        "product says vertical (EGMS L3 U)."
    )
    SOURCE = (
        "the EGMS product description (Copernicus Land Monitoring Service), StaMPS (Hooper et "
        "al. 2004) and DePSI/stmtools exports, MintPy files; paper 000 and paper 003 work on "
        "such PS products."
    )
    TAGS = ("egms", "stamps", "depsi", "persistent scatterers", "ps", "csv", "import")
    INPUT = "INPUT"
    FORMAT = "FORMAT"
    DATE_PATTERN = "DATE_PATTERN"
    UNIT = "UNIT"
    X_FIELD = "X_FIELD"
    Y_FIELD = "Y_FIELD"
    CRS = "CRS"
    MIN_COHERENCE = "MIN_COHERENCE"
    SAMPLE_POINTS = "SAMPLE_POINTS"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.INPUT, "Point product (CSV, CSV.GZ, ZIP or timeseries.h5)"
                ),
                "The product file: a CSV (also gzip'ed, or the EGMS zip as downloaded) or a "
                "MintPy timeseries.h5.",
            )
        )
        self.addParameter(option_parameter(self.FORMAT, PointImportOptions, "format", "Format"))
        self.addParameter(
            option_parameter(
                self.DATE_PATTERN,
                PointImportOptions,
                "date_pattern",
                "Generic CSV: regular expression of date columns (group 1 = date, "
                "YYYYMMDD or YYYY-MM-DD)",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.UNIT,
                PointImportOptions,
                "unit",
                "Generic CSV: unit of the displacement columns",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.X_FIELD,
                PointImportOptions,
                "x_field",
                "Generic CSV: x / longitude column (empty = guess)",
                advanced=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.Y_FIELD,
                PointImportOptions,
                "y_field",
                "Generic CSV: y / latitude column (empty = guess)",
                advanced=True,
            )
        )
        self.addParameter(
            advanced(
                with_help(
                    QgsProcessingParameterCrs(
                        self.CRS,
                        "Generic CSV: CRS of x/y (empty = WGS 84 for lon/lat)",
                        optional=True,
                    ),
                    "Generic CSV: CRS of the x/y columns, with an EPSG code (empty = WGS 84 "
                    "longitude/latitude).",
                )
            )
        )
        self.addParameter(
            option_parameter(
                self.MIN_COHERENCE,
                PointImportOptions,
                "coherence_threshold",
                "MintPy: keep pixels whose temporal coherence is at least",
                advanced=True,
            )
        )
        self.addParameter(
            advanced(
                with_help(
                    QgsProcessingParameterVectorLayer(
                        self.SAMPLE_POINTS,
                        "MintPy: sample at these points instead of every coherent pixel",
                        [ProcessingSourceType.VectorPoint],
                        optional=True,
                    ),
                    "MintPy: a file-based point layer; the series are read at its points "
                    "instead of at every coherent pixel.",
                )
            )
        )
        self.addParameter(
            dask_scheduler_parameter(
                "CSV chunks (parsed and converted; MintPy files are sampled here)",
                blocks_carry_data=True,
            )
        )
        self.addParameter(
            styled(
                with_help(
                    vector_file_destination(self.OUTPUT, "Points (GeoPackage)"),
                    "GeoPackage point layer: VEL and VEL_STD (mm/yr), one DYYYYMMDD field per date "
                    "(mm) and the source's quality fields.",
                ),
                "velocity",
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsFile(parameters, self.INPUT, context)
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        epsg = None
        if crs.isValid():
            authority = crs.authid()
            if not authority.upper().startswith("EPSG:"):
                raise QgsProcessingException("CRS: give a CRS with an EPSG code.")
            epsg = int(authority.split(":")[1])
        sample = None
        if parameters.get(self.SAMPLE_POINTS):
            sample = layer_file(self, parameters, self.SAMPLE_POINTS, context)
        options = self.read_options(
            parameters, context, PointImportOptions, epsg=epsg, sample_points=sample
        )
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        summary = self.run_core(
            feedback,
            import_points,
            source,
            output,
            options,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(
            feedback,
            f"{summary.count:,} points, {len(summary.dates)} dates, format "
            f"{summary.format}, EPSG:{summary.epsg}",
        )
        return {self.OUTPUT: output, "COUNT": summary.count, "FORMAT": summary.format}


class ImportGnss(SubsidenceAlgorithm):
    ALGORITHM_ID = "importgnss"
    DISPLAY_NAME = "Import GNSS stations (NGL tenv3, NEU columns, CSV)"
    GROUP = "ingest"
    HELP = (
        "Reads GNSS station time series: Nevada Geodetic Laboratory .tenv3 (metres; position "
        "e0 + east...), whitespace columns of decimal year, north, east, up and their sigmas "
        "(*_neu_cm.col style; mm, cm or m) or CSV (date, east, north, up, optional sigmas, "
        "station, lon, lat). Coordinates come from the file or a station table (CSV: name, "
        "lon, lat). Writes one GeoPackage: a point layer of the stations with the rate of each "
        "component and its standard deviation (VEL_E, VEL_N, VEL_U, STD_E, STD_N, STD_U in "
        "mm/yr; least squares with an annual term over two years or more; the standard "
        "deviation assumes white noise), VEL = VEL_U, and a table of the series (mm, relative "
        "to each station's first epoch) for the comparison, the tie and the time-series dock."
    )
    UNITS = (
        "Positions read in m, cm or mm (UNIT); rates in mm/yr and series in mm relative to "
        "each station's first epoch; east, north and up positive."
    )
    SOURCE = "Nevada Geodetic Laboratory tenv3 format (Blewitt, Hammond & Kreemer 2018, Eos 99)."
    TAGS = ("GNSS", "GPS", "tenv3", "NGL", "stations", "import")
    INPUT = "INPUT"
    STATIONS = "STATIONS"
    FORMAT = "FORMAT"
    UNIT = "UNIT"
    SEASONAL = "SEASONAL"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):
        self.addParameter(
            with_help(
                QgsProcessingParameterMultipleLayers(
                    self.INPUT, "GNSS station files", ProcessingSourceType.File
                ),
                "One or more files: .tenv3, whitespace columns or CSV (a CSV may hold several "
                "stations in a 'station' column).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.STATIONS,
                    "Station table (CSV: name, lon, lat; empty = coordinates from the files)",
                    extension="csv",
                    optional=True,
                ),
                "Longitude and latitude (degrees, WGS84) of stations whose files have none; "
                "they also replace the files' coordinates.",
            )
        )
        self.addParameter(option_parameter(self.FORMAT, GnssImportOptions, "format", "Format"))
        self.addParameter(
            option_parameter(self.UNIT, GnssImportOptions, "unit", "Unit of columns and CSV files")
        )
        self.addParameter(
            option_parameter(
                self.SEASONAL, GnssImportOptions, "seasonal", "Fit an annual term with the rates"
            )
        )
        for name, field, label in (
            (self.START_DATE, "start_date", "First date kept (YYYY-MM-DD; empty = all)"),
            (self.END_DATE, "end_date", "Last date kept (YYYY-MM-DD; empty = all)"),
        ):
            self.addParameter(
                advanced(
                    with_help(
                        QgsProcessingParameterString(name, label, optional=True),
                        option_help(GnssImportOptions, field),
                    )
                )
            )
        self.addParameter(
            with_help(
                vector_file_destination(self.OUTPUT, "GNSS stations (GeoPackage)"),
                "Layer 'stations' (points, rates in mm/yr) and table 'gnss_series' (mm).",
            )
        )

    def _read(self, parameters, context):
        dates = {}
        for name, field in ((self.START_DATE, "start_date"), (self.END_DATE, "end_date")):
            text = (self.parameterAsString(parameters, name, context) or "").strip()
            dates[field] = parse_yyyymmdd(text.replace("-", ""), name) if text else None
        files = self.parameterAsFileList(parameters, self.INPUT, context)
        table = self.parameterAsFile(parameters, self.STATIONS, context) or None
        return files, table, dates

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            files, table, dates = self._read(parameters, context)
            options = self.read_options(parameters, context, GnssImportOptions, **dates)
            check_gnss_files(files, table, options)
        except (SubsidenceError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        files, table, dates = self.run_core(
            feedback, lambda progress: self._read(parameters, context)
        )
        options = self.read_options(parameters, context, GnssImportOptions, **dates)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        stations = self.run_core(feedback, import_gnss, files, output, table, options)
        for station in stations:
            rates = station.rates
            feedback.pushInfo(
                f"{station.name}: {len(station)} epochs {station.dates[0]} to "
                f"{station.dates[-1]}; east {rates['VEL_E']:+.2f}, north {rates['VEL_N']:+.2f}, "
                f"up {rates['VEL_U']:+.2f} mm/yr"
            )
        self.style_on_load(context, output, "velocity")
        return {self.OUTPUT: output, "STATIONS": len(stations)}
