"""Small, valid inputs for every algorithm of the provider, on one small demo study area.

:func:`make_workspace` writes the demo scene (40 x 40 pixels, 10 acquisitions, every
extension) and runs the SBAS chain on it once with named files; :data:`CASES` gives, per
algorithm id, the input parameters (no outputs) of a quick run on those files. The
result-handling tests run every case through the dialog, batch, modeler and qgis_process paths;
a new algorithm needs a case here (a test says so).
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict

from tests.paths import TEST_DATA

TINY_CNN = {
    "PATCH_SIZE": 8,
    "EPOCHS": 2,
    "PATIENCE": 2,
    "CONV_WIDTH": 4,
    "DENSE": 1,
    "LEARNING_RATE": 1e-3,
}
#: algorithms whose outputs are all optional: skipping every one is refused before any work
NEEDS_AN_OUTPUT = {"terrainindices", "onset"}
#: algorithms without a case yet, and why (each is a gap to close, not an exemption)
WITHOUT_CASE: Dict[str, str] = {}
#: outputs the input kind of a case does not make (asking for one is refused before any work):
#: the output choices leave them at their default, skipped
NOT_MADE_FOR_CASE = {"onset": ("OUTPUT_POINTS",)}
TORCH_ALGORITHMS = {"forecast", "forecastcompare", "interpolatecnn", "compareinterpolators"}


def _write_lines(path: Path, epsg: int, lines) -> str:
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("lines", srs, ogr.wkbLineString)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for name, vertices in lines.items():
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("name", name)
        line = ogr.Geometry(ogr.wkbLineString)
        for x, y in vertices:
            line.AddPoint_2D(x, y)
        feature.SetGeometry(line)
        layer.CreateFeature(feature)
    ds = None
    return str(path)


def _export_geotiffs(hyp3: Path, folder: Path) -> str:
    from osgeo import gdal

    from insar_subsidence.core.io.hyp3 import discover_products

    folder.mkdir(parents=True, exist_ok=True)
    for product in discover_products(hyp3)[:6]:
        stem = f"filt_{product.pair[0]:%Y%m%d}-{product.pair[1]:%Y%m%d}"
        gdal.Translate(str(folder / f"{stem}_unw.tif"), product.raster("unw_phase"))
        gdal.Translate(str(folder / f"{stem}_coh.tif"), product.raster("corr"))
    return str(folder)


def _monthly_csv(path: Path, header: str, lag_months: int) -> str:
    """Three years of a monthly seasonal series (a displacement, a rainfall) as date,value."""
    import datetime as dt
    import math

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", header])
        for k in range(36):
            day = dt.date(2019 + k // 12, k % 12 + 1, 15)
            writer.writerow(
                [day.isoformat(), f"{math.sin(2 * math.pi * (k - lag_months) / 12):.4f}"]
            )
    return str(path)


def _every_nth_point(source, path: Path, step: int) -> str:
    from dataclasses import replace

    from insar_subsidence.core.io.point_layers import read_points, write_points

    points = read_points(source)
    pick = slice(None, None, step)
    subset = replace(
        points,
        x=points.x[pick],
        y=points.y[pick],
        displacement_mm=points.displacement_mm[pick],
        fields={k: v[pick] for k, v in points.fields.items()},
    )
    return str(write_points(path, subset))


def _gnss_csv(gnss_layer, path: Path) -> str:
    """The stations of a GNSS layer as one CSV (station, date, east, north, up in mm, lon, lat):
    a file the algorithm dialog can take as a layer, unlike a .tenv3."""
    from insar_subsidence.core.io.gnss import read_gnss_layer

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["station", "date", "east", "north", "up", "lon", "lat"])
        for station in read_gnss_layer(gnss_layer):
            for day, enu in zip(station.dates[::7], station.enu_mm[::7], strict=True):
                writer.writerow(
                    [station.name, day.isoformat(), *(f"{v:.2f}" for v in enu)]
                    + [f"{station.lon:.6f}", f"{station.lat:.6f}"]
                )
    return str(path)


def _first_panel(demo) -> dict:
    """The demo's first longwall panel: its own layer (pimfit's PANEL) and its truth row."""
    from insar_subsidence.core.demo.truth import panel_slug

    with open(demo["panels_table"], newline="") as handle:
        row = next(csv.DictReader(handle))
    return {**row, "layer": str(demo[f"panel_{panel_slug(row['name'])}"])}


def _ingest_and_invert(hyp3_folder, folder: Path, run: Callable) -> tuple:
    """Ingest a folder of HyP3 products into ``folder`` and invert it: both results."""
    folder.mkdir()
    ingest = run(
        "ingesthyp3",
        {
            "INPUT": str(hyp3_folder),
            "OUTPUT": str(folder / "ifgramStack.h5"),
            "OUTPUT_GEOMETRY": str(folder / "geometryGeo.h5"),
        },
    )
    inversion = run(
        "sbasinversion",
        {
            "INPUT": ingest["OUTPUT"],
            "OUTPUT": str(folder / "timeseries.h5"),
            "OUTPUT_TCOH": str(folder / "temporalCoherence.h5"),
        },
    )
    return ingest, inversion


def _ascending_points(demo, folder: Path, run: Callable) -> dict:
    """The demo's ascending track as points (ingest, SBAS inversion, import) and its geometry."""
    ingest, inversion = _ingest_and_invert(demo["hyp3_ascending"], folder, run)
    points = run(
        "importpoints", {"INPUT": inversion["OUTPUT"], "OUTPUT": str(folder / "points.gpkg")}
    )
    return {"points": points["OUTPUT"], "geometry": ingest["OUTPUT_GEOMETRY"]}


