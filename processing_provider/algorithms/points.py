"""Point products: import PS/EGMS/DePSI/StaMPS/MintPy points, PS processing from SLCs, and
cross-validation of two rate products."""
from __future__ import annotations

from pathlib import Path

from qgis.core import (QgsProcessingException, QgsProcessingParameterBoolean,
                       QgsProcessingParameterCrs, QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterMapLayer,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                       QgsProcessingParameterVectorLayer,
                       QgsProcessing, QgsRasterLayer)

from ...core.crossvalidate import CrossValidationOptions, cross_validate
from ...core.point_readers import DEFAULT_DATE_PATTERN, PointImportOptions, import_points
from ...core.psinsar import PsOptions, run_psinsar
from ..base import SubsidenceAlgorithm, advanced, vector_file_destination

FORMAT_CHOICES = ["Auto-detect", "EGMS (L2a/L2b/L3 CSV or zip)", "StaMPS export CSV",
                  "DePSI / stmtools CSV", "MintPy time series (HDF5)", "Generic CSV"]
FORMAT_KEYS = ["auto", "egms", "stamps", "depsi", "mintpy", "generic"]
UNIT_CHOICES = ["mm", "cm", "m"]






def _layer_file(algorithm, parameters, name, context) -> str:
    """The file behind a raster or vector layer parameter (GeoPackage layer suffix dropped)."""
    layer = algorithm.parameterAsLayer(parameters, name, context)
    if layer is None:
        raise QgsProcessingException(f"{name}: cannot load layer {parameters.get(name)}.")
    path = layer.source().split("|")[0]
    if not Path(path).exists():
        raise QgsProcessingException(
            f"{name}: layer '{layer.name()}' is not stored in a file ({layer.source()}); save "
            "it as a GeoPackage or GeoTIFF first.")
    return path


