"""Velocity maps of the demo time series: LOS, standard deviation, vertical, classes."""


def run(ctx):
    folder = ctx.folder("sbas")
    corrected = folder / "timeseries_corrected.h5"
    series = corrected if corrected.exists() else folder / "timeseries.h5"
    result = ctx.run(
        "velocity",
        {
            "INPUT": str(series),
            "GEOMETRY": str(ctx.output / "stack" / "geometryGeo.h5"),
            "TCOH": str(folder / "temporalCoherence.h5"),
            # the demo bowl cores reach 0.6-0.7; the error there is still ~1.2 mm/yr
            "MIN_TCOH": 0.6,
            "MODEL": "linear",  # as the truth velocity it is scored against
            "CLASS_THRESHOLDS": "-40,-10,10",
            "OUTPUT": str(folder / "velocity.tif"),
            "OUTPUT_STD": str(folder / "velocity_std.tif"),
            "OUTPUT_VERTICAL": str(folder / "velocity_vertical.tif"),
            "OUTPUT_CLASSES": str(folder / "classes.tif"),
            "OUTPUT_H5": str(folder / "velocity.h5"),
        },
    )
    print(f"    velocity of {result['PIXELS']} pixels from {series.name}", flush=True)
    ctx.results["velocity (LOS, mm/yr)"] = result["OUTPUT"]
    ctx.results["vertical velocity (mm/yr)"] = result["OUTPUT_VERTICAL"]
    ctx.results["deformation classes"] = result["OUTPUT_CLASSES"]