def make_workspace(folder: Path, run: Callable) -> SimpleNamespace:
    """The demo study area and the SBAS chain's files under ``folder``; ``run(id, params)``
    runs an algorithm (processing.run)."""
    import numpy as np

    from insar_subsidence.core.demo import create_demo
    from insar_subsidence.core.io.geotiff import read_raster

    folder = Path(folder)
    demo = create_demo(folder / "demo", seed=3, size=40, n_acquisitions=10)
    sbas = folder / "sbas"
    ingest, inversion = _ingest_and_invert(demo["hyp3"], sbas, run)
    velocity = run(
        "velocity",
        {
            "INPUT": inversion["OUTPUT"],
            "GEOMETRY": ingest["OUTPUT_GEOMETRY"],
            "OUTPUT": str(sbas / "velocity.tif"),
            "OUTPUT_VERTICAL": str(sbas / "velocity_vertical.tif"),
        },
    )
    closure = run("loopclosure", {"INPUT": ingest["OUTPUT"], "OUTPUT": str(sbas / "closure.tif")})
    drivers = run(
        "drivingforces",
        {
            "DEM": str(demo["drivers_dem"]),
            "LANDUSE": str(demo["drivers_landuse"]),
            "OUTPUT": str(folder / "driving_forces.tif"),
        },
    )
    rates, grid = read_raster(velocity["OUTPUT_VERTICAL"])
    row, col = np.unravel_index(np.nanargmin(rates), rates.shape)
    x, y = (float(v) for v in grid.xy(row, col))
    half = 0.4 * grid.width * abs(grid.x_step)
    lines = _write_lines(
        folder / "profile_lines.gpkg",
        grid.epsg,
        {"W-E": [(x - half, y), (x + half, y)], "S-N": [(x, y - half), (x, y + half)]},
    )
    from insar_subsidence.core.demo.radar import write_radar_copy

    # the stack's geometry in radar coordinates: its own lookup, a product to geocode
    _, radar_geometry = write_radar_copy(
        ingest["OUTPUT"], ingest["OUTPUT_GEOMETRY"], folder / "radar"
    )
    # the demo GNSS stations and the descending track as points, for the GNSS comparison
    descending_points = run(
        "importpoints",
        {"INPUT": inversion["OUTPUT"], "OUTPUT": str(folder / "descending_points.gpkg")},
    )["OUTPUT"]
    ascending = _ascending_points(demo, folder / "ascending", run)
    gnss_files = sorted(str(p) for p in Path(demo["gnss"]).glob("*.tenv3"))
    gnss = run("importgnss", {"INPUT": gnss_files, "OUTPUT": str(folder / "gnss.gpkg")})["OUTPUT"]
    return SimpleNamespace(
        gnss=gnss,
        gnss_csv=_gnss_csv(gnss, folder / "gnss_stations.csv"),
        descending_points=descending_points,
        ascending_points=ascending["points"],
        ascending_geometry=ascending["geometry"],
        bowls=run(
            "detectbowls",
            {
                "INPUT": velocity["OUTPUT_VERTICAL"],
                "MIN_AREA": 0.01,
                "OUTPUT": str(folder / "bowls.gpkg"),
            },
        )["OUTPUT"],
        panel=_first_panel(demo),
        folder=folder,
        demo=demo,
        radar_geometry=str(radar_geometry),
        epsg=grid.epsg,
        stack=ingest["OUTPUT"],
        geometry=ingest["OUTPUT_GEOMETRY"],
        timeseries=inversion["OUTPUT"],
        tcoh=inversion["OUTPUT_TCOH"],
        velocity=velocity["OUTPUT"],
        vertical=velocity["OUTPUT_VERTICAL"],
        closure=closure["OUTPUT"],
        drivers=drivers["OUTPUT"],
        lines=lines,
        bowl_point=f"{x},{y} [EPSG:{grid.epsg}]",
        geotiffs=_export_geotiffs(demo["hyp3"], folder / "geotiffs"),
        displacement_csv=_monthly_csv(folder / "displacement.csv", "displacement (mm)", 2),
        rainfall_csv=_monthly_csv(folder / "rainfall.csv", "rainfall (mm)", 0),
        points=_every_nth_point(demo["drivers_ps_like"], folder / "ps_points.gpkg", 6),
        series_points=_every_nth_point(
            TEST_DATA / "forecast" / "egms_l2b_5points.gpkg", folder / "series_points.gpkg", 3
        ),
    )


