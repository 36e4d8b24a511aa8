"""Property tests of the linear-model closed forms (claims M1–M5) and of their sympy derivations.

Tolerances are rounding-error bounds, derived here once (Higham, *Accuracy and Stability of
Numerical Algorithms*, ch. 3: a length-k sum or dot product in floating point has absolute error
≤ γ_k·Σ|terms|, γ_k = k·u/(1 − k·u) ≈ k·u with the unit roundoff u = eps/2).

Scale. For a problem (X n×d, y, w, keep p) let the effective weights be s⊙m⊙w with s = 1 (masks)
or s = 1/p (dropout), and

    S = ||y||² + ||X||_F² · Σ_j w_j²·E[(s_j m_j)²]   with E[(s m)²] ≤ 1 (masks: we use 1), = 1/p (dropout).

Every intermediate magnitude below is bounded by a small multiple of S:
- a residual r = y − Xv with |v| ≤ |s⊙w| entrywise satisfies Σ_i(|y_i| + (|X||v|)_i)² ≤ 2S
  (Cauchy–Schwarz: || |X||v| || ≤ ||X||_F·||v||);
- the penalty Σ_j v_j w_j² ||x_j||² ≤ S (v_j ≤ E[(s m)²]);
- every loss value is ≤ 2S/n.

Closed form (theory.masked_loss.expected_loss). Xv costs γ_d, the subtraction and μ⊙w one rounding
each, so |δr_i| ≤ γ_{d+2}(|y_i| + (|X||v|)_i); ||r||² then errs by ≤ (γ_n + 2γ_{d+2})·2S
≈ (n + 2d + 4)·eps·S. The penalty sum (||x_j||²: γ_n, a few products, a length-d sum) errs by
≤ (n + d + 7)·u·S; the division by n and the final addition add ≤ 2u·(2S/n)·n. Altogether

    |closed − exact| ≤ CLOSED = 2(n + 2d + 8)·eps·S/n          (with room for the γ_k ≈ k·u step).

Enumeration (simulations.linear.enumerate_mask_loss). Each vertex loss L_m errs by
≤ (n + 2d + 6)·eps·S_m/n with S_m = ||y||² + ||X||_F²·||s⊙m⊙w||² and E[S_m] ≤ S; each probability
(a product of d rounded factors) by ≤ 2d·u relative; the length-2^d weighted sum by γ_{2^d}·Σ P·L
with Σ P·L ≤ 2S/n. Altogether

    |enumerated − exact| ≤ ENUMERATION = (n + 4d + 2^d + 8)·eps·S/n.

Other bounds (the θ-form, the gradient, the d = 1 hand formula, the ridge solve) are derived next
to their tests. Data are drawn from [−10, 10] with |x| < 1e-50 set to 0 (so that no product of four
entries underflows, which the relative bounds above do not cover); dropout keeps are ≥ 1e-9 so that
w/p and w²/p stay far from overflow.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulations.linear import enumerate_mask_loss, vertex_losses
from theory.masked_loss import G_JJ, P_J, W_J, explicit_expectation_residual
from theory.dropout import derive_m1, dropout_optimal_weights, expected_dropout_loss, ridge_strengths
from theory.masks import (
    A_J,
    derive_m2,
    derive_m3,
    derive_m4,
    derive_m5,
    expected_mask_loss,
    expected_mask_loss_grad,
    orthogonal_keep_rule,
    theta_form,
)

EPS = float(np.finfo(np.float64).eps)
MAX_N, MAX_D = 6, 8

# ----------------------------------------------------------------------------- strategies


def _flush_tiny(value: float) -> float:
    return 0.0 if abs(value) < 1e-50 else value


entries = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(_flush_tiny)
mask_keeps = st.floats(0.0, 1.0, allow_subnormal=False)  # [0, 1], both endpoints reachable
dropout_keeps = st.floats(1e-9, 1.0)  # (0, 1], upper endpoint reachable
seeds = st.integers(0, 2**32 - 1)


@st.composite
def problems(draw, keep=mask_keeps, min_d=1, max_d=MAX_D, max_n=MAX_N, scalar_keep=True):
    """(X, y, w, keep) with n ≤ max_n, min_d ≤ d ≤ max_d; keep a scalar or a length-d array."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(min_d, max_d))
    X = draw(arrays(np.float64, (n, d), elements=entries))
    y = draw(arrays(np.float64, n, elements=entries))
    w = draw(arrays(np.float64, d, elements=entries))
    per_weight = arrays(np.float64, d, elements=keep)
    p = draw(st.one_of(keep, per_weight) if scalar_keep else per_weight)
    return X, y, w, p


