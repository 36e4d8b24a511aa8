"""The data behind the figures of claim family G (differentiable binary gates and L0). No plotting.

Each function has the registry's signature ``f(seed, **settings) -> dict[str, np.ndarray]``; every random
draw comes from ``np.random.default_rng(seed)``. Conventions: hard-concrete gates with (β, γ, ζ) =
(2/3, −0.1, 1.1) unless stated; π = P(z ≠ 0) is the L0 surrogate, ẑ the test-time gate.

fig_gate_distributions (G1, G2): the law of z — point masses P(z = 0), P(z = 1) and the density on
  (0, 1) — for hard-concrete gates at several ln α and Gaussian gates clip(μ + σN), against histograms
  of sampled gates.
fig_gate_surrogate (G1): against ln α, the surrogate P(z ≠ 0), P(z = 1), E z (quadrature), the test-time
  gate ẑ and the true L0 of the test-time gate 1{ẑ ≠ 0}; Monte Carlo estimates of P(z ≠ 0).
fig_gate_penalty (G3): the scaled effective penalty ω(u) = min_{ln α}[u²κ + π] (Ω(w) = λω(|w|√(e/λ)))
  beside best-fitting MCP, capped-L1 and log-sum shapes and family E's "hardconcrete" penalty, the keep
  rate α(u) = 1/(1 + κ(ln α̂)), and Monte Carlo points of the variance term e w²κ = E_z L(θz) − L(w).
fig_gate_support_path (G3): L0-gated regression on an orthogonal design along a λ path: trained
  test-time support against the ℓ0 rule eâ² > λ and the band where both states are local minima; the
  surrogate Σπ_j against the true L0 ||θ⊙ẑ||₀.
"""

from __future__ import annotations

import numpy as np

from simulations.gates import (
    band_disagreements,
    fit_penalty_shape,
    logistic_noise,
    orthogonal_problem,
    penalty_shape,
    sample_gates,
    train_gated_linear,
)
from theory.gates import (
    BETA,
    GAMMA,
    ZETA,
    GAUSSIAN_GATE,
    gaussian_gate_moments,
    hard_concrete_gate,
    hard_concrete_gate_family,
    hard_concrete_moments,
    hard_concrete_penalty_constants,
    hard_concrete_prob_nonzero,
    hard_concrete_prob_one,
    hard_concrete_prob_zero,
    hard_concrete_test_gate,
    orthogonal_gate_support,
    scaled_gate_penalty,
)
from theory.penalties import get_penalty

HC_LOG_ALPHAS = (-1.5, 0.0, 1.5)
GAUSSIAN_PARAMS = ((0.25, 0.35), (0.7, 0.35))
PENALTY_N = 40  # rows of the d = 1 problem behind the Monte Carlo points of fig_gate_penalty
U_MAX_PLOT = 1.2


