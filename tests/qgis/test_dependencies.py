"""The "Check dependencies" dialog: package status, the interpreter that runs pip, a real pip
install into a temporary folder, the folder on sys.path at plugin load, and the messages that
send users there."""

import importlib
import importlib.metadata
import sys
import time

import pytest

from insar_subsidence.plugin.dependencies import (
    OPTIONAL_PACKAGES,
    TORCH_CPU_INDEX,
    DependenciesDialog,
    OptionalPackage,
    add_packages_folder,
    install_commands,
    installed_version,
    qgis_python,
)

MISSING = OptionalPackage("no_such_module_here", "no-such-package-here", "tests", "all")


def test_each_optional_package_with_its_version_or_absence(qgis_app):
    names = [p.pip_name for p in OPTIONAL_PACKAGES]
    assert names == ["torch", "pyqtgraph", "h5py", "scikit-learn"]
    import h5py
    import pyqtgraph
    import sklearn

    versions = {p.pip_name: installed_version(p) for p in OPTIONAL_PACKAGES}
    assert versions["pyqtgraph"] == pyqtgraph.__version__
    assert versions["h5py"] == h5py.__version__  # Debian renames h5py's metadata
    assert versions["scikit-learn"] == sklearn.__version__
    if importlib.util.find_spec("torch") is not None:
        assert versions["torch"] == importlib.metadata.version("torch")
    assert installed_version(MISSING) is None

    dialog = DependenciesDialog(None, packages=list(OPTIONAL_PACKAGES) + [MISSING])
    table = dialog.table
    assert table.rowCount() == 5
    assert table.item(1, 1).text() == pyqtgraph.__version__
    assert "baseline models (Persistence, Linear trend" in table.item(0, 3).text()
    assert "docks" in table.item(1, 2).text()
    assert dialog.selected() == ["no-such-package-here"]  # only missing ones, ticked
    assert "missing" in table.cellWidget(4, 1).text()


def test_h5py_is_never_pip_installed(qgis_app):
    h5py = next(p for p in OPTIONAL_PACKAGES if p.module == "h5py")
    missing_h5py = OptionalPackage(
        "no_such_h5py", "h5py", h5py.needed_for, h5py.without, h5py.system_only
    )
    dialog = DependenciesDialog(None, packages=[missing_h5py])
    assert dialog.selected() == [] and not dialog.install_button.isEnabled()
    assert "apt install python3-h5py" in dialog.table.item(0, 3).text()


def test_the_python_that_runs_pip_is_found_when_sys_executable_is_qgis(monkeypatch):
    found = qgis_python()
    assert found.is_file() and "python" in found.name
    monkeypatch.setattr(sys, "executable", "/usr/bin/qgis")  # what QGIS reports inside QGIS
    inside_qgis = qgis_python()
    assert "python" in inside_qgis.name and inside_qgis.name != "qgis"
    import subprocess

    version = subprocess.run(
        [str(inside_qgis), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == str(sys.version_info[:2])


def test_install_commands_target_the_folder_and_take_torch_from_cpu_wheels(tmp_path):
    commands = install_commands(sys.executable, ["torch", "pyqtgraph"], tmp_path, cpu_torch=True)
    assert len(commands) == 2
    torch, others = commands
    assert torch[:4] == [sys.executable, "-m", "pip", "install"]
    assert torch[torch.index("--target") + 1] == str(tmp_path)
    assert torch[torch.index("--index-url") + 1] == TORCH_CPU_INDEX and torch[-1] == "torch"
    assert others[-1] == "pyqtgraph" and "--index-url" not in others
    (single,) = install_commands(sys.executable, ["torch"], tmp_path, cpu_torch=False)
    assert single[-1] == "torch" and "--index-url" not in single


def test_install_a_small_package_through_the_dialog_into_a_temporary_folder(qgis_app, tmp_path):
    from qgis.PyQt.QtCore import QCoreApplication

    target = tmp_path / "insar_subsidence_packages"
    package = OptionalPackage("termcolor", "termcolor", "this test", "everything")
    if importlib.util.find_spec("termcolor") is not None:
        pytest.skip("termcolor is already importable here: the install would prove nothing")
    dialog = DependenciesDialog(None, packages=[package], target=target)
    assert dialog.selected() == ["termcolor"]
    installer = dialog.install_selected()
    assert installer is not None
    deadline = time.time() + 300
    while installer.succeeded is None and time.time() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    log = dialog.log.toPlainText()
    if not installer.succeeded and ("NewConnectionError" in log or "No matching" in log):
        pytest.skip(f"the package index cannot be reached: {log[-300:]}")
    try:
        assert installer.succeeded, log
        assert "--target" in log and str(target) in log
        assert (target / "termcolor").is_dir()
        assert str(target) in sys.path
        module = importlib.import_module("termcolor")
        assert module.__file__.startswith(str(target))
        assert dialog.table.item(0, 1).text() == importlib.metadata.version("termcolor")
        assert dialog.selected() == []  # nothing left to install
    finally:
        sys.modules.pop("termcolor", None)
        while str(target) in sys.path:
            sys.path.remove(str(target))


def test_package_folder_goes_last_on_sys_path_at_plugin_load(qgis_iface, tmp_path, monkeypatch):
    import insar_subsidence
    from insar_subsidence.plugin import dependencies

    folder = tmp_path / "insar_subsidence_packages"
    assert add_packages_folder(folder) is False  # nothing installed yet: nothing added
    folder.mkdir()
    monkeypatch.setattr(dependencies, "packages_folder", lambda: folder)
    monkeypatch.setattr(sys, "path", list(sys.path))
    first = sys.path[0]
    insar_subsidence.classFactory(qgis_iface)
    assert sys.path[-1] == str(folder) and sys.path[0] == first


def test_missing_torch_messages_name_the_baselines_and_the_dialog(monkeypatch):
    from insar_subsidence.core.errors import InputError
    from insar_subsidence.core.interpolation import cnn
    from insar_subsidence.core.prediction import models

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(InputError) as forecast:
        models.import_torch()
    text = str(forecast.value)
    for name in (
        "Persistence (persistence)",
        "Linear trend (linear_trend)",
        "Trend + annual harmonic (harmonic)",
    ):
        assert name in text
    assert "Check dependencies" in text and "pip install" not in text
    with pytest.raises(InputError) as interpolation:
        cnn._torch()
    assert "Check dependencies" in str(interpolation.value)
    assert "pip install" not in str(interpolation.value)
