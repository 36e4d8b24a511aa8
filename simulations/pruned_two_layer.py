"""Two-layer networks randomly pruned at initialisation, trained on signal/noise patches (claims P1–P4).

Network. Filters w_{j,r} ∈ R^d for the output sign j ∈ {+1, −1} (index 0 and 1) and neuron r < m, a
fixed 0/1 mask M_{j,r} of the same shape, effective filters v = w ⊙ M, and

    F_j(x) = (1/m)·Σ_r [σ(⟨v_{j,r}, y·μ⟩) + σ(⟨v_{j,r}, ξ⟩)],   f(x) = F_{+1}(x) − F_{−1}(x),

σ(z) = max(z, 0)^q (q = 1: ReLU). Logistic loss L = (1/n)·Σ_i log(1 + e^{−y_i f(x_i)}), whose
gradient, with g_i = −y_i·sigmoid(−y_i f_i)/n and s_j = ±1, is

    ∂L/∂w_{j,r} = M_{j,r} ⊙ (s_j/m)·Σ_i g_i·[σ′(y_i⟨v_{j,r}, μ⟩)·y_i·μ + σ′(⟨v_{j,r}, ξ_i⟩)·ξ_i].

Full-batch gradient descent w ← w − η·∂L/∂w starts from w⁰ ⊙ M, so masked weights stay exactly 0.

Everything runs on a leading batch of networks: weights and masks have shape batch + (2, m, d), the
data broadcast against the batch (labels batch′ + (n,), noise patches batch′ + (n, d)). The arithmetic is
written once against an array backend (`Ops`): NumPy here, torch in
`simulations.pruned_two_layer_torch`; both run the same operations in float64.

Diagnostics at the recorded steps: training loss and 0-1 error, test error (ties count as errors),
signal coefficients s_j·⟨v_{j,r}, μ⟩ (> 0: the neuron learns its class's signal) and noise coefficients
mean_{i: y_i = s_j} ⟨v_{j,r}, ξ_i⟩ per neuron.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from simulations.patch_data import _positive_int, _positive_real, sample_patch_data, signal_vector
from theory.validation import real_values

TRACES = ("loss", "train_error", "test_error", "signal", "noise")


@dataclass(frozen=True)
class Ops:
    """The few backend functions the arithmetic needs beyond @, +, *, ** and reductions."""

    asarray: Callable  # array-like -> float64 backend array
    to_numpy: Callable
    expit: Callable
    softplus: Callable  # log(1 + e^x), exact for large |x|
    concat: Callable  # (arrays, axis)
    contiguous: Callable
    step: Callable  # 1[z > 0] as float64


NUMPY_OPS = Ops(asarray=lambda a: np.asarray(a, dtype=np.float64), to_numpy=np.asarray, expit=expit,
                softplus=lambda x: np.logaddexp(0.0, x), concat=np.concatenate, contiguous=np.ascontiguousarray, step=lambda z: (z > 0).astype(np.float64))


def backend_ops(backend: str = "numpy", device: str = "auto") -> Ops:
    """The array backend: "numpy" (device "auto" or "cpu") or "torch" (device "auto", "cpu", "cuda[:i]")."""
    if backend == "numpy":
        if device not in ("auto", "cpu"):
            raise ValueError(f"device must be 'auto' or 'cpu' for the numpy backend, got {device!r}")
        return NUMPY_OPS
    if backend == "torch":
        from simulations.pruned_two_layer_torch import torch_ops

        return torch_ops(device)
    raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")


def initial_weights(batch: tuple[int, ...], m: int, d: int, sigma0: float, rng) -> np.ndarray:
    """w⁰ ~ N(0, σ₀²) i.i.d., shape batch + (2, m, d)."""
    shape = tuple(_positive_int(size, "batch") for size in batch) + (2, _positive_int(m, "m"), _positive_int(d, "d"))
    return _positive_real(sigma0, "sigma0") * np.random.default_rng(rng).standard_normal(shape)


def random_masks(rho, m: int, d: int, rng, spare=None) -> np.ndarray:
    """0/1 masks, entries Bernoulli(1 − ρ) i.i.d., shape rho.shape + (2, m, d); coordinates where the
    boolean vector `spare` (d,) is true are always kept (the signal-preserving setting)."""
    rho = real_values(rho, "rho")
    if np.any((rho < 0) | (rho >= 1)):
        raise ValueError(f"rho must lie in [0, 1), got values in [{rho.min()}, {rho.max()}]")
    shape = rho.shape + (2, _positive_int(m, "m"), _positive_int(d, "d"))
    masks = (np.random.default_rng(rng).random(shape) < (1 - rho)[..., None, None, None]).astype(np.float64)
    if spare is not None:
        spare = np.asarray(spare)
        if spare.dtype != bool or spare.shape != (d,):
            raise ValueError(f"spare must be a boolean vector of length d = {d}, got {spare.dtype} {spare.shape}")
        masks[..., spare] = 1.0
    return masks


def kept_signal(masks, mu) -> np.ndarray:
    """Fraction of the signal energy each neuron keeps, ‖M_{j,r} ⊙ μ‖²/‖μ‖² (shape masks.shape[:-1])."""
    mu = real_values(mu, "mu")
    return np.asarray(masks) @ mu**2 / (mu @ mu)


def _activation(z, q: float):
    return z.clip(min=0) if q == 1 else z.clip(min=0) ** q


def _activation_slope(z, q: float, ops: Ops):
    return ops.step(z) if q == 1 else q * z.clip(min=0) ** (q - 1)


def _patches(mu, xi, ops: Ops):
    """P = [μ; ξ_1; …; ξ_n] (data batch + (n + 1, d)) and a contiguous Pᵀ: one matrix product serves both
    patches."""
    patches = ops.concat([mu + 0 * xi[..., :1, :], xi], axis=-2)
    return patches, ops.contiguous(patches.swapaxes(-1, -2))


def _times(A, matrix):
    """A @ matrix for A of shape data batch + more axes + (rows, ·) and matrix data batch + (·, ·): the rows of
    all the networks that share a data set go through one matrix product."""
    lead = A.shape[:matrix.ndim - 2]
    product = A.reshape(tuple(lead) + (-1, A.shape[-1])) @ matrix
    return product.reshape(tuple(A.shape[:-1]) + (product.shape[-1],))


def _network_labels(y, network_ndim: int):
    """Labels data batch + (n,) viewed as data batch + (1, …, 1) + (n,) with `network_ndim` batch axes."""
    return y.reshape(tuple(y.shape[:-1]) + (1,) * (network_ndim - y.ndim + 1) + (y.shape[-1],))


def _forward(V, patches, y, q: float):
    """Signal pre-activations y_i⟨v, μ⟩, noise pre-activations ⟨v, ξ_i⟩ (batch + (2, m, n)) and f (batch + (n,));
    y already has the network batch's number of axes."""
    Z = _times(V, patches[1])
    signal, noise = Z[..., :1] * y[..., None, None, :], Z[..., 1:]
    F = (_activation(signal, q) + _activation(noise, q)).mean(axis=-2)
    return signal, noise, F[..., 0, :] - F[..., 1, :]


