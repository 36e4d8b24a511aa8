"""PAC-Bayes divergences, kl inverses and bounds for stochastic masks (claims B1–B3, B6; [H]).

Conventions. A loss takes values in [0, 1]; L̂ is the empirical risk on n samples, KL the divergence
KL(Q‖P) between posterior and prior, δ ∈ (0, 1) the confidence parameter, and

    c = (KL + ln(2√n/δ)) / n                                         (Maurer 2004's complexity term).

With probability ≥ 1 − δ over the sample, simultaneously for every posterior Q,
kl(L̂(Q) ‖ L(Q)) ≤ c (Seeger 2002, Maurer 2004), where kl is the binary divergence

    kl(q‖p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)),      0 ln 0 = 0.

Every bound here relaxes or inverts that inequality (Catoni's is proved separately):

    McAllester–Maurer   L ≤ L̂ + √(c/2)                                   (Pinsker: kl ≥ 2(p − q)²)
    Seeger–Maurer       L ≤ kl⁻¹(L̂, c) = max{p ∈ [L̂, 1] : kl(L̂‖p) ≤ c}   (the tightest of the three)
    quadratic           L ≤ (√(L̂ + c/2) + √(c/2))²                        (kl(q‖p) ≥ (p − q)²/(2p), p ≥ q)
    λ-bound             L ≤ min_{λ∈(0,2)} [L̂ + c/λ] / (1 − λ/2)           (Thiemann et al. 2017)
    Catoni              L ≤ min_{C∈grid} (1 − exp(−C·L̂ − c_C)) / (1 − e^{−C}),
                        c_C = (KL + ln(|grid|/δ))/n                       (Catoni 2007, union bound over C)

The λ-bound's minimiser is λ* = 2 / (√(2L̂/c + 1) + 1) and its value equals the quadratic bound
(`derive_b2`). Bounds are returned as the formulas give them; the McAllester, quadratic, λ and
Catoni bounds can exceed 1 (vacuous). All functions broadcast their arguments like NumPy ufuncs and
return a NumPy float for scalar input.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.stats import Normal, cdf

from theory.derivation import Derivation
from theory.validation import broadcast, real_values

EPS = float(np.finfo(np.float64).eps)
CATONI_GRID = 2.0 ** np.arange(-5.0, 5.5, 0.5)  # C = 2^-5, 2^-4.5, ..., 2^5: 21 values
KL_INVERSE_MAX_ITER = 100
BLOCK = 2**14  # pairs per block of the kl inversion: arrays stay in cache
_BRACKET_RTOL = 4 * EPS
_HALLEY_STOP = 1e-5  # a Halley step this small relative to u − u_a leaves an error ~ (1e-5)³·(u − u_a)
_BOUND_INFLATION = 1 + 16 * EPS  # keeps the rounded upper bounds on u* above the root
_ROUNDING_ULPS = 1  # |h(u) − c| ≤ eps·(|terms of h| + c): zero within rounding; a tighter test only costs a step
_UNDERFLOW_U = 750.0  # exp(−750) rounds to 0 in float64
_ONE_OVER_E_MINUS_ONE = 0.582  # ≥ 1/(e − 1): bounds −ln(1 − e^{−u}) for u ≥ 1


# ----------------------------------------------------------------------------- validation


def _in_range(value, name: str, low: float, high: float, *, low_open=False, high_open=False) -> np.ndarray:
    """`value` as a float array with every entry in the interval, else a ValueError naming it."""
    array = real_values(value, name, allow_inf=True)
    ok = (array > low if low_open else array >= low) & (array < high if high_open else array <= high)
    if not np.all(ok):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        bad = array[~ok].ravel()[0]
        raise ValueError(f"{name} must lie in {interval}, got {float(bad)!r}")
    return array


def _probability(value, name: str) -> np.ndarray:
    return _in_range(value, name, 0.0, 1.0)


def _divergence(value, name: str) -> np.ndarray:
    """A finite KL value or complexity term, ≥ 0."""
    return _in_range(value, name, 0.0, np.inf, high_open=True)


def _sample_size(value, name: str) -> np.ndarray:
    return _in_range(value, name, 1.0, np.inf, high_open=True)


def _confidence(value, name: str) -> np.ndarray:
    return _in_range(value, name, 0.0, 1.0, low_open=True, high_open=True)


def _out(array: np.ndarray):
    """A 0-d result as a NumPy float, anything else unchanged."""
    return array[()] if array.ndim == 0 else array


# ----------------------------------------------------------------------------- divergences (B1)


def _log_ratio(x: np.ndarray, y: np.ndarray, difference: np.ndarray) -> np.ndarray:
    """ln(x/y) given difference = x − y: log1p(difference/y) where |x − y| < y/2 (no absolute accuracy
    lost for x ≈ y), ln x − ln y elsewhere (no overflow of x/y, no log1p(−1 + tiny))."""
    near = np.abs(difference) < 0.5 * y
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(near, np.log1p(difference / np.where(near, y, 1.0)), np.log(x) - np.log(y))


def _kl(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """kl(q‖p) for valid arrays: q·ln(q/p) + (1 − q)·ln((1 − q)/(1 − p)), each logarithm by `_log_ratio`
    with the differences q − p and p − q; at the endpoints the closed forms kl(0‖p) = −log1p(−p) and
    kl(1‖p) = −ln p. Absolute rounding error ≲ 8·eps·(|q ln(q/p)| + |(1 − q) ln((1 − q)/(1 − p))|).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        first = q * _log_ratio(q, p, q - p)
        second = (1 - q) * _log_ratio(1 - q, 1 - p, p - q)
        return np.where(q == 0, -np.log1p(-p), np.where(q == 1, -np.log(p), first + second))


