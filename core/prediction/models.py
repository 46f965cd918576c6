"""LSTM and GRU regressors (window of past values -> next value), many trained at once.

``n_models`` independent networks (one per series, per mode, per ensemble member) share one
batched tensor program: weights carry a leading model axis and every step is a batched matrix
product, so a thousand small networks train about as fast as a few. The loss is the sum of the
per-model mean squared errors and Adam works element-wise, so the models do not interact.
By default the networks are translation-free (``relative``): the inputs are the window minus
its last value and the output is the change to the next value, scaled by the standard
deviation of the training series' increments. A network on raw levels (``relative=False``, the
literal setting of the papers) cannot extrapolate a subsidence trend beyond the range it was
trained on: its saturating units flatten the forecast once displacement leaves that range.
Each model has its own scaling (from its training series only), its
own early stopping on its validation windows (the last part of the TRAINING windows, in time
order) and keeps the weights of its best validation epoch.

torch is imported lazily; without it these functions raise an InputError naming torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import accelerator
from ..accelerator import torch_device
from ..errors import InputError
from ..options import Choice, Options, option
from ..progress import ProgressCallback, report, silent


class RecurrentCell(Choice):
    """Recurrent cell of the forecasting networks."""

    LSTM = "lstm", "LSTM (long short-term memory)"
    GRU = "gru", "GRU (gated recurrent unit)"


@dataclass
class RecurrentNetworkOptions(Options):
    """Hyper-parameters shared by all forecasting networks trained together."""

    cell: RecurrentCell = option(RecurrentCell.LSTM, help="Recurrent cell of the network")
    hidden: int = option(16, help="Hidden units of the recurrent cell", minimum=1)
    window: int = option(
        8, help="Past values the network reads to predict the next", unit="acquisitions", minimum=1
    )
    learning_rate: float = option(0.01, help="Adam learning rate", minimum=1e-9, maximum=1.0)
    epochs: int = option(
        200,
        help="Maximum training epochs per network (early stopping ends sooner)",
        minimum=1,
        maximum=5000,
    )
    patience: int = option(
        20, help="Stop after this many epochs without validation improvement", minimum=0
    )
    validation_fraction: float = option(
        0.2,
        help="Latest share of the training windows used for early stopping",
        minimum=0.0,
        maximum=0.9,
    )
    seed: int = option(0, help="Random seed of the initial weights", minimum=0)
    relative: bool = option(
        True,
        help="Read the window relative to its last value and predict the change (lets the "
        "network extrapolate a trend)",
    )
    chunk_models: int = option(
        512, help="Networks trained in one batched program (bounds memory)", minimum=1
    )
    device: Optional[str] = option(
        None, help="Torch device (cpu, cuda); empty = CUDA when available, else CPU"
    )


def import_torch():
    """torch for the forecasting networks; the message names the baselines that need none."""
    from .hybrids import BASELINES

    baselines = ", ".join(f"{name.label} ({name.value})" for name in BASELINES)
    return accelerator.import_torch(
        "the forecasting networks", f"choose a baseline model, which needs no torch: {baselines}"
    )


def windows(series: np.ndarray, window: int) -> tuple:
    """Sliding windows of (M, N) series: inputs (M, N - w, w) and next values (M, N - w)."""
    n = series.shape[-1]
    if n <= window:
        raise InputError(
            f"a series of {n} samples is too short for a window of {window}.",
            None,
            "use a shorter window or a longer series.",
        )
    index = np.arange(window)[None, :] + np.arange(n - window)[:, None]
    return series[..., index], series[..., window:]


class _Batched:
    """Weights of ``n`` recurrent networks with input size 1 and a linear head."""

    def __init__(self, torch, n: int, options: RecurrentNetworkOptions, device):
        gates = 4 if options.cell == RecurrentCell.LSTM else 3
        h = options.hidden
        bound = 1.0 / np.sqrt(h)
        gen = torch.Generator().manual_seed(int(options.seed))

        def uniform(*shape):
            return ((torch.rand(*shape, generator=gen) * 2 - 1) * bound).to(device).requires_grad_()

        self.torch, self.cell, self.hidden = torch, options.cell, h
        self.params = {
            "w_ih": uniform(n, 1, gates * h),
            "w_hh": uniform(n, h, gates * h),
            "b_ih": uniform(n, 1, gates * h),
            "b_hh": uniform(n, 1, gates * h),
            "w_out": uniform(n, h, 1),
            "b_out": uniform(n, 1, 1),
        }

    def forward(self, x, params=None):
        """x (n, B, w) scaled inputs -> (n, B) scaled predictions."""
        torch, p, h_size = self.torch, params or self.params, self.hidden
        n, b, w = x.shape
        h = x.new_zeros(n, b, h_size)
        c = x.new_zeros(n, b, h_size)
        for t in range(w):
            gi = x[:, :, t : t + 1] * p["w_ih"] + p["b_ih"]
            gh = torch.bmm(h, p["w_hh"]) + p["b_hh"]
            if self.cell == RecurrentCell.LSTM:
                i, f, g, o = (gi + gh).chunk(4, dim=2)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                ir, iz, in_ = gi.chunk(3, dim=2)
                hr, hz, hn = gh.chunk(3, dim=2)
                r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                h = (1 - z) * torch.tanh(in_ + r * hn) + z * h
        return (torch.bmm(h, p["w_out"]) + p["b_out"])[:, :, 0]


@dataclass
class FittedNetworks:
    """Trained networks; ``predict`` maps raw-unit windows to raw-unit next values."""

    nets: list  # one _Batched per chunk of models
    chunks: list  # slices of model indices
    mean: np.ndarray  # (M,) training-series mean per model (0 when relative)
    scale: np.ndarray  # (M,) training standard deviation of levels, or of increments
    options: RecurrentNetworkOptions
    device: object
    best_epoch: np.ndarray
    validation_rmse: np.ndarray  # (M,) raw units, NaN without validation windows

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """inputs (M, B, w) raw units -> (M, B) predictions in raw units."""
        torch = self.nets[0].torch
        out = np.empty(inputs.shape[:2])
        with torch.no_grad():
            for net, chunk in zip(self.nets, self.chunks, strict=True):
                x, _ = _transform(
                    inputs[chunk], None, self.mean[chunk], self.scale[chunk], self.options.relative
                )
                xt = torch.as_tensor(x, dtype=torch.float32, device=self.device)
                pred = net.forward(xt).cpu().numpy().astype(float) * self.scale[chunk, None]
                anchor = inputs[chunk, :, -1] if self.options.relative else self.mean[chunk, None]
                out[chunk] = pred + anchor
        return out

    def recursive(self, history: np.ndarray, steps: int) -> np.ndarray:
        """Feed predictions back: history (M, >= w) raw -> next ``steps`` values (M, steps)."""
        w = self.options.window
        buffer = np.array(history[:, -w:], dtype=float)
        out = np.empty((len(buffer), steps))
        for s in range(steps):
            out[:, s] = self.predict(buffer[:, None, :])[:, 0]
            buffer = np.concatenate([buffer[:, 1:], out[:, s : s + 1]], axis=1)
        return out


def _transform(
    inputs: np.ndarray, targets, mean: np.ndarray, scale: np.ndarray, relative: bool
) -> tuple:
    """Raw windows (M, B, w) and targets (M, B) -> network units."""
    anchor = inputs[..., -1:] if relative else mean[:, None, None]
    x = (inputs - anchor) / scale[:, None, None]
    y = None if targets is None else (targets - anchor[..., 0]) / scale[:, None]
    return x, y


def fit_networks(
    train_series: np.ndarray,
    options: RecurrentNetworkOptions = None,
    progress: ProgressCallback = silent,
) -> FittedNetworks:
    """Train one network per row of ``train_series`` (M, N) to predict the next value from the
    previous ``options.window`` values. Only these training series are seen: scaling, windows,
    validation (their last ``validation_fraction`` of windows) and early stopping. Progress is
    reported (and cancel honoured) after every epoch."""
    options = options or RecurrentNetworkOptions()
    torch = import_torch()
    device = torch_device(torch, options.device)
    series = np.atleast_2d(np.asarray(train_series, dtype=float))
    if not np.all(np.isfinite(series)):
        raise InputError("network training series contain NaN.", None, "fill gaps first.")
    if options.relative:
        mean = np.zeros(len(series))
        scale = np.diff(series, axis=1).std(axis=1)
    else:
        mean = series.mean(axis=1)
        scale = series.std(axis=1)
    scale = np.where(scale > 1e-12, scale, 1.0)
    raw_inputs, raw_targets = windows(series, options.window)
    inputs, targets = _transform(raw_inputs, raw_targets, mean, scale, options.relative)
    n_windows = inputs.shape[1]
    n_val = int(round(options.validation_fraction * n_windows)) if n_windows >= 10 else 0
    n_fit = n_windows - n_val
    nets, chunks = [], []
    best_epoch = np.zeros(len(series), dtype=int)
    val_rmse = np.full(len(series), np.nan)
    for start in range(0, len(series), options.chunk_models):
        chunk = slice(start, min(start + options.chunk_models, len(series)))
        x = torch.as_tensor(inputs[chunk], dtype=torch.float32, device=device)
        y = torch.as_tensor(targets[chunk], dtype=torch.float32, device=device)
        net = _Batched(torch, x.shape[0], options, device)
        optimiser = torch.optim.Adam(list(net.params.values()), lr=options.learning_rate)
        best = {k: v.detach().clone() for k, v in net.params.items()}
        best_loss = torch.full((x.shape[0],), float("inf"), device=device)
        waited = torch.zeros(x.shape[0], dtype=torch.long, device=device)
        epoch_of_best = torch.zeros(x.shape[0], dtype=torch.long, device=device)
        for epoch in range(options.epochs):
            optimiser.zero_grad()
            loss = ((net.forward(x[:, :n_fit]) - y[:, :n_fit]) ** 2).mean(dim=1)
            loss.sum().backward()
            optimiser.step()
            with torch.no_grad():
                if n_val:
                    watched = ((net.forward(x[:, n_fit:]) - y[:, n_fit:]) ** 2).mean(dim=1)
                else:
                    watched = loss.detach()
                improved = watched < best_loss
                best_loss = torch.where(improved, watched, best_loss)
                epoch_of_best = torch.where(
                    improved, torch.full_like(epoch_of_best, epoch), epoch_of_best
                )
                waited = torch.where(improved, torch.zeros_like(waited), waited + 1)
                for name, value in net.params.items():
                    mask = improved.view(-1, *([1] * (value.dim() - 1)))
                    best[name] = torch.where(mask, value.detach(), best[name])
            done = chunk.start + (chunk.stop - chunk.start) * (epoch + 1) / options.epochs
            report(progress, done / len(series), "training the networks")
            if bool((waited > options.patience).all()):
                break
        for name in net.params:
            net.params[name] = best[name].requires_grad_(False)
        nets.append(net)
        chunks.append(chunk)
        best_epoch[chunk] = epoch_of_best.cpu().numpy()
        if n_val:
            val_rmse[chunk] = np.sqrt(best_loss.cpu().numpy()) * scale[chunk]
    return FittedNetworks(nets, chunks, mean, scale, options, device, best_epoch, val_rmse)
