"""Symbolic side of claims E3 (adaptive dropout = IRLS) and E6 (the training rules used at scale), [L].

E3  J(w, η) = ½||y − Xw||² + (λ/2)Σ_j [||x_j||²w_j²/η_j + f(η_j)]. The w-block is a generalised ridge,
    (XᵀX + λ·diag(||x_j||²/η_j)) w = Xᵀy; the safeguarded form u = c⊙v (any c_j > 0, penalty weight
    λc_j²/η_j on v_j) has the same solution; at η_j = η̂(u_j) with Ω′(u) = u/η̂(u) (E1) row j of the
    normal equations is ∂F/∂w_j = 0 for F = ½||y − Xw||² + λΣ_jΩ(||x_j||w_j). Sampled dropout: the
    diagonal curvature of the masked loss is E[(m/α)²]·||x_j||² = ||x_j||²/α_j, and the inverted-dropout
    weight is u/α = u + λΩ′(u).
E6  The adaptive prox: argmin_v (1/2γ)(v − z)² + (λ/2N)v²/η = z·η/(η + γλ/N); the adaptive Tikhonov
    gradient λw/η at η = η̂(w) is λΩ′(w); the log-sum dual written through s = η̂⁻¹(η) equals the one of
    theory/penalties.py; variational dropout's pruning rule log α > 3 is a Bernoulli drop rate
    α/(1 + α) > 0.95.
"""

from __future__ import annotations

import sympy as sp

from theory.derivation import Derivation

lam, gamma, n_train, c, u, w, z, eta, eps = sp.symbols("lambda gamma N c u w z eta varepsilon", positive=True)
alpha = sp.Symbol("alpha", positive=True)
Omega, eta_hat = sp.Function("Omega"), sp.Function("etahat")


def _zero(expr: sp.Expr, what: str) -> None:
    """Raise unless expr is 0: a rational normal form first (fast), `simplify` only if that is not 0."""
    if sp.cancel(sp.together(expr)) != 0 and sp.simplify(expr) != 0:
        raise AssertionError(f"sympy does not confirm {what}: residual {sp.simplify(expr)}")


def _safeguard_residual() -> sp.Expr:
    """Row j of R·C⁻¹ − C·λE⁻¹ for R = diag(λc_j²/η_j), C = diag(c_j), E = diag(η_j).

    It is 0, hence (CGC + R)·C⁻¹w = C(G + λE⁻¹)w = Cb for the plain ridge solution w: v = C⁻¹w solves
    the safeguarded system and u = Cv = w, for any c_j > 0.
    """
    c_j, eta_j = sp.symbols("c_j eta_j", positive=True)
    return sp.cancel(lam * c_j**2 / eta_j / c_j - c_j * lam / eta_j)


def derive_e3() -> Derivation:
    der = Derivation("E3", "adaptive dropout is iteratively reweighted least squares")
    d, n = sp.Symbol("d", positive=True, integer=True), sp.Symbol("n", positive=True, integer=True)
    X, y, wv = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("y", n, 1), sp.MatrixSymbol("w", d, 1)
    Lam = sp.MatrixSymbol("Lambda", d, d)
    der.add("For fixed η the w-block of J is the dropout objective of E2: the generalised ridge of M1 with "
            "Λ = diag(||x_j||²/η_j),", (y - X * wv).T * (y - X * wv) / 2 + lam / 2 * wv.T * Lam * wv)
    step = der.add("minimised by the ridge step (M1's derivation with strengths λ||x_j||²/η_j):",
                   sp.Eq(wv, (X.T * X + lam * Lam).I * X.T * y))
    residual = _safeguard_residual()
    _zero(residual, "the safeguarded ridge step")
    der.add("Safeguard: with u = c⊙v and penalty weight λc_j²/η_j on v_j, (CGC + R)C⁻¹w = C(G + λE⁻¹)w, "
            "so the solution is the same for any c_j > 0; row j of RC⁻¹ − λCE⁻¹ is", residual)
    der.add("c_j = √min(η_j, 1) never divides by η: η_j = 0 gives u_j = 0 exactly, η_j = ∞ an unpenalised "
            "weight.")
    F = (sp.Symbol("r") ** 2) / 2 + lam * Omega(c * w)  # one coordinate: F's penalty term in w with c = ||x_j||
    stationarity = sp.diff(lam * Omega(c * w), w)
    ridge_term = lam * c**2 * w / eta_hat(c * w)
    envelope = stationarity.doit().replace(
        lambda e: isinstance(e, sp.Subs) and e.expr.func == sp.Derivative and e.expr.expr.func == Omega,
        lambda e: e.point[0] / eta_hat(e.point[0]))  # Ω′(u) = u/η̂(u), E1
    fixed_point = sp.cancel(envelope - ridge_term)
    _zero(fixed_point, "that the fixed point of IRLS is stationary for F")
    der.add("At η_j = η̂(||x_j||w_j), the ridge term of row j equals the derivative of λΩ(||x_j||w_j), "
            "because Ω′(u) = u/η̂(u) (E1): a fixed point is a stationary point of F. Difference:", fixed_point)
    der.add("Block coordinate descent: F(w^k) = J(w^k, η^k) ≥ J(w^{k+1}, η^k) ≥ min_η J(w^{k+1}, η) = "
            "F(w^{k+1}), with F per coordinate", F)
    curvature = alpha * (1 / alpha) ** 2 * c**2  # E[(m/α)²]||x_j||², m ~ Bernoulli(α)
    der.add("Sampled masks: the diagonal curvature of the masked loss, E[(m/α)²]·||x_j||² =", curvature)
    keep = eta / (eta + lam)
    inverted = sp.expand(sp.cancel(u / keep.subs(eta, eta_hat(u))))
    _zero(inverted - (u + lam * u / eta_hat(u)), "u/α = u + λΩ′(u)")
    der.add("With α = η̂/(η̂ + λ), the inverted-dropout weight u/α = u + λ·u/η̂(u) = u + λΩ′(u) stays "
            "bounded as u → 0 when Ω′(0+) < ∞:", inverted)
    der.results.update({
        "ridge_step": step.rhs,
        "fixed_point": sp.Eq(ridge_term, lam * c * sp.Function(r"\Omega^{\prime}")(c * w)),
        "keep_rate": sp.Eq(alpha, keep),
        "curvature": sp.cancel(curvature),
        "inverted_weight": sp.Eq(sp.Symbol(r"u/\alpha"), u + lam * sp.Symbol(r"\Omega'(u)")),
    })
    return der


