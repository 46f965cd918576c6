"""Background work for the docks: a QgsTask that runs one core function.

The core function gets ``progress=`` (fraction, message) -> keep_going, wired to
``setProgress`` and ``isCanceled``, so the QGIS task manager shows progress and its cancel
button stops the work (core raises Cancelled). ``run`` happens on a worker thread and must not
touch the project or widgets; ``finished`` runs on the main thread, where the result callback
may add layers to the map.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject, QgsTask

from ..core.errors import Cancelled

LOG_TAG = "InSAR Subsidence"


class CoreTask(QgsTask):
    """Run ``function(*args, progress=..., **kwargs)`` in the background.

    ``on_done(result)`` and ``on_error(exception)`` are called on the main thread.
    Set ``with_progress=False`` for functions without a ``progress`` argument.
    """

    _running = set()  # keep Python task objects alive while the task manager runs them

    def __init__(
        self,
        description: str,
        function: Callable,
        *args,
        on_done: Optional[Callable[[Any], None]] = None,
        on_error: Optional[Callable[[BaseException], None]] = None,
        with_progress: bool = True,
        **kwargs,
    ):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.on_done = on_done
        self.on_error = on_error
        self.with_progress = with_progress
        self.result = None
        self.exception: Optional[BaseException] = None
        self.message = ""
        self.succeeded: Optional[bool] = None  # set on the main thread when it ends

    def _progress(self, fraction: float, message: str = "") -> bool:
        self.setProgress(100.0 * fraction)
        self.message = message or self.message
        return not self.isCanceled()

    def run(self) -> bool:
        try:
            if self.with_progress:
                self.result = self.function(*self.args, progress=self._progress, **self.kwargs)
            else:
                self.result = self.function(*self.args, **self.kwargs)
            return not self.isCanceled()
        except Cancelled as exc:
            self.exception = exc
            return False
        except Exception as exc:  # reported on the main thread, in finished()
            self.exception = exc
            return False

    def finished(self, ok: bool) -> None:  # main thread
        CoreTask._running.discard(self)
        self.succeeded = bool(ok)
        if ok:
            if self.on_done is not None:
                self.on_done(self.result)
            return
        error = self.exception or Cancelled()
        if not isinstance(error, Cancelled):
            QgsMessageLog.logMessage(
                f"{self.description()}: {error}", LOG_TAG, Qgis.MessageLevel.Warning
            )
        if self.on_error is not None:
            self.on_error(error)


def run_in_background(
    description: str,
    function: Callable,
    *args,
    on_done: Optional[Callable[[Any], None]] = None,
    on_error: Optional[Callable[[BaseException], None]] = None,
    with_progress: bool = True,
    **kwargs,
) -> CoreTask:
    """Create a :class:`CoreTask` and hand it to the QGIS task manager."""
    task = CoreTask(
        description,
        function,
        *args,
        on_done=on_done,
        on_error=on_error,
        with_progress=with_progress,
        **kwargs,
    )
    CoreTask._running.add(task)
    QgsApplication.taskManager().addTask(task)
    return task


def add_layers_when_done(style: Optional[str] = None) -> Callable[[Any], None]:
    """An ``on_done`` callback adding the layers (or paths) a task returned to the project.

    Paths are opened on the main thread (raster by suffix, else vector) and styled with
    :func:`plugin.styling.style_layer` when ``style`` is given.
    """
    from pathlib import Path

    from qgis.core import QgsRasterLayer, QgsVectorLayer

    from .styling import style_layer

    def add(result) -> None:
        items = result if isinstance(result, (list, tuple)) else [result]
        for item in items:
            if isinstance(item, (str, Path)):
                path = Path(item)
                is_raster = path.suffix.lower() in (".tif", ".tiff", ".vrt")
                layer = (
                    QgsRasterLayer(str(path), path.stem)
                    if is_raster
                    else QgsVectorLayer(str(path), path.stem, "ogr")
                )
            else:
                layer = item
            if layer is None or not layer.isValid():
                continue
            if style:
                style_layer(layer, style)
            QgsProject.instance().addMapLayer(layer)

    return add


def wait_for(task: CoreTask, timeout_s: float = 60.0) -> bool:
    """Process events until ``task`` has finished (tests and scripts); True when it succeeded.

    Reads the Python-side ``succeeded`` flag: the task manager may delete the C++ task first.
    """
    import time

    from qgis.PyQt.QtCore import QCoreApplication

    deadline = time.time() + timeout_s
    while task.succeeded is None:
        QCoreApplication.processEvents()
        if time.time() > deadline:
            return False
        time.sleep(0.005)
    return task.succeeded
