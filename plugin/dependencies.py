"""Optional Python packages: what each one enables, whether it is there, and installing the
missing ones into a folder the plugin owns.

The folder is ``<QGIS profile>/python/insar_subsidence_packages``. Packages go there with
``python -m pip install --target <folder>``, run by the interpreter of the running QGIS (found
by :func:`qgis_python`; inside QGIS ``sys.executable`` is the QGIS program itself). ``--target``
leaves the interpreter's own site-packages alone, so it works with externally managed Pythons
(Debian 12, PEP 668) and needs no administrator rights on Windows or macOS. The plugin appends
the folder to ``sys.path`` when it loads (:func:`add_packages_folder`): packages of the QGIS
installation stay first, so numpy, GDAL and h5py are never shadowed by a pip copy.

h5py is the exception: its pip wheel bundles an HDF5 library that clashes with GDAL's in the
QGIS process ("Not a datatype"), so the dialog names the package of the QGIS distribution
instead of installing it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QObject, QProcess, pyqtSignal
from qgis.PyQt.QtGui import QTextCursor
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ..core.errors import InputError

PACKAGES_FOLDER = "insar_subsidence_packages"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
MENU_PATH = "Plugins > InSAR Subsidence > Check dependencies"


@dataclass(frozen=True)
class OptionalPackage:
    """An optional package: its import and pip names, what needs it, what works without."""

    module: str
    pip_name: str
    needed_for: str
    without: str
    system_only: str = ""  # why pip must not install it, and where to get it instead


OPTIONAL_PACKAGES: List[OptionalPackage] = [
    OptionalPackage(
        "torch",
        "torch",
        "LSTM/GRU forecasts and their VMD, SSA and sparrow-search hybrids; CNN interpolation; "
        "SBAS inversion on a CUDA GPU.",
        "Forecasts with the baseline models (Persistence, Linear trend, Trend + annual "
        "harmonic); kriging, IDW and RBF interpolation; SBAS inversion on the CPU.",
    ),
    OptionalPackage(
        "pyqtgraph",
        "pyqtgraph",
        "The time-series and profile docks (interactive charts).",
        "Every Processing algorithm; profiles and forecasts still write CSV tables and PNG charts.",
    ),
    OptionalPackage(
        "h5py",
        "h5py",
        "MintPy HDF5 files: the SBAS chain from ingest to velocity, MintPy import, "
        "timeseries.h5 in the time-series dock.",
        "GeoTIFF and point-layer work: point import (EGMS, StaMPS, DePSI, CSV), profiles, "
        "cross-validation, interpolation, drivers, forecasts of point layers.",
        system_only=(
            "install the h5py of your QGIS distribution (Debian/Ubuntu: apt install "
            "python3-h5py; OSGeo4W: the python3-h5py package); a pip h5py brings its own "
            "HDF5 library, which clashes with GDAL's inside QGIS."
        ),
    ),
    OptionalPackage(
        "sklearn",
        "scikit-learn",
        "Nothing in this version.",
        "Everything: no step of this version uses it.",
    ),
]


# ---------------------------------------------------------------------------- status
def packages_folder() -> Path:
    """``<QGIS profile>/python/insar_subsidence_packages``."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / PACKAGES_FOLDER


def add_packages_folder(folder: Optional[Path] = None) -> bool:
    """Append the plugin's package folder to ``sys.path`` (after QGIS's own packages, with its
    ``.pth`` files); True when it is on the path."""
    folder = Path(folder or packages_folder())
    if not folder.is_dir():
        return False
    if str(folder) not in sys.path:
        site.addsitedir(str(folder))
        importlib.invalidate_caches()
    return True


def installed_version(package: OptionalPackage) -> Optional[str]:
    """The version of an importable package, None when it is missing.

    Raises ImportError with the reason when it is installed but does not import."""
    if importlib.util.find_spec(package.module) is None:
        return None
    module = importlib.import_module(package.module)
    try:
        return importlib.metadata.version(package.pip_name)
    except importlib.metadata.PackageNotFoundError:  # e.g. Debian's renamed h5py metadata
        return str(getattr(module, "__version__", "installed"))


