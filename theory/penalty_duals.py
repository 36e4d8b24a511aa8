"""Numerical helpers for penalties whose η-trick dual has no closed form (see theory/penalties.py).

- `gauss_legendre(n)`: Gauss–Legendre nodes and weights on [0, 1].
- `solve_increasing`: a vectorised safeguarded Newton iteration for g(x) = 0 with g increasing,
  one bracket per point (Newton inside the bracket, bisection when Newton leaves it).
- `dawson_integral(X)`: ∫_0^X D(x) dx, D the Dawson function, by quadrature for all X at once.
- `gate_terms(s, ...)`: moments of the hard-concrete gate with location s = log α (Louizos et al. 2018)
  and their first two derivatives in s, by quadrature.
- `keep_rule_omega(rule, w, lam)`: E4's integral Ω(w) = (1/λ)∫_0^{|w|} t(1 − α(t))/α(t) dt for a
  keep-rate rule α, with an error estimate.
No sampling: every quantity is a deterministic quadrature.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import dawsn, expit

from theory.validation import finite_result, real_scalar, real_values

QUADRATURE_NODES = 64
DAWSON_SPLIT = (4.0, 8.0)  # quadrature in x below 4, in ln x on (4, 8), asymptotic series from 8
DAWSON_TERMS = 12


@functools.cache
def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t_k ∈ (0, 1) and weights ω_k with Σ ω_k g(t_k) ≈ ∫_0^1 g (exact for degree ≤ 2n − 1)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    x, w = np.polynomial.legendre.leggauss(int(n))
    return (x + 1) / 2, w / 2


def solve_increasing(fun, lo, hi, x0=None, *, xtol: float = 1e-15, max_iter: int = 200) -> np.ndarray:
    """Roots of increasing functions, one per point: g(x) = 0 with x ∈ [lo, hi], g(lo) ≤ 0 ≤ g(hi).

    `fun(x, index)` returns (g(x), g′(x)) for the points `index` (an integer array) at abscissae x.
    Each iteration takes the Newton step x − g/g′ when it stays strictly inside the current bracket and
    the bisection point otherwise, then shrinks the bracket by the sign of g. A point stops when g = 0,
    when its Newton step |g/g′| or its bracket is below xtol·max(1, |x|); the returned x is the last
    abscissa at which `fun` was evaluated for that point (so values `fun` caches belong to it).
    RuntimeError if a point has not stopped after `max_iter` iterations (bisection alone halves the
    bracket each time, so this means a wrong bracket).
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {type(fun).__name__}")
    lo, hi = real_values(lo, "lo"), real_values(hi, "hi")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer ≥ 1, got {max_iter!r}")
    if lo.shape != hi.shape or np.any(~(lo <= hi)):
        raise ValueError(f"lo and hi must have equal shapes with lo ≤ hi, got shapes {lo.shape} and {hi.shape}")
    x = (lo + hi) / 2 if x0 is None else np.clip(np.array(x0, dtype=np.float64), lo, hi)
    active = np.arange(x.size)
    for _ in range(max_iter):
        if active.size == 0:
            return x
        xa = x[active]
        value, slope = fun(xa, active)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton_step = value / slope
        scale = xtol * np.maximum(1.0, np.abs(xa))
        upper = value > 0
        a = np.where(upper, lo[active], xa)
        b = np.where(upper, xa, hi[active])
        lo[active], hi[active] = a, b
        done = (value == 0) | (np.abs(newton_step) <= scale) | (b - a <= scale)
        newton = xa - newton_step
        inside = np.isfinite(newton) & (newton > a) & (newton < b)
        x[active] = np.where(done, xa, np.where(inside, newton, (a + b) / 2))
        active = active[~done]
    if active.size:
        raise RuntimeError(f"solve_increasing: {active.size} points did not converge in max_iter = {max_iter} "
                           f"iterations: check that [lo, hi] brackets each root")
    return x


def dawson_integral(X) -> np.ndarray:
    """I(X) = ∫_0^X D(x) dx = (X²/2)·₂F₂(1, 1; 3/2, 2; −X²) for X ≥ 0 (X = inf gives inf), vectorised.

    X ≤ 4: Gauss–Legendre with 48 nodes on [0, X]; 4 < X < 8: I(4) plus 32 nodes in ln x on [ln 4, ln X]
    (D is entire and bounded on the Bernstein ellipses of these intervals, so both rules converge
    geometrically). X ≥ 8: the asymptotic expansion from D(x) = 1/(2x) + Σ_k c_k x^{-2k-1},
    c_k = (2k−1)!!/2^{k+1}:  I(X) = ½ ln X + (γ + 2 ln 2)/4 − Σ_{k=1}^{12} c_k/(2k X^{2k}),
    whose truncation error at X = 8 is below 1e-16 (checked against mpmath's ₂F₂ in the tests).
    """
    X = real_values(X, "X", allow_inf=True)
    if np.any(X == -np.inf):
        raise ValueError("X must be finite or +inf, got −inf")
    flat = X.ravel()
    out = np.empty_like(flat)
    t48, w48 = gauss_legendre(48)
    t32, w32 = gauss_legendre(32)
    head = flat <= DAWSON_SPLIT[0]
    out[head] = flat[head] * (dawsn(flat[head, None] * t48) @ w48)
    middle = (flat > DAWSON_SPLIT[0]) & (flat < DAWSON_SPLIT[1])
    if np.any(middle):
        start = DAWSON_SPLIT[0] * float(dawsn(DAWSON_SPLIT[0] * t48) @ w48)
        width = np.log(flat[middle] / DAWSON_SPLIT[0])
        x = DAWSON_SPLIT[0] * np.exp(width[:, None] * t32)
        out[middle] = start + width * ((dawsn(x) * x) @ w32)
    tail = flat >= DAWSON_SPLIT[1]
    if np.any(tail):
        with np.errstate(over="ignore", divide="ignore"):
            inverse_square = 1 / flat[tail] ** 2
            series = np.zeros_like(inverse_square)
            for k in range(DAWSON_TERMS, 0, -1):  # Horner in 1/X²
                series = (series + _dawson_coefficient(k) / (2 * k)) * inverse_square
            out[tail] = 0.5 * np.log(flat[tail]) + (np.euler_gamma + 2 * np.log(2)) / 4 - series
    return out.reshape(X.shape)


