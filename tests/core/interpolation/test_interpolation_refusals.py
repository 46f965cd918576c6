"""Interpolation of too few or degenerate points: kriging of 3 points is no flat mean surface
and says its variogram is a default; RBF on collinear points is refused naming the layer."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.interpolation.run import InterpolateOptions, interpolate_points
from insar_subsidence.core.io.geotiff import read_raster
from insar_subsidence.core.io.point_layers import PointSeries, write_points


def _layer(path, xy, values):
    xy = np.asarray(xy, float)
    write_points(
        path,
        PointSeries(
            600000 + xy[:, 0],
            3900000 + xy[:, 1],
            32649,
            [],
            np.zeros((len(xy), 0)),
            {"VEL": np.asarray(values, float)},
        ),
    )
    return path


def test_kriging_of_three_points_varies_between_them_and_warns(tmp_path):
    layer = _layer(tmp_path / "three.gpkg", [(0, 0), (1000, 200), (400, 900)], [-10, -2, -5])
    messages = []
    interpolate_points(
        layer,
        "VEL",
        tmp_path / "k.tif",
        InterpolateOptions(method="kriging", cell_size=50.0),
        progress=lambda f, m="": messages.append(m) or True,
    )
    surface, _ = read_raster(tmp_path / "k.tif")
    assert np.nanstd(surface) > 0.3 * np.std([-10, -2, -5])  # not the mean everywhere
    assert np.nanmin(surface) == pytest.approx(-10, abs=0.5)
    assert any("too few pairs to fit a variogram" in m for m in messages)


@pytest.mark.parametrize("xy", [[(0, 0), (100, 100), (200, 200), (300, 300)]])
def test_rbf_on_collinear_points_is_refused_naming_the_layer(tmp_path, xy):
    layer = _layer(tmp_path / "line.gpkg", xy, [1, 2, 3, 4])
    with pytest.raises(InputError, match="lie on one line or coincide") as error:
        interpolate_points(layer, "VEL", tmp_path / "r.tif", InterpolateOptions(method="rbf"))
    assert error.value.path == str(layer)
    assert not (tmp_path / "r.tif").exists()