def _loss_and_gradient(V, masks, patches, y, q: float, ops: Ops):
    signal, noise, f = _forward(V, patches, y, q)
    g = -y * ops.expit(-y * f) / y.shape[-1]
    coefficient = ops.asarray([1.0, -1.0])[:, None, None] * g[..., None, None, :] / V.shape[-2]
    signal_weight = (_activation_slope(signal, q, ops) * coefficient * y[..., None, None, :]).sum(axis=-1)
    weights = ops.concat([signal_weight[..., None], _activation_slope(noise, q, ops) * coefficient], axis=-1)
    loss = ops.softplus(-y * f).mean(axis=-1)
    gradient = _times(weights, patches[0])
    gradient *= masks  # in place: the batch's largest arrays are not allocated again
    return loss, gradient, signal, noise, f


def network_output(V, mu, y, xi, q: float = 1.0, ops: Ops = NUMPY_OPS):
    """f(x_i) for effective filters V = W ⊙ M (data batch + more axes + (2, m, d)) on labels y (data batch +
    (n,)) and noise patches xi (data batch + (n, d)): shape V.shape[:-3] + (n,)."""
    return _forward(V, _patches(mu, xi, ops), _network_labels(y, V.ndim - 3), q)[2]


def loss_and_gradient(W, masks, mu, y, xi, q: float = 1.0, ops: Ops = NUMPY_OPS):
    """(L, ∂L/∂W, signal and noise pre-activations, f) of the masked network (shapes as `network_output`)."""
    V = W * masks
    return _loss_and_gradient(V, masks, _patches(mu, xi, ops), _network_labels(y, V.ndim - 3), q, ops)


