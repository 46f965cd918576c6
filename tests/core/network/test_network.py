"""Network selection: baseline rules, coherence drop with spanning tree, reports, planning."""

import datetime as dt

import numpy as np
import pytest

from insar_subsidence.core.errors import InputError
from insar_subsidence.core.io.mintpy import IfgramStack
from insar_subsidence.core.network.selection import (
    PairSelectionOptions,
    acquisition_bperp,
    connected_components,
    granule_dates,
    modify_network,
    plan_network,
    plan_network_files,
    read_acquisitions,
    select_network,
    spanning_tree,
)
from tests.core.network_synthetic import all_pairs, dates, make_stack


def test_baseline_rules_drop_long_and_large_pairs():
    acq = dates(5)
    pairs = all_pairs(acq, max_gap=4)
    bperp = {d: b for d, b in zip(acq, [0, 100, -50, 300, 20], strict=True)}
    pair_bperp = [bperp[b] - bperp[a] for a, b in pairs]
    options = PairSelectionOptions(max_temporal_baseline=24, max_perp_baseline=200, min_coherence=0)
    result = select_network(pairs, pair_bperp, np.ones(len(pairs)), options)
    kept = {p for p, k in zip(pairs, result.keep, strict=True) if k}
    # 12/24-day pairs with |dB| <= 200 m only: (0,1) 100, (0,2) 50, (1,2) 150, (2,4) 70,
    # (1,3) 200; (2,3) 350 and (3,4) 280 fail the perpendicular baseline
    expect = {
        (acq[0], acq[1]),
        (acq[0], acq[2]),
        (acq[1], acq[2]),
        (acq[1], acq[3]),
        (acq[2], acq[4]),
    }
    assert kept == expect
    reasons = dict(zip(pairs, result.reasons, strict=True))
    assert reasons[(acq[2], acq[3])] == "perpendicular baseline"
    assert reasons[(acq[0], acq[3])] == "temporal baseline"


def test_max_connections_date_range_and_excluded_dates():
    acq = dates(6)
    pairs = all_pairs(acq, max_gap=5)
    options = PairSelectionOptions(
        max_connections=2, start_date=acq[1], exclude_dates=[acq[3]], min_coherence=0
    )
    result = select_network(pairs, np.zeros(len(pairs)), np.ones(len(pairs)), options)
    kept = sorted(p for p, k in zip(pairs, result.keep, strict=True) if k)
    # selected dates 1,2,4,5 -> neighbours within 2 positions
    assert kept == [
        (acq[1], acq[2]),
        (acq[1], acq[4]),
        (acq[2], acq[4]),
        (acq[2], acq[5]),
        (acq[4], acq[5]),
    ]
    assert acq[0] not in [d for part in result.components for d in part]


def test_low_coherence_drop_keeps_spanning_tree_connectivity(tmp_path):
    acq = dates(6)
    pairs = all_pairs(acq, max_gap=2)
    # every pair touching the 4th acquisition is incoherent: dropping them all would isolate it
    coherence = [0.05 if acq[3] in p else 0.6 for p in pairs]
    coherence[pairs.index((acq[2], acq[3]))] = 0.08
    stack = make_stack(tmp_path / "in.h5", pairs, coherence)
    out = tmp_path / "out.h5"
    with_tree = modify_network(
        stack,
        out,
        PairSelectionOptions(min_coherence=0.1),
        tmp_path / "pairs.csv",
        tmp_path / "network.png",
    )
    assert len(with_tree.components) == 1
    kept = {p for p, k in zip(pairs, with_tree.keep, strict=True) if k}
    assert (acq[2], acq[3]) in kept  # the most coherent link of the isolated date
    assert sum(acq[3] in p for p in kept) == 1
    assert with_tree.weak_dates == [acq[3], acq[5]]  # the last date keeps only (4, 5)
    assert IfgramStack.open(out).keep.tolist() == with_tree.keep.tolist()
    assert IfgramStack.open(stack).keep.all(), "input untouched"
    assert (tmp_path / "network.png").stat().st_size > 1000
    rows = (tmp_path / "pairs.csv").read_text().splitlines()
    assert rows[0].startswith("reference_date,secondary_date")
    assert len(rows) == len(pairs) + 1 and "spanning tree" in "".join(rows)

    no_tree = modify_network(
        stack, tmp_path / "out2.h5", PairSelectionOptions(min_coherence=0.1, keep_mst=False)
    )
    assert len(no_tree.components) == 2
    assert [acq[3]] in no_tree.components
    assert len(no_tree.bridges) == 1
    assert no_tree.bridges[0][:2] == (acq[2], acq[3])
    assert "coherence 0.08" in no_tree.bridges[0][2]


def test_spanning_tree_follows_most_coherent_pairs():
    acq = dates(3)
    pairs = [(acq[0], acq[1]), (acq[1], acq[2]), (acq[0], acq[2])]
    mask = spanning_tree(pairs, 1 - np.array([0.9, 0.2, 0.7]))
    assert mask.tolist() == [True, False, True]


def test_components_and_acquisition_bperp():
    acq = dates(4)
    parts = connected_components([(acq[0], acq[1]), (acq[2], acq[3])])
    assert parts == [[acq[0], acq[1]], [acq[2], acq[3]]]
    bperp = acquisition_bperp(
        [(acq[0], acq[1]), (acq[1], acq[2]), (acq[0], acq[2])], [30.0, -10.0, 20.0]
    )
    assert np.allclose(bperp, [0, 30, 20])


