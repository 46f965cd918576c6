"""Correction algorithms: reference point of a stack, GACOS troposphere, ramp removal and
DEM-error correction of a time series."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
)

from ...core.corrections.dem_error import DemErrorOptions, correct_dem_error
from ...core.corrections.deramp import DerampOptions, deramp_timeseries
from ...core.corrections.reference import ReferenceOptions, set_reference
from ...core.corrections.troposphere import correct_troposphere
from ...core.io.geotiff import read_raster
from ...core.io.mintpy import IfgramStack
from ...core.io.point_layers import PointSeries, write_points
from ...plugin.bridge import grid_crs
from ..base import (
    SubsidenceAlgorithm,
    series_quicklook,
    stack_quicklook,
    styled,
    vector_file_destination,
)
from ..parameters import (
    DASK_SCHEDULER,
    dask_scheduler,
    dask_scheduler_parameter,
    mintpy_file,
    option_parameter,
    with_help,
)
from ..qgis_compat import ProcessingFileParameterBehavior, ProcessingSourceType

H5_FILTER = "HDF5 files (*.h5)"
SERIES_HELP = (
    "MintPy-compatible time series: LOS displacement per date in metres, positive toward the "
    "satellite (from the SBAS inversion or an earlier correction)."
)
CORRECTED_HELP = "A new time series (metres, same dates and grid); the input is not changed."


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
    UNITS = (
        "Reference given as a point in any CRS, areas as half-sizes in pixels; REF_Y/REF_X "
        "are row and column of the stack grid (MintPy convention)."
    )
    SOURCE = (
        "MintPy's reference point selection (Yunjun et al. 2019), as used in paper 002: a "
        "coherent pixel, valid in every pair, away from broken closures."
    )
    TAGS = ("reference", "stable", "ref_y", "ref_x")
    INPUT = "INPUT"
    REFERENCE = "REFERENCE"
    REFERENCE_POINTS = "REFERENCE_POINTS"
    NUM_AREAS = "NUM_AREAS"
    RADIUS = "RADIUS"
    LOOP_CLOSURE = "LOOP_CLOSURE"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"
    OUTPUT_POINTS = "OUTPUT_POINTS"

    def initAlgorithm(self, config=None):
        self.addParameter(
            mintpy_file(
                self.INPUT,
                "Interferogram stack (ifgramStack.h5)",
                "MintPy-compatible interferogram stack, from the ingest or network steps.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterPoint(
                    self.REFERENCE, "Reference point (empty = automatic)", optional=True
                ),
                "A stable point, clicked on the map in any CRS; every displacement is relative "
                "to it. Empty = chosen automatically (or the points below).",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFeatureSource(
                    self.REFERENCE_POINTS,
                    "Several reference points, averaged (point layer)",
                    [ProcessingSourceType.VectorPoint],
                    optional=True,
                ),
                "Stable points whose areas (half-size RADIUS) are averaged into one reference, "
                "less noisy than a single pixel.",
            )
        )
        self.addParameter(
            option_parameter(
                self.NUM_AREAS,
                ReferenceOptions,
                "num_areas",
                "Automatic: number of reference areas to average",
            )
        )
        self.addParameter(
            option_parameter(
                self.RADIUS,
                ReferenceOptions,
                "radius",
                "Half-size of each reference area (pixels; 0 = single pixel)",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.LOOP_CLOSURE,
                    "Broken-triplet raster from 'Triplet loop closure' (automatic only)",
                    optional=True,
                ),
                "The automatic choice avoids pixels with a broken triplet closure in this "
                "raster (output of 'Triplet loop closure').",
            )
        )
        self.addParameter(dask_scheduler_parameter("row blocks scanned for valid pixels"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Referenced stack (new ifgramStack .h5)", H5_FILTER
                ),
                "A new stack with REF_Y/REF_X set (MintPy convention); the input is not changed.",
            )
        )
        self.addParameter(stack_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))
        points = vector_file_destination(self.OUTPUT_POINTS, "Reference point(s)", optional=True)
        points.setCreateByDefault(True)
        self.addParameter(
            styled(
                with_help(
                    points,
                    "The centre of each reference area used (ROW, COL, RADIUS in pixels), to see "
                    "on the map where displacements are measured from.",
                ),
                "points",
            )
        )

    def check_inputs(self, parameters, context):
        return self.reference_outside_grid(parameters, context, self.INPUT, self.REFERENCE)

    def processAlgorithm(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, self.INPUT, context)
        locator = self.run_core(feedback, lambda p, progress: IfgramStack.open(p).locator, path)
        crs = grid_crs(locator)
        radius = self.parameterAsInt(parameters, self.RADIUS, context)
        points = []
        if parameters.get(self.REFERENCE):
            point = self.parameterAsPoint(parameters, self.REFERENCE, context, crs)
            points.append((point.x(), point.y()))
        source = self.parameterAsSource(parameters, self.REFERENCE_POINTS, context)
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
                row, col = locator.rowcol(x, y)
                areas.append((int(row), int(col), radius if len(points) > 1 else 0))
        closure = None
        closure_path = self.parameterAsFile(parameters, self.LOOP_CLOSURE, context)
        if closure_path and not areas:
            closure, _ = self.run_core(feedback, lambda p, progress: read_raster(p), closure_path)
        options = self.read_options(parameters, context, ReferenceOptions, areas=areas)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        used = self.run_core(
            feedback,
            set_reference,
            path,
            output,
            options,
            closure,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(
            feedback,
            f"Reference pixel row {used[0][0]}, column {used[0][1]}; {len(used)} area(s) averaged.",
        )
        points = self.destination(parameters, self.OUTPUT_POINTS, context)
        if points:
            rows, cols, radii = (np.array([area[k] for area in used]) for k in range(3))
            x, y = locator.xy(rows, cols)
            fields = {"ROW": rows, "COL": cols, "RADIUS": radii}
            wkt = None if locator.epsg else locator.crs_wkt()
            series = PointSeries(x, y, locator.epsg, [], np.zeros((len(used), 0)), fields, wkt)
            self.run_core(
                feedback, lambda path, data, progress: write_points(path, data), points, series
            )
        return {
            self.OUTPUT: output,
            self.OUTPUT_POINTS: points,
            "REF_Y": used[0][0],
            "REF_X": used[0][1],
        }


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
    UNITS = (
        "GACOS zenith total delays in metres; LOS delay = ZTD / cos(incidence); the series in "
        "metres, positive toward the satellite, referenced to the first date and the "
        "reference pixel."
    )
    SOURCE = (
        "GACOS (Yu, Li and Penna 2018); paper 000 and paper 002 correct the troposphere with GACOS."
    )
    TAGS = ("gacos", "atmosphere", "troposphere", "delay", "correction")
    INPUT = "INPUT"
    GEOMETRY = "GEOMETRY"
    GACOS_FOLDER = "GACOS_FOLDER"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"
    OUTPUT_DELAY = "OUTPUT_DELAY"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(mintpy_file(self.INPUT, "Time series (timeseries.h5)", SERIES_HELP))
        self.addParameter(
            mintpy_file(
                self.GEOMETRY,
                "Geometry with incidence angle (geometryGeo.h5)",
                "Geometry of the stack (from the ingest): its incidence angle maps the zenith "
                "delay to the line of sight.",
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.GACOS_FOLDER,
                    "Folder of GACOS delays (YYYYMMDD.ztd + .rsc, or .ztd.tif)",
                    behavior=ProcessingFileParameterBehavior.Folder,
                ),
                "Folder of GACOS zenith total delays (metres), one per acquisition date; the "
                "missing dates are listed if any.",
            )
        )
        self.addParameter(dask_scheduler_parameter("dates"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Corrected time series (new timeseries .h5)", H5_FILTER
                ),
                CORRECTED_HELP,
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT_DELAY,
                    "Tropospheric delay series (.h5)",
                    H5_FILTER,
                    optional=True,
                    createByDefault=False,
                ),
                "The apparent LOS displacement removed per date (metres), referenced like the "
                "series.",
            )
        )
        self.addParameter(series_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        delay = self.parameterAsFileOutput(parameters, self.OUTPUT_DELAY, context) or None
        rms = self.run_core(
            feedback,
            correct_troposphere,
            self.parameterAsFile(parameters, self.INPUT, context),
            self.parameterAsFile(parameters, self.GEOMETRY, context),
            self.parameterAsFile(parameters, self.GACOS_FOLDER, context),
            output,
            delay,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(feedback, f"Mean RMS of the removed delay: {1000 * rms.mean():.1f} mm")
        return {self.OUTPUT: output, self.OUTPUT_DELAY: delay}


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
    UNITS = (
        "Series in metres, positive toward the satellite; the rate criterion in mm/yr; the "
        "ramp is fitted in map units and removed with the reference pixel kept at zero."
    )
    SOURCE = "MintPy's ramp removal (Yunjun et al. 2019) used in paper 002."
    TAGS = ("ramp", "orbit", "plane", "correction")
    INPUT = "INPUT"
    RAMP = "RAMP"
    MASK = "MASK"
    MASK_THRESHOLD = "MASK_THRESHOLD"
    ROBUST = "ROBUST"
    MAX_RATE = "MAX_RATE"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(mintpy_file(self.INPUT, "Time series (timeseries.h5)", SERIES_HELP))
        self.addParameter(option_parameter(self.RAMP, DerampOptions, "ramp", "Ramp"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFile(
                    self.MASK, "Stable-pixel mask (GeoTIFF or .h5 on the same grid)", optional=True
                ),
                "Raster on the time-series grid (e.g. temporalCoherence.h5); pixels where it "
                "reaches the threshold are fitted. Empty = every valid pixel.",
            )
        )
        self.addParameter(
            option_parameter(
                self.MASK_THRESHOLD,
                DerampOptions,
                "mask_threshold",
                "Stable where the mask value is at least",
            )
        )
        self.addParameter(
            option_parameter(
                self.ROBUST,
                DerampOptions,
                "robust",
                "Refit without outliers (keeps bowls inside the mask from tilting it)",
            )
        )
        self.addParameter(
            option_parameter(
                self.MAX_RATE,
                DerampOptions,
                "max_rate",
                "Leave out pixels whose rate differs from the median by more than (mm/yr; 0 = off)",
            )
        )
        self.addParameter(dask_scheduler_parameter("dates (and the row blocks of the rates)"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Deramped time series (new timeseries .h5)", H5_FILTER
                ),
                CORRECTED_HELP,
            )
        )
        self.addParameter(series_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        options = self.read_options(parameters, context, DerampOptions)
        rms = self.run_core(
            feedback,
            deramp_timeseries,
            self.parameterAsFile(parameters, self.INPUT, context),
            output,
            options,
            self.parameterAsFile(parameters, self.MASK, context) or None,
            executor=dask_scheduler(self, parameters, context),
        )
        self.log(feedback, f"Mean RMS of the removed ramps: {1000 * rms.mean():.2f} mm")
        return {self.OUTPUT: output}


class DemError(SubsidenceAlgorithm):
    ALGORITHM_ID = "demerror"
    DISPLAY_NAME = "DEM-error correction"
    GROUP = "corrections"
    HELP = (
        "Removes the part of a time series proportional to the perpendicular baseline, "
        "caused by DEM height errors (Fattahi & Amelung 2013), fitting it together with a "
        "polynomial deformation model per pixel. Optionally writes the DEM error (m)."
    )
    UNITS = (
        "Series in metres, positive toward the satellite; DEM error in metres; perpendicular "
        "baselines in m, slant range in m, incidence in degrees."
    )
    SOURCE = "Fattahi and Amelung (2013), DEM error correction of InSAR time series; paper 002."
    TAGS = ("dem error", "topographic residual", "baseline", "correction")
    INPUT = "INPUT"
    GEOMETRY = "GEOMETRY"
    STACK = "STACK"
    POLY_ORDER = "POLY_ORDER"
    DASK_SCHEDULER = DASK_SCHEDULER
    OUTPUT = "OUTPUT"
    OUTPUT_DEM_ERROR = "OUTPUT_DEM_ERROR"
    OUTPUT_QUICKLOOK = "OUTPUT_QUICKLOOK"

    def initAlgorithm(self, config=None):
        self.addParameter(mintpy_file(self.INPUT, "Time series (timeseries.h5)", SERIES_HELP))
        self.addParameter(
            mintpy_file(
                self.GEOMETRY,
                "Geometry (geometryGeo.h5; needed for the DEM error in metres)",
                "Geometry of the stack (from the ingest): incidence angle and slant range turn "
                "the fitted term into a height error in metres.",
                optional=True,
            )
        )
        self.addParameter(
            mintpy_file(
                self.STACK,
                "Interferogram stack, if the time series has no baselines",
                "The stack the series was inverted from: its perpendicular baselines are used "
                "when the time series carries none.",
                optional=True,
            )
        )
        self.addParameter(
            option_parameter(
                self.POLY_ORDER,
                DemErrorOptions,
                "poly_order",
                "Polynomial order of the deformation model",
            )
        )
        self.addParameter(dask_scheduler_parameter("row blocks"))
        self.addParameter(
            with_help(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Corrected time series (new timeseries .h5)", H5_FILTER
                ),
                CORRECTED_HELP,
            )
        )
        self.addParameter(
            with_help(
                QgsProcessingParameterRasterDestination(
                    self.OUTPUT_DEM_ERROR, "DEM error (m)", optional=True, createByDefault=False
                ),
                "Estimated DEM height error per pixel in metres (needs the geometry).",
            )
        )
        self.addParameter(series_quicklook(self.OUTPUT_QUICKLOOK, of=self.OUTPUT))

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        dem_error = self.parameterAsOutputLayer(parameters, self.OUTPUT_DEM_ERROR, context) or None
        geometry = self.parameterAsFile(parameters, self.GEOMETRY, context) or None
        if dem_error and not geometry:
            raise QgsProcessingException(
                "The DEM error raster needs the geometry file (GEOMETRY) for the incidence angle."
            )
        self.run_core(
            feedback,
            correct_dem_error,
            self.parameterAsFile(parameters, self.INPUT, context),
            output,
            geometry,
            dem_error,
            self.parameterAsFile(parameters, self.STACK, context) or None,
            self.read_options(parameters, context, DemErrorOptions),
            executor=dask_scheduler(self, parameters, context),
        )
        return {self.OUTPUT: output, self.OUTPUT_DEM_ERROR: dem_error}