def scale(X, y, w, keep, *, rescale: bool) -> float:
    """S of the module docstring."""
    keep = np.broadcast_to(np.asarray(keep, dtype=np.float64), w.shape)
    second_moment = 1.0 / keep if rescale else np.ones_like(w)
    return float(y @ y + np.sum(X * X) * np.sum(w**2 * second_moment))


def closed_bound(n: int, d: int, S: float) -> float:
    return 2 * (n + 2 * d + 8) * EPS * S / n


def enumeration_bound(n: int, d: int, S: float) -> float:
    return (n + 4 * d + 2**d + 8) * EPS * S / n


def direct_loss(X, y, w) -> float:
    """L(w) = (1/n)||y − Xw||², computed independently of the package."""
    r = y - X @ w
    return float(r @ r / X.shape[0])


def with_keep(keep, d: int, j: int, value: float) -> np.ndarray:
    p = np.broadcast_to(np.asarray(keep, dtype=np.float64), (d,)).copy()
    p[j] = value
    return p


# ----------------------------------------------------------------------------- closed form = enumeration


@given(problems(keep=mask_keeps))
def test_mask_closed_form_equals_enumeration(problem):
    X, y, w, keep = problem
    n, d = X.shape
    S = scale(X, y, w, keep, rescale=False)
    closed = expected_mask_loss(X, y, w, keep)
    exact = enumerate_mask_loss(X, y, w, keep)
    assert abs(closed - exact) <= closed_bound(n, d, S) + enumeration_bound(n, d, S)


@given(problems(keep=dropout_keeps))
def test_dropout_closed_form_equals_enumeration(problem):
    X, y, w, keep = problem
    n, d = X.shape
    S = scale(X, y, w, keep, rescale=True)
    closed = expected_dropout_loss(X, y, w, keep)
    exact = enumerate_mask_loss(X, y, w, keep, rescale=True)
    assert abs(closed - exact) <= closed_bound(n, d, S) + enumeration_bound(n, d, S)


# ----------------------------------------------------------------------------- limits


@pytest.mark.parametrize("function", [expected_mask_loss, expected_dropout_loss], ids=["mask", "dropout"])
@given(problem=problems())
def test_keep_one_gives_the_plain_loss(function, problem):
    """p = 1: every mask is all ones (and s = 1), so E L = L(w)."""
    X, y, w, _ = problem
    n, d = X.shape
    S = scale(X, y, w, 1.0, rescale=False)
    # direct_loss has the ||r||² part of CLOSED's error budget: (n + 2d + 4)·eps·S/n.
    tolerance = closed_bound(n, d, S) + (n + 2 * d + 4) * EPS * S / n
    assert abs(function(X, y, w, 1.0) - direct_loss(X, y, w)) <= tolerance
    assert abs(function(X, y, w, np.ones(d)) - direct_loss(X, y, w)) <= tolerance


@given(problems())
def test_mask_keep_zero_gives_the_label_energy(problem):
    """p = 0: every weight is removed, so E L = ||y||²/n."""
    X, y, w, _ = problem
    n, d = X.shape
    S = scale(X, y, w, 0.0, rescale=False)
    tolerance = closed_bound(n, d, S) + (n + 2) * EPS * S / n
    assert abs(expected_mask_loss(X, y, w, 0.0) - y @ y / n) <= tolerance
    assert abs(expected_mask_loss(X, y, w, np.zeros(d)) - y @ y / n) <= tolerance


