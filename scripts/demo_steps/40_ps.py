"""Persistent scatterers from the demo SLC stack (psinsar), checked against the known PS.

Also imports a trimmed real EGMS L3 sample with subsidence:importpoints.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EGMS_SAMPLE = ROOT / "tests" / "data" / "points" / "EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv"


def _truth(path: Path) -> dict:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {(int(r["row"]), int(r["col"])): r for r in rows}


def check_against_truth(ps_path: Path, truth_path: Path) -> dict:
    """How many true PS were found and their LOS velocity error (relative to the reference)."""
    from insar_subsidence.core.io.point_layers import read_points

    points = read_points(ps_path)
    truth = _truth(truth_path)
    keys = [
        (int(r), int(c)) for r, c in zip(points.fields["ROW"], points.fields["COL"], strict=True)
    ]
    found = [i for i, k in enumerate(keys) if k in truth]
    reference = int(np.flatnonzero(points.fields["IS_REF"] == 1)[0])
    reference_truth = (
        float(truth[keys[reference]]["velocity_los_mm_yr"]) if keys[reference] in truth else np.nan
    )
    error = np.array(
        [
            points.fields["VEL"][i]
            - (float(truth[keys[i]]["velocity_los_mm_yr"]) - reference_truth)
            for i in found
        ]
    )
    return {
        "points": len(points),
        "true_ps": len(truth),
        "found": len(found),
        "median_abs_error": float(np.median(np.abs(error))) if found else np.nan,
        "rmse": float(np.sqrt(np.mean(error**2))) if found else np.nan,
    }


def run(ctx):
    slc = ctx.output / "scene" / "slc"
    folder = ctx.folder("ps")
    with open(slc / "truth_ps.csv", newline="") as f:
        incidence = float(next(csv.DictReader(f))["incidence_deg"])
    result = ctx.run(
        "psinsar",
        {
            "INPUT": str(slc / "slc_stack.tif"),
            "DATES": str(slc / "dates_bperp.csv"),
            "HEIGHT": str(slc / "height.tif"),
            "INCIDENCE": incidence,
            "OUTPUT": str(folder / "ps_points.gpkg"),
        },
    )
    check = check_against_truth(Path(result["OUTPUT"]), slc / "truth_ps.csv")
    print(
        f"    {check['points']} scatterers; {check['found']} of {check['true_ps']} true PS found; "
        f"LOS velocity error median {check['median_abs_error']:.2f}, RMSE {check['rmse']:.2f} "
        "mm/yr (relative to the reference point)",
        flush=True,
    )
    ctx.results["PS points"] = result["OUTPUT"]
    ctx.results["PS found / true"] = f"{check['found']} / {check['true_ps']}"
    ctx.results["PS velocity RMSE (mm/yr)"] = round(check["rmse"], 2)
    if EGMS_SAMPLE.exists():
        egms = ctx.run(
            "importpoints",
            {"INPUT": str(EGMS_SAMPLE), "OUTPUT": str(folder / "egms_l3_sample.gpkg")},
        )
        print(f"    EGMS sample: {egms['COUNT']} points imported ({egms['FORMAT']})", flush=True)
