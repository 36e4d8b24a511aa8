"""Numerical edges: keep exactly 0 or 1, kl at 0 and 1, kl⁻¹ near 1, very large n and KL, float32 inputs,
d = 1 and n = 1. Each gives the right value (an independent computation or a limiting-case formula) or a
clean ValueError naming the argument."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.special import rel_entr

from simulations.linear import enumerate_mask_loss
from theory.dropout import expected_dropout_loss
from theory.masks import expected_mask_loss, expected_mask_loss_grad
from theory.pac_bayes import (catoni_bound, complexity, kl_bernoulli, kl_inverse_upper, mcallester_bound,
                              seeger_bound)

EPS = np.finfo(np.float64).eps


def _problem(n: int, d: int, seed: int = 0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)).astype(dtype), rng.standard_normal(n).astype(dtype),
            rng.standard_normal(d).astype(dtype))


def _loss(X, y, w) -> float:
    residual = y - X @ w
    return float(residual @ residual / len(y))


def _rounding(X, y, w) -> float:
    """A bound on the rounding error of a mean of squared residuals: n·d·eps times the sum of magnitudes."""
    scale = (np.abs(y) + np.abs(X) @ np.abs(w)) ** 2
    return 4 * X.size * EPS * float(scale.mean())


@pytest.mark.parametrize("keep_value", [0.0, 1.0])
def test_keep_exactly_zero_or_one_is_the_deterministic_loss(keep_value):
    X, y, w = _problem(7, 4)
    expected = _loss(X, y, keep_value * w)  # m = keep exactly: no randomness left
    keep = np.full(4, keep_value)
    assert abs(expected_mask_loss(X, y, w, keep) - expected) <= _rounding(X, y, w)
    assert abs(enumerate_mask_loss(X, y, w, keep) - expected) <= _rounding(X, y, w)


def test_keep_mixing_zero_one_and_interior_matches_enumeration():
    X, y, w = _problem(9, 5, seed=1)
    keep = np.array([0.0, 1.0, 0.3, 1.0, 0.0])
    assert abs(expected_mask_loss(X, y, w, keep) - enumerate_mask_loss(X, y, w, keep)) <= 2 ** 5 * _rounding(X, y, w)


def test_dropout_refuses_keep_zero_and_is_the_plain_loss_at_keep_one():
    X, y, w = _problem(7, 3)
    with pytest.raises(ValueError, match="keep"):
        expected_dropout_loss(X, y, w, np.array([0.5, 0.0, 1.0]))
    assert abs(expected_dropout_loss(X, y, w, 1.0) - _loss(X, y, w)) <= _rounding(X, y, w)


def _kl_reference(q: float, p: float) -> float:
    return float(rel_entr(q, p) + rel_entr(1 - q, 1 - p))  # scipy's x·ln(x/y) with 0·ln 0 = 0, ln(x/0) = ∞


@pytest.mark.parametrize("q, p", [(0.0, 0.3), (1.0, 0.3), (0.0, 0.0), (1.0, 1.0), (0.3, 0.0), (0.3, 1.0),
                                  (0.0, 1.0), (1.0, 0.0), (1e-300, 0.5), (1 - 1e-16, 0.5)])
def test_kl_at_zero_and_one(q, p):
    reference = _kl_reference(q, p)
    value = kl_bernoulli(q, p)
    if np.isinf(reference):
        assert value == np.inf
    else:
        assert abs(value - reference) <= 8 * EPS * max(1.0, abs(reference))


def _kl_inverse_reference(q: float, c: float) -> mpmath.mpf:
    """The largest p in [q, 1) with kl(q‖p) = c, by bisection at 60 digits."""
    with mpmath.workdps(60):
        q = mpmath.mpf(q)

        def kl(p):
            return (q * mpmath.log(q / p) if q > 0 else 0) + (1 - q) * mpmath.log((1 - q) / (1 - p))

        low, high = q, mpmath.mpf(1) - mpmath.mpf(10) ** -55
        for _ in range(400):
            middle = (low + high) / 2
            low, high = (middle, high) if kl(middle) <= c else (low, middle)
        return low


@pytest.mark.parametrize("q, c", [(1 - 1e-12, 0.5), (1 - 1e-9, 1e-6), (0.999, 3.0), (0.5, 30.0), (0.0, 40.0)])
def test_kl_inverse_near_one(q, c):
    p = kl_inverse_upper(q, c)
    reference = _kl_inverse_reference(q, c)
    with mpmath.workdps(60):
        gap = 1 - reference  # the docstring's error bound, relative to 1 − p, with u* = −ln(1 − p*)
        slope = abs((1 - q) / (1 - reference) - q / reference)
        terms = abs(q * mpmath.log(q / reference)) if q > 0 else 0
        bound = 8 * EPS * (1 + abs(mpmath.log(gap))) * gap + EPS * (terms + c + 1) / slope + 4 * EPS * reference
        assert abs((1 - mpmath.mpf(p)) - gap) <= bound


def test_kl_inverse_exact_cases():
    assert kl_inverse_upper(1.0, 2.0) == 1.0
    assert kl_inverse_upper(0.3, 0.0) == 0.3
    assert kl_inverse_upper(0.3, np.inf) == 1.0
    assert abs(kl_inverse_upper(0.0, 2.0) - (-np.expm1(-2.0))) <= 4 * EPS


def test_very_large_n_and_kl():
    # n → ∞: the complexity term vanishes and every bound tends to the empirical risk
    assert abs(seeger_bound(0.2, 5.0, 1e300, 0.05) - 0.2) <= 16 * EPS
    assert abs(mcallester_bound(0.2, 5.0, 1e300, 0.05) - 0.2) <= 1e-140
    assert complexity(1e300, 1e300, 0.05) == pytest.approx(1.0, rel=8 * EPS)
    # KL → ∞ (finite but huge): vacuous, never NaN
    assert seeger_bound(0.2, 1e300, 1000, 0.05) == 1.0
    assert mcallester_bound(0.2, 1e300, 1000, 0.05) > 1
    assert np.isfinite(catoni_bound(0.2, 1e300, 1000, 0.05))
    for function in (seeger_bound, mcallester_bound):
        with pytest.raises(ValueError, match="kl"):
            function(0.2, np.inf, 1000, 0.05)
        with pytest.raises(ValueError, match="kl"):
            function(0.2, -1.0, 1000, 0.05)
        with pytest.raises(ValueError, match="delta"):
            function(0.2, 1.0, 1000, 1.0)


def test_float32_inputs_give_the_float64_result_of_the_same_values():
    X, y, w = _problem(6, 3, dtype=np.float32)
    keep = np.array([0.2, 0.7, 1.0], dtype=np.float32)
    exact = expected_mask_loss(X.astype(np.float64), y.astype(np.float64), w.astype(np.float64),
                               keep.astype(np.float64))
    assert expected_mask_loss(X, y, w, keep) == exact
    assert isinstance(expected_mask_loss(X, y, w, keep), float)
    assert expected_mask_loss_grad(X, y, w, keep).dtype == np.float64
    assert kl_bernoulli(np.float32(0.25), np.float32(0.5)) == kl_bernoulli(0.25, 0.5)


def test_d_equals_one_matches_the_two_point_expectation():
    X, y, w = _problem(5, 1)
    p = 0.35
    expected = p * _loss(X, y, w) + (1 - p) * _loss(X, y, 0 * w)  # E over m ∈ {0, 1}
    assert abs(expected_mask_loss(X, y, w, p) - expected) <= 4 * _rounding(X, y, w)
    assert abs(enumerate_mask_loss(X, y, w, p) - expected) <= 4 * _rounding(X, y, w)


def test_n_equals_one():
    X, y, w = _problem(1, 3)
    keep = np.array([0.5, 0.9, 0.1])
    assert abs(expected_mask_loss(X, y, w, keep) - enumerate_mask_loss(X, y, w, keep)) <= 8 * _rounding(X, y, w)
    assert 0.2 <= seeger_bound(0.2, 0.5, 1, 0.05) <= 1.0
    with pytest.raises(ValueError, match="n"):
        seeger_bound(0.2, 0.5, 0.5, 0.05)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_empty_design_is_a_clean_error(shape):
    with pytest.raises(ValueError, match="X"):
        expected_mask_loss(np.zeros(shape), np.zeros(shape[0]), np.zeros(shape[1]), 0.5)
