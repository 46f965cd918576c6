"""The shipped SBAS chain models load, chain our algorithms, and install into the user folder."""

from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

from insar_subsidence.processing_provider.models import install_models, shipped_models

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ["ingest", "network", "closure", "reference", "inversion", "deramp", "demerror", "velocity"]


def _load(path):
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(path)), path
    return model


def test_models_are_shipped():
    names = [p.name for p in shipped_models()]
    assert names == ["sbas_chain.model3", "sbas_chain_gacos.model3"]


@pytest.mark.parametrize(
    "name, steps",
    [
        ("sbas_chain.model3", CHAIN),
        ("sbas_chain_gacos.model3", CHAIN[:5] + ["troposphere"] + CHAIN[5:]),
    ],
)
def test_model_chains_provider_algorithms(provider, name, steps):
    model = _load(ROOT / "models" / name)
    children = model.childAlgorithms()
    assert sorted(children) == sorted(steps)
    # each step consumes the previous one's output
    for before, after in zip(steps[1:-1], steps[2:], strict=True):
        assert before in model.dependsOnChildAlgorithms(after)
    registry = QgsApplication.processingRegistry()
    missing = [
        child.algorithmId()
        for child in children.values()
        if registry.algorithmById(child.algorithmId()) is None
    ]
    assert missing == [], f"model steps without an algorithm: {missing}"
    # reload against the registered algorithms: every wired parameter name must exist
    model = _load(ROOT / "models" / name)
    for child in model.childAlgorithms().values():
        names = {p.name() for p in child.algorithm().parameterDefinitions()}
        assert set(child.parameterSources()) <= names, child.childId()
    valid, issues = model.validate()
    assert valid, issues


def test_install_copies_only_missing_models(tmp_path, qgis_app):
    (tmp_path / "sbas_chain.model3").write_text("user's edited copy")
    copied = install_models(tmp_path)
    assert [p.name for p in copied] == ["sbas_chain_gacos.model3"]
    assert (tmp_path / "sbas_chain.model3").read_text() == "user's edited copy"
    assert install_models(tmp_path) == []


@pytest.mark.parametrize("name", ["sbas_chain.model3", "sbas_chain_gacos.model3"])
def test_model_runs_from_hyp3_products_to_velocity(provider, tmp_path, name):
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    from insar_subsidence.core.demo.extensions import gacos
    from insar_subsidence.core.io.geotiff import read_raster
    from insar_subsidence.core.progress import silent
    from tests.core.ingest_helpers import write_small_products

    scene, folder = write_small_products(tmp_path / "hyp3")
    extra = {}
    if "gacos" in name:
        extra["GACOS_FOLDER"] = str(
            gacos.write(scene, tmp_path, np.random.default_rng(0), silent)["gacos"]
        )
    model = _load(ROOT / "models" / name)
    outputs = {
        "velocity:velocity_los": str(tmp_path / "vel.tif"),
        "velocity:velocity_vertical": str(tmp_path / "vertical.tif"),
        "demerror:timeseries": str(tmp_path / "ts.h5"),
        "inversion:temporal_coherence": str(tmp_path / "tcoh.h5"),
        "network:network_plot": str(tmp_path / "network.png"),
        # something to look at after every .h5 step
        "ingest:ingest_quicklook": str(tmp_path / "ql_ingest.tif"),
        "network:network_quicklook": str(tmp_path / "ql_network.tif"),
        "closure:loop_closure": str(tmp_path / "closure.tif"),
        "inversion:inversion_quicklook": str(tmp_path / "ql_cumulative.tif"),
        "inversion:coherence_quicklook": str(tmp_path / "ql_tcoh.tif"),
        "velocity:velocity_classes": str(tmp_path / "classes.tif"),
    }
    result = processing.run(
        model,
        {
            "HYP3_FOLDER": str(folder),
            "MAX_TEMPORAL_BASELINE": 0,
            "MAX_PERP_BASELINE": 0,
            "MIN_COHERENCE": 0.1,
            **extra,
            **outputs,
        },
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )
    assert set(outputs) <= set(result)
    for name in ("ql_ingest", "ql_network", "ql_tcoh"):
        coherence, _ = read_raster(tmp_path / f"{name}.tif", band=1)
        assert 0.2 < np.nanmean(coherence) <= 1.0, name
    pairs, _ = read_raster(tmp_path / "ql_network.tif", band=2)
    assert np.nanmax(pairs) >= 9  # 10 dates: at least a spanning tree of kept pairs
    closure, _ = read_raster(tmp_path / "closure.tif")
    assert np.nanmin(closure) >= 0
    cumulative, _ = read_raster(tmp_path / "ql_cumulative.tif")
    assert np.isfinite(cumulative).mean() > 0.5
    classes, _ = read_raster(tmp_path / "classes.tif")
    assert set(np.unique(classes[np.isfinite(classes)])) <= {0, 1, 2, 3, 4}
    vertical, _ = read_raster(tmp_path / "vertical.tif")
    truth = scene.vertical_velocity() * 1000
    finite = np.isfinite(vertical)
    assert finite.mean() > 0.5
    # 10 dates over 108 days: turbulence dominates single pixels, but the bowls stand out
    assert np.corrcoef(vertical[finite], truth[finite])[0, 1] > 0.3
    bowls = finite & (truth < -30)
    assert np.mean(vertical[bowls] - np.nanmedian(vertical)) < -15


@pytest.mark.parametrize("name", ["sbas_chain.model3", "sbas_chain_gacos.model3"])
def test_model_layout_is_readable(provider, name):
    """In the modeler no box overlaps another and every label fits its box (the modeler cuts
    a label to the box width, after the icon and margins: 40 px here)."""
    from qgis.PyQt.QtCore import QRectF
    from qgis.PyQt.QtGui import QFont, QFontMetricsF

    model = _load(ROOT / "models" / name)
    components = [
        (component.description() or parameter_name, component)
        for parameter_name, component in model.parameterComponents().items()
    ]
    for child in model.childAlgorithms().values():
        components.append((child.description(), child))
        components.extend((output.name(), output) for output in child.modelOutputs().values())
    font = QFont()
    font.setPixelSize(12)  # the modeler's component font
    metrics = QFontMetricsF(font)
    boxes = []
    for label, component in components:
        size, centre = component.size(), component.position()
        box = QRectF(
            centre.x() - size.width() / 2,
            centre.y() - size.height() / 2,
            size.width(),
            size.height(),
        )
        if isinstance(component, type(next(iter(model.parameterComponents().values())))):
            label = model.parameterDefinition(component.parameterName()).description()
        assert metrics.horizontalAdvance(label) + 40 <= size.width(), (label, size.width())
        for other_label, other in boxes:
            assert not box.intersects(other), (label, other_label)
        boxes.append((label, box))
