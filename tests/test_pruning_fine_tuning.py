"""Probabilistic fine-tuning (claim K2) and the experiments of family K.

`seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import norm

from simulations import mlp
from simulations import pruning_figures as pf
from simulations.fine_tuning import (
    FineTuneSettings,
    constrained_logit_gradient,
    density_shift,
    fine_tune_linear,
    fine_tune_network,
    initial_keep,
)
from simulations.pruners import PruneSettings, random_masks, top_k_masks
from simulations.pruning_checks import one_sided_p
from sparsetheory.runner import claim_rng
from theory.masks import expected_mask_loss, expected_mask_loss_grad
from theory.pruning import derive_k2

FALSE_FAILURE_RATE = 1e-6
MICRO = dict(densities=(0.5, 0.2), n_seeds=2, epochs=3, prune_epochs=1, starts=2, fraction=0.5, hidden=4)
MICRO_TUNING = MICRO | dict(steps=2, lr=0.3, uncertainty=0.2, batch_size=4, eval_masks=1)


@given(N=st.integers(2, 40), k=st.integers(1, 39), epsilon=st.floats(0.01, 0.99))
def test_initial_keep_sums_to_the_kept_count_and_ranks_kept_weights_first(N, k, epsilon):
    k = min(k, N - 1)
    kept = np.zeros((1, N))
    kept[0, :k] = 1
    if epsilon >= 1 - k / N:
        with pytest.raises(ValueError, match="uncertainty"):
            initial_keep(kept, epsilon)
        return
    keep = initial_keep(kept, epsilon)
    assert keep.sum() == pytest.approx(k, rel=1e-12)
    assert np.all((keep > 0) & (keep < 1))
    assert keep[0, :k].min() > keep[0, k:].max()


@given(logits=st.lists(st.floats(-30, 30), min_size=2, max_size=30), fraction=st.floats(0.01, 0.99))
def test_density_shift_restores_the_expected_count(logits, fraction):
    logits = np.array([logits])
    count = np.clip(fraction * logits.shape[1], 0.5, logits.shape[1] - 0.5)
    shift = density_shift(logits, np.array([count]))
    assert expit(logits + shift[:, None]).sum() == pytest.approx(count, rel=1e-10)


def test_constrained_gradient_sums_to_zero_and_matches_finite_differences(seed):
    """F(u + c·1) = F(u) (the shift absorbs c), so the gradient sums to zero; central differences of the
    exact E_m L(m⊙w) (theory.masks) along each coordinate, h = 1e-5: error O(h²) + O(eps/h) < 1e-7."""
    rng = np.random.default_rng(seed)
    n, d, count = 20, 6, np.array([2.0])
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    w = rng.standard_normal(d)
    logits = rng.standard_normal((1, d))

    def objective(u):
        return expected_mask_loss(X, y, w, expit(u + density_shift(u, count)[:, None])[0])

    keep = expit(logits + density_shift(logits, count)[:, None])
    gradient = constrained_logit_gradient(keep, expected_mask_loss_grad(X, y, w, keep[0])[None, :])[0]
    assert abs(gradient.sum()) < 1e-12 * np.abs(gradient).sum() + 1e-15
    h = 1e-5
    numeric = [(objective(logits + h * e) - objective(logits - h * e)) / (2 * h) for e in np.eye(d)]
    np.testing.assert_allclose(gradient, numeric, atol=1e-7)


def test_flip_estimator_is_unbiased_in_the_linear_model(seed):
    """Mean of flip differences over sampled masks vs ∇_p E_m L (theory.masks): Bonferroni z-bound."""
    rng = np.random.default_rng(seed)
    n, d, samples = 25, 6, 3000
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    w = rng.standard_normal(d)
    keep = rng.uniform(0.1, 0.9, d)
    params = mlp.Params([np.broadcast_to(w, (samples, 1, d)).copy()], None)
    masks = [(rng.random((samples, 1, d)) < keep).astype(np.float64)]
    estimates = mlp.flip_differences(params, X, y, "mse", masks)[0][:, 0, :]
    se = estimates.std(axis=0, ddof=1) / np.sqrt(samples)
    error = np.abs(estimates.mean(axis=0) - expected_mask_loss_grad(X, y, w, keep))
    assert np.all(error <= norm.isf(FALSE_FAILURE_RATE / (2 * d)) * se)


def test_linear_fine_tuning_keeps_the_expected_density_and_thresholds_exactly(seed):
    rng = np.random.default_rng(seed)
    B, n, d, k = 3, 30, 10, 3
    X = rng.standard_normal((B, n, d))
    w = rng.standard_normal((B, d))
    y = np.einsum("bnd,bd->bn", X, w) + rng.standard_normal((B, n))
    masks = np.zeros((B, d))
    masks[:, :k] = 1
    keep = fine_tune_linear(X, y, w, masks, FineTuneSettings(steps=30))
    np.testing.assert_allclose(keep.sum(axis=1), k, rtol=1e-10)
    thresholded = top_k_masks([keep[:, None, :]], k / d, PruneSettings())[0]
    np.testing.assert_array_equal(thresholded.sum(axis=(1, 2)), k)
    with pytest.raises(ValueError, match="shapes"):
        fine_tune_linear(X[0], y, w, masks, FineTuneSettings())


def test_network_fine_tuning_respects_groups_and_is_deterministic(seed):
    rng = np.random.default_rng(seed)
    params = mlp.init_params((5, 4, 3), 2, rng)
    X = rng.standard_normal((2, 12, 5))
    Y = rng.integers(0, 3, (2, 12))
    settings = PruneSettings(prunable=(True, False))
    masks = random_masks(params, 0.25, rng, settings)
    tuning = FineTuneSettings(steps=5, batch_size=4)
    keep = fine_tune_network(params, masks, X, Y, "cross_entropy", tuning, settings, seed)
    again = fine_tune_network(params, masks, X, Y, "cross_entropy", tuning, settings, seed)
    for a, b in zip(keep, again):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(keep[0].sum(axis=(1, 2)), masks[0].sum(axis=(1, 2)), rtol=1e-10)
    np.testing.assert_array_equal(keep[1], 1.0)


def test_linear_keep_risk_is_m2_for_the_population_design(seed):
    rng = np.random.default_rng(seed)
    d = 7
    teacher, w, keep = rng.standard_normal(d), rng.standard_normal(d), rng.uniform(0, 1, d)
    design = np.sqrt(d) * np.eye(d)
    expected = expected_mask_loss(design, design @ teacher, w, keep) + pf.LINEAR["noise"] ** 2
    assert pf.linear_keep_risk(teacher[None], w[None], keep[None])[0] == pytest.approx(expected, rel=1e-12)


def test_derive_k2_results():
    assert set(derive_k2().results) == {"logit_gradient", "flip_mean", "orthogonal_objective"}


@pytest.mark.parametrize("field, value", [("steps", 0), ("lr", -1.0), ("uncertainty", 1.0), ("batch_size", 0)])
def test_bad_fine_tune_settings_raise(field, value):
    with pytest.raises(ValueError, match=field):
        FineTuneSettings(**{field: value})


def test_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    images, labels = pf.digits()
    reference = load_digits()
    np.testing.assert_array_equal(images, reference.data / 16.0)
    np.testing.assert_array_equal(labels, reference.target)


@pytest.mark.parametrize("kind, settings", [("K1", MICRO), ("K2", MICRO_TUNING)])
def test_experiments_have_their_shapes_and_the_figure_shows_the_checked_run(kind, settings):
    out = pf.run_experiment(kind, 11, **settings)
    P, D, S = len(out["pruners"]), len(settings["densities"]), settings["n_seeds"]
    keys = ("error",) if kind == "K1" else ("baseline", "stochastic", "thresholded")
    for name in pf.PROBLEMS:
        for key in keys:
            assert out[f"{name}_{key}"].shape == (P, D, S)
            assert np.all(np.isfinite(out[f"{name}_{key}"]))
        assert out[f"{name}_dense"].shape == (S,)
    simulate = pf.pruning_at_initialisation if kind == "K1" else pf.probabilistic_fine_tuning
    figure = simulate(4, **settings)
    checked = pf.run_experiment(kind, pf.experiment_seed(claim_rng(4, kind)), **settings)
    for key, value in figure.items():
        np.testing.assert_array_equal(value, checked[key])


def test_experiment_settings_are_validated():
    with pytest.raises(ValueError, match="n_seeds"):
        pf.run_experiment("K1", 0, **(MICRO | {"n_seeds": 1}))
    with pytest.raises(ValueError, match="epochs"):
        pf.run_experiment("K1", 0, **(MICRO | {"epochs": 2}))
    with pytest.raises(ValueError, match="kind"):
        pf.run_experiment("K3", 0, **MICRO)


def test_one_sided_p():
    assert one_sided_p(np.array([1.0, 2.0]), np.array([2.0, 3.0])) == 0.0
    assert one_sided_p(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 1.0
    assert one_sided_p(np.array([0.1, 0.2, 0.15, 0.12]), np.array([0.5, 0.6, 0.55, 0.7])) < 0.01
    assert one_sided_p(np.array([0.5, 0.6, 0.55, 0.7]), np.array([0.1, 0.2, 0.15, 0.12])) > 0.99
