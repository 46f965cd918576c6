"""Shared fixtures. The repository root is the plugin folder; tests import it as the installed
package ``insar_subsidence`` through a link in build/qgis_plugins (never as bare ``core``, which
would duplicate modules and their exception classes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_PARENT = ROOT / "build" / "qgis_plugins"
TEST_DATA = ROOT / "tests" / "data"


def _ensure_plugin_link() -> None:
    PLUGIN_PARENT.mkdir(parents=True, exist_ok=True)
    link = PLUGIN_PARENT / "insar_subsidence"
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    if str(PLUGIN_PARENT) not in sys.path:
        sys.path.insert(0, str(PLUGIN_PARENT))


_ensure_plugin_link()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


_LIVE_PROVIDERS = []


def register_provider():
    """Register the subsidence provider unless one is; return the registered instance."""
    from qgis.core import QgsApplication

    from insar_subsidence.processing_provider.provider import SubsidenceProvider

    registry = QgsApplication.processingRegistry()
    if registry.providerById("subsidence") is None:
        instance = SubsidenceProvider()
        assert registry.addProvider(instance)
        _LIVE_PROVIDERS.append(instance)  # keep the Python side alive (its overrides)
    return registry.providerById("subsidence")


@pytest.fixture(scope="session")
def provider(qgis_app, qgis_processing):
    """The subsidence provider registered in the Processing registry of a headless QGIS.

    The plugin unload test replaces the registered instance: call register_provider() for the
    current one instead of keeping this object across tests."""
    return register_provider()


@pytest.fixture
def run_algorithm(provider):
    """Run ``subsidence:<name>`` through processing.run and return its result dict."""
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def run(name: str, parameters: dict, feedback=None):
        context = QgsProcessingContext()
        return processing.run(
            f"subsidence:{name}",
            parameters,
            context=context,
            feedback=feedback or QgsProcessingFeedback(),
        )

    return run


class DaskCluster:
    """A running Dask cluster: its scheduler ``address`` and how many tasks its workers ran."""

    def __init__(self, address: str, client):
        self.address = address
        self._client = client

    def tasks_run(self) -> int:
        return sum(self._client.run(lambda dask_worker: dask_worker.state.executed_count).values())


@pytest.fixture(scope="session")
def dask_cluster():
    """A 2-worker Dask LocalCluster with worker processes (blocks and their arguments are
    pickled, as on a real cluster), shared by the tests that compare a step's blocks on Dask
    with its in-process answer; they skip only where the package distributed is missing."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(  # its web server on a free port: 8787 may be another's
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster.scheduler_address, set_as_default=False) as client,
    ):
        yield DaskCluster(cluster.scheduler_address, client)