def kl_bernoulli(q, p):
    """Binary divergence kl(q‖p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)), elementwise.

    q, p ∈ [0, 1] broadcast together. Exact conventions 0 ln 0 = 0: kl(0‖p) = −ln(1 − p),
    kl(1‖p) = −ln p; +inf where p ∈ {0, 1} and q ≠ p.
    """
    q, p = broadcast(q=_probability(q, "q"), p=_probability(p, "p"))
    return _out(_kl(q, p))


def kl_product_bernoulli(p, q):
    """KL between product-Bernoulli mask laws: KL(Bern(p)‖Bern(q)) = Σ_j kl(p_j‖q_j), over the last axis.

    p (posterior keep probabilities) and q (prior keep probabilities) in [0, 1], broadcast together,
    with at least one axis. +inf when some q_j ∈ {0, 1} differs from p_j.
    """
    p, q = broadcast(p=_probability(p, "p"), q=_probability(q, "q"))
    if p.ndim < 1:
        raise ValueError("p and q must have at least one axis (the weights j), got scalars")
    return _out(np.sum(_kl(p, q), axis=-1))


def _expm1_minus(x: np.ndarray) -> np.ndarray:
    """e^x − 1 − x without cancellation: a Taylor series (Horner, 18 terms) for |x| < 1/2."""
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    series = np.zeros_like(xs)
    for k in range(19, 1, -1):  # Σ_{k≥2} x^k/k! = x²(1/2! + x(1/3! + ...)); remainder < 2^-19/19! ≪ eps
        series = (series + 1.0) * xs / k
    with np.errstate(over="ignore"):
        return np.where(small, series * xs, np.expm1(x) - x)


def kl_gaussian_diag(mu_q, sigma_q, mu_p, sigma_p):
    """KL(N(μ_q, diag σ_q²) ‖ N(μ_p, diag σ_p²)), summed over the last axis.

    Per coordinate: ln(σ_p/σ_q) + (σ_q² + (μ_q − μ_p)²)/(2σ_p²) − 1/2
                  = ½(e^x − 1 − x) + (μ_q − μ_p)²/(2σ_p²),   x = 2 ln(σ_q/σ_p),
    evaluated in the second form (no cancellation when σ_q ≈ σ_p). σ are standard deviations (> 0);
    arguments broadcast together and need at least one axis.
    """
    mu_q = _in_range(mu_q, "mu_q", -np.inf, np.inf, low_open=True, high_open=True)
    mu_p = _in_range(mu_p, "mu_p", -np.inf, np.inf, low_open=True, high_open=True)
    sigma_q = _in_range(sigma_q, "sigma_q", 0.0, np.inf, low_open=True, high_open=True)
    sigma_p = _in_range(sigma_p, "sigma_p", 0.0, np.inf, low_open=True, high_open=True)
    mu_q, sigma_q, mu_p, sigma_p = broadcast(mu_q=mu_q, sigma_q=sigma_q, mu_p=mu_p, sigma_p=sigma_p)
    if mu_q.ndim < 1:
        raise ValueError("the means and standard deviations must have at least one axis, got scalars")
    log_ratio = 2 * (np.log(sigma_q) - np.log(sigma_p))
    terms = 0.5 * _expm1_minus(log_ratio) + 0.5 * ((mu_q - mu_p) / sigma_p) ** 2
    return _out(np.sum(terms, axis=-1))


# ----------------------------------------------------------------------------- kl inverses


def _tail_objective(a, b, log_a, log_b, u):
    """h(u) = kl(a‖1 − t), t = e^{−u}, with |terms of h| (its rounding scale), h′ and h″/h′.

    h = a·ln(a/p) + b·ln(b/t), p = 1 − t = −expm1(−u); h′ = (b − t)/p; h″ = a·t/p².
    With d = a − p = t − b (computed from whichever of a, b is exact), where |d| < p/2 (p ≈ a) the
    first term is a·log1p(d/p), accurate near the root for small c; elsewhere a·(ln a − ln p).
    Where t ≤ b/2 the second is b·(u + ln b) (finite when t underflows), elsewhere b·log1p(−d/t).
    """
    t = np.exp(-u)
    p = -np.expm1(-u)
    d = np.where(a < 0.5, a - p, t - b)  # = a − p from the exactly held side (a < 1/2 or b ≤ 1/2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first = a * np.where(np.abs(d) < 0.5 * p, np.log1p(d / p), log_a - np.log(p))
        second = b * np.where(t <= 0.5 * b, u + log_b, np.log1p(-d / t))
        slope = -d / p
        ratio = (a / p) * (t / -d)  # h″/h′, without forming p² (it underflows for p < 1e-154)
    return first + second, np.abs(first) + np.abs(second), slope, ratio


