"""Screenshots of the Processing surface for `make screenshots` (run by scripts/screenshots.py
inside its QGIS GUI session):

* ``docs/dialogs/<id>.png`` — every algorithm's dialog with its help panel;
* ``docs/modeler_<model>.png`` — the modeler with each shipped model;
* ``docs/demo_project.png`` — the demo project as QGIS opens it (saved view, layer tree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List


def processing_gui(provider_class) -> None:
    """Start Processing (as the QGIS desktop does) with our provider registered."""
    import sys

    from qgis.core import QgsApplication

    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    from processing.core.Processing import Processing

    Processing.initialize()
    registry = QgsApplication.processingRegistry()
    if registry.providerById("subsidence") is None:
        provider = provider_class()
        registry.addProvider(provider)
        _KEEP.append(provider)


_KEEP: List[object] = []  # Python wrappers QGIS must not outlive


def algorithm_dialogs(output: Path, settle: Callable[..., None]) -> List[Path]:
    """One PNG per algorithm: its dialog on the Parameters tab, the help panel on the right."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    from qgis.core import QgsApplication

    folder = output / "dialogs"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    provider = QgsApplication.processingRegistry().providerById("subsidence")
    for algorithm in sorted(provider.algorithms(), key=lambda a: a.name()):
        dialog = AlgorithmDialog(algorithm.create())
        _KEEP.append(dialog)
        dialog.resize(1200, 820)
        dialog.show()
        settle(0.4)
        path = folder / f"{algorithm.name()}.png"
        dialog.grab().save(str(path))
        dialog.close()
        written.append(path)
    return written


def modeler_views(models: List[Path], output: Path, settle: Callable[..., None]) -> List[Path]:
    """The modeler opened on each shipped model, zoomed to the whole model."""
    from processing.modeler.ModelerDialog import ModelerDialog
    from qgis.core import QgsProcessingModelAlgorithm

    written = []
    for path in models:
        model = QgsProcessingModelAlgorithm()
        if not model.fromFile(str(path)):
            raise SystemExit(f"cannot read the model {path}")
        dialog = ModelerDialog.create(model)
        dialog.resize(1500, 1000)
        dialog.show()
        settle(0.5)
        dialog.zoomFull()
        settle(0.5)
        target = output / f"modeler_{path.stem}.png"
        dialog.grab().save(str(target))
        dialog.setDirty(False)  # no "save changes?" question on close
        dialog.close()
        written.append(target)
    return written


def opened_project(
    demo: Path, velocity_path: Path, output: Path, settle: Callable[..., None]
) -> Path:
    """Write the demo project, clear it and open it as QGIS does: the main canvas (named
    theMapCanvas, in the project CRS) takes the saved view, the layer tree the saved order."""
    import tempfile

    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeMapCanvasBridge, QgsLayerTreeView, QgsMapCanvas
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtWidgets import QDockWidget, QMainWindow

    from insar_subsidence.plugin.project_builder import add_demo_layers, write_project

    project = QgsProject.instance()
    project.clear()
    layers = add_demo_layers(project, demo)
    base = next(layer for layer in layers if layer.source() == str(velocity_path))
    folder = Path(tempfile.mkdtemp(prefix="insar_project_"))
    path = write_project(project, folder / "insar_subsidence_demo.qgz", base.extent(), base.crs())
    project.clear()

    window = QMainWindow()
    window.setWindowTitle(f"QGIS: {path.name}")
    canvas = QgsMapCanvas()
    canvas.setObjectName("theMapCanvas")  # the canvas QGIS restores the saved view into
    canvas.setCanvasColor(Qt.GlobalColor.white)
    window.setCentralWidget(canvas)
    project.crsChanged.connect(lambda: canvas.setDestinationCrs(project.crs()))
    model = QgsLayerTreeModel(project.layerTreeRoot())
    model.setFlag(QgsLayerTreeModel.Flag.AllowNodeChangeVisibility)
    tree = QgsLayerTreeView()
    tree.setModel(model)
    dock = QDockWidget("Layers")
    dock.setWidget(tree)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    bridge = QgsLayerTreeMapCanvasBridge(project.layerTreeRoot(), canvas)
    window.resize(1500, 900)
    window.show()
    if not project.read(str(path)):
        raise SystemExit(f"cannot open {path}")
    tree.expandAll()
    settle(1.0, canvas)
    target = output / "demo_project.png"
    window.grab().save(str(target))
    print(f"wrote {target}: scale 1:{canvas.scale():,.0f}")
    _KEEP.extend([window, bridge, model, tree])
    return target
