"""Second track: ingest and invert the ascending products, decompose both tracks into vertical
and east-west motion (subsidence:decompose) and score the result against the scene's truth.

The ascending chain is short (ingest, SBAS inversion, ramp removal); both tracks are turned into
coherent points (temporal coherence >= 0.7, subsidence:importpoints) and decomposed on 160 m
cells (2 x 2 demo pixels). Both tracks are referenced to the same stable pixel, so the truth is
compared after subtracting its value there. Scores (two_tracks/accuracy.csv): rates (mm/yr) and
series (mm) per component, over all cells and away from the longwall cores whose fringes alias,
and, for the vertical, the single-track answer LOS / cos(incidence) for comparison.
"""

from __future__ import annotations

import csv

import numpy as np

from insar_subsidence.core.analysis.product_comparison import cell_means
from insar_subsidence.core.demo.scene import make_scene
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.mintpy import read_attrs
from insar_subsidence.core.io.point_layers import read_points

CELL = 160.0
#: cells whose true vertical rate is faster than this are aliased longwall cores
FAST_MM_YR = 100.0
#: cells whose true east-west rate is faster than this move sideways (mm/yr)
SIDEWAYS_MM_YR = 5.0


def _ascending_series(ctx, folder):
    stack = ctx.run(
        "ingesthyp3",
        {
            "INPUT": str(ctx.output / "scene" / "hyp3_ascending"),
            "MULTILOOK": 1,
            "OUTPUT": str(folder / "ifgramStack.h5"),
            "OUTPUT_GEOMETRY": str(folder / "geometryGeo.h5"),
        },
    )
    inverted = ctx.run(
        "sbasinversion",
        {
            "INPUT": stack["OUTPUT"],
            "WEIGHT": "var",
            "OUTPUT": str(folder / "timeseries.h5"),
            "OUTPUT_TCOH": str(folder / "temporalCoherence.h5"),
        },
    )
    deramped = ctx.run(
        "deramp",
        {
            "INPUT": inverted["OUTPUT"],
            "RAMP": "linear",
            "MASK": inverted["OUTPUT_TCOH"],
            "MASK_THRESHOLD": 0.7,
            "ROBUST": True,
            "MAX_RATE": 3.0,
            "OUTPUT": str(folder / "timeseries_deramped.h5"),
        },
    )
    return deramped["OUTPUT"]


def _points(ctx, series, output):
    return ctx.run(
        "importpoints",
        {"INPUT": str(series), "MIN_COHERENCE": 0.7, "OUTPUT": str(output)},
    )["OUTPUT"]


def _on_cells(grid: Grid, values: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean of a (L, W) truth raster over the cells centred at (x, y)."""
    rows, cols = np.mgrid[0 : grid.length, 0 : grid.width]
    px, py = grid.xy(rows.ravel(), cols.ravel())
    width = int(round((x.max() - x.min()) / CELL)) + 1
    length = int(round((y.max() - y.min()) / CELL)) + 1
    cells = Grid(x.min() - CELL / 2, y.max() + CELL / 2, CELL, -CELL, width, length)
    means = cell_means(px, py, values.ravel(), cells)
    r, c = cells.rowcol(x, y)
    return means[r, c]


def _rms(values) -> float:
    return float(np.sqrt(np.nanmean(np.square(values))))


def run(ctx):
    folder = ctx.folder("two_tracks")
    ascending = ctx.folder("two_tracks/ascending")
    sbas = ctx.output / "sbas"
    descending_series = sbas / "timeseries_corrected.h5"
    if not descending_series.exists():
        raise FileNotFoundError(f"{descending_series} is missing: run steps 35-37 first.")
    ascending_series = _ascending_series(ctx, ascending)
    descending_points = _points(ctx, descending_series, folder / "descending_points.gpkg")
    ascending_points = _points(ctx, ascending_series, folder / "ascending_points.gpkg")
    result = ctx.run(
        "decompose",
        {
            "INPUTS": [descending_points, ascending_points],
            "LOS": f"{ctx.output / 'stack' / 'geometryGeo.h5'}|{ascending / 'geometryGeo.h5'}",
            "CELL_SIZE": CELL,
            "OUTPUT_UP": str(folder / "decomposed_vertical.gpkg"),
            "OUTPUT_EAST": str(folder / "decomposed_east.gpkg"),
            "OUTPUT_UP_RASTER": str(folder / "decomposed_vertical.tif"),
            "OUTPUT_EAST_RASTER": str(folder / "decomposed_east.tif"),
        },
    )
    print(
        f"    {result['CELLS']} cells, {result['FLAGGED']} flagged, {result['DATES']} dates",
        flush=True,
    )
    _score(ctx, folder, descending_series)


def _score(ctx, folder, descending_series):
    truth_folder = ctx.output / "scene" / "truth"
    up = read_points(folder / "decomposed_vertical.gpkg")
    east = read_points(folder / "decomposed_east.gpkg")  # the same cells, in the same order
    attrs = read_attrs(descending_series)
    ref = int(attrs["REF_Y"]), int(attrs["REF_X"])

    def relative(path):
        data, grid = read_raster(path)
        return data - data[ref], grid

    vertical_truth, grid = relative(truth_folder / "truth_velocity_vertical.tif")
    east_truth, _ = relative(truth_folder / "truth_velocity_east.tif")
    expected = {
        "vertical": _on_cells(grid, vertical_truth, up.x, up.y),
        "east-west": _on_cells(grid, east_truth, up.x, up.y),
    }
    slow = np.abs(expected["vertical"]) < FAST_MM_YR
    regions = {
        "all cells": np.ones(len(slow), bool),
        f"|vertical| < {FAST_MM_YR:g} mm/yr": slow,
        f"|east| > {SIDEWAYS_MM_YR:g} and |vertical| < {FAST_MM_YR:g} mm/yr": slow
        & (np.abs(expected["east-west"]) > SIDEWAYS_MM_YR),
    }
    rows = []

    def score(component, quantity, error):
        for where, cells in regions.items():
            rows.append((component, quantity, where, _rms(error[cells]), int(cells.sum())))

    for name, layer in (("vertical", up), ("east-west", east)):
        score(name, "rate (mm/yr)", layer.fields["VEL"] - expected[name])
    # a single track's vertical, LOS / cos(incidence), is blind to the horizontal motion
    scene = make_scene(seed=ctx.seed)
    los, _ = relative(ctx.output / "sbas" / "velocity.tif")
    single = _on_cells(grid, los / np.cos(np.deg2rad(scene.incidence)), up.x, up.y)
    score("vertical from the descending track alone", "rate (mm/yr)", single - expected["vertical"])
    # series on the common dates, relative to the first date and to the reference pixel
    for name, layer, cube in (
        ("vertical", up, scene.vertical_displacement(up.dates)),
        ("east-west", east, scene.horizontal_displacement(up.dates)[0]),
    ):
        cube = (cube - cube[:1]) * 1000
        cube = cube - cube[:, ref[0], ref[1]][:, None, None]
        truth = np.column_stack([_on_cells(grid, frame, up.x, up.y) for frame in cube])
        score(name, "series (mm)", layer.displacement_mm - truth)
    with open(folder / "accuracy.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["component", "quantity", "cells", "rmse", "n"])
        writer.writerows([(*row[:3], f"{row[3]:.2f}", row[4]) for row in rows])
    for component, quantity, where, rmse, count in rows:
        key = f"two tracks: {component} {quantity} RMSE, {where}"
        ctx.results[key] = round(rmse, 2)
        print(f"    {key}: {rmse:.2f} ({count} cells)", flush=True)
