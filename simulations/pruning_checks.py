"""Checks of claims K1 (pruners at initialisation) and K2 (probabilistic fine-tuning of masks).

`check_k1(profile, rng)` and `check_k2(profile, rng)` return lists of `CheckResult`s. The experiments
are those of the figures (`simulations.pruning_figures.run_experiment`) with the registry's settings of
the profile (one spec, two sides) and the first draw of `rng` as seed, so the figure drawn for the same
root seed shows the very run that was verified; the property and estimator checks use SIZES.

Statistics: comparisons between methods are one-sided paired t-tests over the repetitions (each
repetition draws its own data, initialisation and masks) at level LEVEL = 0.05. A claim of the form
"A beats B in every case" is an intersection of such tests, each at level LEVEL (no multiplicity
correction is needed for an intersection). Monte Carlo comparisons use z·se at the false-failure
rate 1e-6, Bonferroni-corrected over coordinates; exact ones a rounding bound.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from scipy.stats import norm, ttest_rel

from simulations import mlp
from simulations.fine_tuning import (
    FineTuneSettings,
    constrained_logit_gradient,
    density_shift,
    fine_tune_linear,
)
from simulations.pruners import PRUNERS, PruneSettings, dissipating_gradients, kept_count, prune
from simulations.pruning_figures import PROBLEMS, experiment_seed, problem, run_experiment, sample_data
from sparsetheory.checks import FALSE_FAILURE_RATE, at_most, close, rounding_tolerance
from sparsetheory.registry import FIGURES_BY_NAME
from theory.masks import expected_mask_loss, expected_mask_loss_grad
from theory.pruning import derive_k1, derive_k2

LEVEL = 0.05
LOW_DENSITY = 0.1  # K1: [K]'s claims are tested on the mean test error over densities ≤ this
NETWORKS = ("two_layer", "digits")
SAMPLING = ("random", "k_starts", "k_starts_dissipating")  # pruners that draw random masks  # K2: [H]'s claim is about neural networks
SIZES = {
    "tiny": dict(property_seeds=1, orthogonal_d=12, mc_samples=400, flip_n=6, orthogonal_steps=100),
    "quick": dict(property_seeds=2, orthogonal_d=40, mc_samples=4000, flip_n=20, orthogonal_steps=300),
    "full": dict(property_seeds=3, orthogonal_d=100, mc_samples=40_000, flip_n=40, orthogonal_steps=1000),
}
NAMES = {"random": "random", "magnitude": "magnitude", "snip": "SNIP", "k_starts": "K-starts",
         "dissipating": "DG", "k_starts_dissipating": "KS+DG"}


def experiment_settings(figure: str, profile: str) -> dict:
    return dict(FIGURES_BY_NAME[figure].settings[profile])


def one_sided_p(treated: np.ndarray, baseline: np.ndarray) -> float:
    """p-value of the paired t-test of H1: mean(treated − baseline) < 0. All differences equal: p = 0
    if they are negative, else 1 (the t statistic is undefined, the evidence is not)."""
    difference = np.asarray(treated, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    if np.all(difference == difference[0]):
        return 0.0 if difference[0] < 0 else 1.0
    return float(ttest_rel(treated, baseline, alternative="less").pvalue)


# --------------------------------------------------------------------------- K1


def _property_records(profile: str, rng) -> list:
    """Exact density, 0/1 entries, masked weights stay zero through training, determinism — every pruner on
    every problem (a small batch of networks at two densities), per layer and, where more than one layer
    is pruned, globally."""
    settings = experiment_settings("fig_pruning_density", profile)
    seeds = SIZES[profile]["property_seeds"]
    deviation = non_binary = leaked = mismatched = unchanged = 0
    cases = 0
    for name in PROBLEMS:
        spec = problem(name, settings["hidden"])
        data = sample_data(name, seeds, rng)
        densities = np.repeat([settings["densities"][0], settings["densities"][-1]], seeds)
        index = np.tile(np.arange(seeds), 2)
        initial = mlp.init_params(spec.sizes, len(index), rng, bias=spec.bias)
        X, Y = data["X"][index], data["Y"][index]
        for scope in ("layer", "global") if sum(spec.prunable) > 1 else ("layer",):
            prune_settings = PruneSettings(scope=scope, prunable=spec.prunable, lr=spec.lr,
                                           batch_size=spec.batch_size, starts=2, epochs=1,
                                           fraction=settings["fraction"])
            for pruner in PRUNERS:
                seed = experiment_seed(rng)
                masks, start, used = prune(pruner, initial, X, Y, spec.loss, densities, seed, prune_settings)
                again, _, _ = prune(pruner, initial, X, Y, spec.loss, densities, seed, prune_settings)
                other, _, _ = prune(pruner, initial, X, Y, spec.loss, densities, seed + 1, prune_settings)
                trained = mlp.train(start, X, Y, spec.loss, epochs=2, lr=spec.lr, batch_size=spec.batch_size,
                                    rng=rng, masks=masks)
                layers = [l for l, flag in enumerate(spec.prunable) if flag]
                counts = [np.sum(masks[l], axis=(1, 2)) for l in layers]
                sizes = [masks[l][0].size for l in layers]
                if scope == "layer":
                    deviation += sum(int(np.sum(np.abs(c - kept_count(n, densities)))) for c, n in zip(counts, sizes))
                else:
                    deviation += int(np.sum(np.abs(sum(counts) - kept_count(sum(sizes), densities))))
                non_binary += sum(int(np.sum((m != 0) & (m != 1))) for m in masks)
                checked = trained.weights + (start.weights if used else [])
                leaked += sum(int(np.sum((w != 0) & (m == 0))) for w, m in zip(checked, masks + masks))
                mismatched += sum(int(np.sum(a != b)) for a, b in zip(masks, again))
                unchanged += pruner in SAMPLING and all(
                    np.array_equal(a, b) for a, b in zip(masks, other))
                cases += 1
    label = f"{cases} cases (pruner, scope, problem)"
    return [
        close("K1", "exact-density", f"|kept − round(density·N)| summed over groups, {label}", "enumeration",
              0, deviation, 0),
        close("K1", "binary", f"mask entries other than 0 or 1, {label}", "enumeration", 0, non_binary, 0),
        close("K1", "masked-stay-zero", f"non-zero masked weights after the pruner and 2 epochs of SGD, {label}",
              "enumeration", 0, leaked, 0),
        close("K1", "deterministic", f"mask entries differing between two runs with one seed, {label}",
              "enumeration", 0, mismatched, 0),
        close("K1", "seed-used", "cases of random, K-starts, KS+DG whose masks do not change with the seed",
              "enumeration",
              0, unchanged, 0),
    ]


def _orthogonal_records(profile: str, rng) -> list:
    """derive_k1 on an orthogonal design (XᵀX = nI, y = Xw*): full-batch SGD is population gradient
    descent, so after one epoch |w_1 − w_0|/|w_0| = c_1|w* − w_0|/|w_0| with c_1 = 2η, and dissipating
    gradients at density s/d with f ≥ c_1 keeps exactly the support when every support weight has
    c_1|w*/w_0 − 1| > c_1 (true here: |w_0| ≤ 0.05·4 ≪ 1 ≤ |w*|)."""
    d = SIZES[profile]["orthogonal_d"]
    active, lr = max(2, d // 10), 0.1
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = np.sqrt(d) * q
    teacher = np.zeros(d)
    support = rng.choice(d, active, replace=False)
    teacher[support] = rng.uniform(1.0, 2.0, active) * rng.choice((-1.0, 1.0), active)
    y = X @ teacher
    initial = mlp.Params([0.05 * rng.standard_normal((1, 1, d))], None)
    w0 = initial.weights[0][0, 0]
    stepped, _ = mlp.sgd_epoch(initial, X, y, "mse", lr=lr, batch_size=d, rng=rng)
    relative = np.abs(stepped.weights[0][0, 0] - w0) / np.abs(w0)
    c1 = 1 - (1 - 2 * lr)
    predicted = c1 * np.abs(teacher - w0) / np.abs(w0)
    # each step sums d products of size ≤ |X|·(|w_0| + |w*|) twice; the division by |w_0| scales the error
    scale = (np.abs(w0) + 2 * lr * d * np.max(np.abs(X)) ** 2 * (np.max(np.abs(w0)) + np.max(np.abs(teacher)))) \
        / np.abs(w0)
    normalised = np.max(np.abs(relative - predicted) / scale)
    settings = PruneSettings(scope="layer", lr=lr, batch_size=d, epochs=2, fraction=c1 + 0.25)
    masks, _, _ = dissipating_gradients(initial, X, y, "mse", active / d, rng, settings)
    disagreements = int(np.sum(masks[0][0, 0].astype(bool) != (teacher != 0)))
    return [
        close("K1", "dg-relative-change", f"orthogonal design, d = {d}: max_j |relative change after one step − "
              "c_1|w*−w_0|/|w_0|| / scale_j (rounding bound: 4d·eps)", "finite difference", 0, normalised,
              rounding_tolerance(1.0, 4 * d)),
        close("K1", "dg-support", f"orthogonal design: dissipating-gradients mask at density {active}/{d} vs "
              "the teacher's support, disagreements", "enumeration", 0, disagreements, 0),
    ]


def _low_density_mean(errors: np.ndarray, densities: np.ndarray) -> np.ndarray:
    """Per pruner and repetition, the mean test error over the densities ≤ LOW_DENSITY: (P, S)."""
    low = densities <= LOW_DENSITY + 1e-12
    if not np.any(low):
        low = densities == densities.min()
    return errors[:, low, :].mean(axis=1)


def check_k1(profile: str, rng: np.random.Generator):
    derive_k1()
    out = run_experiment("K1", experiment_seed(rng), **experiment_settings("fig_pruning_density", profile))
    results = _property_records(profile, rng) + _orthogonal_records(profile, rng)
    order = list(out["pruners"])
    combined = order.index("k_starts_dissipating")
    for name in PROBLEMS:
        low = _low_density_mean(out[f"{name}_error"], out["densities"])
        for rival in ("random", "k_starts", "dissipating"):
            other = order.index(rival)
            results.append(at_most(
                "K1", f"{name}-ksdg-vs-{rival}",
                f"{name}: KS+DG better than {NAMES[rival]} in mean test error at densities ≤ {LOW_DENSITY} "
                f"({low[combined].mean():.3g} vs {low[other].mean():.3g}, {low.shape[1]} repetitions): "
                "one-sided paired t-test p", "statistic", LEVEL, one_sided_p(low[combined], low[other])))
    return results


# --------------------------------------------------------------------------- K2


def _estimator_records(profile: str, rng) -> list:
    """The flip-difference estimator: unbiased for ∇_p E_m L in the linear model (Monte Carlo vs the exact
    gradient of theory.masks), and exact flip differences in networks (vs recomputed losses)."""
    size = SIZES[profile]
    n, d, samples = 30, 8, size["mc_samples"]
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    w = rng.standard_normal(d)
    keep = rng.uniform(0.1, 0.9, d)
    params = mlp.Params([np.broadcast_to(w, (samples, 1, d)).copy()], None)
    masks = [(rng.random((samples, 1, d)) < keep).astype(np.float64)]
    estimates = mlp.flip_differences(params, X, y, "mse", masks)[0][:, 0, :]
    exact = expected_mask_loss_grad(X, y, w, keep)
    se = estimates.std(axis=0, ddof=1) / np.sqrt(samples)
    z = float(norm.isf(FALSE_FAILURE_RATE / (2 * d)))
    results = [close("K2", "estimator-unbiased", f"linear model, d = {d}: max_j |mean of {samples} flip differences "
                     "− exact ∂E L/∂p_j| / (z·se_j), z Bonferroni over j", "monte carlo", 0,
                     np.max(np.abs(estimates.mean(axis=0) - exact) / (z * se)), 1)]

    worst, scale, entries = 0.0, 0.0, 0
    for sizes, loss in (((6, 5, 1), "mse"), ((6, 5, 3), "cross_entropy")):
        net = mlp.init_params(sizes, 1, rng)
        n_flip = size["flip_n"]
        Xf = rng.standard_normal((n_flip, sizes[0]))
        Yf = rng.integers(0, sizes[-1], n_flip) if loss == "cross_entropy" else rng.standard_normal((n_flip, 1))
        mask = [(rng.random(w_.shape) < 0.5).astype(np.float64) for w_ in net.weights]
        flips = mlp.flip_differences(net, Xf, Yf, loss, mask)
        for layer, layer_mask in enumerate(mask):
            for entry in np.ndindex(layer_mask.shape):
                on = [m.copy() for m in mask]
                off = [m.copy() for m in mask]
                on[layer][entry], off[layer][entry] = 1.0, 0.0
                loss_on = mlp.loss_and_grad(net, Xf, Yf, loss, on)[0][0]
                loss_off = mlp.loss_and_grad(net, Xf, Yf, loss, off)[0][0]
                worst = max(worst, abs(flips[layer][entry] - (loss_on - loss_off)))
                scale = max(scale, abs(loss_on) + abs(loss_off))
                entries += 1
    results.append(close("K2", "flip-exact", f"networks (mse and cross-entropy): max |flip difference − "
                         f"recomputed L(m_j=1) − L(m_j=0)| over {entries} entries", "enumeration", 0, worst,
                         rounding_tolerance(scale, 4 * size["flip_n"] * 30)))
    return results


def _logit_gradient_record(rng) -> object:
    """∂F/∂u of F(σ(u + τ(u))) (exact F of theory.masks) against central differences along a random
    direction; tolerance: the Richardson estimate |D(h) − D(h/2)| of the O(h²) error plus rounding."""
    n, d = 30, 8
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    w = rng.standard_normal(d)
    logits = rng.standard_normal((1, d))
    count = np.array([3.0])

    def objective(u):
        return expected_mask_loss(X, y, w, expit(u + density_shift(u, count)[:, None])[0])

    keep = expit(logits + density_shift(logits, count)[:, None])
    analytic = constrained_logit_gradient(keep, expected_mask_loss_grad(X, y, w, keep[0])[None, :])[0]
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)

    def central(h):
        return (objective(logits + h * direction) - objective(logits - h * direction)) / (2 * h)

    h = 1e-3
    coarse, fine = central(h), central(h / 2)
    value = objective(logits)
    tolerance = abs(coarse - fine) + rounding_tolerance(abs(value), 4 * n * d) / (h / 2)
    return close("K2", "logit-gradient", "density-constrained ∂F/∂u along a random direction vs central "
                 "differences (linear model, d = 8, k = 3)", "finite difference", analytic @ direction, fine, tolerance)


def _orthogonal_record(profile: str, rng) -> object:
    """derive_k2: for XᵀX = nI and least-squares weights, fine-tuning from a random mask ends at the
    magnitude mask (the constrained minimiser of the linear objective)."""
    d = SIZES[profile]["orthogonal_d"]
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = np.sqrt(d) * q
    y = X @ rng.standard_normal(d) + rng.standard_normal(d)
    w = X.T @ y / d
    k = d // 4
    start = np.zeros(d)
    start[rng.choice(d, k, replace=False)] = 1.0
    keep = fine_tune_linear(X[None], y[None], w[None], start[None],
                            FineTuneSettings(steps=SIZES[profile]["orthogonal_steps"], lr=0.3, uncertainty=0.2))[0]
    tuned = np.zeros(d, dtype=bool)
    tuned[np.argsort(-keep, kind="stable")[:k]] = True
    magnitude = np.zeros(d, dtype=bool)
    magnitude[np.argsort(-np.abs(w), kind="stable")[:k]] = True
    return close("K2", "orthogonal-magnitude", f"orthogonal design, least-squares weights (d = {d}, k = {k}): "
                 "fine-tuned from a random mask and thresholded vs the magnitude mask, disagreements",
                 "optimisation", 0, int(np.sum(tuned != magnitude)), 0)


def check_k2(profile: str, rng: np.random.Generator):
    derive_k2()
    out = run_experiment("K2", experiment_seed(rng), **experiment_settings("fig_pruning_fine_tuning", profile))
    results = _estimator_records(profile, rng) + [_logit_gradient_record(rng), _orthogonal_record(profile, rng)]
    order = list(out["pruners"])
    for name in NETWORKS:
        baseline = out[f"{name}_baseline"].mean(axis=1)  # (P, S): mean over densities
        thresholded = out[f"{name}_thresholded"].mean(axis=1)
        for i, pruner in enumerate(order):
            results.append(at_most(
                "K2", f"{name}-{pruner}",
                f"{name}, {NAMES[pruner]}: fine-tuned and thresholded better than baseline in test error, averaged over "
                f"densities ({thresholded[i].mean():.3g} vs {baseline[i].mean():.3g}, {baseline.shape[1]} "
                "repetitions): one-sided paired t-test p", "statistic", LEVEL, one_sided_p(thresholded[i], baseline[i])))
    return results