def record_steps(steps: int, records: int) -> np.ndarray:
    """Step 0, up to `records` geometrically spaced steps in [1, steps] and the last step (distinct, increasing)."""
    steps, records = _positive_int(steps, "steps"), _positive_int(records, "records")
    spaced = np.round(np.geomspace(1, steps, records)).astype(int)
    return np.unique(np.concatenate([[0], spaced, [steps]]))


def _check_data(mu, y, xi, network_shape: tuple[int, ...], name: str):
    y, xi = real_values(y, f"y{name}"), real_values(xi, f"xi{name}")
    k = xi.ndim - 2
    if not np.all(np.abs(y) == 1) or xi.shape[:-1] != y.shape or xi.shape[-1] != mu.size or k < 0 \
            or tuple(network_shape[:k]) != xi.shape[:k] or k > len(network_shape) - 3:
        raise ValueError(f"y{name} must be ±1 of shape data batch + (n,) and xi{name} of shape data batch + (n, d = "
                         f"{mu.size}), the data batch leading the network batch {network_shape[:-3]}; got "
                         f"{y.shape} and {xi.shape}")
    return y, xi


def _check_training_inputs(W0, masks, mu, y, xi, lr, q, test):
    W0, masks, mu = real_values(W0, "W0"), real_values(masks, "masks"), real_values(mu, "mu")
    if W0.ndim < 3 or W0.shape[-3] != 2 or mu.shape != W0.shape[-1:]:
        raise ValueError(f"W0 must have shape batch + (2, m, d) and mu d entries, got {W0.shape} and {mu.shape}")
    try:
        network_shape = np.broadcast_shapes(W0.shape, masks.shape)
    except ValueError:
        raise ValueError(f"masks {masks.shape} must broadcast against W0 {W0.shape}") from None
    if masks.shape[-3:] != W0.shape[-3:] or not np.all((masks == 0) | (masks == 1)):
        raise ValueError(f"masks must be 0/1 with shape batch + {W0.shape[-3:]} (as W0), got shape {masks.shape}")
    y, xi = _check_data(mu, y, xi, network_shape, "")
    if test is not None:
        test = _check_data(mu, *test, network_shape, "_test")
    q = real_values(q, "q")
    if q.ndim != 0 or q < 1:
        raise ValueError(f"q must be a real number ≥ 1, got {q}")
    return W0, masks, mu, y, xi, _positive_real(lr, "lr"), float(q), test, network_shape


def train(W0, masks, mu, y, xi, *, lr: float, steps: int, records: int = 10, q: float = 1.0, test=None,
          ops: Ops = NUMPY_OPS) -> dict[str, np.ndarray]:
    """Full-batch gradient descent from W0 ⊙ masks for `steps` steps, every network of the batch at once.

    W0 and masks broadcast to the network batch + (2, m, d); the data (y: data batch + (n,), xi: data batch +
    (n, d)) and `test` = (y_test, xi_test) have leading batch axes equal to the network batch's first ones (none:
    shared by every network). Returns NumPy arrays: "steps" (T,), "loss", "train_error", "test_error" (T,) +
    batch, "signal", "noise" (T,) + batch + (2, m), and "weights", the final W (zero wherever the mask is).
    """
    W0, masks, mu, y, xi, lr, q, test, shape = _check_training_inputs(W0, masks, mu, y, xi, lr, q, test)
    at = record_steps(steps, records)
    masks, mu, xi = (ops.asarray(a) for a in (masks, mu, xi))
    y = _network_labels(ops.asarray(y), len(shape) - 3)
    patches = _patches(mu, xi, ops)
    W = ops.asarray(W0) * masks
    sign = ops.asarray([1.0, -1.0])
    same_class = ops.step(sign[:, None, None] * y[..., None, None, :])
    test_patches = y_test = None
    if test is not None:
        test_patches = _patches(mu, ops.asarray(test[1]), ops)
        y_test = _network_labels(ops.asarray(test[0]), len(shape) - 3)
    traces = {name: [] for name in TRACES}
    with _blas_threads(ops):
        for t in range(int(at[-1]) + 1):
            loss, gradient, signal, noise, f = _loss_and_gradient(W, masks, patches, y, q, ops)
            if t in at:
                traces["loss"].append(loss)
                traces["train_error"].append((1 - ops.step(y * f)).mean(axis=-1))
                if test_patches is not None:
                    f_test = _forward(W, test_patches, y_test, q)[2]
                    traces["test_error"].append((1 - ops.step(y_test * f_test)).mean(axis=-1))
                traces["signal"].append(sign[:, None] * (W * mu).sum(axis=-1))
                traces["noise"].append((noise * same_class).sum(axis=-1) / same_class.sum(axis=-1).clip(min=1))
            if t < at[-1]:
                gradient *= lr
                W -= gradient
    result = {name: np.stack([ops.to_numpy(a) for a in values]) for name, values in traces.items() if values}
    return result | {"steps": at, "weights": ops.to_numpy(W)}


