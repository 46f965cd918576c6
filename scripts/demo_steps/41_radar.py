"""Radar-coordinate chain: a radar copy of the demo stack (lookup tables known exactly),
inverted and turned into velocity in radar geometry, geocoded back and checked against the
geocoded chain."""

from __future__ import annotations

import numpy as np


def run(ctx):
    from insar_subsidence.core.demo.radar import write_radar_copy
    from insar_subsidence.core.io.mintpy import read_timeseries

    folder = ctx.folder("radar")
    sbas = ctx.output / "sbas"
    referenced = sbas / "ifgramStack_ref.h5"
    stack = referenced if referenced.exists() else ctx.output / "stack" / "ifgramStack.h5"
    radar_stack, lookup = write_radar_copy(stack, ctx.output / "stack" / "geometryGeo.h5", folder)
    inverted = ctx.run(
        "sbasinversion",
        {
            "INPUT": str(radar_stack),
            "WEIGHT": "var",  # the options of the geocoded inversion (35_inversion)
            "MIN_NORM_VELOCITY": True,
            "MASK_COHERENCE": 0,
            "OUTPUT": str(folder / "timeseries.h5"),
            "OUTPUT_TCOH": str(folder / "temporalCoherence.h5"),
        },
    )
    ctx.run(
        "velocity",
        {
            "INPUT": inverted["OUTPUT"],
            "GEOMETRY": str(lookup),
            "TCOH": inverted["OUTPUT_TCOH"],
            "MIN_TCOH": 0.6,
            "MODEL": "linear",
            "OUTPUT": str(folder / "velocity.tif"),
            "OUTPUT_H5": str(folder / "velocity.h5"),
        },
    )
    geocoded = {}
    for name in ("timeseries", "velocity"):
        result = ctx.run(
            "geocode",
            {"INPUT": str(folder / f"{name}.h5"), "OUTPUT": str(folder / f"{name}_map.h5")},
        )
        geocoded[name] = result["OUTPUT"]
    radar = read_timeseries(geocoded["timeseries"]).data
    geo = read_timeseries(sbas / "timeseries.h5").data
    difference = np.nanmax(np.abs(radar - geo)) * 1000
    print(
        f"    radar chain geocoded back: largest difference to the geocoded chain "
        f"{difference:.2g} mm over {geo.size} samples",
        flush=True,
    )
    ctx.results["radar chain: geocoded velocity"] = geocoded["velocity"]
