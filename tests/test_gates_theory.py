"""Property tests of the gate closed forms, quadratures and effective penalty (claims G1–G3).

Tolerances: closed forms compared with a second formula of the same quantity differ by a few rounding
errors of O(1) terms (16·eps); quadratures carry their own error bound (`GateMoments.error`), checked
here against mpmath at 30 digits; central differences use truncation h²/6·max|f‴| + rounding 4·eps/h.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from theory.gates import (
    BETA,
    GAMMA,
    GAUSSIAN_GATE,
    ZETA,
    ClippedGate,
    _vanishes,
    derive_g1,
    derive_g2,
    derive_g3,
    expand_group_gates,
    gaussian_gate_moments,
    group_l0_surrogate,
    hard_concrete_gate,
    hard_concrete_gate_and_grad,
    hard_concrete_gate_family,
    hard_concrete_gate_grad,
    hard_concrete_keep_rate,
    hard_concrete_moments,
    hard_concrete_penalty,
    hard_concrete_penalty_constants,
    hard_concrete_prob_nonzero,
    hard_concrete_prob_nonzero_grad,
    hard_concrete_prob_one,
    hard_concrete_prob_zero,
    hard_concrete_test_gate,
    mean_beta_one,
    orthogonal_gate_support,
    scaled_gate_penalty,
)
from theory.penalties import get_penalty

EPS = float(np.finfo(np.float64).eps)
log_alphas = st.floats(-12.0, 12.0)
betas = st.floats(0.1, 3.0)
gammas = st.floats(-1.0, -0.01)
zetas = st.floats(1.01, 2.0)
gates = st.sampled_from([ClippedGate(base, squash, GAMMA, ZETA) for base in ("logistic", "normal", "gumbel")
                         for squash in ("sigmoid", "identity")])


# --------------------------------------------------------------------------- G1 closed forms


@given(log_alphas, betas, gammas, zetas)
def test_surrogate_closed_form_equals_the_family_route(log_alpha, beta, gamma, zeta):
    family = hard_concrete_gate_family(gamma, zeta)
    for closed, generic in ((hard_concrete_prob_nonzero, family.prob_nonzero),
                            (hard_concrete_prob_zero, family.prob_zero),
                            (hard_concrete_prob_one, family.prob_one)):
        assert abs(closed(log_alpha, beta, gamma, zeta) - generic(log_alpha / beta, 1 / beta)) <= 16 * EPS


@given(log_alphas, betas, gammas, zetas)
def test_probabilities_are_ordered_and_complementary(log_alpha, beta, gamma, zeta):
    zero = hard_concrete_prob_zero(log_alpha, beta, gamma, zeta)
    nonzero = hard_concrete_prob_nonzero(log_alpha, beta, gamma, zeta)
    assert abs(zero + nonzero - 1) <= 4 * EPS
    assert hard_concrete_prob_one(log_alpha, beta, gamma, zeta) <= nonzero


def test_surrogate_is_vectorised_and_increasing():
    grid = np.linspace(-10, 10, 201).reshape(3, 67)
    pi = hard_concrete_prob_nonzero(grid)
    assert pi.shape == grid.shape
    assert np.all(np.diff(pi.ravel()) > 0)
    np.testing.assert_allclose(hard_concrete_prob_nonzero(0.0), 1 / (1 + (-GAMMA / ZETA) ** BETA), rtol=1e-15)


@given(log_alphas)
def test_surrogate_gradient_matches_central_differences(log_alpha):
    h = 1e-5  # |σ‴| ≤ 1/8: truncation h²/48
    central = (hard_concrete_prob_nonzero(log_alpha + h) - hard_concrete_prob_nonzero(log_alpha - h)) / (2 * h)
    assert abs(central - hard_concrete_prob_nonzero_grad(log_alpha)) <= h**2 / 48 + 4 * EPS / h


@given(st.floats(-8, 8), st.floats(-6, 6), betas)
def test_reparametrised_gate_gradient_matches_central_differences(noise, log_alpha, beta):
    h = 1e-6
    plus, minus = (hard_concrete_gate(noise, log_alpha + s, beta) for s in (h, -h))
    z, grad = hard_concrete_gate_and_grad(noise, log_alpha, beta)
    assert z == hard_concrete_gate(noise, log_alpha, beta)
    assert grad == pytest.approx(hard_concrete_gate_grad(noise, log_alpha, beta), abs=4 * EPS / beta)
    if 0 < minus < 1 and 0 < plus < 1:  # no clipping kink within ±h
        bound = h**2 * (ZETA - GAMMA) / (48 * beta**3) + 8 * EPS / h
        assert abs((plus - minus) / (2 * h) - grad) <= bound
    elif (plus == 0 and minus == 0) or (plus == 1 and minus == 1):
        assert grad == 0.0


@pytest.mark.parametrize("log_alpha", [-20.0, -3.0, -0.5, 0.7, 3.0, 15.0])
@pytest.mark.parametrize("beta", [0.25, BETA, 1.0, 2.0])
def test_moments_match_mpmath(log_alpha, beta):
    """E z^k = ∫_0^1 k v^(k−1) S_V(v) dv at 30 digits, S_V(v) = α(ζ−v)^β / ((v−γ)^β + α(ζ−v)^β)."""
    mpmath.mp.dps = 30
    alpha, b, g, z = mpmath.exp(log_alpha), mpmath.mpf(beta), mpmath.mpf(GAMMA), mpmath.mpf(ZETA)

    def survival(v):
        return alpha * (z - v) ** b / ((v - g) ** b + alpha * (z - v) ** b)

    mean = mpmath.quad(survival, [0, 0.5, 1])
    second = mpmath.quad(lambda v: 2 * v * survival(v), [0, 0.5, 1])
    moments = hard_concrete_moments(log_alpha, beta)
    assert abs(moments.mean - float(mean)) <= moments.error
    assert abs(moments.second - float(second)) <= moments.error
    assert abs(moments.variance - float(second - mean**2)) <= moments.error + 4 * EPS * float(mean**2)


@given(gates, st.floats(-4, 4), st.floats(0.2, 3.0))
def test_family_moments_are_consistent(gate, loc, scale):
    moments = gate.moments(loc, scale)
    slack = moments.error + 4 * EPS
    assert gate.prob_one(loc, scale) - slack <= moments.mean <= gate.prob_nonzero(loc, scale) + slack
    assert moments.second <= moments.mean + slack  # z² ≤ z on [0, 1]
    assert moments.variance >= -slack
    assert abs(moments.variance - (moments.second - moments.mean**2)) <= 4 * slack


@given(gates, st.floats(-3, 3), st.floats(0.3, 2.0))
def test_interior_density_integrates_to_the_interior_mass(gate, loc, scale):
    mass = 1 - gate.prob_zero(loc, scale) - gate.prob_one(loc, scale)
    integral, error = quad(lambda v: gate.interior_density(v, loc, scale), 0, 1, epsabs=1e-12, epsrel=1e-10,
                           limit=200)
    assert abs(integral - mass) <= 10 * error + 1e-9


@pytest.mark.parametrize("log_alpha", [-3.0, -0.5, 0.5, 2.0, 6.0])
def test_beta_one_closed_form_matches_quadrature(log_alpha):
    """Rounding of the closed form: a few eps times its terms α/(α − 1)²·(|α − 1| + (ζ − γ)|ln(·)|)."""
    _, at_one, closed = mean_beta_one()
    alpha = np.exp(log_alpha)
    quadrature = hard_concrete_moments(log_alpha, beta=1.0)
    log_term = np.log((alpha * ZETA - GAMMA) / (alpha * (ZETA - 1) + 1 - GAMMA))
    rounding = 32 * EPS * alpha / (alpha - 1) ** 2 * (abs(alpha - 1) + (ZETA - GAMMA) * abs(log_term))
    assert abs(closed(alpha, GAMMA, ZETA) - quadrature.mean) <= quadrature.error + rounding
    symbols = {s.name: s for s in at_one.free_symbols}
    value = float(at_one.subs({symbols["gamma"]: GAMMA, symbols["zeta"]: ZETA}))
    at_alpha_one = hard_concrete_moments(0.0, beta=1.0)
    assert abs(at_alpha_one.mean - value) <= at_alpha_one.error + 4 * EPS


@given(st.floats(-2, 3), st.floats(0.05, 2.0))
def test_gaussian_closed_forms_match_quadrature(mu, sigma):
    zero, one, mean, second = gaussian_gate_moments(mu, sigma)
    moments = GAUSSIAN_GATE.moments(mu, sigma)
    tolerance = moments.error + 64 * EPS * (1 + mu**2 + sigma**2)
    assert abs(mean - moments.mean) <= tolerance and abs(second - moments.second) <= tolerance
    assert abs(zero - GAUSSIAN_GATE.prob_zero(mu, sigma)) <= 16 * EPS
    assert abs(one - GAUSSIAN_GATE.prob_one(mu, sigma)) <= 16 * EPS


def test_deterministic_gates():
    grid = np.linspace(-6, 6, 1201)
    family = hard_concrete_gate_family()
    np.testing.assert_allclose(hard_concrete_test_gate(grid), family.median_gate(grid, 1.0), atol=4 * EPS)
    assert np.array_equal(hard_concrete_test_gate(grid) == 0, grid <= np.log(-GAMMA / ZETA))
    assert np.array_equal(hard_concrete_test_gate(grid) == 1, grid >= np.log((1 - GAMMA) / (ZETA - 1)))
    for gate in (family, GAUSSIAN_GATE, ClippedGate("gumbel")):  # the median gate is V at the median noise
        np.testing.assert_array_equal(gate.median_gate(grid, 0.7), gate.value(gate.distribution.median, grid, 0.7))
    tiny = 1e-9  # the Gaussian gate without noise is clip(μ)
    np.testing.assert_allclose(gaussian_gate_moments(grid, tiny)[2], np.clip(grid, 0, 1), atol=tiny)


def test_noise_from_uniform_inverts_the_cdf():
    u = np.linspace(0.01, 0.99, 99)
    for name, gate in (("logistic", hard_concrete_gate_family()), ("normal", GAUSSIAN_GATE),
                       ("gumbel", ClippedGate("gumbel"))):
        noise = gate.noise_from_uniform(u)
        np.testing.assert_allclose(np.exp(gate.distribution.log_cdf(noise)), u, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(np.exp(gate.distribution.log_sf(noise)), 1 - u, rtol=1e-12, err_msg=name)


def test_group_gates():
    groups = np.array([0, 0, 2, 1, 2, 2])
    pi = np.array([0.2, 0.5, 0.9])
    assert group_l0_surrogate(pi, groups) == pytest.approx(2 * 0.2 + 0.5 + 3 * 0.9, abs=4 * EPS)
    z = np.array([[0.0, 0.3, 1.0], [0.5, 0.0, 0.0]])
    np.testing.assert_array_equal(expand_group_gates(z, groups), z[:, groups])
    with pytest.raises(ValueError, match="groups"):
        group_l0_surrogate(pi, np.array([0, 3]))
    with pytest.raises(TypeError, match="groups"):
        expand_group_gates(z, np.array([0.0, 1.0]))


@pytest.mark.parametrize("call, name", [
    (lambda: hard_concrete_prob_nonzero(np.nan), "log_alpha"),
    (lambda: hard_concrete_prob_nonzero(0.0, beta=0.0), "beta"),
    (lambda: hard_concrete_prob_nonzero(0.0, gamma=0.1), "gamma"),
    (lambda: hard_concrete_prob_nonzero(0.0, zeta=0.9), "zeta"),
    (lambda: hard_concrete_moments(1j), "log_alpha"),
    (lambda: ClippedGate("cauchy"), "base"),
    (lambda: ClippedGate(squash="tanh"), "squash"),
    (lambda: GAUSSIAN_GATE.moments(0.0, -1.0), "scale"),
    (lambda: gaussian_gate_moments(0.0, 0.0), "sigma"),
    (lambda: hard_concrete_gate_family().noise_from_uniform([0.0, 0.5]), "uniform"),
    (lambda: hard_concrete_gate_family().interior_density(1.0, 0.0, 1.0), "v"),
    (lambda: hard_concrete_penalty(1.0, lam=0.0), "lam"),
    (lambda: hard_concrete_penalty(1.0, lam=1.0, energy=-1.0), "energy"),
    (lambda: scaled_gate_penalty(1e-15), "u"),
    (lambda: group_l0_surrogate([1.5], np.array([0])), "prob_nonzero"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------------------------- derivations


def test_derivations_state_their_results():
    g1, g2, g3 = derive_g1(), derive_g2(), derive_g3()
    assert {"cdf", "prob_nonzero", "prob_one", "test_gate", "median_gate", "mean_beta_one"} <= set(g1.results)
    assert {"mean_identity", "gaussian_mean", "group_surrogate"} <= set(g2.results)
    assert {"profiled", "eta_form", "keep_rate", "zero_slope", "keep_rule"} <= set(g3.results)
    g1.add("a step added by a caller")
    assert len(derive_g1().steps) == len(g1.steps) - 1  # callers get fresh copies of cached derivations


def test_identity_checker_can_fail():
    p, q, a, b = sp.symbols("p q alpha beta", positive=True)
    sigmoid = 1 / (1 + sp.exp(-(b * sp.log(p / q) - sp.log(a))))
    assert _vanishes(sigmoid - p**b / (p**b + a * q**b), (p, q, a))
    assert not _vanishes(sigmoid - p**b / (p**b + 2 * a * q**b), (p, q, a))
    assert not _vanishes(sigmoid - q**b / (q**b + a * p**b), (p, q, a))


def test_sympy_surrogate_agrees_with_numpy():
    expression = derive_g1().results["prob_nonzero"]
    symbols = {s.name: s for s in expression.free_symbols}
    function = sp.lambdify([symbols["ell"], symbols["beta"], symbols["gamma"], symbols["zeta"]], expression)
    grid = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(function(grid, 0.5, -0.2, 1.3), hard_concrete_prob_nonzero(grid, 0.5, -0.2, 1.3),
                               rtol=1e-14)


# --------------------------------------------------------------------------- effective penalty (G3)


def test_penalty_shape():
    constants = hard_concrete_penalty_constants()
    u = np.linspace(0, 2, 201)
    profile = scaled_gate_penalty(u)
    omega = profile.omega
    assert omega[0] == 0 and np.all(omega[u >= constants.plateau_start] == 1.0)
    assert np.all(omega[(u > 0) & (u < constants.plateau_start)] < 1)
    assert np.all(np.diff(omega) >= -1e-12)
    assert np.all(omega <= constants.zero_slope * u + profile.omega_error)  # concave with slope c0 at 0
    w = np.geomspace(1e-4, 3, 50)
    np.testing.assert_allclose(scaled_gate_penalty(w / np.sqrt(2)).omega, get_penalty("hardconcrete").omega(w),
                               atol=1e-10)


@pytest.mark.parametrize("lam, energy", [(0.01, 0.3), (1.0, 1.0), (7.0, 4.0)])
def test_penalty_scaling(lam, energy, seed):
    """Ω(w) = λω(|w|√(e/λ)): the same minimum over ln α of e w²κ + λπ, written two ways; keep = (E z)²/E z²."""
    w = np.random.default_rng(seed).uniform(-3, 3, 20)
    u = np.abs(w) * np.sqrt(energy / lam)
    profile = scaled_gate_penalty(u)
    np.testing.assert_allclose(hard_concrete_penalty(w, lam, energy), lam * profile.omega, rtol=1e-14)
    keep = hard_concrete_keep_rate(w, lam, energy)
    assert np.all((keep > 0) & (keep <= 1))
    finite = np.isfinite(profile.log_alpha)
    moments = hard_concrete_moments(profile.log_alpha[finite])
    np.testing.assert_allclose(keep[finite], moments.mean**2 / moments.second, rtol=1e-12)
    np.testing.assert_array_equal(keep[~finite], 1.0)


def test_keep_rate_limits_and_orthogonal_rule():
    constants = hard_concrete_penalty_constants()
    assert hard_concrete_keep_rate(0.0, 1.0) == 0.0
    assert hard_concrete_keep_rate(1.01 * constants.plateau_start, 1.0) == 1.0
    alignment = np.array([-2.0, -0.5, 0.0, 0.4, 1.5])
    np.testing.assert_array_equal(orthogonal_gate_support(alignment, lam=0.5, energy=2.0),
                                  2.0 * alignment**2 > 0.5)