def derive_e6() -> Derivation:
    der = Derivation("E6", "training rules of the adaptive methods at scale")
    v = sp.Symbol("v", real=True)
    prox_objective = (v - z) ** 2 / (2 * gamma) + lam / (2 * n_train) * v**2 / eta
    prox = z * eta / (eta + gamma * lam / n_train)
    _zero(sp.diff(prox_objective, v).subs(v, prox), "the adaptive prox step (a stationary point)")
    if not sp.diff(prox_objective, v, 2).is_positive:
        raise AssertionError("the prox objective is not strictly convex")
    der.add("Adaptive prox: the proximal step of (γλ/2N)·v²/η after a gradient step to z (the objective is "
            "strictly convex in v, and its derivative vanishes here) is", prox)
    tikhonov = sp.diff(lam / 2 * w**2 / eta, w).subs(eta, eta_hat(w))
    der.add("Adaptive Tikhonov: at η = η̂(w) the gradient of (λ/2)w²/η is λw/η̂(w) = λΩ′(w):", tikhonov)
    r = sp.Symbol("r", positive=True)  # r = √(ε² + 4η)
    s = (r - eps) / 2
    torch_dual = 2 * sp.log(s + eps) - s / (s + eps)
    module_dual = 2 * sp.log((eps + r) / 2) - 1 + 2 * eps / (eps + r)
    _zero(torch_dual - module_dual, "the log-sum dual through s = η̂⁻¹(η)")
    _zero(sp.expand((s * (s + eps)).subs(r, sp.sqrt(eps**2 + 4 * eta))) - eta,
          "s = η̂⁻¹(η) for the log-sum penalty")
    s_symbol = sp.Symbol("s", positive=True)
    dual = der.add("η-trick for the log-sum penalty: with s = η̂⁻¹(η), i.e. s(s + ε) = η, the dual f(η) of "
                   "theory/penalties.py is", 2 * sp.log(s_symbol + eps) - s_symbol / (s_symbol + eps))
    drop = alpha / (1 + alpha)
    threshold = drop.subs(alpha, sp.exp(3))
    if not threshold > sp.Rational(95, 100):
        raise AssertionError("log α = 3 does not correspond to a drop rate above 0.95")
    der.add("Variational dropout prunes where log α > 3: Gaussian noise of variance α matches Bernoulli "
            "dropout with drop rate α/(1 + α), at log α = 3:", sp.N(threshold, 4))
    error, n_test = sp.symbols("e n_test", positive=True)
    der.results.update({
        "prox": sp.Eq(sp.Symbol("w^{+}"), prox),
        "tikhonov_gradient": tikhonov,
        "logsum_dual": dual,
        "logsum_inverse": sp.Eq(s_symbol, s.subs(r, sp.sqrt(eps**2 + 4 * eta))),
        "drop_rate": sp.Eq(sp.Symbol("p_{drop}"), drop),
        "binomial_se": sp.sqrt(error * (1 - error) / n_test),
    })
    return der
