"""Run Processing algorithms through the real ``qgis_process`` command line.

Debian's ``qgis_process`` wrapper passes a flag the binary rejects, so ``qgis_process.bin`` is
called directly. The environment must carry QGIS_PLUGINPATH (a folder with a link named
insar_subsidence), the enabled plugin in the profile ini and the venv site-packages on
PYTHONPATH (the Makefile's ``qgis-env`` target prepares all three).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Mapping

ROOT = Path(__file__).resolve().parent.parent


class QgisProcessError(RuntimeError):
    pass


def executable() -> str:
    for name in ("qgis_process.bin", "qgis_process"):
        found = shutil.which(name) or (
            f"/usr/lib/qgis/{name}" if Path(f"/usr/lib/qgis/{name}").exists() else None
        )
        if found:
            return found
    raise QgisProcessError("qgis_process not found: install Debian's qgis package (make setup).")


def environment() -> Dict[str, str]:
    env = dict(os.environ)
    # the plugin is enabled in the default profile; a custom one (pytest-qgis sets these) lacks it
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    env.pop("QGIS_OPTIONS_PATH", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("QGIS_PLUGINPATH", str(ROOT / "build" / "qgis_plugins"))
    for site in sorted((ROOT / ".venv" / "lib").glob("python3*/site-packages")):
        if str(site) not in env.get("PYTHONPATH", ""):
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
    return env


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _arguments(parameters: Mapping) -> list:
    """``KEY=value`` arguments; a list repeats its key once per item (qgis_process builds a
    list from repeated keys; a comma-joined value would be one path)."""
    args = []
    for key, value in parameters.items():
        if value is None:
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        args += [f"{key}={_value(item)}" for item in items]
    return args


def run(algorithm: str, parameters: Mapping, timeout: float = 3600) -> dict:
    """Run ``algorithm`` with ``parameters``; return the algorithm's results dict.

    Raises QgisProcessError with qgis_process's own message when the run fails.
    """
    args = [executable(), "run", algorithm, "--json", "--"]
    args += _arguments(parameters)
    proc = subprocess.run(args, capture_output=True, text=True, env=environment(), timeout=timeout)
    start = proc.stdout.find("{")
    if proc.returncode != 0 or start < 0:
        raise QgisProcessError(
            f"{algorithm} failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout[start:]).get("results", {})
