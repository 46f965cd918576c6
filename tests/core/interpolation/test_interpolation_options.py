"""Interpolation options: choices by name, bounds checked by the schema."""

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.grid import Grid
from insar_subsidence.core.interpolation.cnn import CnnOptions, DenseLayers
from insar_subsidence.core.interpolation.evaluation import (
    CompareOptions,
    SplitKind,
    split_kinds,
)
from insar_subsidence.core.interpolation.kriging import KrigingOptions, Variogram
from insar_subsidence.core.interpolation.rbf import RbfOptions
from insar_subsidence.core.interpolation.run import InterpolateOptions, InterpolationMethod
from insar_subsidence.core.interpolation.terrain import (
    FlowMethod,
    TerrainOptions,
    flow_accumulation,
    write_terrain_indices,
)
from insar_subsidence.core.io.geotiff import write_geotiff

GRID = Grid(x_first=500000.0, y_first=4000000.0, x_step=30.0, y_step=-30.0, length=8, width=8)


def test_unknown_choices_name_the_allowed_values():
    with pytest.raises(InputError, match=r"unknown model 'linear'.*spherical .*gaussian"):
        KrigingOptions(model="linear")
    with pytest.raises(InputError, match=r"unknown variogram model 'cubic'.*exponential"):
        Variogram("cubic", 0.0, 1.0, 1.0)(np.ones(3))
    with pytest.raises(InputError, match=r"unknown split 'loo'.*random .*block .*both"):
        CompareOptions(split="loo")
    with pytest.raises(InputError, match=r"unknown methods 'svm'.*cnn .*kriging"):
        CompareOptions(methods=("kriging", "svm"))
    with pytest.raises(InputError, match=r"unknown method 'spline'.*kriging .*idw .*rbf"):
        InterpolateOptions(method="spline")
    with pytest.raises(InputError, match=r"unknown kernel 'gaussian'.*thin_plate_spline"):
        RbfOptions(kernel="gaussian")
    with pytest.raises(InputError, match=r"unknown flow method 'mfd'.*D8 .*Dinf"):
        flow_accumulation(np.zeros((4, 4)), GRID, "mfd")


def test_choices_parse_case_insensitively():
    assert TerrainOptions(flow_method="dinf").flow_method is FlowMethod.DINF
    assert InterpolateOptions(method="IDW").method is InterpolationMethod.IDW
    assert split_kinds("both") == (SplitKind.RANDOM, SplitKind.BLOCK)
    assert split_kinds(SplitKind.BLOCK) == (SplitKind.BLOCK,)
    assert DenseLayers.SMALL.units == (256, 128)
    assert CnnOptions().dense == DenseLayers.PAPER.units


def test_unknown_terrain_index_is_refused_before_any_work(tmp_path):
    dem = write_geotiff(tmp_path / "dem.tif", np.ones(GRID.shape, np.float32), GRID)
    with pytest.raises(InputError, match=r"unknown terrain index 'curvature'.*slope .*twi"):
        write_terrain_indices(dem, {"curvature": tmp_path / "c.tif"})
    assert not (tmp_path / "c.tif").exists()


def test_bounds_are_enforced():
    with pytest.raises(InputError, match=r"'neighbours' = 0 is below its minimum 1"):
        KrigingOptions(neighbours=0)
    with pytest.raises(InputError, match=r"'folds' = 1 is below its minimum 2"):
        CompareOptions(folds=1)
    with pytest.raises(InputError, match=r"'patch size' = 2 cells is below its minimum 4 cells"):
        CnnOptions(patch_size=2)
    with pytest.raises(InputError, match=r"'min tan slope' = 2 is above its maximum 1"):
        TerrainOptions(min_tan_slope=2.0)


def test_the_comparison_trains_fewer_cnn_epochs_than_one_training():
    assert CompareOptions().cnn.epochs == 50 < CnnOptions().epochs
