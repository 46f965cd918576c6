"""Processing models shipped with the plugin (``models/*.model3``).

:func:`install_models` copies each shipped model into the user's Processing models folder when
no file of that name is there yet (a user's edited copy is never overwritten), then refreshes
the "Models" provider so the models appear in the toolbox. Call it from ``initProcessing``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

from qgis.core import QgsApplication

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
#: the toolbox group of the shipped models: the provider's name, so that one search shows both
MODELS_GROUP = "InSAR Subsidence"


def user_models_folder() -> Path:
    """The first folder Processing loads models from (its setting, else the profile default)."""
    try:
        from processing.modeler.ModelerUtils import ModelerUtils

        folders = [f for f in ModelerUtils.modelsFolders() if f]
        if folders:
            return Path(folders[0])
    except ImportError:  # Processing plugin not loaded
        pass
    return Path(QgsApplication.qgisSettingsDirPath()) / "processing" / "models"


def shipped_models() -> List[Path]:
    return sorted(MODELS_DIR.glob("*.model3"))


def install_models(folder: Path = None) -> List[Path]:
    """Copy shipped models missing from ``folder`` (default: the user's models folder);
    return the paths copied."""
    folder = Path(folder) if folder else user_models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for model in shipped_models():
        target = folder / model.name
        if not target.exists():
            shutil.copyfile(model, target)
            copied.append(target)
    if copied:
        provider = QgsApplication.processingRegistry().providerById("model")
        if provider is not None:
            provider.refreshAlgorithms()
    return copied
