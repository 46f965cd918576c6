"""Ingest algorithms: HyP3 products and generic GeoTIFF interferograms to an ifgramStack.h5,
point products (EGMS, StaMPS, DePSI, MintPy, CSV) to a GeoPackage, and the embedded demo
study area."""

from __future__ import annotations

import inspect

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from ...core.demo import create_demo
from ...core.ingest.from_geotiff import DEFAULT_PATTERN, ingest_geotiff
from ...core.ingest.from_hyp3 import ingest_hyp3
from ...core.ingest.point_import import (
    DEFAULT_DATE_PATTERN,
    PointImportOptions,
    import_points,
)
from ...core.ingest.stack_builder import IngestOptions
from ..base import SubsidenceAlgorithm, advanced, layer_file, vector_file_destination

H5_FILTER = "HDF5 files (*.h5)"


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
    return QgsProcessingParameterNumber(
        name,
        "Multilook factor (integer averaging of N x N pixels)",
        QgsProcessingParameterNumber.Integer,
        IngestOptions().multilook,
        minValue=1,
        maxValue=50,
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
    INPUT, AOI, MULTILOOK, OUTPUT, OUTPUT_GEOMETRY = (
        "INPUT",
        "AOI",
        "MULTILOOK",
        "OUTPUT",
        "OUTPUT_GEOMETRY",
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT,
                "Folder with HyP3 products (zips or unzipped folders)",
                behavior=QgsProcessingParameterFile.Folder,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(
                self.AOI,
                "Area of interest (default: common overlap of all products)",
                optional=True,
            )
        )
        self.addParameter(_multilook_parameter(self.MULTILOOK))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, "Interferogram stack (ifgramStack.h5)", H5_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT_GEOMETRY, "Geometry (geometryGeo.h5)", H5_FILTER
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        folder = self.parameterAsFile(parameters, self.INPUT, context)
        aoi, aoi_crs = _aoi(self, parameters, context, self.AOI)
        options = IngestOptions(multilook=self.parameterAsInt(parameters, self.MULTILOOK, context))
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
        for warning in result.warnings:
            feedback.reportError(warning, fatalError=False)
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
        "when present (names containing 'coh' or 'cor'). Pair dates are parsed from file "
        "names with PATTERN; perpendicular baselines come from an optional CSV."
    )
    INPUT, PATTERN, BASELINES, WAVELENGTH, MULTILOOK, OUTPUT = (
        "INPUT",
        "PATTERN",
        "BASELINES",
        "WAVELENGTH",
        "MULTILOOK",
        "OUTPUT",
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT,
                "Folder with interferogram GeoTIFFs",
                behavior=QgsProcessingParameterFile.Folder,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.PATTERN,
                "Date pattern: regular expression with two YYYYMMDD groups "
                "(default: the first two dates in the name)",
                DEFAULT_PATTERN,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.BASELINES,
                "Perpendicular baselines CSV (date,bperp or date1,date2,bperp; m)",
                extension="csv",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.WAVELENGTH,
                "Radar wavelength (m; default Sentinel-1 C band)",
                QgsProcessingParameterNumber.Double,
                IngestOptions().wavelength,
                minValue=0.001,
                maxValue=1.0,
            )
        )
        self.addParameter(_multilook_parameter(self.MULTILOOK))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, "Interferogram stack (ifgramStack.h5)", H5_FILTER
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        options = IngestOptions(
            multilook=self.parameterAsInt(parameters, self.MULTILOOK, context),
            wavelength=self.parameterAsDouble(parameters, self.WAVELENGTH, context),
        )
        result = self.run_core(
            feedback,
            ingest_geotiff,
            self.parameterAsFile(parameters, self.INPUT, context),
            self.parameterAsFileOutput(parameters, self.OUTPUT, context),
            pattern=self.parameterAsString(parameters, self.PATTERN, context) or DEFAULT_PATTERN,
            baselines=self.parameterAsFile(parameters, self.BASELINES, context) or None,
            options=options,
        )
        for warning in result.warnings:
            feedback.reportError(warning, fatalError=False)
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
    OUTPUT_FOLDER, SEED, SIZE, ACQUISITIONS = "OUTPUT_FOLDER", "SEED", "SIZE", "ACQUISITIONS"

    def initAlgorithm(self, config=None):
        defaults = inspect.signature(create_demo).parameters
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.OUTPUT_FOLDER, "Output folder for the demo study area"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SEED,
                "Random seed (same seed, same scene)",
                QgsProcessingParameterNumber.Integer,
                defaults["seed"].default,
                minValue=0,
            )
        )
        for name, key, description, minimum in (
            (self.SIZE, "size", "Scene size (pixels per side, 80 m each)", 16),
            (self.ACQUISITIONS, "n_acquisitions", "Number of Sentinel-1 acquisitions", 4),
        ):
            parameter = QgsProcessingParameterNumber(
                name,
                description,
                QgsProcessingParameterNumber.Integer,
                defaults[key].default,
                minValue=minimum,
                maxValue=2048,
            )
            advanced(parameter)
            self.addParameter(parameter)

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