def _blas_threads(ops: Ops):
    """NumPy runs its many small products on one BLAS thread (measured 5× faster than two on a shared 2-core
    machine); parallelism comes from the batch and from --jobs. Torch keeps its own threads."""
    return threadpool_limits(1) if ops is NUMPY_OPS else contextlib.nullcontext()


@dataclass(frozen=True)
class SweepSettings:
    """One experiment: data (n, d, signal norm and sparsity, σ_p), network (m, q, σ₀), training (η, steps).

    `preserve_signal`: the masks never remove the signal's coordinates (the signal-preserving setting);
    otherwise they are fully random.
    """

    n: int = 50
    d: int = 1000
    m: int = 20
    mu_norm: float = 10.0
    sparsity: int = 1
    sigma_p: float = 1.0
    sigma0: float = 0.01
    q: float = 1.0
    lr: float = 0.1
    steps: int = 500
    records: int = 10
    n_test: int = 2000
    preserve_signal: bool = False


def sweep(rhos, n_seeds: int, settings: SweepSettings, rng, backend: str = "numpy", device: str = "auto"
          ) -> dict[str, np.ndarray]:
    """Train the (ρ, seed) grid of networks as one batch; results have batch shape (R, S).

    Each seed draws its own training set and initial weights, shared by every ρ (a paired design); each
    (ρ, seed) draws its own mask; one fresh test set of `n_test` examples serves all networks. Returns the
    traces of `train` plus "rhos", "kept_signal" (R, S, 2, m) and "signal_neurons" (R, S), the number of
    neurons keeping at least half of the signal's energy.
    """
    rhos = real_values(rhos, "rhos")
    if rhos.ndim != 1:
        raise ValueError(f"rhos must be a 1-dimensional array, got shape {rhos.shape}")
    n_seeds = _positive_int(n_seeds, "n_seeds")
    ops = backend_ops(backend, device)
    data_rng, init_rng, mask_rng, test_rng = np.random.default_rng(rng).spawn(4)
    mu = signal_vector(settings.d, settings.mu_norm, settings.sparsity)
    y, xi = sample_patch_data(settings.n, mu, settings.sigma_p, data_rng, batch=(n_seeds,))
    W0 = initial_weights((n_seeds, 1), settings.m, settings.d, settings.sigma0, init_rng)
    spare = mu != 0 if settings.preserve_signal else None
    masks = random_masks(np.repeat(rhos[None, :], n_seeds, axis=0), settings.m, settings.d, mask_rng, spare)
    test = sample_patch_data(settings.n_test, mu, settings.sigma_p, test_rng)
    traces = train(W0, masks, mu, y, xi, lr=settings.lr, steps=settings.steps, records=settings.records,
                   q=settings.q, test=test, ops=ops)
    traces = {name: np.swapaxes(values, 1, 2) for name, values in traces.items() if name in TRACES}
    kept = np.swapaxes(kept_signal(masks, mu), 0, 1)
    return traces | {"steps": record_steps(settings.steps, settings.records), "rhos": rhos, "kept_signal": kept,
                     "signal_neurons": (kept >= 0.5).sum(axis=(-2, -1))}
