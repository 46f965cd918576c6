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

    def loadAlgorithms(self) -> None:
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