@given(problems(keep=mask_keeps, max_d=1))
def test_mask_d1_hand_formula(problem):
    """d = 1, by hand: n·E L = p·||y − wx||² + (1−p)·||y||² = ||y||² − 2pw·xᵀy + p·w²·||x||².

    The hand form sums three terms each bounded by 2S with ~(n + 6) roundings: ≤ (n + 6)·eps·2S/n.
    """
    X, y, w, keep = problem
    n, x, p, v = X.shape[0], X[:, 0], float(np.asarray(keep).ravel()[0]), float(w[0])
    by_hand = (y @ y - 2 * p * v * (x @ y) + p * v**2 * (x @ x)) / n
    S = scale(X, y, w, p, rescale=False)
    assert abs(expected_mask_loss(X, y, w, keep) - by_hand) <= closed_bound(n, 1, S) + 2 * (n + 6) * EPS * S / n


@given(problems(keep=dropout_keeps, max_d=1))
def test_dropout_d1_hand_formula(problem):
    """d = 1, by hand: n·E L = p·||y − (w/p)x||² + (1−p)·||y||² = ||y||² − 2w·xᵀy + (w²/p)·||x||²."""
    X, y, w, keep = problem
    n, x, p, v = X.shape[0], X[:, 0], float(np.asarray(keep).ravel()[0]), float(w[0])
    by_hand = (y @ y - 2 * v * (x @ y) + v**2 / p * (x @ x)) / n
    S = scale(X, y, w, p, rescale=True)
    assert abs(expected_dropout_loss(X, y, w, keep) - by_hand) <= closed_bound(n, 1, S) + 2 * (n + 6) * EPS * S / n


# ----------------------------------------------------------------------------- M3: affine in each keep


@given(problems(keep=mask_keeps, scalar_keep=False), st.data())
def test_mask_loss_is_affine_in_each_keep(problem, data):
    """f(p_j = t) equals the linear interpolation of f(p_j = 0) and f(p_j = 1) (claim M3).

    Each of the three evaluations errs by ≤ CLOSED (S does not depend on p for masks); forming
    (1−t)·f0 + t·f1 adds ≤ 3u·(f0 + f1) (f ≥ 0).
    """
    X, y, w, keep = problem
    n, d = X.shape
    j = data.draw(st.integers(0, d - 1), label="j")
    t = float(keep[j])
    S = scale(X, y, w, keep, rescale=False)
    f0 = expected_mask_loss(X, y, w, with_keep(keep, d, j, 0.0))
    f1 = expected_mask_loss(X, y, w, with_keep(keep, d, j, 1.0))
    ft = expected_mask_loss(X, y, w, keep)
    interpolated = (1 - t) * f0 + t * f1
    assert abs(ft - interpolated) <= 3 * closed_bound(n, d, S) + 1.5 * EPS * (f0 + f1)


@given(problems(keep=mask_keeps, scalar_keep=False), st.data())
def test_mask_loss_second_difference_vanishes(problem, data):
    """f(t−h) − 2f(t) + f(t+h) = 0 for an affine f; t = k/8, h = 1/8 are exact binary fractions.

    Four evaluations' worth of CLOSED errors (the middle one counts twice), plus ≤ 2u·(sum of the
    magnitudes) for the two additions.
    """
    X, y, w, keep = problem
    n, d = X.shape
    j = data.draw(st.integers(0, d - 1), label="j")
    k = data.draw(st.integers(1, 7), label="k")
    t, h = k / 8, 1 / 8
    values = [expected_mask_loss(X, y, w, with_keep(keep, d, j, v)) for v in (t - h, t, t + h)]
    second = values[0] - 2 * values[1] + values[2]
    S = scale(X, y, w, keep, rescale=False)
    assert abs(second) <= 4 * closed_bound(n, d, S) + EPS * (values[0] + 2 * values[1] + values[2])


