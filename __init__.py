"""QGIS entry point of the InSAR Subsidence Toolkit plugin."""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .plugin.plugin import InsarSubsidencePlugin

    return InsarSubsidencePlugin(iface)
