"""Where the batched solves run: numpy, or torch on a CUDA device."""

from __future__ import annotations

import numpy as np

from ...accelerator import cuda_may_exist, import_torch, torch_device
from ...errors import InputError


class Backend:
    """Batched solves of the normal equations: numpy, or torch on a CUDA device.

    ``device``: ``cpu`` (numpy), ``cuda`` (InputError without torch and a GPU) or ``auto``
    (CUDA when torch sees a GPU, else numpy; torch is not even imported without a sign of
    one). ``xp`` is the array module and ``device`` the torch device (None for numpy)."""

    def __init__(self, device: str):
        self.xp = np
        self.device = None
        if device == "cpu" or (device == "auto" and not cuda_may_exist()):
            return
        try:
            torch = import_torch("the SBAS inversion on a GPU", "invert on the CPU (device cpu)")
        except InputError:
            if device == "auto":
                return
            raise
        chosen = torch_device(torch, device)
        if chosen.type == "cuda":
            self.xp, self.device = torch, chosen

    @property
    def name(self) -> str:
        return "numpy" if self.device is None else "torch-cuda"

    def array(self, values: np.ndarray):
        return values if self.device is None else self.xp.as_tensor(values, device=self.device)

    def numpy(self, values) -> np.ndarray:
        return values if self.device is None else values.cpu().numpy()
