"""torch, imported lazily, and the one choice of its device and CPU threads for every step
that uses it (SBAS inversion on a GPU, forecasting networks, the CNN interpolator)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Optional

from .errors import InputError

#: device names accepted by :func:`torch_device` besides torch's own ("cuda:1"...)
AUTO_DEVICES = (None, "", "auto")


#: where the plugin installs optional packages (plugin/dependencies.py)
DEPENDENCIES_MENU = "Plugins > InSAR Subsidence > Check dependencies"


def import_torch(needed_for: str, otherwise: str = ""):
    """The torch module; when it is missing, InputError naming the package, ``needed_for``
    (what needs it), the dialog that installs it and ``otherwise`` (what works without)."""
    try:
        import torch
    except ImportError:
        alternative = f", or {otherwise}" if otherwise else ""
        raise InputError(
            f"{needed_for} needs the Python package torch, which is not installed.",
            None,
            f"install it with {DEPENDENCIES_MENU} (a CPU-only build is enough){alternative}.",
        ) from None
    return torch


def cuda_may_exist() -> bool:
    """A cheap test before importing torch (seconds) just to learn that there is no GPU."""
    return (
        "torch" in sys.modules
        or os.path.exists("/dev/nvidiactl")
        or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))
    )


def default_threads() -> int:
    """Half the cores, at least one: torch's default of every core collapses when the cores
    are shared (10x slower measured on 2 busy cores). One on a Dask worker: a worker runs one
    task per core it was given, so more would oversubscribe its machine."""
    if _on_dask_worker():
        return 1
    return max(1, (os.cpu_count() or 2) // 2)


def _on_dask_worker() -> bool:
    distributed = sys.modules.get("distributed")  # never imported here: a worker has it loaded
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


def torch_device(torch, requested: Optional[str] = "auto", threads: Optional[int] = None):
    """The ``torch.device`` to run on: CUDA when ``requested`` is auto (or empty) and a GPU is
    present, else the CPU; a named device as given. ``threads`` caps torch's CPU threads
    (None leaves them). InputError when CUDA is asked for and not available."""
    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if requested in AUTO_DEVICES:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(requested).startswith("cuda") and not torch.cuda.is_available():
        raise InputError(
            "a CUDA device was asked for, but torch with CUDA is not available.",
            None,
            "use device 'auto' or 'cpu', or install torch with CUDA support.",
        )
    return torch.device(requested)


@contextlib.contextmanager
def blas_threads(limit: int = 1) -> Iterator[None]:
    """Cap the BLAS library's threads (OpenBLAS, MKL) at ``limit`` inside the block.

    Small matrix products and solves (networks of a few hundred pairs) gain nothing from
    threads, and on shared cores a threaded call waits for a core for each of its threads:
    a 174 x 60 least-squares solve took 0.2-0.9 s instead of 0.5 ms on 2 busy cores. Through
    threadpoolctl (shipped with scikit-learn); without it nothing changes."""
    controller = _threadpool_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=limit, user_api="blas"):
        yield


_CONTROLLER = []


def _threadpool_controller():
    """threadpoolctl's controller of the loaded libraries, made once (it scans every loaded
    library: tens of ms), or None without threadpoolctl."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]
