"""Splits, metrics, paired tests and the comparison table."""

import csv

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.interpolation.evaluation import (
    CompareOptions,
    block_folds,
    block_ids,
    compare_interpolators,
    metrics,
    paired_tests,
    random_folds,
    write_comparison,
)

RNG = np.random.default_rng(3)
XY = RNG.uniform(0, 10000, (600, 2))
# a field with structure at ~1 km: neighbours within 100 m are nearly equal, blocks are not
VALUES = np.sin(XY[:, 0] / 600) * np.cos(XY[:, 1] / 700) * 10 + 0.2 * RNG.normal(size=600)


def test_block_folds_never_share_a_block_between_train_and_test():
    folds = block_folds(XY, 1500.0, 5, seed=0)
    ids = block_ids(XY, 1500.0)
    for fold in range(5):
        test_blocks = set(ids[folds == fold])
        train_blocks = set(ids[folds != fold])
        assert test_blocks and not test_blocks & train_blocks
    assert sorted(np.unique(folds)) == list(range(5))


def test_random_folds_are_balanced_and_seeded():
    folds = random_folds(103, 5, 1)
    assert np.bincount(folds).min() >= 20
    np.testing.assert_array_equal(folds, random_folds(103, 5, 1))


def test_too_large_blocks_are_refused():
    with pytest.raises(InputError, match="blocks"):
        block_folds(XY, 20000.0, 5, 0)


def test_metrics_by_hand():
    m = metrics(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    assert m["rmse"] == pytest.approx(1.0) and m["mae"] == pytest.approx(0.5)
    assert m["r2"] == pytest.approx(1 - 4.0 / 5.0) and m["n"] == 4


def test_paired_test_separates_a_good_from_a_bad_method():
    observed = RNG.normal(size=200)
    rows = paired_tests(
        observed,
        {"good": observed + 0.01 * RNG.normal(size=200), "bad": observed + RNG.normal(size=200)},
    )
    assert rows[0]["method_a"] == "bad" and rows[0]["p_value"] < 1e-6


def test_block_cv_is_harsher_than_random_and_splits_are_shared(tmp_path):
    comparison = compare_interpolators(
        XY,
        VALUES,
        None,
        CompareOptions(folds=4, block_size=2000.0, methods=("kriging", "idw", "rbf", "cnn")),
    )
    table = {(r["method"], r["split"]): r for r in comparison.table()}
    assert {m for m, _ in table} == {"kriging", "idw", "rbf"}  # no drivers: no CNN
    for method in ("kriging", "idw", "rbf"):
        assert table[(method, "block")]["rmse"] > 1.5 * table[(method, "random")]["rmse"]
        assert table[(method, "random")]["n"] == len(VALUES)
    written = write_comparison(comparison, tmp_path / "table.csv", tmp_path / "maps", 32633)
    with open(written["table"]) as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0].keys() >= {"method", "split", "rmse", "mae", "r2"} and len(rows) == 6
    from insar_subsidence.core.io.point_layers import read_points

    errors = read_points(written["errors_block"])
    np.testing.assert_allclose(
        errors.fields["ERR_IDW"], errors.fields["PRED_IDW"] - errors.fields["OBS"], atol=1e-9
    )
    assert (tmp_path / "maps" / "paired_tests.csv").exists()
