"""ingestgeotiff through processing.run on GAMMA-style exports: the coherence of ``*_cc.tif``
files is found by default, other names through COHERENCE_PATTERN, and without coherence the
stack has none (a warning says so) and inverts unweighted."""

import pytest

from insar_subsidence.core.io.mintpy import IfgramStack


@pytest.fixture(scope="module")
def exports(provider, tmp_path_factory):
    from osgeo import gdal

    from insar_subsidence.core.demo import make_scene
    from insar_subsidence.core.demo.hyp3 import write_hyp3_products
    from insar_subsidence.core.io.hyp3 import discover_products

    products = tmp_path_factory.mktemp("hyp3")
    write_hyp3_products(make_scene(seed=5, size=20, n_acquisitions=4), products)
    folder = tmp_path_factory.mktemp("gamma")
    for product in discover_products(products):
        stem = f"{product.pair[0]:%Y%m%d}_{product.pair[1]:%Y%m%d}"
        gdal.Translate(str(folder / f"{stem}_eqa_unw.tif"), product.raster("unw_phase"))
        gdal.Translate(str(folder / f"{stem}_eqa_quality.tif"), product.raster("corr"))
    return folder


def test_a_user_coherence_pattern_is_read(exports, run_algorithm, tmp_path):
    result = run_algorithm(
        "ingestgeotiff",
        {
            "INPUT": str(exports),
            "COHERENCE_PATTERN": r"_quality\.",
            "OUTPUT": str(tmp_path / "stack.h5"),
        },
    )
    stack = IfgramStack.open(result["OUTPUT"])
    assert "coherence" in stack.datasets and stack.num_pairs == result["NUM_PAIRS"]


def test_without_recognised_coherence_the_stack_has_none_and_inverts_unweighted(
    exports, run_algorithm, tmp_path
):
    from qgis.core import QgsProcessingFeedback

    class Errors(QgsProcessingFeedback):
        """What the log tells (a line is written once: a warning core also reported as
        progress stays the info line it was first written as)."""

        messages = []

        def reportError(self, error, fatalError=False):  # noqa: N803 (Qt name)
            self.messages.append(error)

        def pushWarning(self, warning):  # noqa: N802 (Qt name)
            self.messages.append(warning)

        def pushInfo(self, info):  # noqa: N802 (Qt name)
            self.messages.append(info)

    feedback = Errors()
    result = run_algorithm(
        "ingestgeotiff", {"INPUT": str(exports), "OUTPUT": str(tmp_path / "s.h5")}, feedback
    )
    assert "coherence" not in IfgramStack.open(result["OUTPUT"]).datasets
    assert any("No coherence GeoTIFFs recognised" in m for m in feedback.messages), (
        feedback.messages
    )
    inverted = run_algorithm(
        "sbasinversion",
        {
            "INPUT": result["OUTPUT"],
            "WEIGHT": "none",
            "OUTPUT": str(tmp_path / "ts.h5"),
            "OUTPUT_TCOH": str(tmp_path / "tc.h5"),
        },
    )
    assert (tmp_path / "ts.h5").exists() and inverted
