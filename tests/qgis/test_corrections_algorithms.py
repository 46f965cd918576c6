"""Reference, troposphere, deramp and DEM-error algorithms through processing.run."""

import numpy as np
import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsVectorLayer,
)

from insar_subsidence.core.conventions import years_since
from insar_subsidence.core.corrections.deramp import ramp_design
from insar_subsidence.core.io.mintpy import IfgramStack, read_attrs, read_timeseries
from tests.core.corrections.test_troposphere import GEO, write_gacos
from tests.core.network_synthetic import (
    GRID,
    all_pairs,
    dates,
    make_geometry,
    make_stack,
    make_timeseries,
)


def _stack(tmp_path):
    rng = np.random.default_rng(0)
    acq = dates(4)
    phase = {d: rng.normal(0, 1, GRID.shape).astype(np.float32) for d in acq}
    return make_stack(tmp_path / "stack.h5", all_pairs(acq, 2), phase_by_date=phase)


def test_reference_point_in_another_crs(tmp_path, run_algorithm):
    stack = _stack(tmp_path)
    x, y = GRID.xy(4, 7)
    result = run_algorithm(
        "referencepoint",
        {
            "INPUT": str(stack),
            "REFERENCE": f"{x},{y} [EPSG:32650]",
            "OUTPUT": str(tmp_path / "ref.h5"),
        },
    )
    assert (result["REF_Y"], result["REF_X"]) == (4, 7)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32650, 4326, always_xy=True).transform(x, y)
    result = run_algorithm(
        "referencepoint",
        {
            "INPUT": str(stack),
            "REFERENCE": f"{lon},{lat} [EPSG:4326]",
            "OUTPUT": str(tmp_path / "ref2.h5"),
        },
    )
    assert (result["REF_Y"], result["REF_X"]) == (4, 7)
    assert read_attrs(tmp_path / "ref2.h5")["REF_X"] == "7"


def test_reference_areas_from_points_and_automatic(tmp_path, run_algorithm):
    stack = _stack(tmp_path)
    layer = QgsVectorLayer("Point?crs=EPSG:32650", "refs", "memory")
    features = []
    for row, col in [(2, 2), (7, 9)]:
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*GRID.xy(row, col))))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    result = run_algorithm(
        "referencepoint",
        {
            "INPUT": str(stack),
            "REFERENCE_POINTS": layer,
            "RADIUS": 1,
            "OUTPUT": str(tmp_path / "ref.h5"),
        },
    )
    assert (result["REF_Y"], result["REF_X"]) == (2, 2)
    assert read_attrs(tmp_path / "ref.h5")["REF_AREAS"] == "2,2,1;7,9,1"
    auto = run_algorithm(
        "referencepoint", {"INPUT": str(stack), "OUTPUT": str(tmp_path / "auto.h5")}
    )
    assert IfgramStack.open(tmp_path / "auto.h5").reference_yx == (auto["REF_Y"], auto["REF_X"])
    with pytest.raises(QgsProcessingException, match="stack.h5.*outside"):
        run_algorithm(
            "referencepoint",
            {
                "INPUT": str(stack),
                "REFERENCE": "0,0 [EPSG:32650]",
                "OUTPUT": str(tmp_path / "bad.h5"),
            },
        )


def test_troposphere_and_its_bad_inputs(tmp_path, run_algorithm):
    acq = dates(3)
    for k, d in enumerate(acq):
        write_gacos(tmp_path / "gacos", d, lambda x, y, k=k: 2.0 + 0.3 * k * (x - 112.5))
    ts = make_timeseries(
        tmp_path / "ts.h5",
        np.zeros((3,) + GEO.shape),
        acq,
        grid=GEO,
        attrs={"REF_Y": 0, "REF_X": 0},
    )
    geo = make_geometry(tmp_path / "geo.h5", 35.0, grid=GEO)
    result = run_algorithm(
        "troposphere",
        {
            "INPUT": str(ts),
            "GEOMETRY": str(geo),
            "GACOS_FOLDER": str(tmp_path / "gacos"),
            "OUTPUT": str(tmp_path / "out.h5"),
        },
    )
    out = read_timeseries(result["OUTPUT"]).data
    xx, _ = GEO.xy(*np.indices(GEO.shape))
    expected = 0.3 * 2 * (xx - xx[0, 0]) / np.cos(np.deg2rad(35.0))  # minus the apparent -delay
    assert np.allclose(out[2], expected, atol=1e-5)
    (tmp_path / "gacos" / f"{acq[1]:%Y%m%d}.ztd").unlink()
    with pytest.raises(QgsProcessingException, match=f"gacos.*{acq[1]:%Y%m%d}"):
        run_algorithm(
            "troposphere",
            {
                "INPUT": str(ts),
                "GEOMETRY": str(geo),
                "GACOS_FOLDER": str(tmp_path / "gacos"),
                "OUTPUT": str(tmp_path / "o2.h5"),
            },
        )
    wrong = make_geometry(tmp_path / "wrong.h5", 35.0)
    with pytest.raises(QgsProcessingException, match="wrong.h5.*does not match"):
        run_algorithm(
            "troposphere",
            {
                "INPUT": str(ts),
                "GEOMETRY": str(wrong),
                "GACOS_FOLDER": str(tmp_path / "gacos"),
                "OUTPUT": str(tmp_path / "o3.h5"),
            },
        )


def test_deramp_and_dem_error(tmp_path, run_algorithm):
    rng = np.random.default_rng(2)
    acq = dates(20)
    design = ramp_design(GRID.shape, "quadratic")
    ramps = np.stack([(design @ rng.normal(0, 0.01, 6)).reshape(GRID.shape) for _ in acq])
    bperp = np.r_[0.0, rng.normal(0, 70, 19)]
    g = rng.normal(0, 2e-5, GRID.shape)
    t = years_since(acq)
    deformation = -0.02 * t[:, None, None] * np.ones(GRID.shape)
    ramped = make_timeseries(tmp_path / "ramped.h5", deformation + ramps, acq, bperp=bperp)
    # uniform deformation is part of the fitted constant: nothing is left without a reference
    run_algorithm(
        "deramp",
        {
            "INPUT": str(ramped),
            "RAMP": "quadratic",
            "MAX_RATE": 0,
            "OUTPUT": str(tmp_path / "d.h5"),
        },
    )
    assert np.allclose(read_timeseries(tmp_path / "d.h5").data, 0, atol=1e-6)
    ts = make_timeseries(
        tmp_path / "ts.h5", deformation + bperp[:, None, None] * g, acq, bperp=bperp
    )
    result = run_algorithm(
        "demerror",
        {
            "INPUT": str(ts),
            "GEOMETRY": str(make_geometry(tmp_path / "g.h5", 39.0)),
            "POLY_ORDER": 2,
            "OUTPUT": str(tmp_path / "dem.h5"),
            "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
        },
    )
    corrected = read_timeseries(result["OUTPUT"]).data
    assert np.allclose(corrected, deformation, atol=1e-5)
    assert (tmp_path / "dz.tif").exists()
    with pytest.raises(QgsProcessingException, match="geometry"):
        run_algorithm(
            "demerror",
            {
                "INPUT": str(ts),
                "OUTPUT": str(tmp_path / "x.h5"),
                "OUTPUT_DEM_ERROR": str(tmp_path / "x.tif"),
            },
        )
