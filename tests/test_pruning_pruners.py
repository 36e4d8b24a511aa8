"""Pruners of claim K1: exact density, 0/1 masks, masked weights stay zero, determinism, and what each
pruner keeps. `seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from simulations import mlp
from simulations.pruners import (
    PRUNERS,
    PruneSettings,
    dissipating_gradients,
    k_starts,
    kept_count,
    magnitude_masks,
    prune,
    random_masks,
    top_k_masks,
)
from theory.pruning import derive_k1

SIZES = (6, 5, 3)


def _data(rng, n_networks=3, n=24):
    params = mlp.init_params(SIZES, n_networks, rng)
    X = rng.standard_normal((n_networks, n, SIZES[0]))
    Y = rng.integers(0, SIZES[-1], (n_networks, n))
    return params, X, Y


def _counts(masks, settings):
    layers = [l for l, flag in enumerate(settings.prunable or (True,) * len(masks)) if flag]
    per_layer = [masks[l].reshape(masks[l].shape[0], -1).sum(axis=1) for l in layers]
    sizes = [masks[l][0].size for l in layers]
    return per_layer, sizes


@pytest.mark.parametrize("name", PRUNERS)
@pytest.mark.parametrize("scope", ("layer", "global"))
def test_every_pruner_returns_binary_masks_of_exact_density_that_stay_zero(name, scope, seed):
    rng = np.random.default_rng(seed)
    params, X, Y = _data(rng)
    density = np.array([0.5, 0.2, 0.1])  # one density per network
    settings = PruneSettings(scope=scope, lr=0.2, batch_size=8, starts=3, epochs=2)
    masks, start, used = prune(name, params, X, Y, "cross_entropy", density, seed, settings)
    per_layer, sizes = _counts(masks, settings)
    if scope == "layer":
        for count, size in zip(per_layer, sizes):
            np.testing.assert_array_equal(count, kept_count(size, density))
    else:
        np.testing.assert_array_equal(sum(per_layer), kept_count(sum(sizes), density))
    assert all(set(np.unique(m)) <= {0.0, 1.0} for m in masks)
    assert used == {"k_starts": 2, "dissipating": 2, "k_starts_dissipating": 4}.get(name, 0)
    trained = mlp.train(start, X, Y, "cross_entropy", epochs=3, lr=0.2, batch_size=8, rng=rng, masks=masks)
    for weight, mask in zip(trained.weights + (start.weights if used else []), masks + masks):
        assert np.all(weight[mask == 0] == 0)
    again = prune(name, params, X, Y, "cross_entropy", density, seed, settings)[0]
    for a, b in zip(masks, again):
        np.testing.assert_array_equal(a, b)


@given(density=st.floats(0.01, 1.0), size=st.integers(1, 300))
def test_kept_count_is_the_rounded_density_or_an_error(density, size):
    if round(density * size) < 1:
        with pytest.raises(ValueError, match="density"):
            kept_count(size, density)
    else:
        assert kept_count(size, density) == np.rint(density * size)


@pytest.mark.parametrize("density", (0.0, -0.1, 1.5, np.nan))
def test_invalid_densities_raise(density):
    with pytest.raises(ValueError, match="density"):
        kept_count(10, density)


def test_top_k_breaks_ties_by_lower_index_and_keeps_unprunable_layers():
    scores = [np.ones((1, 2, 3)), np.arange(4.0).reshape(1, 2, 2)]
    masks = top_k_masks(scores, 0.5, PruneSettings(prunable=(True, False)))
    np.testing.assert_array_equal(masks[0].ravel(), [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(masks[1], np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="scores"):
        top_k_masks([np.full((1, 2, 2), np.nan)], 0.5, PruneSettings())


def test_magnitude_keeps_the_largest_weights(seed):
    params = mlp.init_params(SIZES, 2, seed)
    masks = magnitude_masks(params, 0.3, PruneSettings())
    for weight, mask in zip(params.weights, masks):
        for w, m in zip(weight, mask):
            assert np.min(np.abs(w[m == 1])) >= np.max(np.abs(w[m == 0]))


def test_random_masks_are_uniform(seed):
    """Each position is kept with probability k/N: a binomial count over R draws, Bonferroni-corrected
    z-bound at false-failure rate 1e-6."""
    draws, N, density = 4000, 20, 0.25
    params = mlp.Params([np.zeros((draws, 4, 5))], None)
    counts = random_masks(params, density, seed, PruneSettings())[0].sum(axis=0).ravel()
    p = kept_count(N, density) / N
    z = (counts - draws * p) / np.sqrt(draws * p * (1 - p))
    assert np.max(np.abs(z)) < norm.isf(1e-6 / (2 * N))


def test_snip_on_all_data_ranks_by_gradient_times_weight(seed):
    rng = np.random.default_rng(seed)
    params, X, Y = _data(rng, n=16)
    settings = PruneSettings(snip_batch=16)
    masks = prune("snip", params, X, Y, "cross_entropy", 0.3, seed, settings)[0]
    _, grads = mlp.loss_and_grad(params, X, Y, "cross_entropy")
    expected = top_k_masks([np.abs(g * w) for g, w in zip(grads.weights, params.weights)], 0.3, settings)
    for a, b in zip(masks, expected):
        np.testing.assert_array_equal(a, b)


def test_k_starts_survivor_is_a_trained_candidate(seed):
    rng = np.random.default_rng(seed)
    params, X, Y = _data(rng)
    for fitness in ("weight", "gradient", "combined"):
        settings = PruneSettings(starts=4, epochs=1, fitness=fitness, lr=0.2, batch_size=8)
        masks, survivor, used = k_starts(params, X, Y, "cross_entropy", 0.4, seed, settings)
        assert used == 1
        for weight, start, mask in zip(survivor.weights, params.weights, masks):
            assert np.all(weight[mask == 0] == 0)
            assert not np.array_equal(weight[mask == 1], start[mask == 1])  # it was trained


def test_dissipating_gradients_with_zero_fraction_keeps_the_largest_relative_change(seed):
    """With f = 0 nothing is removed before the last epoch; full-batch training is deterministic up to
    the order of the sum, so the mask is the top-k of |w_E − w_0|/|w_0| of the dense network."""
    rng = np.random.default_rng(seed)
    params, X, Y = _data(rng, n=12)
    settings = PruneSettings(fraction=0.0, epochs=2, lr=0.2, batch_size=12)
    masks, _, _ = dissipating_gradients(params, X, Y, "cross_entropy", 0.3, seed, settings)
    dense = mlp.train(params, X, Y, "cross_entropy", epochs=2, lr=0.2, batch_size=12, rng=seed)
    relative = [np.abs(w - w0) / np.abs(w0) for w, w0 in zip(dense.weights, params.weights)]
    for a, b in zip(masks, top_k_masks(relative, 0.3, settings)):
        np.testing.assert_array_equal(a, b)


def test_dissipating_gradients_recovers_the_support_of_an_orthogonal_linear_teacher(seed):
    """derive_k1: with XᵀX = nI and y = Xw*, full-batch steps move every off-support weight by the same
    relative amount c_t = 1 − (1 − 2η)^t, so with c_1 ≤ f they all go after the first epoch."""
    rng = np.random.default_rng(seed)
    d, active, lr = 30, 3, 0.1
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = np.sqrt(d) * q
    teacher = np.zeros(d)
    teacher[rng.choice(d, active, replace=False)] = rng.uniform(1, 2, active) * rng.choice((-1, 1), active)
    params = mlp.Params([0.05 * rng.standard_normal((1, 1, d))], None)
    settings = PruneSettings(lr=lr, batch_size=d, epochs=2, fraction=2 * lr + 0.2)
    masks, trained, _ = dissipating_gradients(params, X, X @ teacher, "mse", active / d, seed, settings)
    np.testing.assert_array_equal(masks[0][0, 0] == 1, teacher != 0)


def test_derive_k1_results():
    results = derive_k1().results
    assert set(results) >= {"trajectory", "displacement", "null_relative_change", "relative_change", "snip_score"}
    assert str(results["null_relative_change"]) == "c_t"


@pytest.mark.parametrize("field, value", [("scope", "row"), ("fitness", "speed"), ("starts", 0), ("epochs", 0),
                                          ("lr", 0.0), ("mix", 1.5), ("fraction", -1.0), ("batch_size", 0)])
def test_bad_settings_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        PruneSettings(**{field: value})


def test_unknown_pruner_and_unprunable_settings_raise():
    params, X, Y = _data(np.random.default_rng(0))
    with pytest.raises(ValueError, match="name"):
        prune("lottery", params, X, Y, "cross_entropy", 0.5, 0, PruneSettings())
    with pytest.raises(ValueError, match="prunable"):
        prune("random", params, X, Y, "cross_entropy", 0.5, 0, PruneSettings(prunable=(False, False)))
