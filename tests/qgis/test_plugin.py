"""The plugin loads in a headless QGIS, registers its provider and cleans up on unload."""

import configparser
from pathlib import Path

from qgis.core import QgsApplication

from tests.conftest import register_provider

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {
    "ingest",
    "network",
    "corrections",
    "timeseries",
    "analysis",
    "prediction",
    "interpolation",
    "drivers",
}


def test_metadata_is_complete_for_the_plugin_repository():
    config = configparser.ConfigParser()
    config.read(ROOT / "metadata.txt")
    general = config["general"]
    for key in (
        "name",
        "description",
        "about",
        "version",
        "qgisMinimumVersion",
        "author",
        "email",
        "repository",
        "tracker",
        "tags",
        "icon",
        "hasProcessingProvider",
        "changelog",
    ):
        assert general.get(key, "").strip(), key
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert (ROOT / general["icon"]).exists()


def test_class_factory_init_gui_and_unload(qgis_iface, qgis_app):
    import insar_subsidence

    registry = QgsApplication.processingRegistry()
    before = registry.providerById("subsidence")
    plugin = insar_subsidence.classFactory(qgis_iface)
    if before is not None:
        registry.removeProvider(before)
    plugin.initProcessing()
    assert registry.providerById("subsidence") is not None
    plugin.initGui()
    assert plugin.actions, "initGui adds at least one action"
    plugin.unload()
    assert registry.providerById("subsidence") is None
    assert plugin.actions == []
    register_provider()  # leave the registry as other tests expect it


def test_provider_registers_every_algorithm_with_id_group_and_help(qgis_processing):
    from insar_subsidence.processing_provider.provider import algorithm_classes

    provider = register_provider()
    algorithms = provider.algorithms()
    assert provider.id() == "subsidence"
    assert provider.name() == "InSAR Subsidence"
    assert len(algorithms) == len(algorithm_classes())
    for algorithm in algorithms:
        assert algorithm.id() == f"subsidence:{algorithm.name()}"
        assert algorithm.name() == algorithm.name().lower()
        assert algorithm.groupId() in GROUPS
        assert len(algorithm.shortHelpString()) > 40, algorithm.id()
        for parameter in algorithm.parameterDefinitions():
            assert parameter.description(), (algorithm.id(), parameter.name())


def test_readme_lists_every_algorithm_and_both_commands():
    from insar_subsidence.processing_provider.provider import algorithm_classes

    readme = (ROOT / "README.md").read_text()
    missing = [
        cls.ALGORITHM_ID
        for cls in algorithm_classes()
        if f"`subsidence:{cls.ALGORITHM_ID}`" not in readme
    ]
    assert missing == []
    assert "make demo" in readme and "make test" in readme


def test_every_parameter_has_help_and_enums_use_static_strings(qgis_processing):
    from qgis.core import QgsProcessingParameterEnum

    missing_help, index_enums = [], []
    for algorithm in register_provider().algorithms():
        for parameter in algorithm.parameterDefinitions():
            where = f"{algorithm.id()} {parameter.name()}"
            if len(parameter.help().strip()) <= 10:
                missing_help.append(where)
            if isinstance(parameter, QgsProcessingParameterEnum):
                if not parameter.usesStaticStrings():
                    index_enums.append(where)
                # the default is one of the names (or a list of them for a multiple choice),
                # so models and scripts store names
                default = parameter.defaultValue()
                defaults = default if isinstance(default, list) else [default]
                if default is not None:
                    assert set(defaults) <= set(parameter.options()), where
    assert missing_help == []
    assert index_enums == []


def test_nested_option_defaults_come_from_the_outer_options(qgis_processing):
    registry = QgsApplication.processingRegistry()
    register_provider()

    def default(algorithm, name):
        definition = registry.algorithmById(f"subsidence:{algorithm}").parameterDefinition(name)
        return definition.defaultValue()

    # ModelOptions gives the sparrow search 6 sparrows; SparrowOptions alone has 20
    assert default("forecastcompare", "SPARROW_POPULATION") == 6
    assert default("forecastcompare", "MODELS")[:2] == ["persistence", "linear_trend"]
    assert default("forecast", "MODEL") == "gru"
    assert default("compareinterpolators", "EPOCHS") == 50
    assert default("interpolatecnn", "EPOCHS") == 150
    assert default("drivingforces", "FLOW_METHOD") == "D8"