def test_aoi_restricts_the_coherence_measure(tmp_path):
    acq = dates(3)
    pairs = all_pairs(acq)
    stack = make_stack(tmp_path / "in.h5", pairs, [0.5, 0.5, 0.5])
    import h5py

    with h5py.File(stack, "a") as f:
        coh = f["coherence"][()]
        coh[0, :, :6] = 0.0  # pair 0 incoherent in the western half only
        f["coherence"][...] = coh
    opts = dict(min_coherence=0.3, keep_mst=False)
    whole = modify_network(stack, tmp_path / "a.h5", PairSelectionOptions(**opts))
    east = modify_network(
        stack,
        tmp_path / "b.h5",
        PairSelectionOptions(aoi=(500650.0, 3999000.0, 501200.0, 4000000.0), **opts),
    )
    west = modify_network(
        stack,
        tmp_path / "c.h5",
        PairSelectionOptions(aoi=(500000.0, 3999000.0, 500550.0, 4000000.0), **opts),
    )
    assert whole.mean_coherence[0] == pytest.approx(0.25)
    assert east.keep.tolist() == [True, True, True]
    assert west.keep.tolist() == [False, True, True]
    with pytest.raises(InputError, match="does not overlap"):
        modify_network(stack, tmp_path / "d.h5", PairSelectionOptions(aoi=(0, 0, 10, 10)))


def test_output_may_not_overwrite_input(tmp_path):
    acq = dates(3)
    stack = make_stack(tmp_path / "in.h5", all_pairs(acq))
    with pytest.raises(InputError, match="in.h5"):
        modify_network(stack, stack)


def test_plan_from_csv_and_granules(tmp_path):
    csv_path = tmp_path / "acq.csv"
    csv_path.write_text(
        "date,bperp\n20200101,0\n2020-01-13,40\n20200125,-200\n20200206,10\n20200218,30\n"
    )
    acq = read_acquisitions(csv_path)
    assert [a.bperp for a in acq] == [0, 40, -200, 10, 30]
    result = plan_network(
        acq,
        PairSelectionOptions(max_temporal_baseline=24, max_perp_baseline=150, max_connections=2),
    )
    kept = {
        (a.strftime("%m%d"), b.strftime("%m%d"))
        for (a, b), k in zip(result.pairs, result.keep, strict=True)
        if k
    }
    # 0125 is >150 m from everyone within 24 d: a bridge is added to keep it connected
    assert ("0101", "0113") in kept and ("0206", "0218") in kept
    assert len(result.components) == 1
    assert any(r == "kept: bridge" for r in result.reasons)

    granules = tmp_path / "granules.txt"
    granules.write_text(
        "S1A_IW_SLC__1SDV_20200101T101010_20200101T101037_030000_036F1E_AAAA\n"
        "S1A_IW_SLC__1SDV_20200113T101010_20200113T101037_030175_037532_BBBB\n"
        "S1B_IW_SLC__1SDV_20200119T101010_20200119T101037_019775_025A5C_CCCC\n"
    )
    out = tmp_path / "pairs.csv"
    plan_network_files(granules, out, tmp_path / "plan.png")
    lines = out.read_text().splitlines()
    assert lines[0].startswith("reference_granule,secondary_granule")
    assert len(lines) == 1 + 3
    assert lines[1].split(",")[0].startswith("S1A_IW_SLC__1SDV_20200101")
    assert granule_dates("S1_056072_IW2_20220814_20220907_VV_INT80_E09B") == [
        dt.date(2022, 8, 14),
        dt.date(2022, 9, 7),
    ]
    assert granule_dates("S1AA_20190610T135156_20190622T135157_VVP012_INT80_G_ueF_F8BF") == [
        dt.date(2019, 6, 10),
        dt.date(2019, 6, 22),
    ]
    products = tmp_path / "products.txt"
    products.write_text(
        "S1AA_20190610T135156_20190622T135157_VVP012_INT80_G_ueF_F8BF\n"
        "S1AA_20190622T135156_20190704T135157_VVP012_INT80_G_ueF_0000\n"
    )
    assert [a.date.day for a in read_acquisitions(products)] == [10, 22, 4]


def test_bad_acquisition_list_names_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not_a_granule\n")
    with pytest.raises(InputError, match="bad.txt"):
        read_acquisitions(bad)
    one = tmp_path / "one.csv"
    one.write_text("date,bperp\n20200101,0\n")
    with pytest.raises(InputError, match="one.csv"):
        read_acquisitions(one)


def test_selection_options_are_bounded_and_planning_keeps_the_help():
    from insar_subsidence.core.network.selection import NetworkPlanOptions
    from insar_subsidence.core.options import option_spec

    with pytest.raises(InputError, match=r"'min coherence' = 1.2 is above its maximum 1"):
        PairSelectionOptions(min_coherence=1.2)
    with pytest.raises(InputError, match=r"'max connections' = -1 is below its minimum 0"):
        PairSelectionOptions(max_connections=-1)
    plan = NetworkPlanOptions()
    assert (plan.max_temporal_baseline, plan.max_perp_baseline, plan.max_connections) == (
        84,
        150,
        3,
    )
    assert PairSelectionOptions().max_temporal_baseline is None
    for name in ("max_temporal_baseline", "max_perp_baseline", "max_connections"):
        spec = option_spec(NetworkPlanOptions, name)
        assert spec.help_text() == option_spec(PairSelectionOptions, name).help_text()
    with pytest.raises(InputError, match=r"'max perp baseline' = -5 m is below its minimum 0 m"):
        NetworkPlanOptions(max_perp_baseline=-5)
