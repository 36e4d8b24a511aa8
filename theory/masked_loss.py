"""Expected quadratic loss under independent, optionally rescaled, Bernoulli masks.

For a mask m with independent entries m_j ~ Bernoulli(p_j) and a scale s_j applied to
it (s_j = 1: a stochastic mask; s_j = 1/p_j: inverted dropout), write μ_j = E[s_j m_j]
and v_j = Var[s_j m_j]. For any d,

    n · E_m L((s⊙m)⊙w) = ||y − X(μ⊙w)||² + Σ_j v_j · w_j² · ||x_j||²,

because the loss is quadratic in the mask and E[(s⊙m)(s⊙m)ᵀ] = μμᵀ + diag(v).
The derivation below is carried out on sympy matrix symbols of symbolic size n × d
and then confirmed by brute-force expectation over all 2^d masks for small d.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagonalOf
from sympy.stats import Bernoulli, E, variance

from theory.derivation import Derivation
from theory.validation import keep_probabilities, linear_problem

p = sp.Symbol("p", positive=True)
n, d = sp.symbols("n d", positive=True, integer=True)
j = sp.Symbol("j", integer=True, positive=True)
X = sp.MatrixSymbol("X", n, d)
y = sp.MatrixSymbol("y", n, 1)
D_w = sp.MatrixSymbol("D_w", d, d)  # diag(w)
mask = sp.MatrixSymbol("m", d, 1)  # the scaled mask s⊙m
mu = sp.MatrixSymbol("mu", d, 1)
W_J = sp.Symbol("w_j", real=True)
G_JJ = sp.Symbol("G_jj", nonnegative=True)  # ||x_j||², a diagonal entry of G = XᵀX
P_J = sp.Symbol("p_j", nonnegative=True)
v = sp.MatrixSymbol("v", d, 1)

SCALES = {"mask": sp.Integer(1), "dropout": 1 / p}


def bernoulli_moments(scale: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(E[s·m], Var[s·m]) for m ~ Bernoulli(p), computed by sympy.stats."""
    m = Bernoulli("m", p)
    return sp.simplify(E(scale * m)), sp.factor(sp.simplify(variance(scale * m)))


def _expect_term(term: sp.MatrixExpr) -> sp.MatrixExpr:
    """Expectation of one product term of the expanded loss, using E m = μ, E m mᵀ = μμᵀ + V."""
    factors = list(term.args) if isinstance(term, sp.MatMul) else [term]
    count = sum(1 for f in factors if f in (mask, mask.T))
    if count == 0:
        return term
    if count == 1:
        return term.subs({mask: mu})
    coefficient = sp.Mul(*[f for f in factors if not isinstance(f, sp.MatrixExpr)])
    matrices = [f for f in factors if isinstance(f, sp.MatrixExpr)]
    if count != 2 or matrices[0] != mask.T or matrices[-1] != mask:
        raise ValueError(f"unexpected term in the expanded loss: {term}")
    inner = sp.MatMul(*matrices[1:-1])
    return coefficient * (mu.T * inner * mu + v.T * DiagonalOf(inner))


