"""Plugin class: registers the Processing provider, the menu, the toolbar and the docks."""
from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt.QtGui import QIcon
from qgis.gui import QgsFilterLineEdit
from qgis.PyQt.QtWidgets import QAction, QDockWidget

from ..processing_provider.provider import SubsidenceProvider

PLUGIN_DIR = Path(__file__).resolve().parent.parent
MENU = "&InSAR Subsidence"


class InsarSubsidencePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        self.toolbar = None

    def initProcessing(self):  # noqa: N802
        if self.provider is None:
            self.provider = SubsidenceProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        self.toolbar = self.iface.addToolBar("InSAR Subsidence")
        self.toolbar.setObjectName("InsarSubsidenceToolbar")
        self._add_action("Open the InSAR Subsidence toolbox", "icon.svg", self._show_toolbox)

    def _add_action(self, text: str, icon: str, callback) -> QAction:
        action = QAction(QIcon(str(PLUGIN_DIR / icon)), text, self.iface.mainWindow())
        action.triggered.connect(callback)
        self.iface.addPluginToMenu(MENU, action)
        self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    def _show_toolbox(self):
        """Show the Processing toolbox filtered to this provider's algorithms."""
        toolbox = self.iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
        if toolbox is None:
            return
        toolbox.setVisible(True)
        toolbox.raise_()
        search = toolbox.findChild(QgsFilterLineEdit)
        if search is not None:
            search.setText("subsidence:")

    def unload(self):
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
