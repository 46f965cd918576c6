"""Patch CNN regression of a point value from driving-force rasters (Azarm et al. 2025).

Each point is described by the ``patch_size`` x ``patch_size`` x bands window of the
driving-force stack around its pixel; a CNN maps the window to the point's value (velocity or
cumulative displacement). Fixed here against the authors' public code:

* normalisation is per RASTER: each band is scaled to [0, 1] by its own min and max over the
  whole grid (not per patch column), and the same scaling is stored with the model;
* the patch is centred on the point's pixel: index ``patch_size // 2`` in both axes is the
  point's pixel. For even sizes the window therefore spans ``size // 2`` cells before the point
  and ``size // 2 - 1`` after (for 30: rows r-15 .. r+14);
* samples, coordinates and labels are filtered with ONE mask, so they stay paired.

Cells outside the grid or on nodata read 0 after normalisation. Torch is imported lazily.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..accelerator import default_threads, import_torch, torch_device
from ..errors import InputError
from ..grid import Grid
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, silent

PathLike = Union[str, Path]
MODEL_FORMAT = "insar_subsidence.cnn/1"


class DenseLayers(Choice):
    """Named layouts of the dense layers after the convolution blocks."""

    PAPER = "paper", "1024-1024-512-512-256 (paper)"
    SMALL = "small", "256-128 (small, fast)"

    @property
    def units(self) -> Tuple[int, ...]:
        """Units of each dense layer."""
        return {
            DenseLayers.PAPER: (1024, 1024, 512, 512, 256),
            DenseLayers.SMALL: (256, 128),
        }[self]


@dataclass
class CnnOptions(Options):
    """Options of :func:`train_cnn` (stored with the model)."""

    patch_size: int = option(
        30,
        help="Side of the driver window around each point; the point is at index size // 2",
        unit="cells",
        minimum=4,
        maximum=128,
    )
    conv_channels: Tuple[int, ...] = option(
        (32, 64, 128),
        help="Channels of each convolution block (1x1 and 3x3 convolutions, 2x2 max-pooling); "
        "the first block's width is doubled per block",
    )
    dense: Tuple[int, ...] = option(
        DenseLayers.PAPER.units, help="Units of each dense layer after the convolution blocks"
    )
    dropout: float = option(
        0.1, help="Dropout after each block and dense layer", minimum=0.0, maximum=0.9
    )
    learning_rate: float = option(1e-4, help="Adam learning rate", minimum=1e-7, maximum=1.0)
    batch_size: int = option(128, help="Training patches per batch", minimum=2)
    epochs: int = option(
        150,
        help="Maximum training epochs (early stopping on the validation points ends sooner)",
        minimum=1,
        maximum=10000,
    )
    patience: int = option(
        15, help="Stop after this many epochs without validation improvement", minimum=1
    )
    validation_fraction: float = option(
        0.15,
        help="Share of the training points held back for early stopping",
        minimum=0.01,
        maximum=0.5,
    )
    seed: int = option(0, help="Random seed of the weights, the batches and the splits", minimum=0)
    device: str = option("auto", help="Torch device: auto (CUDA when present), cpu or cuda")
    threads: int = option(
        0, help="CPU threads for torch; 0 = half the cores (at least 1)", minimum=0
    )
    inference_batch: int = option(1024, help="Patches predicted together", minimum=1)


def _torch():
    """torch for the CNN; the message names the interpolators that need none."""
    return import_torch("the CNN", "interpolate with kriging, IDW or RBF, which need no torch")


def band_ranges(stack: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-band (min, max) over the whole raster, ignoring NaN."""
    stack = np.asarray(stack, dtype=np.float64)
    flat = stack.reshape(stack.shape[0], -1)
    with np.errstate(all="ignore"):
        finite = np.isfinite(flat)
        mins = np.array([b[f].min() if f.any() else 0.0 for b, f in zip(flat, finite, strict=True)])
        maxs = np.array([b[f].max() if f.any() else 1.0 for b, f in zip(flat, finite, strict=True)])
    return mins, maxs


def normalise(stack: np.ndarray, mins: np.ndarray, maxs: np.ndarray) -> np.ndarray:
    """Scale each band to [0, 1] with its stored (min, max); NaN and constant bands read 0."""
    span = np.where(maxs > mins, maxs - mins, 1.0)
    out = (np.asarray(stack, dtype=np.float32) - mins[:, None, None].astype(np.float32)) / span[
        :, None, None
    ].astype(np.float32)
    return np.nan_to_num(out, nan=0.0).astype(np.float32)


