"""Mining basins: what InSAR cannot see (detectable gradient), the PIM basin fitted to the
reliable margin of each demo panel, the final basin of the planned North longwall, and when
subsidence started (onset); every result scored against the scene truth (mining/*.csv)."""

import csv
from pathlib import Path

import numpy as np

FIT_NUMBERS = ("Q", "TAN_BETA", "OFFSET_M", "THETA_DEG", "W_MAX_MM", "RMSE_MM", "FIT_SECONDS")


def _first(*paths):
    return next((Path(p) for p in paths if Path(p).exists()), None)


def run(ctx):
    out = ctx.folder("mining")
    sbas = ctx.output / "sbas"
    truth = ctx.output / "scene" / "truth"
    geometry = ctx.output / "stack" / "geometryGeo.h5"
    series = _first(sbas / "timeseries_corrected.h5", sbas / "timeseries.h5")
    tcoh = sbas / "temporalCoherence.h5"
    stack = _first(sbas / "ifgramStack_ref.h5", ctx.output / "stack" / "ifgramStack.h5")

    # what the stack can measure, compared with the steepest rates of its time series
    bowls = _first(ctx.output / "drivers" / "bowls.gpkg")
    limit = ctx.run(
        "detectablegradient",
        {
            "INPUT": str(stack),
            "TIMESERIES": str(series),
            "VELOCITY": str(sbas / "velocity.tif"),
            "TCOH": str(tcoh),
            "BOWLS": str(bowls) if bowls else None,
            "OUTPUT": str(out / "detectable_gradient.tif"),
            "OUTPUT_MASK": str(out / "beyond_limit.tif"),
            "OUTPUT_TABLE": str(out / "bowls_vs_limit.csv") if bowls else None,
        },
    )
    ctx.results["mining: pixels beyond what InSAR can measure"] = limit["PIXELS_BEYOND"]
    ctx.results["mining: bowls likely underestimated"] = limit["BOWLS_UNDERESTIMATED"]

    # the cumulative LOS displacement over the whole series, made vertical by pimfit
    cumulative = ctx.run(
        "velocity",
        {
            "INPUT": str(series),
            "MIN_TCOH": 0,
            "CUMULATIVE_DATE": _last_date(series),
            "OUTPUT": str(out / "velocity_unmasked.tif"),
            "OUTPUT_CUMULATIVE": str(out / "cumulative_los.tif"),
        },
    )["OUTPUT_CUMULATIVE"]

    panels = list(csv.DictReader(open(truth / "panels.csv")))
    fitted = {}
    for panel in panels:
        stem = panel["name"].lower().replace(" ", "_")
        result = ctx.run(
            "pimfit",
            {
                "INPUT": cumulative,
                "GEOMETRY": str(geometry),
                "PANEL": str(truth / "panels" / f"{stem}.gpkg"),
                "THICKNESS": float(panel["thickness_m"]),
                "DEPTH": float(panel["mined_depth_m"]),
                "DIP": float(panel["dip_deg"]),
                "DIP_DIRECTION": float(panel["dip_azimuth_deg"]),
                "TCOH": str(tcoh),
                "DETECTABLE_MASK": limit["OUTPUT_MASK"],
                "OUTPUT_TABLE": str(out / f"pim_{stem}.csv"),
                "OUTPUT": str(out / f"pim_{stem}.tif"),
                "OUTPUT_RESIDUAL": str(out / f"pim_{stem}_residual.tif"),
                "OUTPUT_BOUNDARY": str(out / f"pim_{stem}_boundary.gpkg"),
            },
        )
        # qgis_process reports numbers as text
        result = {key: float(result[key]) for key in FIT_NUMBERS}
        fitted[panel["name"]] = result
        ctx.results[f"mining: {panel['name']} q / tan(beta) fitted (truth)"] = (
            f"{result['Q']:.3f} / {result['TAN_BETA']:.2f} "
            f"({float(panel['q']):.3f} / {float(panel['tan_beta']):.2f}), "
            f"fitted in {result['FIT_SECONDS']:.1f} s"
        )

    # the final basin of the planned North longwall, from its fitted parameters
    north = panels[0]
    stem = north["name"].lower().replace(" ", "_")
    fit = fitted[north["name"]]
    ctx.run(
        "pimfit",
        {
            "MODE": "forward",
            "INPUT": cumulative,
            "PANEL": str(truth / "panels" / f"{stem}_planned.gpkg"),
            "THICKNESS": float(north["thickness_m"]),
            "DEPTH": float(north["depth_m"]),
            "DIP": float(north["dip_deg"]),
            "DIP_DIRECTION": float(north["dip_azimuth_deg"]),
            "Q": fit["Q"],
            "TAN_BETA": fit["TAN_BETA"],
            "OFFSET": fit["OFFSET_M"],
            "THETA": fit["THETA_DEG"],
            "OUTPUT_TABLE": str(out / f"planned_{stem}.csv"),
            "OUTPUT": str(out / f"planned_{stem}.tif"),
            "OUTPUT_BOUNDARY": str(out / f"planned_{stem}_boundary.gpkg"),
            "OUTPUT_HORIZONTAL": str(out / f"planned_{stem}_horizontal.tif"),
        },
    )

    # onset of subsidence: in the SBAS series and, for the truth of the same model, in the
    # noise-free truth series
    onset = ctx.run(
        "onset",
        {
            "INPUT": str(series),
            "OUTPUT": str(out / "onset.tif"),
            "OUTPUT_STEPS": str(out / "steps.gpkg"),
        },
    )
    truth_onset = ctx.run(
        "onset",
        {"INPUT": str(truth / "truth_timeseries.h5"), "OUTPUT": str(out / "onset_truth.tif")},
    )
    ctx.results["mining: onsets / steps found"] = f"{onset['ONSETS']} / {onset['STEPS']}"
    _score(ctx, out, truth, panels, fitted, cumulative, geometry, truth_onset["OUTPUT"])