def derive_expected_loss(kind: str, claim: str, title: str) -> Derivation:
    """Derive n·E L for `kind` in SCALES ("mask": no rescaling, "dropout": scale 1/p)."""
    scale = SCALES[kind]
    mean, var = bernoulli_moments(scale)
    der = Derivation(claim=claim, title=title)
    loss = der.add(
        "The loss of the masked weights, with D_w = diag(w) and m the (scaled) mask:",
        (y - X * D_w * mask).T * (y - X * D_w * mask),
    )
    expanded = der.add("Expand the quadratic form:", loss.expand())
    p_j = P_J
    der.add(f"Each entry s·m_j with m_j ~ Bernoulli(p_j) and s = {sp.sstr(scale.subs(p, p_j))} "
            "has mean μ_j (sympy.stats):", sp.Eq(sp.Symbol("mu_j"), mean.subs(p, p_j)))
    der.add("and variance v_j:", sp.Eq(sp.Symbol("v_j"), var.subs(p, p_j)))
    der.add("Independence gives E[m] = μ and E[m mᵀ] = μμᵀ + diag(v); so for any A, "
            "E[mᵀAm] = tr(A E[m mᵀ]) = μᵀAμ + vᵀ·diagonal(A).")
    expected = sp.MatAdd(*[_expect_term(t) for t in expanded.args])
    der.add("Take the expectation term by term:", expected)
    regrouped = (y - X * D_w * mu).T * (y - X * D_w * mu) + v.T * DiagonalOf(D_w.T * X.T * X * D_w)
    residual = (expected - regrouped).expand()
    if residual != sp.ZeroMatrix(1, 1) and residual != 0:
        raise AssertionError(f"regrouping failed, residual {residual}")
    der.add("Regroup (sympy confirms the difference expands to zero):", regrouped)
    penalty_term = var.subs(p, p_j) * W_J**2 * G_JJ
    der.add("D_w is diagonal, so the j-th diagonal entry of D_w XᵀX D_w is w_j² G_jj with "
            "G_jj = ||x_j||²; the penalty per weight, v_j w_j² G_jj, is", penalty_term)
    der.results.update(mean=mean, variance=var, penalty=penalty_term, matrix_form=regrouped)
    return der


def explicit_expectation_residual(kind: str, n_rows: int, n_cols: int) -> sp.Expr:
    """E over all 2^d masks of n·L, minus the closed form, with symbolic entries; expands to 0."""
    scale = SCALES[kind]
    Xs = sp.Matrix(n_rows, n_cols, lambda i, k: sp.Symbol(f"x_{i}{k}", real=True))
    ys = sp.Matrix(n_rows, 1, lambda i, _: sp.Symbol(f"y_{i}", real=True))
    ws = sp.Matrix(n_cols, 1, lambda k, _: sp.Symbol(f"w_{k}", real=True))
    ps = [sp.Symbol(f"p_{k}", positive=True) for k in range(n_cols)]
    total = sp.Integer(0)
    for bits in itertools.product((0, 1), repeat=n_cols):
        prob = sp.Mul(*[pk if b else 1 - pk for b, pk in zip(bits, ps)])
        scaled = sp.Matrix([b * scale.subs(p, pk) * wk for b, pk, wk in zip(bits, ps, ws)])
        residual = ys - Xs * scaled
        total += prob * (residual.T * residual)[0, 0]
    mean, var = bernoulli_moments(scale)
    fit = ys - Xs * sp.Matrix([mean.subs(p, pk) * wk for pk, wk in zip(ps, ws)])
    closed = (fit.T * fit)[0, 0] + sum(
        var.subs(p, pk) * wk**2 * sum(Xs[i, k] ** 2 for i in range(n_rows))
        for k, (pk, wk) in enumerate(zip(ps, ws))
    )
    return sp.simplify(sp.expand(sp.together(total - closed)))


@functools.cache
def numeric_moments(kind: str):
    """NumPy functions keep ↦ (μ, v) lambdified from the derived moments."""
    mean, var = bernoulli_moments(SCALES[kind])
    return sp.lambdify(p, mean, "numpy"), sp.lambdify(p, var, "numpy")


def expected_loss(X, y, w, keep, kind: str) -> float:
    """E_m L((s⊙m)⊙w) = (1/n)[||y − X(μ⊙w)||² + Σ_j v_j w_j² ||x_j||²] (see module docstring)."""
    if kind not in SCALES:
        raise ValueError(f"kind must be one of {', '.join(SCALES)}; got {kind!r}")
    X, y, w = linear_problem(X, y, w)
    keep = keep_probabilities(keep, X.shape[1], allow_zero=(kind == "mask"))
    mean_of, var_of = numeric_moments(kind)
    mean = np.broadcast_to(mean_of(keep), keep.shape)
    var = np.broadcast_to(var_of(keep), keep.shape)
    residual = y - X @ (mean * w)
    energy = np.einsum("ij,ij->j", X, X)
    return float((residual @ residual + np.sum(var * w**2 * energy)) / X.shape[0])
