"""Network selection, triplet loop closure and reference point on the ingested demo stack."""


def run(ctx):
    stack = ctx.output / "stack" / "ifgramStack.h5"
    folder = ctx.folder("sbas")
    network = ctx.run(
        "network",
        {
            "INPUT": str(stack),
            "MIN_COHERENCE": 0.1,
            "KEEP_MST": True,
            "OUTPUT": str(folder / "ifgramStack_network.h5"),
            "OUTPUT_PAIRS": str(folder / "pairs.csv"),
            "OUTPUT_PLOT": str(folder / "network.png"),
            "OUTPUT_QUICKLOOK": str(folder / "network_coherence.tif"),
        },
    )
    print(
        f"    network: {network['KEPT']} pairs kept, {network['DROPPED']} dropped, "
        f"{network['COMPONENTS']} connected part(s)",
        flush=True,
    )
    # the demo's unwrapping errors are ~1 % patches: a pair whose broken-closure share stays
    # above 0.2 % once worse pairs are gone carries one
    closure = ctx.run(
        "loopclosure",
        {
            "INPUT": network["OUTPUT"],
            "DROP_FRACTION": 0.002,
            "OUTPUT": str(folder / "loop_closure.tif"),
            "OUTPUT_STATS": str(folder / "loop_closure_pairs.csv"),
            "OUTPUT_STACK": str(folder / "ifgramStack_clean.h5"),
        },
    )
    print(
        f"    loop closure: {closure['TRIPLETS']} triplets, {closure['PIXELS_WITH_ERRORS']} "
        f"pixels with a broken triplet, {closure['DROPPED']} pairs dropped",
        flush=True,
    )
    reference = ctx.run(
        "referencepoint",
        {
            "INPUT": closure["OUTPUT_STACK"],
            "NUM_AREAS": 3,
            "RADIUS": 2,
            "LOOP_CLOSURE": closure["OUTPUT"],
            "OUTPUT": str(folder / "ifgramStack_ref.h5"),
            "OUTPUT_POINTS": str(folder / "reference_points.gpkg"),
        },
    )
    print(
        f"    reference pixel row {reference['REF_Y']}, col {reference['REF_X']} "
        "(3 areas averaged)",
        flush=True,
    )
    ctx.results["network plot"] = network["OUTPUT_PLOT"]
    ctx.results["referenced stack"] = reference["OUTPUT"]
