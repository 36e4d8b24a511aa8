"""Property tests of theory/pac_bayes.py (claims B1–B3, B6): divergences and kl inverses against mpmath,
the orderings and monotonicity of the bounds, input validation, and the sympy derivations.

Floating-point tolerances are the first-order error bounds of simulations.pac_bayes_checks
(kl: 8·eps·(|q ln(q/p)| + |(1 − q) ln((1 − q)/(1 − p))|); kl inverse: `kl_inverse_error_bound`).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import ndtr

from simulations.pac_bayes_checks import (
    ROUNDING_ULPS,
    kl_inverse_error_bound,
    kl_inverse_reference,
    kl_reference,
)
from theory import pac_bayes as pb

EPS = float(np.finfo(np.float64).eps)
BOUNDS = (pb.mcallester_bound, pb.seeger_bound, pb.quadratic_bound, pb.lambda_bound, pb.catoni_bound)
EXTREME_Q = (0.0, 1.0, 5e-324, 1e-300, 1e-20, 0.5, 1 - 2**-53, 1 - 1e-12)

probabilities = st.one_of(st.floats(0.0, 1.0), st.sampled_from(EXTREME_Q))
complexities = st.one_of(st.floats(0.0, 1e4), st.floats(1e-300, 1e-8), st.sampled_from((0.0, 1e-320, 745.0)))
risks = st.floats(0.0, 1.0)
divergences = st.floats(0.0, 1e4)
sizes = st.integers(1, 10**7)
confidences = st.floats(1e-12, 1 - 1e-12)


def _kl_scale(q: float, p: float) -> float:
    scale = 0.0
    if q > 0:
        scale += abs(q * (math.log(q) - math.log(p)))
    if q < 1:
        scale += abs((1 - q) * (math.log1p(-q) - math.log1p(-p)))
    return scale


# ----------------------------------------------------------------------------- divergences (B1)


@given(probabilities, st.floats(1e-300, 1 - 2**-53))
def test_kl_bernoulli_matches_mpmath(q, p):
    value = float(pb.kl_bernoulli(q, p))
    assert abs(value - float(kl_reference(q, p))) <= ROUNDING_ULPS * EPS * _kl_scale(q, p) + 5e-324


@given(st.floats(0.0, 1.0, exclude_max=True))
def test_kl_bernoulli_endpoints_are_exact(p):
    assert pb.kl_bernoulli(0.0, p) == -np.log1p(-p)
    if p > 0:
        assert pb.kl_bernoulli(1.0, p) == -np.log(p)
    assert pb.kl_bernoulli(p, p) == 0.0


def test_kl_bernoulli_infinite_where_supports_differ():
    assert np.all(np.isinf(pb.kl_bernoulli([0.5, 0.5, 1.0], [0.0, 1.0, 0.0])))
    assert pb.kl_bernoulli([0.0, 1.0], [0.0, 1.0]).tolist() == [0.0, 0.0]


@given(st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)), min_size=1, max_size=6))
def test_product_kl_is_the_sum_and_the_enumeration(pairs):
    p, q = np.array(pairs).T
    total = float(pb.kl_product_bernoulli(p, q))
    assert total == pytest.approx(float(np.sum(pb.kl_bernoulli(p, q))), rel=4 * EPS, abs=1e-300)
    masks = ((np.arange(2 ** p.size)[:, None] >> np.arange(p.size)) & 1).astype(bool)
    log_p = np.where(masks, np.log(p), np.log1p(-p)).sum(axis=1)
    log_q = np.where(masks, np.log(q), np.log1p(-q)).sum(axis=1)
    enumerated = np.exp(log_p) @ (log_p - log_q)
    scale = np.exp(log_p) @ (np.abs(log_p) + np.abs(log_q))
    assert abs(total - enumerated) <= (2 ** p.size + 8 * p.size) * EPS * scale


def test_product_kl_broadcasts_over_leading_axes():
    p = np.array([[0.2, 0.7], [0.5, 0.5]])
    np.testing.assert_allclose(pb.kl_product_bernoulli(p, 0.5), np.sum(pb.kl_bernoulli(p, 0.5), axis=-1),
                               rtol=4 * EPS)
    with pytest.raises(ValueError, match="at least one axis"):
        pb.kl_product_bernoulli(0.3, 0.5)


@given(st.floats(-5, 5), st.floats(0.05, 20), st.floats(-5, 5), st.floats(0.05, 20))
def test_gaussian_kl_matches_mpmath(mu_q, s_q, mu_p, s_p):
    with mp.workdps(50):
        exact = (mp.log(mp.mpf(s_p) / s_q) + (mp.mpf(s_q) ** 2 + (mp.mpf(mu_q) - mu_p) ** 2) / (2 * mp.mpf(s_p) ** 2)
                 - mp.mpf(1) / 2)
    value = float(pb.kl_gaussian_diag([mu_q], [s_q], [mu_p], [s_p]))
    scale = abs(math.log(s_q / s_p)) + ((mu_q - mu_p) / s_p) ** 2 + (s_q / s_p) ** 2
    assert abs(value - float(exact)) <= ROUNDING_ULPS * EPS * scale


def test_gaussian_kl_has_no_cancellation_for_close_scales():
    ratio = 1 + 1e-9
    exact = float(mp.mpf(ratio) ** 2 / 2 - mp.mpf(1) / 2 - mp.log(mp.mpf(ratio)))
    value = float(pb.kl_gaussian_diag([0.0], [ratio], [0.0], [1.0]))
    assert value == pytest.approx(exact, rel=1e-6)  # x = 2 ln ratio is itself rounded: relative 1e-7
    assert pb.kl_gaussian_diag([1.0, 2.0], [0.5, 3.0], [1.0, 2.0], [0.5, 3.0]) == 0.0


# ----------------------------------------------------------------------------- kl inverses


@given(probabilities, complexities, st.booleans())
def test_kl_inverse_matches_mpmath(q, c, upper):
    p_ref, tail = kl_inverse_reference(q, c, upper)
    value = float((pb.kl_inverse_upper if upper else pb.kl_inverse_lower)(q, c))
    assert abs(value - float(p_ref)) <= kl_inverse_error_bound(q, c, p_ref, tail)
    assert (q <= value <= 1) if upper else (0 <= value <= q)


def test_kl_inverse_closed_cases():
    c = np.array([0.0, 1e-3, 1.0, 50.0, np.inf])
    np.testing.assert_array_equal(pb.kl_inverse_upper(0.3, 0.0), 0.3)
    np.testing.assert_array_equal(pb.kl_inverse_lower(0.3, 0.0), 0.3)
    np.testing.assert_array_equal(pb.kl_inverse_upper(1.0, c), 1.0)
    np.testing.assert_array_equal(pb.kl_inverse_lower(0.0, c), 0.0)
    np.testing.assert_allclose(pb.kl_inverse_upper(0.0, c), -np.expm1(-c), rtol=2 * EPS)
    np.testing.assert_allclose(pb.kl_inverse_lower(1.0, c), np.exp(-c), rtol=2 * EPS)
    assert pb.kl_inverse_upper(0.2, np.inf) == 1.0 and pb.kl_inverse_lower(0.2, np.inf) == 0.0


def test_kl_inverse_is_vectorised_and_shape_preserving(seed):
    rng = np.random.default_rng(seed)
    q = rng.uniform(0, 1, (40, 3))
    c = 10 ** rng.uniform(-12, 3, (40, 1))
    upper, lower = pb.kl_inverse_upper(q, c), pb.kl_inverse_lower(q, c)
    assert upper.shape == lower.shape == (40, 3)
    elementwise = np.array([[pb.kl_inverse_upper(qi, ci[0]) for qi in row] for row, ci in zip(q, c)])
    np.testing.assert_array_equal(upper, elementwise)
    assert isinstance(pb.kl_inverse_upper(0.1, 0.2), float)
    # backward error where the root is representable (for large c it rounds to 0 or 1, where kl = ∞):
    # kl(q‖p̂) = c within kl's rounding plus the slope times p̂'s rounding
    q, c = np.broadcast_arrays(q, c)
    for p in (upper, lower):
        inside = (p > 0) & (p < 1)
        qi, ci, pi = q[inside], c[inside], p[inside]
        residual = np.abs(pb.kl_bernoulli(qi, pi) - ci)
        scale = np.vectorize(_kl_scale)(qi, pi) + ci
        with np.errstate(over="ignore"):  # an infinite slope only widens the bound
            slope = np.abs(pi - qi) / (pi * (1 - pi))
            assert np.all(residual <= ROUNDING_ULPS * EPS * scale + 4 * slope * np.spacing(pi))


def test_kl_inverse_monotone_in_both_arguments(seed):
    rng = np.random.default_rng(seed)
    q = np.sort(rng.uniform(0, 1, 200))
    c = np.sort(10 ** rng.uniform(-10, 2, 200))
    assert np.all(np.diff(pb.kl_inverse_upper(q, 0.1)) >= 0)
    assert np.all(np.diff(pb.kl_inverse_upper(0.3, c)) >= 0)
    assert np.all(np.diff(pb.kl_inverse_lower(q, 0.1)) >= 0)
    assert np.all(np.diff(pb.kl_inverse_lower(0.3, c)) <= 0)


def test_kl_inverse_survives_a_million_random_pairs(seed):
    rng = np.random.default_rng(seed)
    q = np.where(rng.random(10**6) < 0.2, 10 ** rng.uniform(-300, 0, 10**6), rng.uniform(0, 1, 10**6))
    c = 10 ** rng.uniform(-300, 5, 10**6)
    p = pb.kl_inverse_upper(q, c)
    assert np.all((p >= q) & (p <= 1))


# ----------------------------------------------------------------------------- bounds (B2)


@given(risks, divergences, sizes, confidences)
def test_bound_orderings(emp, kl, n, delta):
    seeger = float(pb.seeger_bound(emp, kl, n, delta))
    mcallester = float(pb.mcallester_bound(emp, kl, n, delta))
    quadratic = float(pb.quadratic_bound(emp, kl, n, delta))
    tolerance = ROUNDING_ULPS * EPS * (1 + max(mcallester, quadratic))
    assert seeger <= mcallester + tolerance  # Pinsker
    assert seeger <= quadratic + tolerance
    assert abs(float(pb.lambda_bound(emp, kl, n, delta)) - quadratic) <= tolerance
    catoni = float(pb.catoni_bound(emp, kl, n, delta))
    floor = float(pb.kl_inverse_upper(emp, (kl + math.log(pb.CATONI_GRID.size / delta)) / n))
    assert catoni >= floor - tolerance
    for value in (seeger, mcallester, quadratic, catoni):
        assert value >= emp - tolerance


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: b.__name__)
@given(risks, risks, divergences, divergences, sizes, sizes, confidences, confidences)
def test_bounds_are_monotone(bound, emp1, emp2, kl1, kl2, n1, n2, delta1, delta2):
    def value(emp, kl, n, delta):
        return float(bound(emp, kl, n, delta))

    emp_lo, emp_hi = sorted((emp1, emp2))
    kl_lo, kl_hi = sorted((kl1, kl2))
    n_lo, n_hi = sorted((n1, n2))
    d_lo, d_hi = sorted((delta1, delta2))
    base = value(emp_lo, kl_lo, n_lo, d_lo)
    slack = ROUNDING_ULPS * EPS * (1 + abs(base))
    assert value(emp_hi, kl_lo, n_lo, d_lo) >= base - slack
    assert value(emp_lo, kl_hi, n_lo, d_lo) >= base - slack
    assert value(emp_lo, kl_lo, n_hi, d_lo) <= base + slack
    assert value(emp_lo, kl_lo, n_lo, d_hi) <= base + slack


@given(st.floats(0.0, 1.0), st.floats(0.0, 100.0), st.integers(1, 10**6), confidences)
def test_lambda_star_minimises_the_lambda_bound(emp, kl, n, delta):
    lam = float(pb.lambda_optimal(emp, kl, n, delta))
    assert 0 < lam <= 1
    c = float(pb.complexity(kl, n, delta))

    def objective(x):
        return (emp + c / x) / (1 - x / 2)

    best = objective(lam)
    assert best == pytest.approx(float(pb.lambda_bound(emp, kl, n, delta)), rel=4 * EPS)
    for x in (0.5 * lam, 0.9 * lam, min(1.99, 1.1 * lam), min(1.99, 2 * lam)):
        assert objective(x) >= best * (1 - 8 * EPS)


@given(st.floats(0.01, 0.9), st.floats(0.0, 50.0), st.integers(10, 10**5), st.floats(0.001, 0.5))
def test_catoni_at_its_optimal_c_is_the_kl_bound(q, kl, n, delta):
    c = (kl + math.log(1 / delta)) / n
    p = float(pb.kl_inverse_upper(q, c))
    assume(q < p < 1 - 1e-9)
    c_star = math.log(p * (1 - q) / (q * (1 - p)))
    assume(c_star > 1e-6)
    assert float(pb.catoni_bound(q, kl, n, delta, grid=[c_star])) == pytest.approx(p, rel=1e-9)
    assert float(pb.catoni_bound(q, kl, n, delta, grid=[0.5 * c_star, 2 * c_star])) >= p - 1e-12


def test_bound_formulas_by_hand():
    emp, kl, n, delta = 0.1, 5.0, 1000, 0.05
    c = (kl + math.log(2 * math.sqrt(n) / delta)) / n
    assert pb.complexity(kl, n, delta) == pytest.approx(c, rel=2 * EPS)
    assert pb.mcallester_bound(emp, kl, n, delta) == pytest.approx(emp + math.sqrt(c / 2), rel=4 * EPS)
    assert pb.quadratic_bound(emp, kl, n, delta) == pytest.approx(
        (math.sqrt(emp + c / 2) + math.sqrt(c / 2)) ** 2, rel=4 * EPS)
    assert pb.seeger_bound(emp, kl, n, delta) == pb.kl_inverse_upper(emp, c)
    grid = pb.CATONI_GRID
    c_grid = (kl + math.log(grid.size / delta)) / n
    by_hand = min((1 - math.exp(-g * emp - c_grid)) / (1 - math.exp(-g)) for g in grid)
    assert pb.catoni_bound(emp, kl, n, delta) == pytest.approx(by_hand, rel=8 * EPS)


def test_mc_risk_bound_and_its_composition():
    assert pb.mc_risk_bound(0.2, 500, 0.01) == pb.kl_inverse_upper(0.2, math.log(2 / 0.01) / 500)
    assert pb.mc_seeger_bound(0.2, 500, 3.0, 1000, 0.04, 0.01) == pb.seeger_bound(
        pb.mc_risk_bound(0.2, 500, 0.01), 3.0, 1000, 0.04)
    assert np.all(np.diff(pb.mc_risk_bound(0.2, [10, 100, 1000, 10**4], 0.01)) < 0)


# ----------------------------------------------------------------------------- validation


INVALID = [
    (pb.kl_bernoulli, (1.5, 0.3), "q"), (pb.kl_bernoulli, (0.3, -0.1), "p"), (pb.kl_bernoulli, (np.nan, 0.3), "q"),
    (pb.kl_product_bernoulli, ([0.2, 1.2], [0.5, 0.5]), "p"), (pb.kl_product_bernoulli, ([0.2], [np.nan]), "q"),
    (pb.kl_gaussian_diag, ([0.0], [0.0], [0.0], [1.0]), "sigma_q"),
    (pb.kl_gaussian_diag, ([0.0], [1.0], [np.inf], [1.0]), "mu_p"),
    (pb.kl_inverse_upper, (0.3, -1.0), "c"), (pb.kl_inverse_lower, (-0.1, 1.0), "q"),
    (pb.kl_inverse_upper, (0.3, np.nan), "c"),
    (pb.seeger_bound, (1.1, 1.0, 100, 0.05), "emp_risk"), (pb.mcallester_bound, (0.1, -1.0, 100, 0.05), "kl"),
    (pb.quadratic_bound, (0.1, np.inf, 100, 0.05), "kl"), (pb.lambda_bound, (0.1, 1.0, 0.5, 0.05), "n"),
    (pb.catoni_bound, (0.1, 1.0, 100, 1.0), "delta"), (pb.catoni_bound, (0.1, 1.0, 100, 0.0), "delta"),
    (pb.seeger_bound, (0.1, 1.0, np.nan, 0.05), "n"), (pb.mc_risk_bound, (0.1, 0, 0.05), "n_samples"),
    (pb.mc_risk_bound, (2.0, 10, 0.05), "emp_risk_mc"),
]


@pytest.mark.parametrize("function, args, name", INVALID, ids=lambda x: getattr(x, "__name__", None))
def test_invalid_inputs_raise_naming_the_argument(function, args, name):
    with pytest.raises(ValueError, match=rf"^{name} "):
        function(*args)


def test_complex_and_grid_inputs_rejected():
    with pytest.raises(TypeError, match="q must be real"):
        pb.kl_bernoulli(0.1 + 1j, 0.3)
    with pytest.raises(ValueError, match="grid"):
        pb.catoni_bound(0.1, 1.0, 100, 0.05, grid=[])
    with pytest.raises(ValueError, match="grid"):
        pb.catoni_bound(0.1, 1.0, 100, 0.05, grid=[-1.0, 1.0])


# ----------------------------------------------------------------------------- derivations


def test_derivations_lambdify_to_the_numpy_functions():
    b1, b2, b6 = pb.derive_b1(), pb.derive_b2(), pb.derive_b6()
    q, p = sp.symbols("q p", positive=True)
    kl = sp.lambdify((q, p), b1.results["kl_bernoulli"], "numpy")
    assert kl(0.3, 0.6) == pytest.approx(float(pb.kl_bernoulli(0.3, 0.6)), rel=1e-14)
    free = {s.name: s for s in b1.results["kl_gaussian"].free_symbols}
    gauss = sp.lambdify([free[name] for name in ("mu_q", "sigma_q", "mu_p", "sigma_p")], b1.results["kl_gaussian"])
    assert gauss(0.3, 1.5, -0.2, 0.7) == pytest.approx(float(pb.kl_gaussian_diag([0.3], [1.5], [-0.2], [0.7])),
                                                        rel=1e-14)
    u, v = sp.symbols("u v", real=True)
    bregman = sp.lambdify((u, v), b1.results["bregman"])
    assert bregman(0.4, -1.3) == pytest.approx(float(pb.kl_bernoulli(1 / (1 + math.exp(-0.4)),
                                                                      1 / (1 + math.exp(1.3)))), rel=1e-12)
    symbols = {s.name: s for s in b2.results["quadratic"].free_symbols}
    quadratic = sp.lambdify((symbols[r"\hat{L}"], symbols["c"]), b2.results["quadratic"])
    c = float(pb.complexity(4.0, 500, 0.05))
    assert quadratic(0.15, c) == pytest.approx(float(pb.quadratic_bound(0.15, 4.0, 500, 0.05)), rel=1e-14)
    free = {s.name: s for s in b6.results["mask_risk"].free_symbols}
    risk = sp.lambdify((free["a"], free["s"]), b6.results["mask_risk"], "mpmath")
    assert float(risk(0.7, 1.3)) == pytest.approx(float(ndtr(-0.7 / 1.3)), rel=1e-14)


def test_derivations_print_and_give_latex():
    for derive in (pb.derive_b1, pb.derive_b2, pb.derive_b3, pb.derive_b6):
        der = derive()
        assert der.claim in ("B1", "B2", "B3", "B6") and der.steps and der.results
        assert der.pretty().startswith(der.claim)
        assert all(isinstance(text, str) and text for text in der.latex().values())
