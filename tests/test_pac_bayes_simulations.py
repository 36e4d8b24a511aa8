"""Tests of the stochastic-mask simulations (simulations/stochastic_masks.py, pac_bayes_figures.py,
pac_bayes_checks.py): exact enumeration against per-mask loops and Monte Carlo, the closed-form risk of
the Gaussian mixture against a large test set, the certificate's composition, input validation, and
the checks of claims B1, B2, B3, B6 at the tiny size. Monte Carlo tolerances are z·se at the
false-failure rate 1e-6; `seed` is the shared fixture of conftest.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from simulations import pac_bayes_checks as checks
from simulations import stochastic_masks as sm
from simulations.pac_bayes_figures import mc_coverage, mixture_problem, posterior_keep, tightness, validity_draws
from sparsetheory.checks import mc_tolerance, mc_z
from sparsetheory.runner import claim_rng
from theory.pac_bayes import kl_product_bernoulli, mc_risk_bound, seeger_bound

EPS = float(np.finfo(np.float64).eps)


def _problem(seed, n=300, d=6):
    rng = np.random.default_rng(seed)
    problem = mixture_problem(rng, d, 0.5)
    X, y = sm.gaussian_mixture(n, problem.mean, 1.0, rng)
    return rng, problem, X, y


def test_mask_probabilities_are_a_distribution(seed):
    rng = np.random.default_rng(seed)
    keep = rng.uniform(0, 1, 7)
    keep[[1, 4]] = [0.0, 1.0]
    masks = sm.all_masks(7)
    prob = sm.mask_probabilities(masks, keep)
    assert prob.sum() == pytest.approx(1.0, abs=2**7 * EPS)
    impossible = (masks[:, 1] == 1) | (masks[:, 4] == 0)
    assert np.all(prob[impossible] == 0)
    by_hand = np.prod(np.where(masks == 1, keep, 1 - keep), axis=1)
    np.testing.assert_allclose(prob, by_hand, rtol=16 * 7 * EPS, atol=1e-300)
    several = sm.mask_probabilities(masks, np.stack([keep, np.full(7, 0.5)]))
    assert several.shape == (2, 128)
    np.testing.assert_allclose(several[0], prob, rtol=16 * 7 * EPS, atol=1e-300)  # another summation order


def test_sampled_masks_have_the_keep_frequencies(seed):
    keep = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    masks = sm.sample_masks(keep, 20_000, seed)
    se = np.sqrt(keep * (1 - keep) / masks.shape[0])
    assert np.all(np.abs(masks.mean(axis=0) - keep) <= mc_z() * se)
    np.testing.assert_array_equal(masks, sm.sample_masks(keep, 20_000, seed))


def test_mask_risks_match_a_loop_over_masks(seed):
    rng, problem, X, y = _problem(seed)
    masks = sm.sample_masks(np.full(6, 0.6), 50, rng)
    loop = np.array([np.mean(y * (X @ (m * problem.w)) <= 0) for m in masks])
    np.testing.assert_array_equal(sm.mask_risks(X, y, problem.w, masks), loop)
    np.testing.assert_array_equal(sm.mask_risks(X, y, problem.w, masks, max_bytes=8 * X.shape[0] * 3), loop)
    assert sm.mask_risks(X, y, problem.w, np.zeros((1, 6)))[0] == 1.0  # a zero score counts as an error


def test_exact_empirical_risk_against_monte_carlo(seed):
    rng, problem, X, y = _problem(seed)
    keep = rng.uniform(0.2, 0.9, 6)
    exact = sm.exact_empirical_risk(X, y, problem.w, keep)
    estimate, risks = sm.mc_empirical_risk(X, y, problem.w, keep, 20_000, rng)
    assert abs(estimate - exact) <= mc_tolerance(risks.std(ddof=1) / np.sqrt(risks.size))


def test_true_risk_against_a_large_test_set(seed):
    rng, problem, _, _ = _problem(seed)
    keep = rng.uniform(0.2, 0.9, 6)
    X, y = sm.gaussian_mixture(200_000, problem.mean, 1.0, rng)
    per_sample = sm.mask_probabilities(sm.all_masks(6), keep) @ (
        (sm.all_masks(6) * problem.w) @ (y[:, None] * X).T <= 0)
    true = float(sm.true_stochastic_risk(problem.w, keep, problem.mean, 1.0))
    assert abs(per_sample.mean() - true) <= mc_tolerance(per_sample.std(ddof=1) / np.sqrt(per_sample.size))
    assert sm.mask_true_risks(problem.w, np.zeros((1, 6)), problem.mean, 1.0)[0] == 1.0


def test_certificate_composes_the_bounds(seed):
    rng, problem, X, y = _problem(seed)
    keep = posterior_keep(X, y, problem.w)
    cert = sm.certify(X, y, problem.w, keep, problem.prior_keep, 400, 0.04, 0.01, np.random.default_rng(seed))
    again = sm.certify(X, y, problem.w, keep, problem.prior_keep, 400, 0.04, 0.01, np.random.default_rng(seed))
    assert cert == again
    assert cert.kl == pytest.approx(float(kl_product_bernoulli(keep, problem.prior_keep)), rel=4 * EPS)
    assert cert.mc_upper == float(mc_risk_bound(cert.emp_risk_mc, 400, 0.01))
    assert cert.bound == float(seeger_bound(cert.mc_upper, cert.kl, X.shape[0], 0.04))
    assert cert.emp_risk_mc <= cert.mc_upper <= cert.bound <= 1
    same = sm.certify(X, y, problem.w, keep, keep, 400, 0.04, 0.01, rng)
    assert same.kl == 0.0
    degenerate = sm.certify(X, y, problem.w, np.full(6, 0.5), np.r_[0.0, np.full(5, 0.5)], 10, 0.04, 0.01, rng)
    assert degenerate.kl == np.inf and degenerate.bound == 1.0


def test_validity_draws_and_coverage_are_consistent(seed):
    rng = np.random.default_rng(seed)
    draws = validity_draws(rng, 6, 150, 6, 60, 0.04, 0.01, 0.4)
    assert all(value.shape == (6,) for key, value in draws.items() if key not in ("keep", "mean", "w"))
    assert np.all(draws["emp_risk_mc"] <= draws["mc_upper"]) and np.all(draws["mc_upper"] <= draws["bound"])
    assert np.all(draws["bound_exact_emp"] >= draws["emp_risk"])
    run = mc_coverage(rng, 50, 150, 6, 40, 0.1, 0.4)
    assert run["emp_risk_mc"].shape == run["mc_upper"].shape == (50,)
    assert np.all(run["mc_upper"] >= run["emp_risk_mc"])


def test_tightness_data_orders_the_bounds():
    data = tightness(0, 300, 7, 200)
    names = list(data["bound_names"])
    seeger, mcallester = data["bounds_vs_emp"][names.index("Seeger (kl inverse)")], data["bounds_vs_emp"][0]
    assert np.all(seeger <= mcallester + 8 * EPS)
    np.testing.assert_allclose(data["bounds_vs_emp"][2], data["bounds_vs_emp"][3], rtol=16 * EPS)
    assert np.all(np.diff(data["mc_upper"] - data["emp_risk_mc"]) < 0.05)  # the MC correction shrinks


def test_exact_mc_failure_is_below_the_chernoff_level():
    mu = np.linspace(0.01, 0.99, 99)
    for m in (5, 50, 500):
        assert np.all(checks.exact_mc_failure(m, 0.2, mu, 2.0) <= 0.1 + (m + 1) * EPS)
        assert np.all(checks.exact_mc_failure(m, 0.2, mu, 1.0) <= 0.2 + (m + 1) * EPS)


def test_binomial_helpers():
    assert checks.binomial_p_value(0, 100, 0.05) == 1.0
    assert checks.binomial_p_value(30, 100, 0.05) == pytest.approx(float(binom.sf(29, 100, 0.05)))
    slack = checks._binomial_slack(1000, 0.05)
    critical = round((slack + 0.05) * 1000) + 1
    assert binom.sf(critical - 1, 1000, 0.05) < checks.TEST_LEVEL <= binom.sf(critical - 2, 1000, 0.05)


@pytest.mark.parametrize("claim", ["B1", "B2", "B3", "B6"])
def test_checks_pass_at_the_tiny_size(claim, seed):
    results = getattr(checks, f"check_{claim.lower()}")("tiny", claim_rng(seed, claim))
    assert results and all(result.claim == claim for result in results)
    failed = [result for result in results if not result.passed]
    assert not failed, failed


INVALID = [
    (sm.gaussian_mixture, (0, [0.1, 0.2], 1.0, 0), "n"),
    (sm.gaussian_mixture, (10, [0.1, 0.2], -1.0, 0), "sigma"),
    (sm.sample_masks, ([0.2, 1.5], 10, 0), "keep"),
    (sm.sample_masks, ([0.2, 0.5], 0, 0), "n_masks"),
    (sm.mask_risks, (np.ones((3, 2)), [1.0, 0.0, 1.0], [1.0, 1.0], np.ones((1, 2))), "y"),
    (sm.mask_risks, (np.ones((3, 2)), [1.0, -1.0, 1.0], [1.0, 1.0], np.full((1, 2), 0.5)), "masks"),
    (sm.mask_risks, (np.ones((3, 2)), [1.0, -1.0, 1.0], [1.0], np.ones((1, 2))), "w"),
    (sm.mask_true_risks, ([1.0, 1.0], np.ones((1, 2)), [1.0], 1.0), "mean"),
    (sm.all_masks, (30,), "enumerating"),
]


@pytest.mark.parametrize("function, args, name", INVALID, ids=lambda x: getattr(x, "__name__", None))
def test_invalid_inputs_raise_naming_the_argument(function, args, name):
    with pytest.raises(ValueError, match=name):
        function(*args)
