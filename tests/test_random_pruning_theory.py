"""Theory of claims P1–P4: sympy against the closed forms, limiting cases, Monte Carlo of the mask moments."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from sparsetheory.checks import EPS, mc_z
from theory import random_pruning as rp

RHOS = np.array([0.0, 0.1, 0.5, 0.9, 0.99])


@pytest.mark.parametrize("derive", [rp.derive_p1, rp.derive_p2, rp.derive_p3, rp.derive_p4])
def test_derivations_hold_and_print(derive):
    derivation = derive()
    assert derivation.results and "Step 2." in derivation.pretty()


@pytest.mark.parametrize("width", [1, 4, 20])
def test_closed_forms_match_the_sympy_results(width):
    p2, p4 = rp.derive_p2().results, rp.derive_p4().results
    constant = 0.7
    subs = {rp.m: width, rp.C: constant}
    variance = sp.lambdify(rp.rho, p2["mean_noise_variance"].subs(subs))(RHOS)
    preserving = sp.lambdify(rp.rho, p4["preserving_boundary"].rhs.subs(subs))(RHOS)
    random = sp.lambdify(rp.rho, p4["random_boundary"].rhs.subs(subs))(RHOS)
    boundary = sp.lambdify(rp.rho, p2["boundary"].subs(subs))(RHOS)
    tolerance = 16 * EPS * (1 + width) / (1 - RHOS) ** 2  # a handful of roundings, amplified by 1/(1 − ρ)²
    assert np.all(np.abs(variance - rp.noise_output_variance(RHOS, width)) <= tolerance)
    assert np.all(np.abs(preserving - rp.refined_boundary(RHOS, width, constant, True)) <= tolerance)
    assert np.all(np.abs(random - rp.refined_boundary(RHOS, width, constant, False)) <= tolerance)
    assert np.all(np.abs(boundary - rp.benign_boundary(RHOS, constant)) <= tolerance)


def test_limits_at_no_pruning_and_wide_layers():
    assert rp.benign_boundary(0.0, 2.5) == 2.5
    assert rp.noise_output_variance(0.0, 7) == 1.0
    assert rp.refined_boundary(0.0, 7, 2.5, True) == rp.refined_boundary(0.0, 7, 2.5, False) == 2.5
    wide = 10**9  # m → ∞: C(1 − ρ)² and C
    assert np.allclose(rp.refined_boundary(RHOS, wide, 1.0, True), (1 - RHOS) ** 2, rtol=1e-6)
    assert np.allclose(rp.refined_boundary(RHOS, wide, 1.0, False), 1.0, rtol=1e-6)
    assert rp.no_signal_probability(0.0, 3) == 0.0
    assert np.all(np.diff(rp.benign_boundary(RHOS, 1.0)) < 0)  # the bound improves with ρ


def test_signal_norm_inverts_the_statistic():
    kappas = np.array([0.01, 0.5, 8.0])
    norms = rp.signal_norm_for(kappas, 50, 1000, 1.5)
    assert np.allclose(rp.snr_statistic(50, 1000, norms, 1.5), kappas, rtol=8 * EPS)


def test_noise_output_variance_by_monte_carlo(seed):
    """E[((1/m)Σ_r <M_r ⊙ a, ξ>)²] = σ_p²‖a‖²·v(ρ) over masks and noise."""
    rng = np.random.default_rng(seed)
    width, d, rho, draws, sigma = 5, 30, 0.4, 20_000, 1.3
    a = rng.standard_normal(d)
    masks = rng.random((draws, width, d)) < 1 - rho
    noise = sigma * rng.standard_normal((draws, d))
    output = ((masks * a) @ noise[:, :, None])[..., 0].mean(axis=1)
    exact = sigma**2 * (a @ a) * rp.noise_output_variance(rho, width)
    se = (output**2).std(ddof=1) / np.sqrt(draws)
    assert abs((output**2).mean() - exact) <= mc_z() * se


@pytest.mark.parametrize("call", [lambda: rp.benign_boundary(1.0, 1.0), lambda: rp.benign_boundary(0.5, -1.0),
                                  lambda: rp.noise_output_variance(0.5, 0), lambda: rp.snr_statistic(0, 10, 1, 1),
                                  lambda: rp.signal_norm_for(-1.0, 10, 10), lambda: rp.no_signal_probability(-0.1, 2),
                                  lambda: rp.refined_boundary(np.nan, 3, 1.0, True)])
def test_invalid_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