@given(problems(keep=mask_keeps, scalar_keep=False), st.data())
def test_mask_loss_grad_matches_central_difference(problem, data):
    """(f(a) − f(b))/(a − b) with a = min(p_j + 1/8, 1), b = max(p_j − 1/8, 0) equals ∂f/∂p_j
    exactly for an affine f, whatever a and b are (claim M4's gradient).

    Rounding: the two evaluations give ≤ 2·CLOSED/(a − b) (a − b ≥ 1/8); a − b and the division
    add ≤ 2u·|quotient|. The gradient formula (1/n)[−2w_j·x_jᵀr + (1−2p_j)w_j²||x_j||²] has terms
    bounded by 2|w_j|·||x_j||·(||y|| + ||X||_F||w||) + w_j²||x_j||² ≤ 4S, each carried through
    ≤ (n + d + 8) roundings: ≤ GRAD = 2(n + d + 8)·eps·S/n.
    """
    X, y, w, keep = problem
    n, d = X.shape
    j = data.draw(st.integers(0, d - 1), label="j")
    a, b = min(keep[j] + 0.125, 1.0), max(keep[j] - 0.125, 0.0)
    fa = expected_mask_loss(X, y, w, with_keep(keep, d, j, a))
    fb = expected_mask_loss(X, y, w, with_keep(keep, d, j, b))
    difference = (fa - fb) / (a - b)
    gradient = expected_mask_loss_grad(X, y, w, keep)
    assert gradient.shape == (d,)
    S = scale(X, y, w, keep, rescale=False)
    tolerance = 2 * closed_bound(n, d, S) / (a - b) + EPS * abs(difference) + 2 * (n + d + 8) * EPS * S / n
    assert abs(gradient[j] - difference) <= tolerance


# ----------------------------------------------------------------------------- M2: the θ form


@given(problems(keep=mask_keeps))
def test_theta_form_over_n_equals_expected_mask_loss(problem):
    """theta_form/n = E_m L (claim M2 written in θ = p⊙w).

    The θ form sums five terms (||y||², 2θᵀXᵀy, ||Xθ||², Σ G_jj θ_j², Σ G_jj|w_j||θ_j|), each
    bounded by 2S and each computed with ≤ (n + 2d + 4) roundings, then adds them (4 roundings):
    ≤ THETA = (2n + 3d + 12)·eps·S, i.e. (2n + 3d + 12)·eps·S/n after dividing by n.
    """
    X, y, w, keep = problem
    n, d = X.shape
    S = scale(X, y, w, keep, rescale=False)
    difference = theta_form(X, y, w, keep) / n - expected_mask_loss(X, y, w, keep)
    assert abs(difference) <= closed_bound(n, d, S) + (2 * n + 3 * d + 12) * EPS * S / n


# ----------------------------------------------------------------------------- M4: orthogonal designs


@given(
    st.integers(1, 6).flatmap(lambda d: st.tuples(st.just(d), st.integers(d, 8))),
    seeds,
    st.data(),
)
def test_orthogonal_keep_rule_is_the_minimising_vertex(shape, seed, data):
    """For XᵀX = nI the vertex loss is ||y||²/n + Σ_j m_j·(w_j² − 2w_j·a_j): the best vertex keeps
    exactly the weights with w_j·a_j > w_j²/2 (claim M4).

    Ties. The decision for weight j is the sign of g_j = w_j² − 2w_j·a_j. Examples with some
    |g_j| ≤ MARGIN are discarded, where MARGIN bounds the error of that comparison: the computed
    vertex losses (2·CLOSED-type bounds, S = ||y||² + ||X||_F²||w||²), the rounding of a = Xᵀy/n
    (≤ n·u·||x_j||·||y||/n per entry, inside the same bound), and the departure of the computed X
    from exact orthogonality, which moves a vertex loss by ≤ ||XᵀX − nI||_F·||w||²/n (plus the
    rounding of that Gram matrix, ≤ n·u·||X||_F²). w_j = 0 is excluded for the same reason (g_j = 0).
    """
    d, n = shape
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, d)))
    X = Q * np.sqrt(n)
    nonzero = st.floats(1e-3, 10.0).flatmap(lambda v: st.sampled_from([v, -v]))
    y = data.draw(arrays(np.float64, n, elements=entries), label="y")
    w = data.draw(arrays(np.float64, d, elements=nonzero), label="w")
    alignment = X.T @ y / n
    S = scale(X, y, w, 1.0, rescale=False)
    gram = X.T @ X
    orthogonality = (np.linalg.norm(gram - n * np.eye(d)) + n * EPS * np.sum(X * X)) * (w @ w) / n
    margin = 4 * closed_bound(n, d, S) + 2 * orthogonality
    assume(np.all(np.abs(w**2 - 2 * w * alignment) > margin))

    rule = orthogonal_keep_rule(w, alignment)
    vertices, losses = vertex_losses(X, y, w)
    best = vertices[np.argmin(losses)]
    assert rule.dtype == bool and rule.shape == (d,)
    np.testing.assert_array_equal(rule, best.astype(bool))