def _check_sizes(**sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an integer ≥ 2, got {value!r}")


def _interior_histogram(samples: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram of the draws in (0, 1) per column, normalised by the total number of draws (a density of
    the continuous part, integrating to P(0 < z < 1))."""
    width = np.diff(edges)
    counts = np.stack([np.histogram(column[(column > 0) & (column < 1)], edges)[0] for column in samples.T])
    return counts / (samples.shape[0] * width)


def gate_distributions(seed: int, n_samples: int, n_grid: int) -> dict[str, np.ndarray]:
    """Returns v (G,) in (0, 1); for the hard-concrete gates (K = 3): hc_log_alpha, hc_prob_zero, hc_prob_one,
    hc_mc_zero, hc_mc_one (K,), hc_density, hc_histogram; for the Gaussian gates (2): gauss_mu, gauss_sigma,
    gauss_prob_zero, ... likewise; edges (B + 1,) of the histogram bins; n_samples (0-d)."""
    _check_sizes(n_samples=n_samples, n_grid=n_grid)
    rng = np.random.default_rng(seed)
    v = np.linspace(0, 1, n_grid + 2)[1:-1]
    edges = np.linspace(0, 1, 21)
    family, log_alpha = hard_concrete_gate_family(), np.array(HC_LOG_ALPHAS)
    hc = sample_gates(family, log_alpha / BETA, 1 / BETA, n_samples, rng)
    mu, sigma = (np.array(values) for values in zip(*GAUSSIAN_PARAMS))
    gauss = sample_gates(GAUSSIAN_GATE, mu, sigma, n_samples, rng)
    gauss_zero, gauss_one, _, _ = gaussian_gate_moments(mu, sigma)
    return dict(
        v=v, edges=edges, n_samples=np.array(n_samples),
        hc_log_alpha=log_alpha, hc_prob_zero=hard_concrete_prob_zero(log_alpha),
        hc_prob_one=hard_concrete_prob_one(log_alpha), hc_mc_zero=np.mean(hc == 0, axis=0),
        hc_mc_one=np.mean(hc == 1, axis=0),
        hc_density=family.interior_density(v[None, :], (log_alpha / BETA)[:, None], 1 / BETA),
        hc_histogram=_interior_histogram(hc, edges),
        gauss_mu=mu, gauss_sigma=sigma, gauss_prob_zero=gauss_zero, gauss_prob_one=gauss_one,
        gauss_mc_zero=np.mean(gauss == 0, axis=0), gauss_mc_one=np.mean(gauss == 1, axis=0),
        gauss_density=GAUSSIAN_GATE.interior_density(v[None, :], mu[:, None], sigma[:, None]),
        gauss_histogram=_interior_histogram(gauss, edges),
    )


def gate_surrogate(seed: int, n_samples: int, n_grid: int) -> dict[str, np.ndarray]:
    """Returns log_alpha (G,) on [−6, 6]; prob_nonzero, prob_one, mean (E z), test_gate ẑ, test_l0 = 1{ẑ ≠ 0}
    (G,); mc_index (M,), mc_prob_nonzero, mc_se (M,) from `n_samples` gates at each of M grid points;
    zero_threshold = ln(−γ/ζ) (0-d)."""
    _check_sizes(n_samples=n_samples, n_grid=n_grid)
    rng = np.random.default_rng(seed)
    log_alpha = np.linspace(-6, 6, n_grid)
    mc_index = np.unique(np.round(np.linspace(0, n_grid - 1, min(13, n_grid))).astype(np.int64))
    draws = hard_concrete_gate(logistic_noise(rng, (n_samples, mc_index.size)), log_alpha[mc_index])
    nonzero = np.mean(draws != 0, axis=0)
    pi = hard_concrete_prob_nonzero(log_alpha)
    test_gate = hard_concrete_test_gate(log_alpha)
    return dict(
        log_alpha=log_alpha, prob_nonzero=pi, prob_one=hard_concrete_prob_one(log_alpha),
        mean=hard_concrete_moments(log_alpha).mean, test_gate=test_gate, test_l0=(test_gate != 0).astype(float),
        mc_index=mc_index, mc_prob_nonzero=nonzero,
        mc_se=np.sqrt(pi[mc_index] * (1 - pi[mc_index]) / n_samples), zero_threshold=np.array(np.log(-GAMMA / ZETA)),
    )


def gate_penalty(seed: int, n_grid: int, n_samples: int) -> dict[str, np.ndarray]:
    """Returns u (G,) on [0, U_MAX_PLOT]; omega ω(u); variance u²κ(ln α̂) = ω − π(ln α̂); keep α(u);
    e_penalty = family E's hardconcrete Ω(√2 u) (the same function in E's ½-scaled convention); fits: mcp,
    capped_l1, log_sum curves (G,) and their parameters and sup errors; zero_slope c₀, plateau_start u_max (0-d); mc_u (M,), mc_variance_term,
    mc_se (M,): Monte Carlo of E_z L(θz) − L(θE z) for a d = 1 problem with ||x||² = n (e = 1, λ = 1) at
    the optimal ln α̂(u), to compare with u²κ(ln α̂) = ω(u) − π(ln α̂)."""
    _check_sizes(n_grid=n_grid, n_samples=n_samples)
    rng = np.random.default_rng(seed)
    constants = hard_concrete_penalty_constants()
    u = np.linspace(0, U_MAX_PLOT, n_grid)
    profile = scaled_gate_penalty(u)
    keep = np.where(np.isposinf(profile.log_alpha), 1.0, 0.0)
    finite = np.isfinite(profile.log_alpha)
    moments = hard_concrete_moments(profile.log_alpha[finite])
    keep[finite] = moments.mean**2 / moments.second
    curves = {}
    for name, start in (("mcp", (constants.zero_slope, 1.0)), ("capped_l1", (constants.zero_slope, 1.0)),
                        ("log_sum", (1.0, 0.1))):
        params, error = fit_penalty_shape(name, u, profile.omega, start)
        curves |= {name: penalty_shape(name, u, params), f"{name}_params": params, f"{name}_error": np.array(error)}

    mc_u = np.linspace(0.1, 0.9, 5) * constants.plateau_start
    mc_profile = scaled_gate_penalty(mc_u)
    mc_moments = hard_concrete_moments(mc_profile.log_alpha)
    x = rng.standard_normal(PENALTY_N)
    x *= np.sqrt(PENALTY_N) / np.linalg.norm(x)
    y = 0.5 * x + rng.standard_normal(PENALTY_N)
    theta = mc_u / mc_moments.mean  # mean weight w = θ·E z = u (e = λ = 1)
    gates = hard_concrete_gate(logistic_noise(rng, (n_samples, mc_u.size)), mc_profile.log_alpha)
    residual = y[None, None, :] - (gates * theta)[..., None] * x
    losses = np.mean(residual**2, axis=2)
    fit = np.mean((y[None, :] - mc_u[:, None] * x) ** 2, axis=1)
    return dict(
        u=u, omega=profile.omega, keep=keep, e_penalty=get_penalty("hardconcrete").omega(np.sqrt(2) * u),
        zero_slope=np.array(constants.zero_slope), plateau_start=np.array(constants.plateau_start),
        variance=profile.omega - np.where(finite, hard_concrete_prob_nonzero(np.where(finite, profile.log_alpha, 0.0)),
                                          np.isposinf(profile.log_alpha)),
        mc_u=mc_u, mc_variance_term=losses.mean(axis=0) - fit, mc_se=losses.std(axis=0, ddof=1) / np.sqrt(n_samples),
        variance_term=mc_profile.omega - hard_concrete_prob_nonzero(mc_profile.log_alpha), **curves,
    )


def gate_support_path(seed: int, n: int, d: int, n_lams: int, steps: int) -> dict[str, np.ndarray]:
    """Returns lams (L,); alignment â = Xᵀy/n, teacher (d,); test_weights θ⊙ẑ (L, d); surrogate Σπ_j and
    l0 = ||θ⊙ẑ||₀ (L,); predicted (L, d) the ℓ0 rule eâ² > λ; band (L, d) coordinates with
    u_max ≤ |â|√(e/λ) ≤ c₀/2; outside_disagreements (L,)."""
    _check_sizes(n=n, d=d, n_lams=n_lams, steps=steps)
    rng = np.random.default_rng(seed)
    X, y, teacher = orthogonal_problem(rng, n, d)
    alignment = X.T @ y / n
    lams = np.geomspace(1e-3, 10.0, n_lams)
    fit = train_gated_linear(X, y, lams, rng, steps=steps)
    constants = hard_concrete_penalty_constants()
    u = np.abs(alignment)[None, :] / np.sqrt(lams[:, None])
    outside, _ = band_disagreements(alignment, fit)
    return dict(
        lams=lams, alignment=alignment, teacher=teacher, test_weights=fit.test_weights, surrogate=fit.surrogate,
        l0=fit.l0.astype(float), predicted=np.stack([orthogonal_gate_support(alignment, lam) for lam in lams]),
        band=(u >= constants.plateau_start) & (u <= constants.zero_slope / 2), outside_disagreements=outside,
    )
