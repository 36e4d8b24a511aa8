"""Adaptive dropout is iteratively reweighted least squares (claim E3, [L]).

Conventions (THEORY.md E): columns are measured in their own scale, u_j = ||x_j||·w_j and
x̃_j = x_j/||x_j||, so that X w = X̃ u. A penalty object (theory.penalties.get_penalty) gives
Ω(u) = ½·min_{η>0} [u²/η + f(η)] with minimiser η̂(u), Ω′(u) = u/η̂(u) (E1).

    F(w)    = ½||y − Xw||² + λ Σ_j Ω(||x_j|| w_j)                                   (the target)
    J(w, η) = ½||y − Xw||² + (λ/2) Σ_j [||x_j||² w_j²/η_j + f(η_j)]                 (the η-trick)

min_η J(w, η) = F(w) at η_j = η̂(||x_j||w_j), and for fixed η the w-block is the dropout objective of
E2 with keep rates α_j = η_j/(η_j + λ): E_m ½||y − X((m/α)⊙w)||² = ½||y − Xw||² + (λ/2)Σ_j
||x_j||²w_j²/η_j, a ridge regression. Alternating the two exact block minimisations (`irls`) is block
coordinate descent on J, so F(w^k) = J(w^k, η^k) ≥ J(w^{k+1}, η^k) ≥ F(w^{k+1}): monotone. At a fixed
point x̃_jᵀ(X̃u − y) + λΩ′(u_j) = 0 on the support: a stationary point of F.

`adaptive_dropout_sgd` is the stochastic version: it samples the dropout masks themselves, with keep
rates α_j = η̂(u_j)/(η̂(u_j) + λ) recomputed from the current weights at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.penalties import Penalty
from theory.validation import design_and_labels, generator, keep_probabilities, linear_problem, real_array

DEFAULT_TOL = 1e-11
DEFAULT_MAX_ITER = 20_000
SUPPORT_RELATIVE = 1e-6  # |u_j| ≤ this·max|u| reads as zero in the IRLS limit (see `irls_support`)
SLOPE_AT_ZERO_PROBE = 1e-9  # Ω′(0+) is read as u/η̂(u) at u = this (relative to 1)


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
    return int(value)


def _check_penalty(penalty) -> None:
    if not isinstance(penalty, Penalty):
        raise TypeError(f"penalty must be a theory.penalties.Penalty (see get_penalty), got {type(penalty).__name__}")


def normalised_design(X) -> tuple[np.ndarray, np.ndarray]:
    """(X̃, ||x_j||): unit-norm columns and the column norms. Every column must be non-zero."""
    X = real_array(X, "X", 2)
    norms = np.linalg.norm(X, axis=0)
    if np.any(norms == 0):
        raise ValueError(f"X has all-zero columns {np.flatnonzero(norms == 0).tolist()}: u_j = ||x_j||w_j is "
                         "undefined there; drop them")
    return X / norms, norms


def ridge_step(Xn, y, eta, lam: float) -> np.ndarray:
    """u = argmin_u ½||y − X̃u||² + (λ/2)Σ_j u_j²/η_j, for η_j ∈ [0, ∞] (the dropout objective, E2).

    Safeguard for η → 0 and η → ∞: substitute u = c⊙v with c_j = √min(η_j, 1), which turns the
    penalty into (λ/2)Σ_j v_j²/max(η_j, 1) and the normal equations into
        (C X̃ᵀX̃ C + diag(λ/max(η, 1))) v = C X̃ᵀy,   C = diag(c).
    No division by η occurs: η_j = 0 gives c_j = 0, hence u_j = 0 exactly (the limit of an infinite
    penalty), η_j = ∞ gives an unpenalised coordinate. The matrix is positive definite when the
    unpenalised columns are linearly independent.
    """
    Xn, y = design_and_labels(Xn, y, ("Xn", "y"))
    eta = np.asarray(eta, dtype=np.float64)
    if eta.shape != (Xn.shape[1],) or np.any(np.isnan(eta)) or np.any(eta < 0):
        raise ValueError(f"eta must have d = {Xn.shape[1]} entries in [0, ∞], got {eta!r}")
    lam = _positive(lam, "lam")
    c = np.sqrt(np.minimum(eta, 1.0))
    B = Xn * c
    system = B.T @ B + np.diag(lam / np.maximum(eta, 1.0))
    return c * np.linalg.solve(system, B.T @ y)


def eta_trick_objective(Xn, y, u, eta, penalty, lam: float) -> float:
    """J in the normalised variables: ½||y − X̃u||² + (λ/2)Σ_j [u_j²/η_j + f(η_j)].

    Where η_j = 0 (then u_j = 0, see `ridge_step`) the bracket is its limit f(0+) = 2Ω(0).
    """
    Xn, y, u = linear_problem(Xn, y, u, ("Xn", "y", "u"))
    _check_penalty(penalty)
    lam = _positive(lam, "lam")
    residual = y - Xn @ u
    dropped = eta == 0
    kept = np.where(dropped, 1.0, eta)
    bracket = np.where(dropped, 2 * penalty.omega(np.zeros_like(u)), u**2 / kept + penalty.f(kept))
    return float(0.5 * residual @ residual + lam / 2 * np.sum(bracket))


def penalised_objective(Xn, y, u, penalty, lam: float) -> float:
    """F in the normalised variables: ½||y − X̃u||² + λΣ_j Ω(u_j)."""
    Xn, y, u = linear_problem(Xn, y, u, ("Xn", "y", "u"))
    _check_penalty(penalty)
    lam = _positive(lam, "lam")
    residual = y - Xn @ u
    return float(0.5 * residual @ residual + lam * np.sum(penalty.omega(u)))


def slope_at_zero(penalty) -> float:
    """Ω′(0+) = lim_{u→0+} u/η̂(u), read at u = SLOPE_AT_ZERO_PROBE (∞ for ℓp with p < 1)."""
    _check_penalty(penalty)
    return float(penalty.derivative(np.array([SLOPE_AT_ZERO_PROBE]))[0])


@dataclass(frozen=True)
class IRLSResult:
    """The iterates of `irls`.

    u, w: the final weights (u = ||x||⊙w); eta_used: the η of the last ridge step (u solves it);
    objective (K+1,): F(u^k) = J(u^k, η̂(u^k)); half_objective (K,): J(u^{k+1}, η^k);
    step (K,): max_j |u^{k+1}_j − u^k_j|; iterations K; converged: the stopping rule was met.
    """

    u: np.ndarray
    w: np.ndarray
    eta_used: np.ndarray
    objective: np.ndarray
    half_objective: np.ndarray
    step: np.ndarray
    iterations: int
    converged: bool


def irls(X, y, penalty, lam: float, *, tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER) -> IRLSResult:
    """Adaptive dropout in its deterministic form: block coordinate descent on J.

    Start: η^0_j = λ, i.e. keep rate α = η/(η + λ) = ½ on every weight. Then repeat
        u^{k+1} = ridge_step(X̃, y, η^k, λ),    η^{k+1}_j = η̂(u^{k+1}_j),
    until max_j |u^{k+1}_j − u^k_j| ≤ tol·max(1, max_j |u^{k+1}_j|) or max_iter steps.
    """
    X, y = design_and_labels(X, y)
    _check_penalty(penalty)
    lam = _positive(lam, "lam")
    tol = _positive(tol, "tol")
    max_iter = _positive_int(max_iter, "max_iter")
    Xn, norms = normalised_design(X)
    d = X.shape[1]
    eta = np.full(d, lam)
    u = ridge_step(Xn, y, eta, lam)
    objective, half_objective, steps = [penalised_objective(Xn, y, u, penalty, lam)], [], []
    converged = False
    for _ in range(max_iter):
        eta = penalty.eta_hat(u)
        new = ridge_step(Xn, y, eta, lam)
        half_objective.append(eta_trick_objective(Xn, y, new, eta, penalty, lam))
        objective.append(penalised_objective(Xn, y, new, penalty, lam))
        steps.append(np.max(np.abs(new - u)))
        u = new
        if steps[-1] <= tol * max(1.0, np.max(np.abs(u))):
            converged = True
            break
    return IRLSResult(u=u, w=u / norms, eta_used=eta, objective=np.array(objective),
                      half_objective=np.array(half_objective), step=np.array(steps),
                      iterations=len(steps), converged=converged)


def irls_support(u) -> np.ndarray:
    """The support of an IRLS limit: |u_j| > SUPPORT_RELATIVE·max|u|.

    Off the support IRLS shrinks u_j geometrically, by the factor ≈ |x̃_jᵀr|/(λΩ′(0+)) < 1 per step,
    and never exactly to zero; at the stopping rule (relative step ≤ 1e-11) these coordinates lie
    many orders of magnitude below the threshold, the support ones above it.
    """
    u = real_array(u, "u", 1)
    if u.size == 0:
        raise ValueError("u must have at least one entry")
    return np.abs(u) > SUPPORT_RELATIVE * np.max(np.abs(u))


def stationarity(X, y, result: IRLSResult, penalty, lam: float) -> dict[str, float]:
    """How far the IRLS limit is from a stationary point of F.

    On the support S: residual = max_{j∈S} |x̃_jᵀ(X̃u − y) + λΩ′(u_j)|/λ, and the bound it must meet,
        bound = max_{j∈S} |u_j|·|1/η̂(u_j) − 1/η_j^used| + rounding,
    because u solves the ridge step at η^used exactly (x̃_jᵀ(X̃u − y) + λu_j/η_j^used = 0), so the
    gradient of F differs from zero only by the change of η in the last step. Rounding:
    10·n·d·eps·(||y|| + ||X̃||_F||u||)/λ (the size of the terms entering x̃_jᵀ(X̃u − y), times the
    number of rounded operations). Off the support: subgradient ratio
    = max_{j∉S} |x̃_jᵀ(y − X̃u)|/(λΩ′(0+)), which must be ≤ 1.
    """
    X, y = design_and_labels(X, y)
    _check_penalty(penalty)
    lam = _positive(lam, "lam")
    Xn, _ = normalised_design(X)
    n, d = X.shape
    u = result.u
    support = irls_support(u)
    correlation = Xn.T @ (Xn @ u - y)
    residual = np.abs(correlation + lam * penalty.derivative(u))[support] / lam
    with np.errstate(divide="ignore"):
        change = np.abs(u * (1 / penalty.eta_hat(u) - 1 / result.eta_used))[support]
    scale = np.linalg.norm(y) + np.linalg.norm(Xn) * np.linalg.norm(u)
    rounding = 10 * n * d * np.finfo(np.float64).eps * scale / lam
    off = np.abs(correlation[~support]) / (lam * slope_at_zero(penalty))
    return dict(residual=float(residual.max(initial=0.0)), bound=float(change.max(initial=0.0) + rounding),
                off_ratio=float(off.max(initial=0.0)), support_size=int(support.sum()))


def lasso_duality_gap(X, y, w, lam: float) -> float:
    """Duality gap of P(w) = ½||y − Xw||² + λΣ_j ||x_j|||w_j| (the ℓ1 case of F) at w.

    Dual: D(θ) = ½||y||² − ½||y − θ||² over |x̃_jᵀθ| ≤ λ; θ = s·r, r = y − Xw, with the largest
    feasible s ∈ [0, 1]. Returns P(w) − D(θ) ≥ P(w) − min P.
    """
    X, y, w = linear_problem(X, y, w)
    lam = _positive(lam, "lam")
    Xn, norms = normalised_design(X)
    residual = y - X @ w
    correlation = np.max(np.abs(Xn.T @ residual))
    scale = 1.0 if correlation <= lam else lam / correlation
    theta = scale * residual
    primal = 0.5 * residual @ residual + lam * np.sum(norms * np.abs(w))
    dual = 0.5 * y @ y - 0.5 * np.sum((y - theta) ** 2)
    return float(max(primal - dual, 0.0))


def preconditioned_direction(Xb, yb, u, keep, masks, scale: float) -> np.ndarray:
    """One minibatch's step direction of sampled adaptive dropout, preconditioned by α_j:

        Δ_j = scale·Σ_i m_ij x̃_ij (y_i − ŷ_i),   ŷ_i = Σ_k x̃_ik (m_ik/α_k) u_k   (m/α := 0 where α = 0),

    i.e. −α_j·∂/∂u_j of scale·½Σ_i (y_i − ŷ_i)². Over masks m_ij ~ Bernoulli(α_j) and with scale = 1
    on all rows, E Δ_j = −α_j·∂/∂u_j [½||y − X̃u||² + (λ/2)Σ_k u_k²/η_k] at α = η/(η + λ) (E2).
    """
    Xb, yb, u = linear_problem(Xb, yb, u, ("Xb", "yb", "u"))
    keep = keep_probabilities(keep, u.shape[0], allow_zero=True)
    masks = real_array(masks, "masks", 2)
    if masks.shape != Xb.shape:
        raise ValueError(f"masks must have the shape of Xb {Xb.shape}, got {masks.shape}")
    scale = _positive(scale, "scale")
    scaled = np.divide(u, keep, out=np.zeros_like(u), where=keep > 0)
    masked = Xb * masks
    return scale * (masked.T @ (yb - masked @ scaled))


@dataclass(frozen=True)
class SGDResult:
    """The trajectory of `adaptive_dropout_sgd`: epochs (E+1,), u (E+1, d) and keep (E+1, d) at the end
    of each epoch (row 0: the start), the final u and w."""

    epochs: np.ndarray
    u: np.ndarray
    keep: np.ndarray
    final_u: np.ndarray
    final_w: np.ndarray


def adaptive_dropout_sgd(X, y, penalty, lam: float, rng, *, epochs: int, batch: int, step: float,
                         decay_epochs: float) -> SGDResult:
    """SGD on the masked loss ½Σ_i (y_i − Σ_j x_ij (m_ij/α_j) w_j)² with adaptive keep rates.

    Each example of a minibatch draws its own mask m_ij ~ Bernoulli(α_j) (inverted dropout), with
    α_j = η̂(u_j)/(η̂(u_j) + λ) computed from the current weights before every step; the gradient is
    unbiased for the dropout objective of E2 at η = η̂(u). Start: the first IRLS ridge step (keep ½).

    The step is preconditioned by the inverse diagonal curvature of that objective, α_j/||x_j||²
    (the diagonal of XᵀX + λ diag(||x_j||²/η_j) is ||x_j||²/α_j): `preconditioned_direction`, with
    scale n/B. It is bounded as α_j → 0, because u_j/α_j = u_j + λΩ′(u_j) is (for Ω′(0+) < ∞); a plain
    step would have to shrink like min_j α_j², since a rarely kept weight's gradient carries 1/α_j.
    Step size γ_t = step/(1 + t/(decay_epochs·steps per epoch)) (Robbins–Monro).
    """
    X, y = design_and_labels(X, y)
    _check_penalty(penalty)
    lam, step, decay_epochs = (_positive(v, k) for v, k in ((lam, "lam"), (step, "step"),
                                                              (decay_epochs, "decay_epochs")))
    epochs, batch = _positive_int(epochs, "epochs"), _positive_int(batch, "batch")
    rng = generator(rng)
    Xn, norms = normalised_design(X)
    n, d = X.shape
    batch = min(batch, n)
    per_epoch = n // batch
    u = ridge_step(Xn, y, np.full(d, lam), lam)
    trace_u, trace_keep = [u.copy()], [penalty.keep_rate(u, lam)]
    t = 0
    for _ in range(epochs):
        order = rng.permutation(n)[: per_epoch * batch].reshape(per_epoch, batch)
        uniforms = rng.random((per_epoch, batch, d))
        for rows, uniform in zip(order, uniforms):
            keep = penalty.keep_rate(u, lam)
            gamma = step / (1 + t / (decay_epochs * per_epoch))
            u = u + gamma * preconditioned_direction(Xn[rows], y[rows], u, keep, uniform < keep, n / batch)
            t += 1
        trace_u.append(u.copy())
        trace_keep.append(penalty.keep_rate(u, lam))
    return SGDResult(epochs=np.arange(epochs + 1), u=np.array(trace_u), keep=np.array(trace_keep),
                     final_u=u, final_w=u / norms)