def _dawson_coefficient(k: int) -> float:
    """c_k = (2k−1)!!/2^{k+1}, the coefficients of D(x) − 1/(2x) in powers of 1/x."""
    return float(np.prod(np.arange(1, 2 * k, 2, dtype=np.float64))) / 2.0 ** (k + 1)


@functools.lru_cache(maxsize=16)
def _gate_nodes(beta: float, gamma: float, zeta: float, nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature in τ = g(t) = β·logit((t − γ)/(ζ − γ)) over [g(0), g(1)]: nodes τ_k, t_k and weights
    ω_k·dt/dτ. In τ the integrands are entire up to poles at distance ≥ min(π, βπ) from the real axis,
    so Gauss–Legendre converges geometrically for every β, γ, ζ (in t it would slow down as γ → 0 or
    ζ → 1, where the logit's singularities approach [0, 1])."""
    u, weight = gauss_legendre(nodes)
    low, high = beta * np.log(-gamma / zeta), beta * np.log((1 - gamma) / (zeta - 1))
    tau = low + (high - low) * u
    gate = expit(tau / beta)
    t = gamma + (zeta - gamma) * gate
    return tau, t, weight * (high - low) * (zeta - gamma) * gate * (1 - gate) / beta


def gate_terms(s, beta: float, gamma: float, zeta: float, nodes: int = QUADRATURE_NODES) -> dict[str, np.ndarray]:
    """Hard-concrete gate z = min(1, max(0, σ((logit u + s)/β)(ζ − γ) + γ)), u ~ U(0, 1), location s.

    With g(t) = β·logit((t − γ)/(ζ − γ)), the gate's tail is P(z > t) = σ(s − g(t)) for t ∈ [0, 1), so
        m1 = E z = ∫_0^1 σ(s − g) dt,   m2 = E z² = ∫_0^1 2t σ(s − g) dt,   v = m2 − m1²,
    and ∂σ(s − g)/∂s = σ(1 − σ), ∂²/∂s² = σ(1 − σ)(1 − 2σ). When m1 > ½, v is computed from the
    lower tail Q = σ(g − s) instead, v = ∫2(1 − t)Q − (∫Q)², which does not cancel as z → 1.
    The integrals are taken in τ = g(t) (`_gate_nodes`). Returns m1, v and their first and second
    derivatives in s (keys m1, dm1, d2m1, v, dv, d2v).
    """
    s = real_values(s, "s")
    beta = real_scalar(beta, "beta", 0.0, low_open=True)
    gamma = real_scalar(gamma, "gamma", -np.inf, 0.0, low_open=True, high_open=True)
    zeta = real_scalar(zeta, "zeta", 1.0, np.inf, low_open=True, high_open=True)
    g, t, weight = _gate_nodes(beta, gamma, zeta, int(nodes))
    diff = s[..., None] - g
    upper, lower = expit(diff), expit(-diff)
    density = upper * lower
    curvature = density * (lower - upper)
    rise, fall = 2 * t * weight, 2 * (1 - t) * weight
    m1, dm1, d2m1 = upper @ weight, density @ weight, curvature @ weight
    m2, dm2, d2m2 = upper @ rise, density @ rise, curvature @ rise
    a, da, d2a = lower @ weight, -dm1, -d2m1
    b, db, d2b = lower @ fall, -(density @ fall), -(curvature @ fall)
    from_upper = m1 <= 0.5
    v = np.where(from_upper, m2 - m1**2, b - a**2)
    dv = np.where(from_upper, dm2 - 2 * m1 * dm1, db - 2 * a * da)
    d2v = np.where(from_upper, d2m2 - 2 * dm1**2 - 2 * m1 * d2m1, d2b - 2 * da**2 - 2 * a * d2a)
    return {"m1": m1, "dm1": dm1, "d2m1": d2m1, "v": v, "dv": dv, "d2v": d2v}


def keep_rule_omega(rule, w, lam: float, nodes: int = QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """E4: Ω(w) = (1/λ)∫_0^{|w|} t(1 − α(t))/α(t) dt for a vectorised keep-rate rule α: [0, ∞) → (0, 1].

    Gauss–Legendre with `nodes` points on [0, |w|]; the error estimate is the difference from the
    rule with nodes // 2 points (conservative for a smooth rule: the error of the finer rule is far
    smaller). Returns (Ω, error estimate), both with the shape of w.
    """
    if not callable(rule):
        raise TypeError(f"rule must be callable, got {type(rule).__name__}")
    w = np.abs(real_values(w, "w"))
    lam = real_scalar(lam, "lam", 0.0, low_open=True)

    def integral(count: int) -> np.ndarray:
        t, weight = gauss_legendre(count)
        points = w[..., None] * t
        keep = np.asarray(rule(points), dtype=np.float64)
        if np.any(~((keep > 0) & (keep <= 1))):
            raise ValueError("the keep-rate rule must return values in (0, 1]")
        return w * ((points * (1 - keep) / keep) @ weight) / lam

    fine = finite_result(integral(nodes), "w and lam")
    return fine, np.abs(fine - integral(max(1, nodes // 2)))
