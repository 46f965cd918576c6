"""Cross-validate the demo PS velocities against the SBAS result (subsidence:crossvalidate)."""

from __future__ import annotations

import csv


def run(ctx):
    folder = ctx.folder("crossval")
    slc = ctx.output / "scene" / "slc"
    with open(slc / "truth_ps.csv", newline="") as f:
        incidence = float(next(csv.DictReader(f))["incidence_deg"])
    sbas = ctx.output / "sbas"
    # product B: SBAS vertical velocity; else SBAS LOS velocity; else the truth (no SBAS run)
    if (sbas / "velocity_vertical.tif").exists():
        other, other_incidence = sbas / "velocity_vertical.tif", 0
    elif (sbas / "velocity.tif").exists():
        other, other_incidence = sbas / "velocity.tif", incidence
    else:
        other, other_incidence = ctx.output / "scene" / "truth" / "truth_velocity_vertical.tif", 0
        print("    no SBAS velocity found: comparing with the truth instead", flush=True)
    result = ctx.run(
        "crossvalidate",
        {
            "POINTS_A": str(ctx.output / "ps" / "ps_points.gpkg"),
            "RASTER_B": str(other),
            "CELL_SIZE": 160,  # two demo pixels: PS are sparse on an 80 m scene
            "INCIDENCE_A": incidence,
            "INCIDENCE_B": other_incidence,
            "OUTPUT_TABLE": str(folder / "stats.csv"),
            "OUTPUT_PLOT": str(folder / "scatter.png"),
            "OUTPUT_DIFFERENCE": str(folder / "difference.tif"),
        },
    )
    print(
        f"    PS vs {other.name}: N = {result['N']}, r = {result['PEARSON_R']:.3f}, "
        f"RMSE = {result['RMSE']:.2f} mm/yr, mean difference = "
        f"{result['MEAN_DIFFERENCE']:.2f} mm/yr (reference points differ)",
        flush=True,
    )
    ctx.results["PS vs SBAS r"] = round(result["PEARSON_R"], 3)
    ctx.results["PS vs SBAS RMSE (mm/yr)"] = round(result["RMSE"], 2)
