"""A small batched multilayer perceptron in NumPy: masks, hand-written gradients, minibatch SGD.

B networks of one architecture `sizes = (d_0, d_1, …, d_L)` are stored together, so that seeds,
pruners and densities train in the same array operations: `weights[l]` has shape (B, d_{l+1}, d_l)
and `biases[l]` shape (B, d_{l+1}) (or None: no biases). With masks M_l (0/1, the shape of W_l)
the network computes

    a_0 = x,   z_l = a_{l−1}(M_l⊙W_l)ᵀ + b_l,   a_l = relu(z_l) (hidden layers),   f = z_L.

Losses per network on n examples (THEORY.md: L(w) = (1/n)||y − Xw||² for one linear output):
    "mse":            L = (1/n) Σ_i ||y_i − f_i||²,        ∂L/∂f_i = −(2/n)(y_i − f_i);
    "cross_entropy":  L = (1/n) Σ_i [lse(f_i) − f_{i,y_i}], ∂L/∂f_i = (softmax(f_i) − e_{y_i})/n.
Backpropagation: δ_L = ∂L/∂f, ∂L/∂W_l = M_l⊙(δ_lᵀ a_{l−1}), ∂L/∂b_l = Σ_i δ_{l,i},
δ_{l−1} = (δ_l (M_l⊙W_l))⊙[z_{l−1} > 0].

Data: X is (n, d_0) shared by all networks or (B, n, d_0), one data set per network; Y is (n, d_L)
or (B, n, d_L) for "mse" and integer labels (n,) or (B, n) for "cross_entropy". Training applies the
mask to the gradient and to the weights after every step, so masked weights stay exactly zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax, softmax

from theory.validation import generator, real_values

LOSSES = ("mse", "cross_entropy")
EXP_SAFE = 300.0  # |exponent| below which Σ_c π_c·exp(t_c) needs no shift (no overflow, sum ≥ e^{−300})


@dataclass
class Params:
    """Weights (B, d_{l+1}, d_l) and biases (B, d_{l+1}) of B networks; biases None when absent."""

    weights: list[np.ndarray]
    biases: list[np.ndarray] | None

    @property
    def n_networks(self) -> int:
        return self.weights[0].shape[0]

    def copy(self) -> Params:
        return Params([w.copy() for w in self.weights], None if self.biases is None else [b.copy() for b in self.biases])

    def take(self, index) -> Params:
        """The networks at `index` (an index array into the batch), as a new Params."""
        return Params([w[index] for w in self.weights], None if self.biases is None else [b[index] for b in self.biases])


def _count(value, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not value >= low:
        raise ValueError(f"{name} must be an integer ≥ {low}, got {value!r}")
    return int(value)


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _loss_name(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def init_params(sizes, n_networks: int, rng, *, bias: bool = True) -> Params:
    """He initialisation: W_l ~ N(0, 2/d_l) for hidden layers, N(0, 1/d_l) for the output layer; b = 0."""
    sizes = tuple(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    for size in sizes:
        _count(size, "sizes")
    n_networks = _count(n_networks, "n_networks")
    rng = generator(rng)
    last = len(sizes) - 2
    weights = [rng.standard_normal((n_networks, out, inp)) * np.sqrt((1.0 if l == last else 2.0) / inp)
               for l, (inp, out) in enumerate(zip(sizes[:-1], sizes[1:]))]
    biases = [np.zeros((n_networks, out)) for out in sizes[1:]] if bias else None
    return Params(weights, biases)


def check_masks(params: Params, masks) -> list[np.ndarray]:
    """Masks as float arrays of 0s and 1s with the shapes of the weights (ValueError otherwise)."""
    if not isinstance(params, Params):
        raise TypeError(f"params must be a simulations.mlp.Params, got {type(params).__name__}")
    if masks is None:
        return [np.ones_like(w) for w in params.weights]
    if not isinstance(masks, (list, tuple)):
        raise TypeError(f"masks must be a list of arrays (one per layer), got {type(masks).__name__}")
    masks = [real_values(m, "masks") for m in masks]
    if len(masks) != len(params.weights) or any(m.shape != w.shape for m, w in zip(masks, params.weights)):
        raise ValueError(f"masks must have the weights' shapes {[w.shape for w in params.weights]}, "
                         f"got {[m.shape for m in masks]}")
    if any(np.any((m != 0) & (m != 1)) for m in masks):
        raise ValueError("masks must contain only 0 and 1")
    return masks


def effective_weights(params: Params, masks) -> list[np.ndarray]:
    """M_l⊙W_l for every layer."""
    return [m * w for m, w in zip(check_masks(params, masks), params.weights)]


def batch_data(X, n_networks: int) -> np.ndarray:
    """X as a (B, n, d) view: a shared (n, d) data set is broadcast, a per-network one checked."""
    X = real_values(X, "X")
    n_networks = _count(n_networks, "n_networks")
    if X.ndim == 2:
        return np.broadcast_to(X, (n_networks, *X.shape))
    if X.ndim != 3 or X.shape[0] != n_networks:
        raise ValueError(f"X must have shape (n, d) or (B = {n_networks}, n, d), got {X.shape}")
    return X


def batch_targets(Y, n_networks: int, loss: str, n: int, out: int) -> np.ndarray:
    """Targets as (B, n, out) floats for "mse" or (B, n) integer labels for "cross_entropy"."""
    n_networks, n, out = _count(n_networks, "n_networks"), _count(n, "n"), _count(out, "out")
    if _loss_name(loss) == "mse":
        Y = real_values(Y, "Y")
        Y = Y[..., None] if Y.ndim in (1, 2) and out == 1 and Y.shape[-1] == n else Y
        Y = np.broadcast_to(Y, (n_networks, n, out)) if Y.ndim == 2 and Y.shape == (n, out) else Y
        if Y.shape != (n_networks, n, out):
            raise ValueError(f"Y must have shape (n, {out}) or (B, n, {out}), got {Y.shape}")
        return Y
    Y = np.asarray(Y)
    if not np.issubdtype(Y.dtype, np.integer):
        raise ValueError("Y must hold integer class labels for the cross_entropy loss")
    Y = np.broadcast_to(Y, (n_networks, n)) if Y.ndim == 1 else Y
    if Y.shape != (n_networks, n) or np.any((Y < 0) | (Y >= out)):
        raise ValueError(f"Y must be labels in 0..{out - 1} of shape (n,) or (B, n), got shape {Y.shape}")
    return Y


def _forward(params: Params, effective: list[np.ndarray], data: np.ndarray):
    """Pre-activations and activations with the effective (already masked) weights."""
    pre, activations, activation = [], [data], data
    for l, weight in enumerate(effective):
        z = activation @ np.ascontiguousarray(weight.transpose(0, 2, 1))  # a transposed view can be 100× slower
        if params.biases is not None:
            z += params.biases[l][:, None, :]
        pre.append(z)
        if l < len(effective) - 1:
            activation = np.maximum(z, 0.0)
            activations.append(activation)
    return pre, activations


def _data(params: Params, X) -> np.ndarray:
    data = batch_data(X, params.n_networks)
    if data.shape[2] != params.weights[0].shape[2]:
        raise ValueError(f"X must have {params.weights[0].shape[2]} features, got {data.shape[2]}")
    return data


def forward(params: Params, X, masks=None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations z_1..z_L and activations a_0..a_{L−1}, each (B, n, width)."""
    return _forward(params, effective_weights(params, masks), _data(params, X))