# ---------------------------------------------------------------------------- pip
def _python_version(python: Path) -> Optional[str]:
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def qgis_python() -> Path:
    """The Python interpreter of the running QGIS, as a program that can run ``-m pip``.

    Inside QGIS ``sys.executable`` is the QGIS binary (``qgis``, ``qgis-bin.exe``,
    ``QGIS.app/Contents/MacOS/QGIS``), so the candidates are: ``sys.executable`` when it is a
    Python, then ``python[X.Y]`` beside ``sys.prefix`` / ``sys.exec_prefix`` (``bin/`` on Linux
    and macOS, the prefix itself on Windows, e.g. OSGeo4W's ``apps/Python3xx``), then the
    ``bin/`` beside the QGIS program (macOS bundle), then the PATH. The first that runs and
    has the same X.Y as this interpreter wins (wheels must fit this Python)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    names = [f"python{version}", "python3", "python"]
    executable = Path(sys.executable)
    candidates = []
    if re.fullmatch(r"python[0-9.]*(\.exe)?", executable.name.lower()):
        candidates.append(executable)
    prefixes = dict.fromkeys([sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix])
    for prefix in map(Path, prefixes):
        if os.name == "nt":
            candidates += [prefix / "python.exe", prefix / "python3.exe"]
        else:
            candidates += [prefix / "bin" / name for name in names]
    candidates += [executable.parent / "bin" / name for name in names]
    candidates += [Path(found) for found in map(shutil.which, names) if found]
    for candidate in dict.fromkeys(candidates):
        if candidate.is_file() and _python_version(candidate) == version:
            return candidate
    raise InputError(
        f"no Python {version} interpreter was found for this QGIS (looked for "
        f"{', '.join(names)} in {', '.join(prefixes)} and on the PATH).",
        None,
        f"install the packages with the Python {version} that comes with QGIS: "
        "python -m pip install --target <profile>/python/insar_subsidence_packages <package>.",
    )


def install_commands(
    python: Path, pip_names: Sequence[str], target: Path, cpu_torch: bool = True
) -> List[List[str]]:
    """The pip commands installing ``pip_names`` into ``target``: torch alone from the CPU
    wheel index when ``cpu_torch`` (a default Linux torch from the main index is a CUDA build
    of several GB), every other package in one command."""
    base = [
        str(python),
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--upgrade",
        "--disable-pip-version-check",
        "--no-input",
    ]
    commands = []
    others = list(pip_names)
    if cpu_torch and "torch" in others:
        others.remove("torch")
        commands.append(base + ["--index-url", TORCH_CPU_INDEX, "torch"])
    if others:
        commands.append(base + others)
    return commands


class PipInstaller(QObject):
    """Runs pip commands one after another in a QProcess (the GUI stays responsive).

    ``output(text)`` streams what pip prints; ``finished(ok)`` tells the end (ok = every
    command exited with 0). On success the target folder is put on ``sys.path``.
    """

    output = pyqtSignal(str)
    finished = pyqtSignal(bool)

    def __init__(self, commands: List[List[str]], target: Path, parent=None):
        super().__init__(parent)
        self.commands = list(commands)
        self.target = Path(target)
        self.process: Optional[QProcess] = None
        self.succeeded: Optional[bool] = None

    def start(self) -> None:
        self.target.mkdir(parents=True, exist_ok=True)
        self._next()

    def _next(self) -> None:
        if not self.commands:
            add_packages_folder(self.target)
            self._end(True)
            return
        command = self.commands.pop(0)
        self.output.emit("$ " + " ".join(command) + "\n")
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._command_finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.process.start(command[0], command[1:])

    def _read(self) -> None:
        data = bytes(self.process.readAllStandardOutput())
        self.output.emit(data.decode(errors="replace"))

    def _command_finished(self, code: int, _status=None) -> None:
        self._read()
        if code != 0:
            self.output.emit(f"pip exited with code {code}.\n")
            self._end(False)
        else:
            self._next()

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.output.emit(f"{self.process.program()} could not be started.\n")
            self._end(False)

    def _end(self, ok: bool) -> None:
        if self.succeeded is None:
            self.succeeded = ok
            self.finished.emit(ok)

    def cancel(self) -> None:
        self.commands = []
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()


# ---------------------------------------------------------------------------- dialog
class DependenciesDialog(QDialog):
    """Lists each optional package with its version or absence and what works without it;
    "Install selected" pip-installs the ticked missing ones into the plugin's folder."""

    COLUMNS = ["Package", "Installed", "Needed for", "Works without it"]

    def __init__(
        self,
        parent=None,
        packages: Sequence[OptionalPackage] = OPTIONAL_PACKAGES,
        target: Optional[Path] = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("InSAR Subsidence: optional packages")
        self.packages = list(packages)
        self.target = Path(target or packages_folder())
        self.installer: Optional[PipInstaller] = None
        self.boxes: dict = {}
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Missing packages are installed with pip into {self.target} (used by this plugin "
            "only; QGIS's own packages stay first). Restart QGIS if a package was already "
            "loaded in an older version."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(self.packages), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.cpu_torch = QCheckBox("torch: CPU-only build (about 200 MB instead of several GB)")
        self.cpu_torch.setChecked(sys.platform != "darwin")  # macOS wheels are CPU builds
        self.cpu_torch.setToolTip(f"Take torch from {TORCH_CPU_INDEX}")
        row.addWidget(self.cpu_torch, 1)
        self.install_button = QPushButton("Install selected")
        self.install_button.clicked.connect(self.install_selected)
        row.addWidget(self.install_button)
        layout.addLayout(row)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("pip output")
        layout.addWidget(self.log, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 560)
        self.refresh()

    def refresh(self) -> None:
        """Re-read every package's version and fill the table."""
        self.boxes = {}
        for r, package in enumerate(self.packages):
            try:
                version = installed_version(package)
                state = version or "missing"
            except Exception as exc:  # installed but broken: say why
                version, state = None, f"fails to import: {exc}"
            name = QTableWidgetItem(package.pip_name)
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, QTableWidgetItem(state))
            self.table.setItem(r, 2, QTableWidgetItem(package.needed_for))
            without = package.without + (
                f" To add it: {package.system_only}" if package.system_only and not version else ""
            )
            self.table.setItem(r, 3, QTableWidgetItem(without))
            if version is None and not package.system_only:
                box = QCheckBox("install")
                box.setChecked(True)
                self.table.setCellWidget(r, 1, box)
                box.setText(f"{state}: install")
                self.boxes[package.pip_name] = box
            else:
                self.table.removeCellWidget(r, 1)
        self.table.resizeColumnsToContents()
        for column in (2, 3):
            self.table.setColumnWidth(column, 300)
        self.table.resizeRowsToContents()
        self.install_button.setEnabled(bool(self.boxes) and self.installer is None)

    def selected(self) -> List[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def install_selected(self) -> Optional[PipInstaller]:
        """Start installing the ticked packages; returns the running installer."""
        names = self.selected()
        if not names or self.installer is not None:
            return None
        try:
            python = qgis_python()
        except InputError as exc:
            self.log.appendPlainText(str(exc))
            return None
        commands = install_commands(python, names, self.target, self.cpu_torch.isChecked())
        self.installer = PipInstaller(commands, self.target, self)
        self.installer.output.connect(self._append)
        self.installer.finished.connect(self._installed)
        self.install_button.setEnabled(False)
        self.installer.start()
        return self.installer

    def _append(self, text: str) -> None:
        self.log.moveCursor(QTextCursor.MoveOperation.End)
        self.log.insertPlainText(text)

    def _installed(self, ok: bool) -> None:
        self._append("Done.\n" if ok else "The installation failed (see above).\n")
        self.installer = None
        self.refresh()

    def reject(self) -> None:
        if self.installer is not None:
            self.installer.cancel()
        super().reject()
