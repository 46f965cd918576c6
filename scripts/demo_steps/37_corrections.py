"""GACOS troposphere, ramp removal and DEM-error correction of the demo SBAS time series."""


def run(ctx):
    folder = ctx.folder("sbas")
    series = folder / "timeseries.h5"
    geometry = ctx.output / "stack" / "geometryGeo.h5"
    if not series.exists():
        raise FileNotFoundError(f"{series} is missing: run the SBAS inversion step first.")
    tropo = ctx.run(
        "troposphere",
        {
            "INPUT": str(series),
            "GEOMETRY": str(geometry),
            "GACOS_FOLDER": str(ctx.output / "scene" / "gacos"),
            "OUTPUT": str(folder / "timeseries_gacos.h5"),
        },
    )
    deramped = ctx.run(
        "deramp",
        {
            "INPUT": tropo["OUTPUT"],
            "RAMP": "linear",
            "MASK": str(folder / "temporalCoherence.h5"),
            "MASK_THRESHOLD": 0.7,
            "ROBUST": True,
            "MAX_RATE": 3.0,  # mm/yr: keep the groundwater basin and bowl flanks out of the fit
            "OUTPUT": str(folder / "timeseries_deramped.h5"),
        },
    )
    corrected = ctx.run(
        "demerror",
        {
            "INPUT": deramped["OUTPUT"],
            "GEOMETRY": str(geometry),
            "POLY_ORDER": 2,
            "OUTPUT": str(folder / "timeseries_corrected.h5"),
            "OUTPUT_DEM_ERROR": str(folder / "dem_error.tif"),
        },
    )
    ctx.results["corrected time series"] = corrected["OUTPUT"]
    ctx.results["DEM error"] = corrected["OUTPUT_DEM_ERROR"]
