"""Tests of simulations.linear: Monte Carlo against the closed forms, reproducibility, chunking,
projected gradient descent on the keeps, and the logit gradient flow.

Statistical tolerances: a Monte Carlo estimate must lie within z·se of the exact value, with
z = Φ⁻¹(1 − 0.5e-6) (two-sided false-failure rate 1e-6 per comparison). Rounding tolerances use
S = ||y||² + ||X||_F²·Σ_j w_j²·E[(s_j m_j)²] (s = 1 for masks, 1/p for dropout) exactly as derived in
the docstring of tests/test_linear_theory.py: one closed-form evaluation errs by at most
2(n + 2d + 8)·eps·S/n, one vertex loss L(m⊙w) by at most (n + 2d + 6)·eps·S_m/n with
S_m = ||y||² + ||X||_F²·||s⊙m⊙w||², an enumeration by at most (n + 4d + 2^d + 8)·eps·S/n.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from simulations.linear import (
    all_masks,
    enumerate_mask_loss,
    logit_gradient_flow,
    monte_carlo_mask_loss,
    projected_gradient_descent,
    vertex_losses,
)
from sparsetheory.checks import mc_z
from theory.dropout import expected_dropout_loss
from theory.masks import expected_mask_loss, expected_mask_loss_grad

EPS = float(np.finfo(np.float64).eps)
FALSE_FAILURE_RATE = 1e-6
Z = float(norm.isf(FALSE_FAILURE_RATE / 2))  # = norm.isf(0.5e-6) ≈ 4.89


def make_problem(seed, n=12, d=5, *, rescale=False):
    """Gaussian design, labels and weights; keeps in [0.1, 0.95] with, for masks, one 0 and one 1."""
    rng = np.random.default_rng(seed)
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)
    keep = rng.uniform(0.1, 0.95, size=d)
    if not rescale:
        keep[0], keep[1] = 0.0, 1.0
    else:
        keep[0] = 1.0
    return X, y, w, keep


def scale(X, y, w, keep, *, rescale: bool) -> float:
    second_moment = 1.0 / np.broadcast_to(keep, w.shape) if rescale else np.ones_like(w)
    return float(y @ y + np.sum(X * X) * np.sum(w**2 * second_moment))


def closed_bound(n: int, d: int, S: float) -> float:
    return 2 * (n + 2 * d + 8) * EPS * S / n


def vertex_bound(n: int, d: int, S: float) -> float:
    return (n + 2 * d + 6) * EPS * S / n


def enumeration_bound(n: int, d: int, S: float) -> float:
    return (n + 4 * d + 2**d + 8) * EPS * S / n


def exact_value(X, y, w, keep, rescale: bool) -> float:
    return expected_dropout_loss(X, y, w, keep) if rescale else expected_mask_loss(X, y, w, keep)


def test_z_is_the_stated_quantile():
    assert Z == pytest.approx(norm.isf(0.5e-6), rel=1e-15)
    assert Z == pytest.approx(mc_z(FALSE_FAILURE_RATE), rel=1e-15)


# ----------------------------------------------------------------------------- Monte Carlo vs closed form


@pytest.mark.parametrize("rescale", [False, True], ids=["mask", "dropout"])
def test_monte_carlo_agrees_with_closed_form(seed, rescale):
    X, y, w, keep = make_problem(seed, rescale=rescale)
    estimate, se = monte_carlo_mask_loss(X, y, w, keep, 20_000, seed, rescale=rescale)
    exact = exact_value(X, y, w, keep, rescale)
    assert se > 0
    assert abs(estimate - exact) <= Z * se, f"estimate {estimate} ± {se}, exact {exact}"


@pytest.mark.parametrize("rescale", [False, True], ids=["mask", "dropout"])
def test_monte_carlo_is_exact_for_deterministic_masks(seed, rescale):
    """keep ∈ {0, 1} (dropout: all 1): every draw is the same mask, so se = 0 and the mean is that loss."""
    X, y, w, _ = make_problem(seed, rescale=rescale)
    d = X.shape[1]
    keep = np.ones(d) if rescale else (np.arange(d) % 2).astype(float)
    estimate, se = monte_carlo_mask_loss(X, y, w, keep, 50, seed, rescale=rescale)
    S = scale(X, y, w, keep, rescale=rescale)
    assert se <= np.sqrt(EPS) * estimate  # equal losses: zero spread up to the rounding of the mean
    assert abs(estimate - exact_value(X, y, w, keep, rescale)) <= closed_bound(*X.shape, S) + vertex_bound(*X.shape, S) + 50 * EPS * estimate


def _exact_moments(X, y, w, keep, rescale):
    """Exact mean, variance and kurtosis of the loss of one random mask, by enumerating all 2^d masks."""
    d = X.shape[1]
    masks = all_masks(d)
    probs = np.prod(np.where(masks > 0, keep, 1 - keep), axis=1)
    effective = masks * (w / keep if rescale else w)
    residual = y - effective @ X.T
    losses = np.einsum("ij,ij->i", residual, residual) / X.shape[0]
    mean = probs @ losses
    central = losses - mean
    variance = probs @ central**2
    return mean, variance, (probs @ central**4) / variance**2


@pytest.mark.parametrize("n_samples", [4_000, 64_000])
def test_standard_error_is_sigma_over_root_n(seed, n_samples):
    """se·√N estimates σ, the exact standard deviation of one loss (so se ∝ 1/√N).

    Sample standard deviation s of N draws: by the delta method s is asymptotically normal with
    sd σ·√((κ − 1)/(4N)), κ the kurtosis — both known exactly here by enumeration. So
    |se·√N' − σ| ≤ z·σ·√((κ − 1)/(4N)) at false-failure rate 1e-6, with √N' = √N (the function
    returns s/√N with s the ddof = 1 standard deviation).
    """
    X, y, w, keep = make_problem(seed)
    keep = np.clip(keep, 0.2, 0.8)  # every coordinate random: a spread-out loss distribution
    _, variance, kurtosis = _exact_moments(X, y, w, keep, False)
    sigma = np.sqrt(variance)
    _, se = monte_carlo_mask_loss(X, y, w, keep, n_samples, seed)
    assert abs(se * np.sqrt(n_samples) - sigma) <= Z * sigma * np.sqrt((kurtosis - 1) / (4 * n_samples))


# ----------------------------------------------------------------------------- reproducibility and chunking


@pytest.mark.parametrize("rescale", [False, True], ids=["mask", "dropout"])
def test_monte_carlo_same_seed_same_output(seed, rescale):
    X, y, w, keep = make_problem(seed, rescale=rescale)
    first = monte_carlo_mask_loss(X, y, w, keep, 1000, seed, rescale=rescale)
    again = monte_carlo_mask_loss(X, y, w, keep, 1000, seed, rescale=rescale)
    from_generator = monte_carlo_mask_loss(X, y, w, keep, 1000, np.random.default_rng(seed), rescale=rescale)
    other_seed = monte_carlo_mask_loss(X, y, w, keep, 1000, seed + 1, rescale=rescale)
    assert first == again == from_generator  # bitwise
    assert first != other_seed


@pytest.mark.parametrize("rescale", [False, True], ids=["mask", "dropout"])
def test_monte_carlo_does_not_depend_on_chunking(seed, rescale):
    """Every max_bytes gives the estimator of the same draws: the masks are rows of
    default_rng(seed).random((N, d)) < keep, in order, whatever the chunking.

    Compared with a reference computed here in one pass. Bitwise equality is not expected: BLAS
    rounds a row of (masks⊙w)Xᵀ differently for different numbers of rows, and the running
    mean/variance update (Chan et al.) adds in a different order. Bounds: each loss errs by
    ≤ τ = vertex_bound(S_max) in each computation (S_max: all weights kept); the mean by
    ≤ 2τ + 3N·eps·max L (reference: pairwise sum ≤ N·u; the chunked update ≤ 5N·u); the sum of
    squared deviations by ≤ 4τ·Σ|L − mean| + 4N·eps·ΣL² (updating and two-pass algorithms each
    ≤ 4N·u·ΣL², Chan–Golub–LeVeque 1983), which moves se by that over 2·se·N(N−1), plus 4u·se.
    """
    X, y, w, keep = make_problem(seed, rescale=rescale)
    n, d = X.shape
    N = 999
    draws = np.random.default_rng(seed).random((N, d)) < keep
    residual = y - (draws * (w / keep if rescale else w)) @ X.T
    losses = np.einsum("ij,ij->i", residual, residual) / n
    ref_mean, ref_se = losses.mean(), losses.std(ddof=1) / np.sqrt(N)

    S_max = float(y @ y + np.sum(X * X) * np.sum((w / keep if rescale else w) ** 2))
    tau = vertex_bound(n, d, S_max)
    mean_tolerance = 2 * tau + 3 * N * EPS * losses.max()
    sum_sq_tolerance = 4 * tau * np.sum(np.abs(losses - ref_mean)) + 4 * N * EPS * np.sum(losses**2)
    se_tolerance = sum_sq_tolerance / (2 * ref_se * N * (N - 1)) + 2 * EPS * ref_se

    row_bytes = 8 * (2 * d + 2 * n)
    for max_bytes in (1, row_bytes * 7, row_bytes * 500, 2**31):
        mean, se = monte_carlo_mask_loss(X, y, w, keep, N, seed, rescale=rescale, max_bytes=max_bytes)
        assert abs(mean - ref_mean) <= mean_tolerance, max_bytes
        assert abs(se - ref_se) <= se_tolerance, max_bytes


@pytest.mark.parametrize("rescale", [False, True], ids=["mask", "dropout"])
def test_enumeration_does_not_depend_on_chunking(seed, rescale):
    """Tiny max_bytes (one mask per chunk, or a few) gives the unchunked value within two
    enumeration rounding bounds."""
    X, y, w, keep = make_problem(seed, n=9, d=8, rescale=rescale)
    n, d = X.shape
    whole = enumerate_mask_loss(X, y, w, keep, rescale=rescale)
    tolerance = 2 * enumeration_bound(n, d, scale(X, y, w, keep, rescale=rescale))
    for max_bytes in (1, 8 * (3 * d + 2 * n) * 5, 10_000):
        assert abs(enumerate_mask_loss(X, y, w, keep, rescale=rescale, max_bytes=max_bytes) - whole) <= tolerance


# ----------------------------------------------------------------------------- optimisation of the keeps

PGD_MAX_ITER = 200_000


def _pgd_problem(seed, k):
    rng = np.random.default_rng([seed, k])
    n, d = int(rng.integers(2, 9)), int(rng.integers(2, 7))
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), 2 * rng.standard_normal(d)
    return X, y, w, rng.uniform(size=d)


@pytest.mark.parametrize("k", range(4))
def test_projected_gradient_descent_ends_at_a_local_vertex_minimum(seed, k):
    """PGD with step 1/||∇²|| never increases E L; when it stops by its own tolerance it sits at a
    vertex (the objective is affine in each p_j and its Hessian has zero diagonal, so interior
    stationary points are saddles that generic starts do not reach) and that vertex is a local
    minimum over vertices: flipping any one mask entry does not lower L(m⊙w).

    It need not be the global vertex minimum: E L is a multilinear function with several local
    minima in general (about one random problem in ten ends elsewhere), so that is not asserted.
    Rounding: E L at two points, 2·CLOSED; two vertex losses, 2·vertex_bound.
    """
    X, y, w, keep0 = _pgd_problem(seed, k)
    n, d = X.shape
    S = scale(X, y, w, 1.0, rescale=False)
    keep, iterations = projected_gradient_descent(X, y, w, keep0, max_iter=PGD_MAX_ITER)
    assert keep.shape == (d,) and np.all((keep >= 0) & (keep <= 1))
    assert expected_mask_loss(X, y, w, keep) <= expected_mask_loss(X, y, w, keep0) + 2 * closed_bound(n, d, S)
    if iterations == PGD_MAX_ITER:
        pytest.skip("PGD did not meet its stopping rule within max_iter (a near-flat coordinate)")
    assert np.all((keep == 0) | (keep == 1)), keep
    base = float(np.sum((y - X @ (keep * w)) ** 2) / n)
    for j in range(d):
        flipped = keep.copy()
        flipped[j] = 1 - flipped[j]
        other = float(np.sum((y - X @ (flipped * w)) ** 2) / n)
        assert other >= base - 2 * vertex_bound(n, d, S), (j, keep)


@pytest.mark.parametrize("k", range(4))
def test_projected_gradient_descent_decreases_at_every_iteration(seed, k):
    """With step 1/||∇²|| (∇² the constant Hessian) the descent lemma gives f(p_{t+1}) ≤ f(p_t) for
    every iterate, not only at the end. Iterate t is PGD stopped after max_iter = t (the iteration
    is deterministic). Rounding: 2·CLOSED per comparison."""
    X, y, w, keep0 = _pgd_problem(seed, k)
    n, d = X.shape
    S = scale(X, y, w, 1.0, rescale=False)
    values = [expected_mask_loss(X, y, w, keep0)]
    for max_iter in range(1, 41):
        keep, _ = projected_gradient_descent(X, y, w, keep0, max_iter=max_iter)
        values.append(expected_mask_loss(X, y, w, keep))
    rises = np.diff(values)
    assert np.all(rises <= 2 * closed_bound(n, d, S)), rises.max()


@pytest.mark.parametrize("k", range(4))
def test_global_vertex_minimum_is_a_fixed_point_of_pgd(seed, k):
    """Started at the best vertex (vertex_losses), PGD stays there (the KKT signs hold at it), and its
    value there equals the minimum over vertices."""
    X, y, w, _ = _pgd_problem(seed, k)
    n, d = X.shape
    S = scale(X, y, w, 1.0, rescale=False)
    vertices, losses = vertex_losses(X, y, w)
    order = np.argsort(losses)
    best = vertices[order[0]]
    gradient = expected_mask_loss_grad(X, y, w, best)
    slope_error = 2 * (n + d + 8) * EPS * S / n
    if np.min(np.abs(gradient)) <= slope_error:
        pytest.skip("a flat coordinate at the best vertex: PGD may drift along it")
    keep, _ = projected_gradient_descent(X, y, w, best)
    np.testing.assert_array_equal(keep, best)
    assert abs(expected_mask_loss(X, y, w, keep) - losses[order[0]]) <= closed_bound(n, d, S) + vertex_bound(n, d, S)


def test_logit_gradient_flow_shape_range_and_monotone_loss(seed):
    """p(t) ∈ (0, 1), shape (len(times), d), p(0) = σ(u0), and E L(p(t)) non-increasing
    (d/dt E L = −Σ_j p_j²(1 − p_j)²·(∂_j E L)² ≤ 0).

    The ODE is solved to rtol 1e-8; its error on E L at the sampled times is estimated by
    re-solving at rtol 1e-12 (100× tighter): err = max_k |E L(p_default(t_k)) − E L(p_tight(t_k))|.
    A step of the default trajectory may rise by at most 2·err plus two CLOSED rounding bounds.
    """
    rng = np.random.default_rng(seed)
    n, d = 10, 5
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), 2 * rng.standard_normal(d)
    logits0 = rng.normal(0, 0.5, size=d)
    times = np.concatenate([[0.0], np.geomspace(1e-2, 50.0, 40)])
    path = logit_gradient_flow(X, y, w, times, logits0)
    tight = logit_gradient_flow(X, y, w, times, logits0, rtol=1e-12, atol=1e-14)
    assert path.shape == (len(times), d)
    assert np.all((path > 0) & (path < 1))
    np.testing.assert_allclose(path[0], 1 / (1 + np.exp(-logits0)), rtol=4 * EPS)
    loss = np.array([expected_mask_loss(X, y, w, p) for p in path])
    loss_tight = np.array([expected_mask_loss(X, y, w, p) for p in tight])
    solver_error = np.max(np.abs(loss - loss_tight))
    S = scale(X, y, w, 1.0, rescale=False)
    rises = np.diff(loss)
    assert np.all(rises <= 2 * solver_error + 2 * closed_bound(n, d, S)), rises.max()
    assert loss[-1] < loss[0]  # it does move downhill