def _u_at_distance(a, b, distance):
    """u = −ln(1 − p) at p = a + distance: −ln(b − distance) where that tail is ≤ 1/2, else
    −log1p(−(a + distance)) (each form from the accurate side); +inf where p ≥ 1."""
    tail = b - distance
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(tail <= 0.5, -np.log(tail), -np.log1p(-(a + distance)))
    return np.where(tail > 0, u, np.inf)


def _kl_root_block(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """u* for one block of pairs (see `_kl_root`), all with a > 0, b > 0 and 0 < c ≤ 750b + 0.582."""
    with np.errstate(divide="ignore"):
        log_a = np.where(b < 0.5, np.log1p(-b), np.log(a))  # from the exactly held one of a, b = 1 − a
        log_b = np.where(a < 0.5, np.log1p(-a), np.log(b))
    lo = -log_b
    start = lo
    root_c = np.sqrt(c)  # products of square roots: c·a underflows for c, a ~ 1e-300
    quadratic = _u_at_distance(a, b, c + root_c * np.sqrt(2 * a + c))
    hi = np.minimum((c - a * log_a) / b - log_b, quadratic) * _BOUND_INFLATION
    u = _u_at_distance(a, b, root_c * np.sqrt(2 * a) * np.sqrt(b))
    u = np.where((u > lo) & (u < hi), u, hi)
    active = np.ones(u.shape, dtype=bool)
    for _ in range(KL_INVERSE_MAX_ITER):
        value, scale, slope, ratio = _tail_objective(a, b, log_a, log_b, u)
        excess = value - c
        converged = np.abs(excess) <= _ROUNDING_ULPS * EPS * (scale + c)
        lo = np.where(excess < 0, u, lo)
        hi = np.where(excess > 0, u, hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = excess / slope
            new = u - newton / (1 - 0.5 * newton * ratio)
        new = np.where((new > lo) & (new <= hi), new, 0.5 * (lo + hi))
        small_step = np.abs(new - u) <= _HALLEY_STOP * (u - start)
        u = np.where(active & ~converged, new, u)  # stopped pairs stay put: results do not depend on the block
        active &= ~(converged | small_step | (hi - lo <= _BRACKET_RTOL * hi))
        if not active.any():
            return u
    raise RuntimeError(f"kl inverse did not converge for {active.sum()} pairs in {KL_INVERSE_MAX_ITER} iterations")


def _kl_root(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, t) = (1 − e^{−u*}, e^{−u*}) with kl(a‖p) = c, p ∈ [a, 1], for a + b = 1, c ≥ 0 (flat arrays).

    Whichever of a, b the caller holds exactly is passed exactly (b = 1 − q is rounded for the upper
    inverse, a = 1 − q for the lower one); a = 1.0 with b > 0 is a legitimate rounded input. Both p
    (as −expm1(−u*)) and t (as e^{−u*}) come with small relative error.

    In u = −ln t the map h(u) = kl(a‖1 − e^{−u}) is convex and increasing on [u_a, ∞), u_a = −ln b
    (h′ = (b − t)/(1 − t) ≥ 0, h″ = a·t/(1 − t)² ≥ 0), and h(u_a) = 0. Safeguarded Halley iteration
    u ← u − (f/h′)/(1 − f·h″/(2h′²)), f = h(u) − c, on the bracket [u_a, u_hi] with u_hi the lesser
    of two upper bounds on the root (linear: h(u) ≥ b(u + ln b) + a ln a; quadratic:
    p* ≤ (√(a + c/2) + √(c/2))², from kl(a‖p) ≥ (p − a)²/(2p)). It starts at the second-order estimate
    p₀ = a + √(2abc) if that lies inside the bracket, else at u_hi; a step leaving the current bracket
    (lo, hi] is replaced by bisection. A pair stops when |f| is within rounding, eps·(|terms of h| + c),
    when its bracket is below 4·eps·u, or after a step below 1e-5·(u − u_a):
    near the root Halley's error contracts like e ↦ K·e³ with K ~ 1/(u − u_a)² (h is quadratic
    about its minimum u_a, close to linear far from it), so the step leaves an error ≲ 1e-15·(u − u_a).
    Pairs are solved in blocks of BLOCK (cache-sized arrays); a block iterates until all have stopped.
    Closed forms: b = 0 → p = 1; c = 0 → p = a, t = b; a = 0 → u* = c; c > 750b + 0.582 → t = 0, p = 1
    (then u* > 750 because h(u) ≤ b·u + 1/(e − 1) for u ≥ 1, and e^{−750} underflows).
    """
    underflow = (b == 0) | (c > _UNDERFLOW_U * b + _ONE_OVER_E_MINUS_ONE)
    u = np.where(underflow, np.inf, np.where(a == 0, c, 0.0))
    index = np.flatnonzero((a > 0) & (c > 0) & ~underflow)
    for start in range(0, index.size, BLOCK):
        block = index[start:start + BLOCK]
        u[block] = _kl_root_block(a[block], b[block], c[block])
    at_q = c == 0
    return np.where(at_q, a, -np.expm1(-u)), np.where(at_q, b, np.exp(-u))


def _inverse_arguments(q, c):
    q = _probability(q, "q")
    c = _in_range(c, "c", 0.0, np.inf)
    q, c = broadcast(q=q, c=c)
    return q.ravel(), np.minimum(c, np.finfo(np.float64).max).ravel(), q.shape


def kl_inverse_upper(q, c):
    """kl⁻¹(q, c) = max{p ∈ [q, 1] : kl(q‖p) ≤ c}, the Seeger bound's inversion.

    q ∈ [0, 1], c ∈ [0, ∞] (c = ∞ gives 1), broadcast together. Solved in u = −ln(1 − p) by
    safeguarded Halley iteration (see `_kl_root`), vectorised over all pairs. Error (tests: mpmath):
    a few ulps of p, plus eps·(1 + u*) relative to 1 − p (u* is held in floating point), plus the
    problem's own condition eps·(|terms of kl| + c)/|∂kl/∂p|. Exact cases: q = 1 → 1; c = 0 → q;
    q = 0 → 1 − e^{−c}.
    """
    q, c, shape = _inverse_arguments(q, c)
    p, _ = _kl_root(q, 1 - q, c)
    return _out(p.reshape(shape))


def kl_inverse_lower(q, c):
    """min{p ∈ [0, q] : kl(q‖p) ≤ c}, the lower inversion.

    kl(q‖p) = kl(1 − q‖1 − p), so this is 1 minus the upper inversion for 1 − q: the root's tail t,
    solved with b = q passed exactly. q ∈ [0, 1], c ∈ [0, ∞] (c = ∞ gives 0), broadcast together.
    Error as for `kl_inverse_upper` with the roles of p and 1 − p exchanged.
    Exact cases: q = 0 → 0; c = 0 → q; q = 1 → e^{−c}.
    """
    q, c, shape = _inverse_arguments(q, c)
    _, t = _kl_root(1 - q, q, c)
    return _out(t.reshape(shape))


# ----------------------------------------------------------------------------- bounds (B2)


def _bound_arguments(emp_risk, kl, n, delta):
    return broadcast(emp_risk=_probability(emp_risk, "emp_risk"), kl=_divergence(kl, "kl"),
                     n=_sample_size(n, "n"), delta=_confidence(delta, "delta"))


def complexity(kl, n, delta):
    """c = (KL + ln(2√n/δ))/n, the complexity term of the Maurer–Seeger bound."""
    _, kl, n, delta = _bound_arguments(0.0, kl, n, delta)
    return _out(_complexity(kl, n, delta))


def _complexity(kl, n, delta):
    return (kl + np.log(2 * np.sqrt(n) / delta)) / n


def mcallester_bound(emp_risk, kl, n, delta):
    """McAllester's bound with Maurer's constant: L ≤ L̂ + √(c/2), c = (KL + ln(2√n/δ))/n."""
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    return _out(emp_risk + np.sqrt(_complexity(kl, n, delta) / 2))


def seeger_bound(emp_risk, kl, n, delta):
    """Seeger–Maurer bound: L ≤ kl⁻¹(L̂, c), c = (KL + ln(2√n/δ))/n."""
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    return kl_inverse_upper(emp_risk, _complexity(kl, n, delta))


def quadratic_bound(emp_risk, kl, n, delta):
    """Quadratic bound: L ≤ (√(L̂ + c/2) + √(c/2))², c = (KL + ln(2√n/δ))/n."""
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    half = _complexity(kl, n, delta) / 2
    return _out((np.sqrt(emp_risk + half) + np.sqrt(half)) ** 2)


def lambda_optimal(emp_risk, kl, n, delta):
    """The minimiser of Thiemann et al.'s λ-bound: λ* = 2/(√(2L̂/c + 1) + 1) ∈ (0, 1]."""
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    return _out(2 / (np.sqrt(2 * emp_risk / _complexity(kl, n, delta) + 1) + 1))


def lambda_bound(emp_risk, kl, n, delta):
    """Thiemann et al. 2017: L ≤ [L̂ + c/λ]/(1 − λ/2) for all λ ∈ (0, 2) at once, at λ = λ*.

    c = (KL + ln(2√n/δ))/n, λ* = `lambda_optimal` (closed form). Its value equals `quadratic_bound`.
    """
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    c = _complexity(kl, n, delta)
    lam = 2 / (np.sqrt(2 * emp_risk / c + 1) + 1)
    return _out((emp_risk + c / lam) / (1 - lam / 2))


def catoni_bound(emp_risk, kl, n, delta, grid=CATONI_GRID):
    """Catoni's bound minimised over a grid of C with a union bound (δ/|grid| per C):

    L ≤ min_{C∈grid} (1 − exp(−C·L̂ − c_C)) / (1 − e^{−C}),   c_C = (KL + ln(|grid|/δ))/n.
    `grid`: a non-empty 1-D array of positive finite C (default CATONI_GRID = 2^{-5}, ..., 2^{5}).
    """
    emp_risk, kl, n, delta = _bound_arguments(emp_risk, kl, n, delta)
    grid = _in_range(grid, "grid", 0.0, np.inf, low_open=True, high_open=True)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"grid must be a non-empty 1-D array, got shape {grid.shape}")
    c = (kl + np.log(grid.size / delta)) / n
    values = np.expm1(-grid * emp_risk[..., None] - c[..., None]) / np.expm1(-grid)
    return _out(values.min(axis=-1))


