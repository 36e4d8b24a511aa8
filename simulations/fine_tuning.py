"""Probabilistic fine-tuning of pruning masks at a fixed expected density (claim K2; Hayou et al. 2021 [H]).

A stochastic mask keeps weight j with probability p_j, independently. Fine-tuning starts from a
baseline mask m⁰ with exactly k of the N weights of a group kept (a layer, or all prunable layers:
the pruner's scope) and sets p_j = 1 − ε on kept and p_j = εk/(N − k) on pruned weights, so that
Σ_j p_j = k. It then minimises F(p) = E_m L(m⊙w) over the logits u with the weights w fixed,
keeping the expected density fixed: p_j = σ(u_j + τ) with τ(u) solving Σ_j σ(u_j + τ) = k. By
implicit differentiation (`theory.pruning.derive_k2`), with s_j = p_j(1 − p_j) and g = ∇_p F,

    ∂F/∂u_j = s_j g_j − s_j (Σ_i s_i g_i)/(Σ_i s_i).

Updates are Adam steps on u followed by the shift u ← u + τ(u) that restores Σ_j p_j = k. Finally the
k largest p_j are kept (thresholding back to the target density).

Gradients g: exact in the linear model (`theory.masks.expected_mask_loss_grad`); in networks the
flip-difference estimator (a "local expectation" gradient): with one mask m ~ p and a minibatch,

    ĝ_j = L_batch(m with m_j = 1) − L_batch(m with m_j = 0)      (`simulations.mlp.flip_differences`).

F is multilinear in p (a mask's probability is a product), so ∂F/∂p_j = E[L(m^{j→1}) − L(m^{j→0})]
exactly and ĝ is unbiased for the full-data gradient: no baseline, no relaxation, no bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from simulations import mlp
from simulations.pruners import PruneSettings, group_matrices, layer_arrays
from theory.masks import expected_mask_loss_grad
from theory.validation import generator, real_array, real_scalar, real_values

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
SHIFT_TOL = 1e-12  # |Σ p − k| ≤ SHIFT_TOL·k after the shift
SHIFT_ITERATIONS = 200


@dataclass(frozen=True)
class FineTuneSettings:
    """Adam on the logits: `steps` steps of size `lr`; networks use a minibatch of `batch_size`."""

    steps: int = 20
    lr: float = 0.3
    uncertainty: float = 0.2  # ε: initial p = 1 − ε on kept weights
    batch_size: int = 16

    def __post_init__(self):
        for name in ("steps", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
        real_scalar(self.lr, "lr", 0.0, low_open=True)
        real_scalar(self.uncertainty, "uncertainty")
        if not 0 < self.uncertainty < 1:
            raise ValueError(f"uncertainty must lie in (0, 1), got {self.uncertainty!r}")


def _check_settings(settings) -> None:
    if not isinstance(settings, FineTuneSettings):
        raise TypeError(f"settings must be a FineTuneSettings, got {type(settings).__name__}")


def initial_keep(kept: np.ndarray, uncertainty: float) -> np.ndarray:
    """p = 1 − ε where kept, εk/(N − k) elsewhere, per row of the (B, N) 0/1 matrix `kept`: Σ_j p_j = k.

    εk/(N − k) < 1 − ε ⟺ ε < 1 − k/N: pruned weights start below kept ones."""
    kept = real_array(kept, "kept", 2)
    uncertainty = real_scalar(uncertainty, "uncertainty", 0.0, 1.0, low_open=True, high_open=True)
    count = kept.sum(axis=1, keepdims=True)
    if np.any(count < 1) or np.any(count >= kept.shape[1]):
        raise ValueError("each group must keep at least one and prune at least one weight")
    if np.any(uncertainty >= 1 - count / kept.shape[1]):
        raise ValueError(f"uncertainty must be below 1 − density = {1 - count.max() / kept.shape[1]:g}, so that "
                         f"pruned weights start less likely than kept ones; got {uncertainty}")
    return np.where(kept > 0, 1 - uncertainty, uncertainty * count / (kept.shape[1] - count))


def density_shift(logits: np.ndarray, count: np.ndarray) -> np.ndarray:
    """τ (B,) with Σ_j σ(u_bj + τ_b) = k_b: safeguarded Newton on the increasing function of τ.

    The root lies in [logit(k/N) − max u, logit(k/N) − min u], where every σ is ≤ resp. ≥ k/N.
    """
    logits = real_array(logits, "logits", 2)
    count = real_values(count, "count")
    if count.shape not in ((), (logits.shape[0],)):
        raise ValueError(f"count must be a scalar or have B = {logits.shape[0]} entries, got shape {count.shape}")
    count = np.broadcast_to(count, (logits.shape[0],))
    if np.any(count <= 0) or np.any(count >= logits.shape[1]):
        raise ValueError(f"count must lie strictly between 0 and N = {logits.shape[1]}")
    base = logit(count / logits.shape[1])
    low, high = base - logits.max(axis=1), base - logits.min(axis=1)
    shift = np.zeros(logits.shape[0])
    shift = np.clip(shift, low, high)
    for _ in range(SHIFT_ITERATIONS):
        keep = expit(logits + shift[:, None])
        excess = keep.sum(axis=1) - count
        if np.all(np.abs(excess) <= SHIFT_TOL * count):
            return shift
        low = np.where(excess < 0, shift, low)
        high = np.where(excess > 0, shift, high)
        slope = np.sum(keep * (1 - keep), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = shift - excess / slope
        inside = np.isfinite(newton) & (newton > low) & (newton < high)
        shift = np.where(inside, newton, (low + high) / 2)
    raise RuntimeError(f"the density shift did not converge in {SHIFT_ITERATIONS} iterations")


def constrained_logit_gradient(keep: np.ndarray, grad_keep: np.ndarray) -> np.ndarray:
    """∂F/∂u_j = s_j g_j − s_j(Σ_i s_i g_i)/(Σ_i s_i) per row, s = p(1 − p), g = ∇_p F (module docstring)."""
    keep, grad_keep = real_array(keep, "keep", 2), real_array(grad_keep, "grad_keep", 2)
    if np.any((keep <= 0) | (keep >= 1)) or keep.shape != grad_keep.shape:
        raise ValueError(f"keep must lie in (0, 1) and grad_keep have its shape {keep.shape}, got {grad_keep.shape}")
    slope = keep * (1 - keep)
    weighted = slope * grad_keep
    return weighted - slope * weighted.sum(axis=1, keepdims=True) / slope.sum(axis=1, keepdims=True)


def _adam(logits: list[np.ndarray], counts: list[np.ndarray], gradient_of, settings: FineTuneSettings):
    """Adam on the logits of every group (a list of (B, N_g) matrices) with the shift restoring
    Σ_j σ(u_j) = k after every step; `gradient_of(keeps)` returns ∇_p F for each group."""
    logits = [u + density_shift(u, k)[:, None] for u, k in zip(logits, counts)]
    first, second = [np.zeros_like(u) for u in logits], [np.zeros_like(u) for u in logits]
    beta1, beta2 = ADAM_BETAS
    for step in range(1, settings.steps + 1):
        keeps = [expit(u) for u in logits]
        for g, (u, k, keep, grad_keep) in enumerate(zip(logits, counts, keeps, gradient_of(keeps))):
            grad = constrained_logit_gradient(keep, grad_keep)
            first[g] = beta1 * first[g] + (1 - beta1) * grad
            second[g] = beta2 * second[g] + (1 - beta2) * grad**2
            update = (first[g] / (1 - beta1**step)) / (np.sqrt(second[g] / (1 - beta2**step)) + ADAM_EPS)
            u = u - settings.lr * update
            logits[g] = u + density_shift(u, k)[:, None]
    return [expit(u) for u in logits]


def fine_tune_linear(X, y, w, masks, settings: FineTuneSettings) -> np.ndarray:
    """Keep probabilities (B, d) for B linear models L(w) = (1/n)||y − Xw||², one group of d weights each,
    with the exact gradient of E_m L(m⊙w) (theory.masks). X: (B, n, d), y: (B, n), w and the baseline
    0/1 masks: (B, d)."""
    X, y, w, kept = (real_values(a, name) for a, name in ((X, "X"), (y, "y"), (w, "w"), (masks, "masks")))
    _check_settings(settings)
    if X.ndim != 3 or y.shape != X.shape[:2] or w.shape != (X.shape[0], X.shape[2]) or kept.shape != w.shape:
        raise ValueError(f"X, y, w, masks must have shapes (B, n, d), (B, n), (B, d), (B, d); got "
                         f"{X.shape}, {y.shape}, {w.shape}, {kept.shape}")

    def gradient_of(keeps):
        return [np.stack([expected_mask_loss_grad(*problem) for problem in zip(X, y, w, keeps[0])])]

    return _adam([logit(initial_keep(kept, settings.uncertainty))], [kept.sum(axis=1)], gradient_of, settings)[0]


def fine_tune_network(params: mlp.Params, masks, X, Y, loss: str, settings: FineTuneSettings,
                      prune_settings: PruneSettings, rng) -> list[np.ndarray]:
    """Keep probabilities per layer (ones on layers that are not prunable) for B networks with fixed
    weights, from baseline `masks`, with the flip-difference estimator on minibatches (module docstring)."""
    _check_settings(settings)
    if not isinstance(prune_settings, PruneSettings):
        raise TypeError(f"prune_settings must be a PruneSettings, got {type(prune_settings).__name__}")
    rng = generator(rng)
    masks = mlp.check_masks(params, masks)
    groups = group_matrices(masks, prune_settings)
    counts = [kept.sum(axis=1) for _, kept in groups]
    logits = [logit(initial_keep(kept, settings.uncertainty)) for _, kept in groups]
    B = params.n_networks
    data = mlp.batch_data(X, B)
    n = data.shape[1]
    targets = mlp.batch_targets(Y, B, loss, n, params.weights[-1].shape[1])
    rows = np.arange(B)[:, None]

    def gradient_of(keeps: list[np.ndarray]) -> list[np.ndarray]:
        sampled = [(rng.random(p.shape) < p).astype(np.float64) for p in layer_arrays(groups, keeps, masks)]
        index = rng.integers(0, n, (B, settings.batch_size))
        differences = mlp.flip_differences(params, data[rows, index], targets[rows, index], loss, sampled)
        return [matrix for _, matrix in group_matrices(differences, prune_settings)]

    return layer_arrays(groups, _adam(logits, counts, gradient_of, settings), masks)
