"""Patch CNN: centre convention, label pairing, per-raster normalisation, training, save/load."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from insar_subsidence.core.errors import InputError  # noqa: E402
from insar_subsidence.core.grid import Grid  # noqa: E402
from insar_subsidence.core.interpolation.cnn import (  # noqa: E402
    CnnOptions,
    band_ranges,
    extract_patches,
    load_model,
    normalise,
    pad_for_patches,
    save_model,
    train_cnn,
    training_samples,
)

GRID = Grid(1000.0, 2000.0, 10.0, -10.0, 24, 20, 32633)
SMALL = dict(
    conv_channels=(8, 16),
    dense=(32,),
    learning_rate=1e-2,
    batch_size=32,
    epochs=60,
    patience=60,
    dropout=0.0,
    seed=0,
    threads=1,
)


def id_stack():
    """Band 0: unique id of each pixel; band 1: a second raster with another range."""
    ids = np.arange(GRID.length * GRID.width, dtype=np.float32).reshape(GRID.shape)
    return np.stack([ids, 1000.0 + 3.0 * ids])


@pytest.mark.parametrize("size", [5, 6, 30])
def test_patch_is_centred_on_the_point(size):
    stack = id_stack()
    padded = pad_for_patches(stack, size)
    rows, cols = np.array([0, 7, 19]), np.array([0, 11, 23])
    patches = extract_patches(padded, rows, cols, size)
    assert patches.shape == (3, 2, size, size)
    centre = size // 2
    np.testing.assert_array_equal(patches[:, 0, centre, centre], stack[0][rows, cols])
    # even sizes: size // 2 cells before the point, size // 2 - 1 after
    r, c = 7, 11
    before, after = size // 2, size - 1 - size // 2
    window = patches[1, 0]
    if r - before >= 0 and r + after < GRID.length and c - before >= 0 and c + after < GRID.width:
        np.testing.assert_array_equal(
            window, stack[0][r - before : r + after + 1, c - before : c + after + 1]
        )
    assert window[0, 0] == (stack[0][r - before, c - before] if r >= before and c >= before else 0)


def test_labels_stay_paired_with_their_points():
    stack = id_stack()
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, GRID.length, 200), rng.integers(0, GRID.width, 200)
    x, y = GRID.xy(rows + rng.uniform(-0.49, 0.49, 200), cols + rng.uniform(-0.49, 0.49, 200))
    x[::7] += 1e6  # some points off the grid
    labels = stack[0][rows, cols].astype(float)
    labels[::11] = np.nan  # some without a value
    mins, maxs = band_ranges(stack)
    patches, kept_labels, kept = training_samples(
        stack, GRID, np.column_stack([x, y]), labels, 30, mins, maxs
    )
    assert len(kept) == len(kept_labels) == len(patches)
    assert 0 < len(kept) < 200 and not np.isin(np.arange(0, 200, 7), kept).any()
    centre_ids = patches[:, 0, 15, 15] * (maxs[0] - mins[0]) + mins[0]
    np.testing.assert_allclose(centre_ids, kept_labels, atol=1e-2)  # every label = its pixel id


def test_normalisation_is_per_raster_not_per_column():
    stack = id_stack()
    mins, maxs = band_ranges(stack)
    np.testing.assert_allclose(mins, [0.0, 1000.0])
    np.testing.assert_allclose(maxs, [479.0, 1000.0 + 3 * 479.0])
    scaled = normalise(stack, mins, maxs)
    # both bands are the same affine function of the id: identical after per-raster scaling
    np.testing.assert_allclose(scaled[0], scaled[1], atol=1e-6)
    np.testing.assert_allclose(scaled[0], stack[0] / 479.0, atol=1e-6)
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    # a column-wise scaling would map every column to [0, 1]; per raster a column does not
    assert scaled[0][:, 0].max() < 0.98


def test_learns_a_driver_relation_and_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    driver = rng.uniform(0, 1, GRID.shape).astype(np.float32)
    stack = np.stack([driver, rng.uniform(0, 1, GRID.shape).astype(np.float32)])
    rows, cols = rng.integers(0, GRID.length, 300), rng.integers(0, GRID.width, 300)
    xy = np.column_stack(GRID.xy(rows, cols))
    values = 20.0 * driver[rows, cols] - 5.0  # depends on the centre pixel of band 0 only
    model = train_cnn(stack, GRID, xy, values, CnnOptions(patch_size=5, **SMALL), ["a", "b"])
    predicted = model.predict_points(stack, GRID, xy)
    r2 = 1 - np.sum((predicted - values) ** 2) / np.sum((values - values.mean()) ** 2)
    assert r2 > 0.8
    assert 1 <= model.best_epoch <= len(model.history)
    path = save_model(tmp_path / "model.pt", model)
    loaded = load_model(path)
    assert loaded.band_names == ["a", "b"] and loaded.options.patch_size == 5
    np.testing.assert_allclose(loaded.predict_points(stack, GRID, xy), predicted, rtol=1e-5)
    surface = loaded.predict_grid(stack, GRID)
    np.testing.assert_allclose(surface[rows, cols], predicted, rtol=1e-4, atol=1e-4)
    with pytest.raises(InputError, match="3 bands"):
        loaded.predict_points(np.concatenate([stack, stack[:1]]), GRID, xy)


def test_paper_architecture_builds():
    from insar_subsidence.core.interpolation.cnn import build_network

    network = build_network(9, CnnOptions())
    out = network.eval()(torch.zeros(2, 9, 30, 30))
    assert out.shape == (2, 1)
    linear = [m.out_features for m in network.modules() if isinstance(m, torch.nn.Linear)]
    assert linear == [1024, 1024, 512, 512, 256, 1]
    kernels = [m.kernel_size for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    assert kernels == [(1, 1), (3, 3)] * 3


def test_bad_model_file_names_it(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(InputError, match="bad.pt"):
        load_model(tmp_path / "bad.pt")
