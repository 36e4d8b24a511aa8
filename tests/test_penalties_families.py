"""Property tests of the penalty families of theory/penalties.py (claims E1, E4).

For every scalar family and several parameter sets:
- the η-trick identity Ω(w) = ½[w²/η̂ + f(η̂)] where η̂ is finite, and ½[w²/η + f(η)] ≥ Ω(w) for any η;
- Ω′ = w/η̂ against central differences (Richardson bound: |FD(2h) − FD(h)| is three times FD(h)'s
  truncation error) plus a rounding allowance;
- the keep rate lies in [0, 1], is positive for w ≠ 0, even, and non-decreasing in |w|;
- limits (ℓ1 near zero, logarithmic growth, saturation) and input validation.
Tolerances: the closed forms and the numerical duals are accurate to a few ulps of max(1, |Ω|, |f|)
(the numerical ones by construction: quadrature converged geometrically, Newton stopped at a step of
1e-15 or corrected to second order), so identities use REL·max(1, scale) with REL = 1e-12, which
leaves a margin of ~1e3 over the rounding of a dozen operations.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.penalties import MOLCHANOV_K, SCALAR_FAMILIES, get_penalty
from theory.penalty_duals import dawson_integral, gauss_legendre, keep_rule_omega, solve_increasing

REL = 1e-12
CASES = [
    ("lp", {"p": 0.5}), ("lp", {"p": 1.0}), ("lp", {"p": 1.5}), ("logsum", {"eps": 0.1}), ("logsum", {"eps": 2.0}),
    ("log2sum", {"eps": 0.5}), ("scad", {"a": 3.7, "lam": 0.5}), ("mcp", {"a": 2.0, "lam": 1.5}),
    ("vardrop", {}), ("vardrop_approx", {}), ("standout", {"slope": 2.0, "offset": -1.0}),
    ("hardconcrete", {}), ("hardconcrete", {"beta": 0.3}), ("hardconcrete", {"beta": 2.0, "gamma": -0.5, "zeta": 1.5}),
]
IDS = [f"{name}-{'-'.join(f'{k}{v:g}' for k, v in params.items())}" for name, params in CASES]
weights = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False)
scales = st.floats(min_value=-12.0, max_value=12.0)  # ln η


def test_every_scalar_family_is_covered():
    assert {name for name, _ in CASES} == set(SCALAR_FAMILIES)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
@given(w=weights, log_eta=scales)
def test_eta_trick_identity_and_minimality(name, params, w, log_eta):
    penalty = get_penalty(name, **params)
    omega, eta_hat = penalty.omega(w), penalty.eta_hat(w)
    if np.isfinite(eta_hat):
        value = 0.5 * (w**2 / eta_hat + penalty.f(eta_hat))
    else:
        value = 0.5 * penalty.f(np.inf)
    assert abs(value - omega) <= REL * max(1.0, abs(omega))
    eta = np.exp(log_eta)
    assert 0.5 * (w**2 / eta + penalty.f(eta)) >= omega - REL * max(1.0, abs(omega), abs(penalty.f(eta)))


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_derivative_matches_finite_differences(name, params):
    penalty = get_penalty(name, **params)
    w = np.exp(np.linspace(np.log(1e-3), np.log(50.0), 60))
    h = 1e-4 * np.maximum(1.0, w)

    def central(step):
        return (penalty.omega(w + step) - penalty.omega(w - step)) / (2 * step)

    fd, fd2 = central(h), central(2 * h)
    smooth = np.abs(fd2 - fd) < 1e-3 * np.maximum(1.0, np.abs(fd))  # excludes kinks (MCP, SCAD, gate opening)
    assert smooth.mean() > 0.9
    tolerance = np.abs(fd2 - fd) + 4 * REL * np.maximum(1.0, np.abs(penalty.omega(w))) / h
    assert np.all(np.abs(penalty.derivative(w) - fd)[smooth] <= tolerance[smooth])


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
@given(lam=st.floats(min_value=1e-3, max_value=1e3))
def test_keep_rate_is_a_non_decreasing_probability(name, params, lam):
    penalty = get_penalty(name, **params)
    w = np.concatenate([[0.0], np.exp(np.linspace(np.log(1e-4), np.log(1e3), 200))])
    keep = penalty.keep_rate(w, lam)
    assert np.all((keep >= 0) & (keep <= 1))
    assert np.all(keep[1:] > 0)
    assert np.all(np.diff(keep) >= -1e-14)
    np.testing.assert_array_equal(penalty.keep_rate(-w, lam), keep)
    np.testing.assert_array_equal(penalty.omega(-w), penalty.omega(w))


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_vectorised_shapes(name, params):
    penalty = get_penalty(name, **params)
    w = np.linspace(-3, 3, 12).reshape(3, 4)
    for method in (penalty.omega, penalty.eta_hat, penalty.derivative):
        assert method(w).shape == (3, 4)
        np.testing.assert_allclose(method(w).ravel(), [float(method(x)) for x in w.ravel()], rtol=1e-13, atol=1e-300)
    assert penalty.f(np.full((2, 5), 0.7)).shape == (2, 5)
    assert penalty.keep_rate(w, 2.0).shape == (3, 4)


def test_closed_form_limits():
    w = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(get_penalty("lp", p=1.0).omega(w), np.abs(w))
    np.testing.assert_allclose(get_penalty("lp", p=1.0).eta_hat(w), np.abs(w))
    small = np.linspace(-0.5, 0.5, 11)  # MCP and SCAD are ℓ1 near zero, up to w²/(2aλ) for MCP
    np.testing.assert_allclose(get_penalty("scad", a=3.7, lam=1.0).omega(small), np.abs(small))
    np.testing.assert_allclose(get_penalty("mcp", a=1e8, lam=1.0).omega(small), np.abs(small), atol=1e-8)
    assert get_penalty("mcp", a=2.0, lam=1.5).omega(10.0) == 1.5
    assert get_penalty("scad", a=3.7, lam=0.5).omega(10.0) == pytest.approx(4.7 * 0.5 / 2)
    standout = get_penalty("standout", slope=2.0, offset=-1.0)
    x = 2.0 * 1e-5  # Ω = e^{-b}/a²·P(2, x), P(2, x) = x²/2 − x³/3 + O(x⁴)
    np.testing.assert_allclose(standout.omega(1e-5), np.exp(1.0) / 4 * (x**2 / 2 - x**3 / 3), rtol=1e-9)
    assert standout.omega(1e3) == pytest.approx(np.exp(1.0) / 4, rel=1e-15)


def test_variational_dropout_limits_and_closed_form():
    exact, approx = get_penalty("vardrop"), get_penalty("vardrop_approx")
    # ℓ1 slope at 0: f(η) = η + O(η²) (exact) or η + O(η^{k3}) (fit), so Ω/|w| − 1 = O(w) or O(w^{k3−1})
    for penalty, error in ((exact, 1e-7), (approx, 1e-7 ** (MOLCHANOV_K[2] - 1))):
        assert penalty.omega(1e-7) / 1e-7 == pytest.approx(1.0, abs=error)
    for penalty in (exact, approx):
        assert 1e5 * penalty.derivative(1e5) == pytest.approx(1.0, abs=1e-8)  # logarithmic growth
    eta = np.array([1e-6, 0.3, 2.0, 31.0, 127.0, 1e4])  # across the quadrature/series split at X = 4, 8
    x = np.sqrt(eta / 2)
    reference = [float(2 * mpmath.mpf(v) ** 2 * mpmath.hyp2f2(1, 1, 1.5, 2, -mpmath.mpf(v) ** 2)) for v in x]
    np.testing.assert_allclose(exact.f(eta), reference, rtol=1e-13)
    np.testing.assert_allclose(dawson_integral(x), np.array(reference) / 4, rtol=1e-13)
    assert dawson_integral(np.inf) == np.inf and exact.f(np.inf) == np.inf
    # the fit and the exact dual share f(0) = 0 and ln-growth; they differ by less than their k1
    eta = np.exp(np.linspace(-10, 10, 201))
    assert np.max(np.abs(approx.f(eta) - exact.f(eta))) < MOLCHANOV_K[0]


def test_molchanov_stationarity_map_is_increasing():
    k1, k2, k3 = MOLCHANOV_K
    eta = np.exp(np.linspace(-30, 30, 200_001))
    s = 1 / (1 + np.exp(k2 - k3 * np.log(eta)))
    h = 2 * k1 * k3 * eta * s * (1 - s) + eta**2 / (1 + eta)
    assert np.all(np.diff(h) > 0)


def test_hard_concrete_saturates_and_matches_its_gate():
    gate = get_penalty("hardconcrete")
    w = np.linspace(0.01, 2.0, 400)
    eta, omega = gate.eta_hat(w), gate.omega(w)
    opened = ~np.isfinite(eta)
    first = int(np.argmax(opened))
    assert 0 < first and np.all(opened[first:])  # opens once, for good
    assert np.all(omega[opened] == 1.0) and np.all(omega[~opened] < 1.0)
    np.testing.assert_array_equal(gate.keep_rate(w[opened], 0.3), 1.0)
    location = gate.gate_location(w[~opened])
    from theory.penalty_duals import gate_terms

    moments = gate_terms(location, 2 / 3, -0.1, 1.1)
    np.testing.assert_allclose(moments["m1"] ** 2 / moments["v"], eta[~opened], rtol=1e-10)
    np.testing.assert_allclose(gate.keep_rate(w[~opened], 1.0), moments["m1"] ** 2 / (moments["v"] + moments["m1"] ** 2),
                               rtol=1e-10)


def test_topk_is_the_k_sparse_indicator():
    topk = get_penalty("topk", k=2)
    w = np.array([[0.5, -3.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(topk.omega(w), [np.inf, 0.0, np.inf])
    eta = topk.eta_hat(w)
    np.testing.assert_array_equal(np.isinf(eta), [[False, True, True, False], [True, True, False, False],
                                                  [True, True, False, False]])  # ties: lower index first
    np.testing.assert_array_equal(topk.keep_rate(w, 0.1), np.isinf(eta).astype(float))
    np.testing.assert_array_equal(topk.f(eta), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(topk.f(np.full((1, 4), np.inf)), [np.inf])
    with pytest.raises(ValueError, match="0, inf"):
        topk.f(np.ones(4))
    with pytest.raises(ValueError, match="at least one axis"):
        topk.omega(1.0)


@pytest.mark.parametrize(("name", "params", "message"), [
    ("nope", {}, "valid names: lp, logsum"), ("lp", {"p": 2.0}, r"p must lie in \(0, 2\)"),
    ("lp", {"q": 1.0}, "valid: p"), ("logsum", {"eps": 0.0}, "eps must lie in"), ("scad", {"a": 2.0}, "a must lie in"),
    ("mcp", {"lam": -1.0}, "lam must lie in"), ("hardconcrete", {"gamma": 0.1}, "gamma must lie in"),
    ("hardconcrete", {"zeta": 1.0}, "zeta must lie in"), ("topk", {"k": 0}, "positive integer"),
    ("vardrop", {"eps": 1.0}, "valid: none"),
])
def test_invalid_names_and_parameters(name, params, message):
    with pytest.raises(ValueError, match=message):
        get_penalty(name, **params)


def test_invalid_inputs():
    penalty = get_penalty("vardrop")
    with pytest.raises(ValueError, match="finite"):
        penalty.omega([1.0, np.nan])
    with pytest.raises(TypeError, match="real"):
        penalty.eta_hat(1j)
    with pytest.raises(ValueError, match=r"\(0, inf\]"):
        penalty.f([1.0, 0.0])
    with pytest.raises(ValueError, match="lam must be positive"):
        penalty.keep_rate(1.0, 0.0)
    with pytest.raises(TypeError, match="real number"):
        get_penalty("lp", p="1")


def test_numerical_helpers():
    t, weight = gauss_legendre(8)
    assert weight.sum() == pytest.approx(1.0, abs=1e-15) and np.all((t > 0) & (t < 1))
    with pytest.raises(ValueError, match="positive integer"):
        gauss_legendre(0)
    target = np.array([0.1, 2.0, 30.0])
    root = solve_increasing(lambda x, i: (x**3 - target[i], 3 * x**2), np.zeros(3), np.full(3, 10.0))
    np.testing.assert_allclose(root, np.cbrt(target), rtol=1e-14)
    with pytest.raises(ValueError, match="lo ≤ hi"):
        solve_increasing(lambda x, i: (x, 1.0), [1.0], [0.0])
    omega, error = keep_rule_omega(lambda u: np.full_like(u, 0.5), np.array([0.0, 2.0]), lam=2.0)
    np.testing.assert_allclose(omega, [0.0, 1.0], rtol=1e-14)  # (1/λ)·∫ t dt = w²/(2λ)
    assert np.all(error < 1e-14)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        keep_rule_omega(lambda u: np.zeros_like(u), np.array([1.0]), lam=1.0)
