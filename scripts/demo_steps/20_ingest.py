"""Ingest the demo HyP3 products into stack/ifgramStack.h5 and stack/geometryGeo.h5."""


def run(ctx):
    folder = ctx.folder("stack")
    result = ctx.run(
        "ingesthyp3",
        {
            "INPUT": str(ctx.output / "scene" / "hyp3"),
            "MULTILOOK": 1,
            "OUTPUT": str(folder / "ifgramStack.h5"),
            "OUTPUT_GEOMETRY": str(folder / "geometryGeo.h5"),
        },
    )
    ctx.results["interferogram stack"] = result["OUTPUT"]
    ctx.results["geometry"] = result["OUTPUT_GEOMETRY"]
    print(f"    {result['NUM_PAIRS']} interferograms ingested", flush=True)
