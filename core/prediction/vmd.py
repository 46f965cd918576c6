"""Variational mode decomposition (Dragomiretskiy & Zosso 2014, IEEE TSP 62(3) 531-544).

The signal is mirror-extended to twice its length, taken to the one-sided Fourier domain and
split into ``n_modes`` band-limited modes by ADMM: each mode spectrum is a Wiener filter of the
residual centred on its centre frequency, centre frequencies move to the power-weighted mean
frequency of their mode, and the Lagrangian multiplier enforces exact reconstruction (dual
ascent with step ``tau``; ``tau = 0`` gives a noise slack).

Differences from the common Python port (vmdpy 0.2), on purpose:
- odd-length signals keep their last sample (the mirror extension is N//2 samples on the left
  and N - N//2 on the right, so the extended length is always 2N and the modes are cut back
  exactly at [N//2, N//2 + N));
- only the current iterate is kept (memory O(M * N * K), not 500 * 2N * K);
- several signals of the same length decompose in one vectorised call, each stopping at its own
  convergence, so a row gives the same modes alone or in a batch;
- random initial centre frequencies come from a seeded generator;
- the modes are the last iterate (vmdpy returns the one before the last).
On even lengths the modes equal vmdpy's run for one more iteration (same update order and
reconstruction, differences at machine precision).
Units: modes have the unit of the signal; centre frequencies are in cycles per sample (0-0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..options import Choice, Options, option


class VmdInit(Choice):
    """Initial centre frequencies of the modes."""

    ZERO = "zero", "all at zero frequency"
    UNIFORM = "uniform", "spread uniformly, 0.5 k / K"
    RANDOM = "random", "random (seeded), log-uniform"


@dataclass
class VMDOptions(Options):
    """Options of :func:`vmd`; ``alpha`` values are not portable between implementations."""

    n_modes: int = option(5, help="Number of variational modes (K)", minimum=1, maximum=12)
    alpha: float = option(
        2000.0, help="Bandwidth penalty: larger values give narrower modes", minimum=0.0
    )
    tau: float = option(
        0.0,
        help="Dual ascent step; 0 leaves a noise slack (modes need not sum to the signal)",
        minimum=0.0,
    )
    tol: float = option(
        1e-7,
        help="Stop when the summed squared change of the modes (per sample of the extended "
        "signal) falls below this",
        minimum=0.0,
    )
    max_iter: int = option(500, help="Largest number of iterations", minimum=1)
    init: VmdInit = option(VmdInit.UNIFORM, help="Initial centre frequencies of the modes")
    dc: bool = option(False, help="Hold the first mode at zero frequency (a trend mode)")
    seed: int = option(0, help="Random seed of the 'random' initial frequencies", minimum=0)


@dataclass
class VMDResult:
    modes: np.ndarray  # (K, N) or (M, K, N), lowest centre frequency first
    center_frequencies: np.ndarray  # (K,) or (M, K), cycles per sample
    iterations: np.ndarray  # () or (M,) iterations run
    converged: np.ndarray  # () or (M,) bool


def _initial_omega(options: VMDOptions, n_signals: int, length: int) -> np.ndarray:
    k = options.n_modes
    if options.init == VmdInit.UNIFORM:
        omega = np.tile(0.5 / k * np.arange(k), (n_signals, 1))
    elif options.init == VmdInit.RANDOM:
        rng = np.random.default_rng(options.seed)
        fs = 1.0 / length
        draws = rng.random(k)  # the same start for every row: a row alone = a row in a batch
        omega = np.tile(
            np.sort(np.exp(np.log(fs) + (np.log(0.5) - np.log(fs)) * draws)), (n_signals, 1)
        )
    else:
        omega = np.zeros((n_signals, k))
    if options.dc:
        omega[:, 0] = 0.0
    return omega


def vmd(signal: np.ndarray, options: VMDOptions = None) -> VMDResult:
    """Decompose ``signal`` (N,) or a batch (M, N) of equal-length signals into modes.

    The modes sum to the signal up to the bandwidth constraint (exactly only with tau > 0 and
    convergence). Raises InputError on NaN or a signal shorter than 4 samples.
    """
    options = options or VMDOptions()
    x = np.asarray(signal, dtype=np.float64)
    single = x.ndim == 1
    x = np.atleast_2d(x)
    if x.ndim != 2 or x.shape[1] < 4:
        raise InputError(f"VMD needs signals of at least 4 samples, got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise InputError(
            "VMD got NaN or infinite values.", None, "fill gaps in the series before decomposing."
        )
    m, n = x.shape
    k = options.n_modes
    left = n // 2
    extended = np.concatenate([x[:, :left][:, ::-1], x, x[:, left:][:, ::-1]], axis=1)
    t_len = extended.shape[1]  # always 2N
    half = t_len // 2
    f_plus = np.fft.rfft(extended, axis=1)[:, :half]  # one-sided: 0 .. 0.5 - 1/T
    freqs = np.arange(half) / t_len  # cycles per sample
    alpha = float(options.alpha)

    omega = _initial_omega(options, m, n)
    u_final = np.zeros((m, k, half), dtype=complex)
    iterations = np.zeros(m, dtype=int)
    converged = np.zeros(m, dtype=bool)
    # the rows still iterating, compacted when some converge: u, lam, fa, oa are theirs
    active = np.arange(m)
    u = np.zeros((m, k, half), dtype=complex)
    lam = np.zeros((m, half), dtype=complex)
    fa, oa = f_plus, omega.copy()
    weights = np.repeat(freqs, 2)  # of the (real, imaginary) pairs of a float view
    target = fa - lam / 2
    for _ in range(options.max_iter):
        if active.size == 0:
            break
        change = np.zeros(active.size)
        total = u.sum(axis=1)
        for j in range(k):
            # Wiener filter; times the reciprocal: numpy divides by a real array as complex
            wiener = 1.0 / (1.0 + alpha * (freqs - oa[:, j : j + 1]) ** 2)
            mode = (target - total + u[:, j]) * wiener
            step = (mode - u[:, j]).view(float)
            change += np.einsum("ij,ij->i", step, step)
            u[:, j] = mode
            total += step.view(complex)
            if not (options.dc and j == 0):
                pairs = mode.view(float)  # |mode|^2 summed without a temporary
                power = np.einsum("ij,ij->i", pairs, pairs)
                oa[:, j] = np.einsum("ij,ij,j->i", pairs, pairs, weights) / power
        if options.tau:
            lam = lam + options.tau * (total - fa)
            target = fa - lam / 2
        iterations[active] += 1
        done = np.finfo(float).eps + change / t_len <= options.tol
        if done.any():
            u_final[active[done]], omega[active[done]] = u[done], oa[done]
            converged[active[done]] = True
            going = ~done
            active, u, lam, fa, oa = active[going], u[going], lam[going], fa[going], oa[going]
            target = target[going]
    u_final[active], omega[active] = u, oa

    # the reference code's Hermitian completion (DC and Nyquist bins real), back to time,
    # then the mirror cut off
    spectra = np.concatenate([u_final, u_final[:, :, -1:]], axis=2)
    modes = np.fft.irfft(spectra, n=t_len, axis=2)[:, :, left : left + n]
    if single:
        return VMDResult(modes[0], omega[0], iterations[0], converged[0])
    return VMDResult(modes, omega, iterations, converged)