def loss_values(output: np.ndarray, Y: np.ndarray, loss: str) -> np.ndarray:
    """Per-network loss (B,) of outputs (B, n, out) against validated targets."""
    if _loss_name(loss) == "mse":
        return np.mean(np.sum((Y - output) ** 2, axis=2), axis=1)
    picked = np.take_along_axis(log_softmax(output, axis=2), Y[..., None], axis=2)[..., 0]
    return -np.mean(picked, axis=1)


def output_delta(output: np.ndarray, targets: np.ndarray, loss: str) -> np.ndarray:
    """∂L/∂f (B, n, out) for validated targets (module docstring)."""
    n = output.shape[1]
    if _loss_name(loss) == "mse":
        return -2.0 / n * (targets - output)
    delta = softmax(output, axis=2)
    np.put_along_axis(delta, targets[..., None], np.take_along_axis(delta, targets[..., None], axis=2) - 1.0, axis=2)
    return delta / n


def _backprop(params: Params, masks: list[np.ndarray], effective: list[np.ndarray], data: np.ndarray,
              targets: np.ndarray, loss: str):
    pre, activations = _forward(params, effective, data)
    delta = output_delta(pre[-1], targets, loss)
    weight_grads, bias_grads = [None] * len(masks), [None] * len(masks)
    for l in range(len(masks) - 1, -1, -1):
        weight_grads[l] = masks[l] * (delta.transpose(0, 2, 1) @ activations[l])
        bias_grads[l] = delta.sum(axis=1)
        if l > 0:
            delta = (delta @ effective[l]) * (pre[l - 1] > 0)
    return pre[-1], Params(weight_grads, None if params.biases is None else bias_grads)


def loss_and_grad(params: Params, X, Y, loss: str, masks=None) -> tuple[np.ndarray, Params]:
    """Per-network loss (B,) and its gradient (module docstring); masked weight gradients are zero."""
    loss = _loss_name(loss)
    data = _data(params, X)
    targets = batch_targets(Y, params.n_networks, loss, data.shape[1], params.weights[-1].shape[1])
    masks = check_masks(params, masks)
    output, grads = _backprop(params, masks, [m * w for m, w in zip(masks, params.weights)], data, targets, loss)
    return loss_values(output, targets, loss), grads


