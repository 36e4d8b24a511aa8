"""Simulations of claims P1–P4: the data model, the masked gradient, batched training, the torch backend, checks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulations import pruned_two_layer as net
from simulations.patch_data import sample_patch_data, signal_vector
from simulations.random_pruning_checks import check_p1, check_p2, check_p3, check_p4, crossings
from sparsetheory.checks import EPS, CheckResult, mc_z


def small_problem(seed, *, batch=(2,), rhos=(0.0, 0.5), n=6, d=12, m=3, sigma0=0.3, spare=False):
    rng = np.random.default_rng(seed)
    mu = signal_vector(d, 2.0, sparsity=2)
    y, xi = sample_patch_data(n, mu, 1.0, rng, batch=batch)
    W0 = net.initial_weights(batch + (1,), m, d, sigma0, rng)
    masks = net.random_masks(np.broadcast_to(np.array(rhos), batch + (len(rhos),)), m, d, rng,
                             mu != 0 if spare else None)
    return W0, masks, mu, y, xi


def rounding_bound(steps: int, n: int, d: int, scale: float) -> float:
    """Forward error of `steps` gradient steps whose products sum (n + 1)·d terms of size ≤ scale each."""
    return 8 * (steps + 1) * (n + 1) * d * EPS * scale


# ---------------------------------------------------------------- data model


def test_signal_vector_has_the_requested_norm_and_support():
    for sparsity in (1, 5, 40):
        mu = signal_vector(40, 3.0, sparsity)
        assert np.count_nonzero(mu) == sparsity and np.isclose(np.linalg.norm(mu), 3.0, rtol=4 * EPS)
    with pytest.raises(ValueError, match="sparsity"):
        signal_vector(4, 1.0, 5)
    with pytest.raises(TypeError, match="d must be an integer"):
        signal_vector(4.5, 1.0)


def test_noise_is_orthogonal_to_the_signal(seed):
    mu = signal_vector(50, 2.0, sparsity=50)  # dense: every coordinate is touched by the projection
    _, xi = sample_patch_data(200, mu, 1.5, seed)
    scale = np.abs(xi).sum(axis=-1) * np.abs(mu).max()
    assert np.all(np.abs(xi @ mu) <= 4 * 50 * EPS * scale)


def test_noise_covariance_and_label_balance_by_monte_carlo(seed):
    d, draws, sigma = 4, 40_000, 1.5
    mu = np.array([1.0, 2.0, 0.0, -1.0])
    y, xi = sample_patch_data(draws, mu, sigma, seed)
    unit = mu / np.linalg.norm(mu)
    covariance = sigma**2 * (np.eye(d) - np.outer(unit, unit))
    products = xi[:, :, None] * xi[:, None, :]
    # Var(ξ_a ξ_b) = Σ_aa Σ_bb + Σ_ab² for a centred Gaussian vector
    se = np.sqrt((np.outer(np.diag(covariance), np.diag(covariance)) + covariance**2) / draws)
    z = mc_z(1e-6 / (d * d + 1))
    assert np.all(np.abs(products.mean(axis=0) - covariance) <= z * se)
    assert abs(y.mean()) <= z / np.sqrt(draws)


def test_masks_have_the_density_and_spare_the_signal(seed):
    rng = np.random.default_rng(seed)
    spare = np.zeros(500, dtype=bool)
    spare[:3] = True
    masks = net.random_masks(np.array([0.3, 0.9]), 20, 500, rng, spare)
    assert np.all(masks[..., :3] == 1)
    kept = masks[..., 3:].reshape(2, -1).mean(axis=1)
    count = masks[..., 3:].reshape(2, -1).shape[1]
    keep = np.array([0.7, 0.1])
    assert np.all(np.abs(kept - keep) <= mc_z(5e-7) * np.sqrt(keep * (1 - keep) / count))


# ---------------------------------------------------------------- gradient and training


@pytest.mark.parametrize("q", [1.0, 3.0])
def test_masked_gradient_matches_finite_differences(seed, q):
    W0, masks, mu, y, xi = small_problem(seed, batch=(1,), rhos=(0.4,))
    W = W0 * masks
    loss, gradient = net.loss_and_gradient(W, masks, mu, y, xi, q)[:2]
    assert np.all(gradient[masks == 0] == 0)
    rng = np.random.default_rng(seed)
    kept = np.argwhere(masks == 1)
    h = 1e-5

    def central(step, index):
        plus, minus = W.copy(), W.copy()
        plus[index] += step
        minus[index] -= step
        return (net.loss_and_gradient(plus, masks, mu, y, xi, q)[0]
                - net.loss_and_gradient(minus, masks, mu, y, xi, q)[0]).item() / (2 * step)

    for index in map(tuple, kept[rng.choice(len(kept), 15, replace=False)]):
        fine, coarse = central(h, index), central(2 * h, index)
        tolerance = 4 * abs(coarse - fine) + 64 * EPS * (1 + abs(loss.item())) / h  # Richardson + rounding
        assert abs(fine - gradient[index]) <= tolerance


def test_masked_weights_stay_exactly_zero_and_loss_falls(seed):
    W0, masks, mu, y, xi = small_problem(seed)
    run = net.train(W0, masks, mu, y, xi, lr=0.5, steps=200, records=4)
    assert np.all(run["weights"][np.broadcast_to(masks, run["weights"].shape) == 0] == 0)
    assert np.all(run["loss"][-1] < run["loss"][0])


def test_batched_training_equals_a_loop_over_networks(seed):
    W0, masks, mu, y, xi = small_problem(seed, rhos=(0.0, 0.3, 0.6))
    test = sample_patch_data(50, mu, 1.0, seed + 1)
    steps = 30
    batched = net.train(W0, masks, mu, y, xi, lr=0.3, steps=steps, records=3, test=test)
    scale = max(np.abs(batched["weights"]).max(), np.abs(W0).max()) * np.abs(xi).max()
    for s in range(masks.shape[0]):
        for r in range(masks.shape[1]):
            alone = net.train(W0[s, 0], masks[s, r], mu, y[s], xi[s], lr=0.3, steps=steps, records=3, test=test)
            for key in ("loss", "signal", "noise", "weights"):
                value = batched[key][s, r] if key == "weights" else batched[key][:, s, r]
                assert np.max(np.abs(value - alone[key])) <= rounding_bound(steps, y.shape[-1], mu.size, scale), key
            np.testing.assert_array_equal(batched["test_error"][:, s, r], alone["test_error"])


def test_torch_cpu_agrees_with_numpy_on_identical_initialisations(seed):
    pytest.importorskip("torch")
    from simulations.pruned_two_layer_torch import torch_ops

    W0, masks, mu, y, xi = small_problem(seed, rhos=(0.0, 0.5, 0.8))
    test = sample_patch_data(50, mu, 1.0, seed + 1)
    steps = 40
    numpy_run = net.train(W0, masks, mu, y, xi, lr=0.3, steps=steps, records=4, test=test)
    torch_run = net.train(W0, masks, mu, y, xi, lr=0.3, steps=steps, records=4, test=test, ops=torch_ops("cpu"))
    scale = max(np.abs(numpy_run["weights"]).max(), np.abs(W0).max()) * np.abs(xi).max()
    for key in ("loss", "signal", "noise", "weights"):
        assert np.max(np.abs(numpy_run[key] - torch_run[key])) <= rounding_bound(steps, y.shape[-1], mu.size, scale)
    np.testing.assert_array_equal(numpy_run["test_error"], torch_run["test_error"])


def test_sweep_pairs_settings_and_shapes(seed):
    settings = net.SweepSettings(n=8, d=30, m=3, mu_norm=2.0, lr=0.3, steps=20, records=3, n_test=40)
    rhos = np.array([0.0, 0.7])
    fully = net.sweep(rhos, 3, settings, seed)
    spared = net.sweep(rhos, 3, replace(settings, preserve_signal=True), seed)
    assert fully["loss"].shape == (len(fully["steps"]), 2, 3) and fully["signal"].shape[1:] == (2, 3, 2, 3)
    for key in ("loss", "test_error", "signal", "noise"):  # at ρ = 0 both settings keep every weight
        np.testing.assert_array_equal(fully[key][:, 0], spared[key][:, 0])
    assert np.all(spared["signal_neurons"] == 6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "lr"), (dict(q=0.5), "q"), (dict(masks=np.full((2, 2, 3, 12), 0.5)), "masks"),
    (dict(y=np.zeros((2, 6))), "y"), (dict(mu=np.ones(5)), "mu"),
])
def test_train_validates_its_inputs(kwargs, match):
    W0, masks, mu, y, xi = small_problem(0)
    arguments = dict(W0=W0, masks=masks, mu=mu, y=y, xi=xi, lr=0.1, steps=2) | kwargs
    with pytest.raises(ValueError, match=match):
        net.train(**arguments)


def test_backend_names_are_validated():
    with pytest.raises(ValueError, match="backend"):
        net.backend_ops("jax")
    with pytest.raises(ValueError, match="device"):
        net.backend_ops("numpy", "cuda")


# ---------------------------------------------------------------- checks


def test_crossings_interpolate_in_log_kappa():
    kappas = np.array([0.1, 1.0, 10.0])
    curves = np.array([[0.3, 0.1, 0.0], [0.05, 0.0, 0.0], [0.4, 0.3, 0.2], [0.3, 0.2, 0.0]])
    found = crossings(curves, kappas, level=0.1)
    assert found[0] == pytest.approx(1.0) and np.isnan(found[1]) and np.isnan(found[2])
    assert found[3] == pytest.approx(10**0.5)


@pytest.mark.parametrize("check", [check_p1, check_p2, check_p3, check_p4])
def test_checks_run_at_tiny_size(check, seed):
    results = check("tiny", np.random.default_rng(seed))
    assert results and all(isinstance(result, CheckResult) for result in results)
    assert results[0].key == "sympy" and results[0].passed


@pytest.mark.parametrize("steps, records", [(1, 1), (200, 1), (200, 6), (7, 20)])
def test_record_steps_start_at_zero_and_end_at_the_last_step(steps, records):
    at = net.record_steps(steps, records)
    assert at[0] == 0 and at[-1] == steps and np.all(np.diff(at) > 0) and len(at) <= records + 2
