"""Ingest ASF HyP3 InSAR products into ``ifgramStack.h5`` + ``geometryGeo.h5``.

Products (zips and/or unzipped folders, see :mod:`core.hyp3`) are read in place through GDAL
(``/vsizip/`` for zips), cropped to their common overlap or an area of interest and optionally
multilooked. Per-pair metadata go into extra 1-D datasets of the stack (``productName``,
``referenceGranule``, ``secondaryGranule``, ``heading`` deg, ``centerLineUTC`` s of day);
MintPy ignores datasets that are not (m, L, W) images.

Geometry comes from the first product holding each layer (HyP3 ships them only on request):
``height`` = dem (m), ``incidenceAngle`` = 90 - deg(lv_theta) (or deg(inc_map)),
``azimuthAngle`` = deg(lv_phi) - 90 (MintPy's prep_hyp3 conventions), ``waterMask`` =
water_mask == 1 (True on land), and ``slantRangeDistance`` from the incidence, spacecraft
height and Earth radius in the ``.txt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..atomic import atomic_outputs, check_free_space, check_outputs
from ..errors import InputError
from ..io.hyp3 import Hyp3Product, discover_products, slant_range, stack_attributes, unique_pairs
from ..io.mintpy import write_datasets
from ..progress import ProgressCallback, finished, report, scaled, silent
from .stack_builder import (
    Extent,
    IngestOptions,
    IngestResult,
    PairSource,
    check_coherence_layers,
    expected_sizes,
    multilook_mean,
    read_block,
    source_grid,
    stack_grid,
    window_of,
    write_stack,
)

PathLike = Union[str, Path]


def _pair_source(product: Hyp3Product) -> PairSource:
    return PairSource(
        product.pair,
        product.source,
        product.raster("unw_phase"),
        product.layers.get("corr"),
        product.layers.get("conncomp"),
        product.baseline,
        product.name,
    )


def _pair_datasets(products):
    def text(key):
        return np.array([p.metadata.get(key, "").encode() for p in products], dtype="S")

    return {
        "productName": np.array([p.name.encode() for p in products], dtype="S"),
        "referenceGranule": text("Reference Granule"),
        "secondaryGranule": text("Secondary Granule"),
        "heading": np.array([p.number("Heading", np.nan) for p in products], np.float32),
        "centerLineUTC": np.array([p.number("UTC time", np.nan) for p in products], np.float64),
    }


def _geometry_layer(products, name, grid, looks):
    """Layer ``name`` of the first product that has it, over ``grid``, multilooked; or None."""
    for product in products:
        if name in product.layers:
            path = product.raster(name)
            layer_grid = source_grid(path, product.source)
            row0, row1, col0, col1 = window_of(layer_grid, grid)
            if row0 < 0 or col0 < 0 or row1 > layer_grid.length or col1 > layer_grid.width:
                continue  # this product's layer does not cover the stack area
            return multilook_mean(read_block(path, product.source, (row0, row1, col0, col1)), looks)
    return None


def _write_geometry(products, path: Path, grid, looks: int, attrs) -> None:
    datasets = {}
    height = _geometry_layer(products, "dem", grid, looks)
    if height is not None:
        datasets["height"] = height
    theta = _geometry_layer(products, "lv_theta", grid, looks)
    if theta is not None:
        datasets["incidenceAngle"] = 90.0 - np.rad2deg(theta)
    else:
        incidence = _geometry_layer(products, "inc_map", grid, looks)
        if incidence is not None:
            datasets["incidenceAngle"] = np.rad2deg(incidence)
    phi = _geometry_layer(products, "lv_phi", grid, looks)
    if phi is not None:
        datasets["azimuthAngle"] = np.rad2deg(phi) - 90.0
    water = _geometry_layer(products, "water_mask", grid, looks)
    if water is not None:
        datasets["waterMask"] = water >= 0.5
    if not datasets:
        raise InputError(
            "the products hold no dem, lv_theta, lv_phi, inc_map or water_mask "
            "rasters to build the geometry from.",
            products[0].source.parent,
            "order HyP3 products with include_dem and include_look_vectors, or "
            "leave the geometry output out.",
        )
    height_m, radius = (
        products[0].number("Spacecraft height"),
        products[0].number("Earth radius at nadir"),
    )
    if "incidenceAngle" in datasets and height_m and radius:
        datasets["slantRangeDistance"] = slant_range(datasets["incidenceAngle"], height_m, radius)
    datasets = {
        name: values.astype(bool if name == "waterMask" else np.float32)
        for name, values in datasets.items()
    }
    write_datasets(path, datasets, "geometry", grid.multilooked(looks, looks), attrs)


def ingest_hyp3(
    folder: PathLike,
    stack_path: PathLike,
    geometry_path: Optional[PathLike] = None,
    aoi: Optional[Extent] = None,
    aoi_crs: Optional[Union[int, str]] = None,
    options: Optional[IngestOptions] = None,
    progress: ProgressCallback = silent,
) -> IngestResult:
    """Ingest every HyP3 product in ``folder`` into ``stack_path`` (and ``geometry_path``).

    ``aoi`` is (xmin, ymin, xmax, ymax) in ``aoi_crs`` (EPSG code or WKT; None = the products'
    CRS). Duplicate pairs are skipped with a progress message. Outputs appear together only
    when complete; inputs are never modified.
    """
    options = options or IngestOptions()
    outputs = [stack_path] + ([geometry_path] if geometry_path else [])
    check_outputs(outputs, [folder])
    report(progress, 0.0, f"Looking for HyP3 products in {folder}...")
    found = discover_products(folder)
    check_outputs(outputs, [p.source for p in found])
    products, warnings = unique_pairs(found)
    for warning in warnings:
        report(progress, 0.0, warning)
    sources = [_pair_source(p) for p in products]
    grid = stack_grid(sources, aoi, aoi_crs, options.multilook)
    for warning in check_coherence_layers(sources):
        warnings.append(warning)
        report(progress, 0.0, warning)
    report(
        progress,
        0.02,
        f"{len(products)} interferograms, {len({d for s in sources for d in s.pair})} "
        f"dates; stack area {grid.width} x {grid.length} pixels of {grid.x_step:g} m.",
    )
    attrs = stack_attributes(products[0])
    check_free_space(expected_sizes(sources, grid, options, stack_path, geometry_path))
    with atomic_outputs(*outputs) as temps:
        out_grid = write_stack(
            sources,
            temps[0],
            grid,
            options,
            attrs,
            _pair_datasets(products),
            scaled(progress, 0.02, 0.95),
        )
        if geometry_path:
            geometry_attrs = dict(attrs, WAVELENGTH=repr(options.wavelength))
            _write_geometry(products, temps[1], grid, options.multilook, geometry_attrs)
    finished(progress, f"Wrote {stack_path}")
    return IngestResult(
        Path(stack_path),
        Path(geometry_path) if geometry_path else None,
        out_grid,
        len(sources),
        warnings,
    )
