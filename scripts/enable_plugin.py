"""Enable a plugin in a QGIS profile ini (QGIS 3.22 has no `qgis_process plugins enable`).

Usage: enable_plugin.py PATH/TO/QGIS3.ini PLUGIN_NAME. Idempotent; keeps every other setting.
"""

import configparser
import sys
from pathlib import Path


def enable(ini_path: Path, plugin: str) -> None:
    config = configparser.RawConfigParser()
    config.optionxform = str  # QGIS keys are case-sensitive
    if ini_path.exists():
        config.read(ini_path)
    if not config.has_section("PythonPlugins"):
        config.add_section("PythonPlugins")
    if config.get("PythonPlugins", plugin, fallback=None) == "true":
        return
    config.set("PythonPlugins", plugin, "true")
    ini_path.parent.mkdir(parents=True, exist_ok=True)
    with open(ini_path, "w") as handle:
        config.write(handle, space_around_delimiters=False)


if __name__ == "__main__":
    enable(Path(sys.argv[1]), sys.argv[2])
