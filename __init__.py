"""QGIS entry point of the InSAR Subsidence Toolkit plugin."""


def classFactory(iface):
    from .plugin.plugin import InsarSubsidencePlugin

    return InsarSubsidencePlugin(iface)