# ----------------------------------------------------------------------------- Monte Carlo risk (B3)


def mc_risk_bound(emp_risk_mc, n_samples, delta):
    """Upper bound on the stochastic predictor's empirical risk from M sampled predictors:

    L̂_S(Q) ≤ kl⁻¹(L̂_M, ln(2/δ′)/M)   with probability ≥ 1 − δ′ over the M draws
    (Langford & Caruana 2001, in the form of Dziugaite & Roy 2017). L̂_M is the mean of M i.i.d.
    values in [0, 1] (the empirical risks of M sampled masks) with mean L̂_S(Q); by Hoeffding's
    convexity argument their Chernoff bound is the Bernoulli one, P(L̂_M ≤ μ − ε) ≤ e^{−M kl(μ−ε‖μ)}.
    This is the two-sided form (ln 2/δ′): the one-sided upper tail alone would allow ln(1/δ′), so
    the statement is conservative by ln 2/M in the complexity.
    """
    emp_risk_mc = _probability(emp_risk_mc, "emp_risk_mc")
    n_samples = _sample_size(n_samples, "n_samples")
    delta = _confidence(delta, "delta")
    return kl_inverse_upper(emp_risk_mc, np.log(2 / delta) / n_samples)


def mc_seeger_bound(emp_risk_mc, n_samples, kl, n, delta_pb, delta_mc):
    """The certified bound of a stochastic predictor estimated by Monte Carlo (B3), at confidence
    1 − δ_PB − δ_MC (union bound):  L(Q) ≤ kl⁻¹(kl⁻¹(L̂_M, ln(2/δ_MC)/M), (KL + ln(2√n/δ_PB))/n).
    kl⁻¹(q, c) is increasing in q, so the Seeger bound at an upper bound on L̂_S(Q) is a bound."""
    _confidence(delta_pb, "delta_pb")
    _confidence(delta_mc, "delta_mc")
    return seeger_bound(mc_risk_bound(emp_risk_mc, n_samples, delta_mc), kl, n, delta_pb)