def test_error(params: Params, X, Y, loss: str, masks=None) -> np.ndarray:
    """Per-network error (B,): the loss for "mse", the misclassification rate for "cross_entropy"."""
    loss = _loss_name(loss)
    output = forward(params, X, masks)[0][-1]
    B, n, out = output.shape
    Y = batch_targets(Y, B, loss, n, out)
    if loss == "mse":
        return loss_values(output, Y, loss)
    return np.mean(np.argmax(output, axis=2) != Y, axis=1)


def minibatch_order(n_networks: int, n: int, rng) -> np.ndarray:
    """An independent random permutation of 0..n−1 for every network, shape (B, n)."""
    n_networks, n = _count(n_networks, "n_networks"), _count(n, "n")
    return generator(rng).permuted(np.tile(np.arange(n), (n_networks, 1)), axis=1)


def sgd_epoch(params: Params, X, Y, loss: str, *, lr: float, batch_size: int, rng, masks=None) \
        -> tuple[Params, list[np.ndarray]]:
    """One epoch of minibatch SGD, every network on its own shuffle of its data.

    Each step: W ← M⊙(W − lr·∇_W L_batch), b ← b − lr·∇_b L_batch. Batches are consecutive slices of
    the shuffle; the last one may be smaller. Returns the updated parameters (a new object) and the
    accumulated gradient magnitude Σ_steps |∇_W L_batch| per layer (zero where masked).
    """
    loss = _loss_name(loss)
    lr, batch_size = _positive(lr, "lr"), _count(batch_size, "batch_size")
    masks = check_masks(params, masks)
    params = params.copy()
    for w, m in zip(params.weights, masks):
        w *= m
    B = params.n_networks
    data = _data(params, X)
    n = data.shape[1]
    targets = batch_targets(Y, B, loss, n, params.weights[-1].shape[1])
    order = minibatch_order(B, n, rng)
    rows = np.arange(B)[:, None]
    accumulated = [np.zeros_like(w) for w in params.weights]
    for start in range(0, n, batch_size):
        index = order[:, start:start + batch_size]
        _, grads = _backprop(params, masks, params.weights, data[rows, index], targets[rows, index], loss)
        for l, (w, g, m) in enumerate(zip(params.weights, grads.weights, masks)):
            w -= lr * g
            w *= m
            accumulated[l] += np.abs(g)
        if params.biases is not None:
            for b, g in zip(params.biases, grads.biases):
                b -= lr * g
    return params, accumulated


def train(params: Params, X, Y, loss: str, *, epochs: int, lr: float, batch_size: int, rng, masks=None) -> Params:
    """`epochs` epochs of `sgd_epoch`; epochs = 0 returns a masked copy of `params`."""
    epochs = _count(epochs, "epochs", low=0)
    rng = generator(rng)
    masks = check_masks(params, masks)
    params = Params([w * m for w, m in zip(params.weights, masks)], None if params.biases is None
                    else [b.copy() for b in params.biases])
    for _ in range(epochs):
        params, _ = sgd_epoch(params, X, Y, loss, lr=lr, batch_size=batch_size, rng=rng, masks=masks)
    return params


