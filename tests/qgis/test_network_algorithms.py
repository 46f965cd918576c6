"""Network, planning and loop-closure algorithms through processing.run."""

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from insar_subsidence.core.io.mintpy import IfgramStack
from tests.core.network_synthetic import GRID, all_pairs, dates, make_stack


def test_network_drops_incoherent_pairs_and_keeps_connected(tmp_path, run_algorithm):
    acq = dates(6)
    pairs = all_pairs(acq, max_gap=2)
    coherence = [0.05 if acq[3] in p else 0.6 for p in pairs]
    stack = make_stack(tmp_path / "stack.h5", pairs, coherence)
    result = run_algorithm(
        "network",
        {
            "INPUT": str(stack),
            "MAX_TEMPORAL_BASELINE": 24,
            "MIN_COHERENCE": 0.1,
            "EXCLUDE_DATES": acq[5].strftime("%Y%m%d"),
            "OUTPUT": str(tmp_path / "net.h5"),
            "OUTPUT_PAIRS": str(tmp_path / "pairs.csv"),
            "OUTPUT_PLOT": str(tmp_path / "net.png"),
        },
    )
    assert result["COMPONENTS"] == 1
    keep = IfgramStack.open(tmp_path / "net.h5").keep
    # pairs with date 5 excluded (2); of the three date-3 pairs two dropped, one kept by the tree
    assert result["KEPT"] == int(keep.sum()) == len(pairs) - 2 - 2
    assert (tmp_path / "pairs.csv").exists() and (tmp_path / "net.png").exists()
    assert IfgramStack.open(stack).keep.all()


def test_network_with_aoi_in_another_crs(tmp_path, run_algorithm):
    acq = dates(3)
    stack = make_stack(tmp_path / "stack.h5", all_pairs(acq), [0.5, 0.05, 0.5])
    # the whole grid, given in WGS 84 (UTM 50N around 117 E)
    result = run_algorithm(
        "network",
        {
            "INPUT": str(stack),
            "MIN_COHERENCE": 0.1,
            "KEEP_MST": False,
            "AOI": "116.9,117.1,36.0,36.2 [EPSG:4326]",
            "OUTPUT": str(tmp_path / "n.h5"),
            "OUTPUT_PAIRS": str(tmp_path / "p.csv"),
            "OUTPUT_PLOT": str(tmp_path / "p.png"),
        },
    )
    assert result["KEPT"] == 2


def test_disconnected_network_is_reported_not_failed(tmp_path, run_algorithm):
    acq = dates(4)
    stack = make_stack(tmp_path / "stack.h5", [(acq[0], acq[1]), (acq[2], acq[3])])
    result = run_algorithm(
        "network",
        {
            "INPUT": str(stack),
            "OUTPUT": str(tmp_path / "n.h5"),
            "OUTPUT_PAIRS": str(tmp_path / "p.csv"),
            "OUTPUT_PLOT": str(tmp_path / "p.png"),
        },
    )
    assert result["COMPONENTS"] == 2


def test_network_bad_inputs_name_the_file(tmp_path, run_algorithm):
    missing = tmp_path / "nothere.h5"
    with pytest.raises(QgsProcessingException, match="nothere.h5"):
        run_algorithm("network", {"INPUT": str(missing), "OUTPUT": str(tmp_path / "o.h5")})
    acq = dates(3)
    stack = make_stack(tmp_path / "stack.h5", all_pairs(acq))
    with pytest.raises(QgsProcessingException, match="stack.h5.*no pair passes"):
        run_algorithm(
            "network",
            {
                "INPUT": str(stack),
                "MAX_TEMPORAL_BASELINE": 5,
                "OUTPUT": str(tmp_path / "o.h5"),
                "OUTPUT_PAIRS": str(tmp_path / "p.csv"),
                "OUTPUT_PLOT": str(tmp_path / "p.png"),
            },
        )


def test_plan_network_from_granules(tmp_path, run_algorithm):
    names = [
        f"S1A_IW_SLC__1SDV_202001{d:02d}T101010_202001{d:02d}T101037_030000_036F1E_AAAA"
        for d in (1, 13, 25)
    ]
    names.append("S1A_IW_SLC__1SDV_20200206T101010_20200206T101037_030000_036F1E_AAAA")
    (tmp_path / "granules.txt").write_text("\n".join(names))
    result = run_algorithm(
        "plannetwork",
        {
            "INPUT": str(tmp_path / "granules.txt"),
            "MAX_TEMPORAL_BASELINE": 24,
            "MAX_CONNECTIONS": 0,
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_PLOT": str(tmp_path / "plan.png"),
        },
    )
    assert result["PAIRS"] == 5  # 3 x 12-day + 2 x 24-day
    lines = (tmp_path / "pairs.csv").read_text().splitlines()
    assert lines[1].split(",")[:2] == names[:2]
    with pytest.raises(QgsProcessingException, match="granules.txt"):
        run_algorithm(
            "plannetwork",
            {
                "INPUT": str(tmp_path / "granules.txt"),
                "START_DATE": "2020-02-06",
                "OUTPUT": str(tmp_path / "p2.csv"),
            },
        )
    # a date that is not one is refused before any work, naming the parameter and the format
    for bad in ("2020-13-45", "Feb 6"):
        with pytest.raises(QgsProcessingException, match=r"START_DATE: .* Fix: .*YYYY-MM-DD"):
            run_algorithm(
                "plannetwork",
                {
                    "INPUT": str(tmp_path / "granules.txt"),
                    "START_DATE": bad,
                    "OUTPUT": str(tmp_path / "p3.csv"),
                },
            )
    assert not (tmp_path / "p3.csv").exists()


def test_loop_closure_counts_and_cleans(tmp_path, run_algorithm):
    rng = np.random.default_rng(0)
    acq = dates(5)
    pairs = all_pairs(acq, max_gap=3)
    phase = {d: rng.normal(0, 2, GRID.shape).astype(np.float32) for d in acq}
    bad = pairs.index((acq[1], acq[2]))
    error = np.zeros(GRID.shape, np.float32)
    error[2:5, 3:6] = 2 * np.pi
    stack = make_stack(tmp_path / "s.h5", pairs, phase_by_date=phase, errors={bad: error})
    result = run_algorithm(
        "loopclosure",
        {
            "INPUT": str(stack),
            "DROP_FRACTION": 0.05,
            "OUTPUT": str(tmp_path / "count.tif"),
            "OUTPUT_STATS": str(tmp_path / "stats.csv"),
            "OUTPUT_STACK": str(tmp_path / "c.h5"),
        },
    )
    assert result["PIXELS_WITH_ERRORS"] == 9
    assert result["DROPPED"] == 1
    assert not IfgramStack.open(tmp_path / "c.h5").keep[bad]
    chain = make_stack(tmp_path / "chain.h5", all_pairs(acq, max_gap=1))
    with pytest.raises(QgsProcessingException, match="chain.h5.*no closed triplet"):
        run_algorithm(
            "loopclosure",
            {
                "INPUT": str(chain),
                "OUTPUT": str(tmp_path / "x.tif"),
                "OUTPUT_STATS": str(tmp_path / "x.csv"),
            },
        )
