"""Create the embedded demo study area (HyP3 product zips + truth) with subsidence:createdemo."""


def run(ctx):
    folder = ctx.folder("scene")
    result = ctx.run("createdemo", {"OUTPUT_FOLDER": str(folder), "SEED": ctx.seed})
    ctx.results["scene"] = result["OUTPUT_FOLDER"]
    ctx.results["hyp3 products"] = result["HYP3"]
    ctx.results["truth velocity (vertical, mm/yr)"] = result["TRUTH_VELOCITY_VERTICAL"]
