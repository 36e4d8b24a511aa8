"""Every registered figure runs at its tiny size, deterministically, and draws and saves; the data of the
claim-M figures pass the checks they illustrate (Monte Carlo vs closed form, gradient-flow endpoints,
regularisation paths vs cvxpy). `seed` is the shared fixture of conftest.py (SPARSETHEORY_SEEDS)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy.stats import norm

from simulations import linear_figures as lf
from sparsetheory.registry import FIGURES, FIGURES_BY_NAME, resolve
from theory.masks import expected_mask_loss

FALSE_FAILURE_RATE = 1e-6
EPS = np.finfo(np.float64).eps
NEAR_VERTEX = 0.05
ODE_SLACK = 1e-6  # logit_gradient_flow solves with rtol 1e-8, atol 1e-10 on the logits


def settings(name: str, profile: str) -> dict:
    return FIGURES_BY_NAME[name].settings[profile]


# --------------------------------------------------------------------------- every figure


@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f.name)
def test_figure_is_deterministic_draws_and_saves(figure, seed, tmp_path):
    simulate, draw = resolve(figure.simulate), resolve(figure.draw)
    results = simulate(seed, **figure.settings["tiny"])
    again = simulate(seed, **figure.settings["tiny"])
    other = simulate(seed + 1, **figure.settings["tiny"])
    assert results.keys() == again.keys()
    for key, value in results.items():
        assert isinstance(value, np.ndarray), key
        np.testing.assert_array_equal(value, again[key], err_msg=key)
    assert any(not np.array_equal(value, other[key]) for key, value in results.items()), "seed ignored"

    archive = tmp_path / "results.npz"  # the cache's format: plain arrays, no pickles
    np.savez(archive, **results)
    with np.load(archive) as loaded:
        cached = {key: loaded[key] for key in loaded.files}
    before = {key: value.copy() for key, value in cached.items()}
    fig = draw(cached)
    assert isinstance(fig, Figure)
    for key, value in before.items():
        np.testing.assert_array_equal(cached[key], value, err_msg=f"draw modified {key}")
    for suffix in ("pdf", "png"):
        path = tmp_path / f"{figure.name}.{suffix}"
        fig.savefig(path)
        assert path.stat().st_size > 1000
    if figure.table is not None:
        caption, header, rows = resolve(figure.table)(cached)
        assert caption and rows and all(len(row) == len(header) for row in rows)


# --------------------------------------------------------------------------- fig_penalty_terms (M1, M2)


def test_penalty_monte_carlo_agrees_with_closed_forms(seed):
    """|estimate − closed form| ≤ z·se + rounding at every Monte Carlo point.

    z is Bonferroni-corrected so that the whole test fails with probability 1e-6 for correct code
    (normal approximation; for this d = 1 problem the estimate is a binomial proportion, and at the
    quick size's 4000 masks the exact binomial false-failure rate is about 1.3e-6). Where p ∈ {0, 1}
    or w = 0 every sampled mask gives the same loss, se = 0, and only the rounding term remains:
    each loss sums n squares, the mean sums n_samples losses, and L(mean weight) is one more loss.
    """
    r = lf.penalty_terms(seed, **settings("fig_penalty_terms", "quick"))
    index = r["mc_index"]
    estimate = np.concatenate([r["dropout_mc"], r["mask_mc"]])
    theory = np.concatenate([r["dropout_penalty"][:, index], r["mask_penalty"][:, index]])
    se = np.concatenate([r["dropout_mc_se"], r["mask_mc_se"]])
    scale = np.concatenate([r["dropout_mc_scale"], r["mask_mc_scale"]])
    z = norm.isf(FALSE_FAILURE_RATE / 2 / estimate.size)
    rounding = 2 * (2 * lf.PENALTY_N + int(r["n_samples"])) * EPS * scale
    error = np.abs(estimate - theory)
    assert np.all(error <= z * se + rounding), np.max(error / (z * se + rounding))
    # the comparison has power: the error bars are small next to the penalties they test
    assert np.median(z * se[theory > 0] / theory[theory > 0]) < 0.5


def test_penalty_curves_are_l2_in_w_and_kinked_l1_in_theta():
    r = lf.penalty_terms(0, **settings("fig_penalty_terms", "tiny"))
    energy = float(r["energy"])
    np.testing.assert_allclose(energy, 1.0, rtol=1e-12)
    w, keep = r["w_grid"], r["dropout_keep"]
    np.testing.assert_allclose(r["dropout_penalty"], ((1 - keep) / keep)[:, None] * w**2 * energy, rtol=1e-14)
    for theta, magnitude, curve in zip(r["theta_grid"], r["mask_weight"], r["mask_penalty"]):
        p = np.abs(theta) / magnitude  # keep probability giving θ = p·w
        np.testing.assert_allclose(curve, p * (1 - p) * magnitude**2 * energy, rtol=1e-12, atol=1e-15)
        # right/left derivatives at θ = 0 are ±|w|·e: an L1 kink, not a smooth minimum
        assert curve[len(curve) // 2] == 0.0
        step = theta[1] - theta[0]
        slope = (curve[len(curve) // 2 + 1] - curve[len(curve) // 2]) / step
        np.testing.assert_allclose(slope, magnitude * energy - step * energy, rtol=1e-10)


# --------------------------------------------------------------------------- fig_keep_trajectories (M3, M4)


def certified_margins(r):
    """Score and the margins by which ∂E/∂p_j keeps one sign over the whole box [0, 1]^d.

    ∂E_m L/∂p_j = −2(s_j − κ_j(p)), s_j = w_j a_j − w_j²G_jj/(2n), κ_j(p) = Σ_{k≠j} (w_j G_jk w_k/n)·p_k,
    whose range over the box is [Σ_k min(0, ·), Σ_k max(0, ·)]. keep_margin > 0: p_j only rises;
    prune_margin > 0: p_j only falls.
    """
    X, y, w = r["X"], r["y"], r["w"]
    n = X.shape[0]
    gram = X.T @ X / n
    score = w * (X.T @ y / n) - w**2 * np.diag(gram) / 2
    coupling = w[:, None] * gram * w[None, :]
    np.fill_diagonal(coupling, 0.0)
    return score, score - np.maximum(coupling, 0).sum(axis=1), np.minimum(coupling, 0).sum(axis=1) - score


def time_to_near_vertex(margin):
    """Latest time by which p_j is within 0.05 of its vertex: dp/dt ≥ 2m·p²(1−p)² from p = ½."""
    def antiderivative(p):  # of 1/(p²(1−p)²)
        return -1 / p + 2 * np.log(p) - 2 * np.log1p(-p) + 1 / (1 - p)
    return (antiderivative(1 - NEAR_VERTEX) - antiderivative(0.5)) / (2 * margin)


@pytest.mark.parametrize("profile", ["tiny", "quick"])
def test_trajectories_end_near_binary_masks(seed, profile):
    r = lf.keep_trajectories(seed, **settings("fig_keep_trajectories", profile))
    final = r["keep"][-1]
    near = np.minimum(final, 1 - final) <= NEAR_VERTEX
    assert near.mean() >= 0.8, f"only {near.mean():.2f} of the coordinates end near 0 or 1"


@pytest.mark.parametrize("size", [{"n": 4000, "d": 8, "n_times": 20}, "quick"])
def test_certified_coordinates_follow_the_score(seed, size):
    """Where the gradient's sign is fixed on the whole box, the flow obeys the orthogonal rule.

    Property tested (exact, any design): every coordinate with keep_margin > 0 rises monotonically,
    ends above ½ (so kept ⇔ s_j > 0 there, since keep_margin > 0 implies s_j > 0), and is within
    0.05 of 1 once t_end exceeds its guaranteed time; likewise for prune_margin > 0. For a
    near-orthogonal design (n ≫ d) the coupling is O(1/√n), so most coordinates are certified.
    """
    size = settings("fig_keep_trajectories", "quick") if size == "quick" else size
    r = lf.keep_trajectories(seed, **size)
    score, keep_margin, prune_margin = certified_margins(r)
    np.testing.assert_allclose(r["score"], score, atol=1e-12 * np.max(np.abs(score)))
    tiny = 1e-9 * np.max(np.abs(score))  # rounding in the margins
    keep, t_end = r["keep"], r["times"][-1]
    for margin, sign, vertex in ((keep_margin, 1.0, 1.0), (prune_margin, -1.0, 0.0)):
        certified = margin > tiny
        assert np.all(sign * np.diff(keep[:, certified], axis=0) >= -ODE_SLACK)
        assert np.all(sign * (keep[-1, certified] - 0.5) > 0)
        assert np.all((score[certified] > 0) == (sign > 0))
        due = certified & (time_to_near_vertex(np.where(certified, margin, 1.0)) <= t_end)
        assert np.all(np.abs(keep[-1, due] - vertex) <= NEAR_VERTEX + ODE_SLACK)
    if size["n"] >= 100 * size["d"]:
        certified = (keep_margin > tiny) | (prune_margin > tiny)
        assert certified.sum() >= size["d"] / 2, "near-orthogonal design, yet few coordinates certified"
        kept = keep[-1] > 0.5
        assert np.all(kept[certified] == (r["score"][certified] > 0))


# --------------------------------------------------------------------------- fig_regularisation_paths (M5)


def test_dropout_path_shrinks_without_zeros(seed):
    """w(q) = (G + t·D)⁻¹Xᵀy, D = diag G, t = (1−q)/q: a ridge in v = D^½w, so ||D^½ w(q)|| falls
    strictly as q falls (the Euclidean norm need not be monotone when the column norms differ)."""
    r = lf.regularisation_paths(seed, **settings("fig_regularisation_paths", "quick"))
    q, path, X = r["keep_grid"], r["dropout_path"], r["X"]
    assert np.all(np.diff(q) > 0) and q[0] > 0 and q[-1] == 1.0
    assert np.all(path != 0), "dropout produced an exact zero"
    energy = np.einsum("ij,ij->j", X, X)
    norms = np.sqrt(path**2 @ energy)
    assert np.all(np.diff(norms) > 0)
    np.testing.assert_allclose(path[-1], np.linalg.lstsq(X, r["y"], rcond=None)[0], rtol=1e-9, atol=1e-12)


def test_lasso_path_matches_cvxpy(seed):
    """At one λ, ||θ_FISTA − θ_cvxpy|| ≤ Σ sqrt(2·gap/μ) over the two solutions.

    F(θ) = (1/n)||y − Xθ||² + (λ/n)Σc_j|θ_j| is μ-strongly convex, μ = 2λ_min(XᵀX)/n, so
    ||θ − θ*||² ≤ 2(F(θ) − F*)/μ ≤ 2·gap/μ, with each solution's duality gap computed the same way
    (plus a rounding allowance for computing it).
    """
    r = lf.regularisation_paths(seed, **settings("fig_regularisation_paths", "tiny"))
    X, y, costs, lams, path = r["X"], r["y"], r["costs"], r["lam_grid"], r["lasso_path"]
    n, d = X.shape
    assert np.all(r["lasso_gap"] <= r["lasso_tol"])
    mixed = [i for i in range(len(lams)) if 0 < np.sum(path[i] == 0) < d]
    i = mixed[len(mixed) // 2] if mixed else len(lams) // 2
    theta = cp.Variable(d)
    objective = cp.sum_squares(y - X @ theta) / n + lams[i] / n * cp.sum(cp.multiply(costs, cp.abs(theta)))
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                                             tol_feas=1e-12)
    reference = theta.value
    gaps = lf.lasso_duality_gap(X, y, costs, lams[[i, i]], np.stack([path[i], reference]))
    rounding = 8 * n * d * EPS * (y @ y) / n
    mu = 2 * np.linalg.eigvalsh(X.T @ X)[0] / n
    tolerance = np.sum(np.sqrt(2 * (gaps + rounding) / mu))
    assert np.linalg.norm(path[i] - reference) <= tolerance
    assert tolerance <= 1e-3 * max(1.0, np.linalg.norm(reference)), "the comparison is uninformative"


def test_lasso_path_has_exact_zeros_above_lambda_max(seed):
    """θ = 0 is optimal iff λ ≥ λ_max = max_j 2|x_jᵀy|/c_j (KKT); FISTA's soft-threshold gives exact zeros."""
    r = lf.regularisation_paths(seed, **settings("fig_regularisation_paths", "tiny"))
    X, y, lams, path = r["X"], r["y"], r["lam_grid"], r["lasso_path"]
    lam_max = np.max(2 * np.abs(X.T @ y) / r["costs"])
    above, below = lams > lam_max * (1 + 1e-9), lams < lam_max * (1 - 1e-3)
    assert above.any() and below.any()
    assert np.all(path[above] == 0.0)
    assert np.all(np.any(path[below] != 0.0, axis=1))


def test_exact_mask_optimum_is_binary_and_selects(seed):
    r = lf.regularisation_paths(seed, **settings("fig_regularisation_paths", "tiny"))
    X, y, w, mask = r["X"], r["y"], r["w"], r["mask_star"]
    assert np.all((mask == 0) | (mask == 1))
    np.testing.assert_array_equal(r["theta_star"], mask * w)
    assert np.any(r["theta_star"] == 0), "the best mask kept every weight"
    # M3: no keep probabilities beat the best vertex
    residual = y - X @ r["theta_star"]
    best = residual @ residual / X.shape[0]
    rng = np.random.default_rng(seed)
    values = [expected_mask_loss(X, y, w, keep) for keep in rng.random((64, X.shape[1]))]
    assert best <= min(values) + 64 * X.size * EPS * best