#: per algorithm id: input parameters of a quick run on the workspace (outputs are added by
#: the test for the output choice it checks)
CASES: Dict[str, Callable[[SimpleNamespace], dict]] = {
    "createdemo": lambda ws: {"SEED": 1, "SIZE": 24, "ACQUISITIONS": 6},
    "ingesthyp3": lambda ws: {"INPUT": str(ws.demo["hyp3"])},
    "ingestgeotiff": lambda ws: {"INPUT": ws.geotiffs},
    "importpoints": lambda ws: {
        "INPUT": str(TEST_DATA / "points" / "EGMS_L3_E45N17_100km_U_2020_2024_1_trim.csv")
    },
    "network": lambda ws: {"INPUT": ws.stack},
    "plannetwork": lambda ws: {"INPUT": str(ws.demo["slc_dates"])},
    "loopclosure": lambda ws: {"INPUT": ws.stack},
    "referencepoint": lambda ws: {"INPUT": ws.stack, "LOOP_CLOSURE": ws.closure},
    "troposphere": lambda ws: {
        "INPUT": ws.timeseries,
        "GEOMETRY": ws.geometry,
        "GACOS_FOLDER": str(ws.demo["gacos"]),
    },
    "deramp": lambda ws: {"INPUT": ws.timeseries, "MASK": ws.tcoh},
    "demerror": lambda ws: {"INPUT": ws.timeseries, "GEOMETRY": ws.geometry},
    "sbasinversion": lambda ws: {"INPUT": ws.stack},
    "velocity": lambda ws: {"INPUT": ws.timeseries, "GEOMETRY": ws.geometry, "TCOH": ws.tcoh},
    "psinsar": lambda ws: {
        "INPUT": str(ws.demo["slc_stack"]),
        "DATES": str(ws.demo["slc_dates"]),
        "HEIGHT": str(ws.demo["slc_height"]),
    },
    "profile": lambda ws: {
        "INPUT": ws.lines,
        "NAME_FIELD": "name",
        "RASTERS": [ws.vertical],
        "POINTS": [ws.points],
    },
    "geocode": lambda ws: {"INPUT": ws.radar_geometry},
    "crossvalidate": lambda ws: {
        "POINTS_A": ws.points,
        "RASTER_B": ws.vertical,
        "CELL_SIZE": 200,
    },
    "forecast": lambda ws: {
        "INPUT": ws.series_points,
        "MODEL": 2,
        "HORIZON": 2,
        "EPOCHS": 2,
        "ENSEMBLE": 1,
    },
    "forecastcompare": lambda ws: {
        "INPUT": ws.series_points,
        "MODELS": [0, 2],
        "HORIZON": 2,
        "EPOCHS": 2,
    },
    "terrainindices": lambda ws: {"INPUT": str(ws.demo["drivers_dem"])},
    "drivingforces": lambda ws: {
        "DEM": str(ws.demo["drivers_dem"]),
        "LANDUSE": str(ws.demo["drivers_landuse"]),
    },
    "interpolate": lambda ws: {
        "INPUT": ws.points,
        "FIELD": "VEL",
        "CELL_SIZE": 200.0,
    },
    "interpolatecnn": lambda ws: {
        "INPUT": ws.points,
        "FIELD": "VEL",
        "DRIVERS": ws.drivers,
        **TINY_CNN,
    },
    "compareinterpolators": lambda ws: {
        "INPUT": ws.points,
        "FIELD": "VEL",
        "SPLIT": 1,
        "FOLDS": 2,
        "WITH_CNN": False,
    },
    "landusetransition": lambda ws: {
        "INPUT_BEFORE": str(ws.demo["landuse_2019"]),
        "INPUT_AFTER": str(ws.demo["landuse_2021"]),
        "VELOCITY": ws.vertical,
    },
    "zonalstats": lambda ws: {
        "INPUT": str(ws.demo["landuse_counties"]),
        "VELOCITY": ws.vertical,
        "MINING": str(ws.demo["landuse_mining"]),
    },
    "detectbowls": lambda ws: {
        "INPUT": ws.vertical,
        "MIN_AREA": 0.01,
        "MINING": str(ws.demo["landuse_mining"]),
    },
    "correlatedrivers": lambda ws: {
        "INPUT": ws.displacement_csv,
        "SERIES": [ws.rainfall_csv],
        "MAX_LAG": 2,
    },
    "studyreport": lambda ws: {"VELOCITY": ws.vertical},
    "importgnss": lambda ws: {"INPUT": [ws.gnss_csv]},
    "gnsscompare": lambda ws: {
        "INPUT": ws.descending_points,
        "LOS": ws.geometry,
        "GNSS": ws.gnss,
        "RADIUS": 120,
    },
    "gnsstie": lambda ws: {
        "INPUT": ws.descending_points,
        "LOS": ws.geometry,
        "GNSS": ws.gnss,
        "RADIUS": 250,
        "MODEL": "shift",
    },
    "detectablegradient": lambda ws: {
        "INPUT": ws.stack,
        "TIMESERIES": ws.timeseries,
        "VELOCITY": ws.velocity,
        "TCOH": ws.tcoh,
        "BOWLS": ws.bowls,
    },
    "onset": lambda ws: {
        "INPUT": ws.timeseries,
        "MIN_SEGMENT": 3,
        "MAX_STEPS": 1,
        "SIMULATIONS": 200,
    },
    "decompose": lambda ws: {
        "INPUTS": [ws.descending_points, ws.ascending_points],
        "LOS": f"{ws.geometry}|{ws.ascending_geometry}",
        "CELL_SIZE": 160,
    },
    "pimfit": lambda ws: {
        "INPUT": str(ws.demo["truth_cumulative_vertical"]),
        "PANEL": ws.panel["layer"],
        "THICKNESS": float(ws.panel["thickness_m"]),
        "DEPTH": float(ws.panel["mined_depth_m"]),
        "DIP": float(ws.panel["dip_deg"]),
        "DIP_DIRECTION": float(ws.panel["dip_azimuth_deg"]),
    },
}