# ----------------------------------------------------------------------------- derivations (sympy)

_Q, _P = sp.symbols("q p", positive=True)
_QBAR, _PBAR = sp.symbols("qbar pbar", positive=True)  # 1 − q, 1 − p as positive symbols, for log algebra
_U, _V = sp.symbols("u v", real=True)
_C = sp.Symbol("c", positive=True)
_LHAT = sp.Symbol(r"\hat{L}", positive=True)
_LAMBDA = sp.Symbol("lambda", positive=True)
_N, _DELTA, _KL = sp.Symbol("n", positive=True), sp.Symbol("delta", positive=True), sp.Symbol("KL", nonnegative=True)
KL_INVERSE = sp.Function(r"\mathrm{kl}^{-1}")


def _kl_expr(q, p, qbar=None, pbar=None):
    """kl(q‖p) as a sympy expression; qbar, pbar stand for 1 − q, 1 − p when given."""
    qbar = 1 - q if qbar is None else qbar
    pbar = 1 - p if pbar is None else pbar
    return q * sp.log(q / p) + qbar * sp.log(qbar / pbar)


def _bernoulli_pmf(theta, x):
    return theta**x * (1 - theta) ** (1 - x)


def _vanishes(expr) -> bool:
    """True when expr expands to 0 after factoring the argument of every logarithm and splitting the
    logarithms of products of (positive) symbols."""
    factored = expr.replace(sp.log, lambda argument: sp.log(sp.factor(argument)))
    return sp.expand(sp.expand_log(factored, force=True)) == 0


def _sigmoid(z):
    return 1 / (1 + sp.exp(-z))


