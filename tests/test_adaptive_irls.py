"""Tests of simulations.adaptive_dropout (claim E3): the safeguarded ridge step, IRLS against cvxpy for ℓ1,
monotone descent and stationarity for non-convex penalties (checked against finite differences of Ω,
independently of η̂), the sampled-dropout step's expectation, and input validation.

Tolerances: cvxpy comparison ||w − w*|| ≤ Σ sqrt(2·gap/μ) (strong convexity μ = λ_min(XᵀX)); Monte Carlo
z·se with z for a two-sided false-failure rate 1e-6; rounding k·eps·scale.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulations.adaptive_checks import E3_SIZES, check_e3, e3_penalty, sparse_problem, universal_threshold
from simulations.adaptive_dropout import (
    adaptive_dropout_sgd,
    eta_trick_objective,
    irls,
    irls_support,
    lasso_duality_gap,
    normalised_design,
    penalised_objective,
    preconditioned_direction,
    ridge_step,
    stationarity,
)
from sparsetheory.checks import mc_z
from theory.penalties import get_penalty

EPS = float(np.finfo(np.float64).eps)


def problem(seed, n=60, d=12):
    rng = np.random.default_rng(seed)
    X, y, teacher = sparse_problem(rng, n, d)
    return X, y, teacher, universal_threshold(d, 1)


@given(st.integers(0, 2**32 - 1))
def test_ridge_step_matches_the_normal_equations_and_its_limits(seed):
    """Finite η: (X̃ᵀX̃ + λ diag(1/η))u = X̃ᵀy. η_j = 0: u_j = 0 exactly and the rest is the ridge without
    column j. η_j = ∞: column j unpenalised (the limit of large η, to first order in 1/η)."""
    rng = np.random.default_rng(seed)
    n, d, lam = 30, 6, 2.0
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    Xn, _ = normalised_design(X)
    eta = rng.uniform(0.05, 20.0, d)
    u = ridge_step(Xn, y, eta, lam)
    np.testing.assert_allclose((Xn.T @ Xn + lam * np.diag(1 / eta)) @ u, Xn.T @ y,
                               atol=1e3 * EPS * np.abs(Xn.T @ y).max())

    eta[1], eta[3] = 0.0, np.inf
    u = ridge_step(Xn, y, eta, lam)
    assert u[1] == 0.0
    keep = np.arange(d) != 1
    penalty = np.where(np.isinf(eta[keep]), 0.0, lam / np.where(np.isinf(eta[keep]), 1.0, eta[keep]))
    reduced = np.linalg.solve(Xn[:, keep].T @ Xn[:, keep] + np.diag(penalty), Xn[:, keep].T @ y)
    np.testing.assert_allclose(u[keep], reduced, rtol=1e-10, atol=1e-12)
    large = eta.copy()
    large[3] = 1e9
    np.testing.assert_allclose(ridge_step(Xn, y, large, lam), u, rtol=1e-6, atol=1e-8)


def test_irls_l1_reaches_the_cvxpy_lasso(seed):
    X, y, _, lam = problem(seed)
    run = irls(X, y, get_penalty("lp", p=1.0), lam)
    norms = np.linalg.norm(X, axis=0)
    w = cp.Variable(X.shape[1])
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - X @ w) + lam * cp.norm1(cp.multiply(norms, w)))).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    mu = np.linalg.eigvalsh(X.T @ X)[0]
    tolerance = sum(np.sqrt(2 * lasso_duality_gap(X, y, v, lam) / mu) for v in (run.w, w.value))
    assert run.converged
    assert np.linalg.norm(run.w - w.value) <= tolerance
    assert tolerance <= 1e-3 * np.linalg.norm(w.value), "the comparison is uninformative"


@pytest.mark.parametrize("name", ["lp", "logsum", "mcp", "scad", "vardrop"])
def test_irls_descends_and_the_eta_step_closes_the_gap(seed, name):
    """F(w^k) ≥ J(w^{k+1}, η^k) ≥ F(w^{k+1}), and J(w, η̂(w)) = F(w) (E1's value identity)."""
    X, y, _, threshold = problem(seed)
    penalty, lam = e3_penalty(name, threshold)
    run = irls(X, y, penalty, lam)
    sequence = np.empty(2 * run.iterations + 1)
    sequence[0::2], sequence[1::2] = run.objective, run.half_objective
    assert np.all(np.diff(sequence) <= 4 * sum(X.shape) * EPS * run.objective[0])
    Xn, _ = normalised_design(X)
    u = run.u
    np.testing.assert_allclose(eta_trick_objective(Xn, y, u, penalty.eta_hat(u), penalty, lam),
                               penalised_objective(Xn, y, u, penalty, lam), rtol=1e-9)


@pytest.mark.parametrize("name", ["logsum", "mcp", "scad", "vardrop"])
def test_irls_limit_is_stationary_by_finite_differences_of_omega(seed, name):
    """On the support, x̃_jᵀ(X̃u − y) + λΩ′(u_j) = 0 with Ω′ from central differences of `omega` (not from
    η̂); tolerance: the residual bound of `stationarity` + λ·(the Richardson estimate of the FD error)."""
    X, y, teacher, threshold = problem(seed, n=80, d=15)
    penalty, lam = e3_penalty(name, threshold)
    run = irls(X, y, penalty, lam)
    Xn, _ = normalised_design(X)
    support = irls_support(run.u)
    u = run.u[support]

    def central(h):
        return (penalty.omega(u + h) - penalty.omega(u - h)) / (2 * h)

    h = 1e-4 * np.maximum(1.0, np.abs(u))
    fine, coarse = central(h), central(2 * h)
    error = np.abs(fine - coarse) + 1e3 * EPS * np.abs(penalty.omega(u)) / h
    residual = np.abs((Xn.T @ (Xn @ run.u - y))[support] + lam * fine)
    bound = stationarity(X, y, run, penalty, lam)["bound"] * lam
    assert np.all(residual <= bound + lam * error)
    assert np.array_equal(support, teacher != 0)


def test_preconditioned_direction_is_unbiased_for_the_dropout_objective(seed):
    """Mean over sampled masks (all rows, scale 1) = −α ⊙ ∇_u [½||y − X̃u||² + (λ/2)Σ u²/η] within z·se
    (Bonferroni over the d coordinates)."""
    rng = np.random.default_rng(seed)
    n, d, lam, samples = 20, 5, 1.5, 20_000
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    Xn, _ = normalised_design(X)
    u, eta = rng.standard_normal(d), rng.uniform(0.2, 3.0, d)
    keep = eta / (eta + lam)
    draws = np.array([preconditioned_direction(Xn, y, u, keep, rng.random((n, d)) < keep, 1.0)
                      for _ in range(samples)])
    expected = -keep * (Xn.T @ (Xn @ u - y) + lam * u / eta)
    se = draws.std(axis=0, ddof=1) / np.sqrt(samples)
    z = mc_z(1e-6 / d)
    assert np.all(np.abs(draws.mean(axis=0) - expected) <= z * se)


def test_sampled_dropout_sgd_is_reproducible_and_finds_the_support(seed):
    X, y, teacher, threshold = problem(seed, n=120, d=20)
    penalty, lam = e3_penalty("logsum", threshold)
    first = adaptive_dropout_sgd(X, y, penalty, lam, seed, epochs=60, batch=20, step=0.1, decay_epochs=5.0)
    again = adaptive_dropout_sgd(X, y, penalty, lam, seed, epochs=60, batch=20, step=0.1, decay_epochs=5.0)
    np.testing.assert_array_equal(first.u, again.u)
    assert np.array_equal(first.keep[-1] >= 0.5, teacher != 0)


def test_check_e3_tiny_passes_and_names_its_quantities():
    results = check_e3("tiny", np.random.default_rng(0))
    assert {r.key for r in results} == {"l1-cvxpy", "l1-gap", "monotone", "unconverged", "stationarity",
                                         "subgradient", "support", "sgd-support"}
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    assert set(E3_SIZES) == {"tiny", "quick", "full"}


@pytest.mark.parametrize("call, message", [
    (lambda X, y: ridge_step(X, y, -np.ones(X.shape[1]), 1.0), "eta"),
    (lambda X, y: ridge_step(X, y, np.ones(X.shape[1]), 0.0), "lam"),
    (lambda X, y: irls(np.c_[X, np.zeros(len(y))], y, get_penalty("logsum"), 1.0), "all-zero columns"),
    (lambda X, y: irls(X, y[:-1], get_penalty("logsum"), 1.0), "y must have"),
    (lambda X, y: irls(X, y, get_penalty("logsum"), 1.0, max_iter=0), "max_iter"),
    (lambda X, y: adaptive_dropout_sgd(X, y, get_penalty("logsum"), 1.0, 0, epochs=1, batch=0, step=0.1,
                                       decay_epochs=1.0), "batch"),
])
def test_invalid_input_names_the_argument(call, message):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    with pytest.raises(ValueError, match=message):
        call(X, y)