def _chunk_rows(n: int, per_row: int, max_bytes: int) -> int:
    return max(1, min(n, max_bytes // max(1, 8 * per_row)))


def _output_flips(output, log_pi, targets, loss, weight, sign, activation, max_bytes):
    """s·(L(flipped) − L(current)) for every entry (c, i) of the output layer; see `flip_differences`."""
    B, n, C = output.shape
    if loss == "mse":
        residual = targets - output
        cross = residual.transpose(0, 2, 1) @ activation  # (B, C, H): Σ_n r_nc a_ni
        energy = np.sum(activation**2, axis=1)[:, None, :]  # (B, 1, H)
        return (-2 * weight * cross + sign * weight**2 * energy) / n
    total = np.zeros(weight.shape)
    rows = _chunk_rows(n, B * C * weight.shape[2] * 4, max_bytes)
    for start in range(0, n, rows):
        a = activation[:, start:start + rows]  # (B, r, H)
        change = (sign * weight)[:, None, :, :] * a[:, :, None, :]  # (B, r, C, H): Δ f_{n,c}
        pi = np.exp(log_pi[:, start:start + rows])[..., None]  # (B, r, C, 1)
        is_target = (targets[:, start:start + rows, None] == np.arange(C))[..., None]  # (B, r, C, 1)
        total += np.sum(np.log1p(pi * np.expm1(change)) - change * is_target, axis=1)
    return sign * total / n


def _hidden_flips(pre_hidden, hidden, log_pi, residual, targets, loss, weight, sign, readout, x, max_bytes):
    """s·(L(flipped) − L(current)) for every entry (i, j) of the hidden layer of a one-hidden-layer net."""
    B, n, H = pre_hidden.shape
    D = x.shape[2]
    step = (sign * weight)[:, None]  # (B, 1, H, D): the change of z_i when m_ij flips, per unit input
    if loss == "mse":
        linear = -2 * (residual @ readout)  # (B, n, H): −2 r_n · V_{:, i}
        quadratic = np.sum(readout**2, axis=1)  # (B, H): ||V_{:, i}||²
    else:
        linear = -np.take_along_axis(readout, targets[:, :, None], axis=1)  # (B, n, H): −V_{y_n, i}
        readout_rows = readout.transpose(0, 2, 1).reshape(B * H, -1)  # row b·H + i: V_{:, i} of network b
        probabilities = np.exp(log_pi)
    total = np.zeros(weight.shape)
    rows = _chunk_rows(n, B * H * D * 4, max_bytes)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        z = pre_hidden[:, start:stop, :, None]
        change = np.maximum(z + step * x[:, start:stop, None, :], 0.0) - hidden[:, start:stop, :, None]
        total += np.einsum("brhd,brh->bhd", change, linear[:, start:stop])
        if loss == "mse":
            total += np.einsum("brhd,bh->bhd", change**2, quadratic)
            continue
        # log Σ_c π_nc exp(Δa·V_ci) where Δa ≠ 0 (it vanishes elsewhere): K entries, C classes each
        flat = np.flatnonzero(change)
        values = change.ravel()[flat]
        unit, column = np.divmod(flat, D)  # unit = (b·r + row)·H + i
        example, hidden_unit = np.divmod(unit, H)
        network = example // (stop - start)
        shifted = values[:, None] * readout_rows[network * H + hidden_unit]
        if np.max(np.abs(values), initial=0.0) * np.max(np.abs(readout)) < EXP_SAFE:
            terms = np.log((probabilities[:, start:stop].reshape(-1, probabilities.shape[2])[example]
                            * np.exp(shifted)) @ np.ones(shifted.shape[1]))
        else:
            shifted += log_pi[:, start:stop].reshape(-1, log_pi.shape[2])[example]
            peak = shifted.max(axis=1)
            terms = peak + np.log(np.sum(np.exp(shifted - peak[:, None]), axis=1))
        total += np.bincount((network * H + hidden_unit) * D + column, weights=terms,
                             minlength=weight.size).reshape(weight.shape)
    return sign * total / n


def flip_differences(params: Params, X, Y, loss: str, masks, *, max_bytes: int = 2**25) -> list[np.ndarray]:
    """Δ_l[b, o, i] = L(M with M_l[b, o, i] = 1) − L(M with M_l[b, o, i] = 0), the other entries as in `masks`.

    For networks with no or one hidden layer, every entry at once. With s = 1 − 2m (+1: the entry is
    off and is switched on) the flip changes one output or one hidden pre-activation:
      output layer:  f_{n,c} += s·W_ci·a_ni;
      hidden layer:  z_{n,i} += s·W_ij·x_nj, so a_{n,i} += Δa_nij = relu(z_ni + s W_ij x_nj) − a_ni and
                     f_n += Δa_nij·(M⊙W)_{:, i} of the output layer;
    and Δ = s·(L(flipped) − L(current)), with for "mse" L(flipped) − L(current) = (1/n)Σ_n(−2r_n·Δf_n + ||Δf_n||²)
    (r = y − f) and for "cross_entropy" (1/n)Σ_n[log Σ_c π_nc e^{Δf_nc} − Δf_{n,y_n}] (π = softmax(f)).
    Intermediate arrays are chunked over examples to stay below about `max_bytes`.
    """
    loss = _loss_name(loss)
    masks = check_masks(params, masks)
    if len(masks) > 2:
        raise ValueError(f"flip_differences needs at most one hidden layer, got {len(masks) - 1}")
    data = _data(params, X)
    targets = batch_targets(Y, params.n_networks, loss, data.shape[1], params.weights[-1].shape[1])
    effective = [m * w for m, w in zip(masks, params.weights)]
    pre, activations = _forward(params, effective, data)
    output = pre[-1]
    log_pi = log_softmax(output, axis=2) if loss == "cross_entropy" else None
    signs = [1.0 - 2.0 * m for m in masks]
    last = _output_flips(output, log_pi, targets, loss, params.weights[-1], signs[-1], activations[-1], max_bytes)
    if len(masks) == 1:
        return [last]
    residual = targets - output if loss == "mse" else None
    first = _hidden_flips(pre[0], activations[1], log_pi, residual, targets, loss, params.weights[0], signs[0],
                          effective[1], data, max_bytes)
    return [first, last]
