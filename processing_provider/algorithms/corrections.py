"""Correction algorithms: reference point of a stack, GACOS troposphere, ramp removal and
DEM-error correction of a time series."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateTransform,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
)

from ...core.corrections.dem_error import DemErrorOptions, correct_dem_error
from ...core.corrections.deramp import RAMPS, DerampOptions, deramp_timeseries
from ...core.corrections.reference import ReferenceOptions, set_reference
from ...core.corrections.troposphere import correct_troposphere
from ...core.io.geotiff import read_raster
from ...core.io.mintpy import IfgramStack
from ...plugin.bridge import grid_crs
from ..base import SubsidenceAlgorithm

H5_FILTER = "HDF5 files (*.h5)"


class ReferencePoint(SubsidenceAlgorithm):
    ALGORITHM_ID = "referencepoint"
    DISPLAY_NAME = "Reference point"
    GROUP = "corrections"
    HELP = (
        "Sets the spatial reference of a stack: a point you click (any CRS), several "
        "reference points whose surrounding areas are averaged, or an automatic choice of "
        "pixels valid in every pair with high average coherence and no broken loop closure. "
        "Writes a new stack with REF_Y/REF_X (MintPy convention); the input is untouched."
    )
    defaults = ReferenceOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "Interferogram stack (ifgramStack.h5)", extension="h5"
            )
        )
        self.addParameter(
            QgsProcessingParameterPoint(
                "REFERENCE", "Reference point (empty = automatic)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "REFERENCE_POINTS",
                "Several reference points, averaged (point layer)",
                [QgsProcessing.TypeVectorPoint],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "NUM_AREAS",
                "Automatic: number of reference areas to average",
                QgsProcessingParameterNumber.Integer,
                self.defaults.num_areas,
                minValue=1,
                maxValue=20,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "RADIUS",
                "Half-size of each reference area (pixels; 0 = single pixel)",
                QgsProcessingParameterNumber.Integer,
                self.defaults.radius,
                minValue=0,
                maxValue=50,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "LOOP_CLOSURE",
                "Broken-triplet raster from 'Triplet loop closure' (automatic only)",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "Referenced stack (new ifgramStack .h5)", H5_FILTER
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, "INPUT", context)
        stack = self.run_core(feedback, lambda p, progress: IfgramStack.open(p), path)
        crs = grid_crs(stack.grid)
        radius = self.parameterAsInt(parameters, "RADIUS", context)
        points = []
        if parameters.get("REFERENCE"):
            point = self.parameterAsPoint(parameters, "REFERENCE", context, crs)
            points.append((point.x(), point.y()))
        source = self.parameterAsSource(parameters, "REFERENCE_POINTS", context)
        if source is not None:
            transform = QgsCoordinateTransform(source.sourceCrs(), crs, context.transformContext())
            for feature in source.getFeatures():
                geometry = feature.geometry()
                if geometry.isEmpty():
                    continue
                geometry.transform(transform)
                for vertex in geometry.vertices():
                    points.append((vertex.x(), vertex.y()))
        areas = None
        if points:
            areas = []
            for x, y in points:
                row, col = stack.grid.rowcol(x, y)
                areas.append((int(row), int(col), radius if len(points) > 1 else 0))
        closure = None
        closure_path = self.parameterAsFile(parameters, "LOOP_CLOSURE", context)
        if closure_path and not areas:
            closure, _ = self.run_core(feedback, lambda p, progress: read_raster(p), closure_path)
        options = ReferenceOptions(
            areas=areas,
            num_areas=self.parameterAsInt(parameters, "NUM_AREAS", context),
            radius=radius,
        )
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        used = self.run_core(feedback, set_reference, path, output, options, closure)
        feedback.pushInfo(
            f"Reference pixel row {used[0][0]}, column {used[0][1]}; {len(used)} area(s) averaged."
        )
        return {"OUTPUT": output, "REF_Y": used[0][0], "REF_X": used[0][1]}


class Troposphere(SubsidenceAlgorithm):
    ALGORITHM_ID = "troposphere"
    DISPLAY_NAME = "Tropospheric correction (GACOS)"
    GROUP = "corrections"
    HELP = (
        "Removes the tropospheric delay from a time series with GACOS zenith total delays "
        "(YYYYMMDD.ztd + .rsc or YYYYMMDD.ztd.tif, one per date): resampled bilinearly to "
        "the time-series grid, mapped to the line of sight with the incidence angle and "
        "subtracted relative to the reference date and pixel."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile("INPUT", "Time series (timeseries.h5)", extension="h5")
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "GEOMETRY", "Geometry with incidence angle (geometryGeo.h5)", extension="h5"
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "GACOS_FOLDER",
                "Folder of GACOS delays (YYYYMMDD.ztd + .rsc, or .ztd.tif)",
                behavior=QgsProcessingParameterFile.Folder,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "Corrected time series (new timeseries .h5)", H5_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT_DELAY",
                "Tropospheric delay series (.h5)",
                H5_FILTER,
                optional=True,
                createByDefault=False,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        delay = self.parameterAsFileOutput(parameters, "OUTPUT_DELAY", context) or None
        rms = self.run_core(
            feedback,
            correct_troposphere,
            self.parameterAsFile(parameters, "INPUT", context),
            self.parameterAsFile(parameters, "GEOMETRY", context),
            self.parameterAsFile(parameters, "GACOS_FOLDER", context),
            output,
            delay,
        )
        feedback.pushInfo(f"Mean RMS of the removed delay: {1000 * rms.mean():.1f} mm")
        return {"OUTPUT": output, "OUTPUT_DELAY": delay}


class Deramp(SubsidenceAlgorithm):
    ALGORITHM_ID = "deramp"
    DISPLAY_NAME = "Remove phase ramps"
    GROUP = "corrections"
    HELP = (
        "Fits a linear or quadratic surface to each date of a time series on stable pixels "
        "(an optional mask raster or .h5, e.g. temporal coherence, where value >= "
        "threshold; else all pixels; optionally only pixels whose rate is near the scene "
        "median) and removes it, keeping the reference pixel at zero. Deformation left in "
        "the fit is taken for a ramp: exclude bowls and basins."
    )
    defaults = DerampOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile("INPUT", "Time series (timeseries.h5)", extension="h5")
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "RAMP", "Ramp", options=list(RAMPS), defaultValue=RAMPS.index(self.defaults.ramp)
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "MASK", "Stable-pixel mask (GeoTIFF or .h5 on the same grid)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MASK_THRESHOLD",
                "Stable where the mask value is at least",
                QgsProcessingParameterNumber.Double,
                self.defaults.mask_threshold,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "ROBUST",
                "Refit without outliers (keeps bowls inside the mask from tilting it)",
                self.defaults.robust,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MAX_RATE",
                "Leave out pixels whose rate differs from the median by more than (mm/yr; 0 = off)",
                QgsProcessingParameterNumber.Double,
                self.defaults.max_rate,
                minValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "Deramped time series (new timeseries .h5)", H5_FILTER
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        options = DerampOptions(
            ramp=RAMPS[self.parameterAsEnum(parameters, "RAMP", context)],
            mask_threshold=self.parameterAsDouble(parameters, "MASK_THRESHOLD", context),
            robust=self.parameterAsBool(parameters, "ROBUST", context),
            max_rate=self.parameterAsDouble(parameters, "MAX_RATE", context),
        )
        rms = self.run_core(
            feedback,
            deramp_timeseries,
            self.parameterAsFile(parameters, "INPUT", context),
            output,
            options,
            self.parameterAsFile(parameters, "MASK", context) or None,
        )
        feedback.pushInfo(f"Mean RMS of the removed ramps: {1000 * rms.mean():.2f} mm")
        return {"OUTPUT": output}


class DemError(SubsidenceAlgorithm):
    ALGORITHM_ID = "demerror"
    DISPLAY_NAME = "DEM-error correction"
    GROUP = "corrections"
    HELP = (
        "Removes the part of a time series proportional to the perpendicular baseline, "
        "caused by DEM height errors (Fattahi & Amelung 2013), fitting it together with a "
        "polynomial deformation model per pixel. Optionally writes the DEM error (m)."
    )
    defaults = DemErrorOptions()

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile("INPUT", "Time series (timeseries.h5)", extension="h5")
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "GEOMETRY",
                "Geometry (geometryGeo.h5; needed for the DEM error in metres)",
                extension="h5",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "STACK",
                "Interferogram stack, if the time series has no baselines",
                extension="h5",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "POLY_ORDER",
                "Polynomial order of the deformation model",
                QgsProcessingParameterNumber.Integer,
                self.defaults.poly_order,
                minValue=1,
                maxValue=3,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "Corrected time series (new timeseries .h5)", H5_FILTER
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_DEM_ERROR", "DEM error (m)", optional=True, createByDefault=False
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        dem_error = self.parameterAsOutputLayer(parameters, "OUTPUT_DEM_ERROR", context) or None
        geometry = self.parameterAsFile(parameters, "GEOMETRY", context) or None
        if dem_error and not geometry:
            raise QgsProcessingException(
                "The DEM error raster needs the geometry file (GEOMETRY) for the incidence angle."
            )
        self.run_core(
            feedback,
            correct_dem_error,
            self.parameterAsFile(parameters, "INPUT", context),
            output,
            geometry,
            dem_error,
            self.parameterAsFile(parameters, "STACK", context) or None,
            DemErrorOptions(poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context)),
        )
        return {"OUTPUT": output, "OUTPUT_DEM_ERROR": dem_error}
