"""Probabilistic fine-tuning of pruning masks at a fixed expected density (claim K2; Hayou et al. 2021 [H]).

A stochastic mask keeps weight j with probability p_j, independently. Fine-tuning starts from a
baseline mask m⁰ with exactly k of the N weights of a group kept (a layer, or all prunable layers:
the pruner's scope) and sets p_j = 1 − ε on kept and p_j = εk/(N − k) on pruned weights, so that
Σ_j p_j = k. It then minimises F(p) = E_m L(m⊙w) over the logits u with the weights w fixed,
keeping the expected density fixed: p_j = σ(u_j + τ) with τ(u) solving Σ_j σ(u_j + τ) = k. By
implicit differentiation (`derive_k2`), with s_j = p_j(1 − p_j) and g = ∇_p F,

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

import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import expit, logit

from simulations import mlp
from simulations.pruners import PruneSettings, group_matrices, layer_arrays
from theory.derivation import Derivation
from theory.masks import expected_mask_loss_grad

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
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not 0 < self.uncertainty < 1:
            raise ValueError(f"uncertainty must lie in (0, 1), got {self.uncertainty!r}")


def initial_keep(kept: np.ndarray, uncertainty: float) -> np.ndarray:
    """p = 1 − ε where kept, εk/(N − k) elsewhere, per row of the (B, N) 0/1 matrix `kept`: Σ_j p_j = k.

    εk/(N − k) < 1 − ε ⟺ ε < 1 − k/N: pruned weights start below kept ones."""
    kept = np.asarray(kept, dtype=np.float64)
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
    logits = np.asarray(logits, dtype=np.float64)
    count = np.broadcast_to(np.asarray(count, dtype=np.float64), (logits.shape[0],))
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
    X, y, w, kept = (np.asarray(a, dtype=np.float64) for a in (X, y, w, masks))
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
    rng = np.random.default_rng(rng)
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


def _multilinear_identity(d: int) -> sp.Expr:
    """∂F/∂p_1 − E_{m_−1}[f(1, m_−1) − f(0, m_−1)] for F(p) = Σ_m P(m) f(m) with symbolic f(m); expands to 0."""
    ps = sp.symbols(f"p_1:{d + 1}", positive=True)
    values = {bits: sp.Symbol("f_" + "".join(map(str, bits))) for bits in itertools.product((0, 1), repeat=d)}

    def prob(bits, probabilities):
        return sp.Mul(*[q if b else 1 - q for b, q in zip(bits, probabilities)])

    expected = sum(prob(bits, ps) * value for bits, value in values.items())
    flips = sum(prob(rest, ps[1:]) * (values[(1, *rest)] - values[(0, *rest)])
                for rest in itertools.product((0, 1), repeat=d - 1))
    return sp.expand(sp.diff(expected, ps[0]) - flips)


class _Sigmoid(sp.Function):
    """σ with σ′ = σ(1 − σ), so that derivatives stay rational in the keep probabilities."""

    def fdiff(self, argindex=1):
        return self * (1 - self)


def _constrained_gradient_residual(d: int) -> sp.Expr:
    """Implicit differentiation of F(σ(u + τ(u))) with Σ σ(u_j + τ) = k, minus the stated formula, at u_1."""
    us = sp.symbols(f"u_1:{d + 1}", real=True)
    tau = sp.Function("tau")(*us)
    sigmoids = [_Sigmoid(u + tau) for u in us]
    ps = sp.symbols(f"p_1:{d + 1}", positive=True)
    grads = sp.symbols(f"g_1:{d + 1}", real=True)  # g = ∇_p F at the current p
    to_keep = dict(zip(sigmoids, ps))
    dtau = sp.solve(sp.Eq(sp.diff(sum(sigmoids), us[0]).subs(to_keep), 0), sp.diff(tau, us[0]))[0]
    chain = sum(g * sp.diff(q, us[0]) for g, q in zip(grads, sigmoids)).subs(to_keep).subs(sp.diff(tau, us[0]), dtau)
    slopes = [q * (1 - q) for q in ps]
    stated = slopes[0] * grads[0] - slopes[0] * sum(s * g for s, g in zip(slopes, grads)) / sum(slopes)
    return sp.cancel(sp.together(chain - stated))


def _linear_flip_residual(n: int, d: int) -> sp.Expr:
    """E_m[L(m^{1→1}) − L(m^{1→0})] − n⁻¹[−2w_1 x_1ᵀ(y − X(p⊙w)) + (1 − 2p_1)w_1²||x_1||²], all masks."""
    X = sp.Matrix(n, d, lambda i, k: sp.Symbol(f"x_{i}{k}", real=True))
    y = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y_{i}", real=True))
    w = sp.Matrix(d, 1, lambda k, _: sp.Symbol(f"w_{k}", real=True))
    ps = sp.symbols(f"p_0:{d}", positive=True)

    def loss(bits):
        r = y - X * sp.Matrix([b * w[k] for k, b in enumerate(bits)])
        return (r.T * r)[0, 0] / n

    mean = sum(sp.Mul(*[q if b else 1 - q for b, q in zip(rest, ps[1:])]) * (loss((1, *rest)) - loss((0, *rest)))
               for rest in itertools.product((0, 1), repeat=d - 1))
    residual = y - X * sp.Matrix([q * w[k] for k, q in enumerate(ps)])
    column = X[:, 0]
    stated = (-2 * w[0] * (column.T * residual)[0, 0] + (1 - 2 * ps[0]) * w[0] ** 2 * (column.T * column)[0, 0]) / n
    return sp.expand(mean - stated)


def derive_k2() -> Derivation:
    der = Derivation("K2", "probabilistic fine-tuning of pruning masks at a fixed expected density")
    j, i, dim = sp.symbols("j i d", integer=True, positive=True)
    p = sp.IndexedBase("p")
    der.add("F(p) = E_m f(m) = Σ_m Π_j p_j^{m_j}(1 − p_j)^{1 − m_j} f(m) is affine in each p_j, so "
            "∂F/∂p_j = E[f(m with m_j = 1) − f(m with m_j = 0)], the others drawn from p (sympy: all 2^3 "
            "masks, symbolic f, the difference expands to 0).")
    if _multilinear_identity(3) != 0:
        raise AssertionError("multilinear identity failed")
    s, g = sp.IndexedBase("s"), sp.IndexedBase("g")
    gradient = s[j] * g[j] - s[j] * sp.Sum(s[i] * g[i], (i, 1, dim)) / sp.Sum(s[i], (i, 1, dim))
    der.add("With p_j = σ(u_j + τ) and τ(u) fixed by Σ_j p_j = k, implicit differentiation gives "
            "(s_j = p_j(1 − p_j), g = ∇_p F; sympy, d = 3):", sp.Eq(sp.Symbol("dF/du_j"), gradient))
    if _constrained_gradient_residual(3) != 0:
        raise AssertionError("constrained gradient mismatch")
    n_sym, w, corr = sp.symbols("n w_j b_j", real=True)
    energy = sp.Symbol("G_jj", nonnegative=True)
    flip_mean = (-2 * w * corr + (1 - 2 * p[j]) * w**2 * energy) / n_sym
    der.add("Linear model L(w) = (1/n)||y − Xw||²: the mean flip difference is M4's gradient, with "
            "b_j = x_jᵀ(y − X(p⊙w)) and G_jj = ||x_j||² (sympy: all masks, n = 2, d = 2):", flip_mean)
    if _linear_flip_residual(2, 2) != 0:
        raise AssertionError("linear flip difference mismatch")
    der.add("For an orthogonal design (XᵀX = nI) and least-squares weights w = Xᵀy/n, M2's θ-form gives "
            "n·E_m L = ||y||² − n Σ_j p_j w_j²: linear in p, so under Σ_j p_j = k the minimiser keeps the k "
            "largest |w_j| — magnitude pruning, which fine-tuning therefore cannot improve.")
    y_norm = sp.Symbol(r"\|y\|^2", nonnegative=True)
    objective = y_norm - n_sym * sp.Sum(p[j] * sp.Indexed("w", j) ** 2, (j, 1, dim))
    der.results.update(logit_gradient=gradient, flip_mean=flip_mean,
                       orthogonal_objective=objective)
    return der
