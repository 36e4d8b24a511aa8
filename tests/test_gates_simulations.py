"""Tests of gate sampling, L0-gated training and the claim checks G1–G3 (tiny profile).

`seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS): stochastic tests pass for any seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulations import gates_checks
from simulations.gates import (
    Adam,
    _mlp_forward_backward,
    orthogonal_problem,
    penalty_shape,
    sample_gates,
    teacher_student_data,
    train_gated_linear,
    train_gated_mlp,
)
from sparsetheory.checks import mc_z
from sparsetheory.runner import claim_rng
from theory.gates import (
    GAUSSIAN_GATE,
    hard_concrete_gate_family,
    hard_concrete_prob_nonzero,
    hard_concrete_prob_zero,
    hard_concrete_test_gate,
)

EPS = float(np.finfo(np.float64).eps)


@pytest.mark.parametrize("claim", ["G1", "G2", "G3"])
def test_claim_checks_pass_at_the_tiny_size(claim, seed):
    results = getattr(gates_checks, f"check_{claim.lower()}")("tiny", claim_rng(seed, claim))
    failed = [(r.key, r.simulation, r.tolerance) for r in results if not r.passed]
    assert not failed
    assert len({r.key for r in results}) == len(results), "keys must be unique (the paper quotes them)"


def test_sampling_is_reproducible_and_has_exact_zeros_and_ones(seed):
    family = hard_concrete_gate_family()
    first = sample_gates(family, [-1.0, 0.0, 2.0], 1.5, 5000, seed)
    np.testing.assert_array_equal(first, sample_gates(family, [-1.0, 0.0, 2.0], 1.5, 5000, seed))
    assert first.shape == (5000, 3)
    assert np.all((first >= 0) & (first <= 1))
    assert np.any(first == 0, axis=0).all() and np.any(first == 1, axis=0).all()
    gaussian = sample_gates(GAUSSIAN_GATE, 0.5, 0.4, 20_000, seed)
    p = GAUSSIAN_GATE.prob_zero(0.5, 0.4)
    assert abs(np.mean(gaussian == 0) - p) <= mc_z() * np.sqrt(p * (1 - p) / gaussian.size)


def test_gated_linear_fit_has_exact_zeros_and_matches_the_l0_rule(seed):
    rng = np.random.default_rng(seed)
    X, y, teacher = orthogonal_problem(rng, 80, 10)
    fit = train_gated_linear(X, y, [1e-4, 0.25, 50.0], rng, steps=800)
    np.testing.assert_array_equal(fit.test_weights, fit.theta * hard_concrete_test_gate(fit.log_alpha))
    np.testing.assert_allclose(fit.surrogate, hard_concrete_prob_nonzero(fit.log_alpha).sum(axis=1), rtol=1e-14)
    np.testing.assert_array_equal(fit.l0, np.count_nonzero(fit.test_weights, axis=1))
    assert fit.l0[-1] == 0, "λ far above every eâ² must prune everything"
    assert fit.l0[0] > np.count_nonzero(teacher)
    np.testing.assert_array_equal(fit.test_weights[1] != 0, teacher != 0)  # signals ≥ 1 ≫ threshold 0.5 ≫ noise
    again = train_gated_linear(X, y, [1e-4, 0.25, 50.0], np.random.default_rng(seed + 1000), steps=5)
    assert not np.array_equal(again.theta, fit.theta)


def test_adam_decays_the_learning_rate_to_zero():
    p = np.zeros(2)
    optimiser = Adam([p], lr=0.1, steps=10)
    for _ in range(9):
        optimiser.step([np.ones(2)])
    before = p.copy()
    optimiser.step([np.ones(2)])
    assert np.all(before < 0) and np.all(np.abs(p - before) < 0.1 * 0.2 + 1e-12)


def test_mlp_gradients_match_finite_differences(seed):
    """Loss is smooth in (W, b, v, c, z); central differences with h = 1e-6 agree to 1e-6 relative."""
    rng = np.random.default_rng(seed)
    n, d, h = 12, 4, 3
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    W, b, v, c = rng.standard_normal((h, d)), rng.standard_normal(h), rng.standard_normal(h), 0.3
    z = rng.uniform(0.1, 1.0, (1, d))
    _, dW, db, dv, dc, dz = _mlp_forward_backward(X, y, W, b, v, c, z)
    step = 1e-6

    def loss(**changes):
        args = dict(W=W, b=b, v=v, c=c, z=z) | changes
        return _mlp_forward_backward(X, y, args["W"], args["b"], args["v"], args["c"], args["z"])[0]

    for name, value, grad in (("W", W, dW), ("b", b, db), ("v", v, dv), ("z", z, dz)):
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            e = np.zeros_like(value)
            e[index] = step
            numeric[index] = (loss(**{name: value + e}) - loss(**{name: value - e})) / (2 * step)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)
    assert dc == pytest.approx((loss(c=c + step) - loss(c=c - step)) / (2 * step), rel=1e-6)


def test_gated_mlp_prunes_whole_input_columns(seed):
    rng = np.random.default_rng(seed)
    X, y, support = teacher_student_data(rng, 300, 8, 3)
    model = train_gated_mlp(X, y, 1e-2, rng, hidden=6, steps=500)
    gates = model.input_gates()
    effective = model.effective_first_layer()
    assert np.all(effective[:, gates == 0] == 0.0), "a closed input gate zeroes its whole fan-out"
    assert np.all(gates[support] > 0)
    assert model.predict(X).shape == (300,)


def test_penalty_shapes():
    u = np.linspace(0, 2, 201)
    c, plateau = 3.0, 1.0
    np.testing.assert_allclose(penalty_shape("mcp", u, (c, plateau)),
                               np.where(u <= 2 * plateau / c, c * u - c**2 * u**2 / (4 * plateau), plateau),
                               atol=4 * EPS)
    np.testing.assert_array_equal(penalty_shape("capped_l1", u, (c, plateau)), np.minimum(c * u, plateau))
    with pytest.raises(ValueError, match="name"):
        penalty_shape("scad", u, (1.0, 1.0))


@pytest.mark.parametrize("call, name", [
    (lambda: sample_gates("hc", 0.0, 1.0, 10, 0), "gate"),
    (lambda: sample_gates(GAUSSIAN_GATE, 0.0, 1.0, 0, 0), "n_samples"),
    (lambda: train_gated_linear(np.ones((3, 2)), np.ones(3), [-1.0], 0, steps=1), "lams"),
    (lambda: train_gated_linear(np.ones((3, 2)), np.ones(3), [1.0], 0, steps=0), "steps"),
    (lambda: train_gated_linear(np.ones((3, 2)), np.ones(3), [1.0], 0, lr=-1.0), "lr"),
    (lambda: train_gated_linear(np.ones((3, 2)), np.ones(3), [1.0], 0, theta0=np.ones(3)), "theta0"),
    (lambda: train_gated_mlp(np.ones((3, 2)), np.ones(3), -1.0, 0), "lam"),
    (lambda: train_gated_mlp(np.ones((3, 2)), np.ones(3), 1.0, 0, hidden=0), "hidden"),
    (lambda: teacher_student_data(0, 10, 3, 4), "relevant"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        call()


def test_prob_zero_of_sampled_hard_concrete(seed):
    """A direct binomial test of P(z = 0) at one ln α, independent of the check module."""
    draws = sample_gates(hard_concrete_gate_family(), -1.0 / (2 / 3), 1.5, 50_000, seed)
    p = float(hard_concrete_prob_zero(-1.0))
    assert abs(np.mean(draws == 0) - p) <= mc_z() * np.sqrt(p * (1 - p) / draws.size)