def _last_date(series):
    from insar_subsidence.core.io.mintpy import read_timeseries_dates

    return f"{read_timeseries_dates(series)[-1]:%Y-%m-%d}"


def _score(ctx, out, truth, panels, fitted, cumulative, geometry, truth_onset):
    """Parameters and core depths against the truth; onset detection rates and date errors."""
    from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
    from insar_subsidence.core.io.mintpy import read_dataset

    truth_cumulative, grid = read_raster(truth / "truth_cumulative_vertical.tif")
    los, _ = read_raster(cumulative)
    incidence, _ = read_dataset(geometry, "incidenceAngle")
    measured = los / np.cos(np.deg2rad(incidence))
    write_geotiff(out / "cumulative_vertical.tif", measured.astype(np.float32), grid, units="mm")
    rows = []
    for panel in panels:
        stem = panel["name"].lower().replace(" ", "_")
        model, _ = read_raster(out / f"pim_{stem}.tif")
        basin = model < -10.0
        core = model <= 0.5 * np.nanmin(model)
        result = fitted[panel["name"]]
        rows.append(
            {
                "panel": panel["name"],
                "q": f"{result['Q']:.3f}",
                "q_truth": panel["q"],
                "tan_beta": f"{result['TAN_BETA']:.2f}",
                "tan_beta_truth": panel["tan_beta"],
                "offset_m": f"{result['OFFSET_M']:.0f}",
                "offset_m_truth": panel["offset_m"],
                "theta_deg": f"{result['THETA_DEG']:.1f}",
                "theta_deg_truth": panel["theta_deg"],
                "rmse_mm": f"{result['RMSE_MM']:.1f}",
                "fit_s": f"{result['FIT_SECONDS']:.2f}",
                "core_truth_mm": f"{np.nanmin(np.where(basin, truth_cumulative, np.nan)):.0f}",
                "core_model_mm": f"{np.nanmin(model):.0f}",
                "core_insar_mm": f"{np.nanmin(np.where(basin, measured, np.nan)):.0f}",
                "core_insar_missing_pct": f"{100 * np.mean(~np.isfinite(measured[core])):.0f}",
            }
        )
    with open(out / "pim_vs_truth.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        ctx.results[f"mining: {row['panel']} core depth truth / PIM / InSAR (mm)"] = (
            f"{row['core_truth_mm']} / {row['core_model_mm']} / {row['core_insar_mm']}"
        )

    estimated, _ = read_raster(out / "onset.tif", band=1)
    reference, _ = read_raster(truth_onset, band=1)
    moving = truth_cumulative < -30.0  # pixels where subsidence clearly happened
    has_truth = moving & np.isfinite(reference)
    found = has_truth & np.isfinite(estimated)
    errors = np.abs(estimated[found] - reference[found]) * 365.25
    stable = np.abs(truth_cumulative) < 5.0
    breaks, _ = read_raster(out / "onset.tif", band=2)
    false_alarms = np.mean(np.isfinite(breaks[stable])) if stable.any() else float("nan")
    with open(out / "onset_vs_truth.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pixels", "detected_pct", "median_error_days", "p90_error_days"])
        writer.writerow(
            [
                int(has_truth.sum()),
                f"{100 * found.sum() / max(has_truth.sum(), 1):.1f}",
                f"{np.median(errors):.0f}" if errors.size else "",
                f"{np.percentile(errors, 90):.0f}" if errors.size else "",
            ]
        )
        writer.writerow([])
        writer.writerow(["stable_pixels", "breakpoint_pct"])
        writer.writerow([int(stable.sum()), f"{100 * false_alarms:.2f}"])
    ctx.results["mining: onset detected / median date error (days)"] = (
        f"{100 * found.sum() / max(has_truth.sum(), 1):.0f} % / {np.median(errors):.0f}"
        if errors.size
        else "none"
    )
