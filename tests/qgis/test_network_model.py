"""The shipped SBAS chain models load, chain our algorithms, and install into the user folder."""
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

from insar_subsidence.processing_provider.models import install_models, shipped_models

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ["ingest", "network", "closure", "reference", "inversion", "deramp", "velocity"]


def _load(path):
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(path)), path
    return model


def test_models_are_shipped():
    names = [p.name for p in shipped_models()]
    assert names == ["sbas_chain.model3", "sbas_chain_gacos.model3"]


@pytest.mark.parametrize("name, steps", [
    ("sbas_chain.model3", CHAIN),
    ("sbas_chain_gacos.model3", CHAIN[:5] + ["troposphere"] + CHAIN[5:])])
def test_model_chains_provider_algorithms(provider, name, steps):
    model = _load(ROOT / "models" / name)
    children = model.childAlgorithms()
    assert sorted(children) == sorted(steps)
    # each step consumes the previous one's output
    for before, after in zip(steps[1:-1], steps[2:], strict=True):
        assert before in model.dependsOnChildAlgorithms(after)
    registry = QgsApplication.processingRegistry()
    missing = [child.algorithmId() for child in children.values()
               if registry.algorithmById(child.algorithmId()) is None]
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