class ImportPoints(SubsidenceAlgorithm):
    ALGORITHM_ID = "importpoints"
    DISPLAY_NAME = "Import point product (EGMS, StaMPS, DePSI, MintPy, CSV)"
    GROUP = "ingest"
    HELP = ("Imports persistent-scatterer points made elsewhere into a GeoPackage point layer "
            "styled by velocity: EGMS L2a/L2b/L3 CSV (also .csv.gz or the EGMS zip), StaMPS "
            "exports, DePSI/stmtools CSV (metres, converted to mm), a MintPy timeseries.h5 "
            "(every coherent pixel, or sampled at a point layer) or any CSV with lon/lat or x/y "
            "and date columns. Fields: VEL and VEL_STD (mm/yr), one DYYYYMMDD field per date "
            "(mm) and the source's quality fields. Large files stream in bounded memory.")
    defaults = PointImportOptions()

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "INPUT", "Point product (CSV, CSV.GZ, ZIP or timeseries.h5)"))
        self.addParameter(QgsProcessingParameterEnum(
            "FORMAT", "Format", FORMAT_CHOICES, defaultValue=0))
        self.addParameter(advanced(QgsProcessingParameterString(
            "DATE_PATTERN", "Generic CSV: regular expression of date columns (group 1 = date, "
            "YYYYMMDD or YYYY-MM-DD)", DEFAULT_DATE_PATTERN)))
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "UNIT", "Generic CSV: unit of the displacement columns", UNIT_CHOICES,
            defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterString(
            "X_FIELD", "Generic CSV: x / longitude column (empty = guess)", optional=True)))
        self.addParameter(advanced(QgsProcessingParameterString(
            "Y_FIELD", "Generic CSV: y / latitude column (empty = guess)", optional=True)))
        self.addParameter(advanced(QgsProcessingParameterCrs(
            "CRS", "Generic CSV: CRS of x/y (empty = WGS 84 for lon/lat)", optional=True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "MIN_COHERENCE", "MintPy: keep pixels whose temporal coherence is at least",
            QgsProcessingParameterNumber.Double, self.defaults.coherence_threshold,
            minValue=0, maxValue=1)))
        self.addParameter(advanced(QgsProcessingParameterVectorLayer(
            "SAMPLE_POINTS", "MintPy: sample at these points instead of every coherent pixel",
            [QgsProcessing.TypeVectorPoint], optional=True)))
        self.addParameter(vector_file_destination("OUTPUT", "Points (GeoPackage)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
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
            sample = _layer_file(self, parameters, "SAMPLE_POINTS", context)
        options = PointImportOptions(
            format=FORMAT_KEYS[self.parameterAsEnum(parameters, "FORMAT", context)],
            date_pattern=self.parameterAsString(parameters, "DATE_PATTERN", context)
            or DEFAULT_DATE_PATTERN,
            unit=UNIT_CHOICES[self.parameterAsEnum(parameters, "UNIT", context)],
            x_field=self.parameterAsString(parameters, "X_FIELD", context).strip(),
            y_field=self.parameterAsString(parameters, "Y_FIELD", context).strip(),
            epsg=epsg,
            coherence_threshold=self.parameterAsDouble(parameters, "MIN_COHERENCE", context),
            sample_points=sample)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        summary = self.run_core(feedback, import_points, source, output, options)
        feedback.pushInfo(f"{summary.count:,} points, {len(summary.dates)} dates, format "
                          f"{summary.format}, EPSG:{summary.epsg}")
        self.style_on_load(context, output, "velocity")
        return {"OUTPUT": output, "COUNT": summary.count, "FORMAT": summary.format}


class PsInsar(SubsidenceAlgorithm):
    ALGORITHM_ID = "psinsar"
    DISPLAY_NAME = "Persistent scatterers from an SLC stack (PSInSAR)"
    GROUP = "timeseries"
    HELP = ("Finds persistent scatterers in a coregistered SLC stack (multi-band complex "
            "GeoTIFF/VRT, or a folder of one file per date): amplitude-dispersion candidates, "
            "velocity and DEM error per arc of a Delaunay network by maximising temporal "
            "coherence, integration to a reference point, atmospheric filtering, and selection "
            "by temporal coherence. Optional distributed scatterers by KS-test homogeneous "
            "pixels. Output: points with VEL (LOS mm/yr), TCOH, DA and a series per date.")
    defaults = PsOptions()

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "INPUT", "Coregistered SLC stack (complex GeoTIFF/VRT, bands = dates)"))
        self.addParameter(QgsProcessingParameterFile(
            "DATES", "Dates and perpendicular baselines (CSV: date,bperp; band order)",
            extension="csv"))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "HEIGHT", "DEM on the SLC grid (m; adds HEIGHT = DEM + estimated error)",
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "DA_THRESHOLD", "Amplitude dispersion threshold of PS candidates",
            QgsProcessingParameterNumber.Double, self.defaults.da_threshold, minValue=0.01,
            maxValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            "TCOH_THRESHOLD", "Temporal coherence threshold of the final PS",
            QgsProcessingParameterNumber.Double, self.defaults.tcoh_threshold, minValue=0,
            maxValue=1))
        self.addParameter(QgsProcessingParameterBoolean(
            "DS", "Add distributed scatterers (homogeneous pixels, adaptive averaging)",
            self.defaults.distributed))
        self.addParameter(QgsProcessingParameterString(
            "SHP_WINDOW", "Homogeneous-pixel window, rows x cols (azimuth x range)",
            "{}x{}".format(*self.defaults.shp_window)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "INCIDENCE", "Incidence angle (degrees, for the height-error phase)",
            QgsProcessingParameterNumber.Double, self.defaults.incidence_deg, minValue=1,
            maxValue=89)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "SLANT_RANGE", "Slant range (m, for the height-error phase)",
            QgsProcessingParameterNumber.Double, self.defaults.slant_range_m, minValue=1)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "MAX_VELOCITY", "Velocity search range per arc (+- mm/yr)",
            QgsProcessingParameterNumber.Double,
            self.defaults.velocity_range_m_per_year * 1000, minValue=1)))
        self.addParameter(vector_file_destination("OUTPUT", "Persistent scatterers (GeoPackage)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        window_text = self.parameterAsString(parameters, "SHP_WINDOW", context)
        try:
            rows, cols = (int(v) for v in window_text.lower().replace(",", "x").split("x"))
        except ValueError:
            raise QgsProcessingException(
                f"SHP_WINDOW '{window_text}': give rows x cols, e.g. 19x13.") from None
        height = None
        if parameters.get("HEIGHT"):
            layer = self.parameterAsRasterLayer(parameters, "HEIGHT", context)
            height = layer.source() if isinstance(layer, QgsRasterLayer) else None
        options = PsOptions(
            da_threshold=self.parameterAsDouble(parameters, "DA_THRESHOLD", context),
            tcoh_threshold=self.parameterAsDouble(parameters, "TCOH_THRESHOLD", context),
            distributed=self.parameterAsBool(parameters, "DS", context),
            shp_window=(rows, cols),
            incidence_deg=self.parameterAsDouble(parameters, "INCIDENCE", context),
            slant_range_m=self.parameterAsDouble(parameters, "SLANT_RANGE", context),
            velocity_range_m_per_year=self.parameterAsDouble(parameters, "MAX_VELOCITY",
                                                             context) / 1000)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        result = self.run_core(feedback, run_psinsar,
                               self.parameterAsFile(parameters, "INPUT", context),
                               self.parameterAsFile(parameters, "DATES", context), output,
                               height=height, options=options)
        feedback.pushInfo(f"{result.n_candidates} candidates, {result.n_arcs} coherent arcs, "
                          f"{result.n_ps} scatterers; reference point "
                          f"({result.reference_xy[0]:.1f}, {result.reference_xy[1]:.1f}), "
                          f"reference date {result.reference_date}")
        self.style_on_load(context, output, "velocity")
        return {"OUTPUT": output, "COUNT": result.n_ps, "CANDIDATES": result.n_candidates}


class CrossValidate(SubsidenceAlgorithm):
    ALGORITHM_ID = "crossvalidate"
    DISPLAY_NAME = "Cross-validate two rate products (PS vs SBAS, two tracks)"
    GROUP = "analysis"
    HELP = ("Compares two deformation-rate products (rasters or point layers) on a common grid "
            "of square cells: values are averaged per cell and converted to vertical with each "
            "product's incidence (degrees, a raster or a field; empty = no conversion). Writes "
            "N common cells, Pearson r, RMSE, mean and std of the differences (CSV), a "
            "difference raster, and a scatter plot with a histogram (PNG).")
    defaults = CrossValidationOptions()

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMapLayer(
            "INPUT_A", "Product A (raster or point layer, e.g. PS points)"))
        self.addParameter(QgsProcessingParameterMapLayer(
            "INPUT_B", "Product B (raster or point layer, e.g. SBAS velocity)"))
        self.addParameter(QgsProcessingParameterNumber(
            "CELL_SIZE", "Cell size (m)", QgsProcessingParameterNumber.Double,
            self.defaults.cell_size_m, minValue=0.01))
        self.addParameter(QgsProcessingParameterString(
            "INCIDENCE_A", "Incidence of A: degrees, raster path or field (empty = vertical "
            "already)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            "INCIDENCE_B", "Incidence of B: degrees, raster path or field (empty = vertical "
            "already)", optional=True))
        self.addParameter(advanced(QgsProcessingParameterString(
            "FIELD_A", "Velocity field of A when it is a point layer", self.defaults.field_a)))
        self.addParameter(advanced(QgsProcessingParameterString(
            "FIELD_B", "Velocity field of B when it is a point layer", self.defaults.field_b)))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_TABLE", "Statistics (CSV)", "CSV files (*.csv)"))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_PLOT", "Scatter plot and histogram (PNG)", "PNG images (*.png)"))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_DIFFERENCE", "Difference A - B per cell", optional=True,
            createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        input_a = _layer_file(self, parameters, "INPUT_A", context)
        input_b = _layer_file(self, parameters, "INPUT_B", context)
        options = CrossValidationOptions(
            cell_size_m=self.parameterAsDouble(parameters, "CELL_SIZE", context),
            incidence_a=self.parameterAsString(parameters, "INCIDENCE_A", context) or None,
            incidence_b=self.parameterAsString(parameters, "INCIDENCE_B", context) or None,
            field_a=self.parameterAsString(parameters, "FIELD_A", context) or "VEL",
            field_b=self.parameterAsString(parameters, "FIELD_B", context) or "VEL",
            label_a=Path(input_a).stem, label_b=Path(input_b).stem)
        table = self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context)
        plot = self.parameterAsFileOutput(parameters, "OUTPUT_PLOT", context)
        difference = None
        if parameters.get("OUTPUT_DIFFERENCE"):
            difference = self.parameterAsOutputLayer(parameters, "OUTPUT_DIFFERENCE", context) or None
        result = self.run_core(feedback, cross_validate, input_a, input_b, options,
                               table=table, plot=plot, difference=difference)
        stats = result.stats
        feedback.pushInfo(f"N = {stats['n']}, r = {stats['pearson_r']:.3f}, RMSE = "
                          f"{stats['rmse']:.3f}, mean difference = {stats['mean_difference']:.3f}, "
                          f"std = {stats['std_difference']:.3f}")
        outputs = {"OUTPUT_TABLE": table, "OUTPUT_PLOT": plot, "OUTPUT_DIFFERENCE": difference,
                   "N": stats["n"], "PEARSON_R": stats["pearson_r"], "RMSE": stats["rmse"],
                   "MEAN_DIFFERENCE": stats["mean_difference"],
                   "STD_DIFFERENCE": stats["std_difference"]}
        if difference:
            self.style_on_load(context, difference, "velocity")
        return outputs
