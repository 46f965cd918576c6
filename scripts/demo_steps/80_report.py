"""Study report: one self-contained HTML page pulling together whatever the demo produced."""

from pathlib import Path

MAX_TABLE_BYTES = 200_000


def _existing(*paths):
    return [str(p) for p in paths if Path(p).is_file()]


def _first(*paths):
    found = _existing(*paths)
    return found[0] if found else None


def _glob(folder, pattern):
    if not Path(folder).is_dir():
        return []
    return sorted(str(p) for p in Path(folder).glob(pattern) if p.is_file())


def run(ctx):
    out = ctx.output
    scene, sbas, drivers, mining = out / "scene", out / "sbas", out / "drivers", out / "mining"
    sbas_classes = _first(sbas / "classes.tif")
    params = {
        "TITLE": "Demo mining district: subsidence study",
        "VELOCITY": _first(
            sbas / "velocity_vertical.tif", scene / "truth" / "truth_velocity_vertical.tif"
        ),
        "CLASSES": sbas_classes or _first(scene / "landuse" / "landuse_2021.tif"),
        "CLASS_NAMES": None if sbas_classes else _first(scene / "landuse" / "class_names.csv"),
        "BOWLS": _first(drivers / "bowls.gpkg"),
        "ZONAL": _first(drivers / "zonal_counties.gpkg"),
        "MINING_TABLE": _first(drivers / "mining_consistency.csv"),
        "LANDUSE_TABLE": _first(drivers / "landuse_matrix.csv"),
        "LANDUSE_EXTRA": _existing(drivers / "landuse_summary.csv", drivers / "landuse_rates.csv"),
        "LANDUSE_PLOT": _first(drivers / "landuse_sankey.png"),
        "DRIVERS_TABLE": _first(drivers / "drivers_correlation.csv"),
        "DRIVERS_PLOT": _first(drivers / "drivers_correlation.png"),
        "IMAGES": (
            _existing(sbas / "network.png")
            + _glob(out / "ps", "*.png")
            + _glob(out / "crossval", "*.png")
            + _glob(out / "profiles", "*.png")
        ),
        "FORECAST_IMAGES": _glob(out / "forecast", "**/*.png"),
        "FORECAST_TABLES": [
            p
            for p in _glob(out / "forecast", "**/*.csv")
            if Path(p).stat().st_size < MAX_TABLE_BYTES
        ],
        "TABLES": [
            p
            for p in (
                _existing(
                    drivers / "bowls_vs_truth.csv",
                    mining / "pim_vs_truth.csv",
                    mining / "onset_vs_truth.csv",
                )
                + _glob(out / "crossval", "*.csv")
                + _glob(out / "interpolation", "**/*.csv")
            )
            if Path(p).stat().st_size < MAX_TABLE_BYTES
        ],
        "BASIN_MODELS": [p for p in _glob(mining, "pim_*.tif") if not p.endswith("_residual.tif")],
        "BASIN_TABLES": _glob(mining, "pim_*.csv"),
        "BASIN_MEASURED": _first(mining / "cumulative_vertical.tif"),
        "BASIN_REFERENCE": _first(scene / "truth" / "truth_cumulative_vertical.tif"),
        "LIMIT_TABLE": _first(mining / "bowls_vs_limit.csv"),
        "OUTPUT": str(ctx.folder("report") / "report.html"),
    }
    params = {key: value for key, value in params.items() if value not in (None, [])}
    result = ctx.run("studyreport", params)
    ctx.results["report"] = result["OUTPUT"]