@functools.cache
def derive_b1() -> Derivation:
    """KL of Bernoulli, product-Bernoulli and diagonal-Gaussian laws; kl(σ(u)‖σ(v)) ≤ (u − v)²/8."""
    der = Derivation("B1", "divergences between mask laws and between Gaussian perturbations")
    x = sp.Symbol("x")
    summed = sum(_bernoulli_pmf(_Q, k) * sp.log(_bernoulli_pmf(_Q, k) / _bernoulli_pmf(_P, k)) for k in (0, 1))
    der.add("KL(Bern(q)‖Bern(p)) = Σ_{x∈{0,1}} q^x(1−q)^{1−x} ln[q^x(1−q)^{1−x} / (p^x(1−p)^{1−x})] =", summed)
    kl = _kl_expr(_Q, _P)
    if not _vanishes(summed - kl):
        raise AssertionError("Bernoulli KL mismatch")
    der.add("which sympy reduces to the binary divergence kl(q‖p):", kl)

    ps, qs = sp.symbols("p_1 p_2", positive=True), sp.symbols("q_1 q_2", positive=True)
    joint = 0
    for m in ((0, 0), (0, 1), (1, 0), (1, 1)):
        prob_p = _bernoulli_pmf(ps[0], m[0]) * _bernoulli_pmf(ps[1], m[1])
        prob_q = _bernoulli_pmf(qs[0], m[0]) * _bernoulli_pmf(qs[1], m[1])
        joint += prob_p * sp.log(prob_p / prob_q)
    product = _kl_expr(ps[0], qs[0]) + _kl_expr(ps[1], qs[1])
    if not _vanishes(joint - product):
        raise AssertionError("product-Bernoulli KL is not additive")
    der.add("For independent mask entries the log-ratio is a sum over j; summing over all 2^d masks (sympy, "
            "d = 2) gives Σ_j kl(p_j‖q_j):", sp.Eq(sp.Symbol("KL_2"), product))
    j = sp.Symbol("j", integer=True, positive=True)
    d = sp.Symbol("d", integer=True, positive=True)
    p_j, q_j = sp.Indexed("p", j), sp.Indexed("q", j)
    kl_product = sp.Sum(_kl_expr(p_j, q_j), (j, 1, d))

    mu_q, mu_p = sp.symbols("mu_q mu_p", real=True)
    s_q, s_p = sp.symbols("sigma_q sigma_p", positive=True)
    log_ratio = sp.log(s_p / s_q) - (x - mu_q) ** 2 / (2 * s_q**2) + (x - mu_p) ** 2 / (2 * s_p**2)
    der.add("Gaussians: ln N(x; μ_q, σ_q²) − ln N(x; μ_p, σ_p²) =", log_ratio)
    moments = sp.Poly(sp.expand(log_ratio), x).all_coeffs()[::-1]  # coefficients of 1, x, x²
    expected = sp.expand(moments[0] + moments[1] * mu_q + moments[2] * (mu_q**2 + s_q**2))
    kl_gauss = sp.log(s_p / s_q) + (s_q**2 + (mu_q - mu_p) ** 2) / (2 * s_p**2) - sp.Rational(1, 2)
    if sp.expand(expected - kl_gauss) != 0:
        raise AssertionError("Gaussian KL mismatch")
    der.add("is quadratic in x; with E x = μ_q and E x² = μ_q² + σ_q² its mean is (per coordinate, summed over "
            "the diagonal)", kl_gauss)

    a_of = sp.log(1 + sp.exp(_U))
    second = sp.exp(_U) / (1 + sp.exp(_U)) ** 2
    e_u, e_v = sp.symbols("e_u e_v", positive=True)  # e^u, e^v: the identities are rational in them
    sigma_u = e_u / (1 + e_u)
    differentiated = sp.diff(a_of, _U, 2).subs(sp.exp(_U), e_u)
    if sp.cancel(differentiated - second.subs(sp.exp(_U), e_u)) != 0 or sp.cancel(
            differentiated - sigma_u * (1 - sigma_u)) != 0:
        raise AssertionError("A'' is not σ(1 − σ)")
    der.add("Logits: Bern(σ(u)) is an exponential family with log-partition A(u) = ln(1 + e^u), A′ = σ and "
            "A″ = σ(1 − σ):", sp.Eq(sp.Symbol("A''(u)"), second))
    bregman = a_of.subs(_U, _V) - a_of - _sigmoid(_U) * (_V - _U)
    # 1 − σ(u) = 1/(1 + e^u), written so; then every logarithm splits and ln e^u = u.
    kl_logits = _kl_expr(sigma_u, e_v / (1 + e_v), 1 / (1 + e_u), 1 / (1 + e_v))
    in_exp = sp.log(1 + e_v) - sp.log(1 + e_u) - sigma_u * (_V - _U)
    difference = sp.expand(sp.expand_log(kl_logits - in_exp, force=True)).subs({sp.log(e_u): _U, sp.log(e_v): _V})
    if sp.cancel(difference) != 0:
        raise AssertionError("kl(σ(u)‖σ(v)) is not the Bregman divergence of A")
    der.add("kl(σ(u)‖σ(v)) is the Bregman divergence of A (sympy: the difference simplifies to 0):",
            sp.Eq(sp.Symbol(r"\mathrm{kl}(\sigma(u)\|\sigma(v))"), bregman))
    s = sp.Symbol("s", positive=True)
    peak = sp.solve(sp.diff(s * (1 - s), s), s)[0]
    der.add("σ(1 − σ) = s(1 − s) is maximal at s = 1/2, so A″ ≤", peak * (1 - peak))
    logit_bound = (_U - _V) ** 2 / 8
    der.add("By Taylor's theorem with integral remainder, A(v) − A(u) − A′(u)(v − u) = ∫_u^v (v − θ)A″(θ)dθ "
            "≤ (1/4)(v − u)²/2:", sp.Le(sp.Symbol(r"\mathrm{kl}(\sigma(u)\|\sigma(v))"), logit_bound))
    der.results.update(kl_bernoulli=kl, kl_product=kl_product, kl_gaussian=kl_gauss, second_derivative=second,
                       bregman=bregman, logit_bound=logit_bound, curvature_max=peak * (1 - peak))
    return der