def pad_for_patches(normalised: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad a (bands, rows, cols) stack so every pixel has a full patch."""
    before, after = size // 2, size - 1 - size // 2
    return np.pad(normalised, ((0, 0), (before, after), (before, after)))


def extract_patches(
    padded: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int
) -> np.ndarray:
    """(n, bands, size, size) windows; pixel (rows[i], cols[i]) sits at [size//2, size//2]."""
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    return np.ascontiguousarray(windows[:, rows, cols].transpose(1, 0, 2, 3))


def point_pixels(grid: Grid, xy: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column of each point and a mask of the points inside the grid."""
    rows, cols = grid.rowcol(xy[:, 0], xy[:, 1])
    inside = grid.contains(rows, cols)
    return rows, cols, inside


def training_samples(
    stack: np.ndarray,
    grid: Grid,
    xy: np.ndarray,
    values: np.ndarray,
    patch_size: int,
    mins: np.ndarray,
    maxs: np.ndarray,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(patches, labels, kept point indices): points outside the grid or without a finite
    value are dropped together with their labels."""
    rows, cols, inside = point_pixels(grid, xy)
    keep = np.flatnonzero(inside & np.isfinite(values))
    padded = pad_for_patches(normalise(stack, mins, maxs), patch_size)
    patches = extract_patches(padded, rows[keep], cols[keep], patch_size)
    return patches, np.asarray(values, dtype=np.float64)[keep], keep


def build_network(n_bands: int, options: CnnOptions):
    """The paper's layout: per block a 1x1 conv, a 3x3 conv, batch-norm, ReLU, 2x2 max-pool
    and dropout; then dense ReLU layers with dropout and one linear output."""
    torch = _torch()
    nn = torch.nn
    if options.patch_size < 2 ** len(options.conv_channels):
        raise InputError(
            f"a patch of {options.patch_size} cells is too small for "
            f"{len(options.conv_channels)} max-pooling blocks.",
            None,
            f"use a patch size of at least {2 ** len(options.conv_channels)}.",
        )
    layers: List = []
    channels = n_bands
    for out in options.conv_channels:
        layers += [
            nn.Conv2d(channels, out, 1),
            nn.BatchNorm2d(out),
            nn.ReLU(),
            nn.Conv2d(out, out, 3, padding=1),
            nn.BatchNorm2d(out),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(options.dropout),
        ]
        channels = out
    features = nn.Sequential(*layers).eval()
    with torch.no_grad():
        flat = int(
            np.prod(
                features(torch.zeros(1, n_bands, options.patch_size, options.patch_size)).shape[1:]
            )
        )
    head: List = [nn.Flatten()]
    width = flat
    for units in options.dense:
        head += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(options.dropout)]
        width = units
    head.append(nn.Linear(width, 1))
    return nn.Sequential(features, nn.Sequential(*head))


def _threads(options: CnnOptions) -> int:
    return options.threads or default_threads()


@dataclass
class CnnModel:
    """A trained network with everything needed to apply it to the same kind of stack."""

    network: object
    options: CnnOptions
    band_names: List[str]
    mins: np.ndarray
    maxs: np.ndarray
    target_mean: float
    target_std: float
    history: List[Tuple[int, float, float]] = field(default_factory=list)  # epoch, train, val MSE
    best_epoch: int = 0

    def _forward(self, patches: np.ndarray) -> np.ndarray:
        torch = _torch()
        device = torch_device(torch, self.options.device, _threads(self.options))
        self.network.to(device).eval()
        out = np.empty(len(patches))
        step = self.options.inference_batch
        with torch.no_grad():
            for start in range(0, len(patches), step):
                batch = torch.from_numpy(patches[start : start + step]).to(device)
                out[start : start + len(batch)] = self.network(batch).squeeze(1).cpu().numpy()
        return out * self.target_std + self.target_mean

    def _check_stack(self, stack: np.ndarray) -> None:
        if stack.shape[0] != len(self.mins):
            raise InputError(
                f"the driving-force stack has {stack.shape[0]} bands; the model was "
                f"trained on {len(self.mins)} ({', '.join(self.band_names)}).",
                None,
                "use the same driving-force stack as for training.",
            )

    def predict_points(self, stack: np.ndarray, grid: Grid, xy: np.ndarray) -> np.ndarray:
        """Values at points (NaN outside the grid)."""
        self._check_stack(stack)
        size = self.options.patch_size
        rows, cols, inside = point_pixels(grid, np.asarray(xy, dtype=np.float64))
        out = np.full(len(xy), np.nan)
        padded = pad_for_patches(normalise(stack, self.mins, self.maxs), size)
        index = np.flatnonzero(inside)
        for start in range(0, len(index), 8192):
            pick = index[start : start + 8192]
            out[pick] = self._forward(extract_patches(padded, rows[pick], cols[pick], size))
        return out

    def predict_grid(
        self, stack: np.ndarray, grid: Grid, progress: ProgressCallback = silent
    ) -> np.ndarray:
        """Values at every pixel (float32; NaN where every band is nodata)."""
        self._check_stack(stack)
        size = self.options.patch_size
        padded = pad_for_patches(normalise(stack, self.mins, self.maxs), size)
        out = np.full(grid.shape, np.nan, dtype=np.float32)
        valid = np.isfinite(stack).any(axis=0)
        rows_per_block = max(1, 8192 // max(grid.width, 1))
        for start in range(0, grid.length, rows_per_block):
            stop = min(start + rows_per_block, grid.length)
            rr, cc = np.nonzero(valid[start:stop])
            rr = rr + start
            if len(rr):
                out[rr, cc] = self._forward(extract_patches(padded, rr, cc, size))
            report(progress, stop / grid.length, "CNN prediction over the grid")
        return out


def train_cnn(
    stack: np.ndarray,
    grid: Grid,
    xy: np.ndarray,
    values: np.ndarray,
    options: Optional[CnnOptions] = None,
    band_names: Optional[Sequence[str]] = None,
    progress: ProgressCallback = silent,
) -> CnnModel:
    """Train on the points' patches; early stopping on a random validation part of the
    points (``validation_fraction``), keeping the weights of the best validation epoch."""
    options = options or CnnOptions()
    torch = _torch()
    stack = np.asarray(stack, dtype=np.float32)
    if stack.ndim != 3:
        raise InputError(
            "the driving-force stack must be (bands, rows, cols).",
            None,
            "give a multi-band raster.",
        )
    mins, maxs = band_ranges(stack)
    patches, labels, _ = training_samples(
        stack, grid, np.asarray(xy, float), values, options.patch_size, mins, maxs
    )
    if len(labels) < 10:
        raise InputError(
            f"only {len(labels)} points fall on the driving-force grid with a value.",
            None,
            "check that the points and the driving-force stack overlap (same CRS).",
        )
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    order = rng.permutation(len(labels))
    n_val = max(1, int(round(options.validation_fraction * len(labels))))
    val, train = order[:n_val], order[n_val:]
    mean, std = float(labels[train].mean()), float(labels[train].std()) or 1.0
    target = ((labels - mean) / std).astype(np.float32)
    device = torch_device(torch, options.device, _threads(options))
    network = build_network(stack.shape[0], options).to(device)
    optimiser = torch.optim.Adam(network.parameters(), lr=options.learning_rate)
    loss_fn = torch.nn.MSELoss()
    x_all = torch.from_numpy(patches)
    y_all = torch.from_numpy(target)
    x_val, y_val = x_all[val].to(device), y_all[val].to(device)
    best = (np.inf, 0, None)
    history = []
    for epoch in range(1, options.epochs + 1):
        network.train()
        shuffled = train[rng.permutation(len(train))]
        total = 0.0
        for start in range(0, len(shuffled), options.batch_size):
            pick = shuffled[start : start + options.batch_size]
            if len(pick) < 2:  # batch-norm needs two samples
                continue
            xb, yb = x_all[pick].to(device), y_all[pick].to(device)
            optimiser.zero_grad()
            loss = loss_fn(network(xb).squeeze(1), yb)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(pick)
        network.eval()
        with torch.no_grad():
            val_loss = float(loss_fn(network(x_val).squeeze(1), y_val))
        history.append((epoch, total / max(len(train), 1), val_loss))
        if val_loss < best[0]:
            best = (
                val_loss,
                epoch,
                {k: v.detach().cpu().clone() for k, v in network.state_dict().items()},
            )
        report(
            progress,
            epoch / options.epochs,
            f"epoch {epoch}: train MSE {history[-1][1]:.4f}, validation MSE {val_loss:.4f}",
        )
        if epoch - best[1] >= options.patience:
            break
    network.load_state_dict(best[2])
    names = list(band_names) if band_names else [f"band{i + 1}" for i in range(stack.shape[0])]
    return CnnModel(network.cpu(), options, names, mins, maxs, mean, std, history, best[1])


def save_model(path: PathLike, model: CnnModel) -> Path:
    """One file: state dict, options, band names, normalisation, target scaling, history."""
    from ..atomic import atomic_output

    torch = _torch()
    payload = {
        "format": MODEL_FORMAT,
        "state_dict": model.network.state_dict(),
        "options": dataclasses.asdict(model.options),
        "band_names": model.band_names,
        "mins": model.mins.tolist(),
        "maxs": model.maxs.tolist(),
        "target_mean": model.target_mean,
        "target_std": model.target_std,
        "history": model.history,
        "best_epoch": model.best_epoch,
    }
    with atomic_output(path) as temp:
        torch.save(payload, str(temp))
    return Path(path)


def load_model(path: PathLike) -> CnnModel:
    torch = _torch()
    if not Path(path).exists():
        raise InputError("model file not found.", path, "train one with 'CNN interpolation'.")
    try:
        payload = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for a bad file
        raise InputError(
            f"not a CNN model file ({exc}).",
            path,
            "give a .pt file written by 'CNN interpolation'.",
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise InputError(
            "not a CNN model file of this toolkit.",
            path,
            "give a .pt file written by 'CNN interpolation'.",
        )
    raw = payload["options"]
    options = CnnOptions(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    network = build_network(len(payload["mins"]), options)
    network.load_state_dict(payload["state_dict"])
    return CnnModel(
        network,
        options,
        list(payload["band_names"]),
        np.asarray(payload["mins"]),
        np.asarray(payload["maxs"]),
        float(payload["target_mean"]),
        float(payload["target_std"]),
        [tuple(h) for h in payload["history"]],
        int(payload["best_epoch"]),
    )