# ----------------------------------------------------------------------------- M1/M5: dropout-optimal weights


@given(
    st.integers(1, 6).flatmap(lambda d: st.tuples(st.integers(1, 8), st.just(d))),
    seeds,
    st.data(),
)
def test_dropout_optimal_weights_solve_the_normal_equations(shape, seed, data):
    """w* zeroes ∇_w E L = (2/n)[(XᵀX + Λ)w − Xᵀy] and has no zero entry for generic data (M1, M5).

    Generic data: X, y standard normal. The system is positive definite when the weights with
    p_j = 1 (λ_j = 0) are at most n (their columns are then independent almost surely).
    Bound on the residual ρ = (XᵀX + Λ)w* − Xᵀy: LU with partial pivoting is backward stable with
    ||δA||_F ≤ 3d·2^{d−1}·u·||A||_F (Wilkinson, growth factor ≤ 2^{d−1}); forming A and b costs
    ≤ n·u·(||X||_F²||w*|| + ||X||_F||y||) and λ ≤ (n + 3)·u·|λ|; evaluating ρ here costs another
    (n + d + 2)·u·(...). Altogether ||ρ||_∞ ≤ (3d·2^{d−1} + 2n + d + 8)·eps·(||X||_F²||w*||
    + ||λ||_∞||w*|| + ||X||_F||y||).
    """
    n, d = shape
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    keep = data.draw(st.one_of(dropout_keeps, arrays(np.float64, d, elements=dropout_keeps)), label="keep")
    assume(np.count_nonzero(np.broadcast_to(keep, (d,)) == 1.0) <= n)
    weights = dropout_optimal_weights(X, y, keep)
    lam = ridge_strengths(X, keep)
    residual = X.T @ (X @ weights) + lam * weights - X.T @ y
    size = np.linalg.norm(weights)
    frobenius = np.linalg.norm(X)
    tolerance = (3 * d * 2 ** (d - 1) + 2 * n + d + 8) * EPS * (
        frobenius**2 * size + np.max(lam) * size + frobenius * np.linalg.norm(y))
    assert weights.shape == (d,)
    assert np.max(np.abs(residual)) <= tolerance
    assert np.all(weights != 0)


@given(seeds, st.integers(1, 6), dropout_keeps)
def test_dropout_optimal_weights_minimise_the_dropout_loss(seed, d, keep):
    """E L(w*) ≤ E L(w* + δ) for perturbations δ: the objective is a convex quadratic, so
    E L(w* + δ) − E L(w*) = (1/n)·δᵀ(XᵀX + Λ)δ ≥ 0 exactly; allow 2·CLOSED for the two evaluations
    (S taken at the larger of the two weight vectors)."""
    rng = np.random.default_rng(seed)
    n = d + 2
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    weights = dropout_optimal_weights(X, y, keep)
    best = expected_dropout_loss(X, y, weights, keep)
    for delta in rng.standard_normal((5, d)) * np.array([[1e-3], [1e-2], [1e-1], [1.0], [10.0]]):
        moved = weights + delta
        S = max(scale(X, y, weights, keep, rescale=True), scale(X, y, moved, keep, rescale=True))
        assert expected_dropout_loss(X, y, moved, keep) >= best - 2 * closed_bound(n, d, S)