@functools.cache
def derive_b2() -> Derivation:
    """The bounds as relaxations of kl(L̂‖L) ≤ c: Pinsker, the quadratic bound, λ*, Catoni's C*."""
    der = Derivation("B2", "PAC-Bayes bounds for a loss in [0, 1]")
    complexity_expr = (_KL + sp.log(2 * sp.sqrt(_N) / _DELTA)) / _N
    der.add("Seeger–Maurer: with probability ≥ 1 − δ, for all Q at once, kl(L̂‖L) ≤ c with",
            sp.Eq(_C, complexity_expr))
    seeger = KL_INVERSE(_LHAT, _C)
    der.add("so L ≤ kl⁻¹(L̂, c), the largest p with kl(L̂‖p) ≤ c (kl is increasing in p ≥ L̂):", seeger)
    kl = _kl_expr(_Q, _P)

    pinsker_gap = kl - 2 * (_P - _Q) ** 2
    pinsker_slope = sp.factor(sp.together(sp.diff(pinsker_gap, _P)))
    stated = (_P - _Q) * (1 - 4 * _P * (1 - _P)) / (_P * (1 - _P))
    if sp.cancel(pinsker_slope - stated) != 0:
        raise AssertionError("Pinsker slope mismatch")
    der.add("Pinsker: g(p) = kl(q‖p) − 2(p − q)² has g(q) = 0 and g′(p) =", stated)
    der.add("and p(1 − p) ≤ 1/4 makes g′ have the sign of p − q, so g ≥ 0: kl ≥ 2(p − q)², hence")
    mcallester = _LHAT + sp.sqrt(_C / 2)
    der.add("McAllester–Maurer", sp.Le(sp.Symbol("L"), mcallester))

    quadratic_gap = kl - (_P - _Q) ** 2 / (2 * _P)
    quadratic_slope = sp.together(sp.diff(quadratic_gap, _P))
    stated_q = (_P - _Q) * (1 / (1 - _P) + (_P - _Q) / (2 * _P**2))
    if sp.cancel(quadratic_slope - stated_q) != 0:
        raise AssertionError("quadratic-bound slope mismatch")
    der.add("For p ≥ q, g(p) = kl(q‖p) − (p − q)²/(2p) has g(q) = 0 and g′(p) ≥ 0:", stated_q)
    quadratic = (sp.sqrt(_LHAT + _C / 2) + sp.sqrt(_C / 2)) ** 2
    r = sp.Symbol("r", positive=True)  # r = √(2L̂/c + 1) ≥ 1 rationalises every square root below
    as_r = {_LHAT: _C * (r**2 - 1) / 2}
    boundary = sp.expand(((_P - _LHAT) ** 2 - 2 * _P * _C).subs(_P, quadratic).subs(as_r))
    slope_there = sp.expand((2 * (_P - _LHAT) - 2 * _C).subs(_P, quadratic).subs(as_r))  # = 2cr > 0
    if boundary != 0 or sp.cancel(slope_there / (2 * _C * r)) != 1:
        raise AssertionError("quadratic bound mismatch")
    der.add("so (L − L̂)² ≤ 2Lc; its larger root (sympy: a root, where the quadratic is increasing) is the "
            "quadratic bound", sp.Le(sp.Symbol("L"), quadratic))

    lam_objective = (_LHAT + _C / _LAMBDA) / (1 - _LAMBDA / 2)
    der.add("Thiemann et al.: from (L − L̂)² ≤ 2Lc and √(2Lc) ≤ λL/2 + c/λ, for every λ ∈ (0, 2)",
            sp.Le(sp.Symbol("L"), lam_objective))
    lam_star = 2 / (sp.sqrt(2 * _LHAT / _C + 1) + 1)
    if sp.cancel(sp.diff(lam_objective, _LAMBDA).subs(_LAMBDA, lam_star).subs(as_r)) != 0:
        raise AssertionError("λ* is not the stationary point")
    der.add("its only stationary point in (0, 2), a minimum (the objective → ∞ at both ends), is",
            sp.Eq(sp.Symbol(r"\lambda^*"), lam_star))
    if sp.expand(sp.cancel((lam_objective.subs(_LAMBDA, lam_star) - quadratic).subs(as_r))) != 0:
        raise AssertionError("λ-bound at λ* differs from the quadratic bound")
    der.add("and its value there equals the quadratic bound (sympy, with L̂ = c(r² − 1)/2).")

    big_c = sp.Symbol("C", positive=True)
    catoni_phi = -sp.log(1 - _P * (1 - sp.exp(-big_c))) - big_c * _Q
    c_star = sp.log(_P * (1 - _Q) / (_Q * (1 - _P)))
    at_star = catoni_phi.subs(big_c, c_star).subs({_P: 1 - _PBAR, _Q: 1 - _QBAR})
    kl_bar = _kl_expr(1 - _QBAR, 1 - _PBAR, _QBAR, _PBAR)
    if sp.cancel(sp.diff(catoni_phi, big_c).subs(big_c, c_star)) != 0 or not _vanishes(at_star - kl_bar):
        raise AssertionError("Catoni's supremum is not kl")
    der.add("Catoni: for fixed C, C·L ≤ ... gives L ≤ (1 − e^{−C L̂ − c_C})/(1 − e^{−C}); the function "
            "Φ_C(p) − Cq below is maximised at C* and its maximum is kl(q‖p), so the best C recovers "
            "the kl bound with ln(1/δ) in place of ln(2√n/δ):", catoni_phi)
    der.add("with", sp.Eq(sp.Symbol("C^*"), c_star))
    grid = sp.Symbol("k", positive=True, integer=True)
    catoni = (1 - sp.exp(-big_c * _LHAT - (_KL + sp.log(grid / _DELTA)) / _N)) / (1 - sp.exp(-big_c))
    der.add("A grid of k values of C costs a union bound, δ → δ/k:", sp.Le(sp.Symbol("L"), catoni))
    der.results.update(complexity=complexity_expr, seeger=seeger, pinsker_slope=stated, mcallester=mcallester,
                       quadratic_slope=stated_q, quadratic=quadratic, lambda_objective=lam_objective,
                       lambda_star=lam_star, catoni_phi=catoni_phi, catoni_c_star=c_star, catoni=catoni)
    return der


