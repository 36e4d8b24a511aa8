"""Pruners with an exact target density (claim K1): random, magnitude, SNIP, K-starts, dissipating gradients.

Every pruner returns 0/1 masks for a batch of B networks (`simulations.mlp.Params`) that keep exactly
k = round(δ·N) weights of each group of N prunable weights: a layer of one network (scope "layer") or
all prunable layers of one network together (scope "global"). Layers not marked prunable keep every
weight. δ is a scalar or one density per network; k ≥ 1 is required. Among equal scores the weight
with the lower flat index ranks first, so a mask is a deterministic function of its scores.

Scores, highest kept (THEORY.md K1; Haroon 2022 [K] for K-starts and dissipating gradients):
    random     u_j ~ U(0, 1) i.i.d.
    magnitude  |w_j|
    snip       |g_j·w_j|, g = ∇L on a random batch of the training data (Lee et al. 2019)
K-starts: k random masks at density δ, each trained for E epochs from the same initial weights;
    fitness of a candidate = Σ|M⊙W| after the E epochs ("weight"), the gradient magnitude
    Σ|∇_W L| accumulated over its last epoch ("gradient"), or λ·F_w/max F_w + (1−λ)·F_g/max F_g
    ("combined", maxima over the k candidates); the fittest survives and training continues from it.
Dissipating gradients: train with the current mask; after each of the first E epochs, among the
    kept weights those with |w_t − w_0| ≤ f·|w_0| are removed in order of increasing relative change
    r = |w_t − w_0|/|w_0|, never below k; after epoch E the smallest-r weights are removed until
    exactly k remain. Removed weights are zeroed and stay masked.
K-starts + dissipating gradients: K-starts at the intermediate density √δ, then dissipating
    gradients from the survivor (relative changes measured from the same initial weights) down to δ.

`prune` returns (masks, weights after the pruner's own training, epochs the pruner trained); the
caller continues training for its budget minus those epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulations import mlp
from theory.validation import generator, real_values

SCOPES = ("layer", "global")
FITNESS = ("weight", "gradient", "combined")
PRUNERS = ("random", "magnitude", "snip", "k_starts", "dissipating", "k_starts_dissipating")


@dataclass(frozen=True)
class PruneSettings:
    """How the pruners run. lr and batch_size are those of the SGD the pruners train with."""

    scope: str = "layer"
    prunable: tuple[bool, ...] | None = None  # per layer; None: every layer
    lr: float = 0.1
    batch_size: int = 64
    snip_batch: int = 256
    starts: int = 4  # K-starts: number of random candidate masks
    epochs: int = 2  # E: epochs of K-starts' trial training and of dissipating gradients' pruning
    fitness: str = "combined"
    mix: float = 0.5  # λ of the combined fitness
    fraction: float = 0.5  # f of dissipating gradients

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got {self.scope!r}")
        if self.fitness not in FITNESS:
            raise ValueError(f"fitness must be one of {FITNESS}, got {self.fitness!r}")
        for name in ("batch_size", "snip_batch", "starts", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not 0 <= self.mix <= 1:
            raise ValueError(f"mix must lie in [0, 1], got {self.mix!r}")
        if not (np.isfinite(self.fraction) and self.fraction >= 0):
            raise ValueError(f"fraction must be a finite number ≥ 0, got {self.fraction!r}")


def kept_count(size: int, density) -> np.ndarray:
    """k = round(δ·N) weights kept of N (half to even); ValueError unless 0 < δ ≤ 1 and k ≥ 1."""
    density = real_values(density, "density")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be an integer ≥ 1, got {size!r}")
    if np.any((density <= 0) | (density > 1)):
        raise ValueError(f"density must lie in (0, 1], got {density}")
    count = np.rint(density * size).astype(np.int64)
    if np.any(count < 1):
        raise ValueError(f"density {density.min():g} keeps no weight of a group of {size}; use a density ≥ {0.5 / size:g}")
    return count


def _prunable(settings: PruneSettings, n_layers: int) -> tuple[bool, ...]:
    if not isinstance(settings, PruneSettings):
        raise TypeError(f"settings must be a simulations.pruners.PruneSettings, got {type(settings).__name__}")
    prunable = settings.prunable if settings.prunable is not None else (True,) * n_layers
    if len(prunable) != n_layers or not any(prunable):
        raise ValueError(f"prunable must flag each of the {n_layers} layers and at least one, got {prunable}")
    return tuple(bool(flag) for flag in prunable)


def group_matrices(arrays: list[np.ndarray], settings: PruneSettings) -> list[tuple[list[int], np.ndarray]]:
    """(layer indices, (B, N) matrix of their entries) for each group of the scope."""
    prunable = [l for l, flag in enumerate(_prunable(settings, len(arrays))) if flag]
    flat = {l: arrays[l].reshape(arrays[l].shape[0], -1) for l in prunable}
    if settings.scope == "layer":
        return [([l], flat[l]) for l in prunable]
    return [(prunable, np.concatenate([flat[l] for l in prunable], axis=1))]


def layer_arrays(groups, values: list[np.ndarray], like: list[np.ndarray]) -> list[np.ndarray]:
    """Split group matrices back into layer arrays; layers outside every group are all ones."""
    out = [np.ones_like(a, dtype=np.float64) for a in like]
    for (layers, _), matrix in zip(groups, values):
        sizes = np.cumsum([0] + [like[l][0].size for l in layers])
        for l, start, stop in zip(layers, sizes[:-1], sizes[1:]):
            out[l] = matrix[:, start:stop].reshape(like[l].shape).astype(np.float64)
    return out


def _top(scores: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Boolean (B, N): the count[b] highest scores of each row (ties: lower index first)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :], axis=1)
    return ranks < np.broadcast_to(count, (scores.shape[0],))[:, None]


def top_k_masks(scores: list[np.ndarray], density, settings: PruneSettings) -> list[np.ndarray]:
    """Masks keeping the highest scores: exactly round(δ·N) of each group (module docstring)."""
    if any(not np.all(np.isfinite(s)) for s in scores):
        raise ValueError("scores must be finite (found NaN or inf)")
    groups = group_matrices(scores, settings)
    return layer_arrays(groups, [_top(matrix, kept_count(matrix.shape[1], density)) for _, matrix in groups], scores)


def random_masks(params: mlp.Params, density, rng, settings: PruneSettings) -> list[np.ndarray]:
    """Uniformly random masks with exactly round(δ·N) weights kept per group."""
    rng = generator(rng)
    return top_k_masks([rng.random(w.shape) for w in params.weights], density, settings)


def magnitude_masks(params: mlp.Params, density, settings: PruneSettings) -> list[np.ndarray]:
    """Keep the largest |w|."""
    return top_k_masks([np.abs(w) for w in params.weights], density, settings)


def snip_masks(params: mlp.Params, X, Y, loss: str, density, rng, settings: PruneSettings) -> list[np.ndarray]:
    """Keep the largest |g⊙w|, g the gradient of the loss on a random batch of `snip_batch` examples."""
    rng = generator(rng)
    data, targets = _batch(params, X, Y, loss)
    n = data.shape[1]
    index = mlp.minibatch_order(params.n_networks, n, rng)[:, :min(settings.snip_batch, n)]
    rows = np.arange(params.n_networks)[:, None]
    _, grads = mlp.loss_and_grad(params, data[rows, index], targets[rows, index], loss)
    return top_k_masks([np.abs(g * w) for g, w in zip(grads.weights, params.weights)], density, settings)


def _batch(params: mlp.Params, X, Y, loss: str) -> tuple[np.ndarray, np.ndarray]:
    data = mlp.batch_data(X, params.n_networks)
    return data, mlp.batch_targets(Y, params.n_networks, loss, data.shape[1], params.weights[-1].shape[1])


def _repeat(params: mlp.Params, times: int) -> mlp.Params:
    """Each network repeated `times` times in a row (network b becomes rows b·times … b·times+times−1)."""
    return params.take(np.repeat(np.arange(params.n_networks), times))


def _per_network(value, n_networks: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n_networks,))


def k_starts(params: mlp.Params, X, Y, loss: str, density, rng, settings: PruneSettings):
    """K-starts (module docstring). Returns (masks, survivor's weights after E epochs, E)."""
    rng = generator(rng)
    B, k = params.n_networks, settings.starts
    density = np.repeat(_per_network(density, B), k)
    candidates = _repeat(params, k)
    masks = random_masks(candidates, density, rng, settings)
    data, targets = (np.repeat(a, k, axis=0) for a in _batch(params, X, Y, loss))
    trained = candidates
    for _ in range(settings.epochs):
        trained, accumulated = mlp.sgd_epoch(trained, data, targets, loss, lr=settings.lr,
                                             batch_size=settings.batch_size, rng=rng, masks=masks)
    weight_fit = sum(np.abs(w).reshape(B, k, -1).sum(axis=2) for w in trained.weights)
    grad_fit = sum(a.reshape(B, k, -1).sum(axis=2) for a in accumulated)
    if settings.fitness == "weight":
        fitness = weight_fit
    elif settings.fitness == "gradient":
        fitness = grad_fit
    else:
        fitness = settings.mix * weight_fit / weight_fit.max(axis=1, keepdims=True) \
            + (1 - settings.mix) * grad_fit / grad_fit.max(axis=1, keepdims=True)
    survivors = np.arange(B) * k + np.argmax(fitness, axis=1)
    return [m[survivors] for m in masks], trained.take(survivors), settings.epochs


def dissipating_gradients(params: mlp.Params, X, Y, loss: str, density, rng, settings: PruneSettings, *,
                          initial: mlp.Params | None = None, masks=None):
    """Dissipating gradients (module docstring) from `params` (with `masks`, default dense), relative
    changes measured from `initial` (default `params`). Returns (masks, weights after E epochs, E)."""
    rng = generator(rng)
    initial = params if initial is None else initial
    masks = mlp.check_masks(params, masks)
    B = params.n_networks
    density = _per_network(density, B)
    for epoch in range(1, settings.epochs + 1):
        params, _ = mlp.sgd_epoch(params, X, Y, loss, lr=settings.lr, batch_size=settings.batch_size, rng=rng,
                                  masks=masks)
        change = [np.abs(w - w0) for w, w0 in zip(params.weights, initial.weights)]
        scale = [np.abs(w0) for w0 in initial.weights]
        kept_groups = group_matrices(masks, settings)
        new = []
        for (layers, kept), (_, moved), (_, size) in zip(kept_groups, group_matrices(change, settings),
                                                         group_matrices(scale, settings)):
            kept = kept > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                relative = np.where(size > 0, moved / size, np.where(moved > 0, np.inf, 0.0))
            excess = kept.sum(axis=1) - kept_count(kept.shape[1], density)
            if np.any(excess < 0):
                raise ValueError("the starting masks keep fewer weights than the target density")
            dissipated = (kept & (moved <= settings.fraction * size)).sum(axis=1)
            remove = excess if epoch == settings.epochs else np.minimum(dissipated, excess)
            # rank the kept weights by relative change; removed ones rank last
            new.append(kept & ~_top(-np.where(kept, relative, np.inf), remove))
        masks = layer_arrays(kept_groups, new, masks)
        params = mlp.Params([w * m for w, m in zip(params.weights, masks)], params.biases)
    return masks, params, settings.epochs


def prune(name: str, params: mlp.Params, X, Y, loss: str, density, rng, settings: PruneSettings):
    """Run pruner `name` (one of PRUNERS) on B networks at initial weights `params`.

    X, Y: one data set per network ((B, n, ·)) or one shared by all (as in `simulations.mlp`).
    Returns (masks, weights to continue training from, epochs already trained).
    """
    rng = generator(rng)
    if name == "random":
        return random_masks(params, density, rng, settings), params, 0
    if name == "magnitude":
        return magnitude_masks(params, density, settings), params, 0
    if name == "snip":
        return snip_masks(params, X, Y, loss, density, rng, settings), params, 0
    if name == "k_starts":
        return k_starts(params, X, Y, loss, density, rng, settings)
    if name == "dissipating":
        return dissipating_gradients(params, X, Y, loss, density, rng, settings)
    if name == "k_starts_dissipating":
        masks, survivor, used = k_starts(params, X, Y, loss, np.sqrt(density), rng, settings)
        masks, trained, more = dissipating_gradients(survivor, X, Y, loss, density, rng, settings,
                                                     initial=params, masks=masks)
        return masks, trained, used + more
    raise ValueError(f"name must be one of {PRUNERS}, got {name!r}")
