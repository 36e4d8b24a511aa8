"""The batched NumPy MLP of claim family K: gradients, flip differences, masked training, validation.

`seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulations import mlp

EPS = np.finfo(np.float64).eps
SHAPES = [((5, 4, 3), "cross_entropy"), ((5, 4, 3), "mse"), ((6, 1), "mse"), ((6, 3), "cross_entropy"),
          ((4, 3, 1), "mse")]


def _problem(rng, sizes, loss, n_networks=2, n=7, bias=True, density=0.6):
    params = mlp.init_params(sizes, n_networks, rng, bias=bias)
    X = rng.standard_normal((n_networks, n, sizes[0]))
    if loss == "cross_entropy":
        Y = rng.integers(0, sizes[-1], (n_networks, n))
    else:
        Y = rng.standard_normal((n_networks, n, sizes[-1]))
    masks = [(rng.random(w.shape) < density).astype(np.float64) for w in params.weights]
    return params, X, Y, masks


@pytest.mark.parametrize("sizes, loss", SHAPES)
def test_gradient_matches_central_differences(sizes, loss, seed):
    """Central differences with h = 1e-6 have truncation error O(h²·L''') and rounding error O(eps·L/h);
    both are below 1e-7 for these O(1) losses, so the bound 1e-6 leaves a factor 10."""
    rng = np.random.default_rng(seed)
    params, X, Y, masks = _problem(rng, sizes, loss)
    _, grads = mlp.loss_and_grad(params, X, Y, loss, masks)
    h = 1e-6
    for layer, weight in enumerate(params.weights):
        numeric = np.zeros_like(weight)
        for index in np.ndindex(weight.shape):
            for sign in (1, -1):
                shifted = params.copy()
                shifted.weights[layer][index] += sign * h
                numeric[index] += sign * mlp.loss_and_grad(shifted, X, Y, loss, masks)[0][index[0]] / (2 * h)
        np.testing.assert_allclose(grads.weights[layer], numeric * masks[layer], atol=1e-6)
        assert np.all(grads.weights[layer][masks[layer] == 0] == 0)
    for layer, bias in enumerate(params.biases):
        numeric = np.zeros_like(bias)
        for index in np.ndindex(bias.shape):
            for sign in (1, -1):
                shifted = params.copy()
                shifted.biases[layer][index] += sign * h
                numeric[index] += sign * mlp.loss_and_grad(shifted, X, Y, loss, masks)[0][index[0]] / (2 * h)
        np.testing.assert_allclose(grads.biases[layer], numeric, atol=1e-6)


@pytest.mark.parametrize("sizes, loss", SHAPES)
def test_flip_differences_equal_recomputed_losses(sizes, loss, seed):
    """Δ = L(m_j = 1) − L(m_j = 0) for every entry, to rounding: each loss sums n·width products."""
    rng = np.random.default_rng(seed)
    params, X, Y, masks = _problem(rng, sizes, loss, density=0.5)
    flips = mlp.flip_differences(params, X, Y, loss, masks)
    chunked = mlp.flip_differences(params, X, Y, loss, masks, max_bytes=64)
    for layer, mask in enumerate(masks):
        np.testing.assert_allclose(chunked[layer], flips[layer], rtol=0, atol=1e-13)
        for index in np.ndindex(mask.shape):
            on, off = [m.copy() for m in masks], [m.copy() for m in masks]
            on[layer][index], off[layer][index] = 1.0, 0.0
            loss_on = mlp.loss_and_grad(params, X, Y, loss, on)[0][index[0]]
            loss_off = mlp.loss_and_grad(params, X, Y, loss, off)[0][index[0]]
            bound = 200 * EPS * (abs(loss_on) + abs(loss_off) + 1)
            assert abs(flips[layer][index] - (loss_on - loss_off)) <= bound


def test_flip_differences_need_at_most_one_hidden_layer():
    rng = np.random.default_rng(0)
    params, X, Y, masks = _problem(rng, (4, 3, 3, 2), "mse")
    with pytest.raises(ValueError, match="hidden layer"):
        mlp.flip_differences(params, X, Y, "mse", masks)


@given(epochs=st.integers(0, 4), batch_size=st.integers(1, 9), density=st.floats(0.05, 0.95))
def test_masked_weights_stay_exactly_zero(epochs, batch_size, density):
    rng = np.random.default_rng(epochs * 100 + batch_size)
    params, X, Y, masks = _problem(rng, (5, 4, 3), "cross_entropy", density=density)
    trained = mlp.train(params, X, Y, "cross_entropy", epochs=epochs, lr=0.5, batch_size=batch_size, rng=rng,
                        masks=masks)
    for weight, mask in zip(trained.weights, masks):
        assert np.all(weight[mask == 0] == 0)


def test_training_is_deterministic_under_a_seed_and_lowers_the_loss(seed):
    rng = np.random.default_rng(seed)
    params, X, Y, masks = _problem(rng, (5, 8, 3), "cross_entropy", n=40)
    first = mlp.train(params, X, Y, "cross_entropy", epochs=20, lr=0.5, batch_size=8, rng=seed, masks=masks)
    second = mlp.train(params, X, Y, "cross_entropy", epochs=20, lr=0.5, batch_size=8, rng=seed, masks=masks)
    for a, b in zip(first.weights + first.biases, second.weights + second.biases):
        np.testing.assert_array_equal(a, b)
    before = mlp.loss_and_grad(params, X, Y, "cross_entropy", masks)[0]
    after = mlp.loss_and_grad(first, X, Y, "cross_entropy", masks)[0]
    assert np.all(after < before)


def test_sgd_epoch_accumulates_gradient_magnitudes_of_kept_weights():
    rng = np.random.default_rng(3)
    params, X, Y, masks = _problem(rng, (5, 4, 3), "mse", n=10)
    _, accumulated = mlp.sgd_epoch(params, X, Y, "mse", lr=0.01, batch_size=10, rng=rng, masks=masks)
    _, grads = mlp.loss_and_grad(mlp.Params([w * m for w, m in zip(params.weights, masks)], params.biases), X, Y,
                                 "mse", masks)
    for total, grad in zip(accumulated, grads.weights):  # one full batch: the accumulated value is |∇L|
        np.testing.assert_allclose(total, np.abs(grad), atol=1e-14)


def test_test_error_is_the_misclassification_rate():
    params = mlp.Params([np.array([[[1.0, 0.0], [0.0, 1.0]]])], None)
    X = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]])
    assert mlp.test_error(params, X, np.array([0, 0, 0]), "cross_entropy")[0] == pytest.approx(1 / 3)


@pytest.mark.parametrize("call, match", [
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, Y, "hinge", m), "loss"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, Y, "mse", [m[0] * 0.5, m[1]]), "masks"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, Y, "mse", m[:1]), "masks"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X[..., :2], Y, "mse", m), "X"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, Y[..., :1], "mse", m), "Y"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, np.zeros(X.shape[:2]), "cross_entropy", m), "Y"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, np.where(X > 0, np.nan, X), Y, "mse", m), "X"),
    (lambda p, X, Y, m: mlp.loss_and_grad(p, X, Y * np.inf, "mse", m), "Y"),
    (lambda p, X, Y, m: mlp.train(p, X, Y, "mse", epochs=1, lr=-1.0, batch_size=2, rng=0), "lr"),
    (lambda p, X, Y, m: mlp.train(p, X, Y, "mse", epochs=1, lr=0.1, batch_size=0, rng=0), "batch_size"),
    (lambda p, X, Y, m: mlp.train(p, X, Y, "mse", epochs=-1, lr=0.1, batch_size=2, rng=0), "epochs"),
    (lambda p, X, Y, m: mlp.init_params((3,), 1, 0), "sizes"),
    (lambda p, X, Y, m: mlp.init_params((3, 2), 0, 0), "n_networks"),
])
def test_bad_arguments_raise_naming_them(call, match):
    rng = np.random.default_rng(0)
    params, X, Y, masks = _problem(rng, (5, 4, 3), "mse")
    with pytest.raises(ValueError, match=match):
        call(params, X, Y, masks)
