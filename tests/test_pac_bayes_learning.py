"""Tests of claims B4, B5, B7: two-layer networks with stochastic masks (simulations.two_layer_masks), the
self-bounded learning pipeline and the linear alignment model (simulations.pac_bayes_learning), the
derivations (theory.pac_bayes_learning) and the tiny checks (simulations.pac_bayes_learning_checks).

Monte Carlo comparisons use z = Φ⁻¹(1 − 0.5e-6) standard errors (two-sided false-failure rate 1e-6).
`seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import norm

from simulations import pac_bayes_learning as pbl
from simulations import pac_bayes_learning_checks as checks
from simulations.two_layer_masks import (
    LOGIT_LIMIT,
    MaskedNetwork,
    _risk_partials,
    fit_posterior,
    kl_divergence,
    random_network,
    relu_moments,
    sampled_point_errors,
    surrogate_bound,
    train_means,
    with_bias,
)
from theory.pac_bayes import kl_bernoulli, kl_gaussian_diag, kl_product_bernoulli, mc_seeger_bound, seeger_bound
from theory.pac_bayes_learning import derive_b4, derive_b5, derive_b7

EPS = float(np.finfo(np.float64).eps)
Z = float(norm.isf(0.5e-6))


def small_problem(seed, n=40, d=4, width=5, sigma=0.3):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.choice((-1.0, 1.0), n)
    prior = random_network(rng, d, width, 0.7, sigma)
    logits = np.clip(prior.logits + rng.standard_normal(prior.logits.shape), -LOGIT_LIMIT, LOGIT_LIMIT)
    posterior = MaskedNetwork(logits, prior.mean + 0.3 * rng.standard_normal(prior.mean.shape), sigma, prior.v)
    return X, y, prior, posterior


# --------------------------------------------------------------------------- two-layer networks


@pytest.mark.parametrize("learn_mean", [False, True])
def test_surrogate_bound_gradient_matches_central_differences(seed, learn_mean):
    """J is smooth where s > 0 (Φ, φ of a/s). Central differences with h = 1e-6 err by at most
    h²·|J‴|/6 + 2·eps·|J|/h; with |J‴| ≤ 1e3 (far above what these small problems produce) that is
    ≤ 2e-9, so 1e-7 leaves room and a wrong partial (an O(|g|) error) still fails."""
    X, y, prior, posterior = small_problem(seed)
    Xb = with_bias(X)
    result = surrogate_bound(posterior, prior, Xb, y, 0.05, learn_mean)
    size = posterior.logits.size
    theta = np.concatenate([posterior.logits.ravel(), posterior.mean.ravel()])[: 2 * size if learn_mean else size]

    def value(t):
        mean = t[size:].reshape(posterior.mean.shape) if learn_mean else posterior.mean
        network = MaskedNetwork(t[:size].reshape(posterior.logits.shape), mean, posterior.sigma, posterior.v)
        return surrogate_bound(network, prior, Xb, y, 0.05, learn_mean).value

    h = 1e-6
    numeric = np.array([(value(theta + h * e) - value(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    np.testing.assert_allclose(result.gradient, numeric, rtol=0, atol=1e-7)
    assert np.max(np.abs(numeric)) > 1e-4, "the comparison is uninformative"


def test_logistic_risk_gradient_matches_central_differences(seed):
    X, y, _, network = small_problem(seed)
    Xb = with_bias(X)
    _, _, gradient = _risk_partials(network, Xb, y, "logistic")
    h = 1e-6

    def value(mean):
        return _risk_partials(MaskedNetwork(network.logits, mean, network.sigma, network.v), Xb, y, "logistic")[0]

    numeric = np.array([(value(network.mean + h * e.reshape(network.mean.shape))
                         - value(network.mean - h * e.reshape(network.mean.shape))) / (2 * h)
                        for e in np.eye(network.mean.size)])
    np.testing.assert_allclose(gradient.ravel(), numeric, rtol=0, atol=1e-7)


@given(st.floats(-6, 6), st.floats(1e-3, 5))
def test_relu_moments_obey_jensen_and_have_nonnegative_variance(a, s):
    m1, m2, *_ = relu_moments(np.array(a), np.array(s))
    scale = abs(a) + s
    assert m1 >= max(a, 0.0) - 8 * EPS * scale  # E relu(z) ≥ relu(E z)
    assert m2 - m1**2 >= -16 * EPS * scale**2


def test_relu_moments_at_zero_spread_are_the_deterministic_values():
    a = np.array([-1.5, 0.0, 2.0])
    m1, m2, d1a, d1s, d2a, d2s = relu_moments(a, np.zeros(3))
    np.testing.assert_array_equal(m1, np.maximum(a, 0))
    np.testing.assert_array_equal(m2, np.maximum(a, 0) ** 2)
    np.testing.assert_array_equal(d1s, 0.0)


def exact_point_errors(network: MaskedNetwork, X, y) -> np.ndarray:
    """P_Q(y f(x) ≤ 0) per point for a width-1 network by enumerating the 2^D masks; given the mask,
    z ~ N(Σ_j m_j μ_j x̃_j, σ²Σ_j m_j x̃_j²) and the point is an error iff y·v·relu(z) ≤ 0."""
    Xb = with_bias(X)
    keep, mean, v = network.keep[0], network.mean[0], network.v[0]
    total = np.zeros(len(y))
    for mask in itertools.product((0.0, 1.0), repeat=Xb.shape[1]):
        mask = np.array(mask)
        probability = np.prod(np.where(mask > 0, keep, 1 - keep))
        location, spread = Xb @ (mask * mean), network.sigma * np.sqrt(Xb**2 @ mask)
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = np.where(spread > 0, norm.sf(-location / spread), (location > 0).astype(float))
        total += probability * np.where(y * v > 0, 1 - positive, 1.0)
    return total


@pytest.mark.parametrize("sigma", [0.0, 0.4])
def test_sampled_point_errors_match_exact_enumeration(seed, sigma):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((6, 3)), rng.choice((-1.0, 1.0), 6)
    network = MaskedNetwork(rng.uniform(-2, 2, (1, 4)), rng.standard_normal((1, 4)), sigma, np.array([1.0]))
    draws = 20_000
    estimate = sampled_point_errors(network, X, y, draws, rng)
    exact = exact_point_errors(network, X, y)
    se = np.sqrt(exact * (1 - exact) / draws)
    z = norm.isf(0.5e-6 / len(y))  # Bonferroni over the points
    assert np.all(np.abs(estimate - exact) <= z * se + 1e-12)


def test_sampled_point_errors_do_not_depend_on_chunking(seed):
    X, y, _, network = small_problem(seed)
    whole = sampled_point_errors(network, X, y, 30, seed)
    chunked = sampled_point_errors(network, X, y, 30, seed, max_bytes=1)
    np.testing.assert_array_equal(whole, chunked)
    assert not np.array_equal(whole, sampled_point_errors(network, X, y, 30, seed + 1))


def test_kl_divergence_is_the_sum_of_the_two_parts(seed):
    _, _, prior, posterior = small_problem(seed)
    scale = np.full(prior.mean.size, prior.sigma)
    expected = kl_product_bernoulli(posterior.keep.ravel(), prior.keep.ravel()) + kl_gaussian_diag(
        posterior.mean.ravel(), scale, prior.mean.ravel(), scale)
    assert kl_divergence(posterior, prior) == pytest.approx(expected, rel=1e-14)
    assert kl_divergence(prior, prior) == 0.0
    masks_only = MaskedNetwork(posterior.logits, posterior.mean, 0.0, posterior.v)
    assert kl_divergence(masks_only, MaskedNetwork(prior.logits, prior.mean, 0.0, prior.v)) == np.inf


def test_fit_posterior_lowers_the_objective_and_keeps_logits_in_the_box(seed):
    X, y, prior, _ = small_problem(seed, n=60)
    fit = fit_posterior(prior, X, y, learn_mean=True, max_iter=30)
    assert fit.end.value <= fit.start.value
    assert np.all(np.abs(fit.posterior.logits) <= LOGIT_LIMIT)
    trained = train_means(prior, X, y, max_iter=30)
    np.testing.assert_array_equal(trained.logits, prior.logits)


def test_two_layer_inputs_are_validated():
    network = random_network(0, 3, 2, 0.5, 0.1)
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="y must contain only"):
        sampled_point_errors(network, X, np.array([1.0, 0.0, 1.0, -1.0]), 5)
    with pytest.raises(ValueError, match="X must have d = 3"):
        sampled_point_errors(network, np.zeros((4, 2)), np.ones(4), 5)
    with pytest.raises(ValueError, match="draws must be a positive integer"):
        sampled_point_errors(network, X, np.ones(4), 0)
    with pytest.raises(ValueError, match="learn_mean needs sigma > 0"):
        fit_posterior(random_network(0, 3, 2, 0.5, 0.0), X, np.ones(4), learn_mean=True)
    with pytest.raises(ValueError, match="delta must be a number in"):
        fit_posterior(network, X, np.ones(4), learn_mean=False, delta=1.5)
    with pytest.raises(ValueError, match="logits must lie in"):
        MaskedNetwork(np.full((2, 4), 9.0), np.zeros((2, 4)), 0.1, np.ones(2))
    with pytest.raises(ValueError, match="keep must lie in"):
        random_network(0, 3, 2, 1.0, 0.1)


# --------------------------------------------------------------------------- the pipeline (B4, B5)


def tiny_split(seed):
    return pbl.teacher_split(seed, 120, 200, d=4)


TINY = dict(keep=0.8, sigma=0.1, width=4, prior_iter=5, posterior_iter=5, draws=3, test_draws=3)


def test_certify_is_the_composed_monte_carlo_seeger_bound(seed):
    X, y, prior, posterior = small_problem(seed)
    result = pbl.certify(posterior, prior, X, y, 7, seed)
    samples = len(y) * 7
    assert result["bound"] == mc_seeger_bound(result["emp_risk"], samples, result["kl"], len(y), pbl.DELTA_BOUND,
                                              pbl.DELTA_MC)
    assert result["emp_risk"] <= result["emp_upper"] <= result["bound"] <= 1.0
    assert result["bound"] == pytest.approx(seeger_bound(result["emp_upper"], result["kl"], len(y), pbl.DELTA_BOUND))


def test_prior_sees_only_its_fraction_and_the_bound_only_the_rest(seed, monkeypatch):
    split = tiny_split(seed)
    seen = {}
    original_train, original_certify = pbl.train_means, pbl.certify

    def spy_train(network, X, y, **kwargs):
        seen["prior"] = X.copy()
        return original_train(network, X, y, **kwargs)

    def spy_certify(posterior, prior, X, y, *args):
        seen.setdefault("bound", X.copy())
        return original_certify(posterior, prior, X, y, *args)

    monkeypatch.setattr(pbl, "train_means", spy_train)
    monkeypatch.setattr(pbl, "certify", spy_certify)
    result = pbl.self_bounded(split, seed, alpha=0.25, **TINY)
    n_prior = int(0.25 * len(split.y_train))
    np.testing.assert_array_equal(seen["prior"], split.X_train[:n_prior])
    np.testing.assert_array_equal(seen["bound"], split.X_train[n_prior:])
    assert result["n_prior"] + result["n_bound"] == len(split.y_train)


def test_sweep_splits_the_confidence_over_the_grid(seed, monkeypatch):
    calls = []
    monkeypatch.setattr(pbl, "self_bounded", lambda split, rng, **kw: calls.append(kw) or {"bound": 0.0})
    pbl.sweep(tiny_split(seed), seed, "alpha", [0.0, 0.3, 0.6], **TINY)
    assert [call["alpha"] for call in calls] == [0.0, 0.3, 0.6]
    assert all(call["delta_bound"] == pbl.DELTA_BOUND / 3 and call["delta_mc"] == pbl.DELTA_MC / 3 for call in calls)
    with pytest.raises(ValueError, match="over must be"):
        pbl.sweep(tiny_split(seed), seed, "width", [4])


def test_self_bounded_is_reproducible_and_at_alpha_zero_uses_the_data_free_prior(seed):
    split = tiny_split(seed)
    first = pbl.self_bounded(split, seed, alpha=0.0, **TINY)
    assert first == pbl.self_bounded(split, seed, alpha=0.0, **TINY)
    assert first["n_prior"] == 0 and first["n_bound"] == len(split.y_train)
    assert 0 <= first["test_error"] <= 1 and first["bound"] <= 1


def test_data_sets_are_binary_and_scaled(seed):
    digits = pbl.digits_split(seed, subsample=200)
    assert digits.X_train.min() >= 0 and digits.X_train.max() <= 1
    assert len(digits.y_train) + len(digits.y_test) == 200 and len(digits.y_test) == 60
    teacher = pbl.teacher_split(seed, 2000, 10, d=6)
    for y in (digits.y_train, teacher.y_train):
        assert set(np.unique(y)) <= {-1.0, 1.0}
    # the median threshold balances the classes: |fraction − 1/2| ≤ z·se + the median's estimation error
    fraction = np.mean(teacher.y_train > 0)
    assert abs(fraction - 0.5) <= Z * np.sqrt(0.25 / 2000) + Z * np.sqrt(0.25 / 10_000)
    with pytest.raises(ValueError, match="test_fraction must lie in"):
        pbl.digits_split(seed, test_fraction=1.0)


# --------------------------------------------------------------------------- the linear model (B7)


@given(st.floats(-40, 40), st.floats(-40, 40))
def test_kl_logits_is_nonnegative_and_below_the_quadratic(u, v):
    kl = float(pbl.kl_logits(u, v))
    rounding = 4 * EPS * (abs(u) + abs(v) + 2 * np.log(2) + abs(u - v))
    assert -rounding <= kl <= (u - v) ** 2 / 8 + rounding


def test_kl_logits_agrees_with_kl_bernoulli_and_stays_finite(seed):
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(-6, 6, 50), rng.uniform(-6, 6, 50)
    np.testing.assert_allclose(pbl.kl_logits(u, v), kl_bernoulli(expit(u), expit(v)), rtol=1e-9, atol=1e-13)
    # σ(60) rounds to 1, so the probability form cannot be evaluated there; in logits
    # kl(σ(−60)‖σ(60)) = A(60) − A(−60) − 120σ(−60) = 60 + O(e^{−60})
    assert pbl.kl_logits(-60.0, 60.0) == pytest.approx(60.0, rel=4 * EPS)


def test_alignment_draws_satisfy_the_identities(seed):
    r = pbl.alignment_draws(seed, d=5, sizes=[60, 200], alphas=[0.3, 0.7], repeats=2, beta=50.0)
    again = pbl.alignment_draws(seed, d=5, sizes=[60, 200], alphas=[0.3, 0.7], repeats=2, beta=50.0)
    for key, value in r.items():
        np.testing.assert_array_equal(value, again[key], err_msg=key)
    assert r["kl"].size == 8
    assert np.all(r["kl"] <= r["kl_quadratic"] + r["kl_rounding"])
    assert np.all(r["kl_quadratic"] <= r["kl_alignment"] * (1 + 4 * EPS))
    assert np.all(r["bound_free"] <= r["bound"]) and np.all(r["bound"] <= r["bound_alignment"])
    assert np.all(r["n_bound"] == r["n"] - np.maximum(1, (r["alpha"] * r["n"]).astype(int)))
    assert np.all((r["emp_risk"] >= 0) & (r["emp_risk"] <= r["bound_free"]))
    with pytest.raises(ValueError, match="alphas must lie in"):
        pbl.alignment_draws(seed, d=5, sizes=[60], alphas=[1.0], repeats=1, beta=1.0)


def test_alignment_logits_move_by_beta_w_delta_a(seed):
    rng = np.random.default_rng(seed)
    w, a, b = rng.standard_normal((3, 7))
    step = pbl.alignment_logits(w, a, 3.0) - pbl.alignment_logits(w, b, 3.0)
    np.testing.assert_allclose(step, 3.0 * w * (a - b), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="beta must be"):
        pbl.alignment_logits(w, a, 0.0)


# --------------------------------------------------------------------------- derivations and checks


@pytest.mark.parametrize("derive, keys", [
    (derive_b4, {"complexity", "oracle_prior"}),
    (derive_b5, {"preactivation_variance", "relu_mean", "relu_second", "objective", "certificate", "design"}),
    (derive_b7, {"bregman", "log_partition", "logit_step", "kl_bound", "remainder", "third_derivative_max", "design"}),
])
def test_derivations_produce_their_results(derive, keys):
    derivation = derive()
    assert set(derivation.latex()) == keys
    assert derivation.pretty()


@pytest.mark.parametrize("check", [checks.check_b4, checks.check_b5, checks.check_b7])
def test_tiny_checks_pass(check, seed):
    results = check("tiny", np.random.default_rng(seed))
    failed = [(r.key, r.theory, r.simulation, r.tolerance) for r in results if not r.passed]
    assert not failed
