"""Comparison of two rate products against hand-computed statistics."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from insar_subsidence.core.analysis.product_comparison import (
    ProductComparisonOptions,
    compare_products,
)
from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.io.geotiff import read_raster, write_geotiff
from insar_subsidence.core.io.point_layers import PointSeries, write_points

X0, Y0 = 600000.0, 3900000.0


def _layer(path, xy_values, epsg=32649, extra=None):
    xy = np.asarray([(x, y) for x, y, _ in xy_values], float)
    values = np.asarray([v for _, _, v in xy_values], float)
    fields = {"VEL": values}
    fields.update(extra or {})
    write_points(
        path,
        PointSeries(X0 + xy[:, 0], Y0 + xy[:, 1], epsg, [], np.zeros((len(values), 0)), fields),
    )
    return path


@pytest.fixture
def products(tmp_path):
    # cell [0,50): A = mean(10, 20) = 15, B = 12; cell [50,100): 4 vs 2; cell [100,150): -2 vs -1
    a = _layer(
        tmp_path / "a.gpkg",
        [(25, 25, 10), (30, 30, 20), (75, 25, 4), (125, 25, -2)],
        extra={"INC": np.array([60.0, 60.0, 60.0, 60.0])},
    )
    b = _layer(tmp_path / "b.gpkg", [(20, 20, 12), (80, 20, 2), (110, 30, -1), (175, 25, 7)])
    return a, b


def test_hand_computed_statistics(products, tmp_path):
    a, b = products
    result = compare_products(
        a,
        b,
        ProductComparisonOptions(cell_size_m=50),
        table=tmp_path / "stats.csv",
        plot=tmp_path / "plot.png",
        difference=tmp_path / "difference.tif",
    )
    s = result.stats
    assert s["n"] == 3
    # differences 3, 2, -1
    assert s["rmse"] == pytest.approx(np.sqrt(14 / 3))
    assert s["mean_difference"] == pytest.approx(4 / 3)
    assert s["std_difference"] == pytest.approx(np.sqrt(13 / 3))
    assert s["pearson_r"] == pytest.approx(116.3333 / np.sqrt(148.6667 * 92.6667), rel=1e-4)
    with open(tmp_path / "stats.csv") as f:
        table = {row["statistic"]: row["value"] for row in csv.DictReader(f)}
    assert int(table["n"]) == 3 and float(table["rmse"]) == pytest.approx(2.16025, rel=1e-4)
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    difference, grid = read_raster(tmp_path / "difference.tif")
    assert grid.epsg == 32649 and grid.x_step == 50
    np.testing.assert_allclose(np.sort(difference[np.isfinite(difference)]), [-1, 2, 3])


def test_incidence_constant_and_field_convert_to_vertical(products):
    a, b = products
    constant = compare_products(a, b, ProductComparisonOptions(incidence_a="60")).stats
    assert constant["mean_a"] == pytest.approx((30 + 8 - 4) / 3)
    from_field = compare_products(a, b, ProductComparisonOptions(incidence_a="INC")).stats
    assert from_field["mean_a"] == pytest.approx(constant["mean_a"])


def test_raster_against_points_in_another_crs(tmp_path):
    grid = Grid(X0, Y0 + 100, 25.0, -25.0, 8, 4, 32649)
    raster = np.full(grid.shape, 5.0, np.float32)
    raster[:, 4:] = -3.0
    write_geotiff(tmp_path / "rate.tif", raster, grid)
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(32649, 4326, always_xy=True)
    lon, lat = to_wgs84.transform([X0 + 30, X0 + 160], [Y0 + 60, Y0 + 40])
    write_points(
        tmp_path / "p.gpkg",
        PointSeries(
            np.array(lon), np.array(lat), 4326, [], np.zeros((2, 0)), {"VEL": np.array([4.0, -2.0])}
        ),
    )
    result = compare_products(
        tmp_path / "p.gpkg",
        tmp_path / "rate.tif",
        ProductComparisonOptions(cell_size_m=50),
        difference=tmp_path / "d.gpkg",
    )
    assert result.grid.epsg == 32649  # the raster's projected CRS is the common one
    assert result.stats["n"] == 2
    np.testing.assert_allclose(
        sorted(result.cell_a[np.isfinite(result.cell_a) & np.isfinite(result.cell_b)]), [-2, 4]
    )
    assert result.stats["mean_difference"] == pytest.approx(((4 - 5) + (-2 + 3)) / 2)


def test_bad_inputs(products, tmp_path):
    a, b = products
    with pytest.raises(InputError, match="no field 'SPEED'") as error:
        compare_products(a, b, ProductComparisonOptions(field_a="SPEED"))
    assert str(a) in str(error.value)
    far = _layer(tmp_path / "far.gpkg", [(90000, 90000, 1), (90010, 90000, 2)])
    with pytest.raises(InputError, match="does not overlap"):
        compare_products(a, far)
    with pytest.raises(InputError, match="file not found"):
        compare_products(tmp_path / "missing.gpkg", b)
    with pytest.raises(InputError, match="no field 'nonsense'"):
        compare_products(a, b, ProductComparisonOptions(incidence_b="nonsense"))


def test_cell_size_must_be_positive():
    with pytest.raises(InputError, match=r"'cell size m' = 0 m is below its minimum 0.01 m"):
        ProductComparisonOptions(cell_size_m=0)