# ----------------------------------------------------------------------------- sympy side


@pytest.mark.parametrize("kind", ["mask", "dropout"])
@pytest.mark.parametrize("n_cols", [1, 2, 3])
def test_explicit_expectation_over_all_masks_matches_closed_form(kind, n_cols):
    residual = explicit_expectation_residual(kind, 2, n_cols)
    assert sp.simplify(residual) == 0


DERIVATIONS = {
    "M1": (derive_m1, {"mean", "variance", "penalty", "matrix_form", "ridge_gradient", "ridge_solution"}),
    "M2": (derive_m2, {"mean", "variance", "penalty", "matrix_form", "theta_penalty", "l1_weight"}),
    "M3": (derive_m3, {"second_derivative", "slope"}),
    "M4": (derive_m4, {"gradient", "orthogonal_slope", "keep_rule", "keep_condition"}),
    "M5": (derive_m5, {"second_derivative", "slope"}),
}


@pytest.fixture(scope="module")
def derivations():
    return {claim: function() for claim, (function, _) in DERIVATIONS.items()}


@pytest.mark.parametrize("claim", sorted(DERIVATIONS))
def test_derivation_runs_and_has_its_results(derivations, claim):
    der = derivations[claim]
    assert der.claim == claim
    assert DERIVATIONS[claim][1] <= set(der.results)
    assert der.steps and all(step.text for step in der.steps)
    assert claim in der.pretty()
    assert set(der.latex()) == set(der.results)


def test_derived_moments(derivations):
    p = sp.Symbol("p", positive=True)
    m1, m2 = derivations["M1"].results, derivations["M2"].results
    assert sp.simplify(m1["mean"] - 1) == 0
    assert sp.simplify(m1["variance"] - (1 - p) / p) == 0
    assert sp.simplify(m2["mean"] - p) == 0
    assert sp.simplify(m2["variance"] - p * (1 - p)) == 0
    assert derivations["M3"].results["second_derivative"] == 0
    assert sp.simplify(derivations["M2"].results["l1_weight"].rhs - G_JJ * sp.Abs(W_J)) == 0


penalty_points = st.tuples(  # p, w, G; tiny magnitudes flushed to 0 so that no product underflows
    st.floats(1e-6, 1.0), entries, st.floats(0.0, 100.0, allow_subnormal=False).map(_flush_tiny))


@given(penalty_points)
def test_penalty_expressions_lambdified(derivations, point):
    """results["penalty"] is ((1−p)/p)·w²·G (dropout, M1) and p(1−p)·w²·G (mask, M2).

    Both sides evaluate a product of ~5 rounded factors: |difference| ≤ 10u·|value| each, 10·eps total.
    """
    p, w, G = point
    dropout_penalty = sp.lambdify((P_J, W_J, G_JJ), derivations["M1"].results["penalty"], "numpy")
    mask_penalty = sp.lambdify((P_J, W_J, G_JJ), derivations["M2"].results["penalty"], "numpy")
    expected_dropout = (1 - p) / p * w**2 * G
    expected_mask = p * (1 - p) * w**2 * G
    assert abs(dropout_penalty(p, w, G) - expected_dropout) <= 10 * EPS * abs(expected_dropout)
    assert abs(mask_penalty(p, w, G) - expected_mask) <= 10 * EPS * abs(expected_mask)


@given(st.floats(-10, 10), st.floats(-10, 10))
def test_derived_keep_rule_matches_orthogonal_keep_rule(derivations, w, a):
    """The sympy keep rule w_j·a_j > w_j²/2 (M4) and the NumPy one agree away from ties
    (|w·a − w²/2| ≤ 4u·(|w·a| + w²) could round either way)."""
    assume(abs(w * a - w**2 / 2) > 2 * EPS * (abs(w * a) + w**2))
    symbolic = bool(derivations["M4"].results["keep_rule"].subs({W_J: w, A_J: a}))
    assert symbolic == bool(orthogonal_keep_rule([w], [a])[0])

