"""Plugin class: registers the Processing provider, the menu, the toolbar and the docks."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.gui import QgsFilterLineEdit
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QFileDialog, QMessageBox

from ..processing_provider.models import MODELS_GROUP, install_models
from ..processing_provider.provider import SubsidenceProvider
from .dependencies import add_packages_folder

PLUGIN_DIR = Path(__file__).resolve().parent.parent
MENU = "&InSAR Subsidence"


class InsarSubsidencePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        self.toolbar = None
        self.docks = {}
        add_packages_folder()  # packages installed by "Check dependencies"

    def initProcessing(self):
        if self.provider is None:
            self.provider = SubsidenceProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)
            install_models()

    def initGui(self):
        self.initProcessing()
        self.toolbar = self.iface.addToolBar("InSAR Subsidence")
        self.toolbar.setObjectName("InsarSubsidenceToolbar")
        self._add_action("Open the InSAR Subsidence toolbox", "icon.svg", self._show_toolbox)
        self._add_action(
            "Time-series viewer: click points to plot displacement",
            "ui/icons/timeseries.svg",
            lambda: self.show_dock("timeseries"),
        )
        self._add_action(
            "Profile tool: draw a line across a subsidence bowl",
            "ui/icons/profile.svg",
            lambda: self.show_dock("profile"),
        )
        self._add_action(
            "Add a MintPy product to the map (velocity.h5, timeseries.h5...)",
            "icon.svg",
            self.add_mintpy_products,
            toolbar=False,
        )
        self._add_action(
            "Check dependencies: optional packages and what works without them",
            "icon.svg",
            self.show_dependencies,
            toolbar=False,
        )

    def _add_action(self, text: str, icon: str, callback, toolbar: bool = True) -> QAction:
        action = QAction(QIcon(str(PLUGIN_DIR / icon)), text, self.iface.mainWindow())
        action.triggered.connect(callback)
        self.iface.addPluginToMenu(MENU, action)
        if toolbar:
            self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    def add_mintpy_products(self) -> None:
        """Ask for MintPy HDF5 products and add them to the map (geocoded or radar)."""
        from ..core.errors import SubsidenceError
        from .mintpy_layers import add_mintpy_product

        paths, _ = QFileDialog.getOpenFileNames(
            self.iface.mainWindow(),
            "MintPy products",
            "",
            "MintPy HDF5 (velocity*.h5 timeseries*.h5 temporalCoherence*.h5 *.h5)",
        )
        for path in paths:
            try:
                add_mintpy_product(path)
            except SubsidenceError as exc:
                QMessageBox.warning(self.iface.mainWindow(), "InSAR Subsidence", str(exc))

    def show_dependencies(self) -> None:
        """The "Check dependencies" dialog (modal; pip runs in the background)."""
        from .dependencies import DependenciesDialog

        DependenciesDialog(self.iface.mainWindow()).exec()

    def _show_toolbox(self):
        """Show the Processing toolbox filtered to this provider's algorithms and the shipped
        models: the toolbox matches every word of the search in an algorithm's provider and
        group names, and the models' group is the provider's name."""
        toolbox = self.iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
        if toolbox is None:
            return
        toolbox.setVisible(True)
        toolbox.raise_()
        search = toolbox.findChild(QgsFilterLineEdit)
        if search is not None:
            search.setText(MODELS_GROUP)

    def show_dock(self, kind: str):
        """Create (once) and show the ``timeseries`` or ``profile`` dock; activate its tool."""
        dock = self.docks.get(kind)
        if dock is None:
            try:
                if kind == "timeseries":
                    from ..ui.timeseries_dock import TimeSeriesDock as DockClass
                else:
                    from ..ui.profile_dock import ProfileDock as DockClass
                dock = DockClass(self.iface, self.iface.mainWindow())
                if kind == "timeseries":
                    from ..ui.gnss_overlay import GnssOverlay

                    dock.add_overlay(GnssOverlay(self.iface.mapCanvas()))
            except ImportError as exc:  # pyqtgraph missing: the message names the package
                QMessageBox.warning(self.iface.mainWindow(), "InSAR Subsidence", str(exc))
                return None
            self._add_dock(dock)
            self.docks[kind] = dock
        dock.setVisible(True)
        dock.raise_()
        dock.activate_tool()
        return dock

    def _add_dock(self, dock: QDockWidget) -> None:
        """Dock on the right; tabbed with the plugin's other dock when that one is docked."""
        window = self.iface.mainWindow()
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        docked = [
            other
            for other in self.docks.values()
            if window.dockWidgetArea(other) != Qt.DockWidgetArea.NoDockWidgetArea
            and not other.isFloating()
        ]
        if docked and window.dockWidgetArea(dock) != Qt.DockWidgetArea.NoDockWidgetArea:
            window.tabifyDockWidget(docked[0], dock)

    def unload(self):
        for dock in self.docks.values():
            dock.unload()
            self.iface.removeDockWidget(dock)
            dock.deleteLater()
        self.docks = {}
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
            if self.toolbar is not None:
                self.toolbar.removeAction(action)
        self.actions = []
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
