"""Kriging, IDW and RBF against known answers."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.interpolation.common import merge_duplicates
from insar_subsidence.core.interpolation.idw import IdwOptions, idw_predictor
from insar_subsidence.core.interpolation.kriging import (
    KrigingOptions,
    OrdinaryKriging,
    Variogram,
    fit_variogram,
)
from insar_subsidence.core.interpolation.rbf import rbf_predictor
from insar_subsidence.core.interpolation.run import (
    InterpolateOptions,
    interpolate_points,
)
from insar_subsidence.core.io.geotiff import read_raster
from tests.paths import PEER_PYTHON

RNG = np.random.default_rng(5)
XY = RNG.uniform(0, 5000, (400, 2)) + [600000, 4000000]
VALUES = np.sin(XY[:, 0] / 800) + 0.05 * RNG.normal(size=400)


@pytest.mark.parametrize(
    "make",
    [
        lambda xy, v: OrdinaryKriging(xy, v).predict,
        lambda xy, v: idw_predictor(xy, v),
        lambda xy, v: rbf_predictor(xy, v),
    ],
)
def test_exact_at_the_data_points(make):
    predict = make(XY, VALUES)
    np.testing.assert_allclose(predict(XY), VALUES, atol=1e-8)


def test_kriging_of_a_linear_field_on_a_regular_grid():
    # With a symmetric neighbourhood, ordinary-kriging weights (sum 1) are symmetric, so a
    # linear field is reproduced exactly at cell midpoints, whatever the variogram.
    gx, gy = np.meshgrid(np.arange(20) * 100.0, np.arange(20) * 100.0)
    grid_xy = np.column_stack([gx.ravel(), gy.ravel()])
    field = 3.0 * grid_xy[:, 0] - 2.0 * grid_xy[:, 1] + 7.0
    query = np.array([[950.0, 950.0], [550.0, 1250.0], [1450.0, 650.0]])
    for model in ("spherical", "exponential", "gaussian"):
        kriging = OrdinaryKriging(grid_xy, field, KrigingOptions(model=model, neighbours=16))
        estimate, variance = kriging.predict(query, return_variance=True)
        np.testing.assert_allclose(estimate, 3 * query[:, 0] - 2 * query[:, 1] + 7, rtol=1e-6)
        assert (variance > 0).all()
    _, at_data = kriging.predict(grid_xy[:5], return_variance=True)
    np.testing.assert_allclose(at_data, 0.0, atol=1e-6)


def test_variogram_fit_recovers_a_known_range():
    # a field smoothed at a known scale: the fitted sill is near the variance and the range
    # is of the order of the correlation length, not of the extent
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(RNG.normal(size=(200, 200)), 8)
    rows, cols = np.nonzero(np.ones_like(field, dtype=bool))
    pick = RNG.choice(rows.size, 5000, replace=False)
    xy = np.column_stack([cols[pick], rows[pick]]).astype(float) * 10.0
    values = field.ravel()[pick]
    vario = fit_variogram(xy, values, KrigingOptions(model="gaussian", variogram_sample=1500))
    assert vario.nugget + vario.psill == pytest.approx(values.var(), rel=0.3)
    assert 100 < vario.range < 600  # 8-cell gaussian filter, 10 m cells: ~ 8*10*sqrt(6)


def test_variogram_models():
    h = np.array([0.0, 50.0, 100.0, 1000.0])
    sph = Variogram("spherical", 0.1, 1.0, 100.0)(h)
    np.testing.assert_allclose(sph, [0.0, 0.1 + 1.5 * 0.5 - 0.5 * 0.125, 1.1, 1.1])
    exp = Variogram("exponential", 0.0, 2.0, 100.0)(h)
    assert exp[2] == pytest.approx(2.0 * (1 - np.exp(-3)))


def test_idw_weights_by_hand():
    xy = np.array([[0.0, 0.0], [2.0, 0.0]])
    predict = idw_predictor(xy, np.array([1.0, 4.0]), IdwOptions(power=2, neighbours=2))
    # at x = 0.5: weights 1/0.25 = 4 and 1/2.25; (4*1 + 4/9*4) / (4 + 4/9) = 1.3
    assert predict(np.array([[0.5, 0.0]]))[0] == pytest.approx(1.3)


def test_duplicates_are_averaged():
    xy, values = merge_duplicates(
        np.array([[0.0, 0], [0, 0], [1, 1], [2, 2]]), np.array([1.0, 3.0, 5.0, np.nan])
    )
    assert len(values) == 2 and sorted(values) == [2.0, 5.0]


def test_interpolate_file_writes_raster_and_variance(tmp_path):
    from insar_subsidence.core.io.point_layers import PointSeries, write_points

    write_points(
        tmp_path / "p.gpkg",
        PointSeries(XY[:, 0], XY[:, 1], 32633, [], np.zeros((400, 0)), {"VEL": VALUES}),
    )
    written = interpolate_points(
        tmp_path / "p.gpkg",
        "VEL",
        tmp_path / "k.tif",
        InterpolateOptions(cell_size=250.0),
        variance_output=tmp_path / "var.tif",
    )
    surface, grid = read_raster(written["raster"])
    assert grid.epsg == 32633 and grid.shape == (20, 20)
    rows, cols = np.indices(grid.shape)
    x, _ = grid.xy(rows, cols)
    assert np.corrcoef(surface.ravel(), np.sin(x.ravel() / 800))[0, 1] > 0.95
    variance, _ = read_raster(written["variance"])
    assert (variance >= 0).all() and variance.max() > 0
    with pytest.raises(InputError, match="p.gpkg"):
        interpolate_points(tmp_path / "p.gpkg", "NOPE", tmp_path / "x.tif")


def test_real_egms_points_kriging_beats_the_mean(test_data):
    from insar_subsidence.core.interpolation.common import read_point_samples
    from insar_subsidence.core.interpolation.evaluation import metrics, random_folds

    xy, values, layer = read_point_samples(
        test_data / "interpolation" / "egms_l3_velocity.gpkg", "VEL"
    )
    assert layer.epsg == 3035 and len(values) == 522
    test = random_folds(len(values), 5, 0) == 0
    predicted = OrdinaryKriging(xy[~test], values[~test]).predict(xy[test])
    assert metrics(values[test], predicted)["rmse"] < values[test].std()


def test_same_predictions_as_pykrige_with_the_same_variogram(tmp_path):
    import json
    import subprocess

    peer = PEER_PYTHON
    if not peer.exists():
        pytest.skip("peer venv missing: run `make peers`")
    query = RNG.uniform(0, 5000, (50, 2)) + [600000, 4000000]
    kriging = OrdinaryKriging(XY, VALUES, KrigingOptions(model="spherical", neighbours=12))
    v = kriging.variogram
    np.savez(tmp_path / "data.npz", xy=XY, z=VALUES, q=query)
    variogram = {"sill": v.nugget + v.psill, "range": v.range, "nugget": v.nugget}
    code = (
        "import json, sys, numpy as np\n"
        "from pykrige.ok import OrdinaryKriging\n"
        f"d = np.load({str(tmp_path / 'data.npz')!r})\n"
        "ok = OrdinaryKriging(d['xy'][:, 0], d['xy'][:, 1], d['z'], variogram_model='spherical',"
        f" variogram_parameters={json.dumps(variogram)})\n"
        "z, s = ok.execute('points', d['q'][:, 0], d['q'][:, 1], backend='loop',"
        " n_closest_points=12)\n"
        "print(json.dumps(np.asarray(z).tolist()))\n"
    )
    result = subprocess.run([str(peer), "-c", code], capture_output=True, text=True, timeout=120)
    if result.returncode != 0 and "No module named 'pykrige'" in result.stderr:
        pytest.skip("pykrige is not installed in the peer venv")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(kriging.predict(query), json.loads(result.stdout), atol=1e-8)
