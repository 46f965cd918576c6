"""SBAS inversion of the demo stack (weighted by inverse phase variance) into a time series."""


def run(ctx):
    folder = ctx.folder("sbas")
    referenced = folder / "ifgramStack_ref.h5"
    stack = referenced if referenced.exists() else ctx.output / "stack" / "ifgramStack.h5"
    result = ctx.run(
        "sbasinversion",
        {
            "INPUT": str(stack),
            "WEIGHT": "var",  # inverse phase variance from coherence (MintPy's default)
            "MIN_NORM_VELOCITY": True,
            "MASK_COHERENCE": 0,
            "OUTPUT": str(folder / "timeseries.h5"),
            "OUTPUT_TCOH": str(folder / "temporalCoherence.h5"),
            "OUTPUT_QUICKLOOK": str(folder / "cumulative_displacement.tif"),
            "OUTPUT_QUICKLOOK_TCOH": str(folder / "temporal_coherence.tif"),
        },
    )
    print(
        f"    {result['PIXELS']} pixels inverted from {stack.name}; network in "
        f"{result['PARTS']} part(s)",
        flush=True,
    )
    ctx.results["time series"] = result["OUTPUT"]
    ctx.results["temporal coherence"] = result["OUTPUT_TCOH"]
