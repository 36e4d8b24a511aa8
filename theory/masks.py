"""Stochastic pruning masks without rescaling act as a data-adaptive L1 penalty (claims M2–M5).

With m_j ~ Bernoulli(p_j) independent, G = XᵀX and θ = p⊙w:

    E_m L(m⊙w) = L(p⊙w) + (1/n) Σ_j p_j(1−p_j) w_j² G_jj                         (M2)
    n·E_m L   = ||y||² − 2θᵀXᵀy + θᵀ(G − diag G)θ + Σ_j c_j|θ_j|,  c_j = G_jj|w_j|
    ∂(n·E_m L)/∂p_j = −2 w_j x_jᵀ(y − X(p⊙w)) + (1 − 2p_j) w_j² G_jj               (M4)

E_m L is affine in each p_j (M3); for XᵀX = nI weight j is kept iff w_j a_j > w_j²/2
with a_j = x_jᵀy/n (M4).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivation import Derivation, Step
from theory.masked_loss import G_JJ, P_J, W_J, derive_expected_loss, expected_loss
from theory.validation import finite_result, keep_probabilities, linear_problem, real_array

C_J = sp.Symbol("c_j", real=True)  # x_jᵀr: correlation of feature j with the residual of the others
N = sp.Symbol("n", positive=True)
A_J = sp.Symbol("a_j", real=True)


def expected_mask_loss(X, y, w, keep) -> float:
    """Exact E_m L(m⊙w) for masks without rescaling, keep p_j ∈ [0, 1] (scalar or per weight).

    E_m L(m⊙w) = (1/n)·[||y − X(p⊙w)||² + Σ_j p_j(1−p_j) w_j² ||x_j||²].
    """
    return expected_loss(X, y, w, keep, "mask")


def expected_mask_loss_grad(X, y, w, keep) -> np.ndarray:
    """∇_p E_m L(m⊙w) = (1/n)[−2 w⊙Xᵀ(y − X(p⊙w)) + (1 − 2p)⊙w²⊙diag(XᵀX)]."""
    X, y, w = linear_problem(X, y, w)
    keep = keep_probabilities(keep, X.shape[1], allow_zero=True)
    residual = y - X @ (keep * w)
    energy = np.einsum("ij,ij->j", X, X)
    return finite_result((-2 * w * (X.T @ residual) + (1 - 2 * keep) * w**2 * energy) / X.shape[0], "X, y and w")


def theta_form(X, y, w, keep) -> float:
    """n·E_m L written in θ = p⊙w: ||y||² − 2θᵀXᵀy + θᵀ(G − diag G)θ + Σ_j G_jj|w_j||θ_j|."""
    X, y, w = linear_problem(X, y, w)
    theta = keep_probabilities(keep, X.shape[1], allow_zero=True) * w
    energy = np.einsum("ij,ij->j", X, X)
    fitted = X @ theta
    off_diagonal = fitted @ fitted - np.sum(energy * theta**2)
    return finite_result(float(y @ y - 2 * theta @ (X.T @ y) + off_diagonal
                               + np.sum(energy * np.abs(w) * np.abs(theta))), "X, y and w")


def orthogonal_keep_rule(w, alignment) -> np.ndarray:
    """Optimal mask for an orthogonal design (XᵀX = nI): keep j iff w_j·a_j > w_j²/2."""
    w = real_array(w, "w", 1)
    alignment = real_array(alignment, "alignment", 1)
    if alignment.shape != w.shape:
        raise ValueError(f"alignment must have the shape of w {w.shape}, got {alignment.shape}")
    return w * alignment > w**2 / 2


def _coordinate_objective() -> sp.Expr:
    """n·E_m L as a function of one keep probability p_j; the other weights enter through r.

    ||r − p_j w_j x_j||² + p_j(1−p_j) w_j² G_jj + (terms free of p_j), where r is the
    residual of the other weights and c_j = x_jᵀr.
    """
    fit = sp.Symbol("R_j") - 2 * P_J * W_J * C_J + P_J**2 * W_J**2 * G_JJ
    return fit + P_J * (1 - P_J) * W_J**2 * G_JJ


def derive_m2() -> Derivation:
    der = derive_expected_loss("mask", "M2", "stochastic masks act as a data-adaptive L1 penalty")
    theta, w_abs = sp.Symbol("theta_j", real=True), sp.Abs(W_J)
    penalty = der.results["penalty"]
    der.add("Reparametrise by θ_j = p_j w_j (sign θ_j = sign w_j, |θ_j| ≤ |w_j| since 0 ≤ p_j ≤ 1):")
    in_theta = sp.expand(penalty.subs(P_J, theta / W_J))
    der.add("the penalty per weight becomes", in_theta)
    l1_form = G_JJ * w_abs * sp.Abs(theta) - G_JJ * theta**2
    weight_sign = sp.Symbol("w_j", positive=True)
    same_sign = sp.simplify((in_theta - l1_form).subs(W_J, weight_sign).subs(theta, P_J * weight_sign))
    if same_sign != 0:
        raise AssertionError(f"θ-reparametrisation failed: {same_sign}")
    der.add("and, because θ_j w_j = |θ_j||w_j| (sympy: the difference vanishes for p_j ≥ 0), equals", l1_form)
    der.add("The −G_jj θ_j² part joins L(θ)'s diagonal; what remains is a weighted L1 penalty with weight")
    c_j = der.add("c_j =", sp.Eq(sp.Symbol("c_j"), G_JJ * w_abs))
    der.results.update(theta_penalty=l1_form, l1_weight=c_j)
    return der


def derive_m3() -> Derivation:
    der = Derivation("M3", "the expected mask loss is affine in each keep probability")
    objective = der.add(
        "As a function of p_j alone (r: the residual of the other weights, R_j = ||r||², c_j = x_jᵀr), "
        "n·E_m L is",
        _coordinate_objective(),
    )
    second = der.add("Its second derivative in p_j (m_j² = m_j cancels the p_j² terms):",
                     sp.simplify(sp.diff(objective, P_J, 2)))
    if second != 0:
        raise AssertionError(f"not affine: {second}")
    slope = der.add("so n·E_m L is affine in p_j with slope", sp.expand(sp.diff(objective, P_J)))
    der.add("An affine function on [0, 1] is minimised at p_j = 0 or p_j = 1; fixing coordinates one at a "
            "time from any minimiser reaches a vertex of [0,1]^d with the same value.")
    der.results.update(second_derivative=second, slope=slope)
    return der


def derive_m4() -> Derivation:
    der = Derivation("M4", "alignment with the labels decides what is pruned")
    objective = _coordinate_objective()
    gradient = sp.diff(objective, P_J)
    residual_corr = sp.Symbol("b_j", real=True)
    stated = -2 * W_J * residual_corr + (1 - 2 * P_J) * W_J**2 * G_JJ
    # x_jᵀ(y − X(p⊙w)) = c_j − p_j w_j G_jj, since the others' residual r already holds y − Σ_{k≠j}.
    difference = sp.simplify(gradient - stated.subs(residual_corr, C_J - P_J * W_J * G_JJ))
    if difference != 0:
        raise AssertionError(f"gradient mismatch: {difference}")
    der.add("Differentiate the coordinate form of M3; with b_j = x_jᵀ(y − X(p⊙w)) = c_j − p_j w_j G_jj "
            "the gradient in p_j is", stated)
    orthogonal = sp.simplify(stated.subs({residual_corr: N * (A_J - P_J * W_J), G_JJ: N}))
    der.add("For XᵀX = nI, b_j = n(a_j − p_j w_j) with a_j = x_jᵀy/n, and the gradient is "
            "constant in p:", orthogonal)
    keep_condition = der.add("so p_j = 1 is optimal iff the slope is negative:",
                             sp.simplify(sp.Lt(orthogonal / N, 0)))
    der.add("that is, weight j is kept iff", sp.Gt(W_J * A_J, W_J**2 / 2))
    der.results.update(gradient=stated, orthogonal_slope=orthogonal, keep_rule=sp.Gt(W_J * A_J, W_J**2 / 2),
                       keep_condition=keep_condition)
    return der


def derive_m5() -> Derivation:
    der = derive_m3()
    der.claim, der.title = "M5", "dropout shrinks, masks select"
    der.steps.insert(0, Step(
        "Masks: the minimiser over p is a vertex (M3), so effective weights θ_j = p_j w_j are exactly 0 "
        "or w_j. Dropout: the minimiser over w solves (G + Λ)w = Xᵀy (see `derive M1`), which has "
        "no exact zeros for generic data."))
    return der
