"""The "InSAR Subsidence" Processing provider (id ``subsidence``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import List

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import algorithms
from .base import SubsidenceAlgorithm
from .models import MODELS_GROUP
from .parameters import DASK_SCHEDULER_SETTING

PLUGIN_DIR = Path(__file__).resolve().parent.parent


def algorithm_classes() -> List[type]:
    """Every concrete SubsidenceAlgorithm in ``processing_provider.algorithms``, by id."""
    found = {}
    for info in pkgutil.iter_modules(algorithms.__path__):
        module = importlib.import_module(f"{algorithms.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, SubsidenceAlgorithm)
                and cls.__module__ == module.__name__
                and getattr(cls, "ALGORITHM_ID", None)
            ):
                found[cls.ALGORITHM_ID] = cls
    return [found[key] for key in sorted(found)]


class SubsidenceProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "subsidence"

    def name(self) -> str:
        return MODELS_GROUP

    def longName(self) -> str:
        return "InSAR Subsidence Toolkit"

    def icon(self) -> QIcon:
        return QIcon(str(PLUGIN_DIR / "icon.svg"))

    def svgIconPath(self) -> str:
        return str(PLUGIN_DIR / "icon.svg")

    def load(self) -> bool:
        """Registers the provider's settings in Processing options (Providers group)."""
        from processing.core.ProcessingConfig import ProcessingConfig, Setting

        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(
            Setting(
                self.name(),
                DASK_SCHEDULER_SETTING,
                "Dask scheduler address for block-wise steps (empty = in QGIS)",
                "",
            )
        )
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        from processing.core.ProcessingConfig import ProcessingConfig

        ProcessingConfig.removeSetting(DASK_SCHEDULER_SETTING)

    def loadAlgorithms(self) -> None:
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