@functools.cache
def derive_b3() -> Derivation:
    """Chernoff's bound for a mean of M values in [0, 1] is e^{−M kl}; the MC correction and the union bound."""
    der = Derivation("B3", "Monte Carlo estimate of a stochastic predictor's empirical risk")
    lam, x, mu = _LAMBDA, sp.Symbol("x", positive=True), sp.Symbol("mu", positive=True)
    der.add("A value X ∈ [0, 1] with mean μ: e^{−λX} ≤ 1 − X + X e^{−λ} (convexity), so "
            "E e^{−λX} ≤ 1 − μ + μe^{−λ}, the Bernoulli(μ) moment generating function.")
    exponent = -lam * x - sp.log(1 - mu + mu * sp.exp(-lam))
    der.add("Chernoff, for the mean of M i.i.d. copies and x ≤ μ: P(X̄ ≤ x) ≤ exp(−M·sup_{λ≥0} ψ(λ)), ψ(λ) =",
            exponent)
    lam_star = sp.log(mu * (1 - x) / (x * (1 - mu)))
    if sp.cancel(sp.diff(exponent, lam).subs(lam, lam_star)) != 0:
        raise AssertionError("λ* is not stationary")
    xbar, mubar = _QBAR, _PBAR
    at_star = exponent.subs(lam, lam_star).subs({x: 1 - xbar, mu: 1 - mubar})
    if not _vanishes(at_star - _kl_expr(1 - xbar, 1 - mubar, xbar, mubar)):
        raise AssertionError("the Chernoff exponent is not kl")
    der.add("ψ is concave with stationary point λ* (≥ 0 for x ≤ μ)", sp.Eq(sp.Symbol(r"\lambda^*"), lam_star))
    der.add("where ψ(λ*) = kl(x‖μ) (sympy), so P(X̄ ≤ x) ≤ e^{−M kl(x‖μ)}.")
    m, delta_mc = sp.Symbol("M", positive=True), sp.Symbol(r"\delta_{MC}", positive=True)
    epsilon = sp.log(2 / delta_mc) / m
    der.add("Hence kl⁻¹(L̂_M, ε) < L̂_S(Q) happens with probability ≤ e^{−Mε}; ε = ln(2/δ_MC)/M (the "
            "two-sided form of Langford & Caruana) makes it ≤ δ_MC/2:", sp.Eq(sp.Symbol(r"\varepsilon"), epsilon))
    delta_pb = sp.Symbol(r"\delta_{PB}", positive=True)
    l_m = sp.Symbol(r"\hat{L}_M", positive=True)
    final = KL_INVERSE(KL_INVERSE(l_m, epsilon), (_KL + sp.log(2 * sp.sqrt(_N) / delta_pb)) / _N)
    der.add("kl⁻¹ is increasing in its first argument, and a union bound adds the two failure probabilities: "
            "with probability ≥ 1 − δ_PB − δ_MC", sp.Le(sp.Symbol("L(Q)"), final))
    der.results.update(chernoff_exponent=exponent, chernoff_lambda=lam_star, mc_epsilon=epsilon, final_bound=final)
    return der


@functools.cache
def derive_b6() -> Derivation:
    """Closed-form risk of a masked linear classifier under a Gaussian mixture; the binomial validity test."""
    der = Derivation("B6", "validity of the certified bound over independent samples")
    a, s = sp.Symbol("a", real=True), sp.Symbol("s", positive=True)
    der.add("Gaussian mixture: y uniform on {−1, +1}, x | y ~ N(yμ, σ²I). For fixed v = m⊙w, "
            "y·xᵀv = μᵀv + σ·yzᵀv with z ~ N(0, I), so y·xᵀv ~ N(a, s²) with a = μᵀv, s = σ||v||.")
    risk = cdf(Normal("Z", a, s))(0)
    closed = sp.erfc(a / (sp.sqrt(2) * s)) / 2
    if sp.expand((risk - closed).rewrite(sp.erf)) != 0:
        raise AssertionError("mask risk mismatch")
    der.add("The 0-1 risk of the masked classifier is P(y xᵀv ≤ 0) = Φ(−a/s):", sp.Eq(sp.Symbol("L(v)"), closed))
    der.add("and L(Q) = Σ_m P(m)·L(m⊙w) exactly over the 2^d masks.")
    k, r, delta = sp.symbols("k R delta", positive=True)
    i = sp.Symbol("i", integer=True, nonnegative=True)
    p_value = sp.Sum(sp.binomial(r, i) * delta**i * (1 - delta) ** (r - i), (i, k, r))
    der.add("Over R independent samples the failures (bound < L(Q)) number K ~ Binomial(R, π) with π ≤ δ if the "
            "bound is valid; the one-sided p-value of the observed count k against π = δ is", p_value)
    der.results.update(mask_risk=closed, p_value=p_value)
    return der
