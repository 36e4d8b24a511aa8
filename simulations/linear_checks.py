"""Checks of claims M1–M5: sympy identities, exact enumeration, Monte Carlo, optimisation.

Each `check_mK(profile, rng)` returns a list of `CheckResult`s. Problem sizes per
profile are in SIZES; every random draw comes from `rng`.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
from scipy.optimize import minimize
from scipy.stats import spearmanr

from simulations.linear import (
    enumerate_mask_loss,
    logit_gradient_flow,
    monte_carlo_mask_loss,
    projected_gradient_descent,
    round_to_vertex,
    vertex_losses,
)
from sparsetheory.checks import at_least, at_most, close, mc_tolerance, rounding_tolerance
from theory.dropout import derive_m1, dropout_optimal_weights, expected_dropout_loss, ridge_strengths
from theory.masked_loss import explicit_expectation_residual
from theory.masks import (
    derive_m2,
    derive_m3,
    derive_m4,
    expected_mask_loss,
    expected_mask_loss_grad,
    orthogonal_keep_rule,
    theta_form,
)

SIZES = {
    "tiny": dict(n=20, d_enum=6, n_mc=50, d_mc=10, samples=2_000, sympy_d=2, n_starts=4, flow_d=30, flow_n=120),
    "quick": dict(n=60, d_enum=12, n_mc=200, d_mc=40, samples=40_000, sympy_d=3, n_starts=20, flow_d=40,
                  flow_n=400),
    "full": dict(n=100, d_enum=16, n_mc=1000, d_mc=200, samples=400_000, sympy_d=4, n_starts=100, flow_d=60,
                 flow_n=1000),
}
SPEARMAN_LEVEL = 1e-3
SOLVER_GAP = 1e-9


def sparse_regression(rng: np.random.Generator, n: int, d: int, *, correlation: float = 0.0, active: int = 3):
    """X with equicorrelated Gaussian rows, y = X w* + N(0, 0.25) noise with `active` non-zeros in w*."""
    shared = rng.standard_normal((n, 1))
    X = np.sqrt(1 - correlation) * rng.standard_normal((n, d)) + np.sqrt(correlation) * shared
    teacher = np.zeros(d)
    teacher[rng.choice(d, size=min(active, d), replace=False)] = rng.choice([-2.0, 2.0], size=min(active, d))
    y = X @ teacher + 0.5 * rng.standard_normal(n)
    return X, y, teacher


def _loss_scale(X, y, weights) -> float:
    """(||y|| + ||X||_F·||weights||)²/n bounds every loss term entering the comparison."""
    return (np.linalg.norm(y) + np.linalg.norm(X) * np.linalg.norm(weights)) ** 2 / X.shape[0]


def _exact_tolerance(X, y, weights, terms: int) -> float:
    """Rounding bound for sums of `terms` products of size _loss_scale (γ_k-style, k = terms)."""
    return rounding_tolerance(_loss_scale(X, y, weights), terms)


def _sympy_residuals(claim: str, kind: str, max_d: int):
    nonzero = sum(explicit_expectation_residual(kind, 2, d) != 0 for d in range(1, max_d + 1))
    return close(claim, "sympy-enumeration", f"sympy: E over all 2^d masks − closed form ≠ 0, d = 1..{max_d}",
                 "sympy", 0, nonzero, 0)


def _identity_checks(claim: str, kind: str, profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    rescale = kind == "dropout"
    closed_form = expected_dropout_loss if rescale else expected_mask_loss
    low = 0.05 if rescale else 0.0
    results = [_sympy_residuals(claim, kind, size["sympy_d"])]

    X, y, _ = sparse_regression(rng, size["n"], size["d_enum"])
    w = rng.standard_normal(size["d_enum"])
    keep = rng.uniform(low, 1, size["d_enum"])
    exact = closed_form(X, y, w, keep)
    enumerated = enumerate_mask_loss(X, y, w, keep, rescale=rescale)
    scaled = w / keep if rescale else w
    terms = 2 ** size["d_enum"] + 2 * (size["n"] + size["d_enum"])
    results.append(close(claim, "enumeration", f"closed form vs all 2^{size['d_enum']} masks",
                         "enumeration", exact, enumerated, _exact_tolerance(X, y, scaled, terms)))

    X, y, _ = sparse_regression(rng, size["n_mc"], size["d_mc"])
    w = rng.standard_normal(size["d_mc"])
    keep = rng.uniform(max(low, 0.2), 1, size["d_mc"])
    exact = closed_form(X, y, w, keep)
    estimate, standard_error = monte_carlo_mask_loss(X, y, w, keep, size["samples"], rng, rescale=rescale)
    results.append(close(claim, "monte-carlo", f"closed form vs {size['samples']} sampled masks (d = {size['d_mc']})",
                         "monte carlo", exact, estimate, mc_tolerance(standard_error)))
    plain = float(np.mean((y - X @ w) ** 2))
    results.append(close(claim, "keep-one", "limit keep → 1: E L = L(w)", "limit", plain,
                         closed_form(X, y, w, 1.0), _exact_tolerance(X, y, w, 2 * (size["n_mc"] + size["d_mc"]))))
    return results, (X, y, w, keep)


def check_m1(profile: str, rng: np.random.Generator):
    derive_m1()
    results, _ = _identity_checks("M1", "dropout", profile, rng)
    return results


def check_m2(profile: str, rng: np.random.Generator):
    derive_m2()  # raises unless sympy confirms the θ-reparametrisation
    results, (X, y, w, keep) = _identity_checks("M2", "mask", profile, rng)
    n, d = X.shape
    tolerance = _exact_tolerance(X, y, w, 4 * (n + d))
    results.append(close("M2", "theta-form", "n·E L vs ||y||² − 2θᵀXᵀy + θᵀ(G − diag G)θ + Σ c_j|θ_j|",
                         "enumeration", n * expected_mask_loss(X, y, w, keep), theta_form(X, y, w, keep),
                         n * tolerance))
    results.append(close("M2", "keep-zero", "limit keep → 0: E L = ||y||²/n", "limit", y @ y / n,
                         expected_mask_loss(X, y, w, 0.0), tolerance))
    return results


def _box_minimum(X, y, w, starts: np.ndarray) -> float:
    """Best local minimum of E_m L over p ∈ [0,1]^d found by L-BFGS-B from each start."""
    best = np.inf
    for start in starts:
        fit = minimize(lambda p: expected_mask_loss(X, y, w, p), start, jac=lambda p: expected_mask_loss_grad(X, y, w, p),
                       method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(w))
        best = min(best, fit.fun)
    return float(best)


def check_m3(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    second = derive_m3().results["second_derivative"]
    results = [close("M3", "sympy-affine", "sympy: ∂²(n·E L)/∂p_j²", "sympy", 0, float(second), 0)]

    n, d = size["n"], size["d_enum"]
    X, y, _ = sparse_regression(rng, n, d, correlation=0.3)
    w = rng.standard_normal(d)
    keep = rng.uniform(0.25, 0.75, d)
    step = 0.25
    shifts = step * np.eye(d)
    second_differences = [expected_mask_loss(X, y, w, keep + e) - 2 * expected_mask_loss(X, y, w, keep)
                          + expected_mask_loss(X, y, w, keep - e) for e in shifts]
    results.append(close("M3", "second-difference", "max_j |second difference of E L in p_j| (h = 1/4)",
                         "enumeration", 0, np.max(np.abs(second_differences)),
                         4 * _exact_tolerance(X, y, w, 4 * (n + d))))

    masks, losses = vertex_losses(X, y, w)
    box_min = _box_minimum(X, y, w, rng.uniform(0, 1, (size["n_starts"], d)))
    results.append(at_least("M3", "vertex-optimum", f"best of {size['n_starts']} box optima ≥ min over 2^{d} vertices",
                            "optimisation", losses.min(), box_min, _exact_tolerance(X, y, w, 4 * (n + d))))

    interior = rng.uniform(0.05, 0.95, d)
    rounded = round_to_vertex(X, y, w, interior)
    results.append(at_most("M3", "rounding", "E L after rounding a random p to a vertex coordinate by coordinate "
                           "≤ E L at p", "optimisation", expected_mask_loss(X, y, w, interior),
                           expected_mask_loss(X, y, w, rounded), _exact_tolerance(X, y, w, 4 * (n + d))))

    keep_pgd, _ = projected_gradient_descent(X, y, w, np.full(d, 0.5))
    non_binary = np.sum((keep_pgd > 0) & (keep_pgd < 1))
    results.append(close("M3", "pgd-binary", "coordinates of the projected-gradient optimum strictly inside (0,1)",
                         "optimisation", 0, non_binary, 0))
    results.append(close("M3", "thresholding", "E L at the optimum vs E L of its thresholded mask", "optimisation",
                         expected_mask_loss(X, y, w, keep_pgd), expected_mask_loss(X, y, w, keep_pgd > 0.5),
                         _exact_tolerance(X, y, w, 4 * (n + d))))
    return results


def orthogonal_design(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """X with XᵀX = nI: the Q factor of a Gaussian matrix, scaled by √n."""
    q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    return np.sqrt(n) * q


def check_m4(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_m4()  # raises unless sympy confirms the gradient and the orthogonal keep rule
    n, d = size["n"], size["d_enum"]
    X, y, _ = sparse_regression(rng, n, d, correlation=0.3)
    w = rng.standard_normal(d)
    keep = rng.uniform(0.25, 0.75, d)
    h = 0.25  # E L is affine in p_j, so central differences are exact up to rounding for any h
    central = np.array([(expected_mask_loss(X, y, w, keep + e) - expected_mask_loss(X, y, w, keep - e)) / (2 * h)
                        for e in h * np.eye(d)])
    results = [close("M4", "finite-difference", "max_j |∂E L/∂p_j − central difference|", "finite difference", 0,
                     np.max(np.abs(central - expected_mask_loss_grad(X, y, w, keep))),
                     2 * _exact_tolerance(X, y, w, 4 * (n + d)) / (2 * h))]

    X = orthogonal_design(rng, n, d)
    teacher = np.zeros(d)
    teacher[: d // 2] = rng.standard_normal(d // 2)
    y = X @ teacher + 0.5 * rng.standard_normal(n)
    w = rng.standard_normal(d)
    rule = orthogonal_keep_rule(w, X.T @ y / n)
    masks, losses = vertex_losses(X, y, w)
    disagreements = int(np.sum(masks[np.argmin(losses)].astype(bool) != rule))
    results.append(close("M4", "orthogonal-rule", f"orthogonal design: keep rule vs best of 2^{d} masks, "
                         "disagreements", "enumeration", 0, disagreements, 0))

    n, d = size["flow_n"], size["flow_d"]
    X, y, _ = sparse_regression(rng, n, d, correlation=0.2, active=d // 3)
    w = rng.standard_normal(d)
    score = w * (X.T @ y / n) - w**2 / 2
    keep_end = logit_gradient_flow(X, y, w, [1.0, 1e3])[-1]
    rho, p_value = spearmanr(score, keep_end)
    results.append(at_least("M4", "spearman-rho", "general design: Spearman ρ(alignment score, keep at t = 1e3)",
                            "statistic", 0, rho))
    results.append(at_most("M4", "spearman-p", "general design: one-sided p-value of that ρ (level 1e-3)",
                           "statistic", SPEARMAN_LEVEL, p_value / 2 if rho > 0 else 1 - p_value / 2))
    return results


def _cvxpy_ridge(X, y, strengths) -> np.ndarray:
    w = cp.Variable(X.shape[1])
    objective = (cp.sum_squares(y - X @ w) + cp.sum(cp.multiply(strengths, cp.square(w)))) / X.shape[0]
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_abs=SOLVER_GAP, tol_gap_rel=SOLVER_GAP,
                                             tol_feas=SOLVER_GAP)
    return np.asarray(w.value)


def _cvxpy_weighted_lasso(X, y, weights) -> np.ndarray:
    theta = cp.Variable(X.shape[1])
    objective = (cp.sum_squares(y - X @ theta) + weights @ cp.abs(theta)) / X.shape[0]
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_abs=SOLVER_GAP, tol_gap_rel=SOLVER_GAP,
                                             tol_feas=SOLVER_GAP)
    return np.asarray(theta.value)


def check_m5(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    n, d = size["n"], size["d_enum"]
    X, y, _ = sparse_regression(rng, n, d)
    keep = rng.uniform(0.3, 0.9, d)
    strengths = ridge_strengths(X, keep)
    closed = dropout_optimal_weights(X, y, keep)
    # Strong convexity μ = λ_min((2/n)(G + Λ)) turns the solver's objective gap into a distance:
    # ||ŵ − w*||² ≤ 2·gap/μ.
    mu = np.linalg.eigvalsh(2 / n * (X.T @ X + np.diag(strengths)))[0]
    objective_scale = max(1.0, float(y @ y / n))
    results = [close("M5", "ridge-cvxpy", "||w_dropout (closed form) − w (cvxpy)||₂", "optimisation", 0,
                     np.linalg.norm(closed - _cvxpy_ridge(X, y, strengths)),
                     np.sqrt(2 * SOLVER_GAP * objective_scale / mu))]
    results.append(close("M5", "ridge-zeros", "exact zeros of the dropout optimum", "optimisation", 0,
                         int(np.sum(closed == 0)), 0))

    w = rng.standard_normal(d)  # weights at initialisation, as in M4
    masks, losses = vertex_losses(X, y, w)
    pruned = int(d - masks[np.argmin(losses)].sum())
    results.append(at_least("M5", "mask-zeros", f"weights pruned by the optimal mask over p (of d = {d})",
                            "enumeration", 1, pruned))
    theta = _cvxpy_weighted_lasso(X, y, np.einsum("ij,ij->j", X, X) * np.abs(w))
    results.append(at_least("M5", "lasso-zeros", "zeros (|θ_j| < 1e-6) of the weighted lasso with c_j = ||x_j||²|w_j|",
                            "optimisation", 1, int(np.sum(np.abs(theta) < 1e-6))))
    return results
