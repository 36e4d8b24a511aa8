"""Checks of claims G1–G3: sympy identities, quadrature, Monte Carlo, finite differences, limits, training.

Each `check_gK(profile, rng)` returns a list of `CheckResult`s; sizes per profile are in SIZES and every
random draw comes from `rng`. Monte Carlo comparisons over several parameter values report the largest
standardised error max_k |estimate_k − exact_k|/se_k against the Bonferroni-corrected two-sided normal
quantile for the false-failure rate 1e-6 (proportions use the exact binomial se √(p(1 − p)/N)).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtr, roots_legendre

from simulations.gates import (
    SIGNAL,
    band_disagreements,
    correlated_problem,
    fit_penalty_shape,
    logistic_noise,
    orthogonal_problem,
    penalty_shape,
    sample_gates,
    teacher_student_data,
    train_gated_linear,
    train_gated_mlp,
)
from sparsetheory.checks import EPS, FALSE_FAILURE_RATE, at_least, at_most, close, mc_z
from theory.gates import (
    BETA,
    GAMMA,
    GAUSSIAN_GATE,
    ZETA,
    ClippedGate,
    derive_g1,
    derive_g2,
    derive_g3,
    expand_group_gates,
    gaussian_gate_moments,
    group_l0_surrogate,
    hard_concrete_gate,
    hard_concrete_gate_family,
    hard_concrete_gate_grad,
    hard_concrete_moments,
    hard_concrete_penalty_constants,
    hard_concrete_prob_nonzero,
    hard_concrete_prob_one,
    hard_concrete_prob_zero,
    hard_concrete_test_gate,
    mean_beta_one,
    scaled_gate_penalty,
)
from theory.penalties import get_penalty

SIZES = {
    "tiny": dict(samples=20_000, fd_points=200, n=60, d=12, n_lams=4, steps=600, mlp_n=300, mlp_steps=600,
                 mlp_d=10, hidden=8, groups=20, group_samples=4_000, e4_nodes=6),
    "quick": dict(samples=400_000, fd_points=2_000, n=200, d=40, n_lams=10, steps=2000, mlp_n=400, mlp_steps=1500,
                  mlp_d=20, hidden=16, groups=60, group_samples=40_000, e4_nodes=8),
    "full": dict(samples=4_000_000, fd_points=20_000, n=400, d=80, n_lams=24, steps=4000, mlp_n=1000,
                 mlp_steps=3000, mlp_d=40, hidden=24, groups=200, group_samples=400_000, e4_nodes=12),
}
LOG_ALPHAS = np.array([-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0])
FD_STEP = 1e-4
MLP_RELEVANT = 4
GROUP_CHUNK = 20_000  # sampled gate vectors expanded to parameters at a time
MLP_LAMBDA = 1e-2


def _bonferroni_z(count: int) -> float:
    return mc_z(FALSE_FAILURE_RATE / count)


def _standardised(estimates, exact, se) -> float:
    """max_k |estimate_k − exact_k|/se_k, with se_k = 0 allowed only where the two agree exactly."""
    estimates, exact, se = (np.asarray(a, dtype=np.float64) for a in (estimates, exact, se))
    error = np.abs(estimates - exact)
    return float(np.max(np.where(se > 0, error / np.where(se > 0, se, 1.0), np.where(error > 0, np.inf, 0.0))))


def _moment_checks(claim: str, prefix: str, label: str, samples: np.ndarray, probs: dict[str, np.ndarray],
                   moments) -> list:
    """Monte Carlo of P(z = 0), P(z = 1), E z, E z² (samples: (N, K)) against closed forms/quadrature."""
    N = samples.shape[0]
    z_value = _bonferroni_z(4 * samples.shape[1])
    results = []
    for key, event in (("zero", samples == 0.0), ("one", samples == 1.0)):
        p = probs[key]
        results.append(close(claim, f"{prefix}-{key}-mc", f"{label}: P(z = {0 if key == 'zero' else 1}), max |MC − "
                             f"closed form|/se over {samples.shape[1]} parameters", "monte carlo", 0,
                             _standardised(event.mean(axis=0), p, np.sqrt(p * (1 - p) / N)), z_value))
    for key, power, exact in (("mean", 1, moments.mean), ("second", 2, moments.second)):
        values = samples**power
        se = values.std(axis=0, ddof=1) / np.sqrt(N)
        results.append(close(claim, f"{prefix}-{key}-mc", f"{label}: E z{'²' if power == 2 else ''}, max |MC − "
                             "quadrature|/se", "monte carlo", 0, _standardised(values.mean(axis=0), exact, se),
                             z_value))
    return results


# --------------------------------------------------------------------------- G1


def check_g1(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_g1()  # raises unless every sympy identity of the derivation holds
    results = [close("G1", "sympy", "sympy identities of the derivation that failed", "sympy", 0, 0, 0)]

    family = hard_concrete_gate_family()
    loc, scale = LOG_ALPHAS / BETA, 1 / BETA
    closed = hard_concrete_prob_nonzero(LOG_ALPHAS)
    results.append(close("G1", "surrogate-cdf",
                         "P(z ≠ 0): closed form sigmoid(ln alpha − beta·ln(−gamma/zeta)) vs 1 − F_V(0)", "enumeration",
                         0, np.max(np.abs(closed - family.prob_nonzero(loc, scale))), 16 * EPS))

    samples = sample_gates(family, loc, scale, size["samples"], rng)
    probs = {"zero": hard_concrete_prob_zero(LOG_ALPHAS), "one": hard_concrete_prob_one(LOG_ALPHAS)}
    results += _moment_checks("G1", "hc", "hard concrete (beta = 2/3)", samples, probs,
                              hard_concrete_moments(LOG_ALPHAS))

    log_alphas = LOG_ALPHAS[np.abs(LOG_ALPHAS) >= 1]  # the closed form cancels like eps/(α − 1)² near α = 1
    alpha = np.exp(log_alphas)
    quadrature = hard_concrete_moments(log_alphas, beta=1.0)
    _, _, closed_mean = mean_beta_one()
    terms = alpha / (alpha - 1) ** 2 * (np.abs(alpha - 1) + (ZETA - GAMMA) * np.abs(
        np.log((alpha * ZETA - GAMMA) / (alpha * (ZETA - 1) + 1 - GAMMA))))
    results.append(close("G1", "mean-beta-one", "E z at beta = 1: sympy closed form vs quadrature, max over ln alpha",
                         "sympy", 0, np.max(np.abs(closed_mean(alpha, GAMMA, ZETA) - quadrature.mean)),
                         np.max(32 * EPS * terms + quadrature.error)))

    grid = rng.uniform(-8, 8, size["fd_points"])
    central = (hard_concrete_prob_nonzero(grid + FD_STEP) - hard_concrete_prob_nonzero(grid - FD_STEP)) / (2 * FD_STEP)
    pi = hard_concrete_prob_nonzero(grid)
    # |σ‴| ≤ 1/8: truncation h²/6·(1/8); each σ is within 2 eps, so rounding ≤ 2 eps/h.
    results.append(close("G1", "surrogate-fd", "max |∂P(z ≠ 0)/∂ln alpha − central difference| (h = 1e-4)",
                         "finite difference", 0, np.max(np.abs(central - pi * (1 - pi))),
                         FD_STEP**2 / 48 + 2 * EPS / FD_STEP + EPS))

    noise, log_alpha = logistic_noise(rng, size["fd_points"]), rng.uniform(-4, 4, size["fd_points"])
    plus, minus = (hard_concrete_gate(noise, log_alpha + s, BETA) for s in (FD_STEP, -FD_STEP))
    smooth = (plus > 0) & (plus < 1) & (minus > 0) & (minus < 1)  # no clipping kink within ±h
    grad = hard_concrete_gate_grad(noise, log_alpha, BETA)[smooth]
    # z‴ in ln α is (ζ − γ)σ‴/β³ ≤ (ζ − γ)/(8β³); rounding of each z ≤ 4 eps.
    results.append(close("G1", "gate-fd", f"reparametrised ∂z/∂ln alpha vs central difference ({smooth.sum()} "
                         "unclipped draws)", "finite difference", 0,
                         np.max(np.abs((plus - minus)[smooth] / (2 * FD_STEP) - grad)),
                         FD_STEP**2 * (ZETA - GAMMA) / (48 * BETA**3) + 4 * EPS / FD_STEP))

    tiny_beta = 1e-6
    bernoulli = expit(LOG_ALPHAS)
    error = max(np.max(np.abs(hard_concrete_prob_nonzero(LOG_ALPHAS, tiny_beta) - bernoulli)),
                np.max(np.abs(hard_concrete_prob_one(LOG_ALPHAS, tiny_beta) - bernoulli)))
    # σ is 1/4-Lipschitz: |σ(ln α − βc) − σ(ln α)| ≤ β|c|/4.
    bound = tiny_beta * max(abs(np.log(-GAMMA / ZETA)), abs(np.log((1 - GAMMA) / (ZETA - 1)))) / 4
    results.append(at_most("G1", "bernoulli-limit",
                           "beta = 1e-6: max |P(z ≠ 0) − sigmoid(ln alpha)|, |P(z = 1) − sigmoid(ln alpha)|", "limit",
                           bound + 4 * EPS, error))
    small = 0.02
    draws = sample_gates(family, LOG_ALPHAS / small, 1 / small, size["samples"], rng)
    interior = hard_concrete_prob_nonzero(LOG_ALPHAS, small) - hard_concrete_prob_one(LOG_ALPHAS, small)
    fraction = np.mean((draws > 0) & (draws < 1), axis=0)
    results.append(close("G1", "bernoulli-mc", "beta = 0.02: fraction of draws strictly inside (0, 1), max |MC − "
                         "closed form|/se", "monte carlo", 0,
                         _standardised(fraction, interior, np.sqrt(interior * (1 - interior) / size["samples"])),
                         _bonferroni_z(len(LOG_ALPHAS))))

    grid = np.linspace(-6, 6, 241)
    results.append(close("G1", "test-gate-median", "beta = 1: max |Louizos test gate − median of z|", "enumeration",
                         0, np.max(np.abs(hard_concrete_test_gate(grid) - family.median_gate(grid, 1.0))), 4 * EPS))
    threshold = np.log(-GAMMA / ZETA)
    away = np.abs(grid - threshold) > 1e-9
    zero_rule = (hard_concrete_test_gate(grid) == 0) != (grid <= threshold)
    results.append(close("G1", "test-gate-zeros",
                         "grid points where the test gate is 0 but not ln alpha ≤ ln(−gamma/zeta), or vice versa",
                         "enumeration", 0, int(np.sum(zero_rule & away)), 0))
    median = family.median_gate(loc, scale)
    below = np.mean(samples <= median, axis=0)
    interior_median = (median > 0) & (median < 1)
    results.append(close("G1", "median-mc", "P(z ≤ median gate) for unclipped medians, max |MC − 1/2|/se",
                         "monte carlo", 0, _standardised(below[interior_median], 0.5,
                                                         np.full(interior_median.sum(),
                                                                 0.5 / np.sqrt(size["samples"]))),
                         _bonferroni_z(int(interior_median.sum()))))
    return results


# --------------------------------------------------------------------------- G2


GAUSSIAN_PARAMS = (np.array([-0.3, 0.2, 0.5, 0.9, 1.2]), np.array([0.3, 0.5, 0.2, 0.4, 0.6]))
GUMBEL_GATE = ClippedGate("gumbel", "sigmoid", GAMMA, ZETA)
GUMBEL_LOCS = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])


def check_g2(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_g2()
    results = [close("G2", "sympy", "sympy identities of the derivation that failed", "sympy", 0, 0, 0)]

    mu, sigma = GAUSSIAN_PARAMS
    prob_zero, prob_one, mean, second = gaussian_gate_moments(mu, sigma)
    quadrature = GAUSSIAN_GATE.moments(mu, sigma)
    error = max(np.max(np.abs(mean - quadrature.mean)), np.max(np.abs(second - quadrature.second)))
    results.append(close("G2", "gaussian-quadrature", "Gaussian gate: closed-form E z, E z² vs quadrature of "
                         "the integral of k v^(k−1)(1 − F_V) over [0, 1]", "enumeration", 0, error,
                         np.max(quadrature.error) + 64 * EPS * (1 + np.max(np.abs(mu)) ** 2 + np.max(sigma) ** 2)))
    results.append(close("G2", "gaussian-cdf", "Gaussian gate: closed-form P(z = 0), P(z = 1) vs F_V through "
                         "the family", "enumeration", 0,
                         max(np.max(np.abs(prob_zero - GAUSSIAN_GATE.prob_zero(mu, sigma))),
                             np.max(np.abs(prob_one - GAUSSIAN_GATE.prob_one(mu, sigma)))), 16 * EPS))
    samples = sample_gates(GAUSSIAN_GATE, mu, sigma, size["samples"], rng)
    results += _moment_checks("G2", "gauss", "Gaussian gate", samples, {"zero": prob_zero, "one": prob_one},
                              quadrature._replace(mean=mean, second=second))

    samples = sample_gates(GUMBEL_GATE, GUMBEL_LOCS, 1.5, size["samples"], rng)
    results += _moment_checks("G2", "gumbel", "Gumbel base, sigmoid squash", samples,
                              {"zero": GUMBEL_GATE.prob_zero(GUMBEL_LOCS, 1.5),
                               "one": GUMBEL_GATE.prob_one(GUMBEL_LOCS, 1.5)},
                              GUMBEL_GATE.moments(GUMBEL_LOCS, 1.5))

    mid = np.array([0.05, 0.3, 0.7, 0.95])
    tiny_sigma = 1e-6
    # clip is 1-Lipschitz: |E clip(μ + σN) − clip(μ)| ≤ σE|N| = σ√(2/π).
    results.append(at_most("G2", "noise-free-limit", "sd 1e-6: max |E clip(μ + sd·N) − clip(μ)| over μ",
                           "limit", tiny_sigma * np.sqrt(2 / np.pi) + 16 * EPS,
                           np.max(np.abs(gaussian_gate_moments(mid, tiny_sigma)[2] - mid))))
    normal_sigmoid = ClippedGate("normal", "sigmoid", GAMMA, ZETA)
    level = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    temperature = 1e-6
    # P(z ≠ 0) = Φ(ℓ − βφ⁻¹(t₀)) with loc = ℓ/β, scale = 1/β; Φ is 1/√(2π)-Lipschitz.
    results.append(at_most("G2", "bernoulli-limit", "normal base, beta = 1e-6: max |P(z ≠ 0) − Phi(location)|", "limit",
                           temperature * abs(np.log(-GAMMA / ZETA)) / np.sqrt(2 * np.pi) + 16 * EPS,
                           np.max(np.abs(normal_sigmoid.prob_nonzero(level / temperature, 1 / temperature)
                                         - ndtr(level)))))

    n_groups = size["groups"]
    groups = rng.integers(0, n_groups, size=rng.integers(1, 10, n_groups).sum())
    log_alpha = rng.uniform(-3, 3, n_groups)
    pi = hard_concrete_prob_nonzero(log_alpha)
    gates = hard_concrete_gate(logistic_noise(rng, (size["group_samples"], n_groups)), log_alpha)
    counts = np.concatenate([np.count_nonzero(expand_group_gates(chunk, groups), axis=1)
                             for chunk in np.array_split(gates, -(-len(gates) // GROUP_CHUNK))])
    surrogate = group_l0_surrogate(pi, groups)
    results.append(close("G2", "group-surrogate-mc", f"group gates ({n_groups} groups, {len(groups)} parameters): "
                         "E[number of non-zero parameters] = Σ_g |g|·P(z_g ≠ 0)", "monte carlo", surrogate,
                         counts.mean(),
                         _bonferroni_z(1) * counts.std(ddof=1) / np.sqrt(len(counts))))
    return results


# --------------------------------------------------------------------------- G3

E_HARDCONCRETE_ACCURACY = 1e-10  # ≥ 10× the stated accuracies of both implementations (module docstrings)
E4_POINTS = np.array([0.1, 0.3, 0.5])  # u = |w|√(e/λ) below the plateau start u_max ≈ 0.535
E4_PANELS = 24
SLOPE_POINT = 1e-5
FIT_GRID = np.linspace(0.0, 1.5, 601)


def _e4_check(nodes: int):
    """ω(u) against E4's ∫_0^u 2s(1 − α(s))/α(s) ds = ∫_0^u 2sκ(ln α̂(s)) ds at u ∈ E4_POINTS.

    Composite Gauss–Legendre on the geometric panels [u/2^(k+1), u/2^k], k < E4_PANELS, with `nodes` and
    2·`nodes` nodes (their difference estimates the quadrature error); on [0, ε], ε = u/2^E4_PANELS, the
    integrand Ω′ lies between Ω′(ε) and c₀ (ω is concave), so c₀ε errs by ≤ ε(c₀ − Ω′(ε)). The error of
    ln α̂ (bound δ from the minimiser) enters through κ(ln α̂ ± δ). Returns (max |difference|, tolerance).
    """
    constants = hard_concrete_penalty_constants()
    k = np.arange(E4_PANELS)
    low, high = E4_POINTS[:, None] / 2.0 ** (k + 1), E4_POINTS[:, None] / 2.0**k  # (U, P)
    rules = []
    for count in (nodes, 2 * nodes):
        x, weights = roots_legendre(count)
        s = low[..., None] + (high - low)[..., None] * (x + 1) / 2  # (U, P, count)
        rules.append((s, weights * (high - low)[..., None] / 2))
    s_all = np.concatenate([s.ravel() for s, _ in rules])
    profile = scaled_gate_penalty(s_all)
    kappa, kappa_error = _kappa_at(profile.log_alpha)
    spread = np.maximum(np.abs(_kappa_at(profile.log_alpha + profile.log_alpha_error)[0] - kappa),
                        np.abs(_kappa_at(profile.log_alpha - profile.log_alpha_error)[0] - kappa))
    values, bounds, start = [], [], 0
    for s, weights in rules:
        size = s.size
        integrand = (2 * s_all * kappa)[start:start + size].reshape(s.shape)
        sensitivity = (2 * s_all * (spread + kappa_error))[start:start + size].reshape(s.shape)
        values.append(np.sum(weights * integrand, axis=(1, 2)))
        bounds.append(np.sum(weights * sensitivity, axis=(1, 2)))
        start += size
    epsilon = E4_POINTS / 2.0**E4_PANELS
    edge = scaled_gate_penalty(epsilon)
    edge_kappa, _ = _kappa_at(edge.log_alpha)
    tail_error = epsilon * (constants.zero_slope - 2 * epsilon * edge_kappa)
    integral = values[1] + constants.zero_slope * epsilon
    direct = scaled_gate_penalty(E4_POINTS)
    tolerance = np.abs(values[1] - values[0]) + bounds[1] + tail_error + direct.omega_error
    return float(np.max(np.abs(direct.omega - integral))), float(np.max(tolerance))


def _kappa_at(log_alpha):
    moments = hard_concrete_moments(log_alpha)
    kappa = moments.variance / moments.mean**2
    return kappa, kappa * (moments.error / moments.variance + 2 * moments.error / moments.mean)


def _penalty_shape_checks(results: list) -> None:
    constants = hard_concrete_penalty_constants()
    omega = scaled_gate_penalty(FIT_GRID).omega
    c0 = constants.zero_slope
    fits = {name: fit_penalty_shape(name, FIT_GRID, omega, start) for name, start in
            (("mcp", (c0, 1.0)), ("capped_l1", (c0, 1.0)), ("log_sum", (1.0, 0.1)))}
    for other in ("capped_l1", "log_sum"):
        results.append(at_most("G3", f"mcp-beats-{other.replace('_', '-')}",
                               f"sup |omega − fit| over u ∈ [0, 1.5]: best MCP ≤ best {other.replace('_', ' ')}",
                               "optimisation", fits[other][1], fits["mcp"][1]))
    matched = {name: float(np.max(np.abs(penalty_shape(name, FIT_GRID, (c0, 1.0)) - omega)))
               for name in ("mcp", "capped_l1")}
    results.append(at_most("G3", "mcp-matched",
                           "sup |omega − MCP with the slope c0 at 0 and plateau 1 of omega| ≤ the same for capped L1",
                           "optimisation", matched["capped_l1"], matched["mcp"]))


def check_g3(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_g3()
    results = [close("G3", "sympy", "sympy identities of the derivation that failed", "sympy", 0, 0, 0)]

    n, d = 50, 10
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    theta, log_alpha = rng.standard_normal(d), rng.uniform(-2, 3, d)
    moments = hard_concrete_moments(log_alpha)
    residual = y - X @ (theta * moments.mean)
    exact = (residual @ residual + np.sum(moments.variance * theta**2 * np.sum(X**2, axis=0))) / n
    gates = hard_concrete_gate(logistic_noise(rng, (size["group_samples"], d)), log_alpha)
    losses = np.mean((y - (gates * theta) @ X.T) ** 2, axis=1)
    results.append(close("G3", "gated-loss-mc", "E_z L(θ⊙z) = L(θ⊙E z) + (1/n)Σ Var z_j θ_j²||x_j||²: MC vs exact",
                         "monte carlo", exact, losses.mean(),
                         _bonferroni_z(1) * losses.std(ddof=1) / np.sqrt(len(losses))))

    w = np.geomspace(1e-3, 2.0, 40)
    results.append(close("G3", "e1-hardconcrete", "omega(w/sqrt 2) vs family E's get_penalty('hardconcrete').omega(w) "
                         "(independent code), max over 40 w", "enumeration", 0,
                         np.max(np.abs(scaled_gate_penalty(w / np.sqrt(2)).omega
                                       - get_penalty("hardconcrete").omega(w))),
                         E_HARDCONCRETE_ACCURACY))

    profile_grid = np.linspace(-30.0, 25.0, 221)
    moments = hard_concrete_moments(profile_grid)
    pi = hard_concrete_prob_nonzero(profile_grid)
    ratio = pi * moments.second / moments.mean**2
    relative = moments.error / moments.second + 2 * moments.error / moments.mean
    results.append(at_least("G3", "threshold-ratio", "min over ln alpha of P(z ≠ 0)·E z²/(E z)² (≥ 1 makes the "
                            "orthogonal optimum hard thresholding at e·a² = λ)", "enumeration", 1.0, ratio.min(),
                            float(np.max(ratio * relative)) + 16 * EPS))

    constants = hard_concrete_penalty_constants()
    difference, tolerance = _e4_check(size["e4_nodes"])
    results.append(close("G3", "e4-integral", "omega(u) = min over ln alpha vs the E4 integral of 2s(1 − keep)/keep "
                         "over [0, u] (Gauss-Legendre), u = 0.1, 0.3, 0.5", "enumeration", 0, difference, tolerance))

    u = np.linspace(0.0, 1.2, 121)
    log_alpha_hat = scaled_gate_penalty(u).log_alpha
    finite = np.isfinite(log_alpha_hat)
    keep = np.where(np.isposinf(log_alpha_hat), 1.0, 0.0)
    keep_moments = hard_concrete_moments(log_alpha_hat[finite])
    keep[finite] = keep_moments.mean**2 / keep_moments.second
    results.append(at_most("G3", "keep-monotone", "largest decrease of the keep rate 1/(1 + kappa) along |w| "
                           "(E4 needs it non-decreasing)", "enumeration", 0, max(0.0, -np.min(np.diff(keep))), 1e-12))

    small = SLOPE_POINT * np.array([1.0, 2.0, 4.0])
    slopes = scaled_gate_penalty(small).omega / small
    richardson = 2 * slopes[:2] - slopes[1:]
    results.append(close("G3", "zero-slope",
                         "slope of omega at 0: 2·sqrt(m2)/m1 vs Richardson extrapolation of omega(u)/u at u = 1e-5",
                         "limit", constants.zero_slope, richardson[0], 4 * abs(richardson[0] - richardson[1]) + 1e-9))

    far = hard_concrete_prob_zero(profile_grid[-1]) / (moments.variance[-1] / moments.mean[-1] ** 2)
    results.append(at_most("G3", "plateau-finite", "P(z = 0)/kappa at ln alpha = 25 (its limit) ≤ its sup u_max²: "
                           "the penalty reaches λ at a finite |w|, like MCP", "enumeration",
                           constants.plateau_start**2, far))
    inner = np.linspace(0.02, 0.98, 49) * constants.plateau_start
    step = inner[1] - inner[0]
    values = scaled_gate_penalty(inner).omega
    curvature = (values[2:] - 2 * values[1:-1] + values[:-2]) / step**2
    results.append(at_most("G3", "concavity", "max over (0, u_max) of omega'' + 2 (≤ 0: no local minimum strictly "
                           "between pruned and kept)", "enumeration", 0, float(np.max(curvature + 2)), 4e-12 / step**2))
    _penalty_shape_checks(results)

    X, y, _ = orthogonal_problem(rng, size["n"], size["d"])
    alignment = X.T @ y / size["n"]
    lams = np.geomspace(1e-3, 10.0, size["n_lams"])
    fit = train_gated_linear(X, y, lams, rng, steps=size["steps"])
    outside, _ = band_disagreements(alignment, fit)
    results.append(close("G3", "orthogonal-support", f"orthogonal design, {size['n_lams']} λ: trained support ≠ "
                         "l0 rule e·a² > λ, outside the band [u_max, c0/2]", "optimisation", 0, int(outside.sum()), 0))

    X, y, teacher = correlated_problem(rng, size["n"], size["d"])
    lam = (SIGNAL[0] / 2) ** 2 * float(np.mean(np.sum(X**2, axis=0)) / size["n"])
    fit = train_gated_linear(X, y, [lam], rng, steps=size["steps"])
    results.append(close("G3", "correlated-support", "correlated design (ρ = 0.3), λ = e(min|w*|/2)²: coordinates "
                         "where the test-time support ≠ the teacher's", "optimisation", 0,
                         int(np.sum((fit.test_weights[0] != 0) != (teacher != 0))), 0))

    X, y, support = teacher_student_data(rng, 2 * size["mlp_n"], size["mlp_d"], MLP_RELEVANT)
    train, test = slice(0, size["mlp_n"]), slice(size["mlp_n"], None)
    kwargs = dict(hidden=size["hidden"], steps=size["mlp_steps"])
    gated = train_gated_mlp(X[train], y[train], MLP_LAMBDA, rng, **kwargs)
    results.append(close("G3", "mlp-support", f"MLP ({size['mlp_d']} inputs, {MLP_RELEVANT} relevant): inputs whose "
                         "test-time gate ≠ 0 disagree with the teacher's", "optimisation", 0,
                         int(np.sum((gated.input_gates() != 0) != support)), 0))
    dense = train_gated_mlp(X[train], y[train], 0.0, rng, log_alpha0=30.0, **kwargs)
    difference = (gated.predict(X[test]) - y[test]) ** 2 - (dense.predict(X[test]) - y[test]) ** 2
    statistic = difference.mean() / (difference.std(ddof=1) / np.sqrt(difference.size))
    results.append(at_most("G3", "mlp-accuracy", "paired z-statistic of (gated − dense) test squared error "
                           "(one-sided, level 1e-6)", "statistic", mc_z(2 * FALSE_FAILURE_RATE), statistic))
    return results