FORMAT_CHOICES = [
    "Auto-detect",
    "EGMS (L2a/L2b/L3 CSV or zip)",
    "StaMPS export CSV",
    "DePSI / stmtools CSV",
    "MintPy time series (HDF5)",
    "Generic CSV",
]
FORMAT_KEYS = ["auto", "egms", "stamps", "depsi", "mintpy", "generic"]
UNIT_CHOICES = ["mm", "cm", "m"]


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
    defaults = PointImportOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile("INPUT", "Point product (CSV, CSV.GZ, ZIP or timeseries.h5)")
        )
        self.addParameter(
            QgsProcessingParameterEnum("FORMAT", "Format", FORMAT_CHOICES, defaultValue=0)
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    "DATE_PATTERN",
                    "Generic CSV: regular expression of date columns (group 1 = date, "
                    "YYYYMMDD or YYYY-MM-DD)",
                    DEFAULT_DATE_PATTERN,
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(
                    "UNIT",
                    "Generic CSV: unit of the displacement columns",
                    UNIT_CHOICES,
                    defaultValue=0,
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    "X_FIELD", "Generic CSV: x / longitude column (empty = guess)", optional=True
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    "Y_FIELD", "Generic CSV: y / latitude column (empty = guess)", optional=True
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterCrs(
                    "CRS", "Generic CSV: CRS of x/y (empty = WGS 84 for lon/lat)", optional=True
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    "MIN_COHERENCE",
                    "MintPy: keep pixels whose temporal coherence is at least",
                    QgsProcessingParameterNumber.Double,
                    self.defaults.coherence_threshold,
                    minValue=0,
                    maxValue=1,
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterVectorLayer(
                    "SAMPLE_POINTS",
                    "MintPy: sample at these points instead of every coherent pixel",
                    [QgsProcessing.TypeVectorPoint],
                    optional=True,
                )
            )
        )
        self.addParameter(vector_file_destination("OUTPUT", "Points (GeoPackage)"))

    def processAlgorithm(self, parameters, context, feedback):
        source = self.parameterAsFile(parameters, "INPUT", context)
        crs = self.parameterAsCrs(parameters, "CRS", context)
        epsg = None
        if crs.isValid():
            authority = crs.authid()
            if not authority.upper().startswith("EPSG:"):
                raise QgsProcessingException("CRS: give a CRS with an EPSG code.")
            epsg = int(authority.split(":")[1])
        sample = None
        if parameters.get("SAMPLE_POINTS"):
            sample = layer_file(self, parameters, "SAMPLE_POINTS", context)
        options = PointImportOptions(
            format=FORMAT_KEYS[self.parameterAsEnum(parameters, "FORMAT", context)],
            date_pattern=self.parameterAsString(parameters, "DATE_PATTERN", context)
            or DEFAULT_DATE_PATTERN,
            unit=UNIT_CHOICES[self.parameterAsEnum(parameters, "UNIT", context)],
            x_field=self.parameterAsString(parameters, "X_FIELD", context).strip(),
            y_field=self.parameterAsString(parameters, "Y_FIELD", context).strip(),
            epsg=epsg,
            coherence_threshold=self.parameterAsDouble(parameters, "MIN_COHERENCE", context),
            sample_points=sample,
        )
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        summary = self.run_core(feedback, import_points, source, output, options)
        feedback.pushInfo(
            f"{summary.count:,} points, {len(summary.dates)} dates, format "
            f"{summary.format}, EPSG:{summary.epsg}"
        )
        self.style_on_load(context, output, "velocity")
        return {"OUTPUT": output, "COUNT": summary.count, "FORMAT": summary.format}
