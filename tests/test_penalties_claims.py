"""Claims E1, E2, E4, E5 beyond the families: sympy derivations, E2 by Monte Carlo and enumeration, E4 on
random keep-rate rules, and the figure data (Monte Carlo points within z·se of the theory).

Monte Carlo tolerances are z·se with z Bonferroni-corrected so that a test fails with probability
1e-6 for correct code; `seed` is the conftest fixture (SPARSETHEORY_SEEDS).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from simulations.linear import enumerate_mask_loss, monte_carlo_mask_loss
from simulations.penalty_checks import concavity_excess, random_keep_rule, regression_problem, tikhonov_objective
from simulations.penalty_figures import (
    KEEP_FAMILIES,
    best_scaled_fit,
    candidate,
    effective_penalties,
    vector_penalties,
)
from theory.penalties import get_penalty
from theory.penalty_derivations import derive_e1, derive_e2, derive_e4, derive_e5, unconfirmed_identities

FALSE_FAILURE_RATE = 1e-6
EPS = np.finfo(np.float64).eps


def test_derivations_confirm_every_identity():
    assert set(unconfirmed_identities().values()) == {0}
    e1 = derive_e1()
    for family in ("lp", "logsum", "log2sum", "mcp", "scad_middle", "standout"):
        assert {f"omega_{family}", f"eta_hat_{family}", f"f_{family}"} <= set(e1.results)
    assert set(derive_e2().results) >= {"keep_rate", "tikhonov", "odds"}
    assert set(derive_e4().results) >= {"omega", "eta_hat", "first_derivative", "second_derivative"}
    assert set(derive_e5().results) == {"equal_spread", "sparsest"}
    assert "Step 1." in derive_e4().pretty()


def test_e2_dropout_is_tikhonov_by_enumeration_and_monte_carlo(seed):
    rng = np.random.default_rng(seed)
    n, d, lam = 30, 8, 0.7
    X, y = regression_problem(rng, n, d)
    w = rng.standard_normal(d)
    eta = np.exp(rng.uniform(-2, 2, d))
    keep = eta / (eta + lam)
    exact = tikhonov_objective(X, y, w, eta, lam)
    scale = (np.linalg.norm(y) + np.linalg.norm(X) * np.linalg.norm(w / keep)) ** 2
    assert abs(n / 2 * enumerate_mask_loss(X, y, w, keep, rescale=True) - exact) <= (2**d + 4 * (n + d)) * EPS * scale
    estimate, se = monte_carlo_mask_loss(X, y, w, keep, 20_000, rng, rescale=True)
    assert abs(n / 2 * estimate - exact) <= norm.isf(FALSE_FAILURE_RATE / 2) * n / 2 * se
    # the test has power: a keep rate of η/(η + 2λ) gives a different Tikhonov weight, far outside z·se
    assert abs(tikhonov_objective(X, y, w, eta, 2 * lam) - exact) > 10 * n / 2 * se


@pytest.mark.parametrize("name", ["vardrop", "hardconcrete", "standout", "logsum", "mcp"])
def test_e2_adaptive_keep_rates_give_the_reweighted_penalty(name):
    """With α = keep_rate(w, λ), (1 − α)/α·w² = λw²/η̂ (E2 with the adaptive scales of E1)."""
    penalty = get_penalty(name)
    w = np.linspace(0.05, 0.7, 14)  # below the hard-concrete gate opening, where η̂ is finite
    lam = 1.7
    keep = penalty.keep_rate(w, lam)
    np.testing.assert_allclose((1 - keep) / keep * w**2, lam * w**2 / penalty.eta_hat(w), rtol=1e-12)


@given(seed=st.integers(0, 2**32 - 1))
def test_e4_non_decreasing_rules_give_concave_penalties(seed):
    rng = np.random.default_rng(seed)
    excess, tolerance = concavity_excess(random_keep_rule(rng), 1.3, 16.0, 33)
    assert excess <= tolerance


@given(seed=st.integers(0, 2**32 - 1))
def test_e4_non_increasing_rules_are_detected(seed):
    rng = np.random.default_rng(seed)
    excess, tolerance = concavity_excess(random_keep_rule(rng, increasing=False), 1.3, 16.0, 33)
    assert excess > tolerance


def test_best_scaled_fit_recovers_an_exact_member():
    w = np.linspace(0, 10, 101)
    target = candidate("logsum", w, 1.7, 0.4)
    deviation, scale, shape = best_scaled_fit(target, w, "logsum")
    assert deviation < 1e-6 and scale == pytest.approx(1.7, rel=1e-4) and shape == pytest.approx(0.4, rel=1e-4)


def test_effective_penalty_monte_carlo_points_agree(seed):
    r = effective_penalties(seed, n_grid=41, n_mc_points=6, n_samples=20_000)
    gate = get_penalty("hardconcrete")
    estimates = np.concatenate([r["vardrop_mc"], r["gate_mc"], r["gate_keep_mc"]])
    theory = np.concatenate([get_penalty("vardrop").omega(r["vardrop_mc_w"]), gate.omega(r["gate_mc_w"]),
                             gate.keep_rate(r["gate_mc_w"], 1.0)])
    se = np.concatenate([r["vardrop_mc_se"], r["gate_mc_se"], r["gate_keep_mc_se"]])
    z = norm.isf(FALSE_FAILURE_RATE / 2 / estimates.size)
    # the gate points are delta-method estimates of ratios: their bias is O(1/n_samples), far below se
    assert np.all(np.abs(estimates - theory) <= z * se + 1e-12)
    assert r["keep_rates"].shape == (len(KEEP_FAMILIES), 41)


def test_vector_penalties_favour_sparse_vectors(seed):
    r = vector_penalties(seed, d=10, n_vectors=50)
    spread, random = r["spread"], r["random"]
    slack = 1e-12 * np.maximum(1.0, np.abs(spread))
    assert np.all(np.diff(spread, axis=-1) >= -slack[..., 1:])
    assert np.all(random >= spread[..., :1, None] - slack[..., :1, None])
    assert np.all(random <= spread[..., None] + slack[..., None])
