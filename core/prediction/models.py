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

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .. import accelerator
from ..accelerator import default_threads, torch_device
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
    threads: int = option(
        0,
        help="CPU threads for torch; 0 = half the cores (at least 1): these small networks "
        "ran 4x slower on 2 threads than on 1 when the 2 cores were shared",
        minimum=0,
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

    def forward(self, x):
        """x (n, B, w) scaled inputs -> (n, B) scaled predictions."""
        torch, p = self.torch, self.params
        n, b, w = x.shape
        lstm = self.cell == RecurrentCell.LSTM
        # fused products (addcmul, baddbmm, lerp): fewer tensors through memory and autograd
        bias = p["b_ih"] + p["b_hh"] if lstm else p["b_ih"]
        h = x.new_zeros(n, b, self.hidden)
        c = x.new_zeros(n, b, self.hidden)
        for t in range(w):
            gi = torch.addcmul(bias, x[:, :, t : t + 1], p["w_ih"])
            if lstm:
                gates = gi if t == 0 else torch.baddbmm(gi, h, p["w_hh"])  # h = 0 at t = 0
                i, f, g, o = gates.chunk(4, dim=2)
                c = torch.addcmul(torch.sigmoid(f) * c, torch.sigmoid(i), torch.tanh(g))
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                gh = p["b_hh"] if t == 0 else torch.baddbmm(p["b_hh"], h, p["w_hh"])
                ir, iz, in_ = gi.chunk(3, dim=2)
                hr, hz, hn = gh.chunk(3, dim=2)
                r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                h = torch.lerp(torch.tanh(torch.addcmul(in_, r, hn)), h, z)  # (1-z) n + z h
        return torch.baddbmm(p["b_out"], h, p["w_out"])[:, :, 0]


class _EarlyStopping:
    """Adam and early stopping of the models of a batched network, each on its own.

    A model that has waited more than ``patience`` epochs without improving its validation
    loss stops: its weights and Adam moments are cut out of the trained tensors, so an epoch
    costs what the models still training cost (the mean stopping epoch, not the last one), and
    what a model learns does not depend on when the others stop. ``active`` holds the indices
    of the models still training; the caller cuts its batch with the mask ``update`` returns.
    Each model keeps the weights of its best validation epoch (``restore``).
    """

    def __init__(self, net: _Batched, learning_rate: float):
        torch = net.torch
        n = next(iter(net.params.values())).shape[0]
        device = next(iter(net.params.values())).device
        self.net = net
        self.learning_rate = learning_rate
        self.steps = 0
        self.moments = {
            k: (torch.zeros_like(v), torch.zeros_like(v)) for k, v in net.params.items()
        }
        self.active = torch.arange(n, device=device)
        self.best = {k: v.detach().clone() for k, v in net.params.items()}
        self.best_loss = torch.full((n,), float("inf"), device=device)
        self.waited = torch.zeros(n, dtype=torch.long, device=device)
        self.epoch_of_best = torch.zeros(n, dtype=torch.long, device=device)
        self.epochs_run = torch.zeros(n, dtype=torch.long, device=device)

    def step(self, loss) -> None:
        """One Adam step (torch.optim.Adam's update, default betas and eps) of the active models
        on their summed losses (active,). Written out: torch.optim imports torch._dynamo and
        sympy on first use (1.2 s per process), and the moments are cut with the weights."""
        torch = self.net.torch
        loss.sum().backward()
        self.steps += 1
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        step_size = self.learning_rate / (1 - beta1**self.steps)
        root_correction = float(np.sqrt(1 - beta2**self.steps))
        with torch.no_grad():
            for name, value in self.net.params.items():
                grad, (first, second) = value.grad, self.moments[name]
                first.lerp_(grad, 1 - beta1)
                second.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denominator = (second.sqrt() / root_correction).add_(eps)
                value.addcdiv_(first, denominator, value=-step_size)
                value.grad = None

    def update(self, watched, epoch: int, patience: int):
        """Record the validation losses (active,) of ``epoch``; returns None when every active
        model goes on, else the mask (active,) of those that do (the others have left)."""
        torch = self.net.torch
        with torch.no_grad():
            active = self.active
            improved = watched < self.best_loss[active]
            better = active[improved]
            self.best_loss[better] = watched[improved]
            self.epoch_of_best[better] = epoch
            self.waited[active] = torch.where(improved, 0, self.waited[active] + 1)
            self.epochs_run[active] = epoch + 1
            for name, value in self.net.params.items():
                self.best[name][better] = value.detach()[improved]
            keep = self.waited[active] <= patience
            if bool(keep.all()):
                return None
            self.active = active[keep]
            self._cut(keep)
        return keep

    def _cut(self, keep) -> None:
        """Go on with the models of ``keep`` only: their weights and Adam moments."""
        self.net.params = {k: v.detach()[keep].requires_grad_() for k, v in self.net.params.items()}
        self.moments = {k: (m[keep], v[keep]) for k, (m, v) in self.moments.items()}

    def restore(self) -> None:
        """Put each model's best weights back into the network (frozen)."""
        self.net.params = {k: v.requires_grad_(False) for k, v in self.best.items()}


@dataclass
class FittedNetworks:
    """Trained networks; ``predict`` maps raw-unit windows to raw-unit next values."""

    nets: list  # one _Batched per chunk of models
    chunks: list  # slices of model indices
    mean: np.ndarray  # (M,) training-series mean per model (0 when relative)
    scale: np.ndarray  # (M,) training standard deviation of levels, or of increments
    options: RecurrentNetworkOptions
    device: object
    best_epoch: np.ndarray  # (M,) epoch of the kept weights (0-based)
    epochs_run: np.ndarray  # (M,) epochs each model trained before it stopped
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


def _scaling(series: np.ndarray, relative: bool) -> tuple:
    """Per-series (mean, scale) (M,) of training series (M, N): relative, (0, standard
    deviation of the increments); else (mean, standard deviation) of the levels."""
    if relative:
        mean = np.zeros(len(series))
        scale = np.diff(series, axis=1).std(axis=1)
    else:
        mean = series.mean(axis=1)
        scale = series.std(axis=1)
    return mean, np.where(scale > 1e-12, scale, 1.0)


def _network_windows(series: np.ndarray, mean, scale, options: RecurrentNetworkOptions) -> tuple:
    """Training windows (M, N - w, w) and targets (M, N - w) of raw series (M, N) in network
    units, float32 (what the networks read), built a block of series at a time so that no
    float64 copy of all windows exists."""
    m, n = series.shape
    w = options.window
    inputs = np.empty((m, max(n - w, 0), w), dtype=np.float32)
    targets = np.empty((m, max(n - w, 0)), dtype=np.float32)
    step = max(1, 2**20 // max(n * w, 1))
    for start in range(0, max(m, 1), step):
        rows = slice(start, min(start + step, m))
        raw_inputs, raw_targets = windows(series[rows], w)
        inputs[rows], targets[rows] = _transform(
            raw_inputs, raw_targets, mean[rows], scale[rows], options.relative
        )
    return inputs, targets


def fitting_windows(n_windows: int, validation_fraction: float) -> int:
    """Windows of a series used for fitting; the rest (the latest, in time order) validate
    early stopping. Series of fewer than 10 windows keep all for fitting."""
    n_val = int(round(validation_fraction * n_windows)) if n_windows >= 10 else 0
    return n_windows - n_val


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
    device = torch_device(torch, options.device, options.threads or default_threads())
    series = np.atleast_2d(np.asarray(train_series, dtype=float))
    if not np.all(np.isfinite(series)):
        raise InputError("network training series contain NaN.", None, "fill gaps first.")
    mean, scale = _scaling(series, options.relative)
    inputs, targets = _network_windows(series, mean, scale, options)
    n_windows = inputs.shape[1]
    n_fit = fitting_windows(n_windows, options.validation_fraction)
    n_val = n_windows - n_fit
    nets, chunks = [], []
    best_epoch = np.zeros(len(series), dtype=int)
    epochs_run = np.zeros(len(series), dtype=int)
    val_rmse = np.full(len(series), np.nan)
    for start in range(0, len(series), options.chunk_models):
        chunk = slice(start, min(start + options.chunk_models, len(series)))
        x = torch.as_tensor(inputs[chunk], dtype=torch.float32, device=device)
        y = torch.as_tensor(targets[chunk], dtype=torch.float32, device=device)
        net = _Batched(torch, x.shape[0], options, device)
        stopping = _EarlyStopping(net, options.learning_rate)
        for epoch in range(options.epochs):
            loss = ((net.forward(x[:, :n_fit]) - y[:, :n_fit]) ** 2).mean(dim=1)
            stopping.step(loss)
            with torch.no_grad():
                if n_val:
                    watched = ((net.forward(x[:, n_fit:]) - y[:, n_fit:]) ** 2).mean(dim=1)
                else:
                    watched = loss.detach()
            done = chunk.start + (chunk.stop - chunk.start) * (epoch + 1) / options.epochs
            report(progress, done / len(series), "training the networks")
            keep = stopping.update(watched, epoch, options.patience)
            if keep is not None:
                if not stopping.active.numel():
                    break
                x, y = x[keep], y[keep]
        stopping.restore()
        nets.append(net)
        chunks.append(chunk)
        best_epoch[chunk] = stopping.epoch_of_best.cpu().numpy()
        epochs_run[chunk] = stopping.epochs_run.cpu().numpy()
        if n_val:
            val_rmse[chunk] = np.sqrt(stopping.best_loss.cpu().numpy()) * scale[chunk]
    return FittedNetworks(
        nets, chunks, mean, scale, options, device, best_epoch, epochs_run, val_rmse
    )


@dataclass
class GlobalNetworkOptions(Options):
    """One network for all points (the global model): minibatches of windows pooled over the
    points, so its training time does not grow with the number of points."""

    hidden: int = option(
        16,
        help="Hidden units of the shared network (16 tested as accurate as 32 on the real "
        "EGMS layer, in half the time)",
        minimum=1,
    )
    batch_windows: int = option(
        1024, help="Windows per training step, drawn from all points", minimum=16
    )
    epoch_windows: int = option(
        8192,
        help="Windows drawn per epoch (at most all the fitting windows of the layer)",
        minimum=16,
    )
    passes: float = option(
        1.0,
        help="Windows drawn in all, in passes over the fitting windows of the layer: a small "
        "layer's training stops there (early stopping may end it sooner). On 1,000 EGMS points "
        "one pass tested 0.6 % above training to early stopping (3.4 passes), 2 % below "
        "per-series GRU",
        minimum=0.01,
    )
    validation_windows: int = option(
        4096,
        help="Validation windows watched by early stopping (a fixed sample of the latest "
        "training windows of every point)",
        minimum=16,
    )


@dataclass
class GlobalNetworks:
    """``members`` networks (ensemble seeds) each shared by all series; per-series scaling."""

    net: _Batched  # one model per member
    mean: np.ndarray  # (M,) as FittedNetworks
    scale: np.ndarray  # (M,)
    options: RecurrentNetworkOptions
    device: object
    best_epoch: np.ndarray  # (members,)
    epochs_run: np.ndarray  # (members,)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """inputs (M, B, w) raw units of the series it was fitted on, or (members, M, B, w) one
        set per member -> (members, M, B) raw units."""
        torch = self.net.torch
        members = self.best_epoch.size
        each = inputs.ndim == 4
        stacked = inputs if each else inputs[None]
        sets, m, b, w = stacked.shape
        out = np.empty((members, m, b))
        # series per forward pass: about 32k windows per member (bounded memory)
        step = max(1, 2**15 // max(b, 1))
        with torch.no_grad():
            for start in range(0, m, step):
                part = slice(start, min(start + step, m))
                raw = stacked[:, part].transpose(1, 0, 2, 3).reshape(-1, sets * b, w)
                x, _ = _transform(
                    raw, None, self.mean[part], self.scale[part], self.options.relative
                )
                x = x.reshape(-1, sets, b, w).transpose(1, 0, 2, 3).reshape(sets, -1, w)
                xt = torch.as_tensor(x, dtype=torch.float32, device=self.device)
                xt = xt.expand(members, -1, -1)
                pred = self.net.forward(xt).cpu().numpy().astype(float)
                out[:, part] = pred.reshape(members, -1, b)
        anchor = stacked[..., -1] if self.options.relative else self.mean[None, :, None]
        return out * self.scale[None, :, None] + anchor

    def recursive(self, history: np.ndarray, steps: int) -> np.ndarray:
        """history (M, >= w) raw -> the next ``steps`` values of each member (members, M,
        steps), each member's predictions fed back to it."""
        w = self.options.window
        members = self.best_epoch.size
        buffer = np.repeat(np.array(history[None, :, -w:], dtype=float), members, axis=0)
        out = np.empty(buffer.shape[:2] + (steps,))
        for s in range(steps):
            out[:, :, s] = self.predict(buffer[:, :, None, :])[:, :, 0]
            buffer = np.concatenate([buffer[:, :, 1:], out[:, :, s : s + 1]], axis=2)
        return out


def fit_global_networks(
    train_series: np.ndarray,
    options: RecurrentNetworkOptions = None,
    shared: GlobalNetworkOptions = None,
    members: int = 1,
    progress: ProgressCallback = silent,
) -> GlobalNetworks:
    """Train ``members`` networks, each on the windows of ALL rows of ``train_series`` (M, N)
    at once, to predict the next value from the previous ``options.window`` values.

    Each series keeps its own scaling (from its training samples only, as
    :func:`fit_networks`); windows are pooled after scaling. Early stopping watches the latest
    ``validation_fraction`` of every series' training windows (time order kept), the fitting
    windows are the earlier ones. Members differ by initial weights and minibatch draws.
    Training draws at most ``shared.passes`` times the fitting windows (and at most
    ``options.epochs`` epochs), so its cost grows with the layer up to that cap.
    """
    options = options or RecurrentNetworkOptions()
    shared = shared or GlobalNetworkOptions()
    options = replace(options, hidden=shared.hidden)
    torch = import_torch()
    device = torch_device(torch, options.device, options.threads or default_threads())
    series = np.atleast_2d(np.asarray(train_series, dtype=float))
    if not np.all(np.isfinite(series)):
        raise InputError("network training series contain NaN.", None, "fill gaps first.")
    mean, scale = _scaling(series, options.relative)
    inputs, targets = _network_windows(series, mean, scale, options)
    w = options.window
    n_fit = fitting_windows(inputs.shape[1], options.validation_fraction)
    fit_x = torch.from_numpy(np.ascontiguousarray(inputs[:, :n_fit]).reshape(-1, w))
    fit_y = torch.from_numpy(np.ascontiguousarray(targets[:, :n_fit]).reshape(-1))
    val_x = inputs[:, n_fit:].reshape(-1, w)
    val_y = targets[:, n_fit:].reshape(-1)
    gen = torch.Generator().manual_seed(int(options.seed))
    if len(val_x) > shared.validation_windows:
        keep = torch.randperm(len(val_x), generator=gen)[: shared.validation_windows].numpy()
        val_x, val_y = val_x[np.sort(keep)], val_y[np.sort(keep)]
    fit_x, fit_y = fit_x.to(device), fit_y.to(device)
    val_x = torch.as_tensor(val_x, dtype=torch.float32, device=device).expand(members, -1, -1)
    val_y = torch.as_tensor(val_y, dtype=torch.float32, device=device)
    net = _Batched(torch, members, options, device)
    batch = min(shared.batch_windows, len(fit_x))
    steps = max(1, min(len(fit_x), shared.epoch_windows) // batch)
    epochs = min(options.epochs, max(1, int(np.ceil(shared.passes * len(fit_x) / (steps * batch)))))
    stopping = _EarlyStopping(net, options.learning_rate)
    for epoch in range(epochs):
        for _ in range(steps):
            # every member draws, so a member's windows do not depend on who has stopped
            draw = torch.randint(len(fit_x), (members, batch), generator=gen).to(device)
            draw = draw[stopping.active]
            loss = ((net.forward(fit_x[draw]) - fit_y[draw]) ** 2).mean(dim=1)
            stopping.step(loss)
        with torch.no_grad():
            if len(val_y):
                watched = ((net.forward(val_x) - val_y) ** 2).mean(dim=1)
            else:
                watched = loss.detach()
        report(progress, (epoch + 1) / epochs, "training the global network")
        keep = stopping.update(watched, epoch, options.patience)
        if keep is not None:
            if not stopping.active.numel():
                break
            val_x = val_x[keep]
    stopping.restore()
    best_epoch, epochs_run = stopping.epoch_of_best.cpu().numpy(), stopping.epochs_run.cpu().numpy()
    return GlobalNetworks(net, mean, scale, options, device, best_epoch, epochs_run)
