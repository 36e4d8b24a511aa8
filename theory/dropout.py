"""Inverted dropout acts as a data-adaptive L2 (Tikhonov) penalty (claims M1, M5).

With the mask m_j ~ Bernoulli(p_j) rescaled by 1/p_j,

    E_m L((m/p)⊙w) = L(w) + (1/n) Σ_j ((1−p_j)/p_j) ||x_j||² w_j²,              (M1)

so minimising over w is a generalised ridge regression with per-weight strength
λ_j = ((1−p_j)/p_j)·||x_j||²:  w* = (XᵀX + diag(λ))⁻¹ Xᵀy  — it shrinks but never zeroes.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivation import Derivation
from theory.masked_loss import derive_expected_loss, expected_loss
from theory.validation import design_and_labels, keep_probabilities, real_array


def expected_dropout_loss(X, y, w, keep) -> float:
    """Exact E_m L((m/p)⊙w) under inverted dropout, keep p_j ∈ (0, 1] (scalar or per weight).

    E_m L((m/p)⊙w) = (1/n)·[||y − Xw||² + Σ_j ((1−p_j)/p_j) ||x_j||² w_j²].
    """
    return expected_loss(X, y, w, keep, "dropout")


def ridge_strengths(X, keep) -> np.ndarray:
    """λ_j = ((1−p_j)/p_j)·||x_j||², the per-weight ridge strengths of inverted dropout."""
    X = real_array(X, "X", 2)
    keep = keep_probabilities(keep, X.shape[1], allow_zero=False)
    return (1 - keep) / keep * np.einsum("ij,ij->j", X, X)


def dropout_optimal_weights(X, y, keep) -> np.ndarray:
    """argmin_w E_m L((m/p)⊙w) = (XᵀX + diag(λ))⁻¹ Xᵀy with λ from `ridge_strengths`."""
    X, y = design_and_labels(X, y)
    gram = X.T @ X + np.diag(ridge_strengths(X, keep))
    if np.linalg.cond(gram) * np.finfo(np.float64).eps > 1:
        raise ValueError("X has linearly dependent (or badly scaled) columns where keep = 1, so "
                         "XᵀX + diag(λ) is singular and the minimiser is not unique; use keep < 1")
    return np.linalg.solve(gram, X.T @ y)


def derive_m1() -> Derivation:
    der = derive_expected_loss("dropout", "M1", "inverted dropout acts as a data-adaptive L2 penalty")
    d = sp.Symbol("d", positive=True, integer=True)
    w = sp.MatrixSymbol("w", d, 1)
    X = sp.MatrixSymbol("X", sp.Symbol("n", positive=True, integer=True), d)
    y = sp.MatrixSymbol("y", X.shape[0], 1)
    Lam = sp.MatrixSymbol("Lambda", d, d)
    objective = der.add(
        "With μ = 1, the objective is a generalised ridge regression with Λ = diag(λ), "
        "λ_j = ((1−p_j)/p_j) G_jj:",
        (y - X * w).T * (y - X * w) + w.T * Lam * w,
    )
    gradient = der.add("Its gradient in w (sympy matrix calculus, Λ symmetric):",
                       sp.diff(objective, w).subs(Lam.T, Lam))
    der.add("Setting it to zero gives the dropout-optimal weights, which shrink but are not zero:",
            sp.Eq(w, (X.T * X + Lam).I * X.T * y))
    der.results.update(ridge_gradient=gradient, ridge_solution=(X.T * X + Lam).I * X.T * y)
    return der
