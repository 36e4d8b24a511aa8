"""The data behind the figures of claims E1, E4, E5 (effective penalties of adaptive dropout, [L]).

Each figure function has the registry's signature ``f(seed, **settings) -> dict[str, np.ndarray]``;
every random draw comes from ``np.random.default_rng(seed)``. No plotting.

Resemblance (E5). A classical penalty P_θ with a shape parameter θ is compared with an effective
penalty Ω on a grid w_1..w_G ⊂ [0, W] after the best scaling c > 0:
    deviation = min_{c, θ} max_i |Ω(w_i) − c·P_θ(w_i)| / max_i Ω(w_i),
the minimax fit (least squares from several starts, then Nelder–Mead on the max deviation). The
candidates are written so that P_θ(0) = 0: log-sum ln(1 + |w|/ε), MCP/λ with aλ = θ, SCAD/λ with
a = 3.7 and λ = θ, and ℓp |w|^p/p.

Monte Carlo points. Variational dropout: f(η) = 2E[ln|√η + ε| − ln|ε|], ε ~ N(0, 1) (the normalised
KL of E1), estimated from `n_samples` draws and inserted in Ω = ½[w²/η̂ + f(η̂)]. Hard concrete:
the gate's moments m1, E z² at the optimal location s₁(w) estimated from `n_samples` sampled gates,
giving Ω = ½[w²·v/m1² + 2P(z ≠ 0)] and the keep rate m1²/E z².
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares, minimize
from scipy.special import expit, logit

from theory.penalties import SCALAR_FAMILIES, get_penalty

CANDIDATES = ("logsum", "mcp", "scad", "lp")
SCAD_A = 3.7
FIT_STARTS = np.exp(np.linspace(-4, 4, 5))
VARDROP_RANGE = 10.0  # the log regime of variational dropout starts near |w| = 1 (λ = 1)
GATE_RANGE_FACTOR = 2.0  # hard concrete: [0, 2·w_c], w_c where the gate opens fully
KEEP_FAMILIES = ("vardrop", "standout", "hardconcrete", "logsum", "mcp")
VECTOR_RADII = (0.5, 2.0)


def candidate(name: str, w: np.ndarray, scale: float, shape: float) -> np.ndarray:
    """c·P_θ(w) for the classical candidate `name` (see the module docstring), c = scale, θ = shape."""
    if name == "logsum":
        return scale * np.log1p(np.abs(w) / shape)
    if name == "mcp":
        return scale * get_penalty("mcp", a=shape, lam=1.0).omega(w)
    if name == "scad":
        return scale * get_penalty("scad", a=SCAD_A, lam=shape).omega(w)
    if name == "lp":
        p = 2 * shape / (1 + shape)  # θ ∈ (0, ∞) ↦ p ∈ (0, 2)
        return scale * np.abs(w) ** p / p
    raise ValueError(f"unknown candidate {name!r}; valid: {', '.join(CANDIDATES)}")


def best_scaled_fit(target: np.ndarray, w: np.ndarray, name: str) -> tuple[float, float, float]:
    """(deviation, c, θ): the minimax relative deviation of c·P_θ from `target` on the grid w."""
    norm = np.max(np.abs(target))

    def curve(log_params):
        return candidate(name, w, *np.exp(log_params))

    def worst(log_params):
        return np.max(np.abs(curve(log_params) - target)) / norm

    starts = [least_squares(lambda x: (curve(x) - target) / norm, [0.0, np.log(s)]).x for s in FIT_STARTS]
    best = min(starts, key=worst)
    refined = minimize(worst, best, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    params = refined.x if refined.fun < worst(best) else best
    return float(worst(params)), *map(float, np.exp(params))


def gate_opening(penalty) -> float:
    """w_c: the smallest |w| at which the hard-concrete gate opens fully (η̂ = ∞), by bisection."""
    lo, hi = 0.0, 1.0
    while np.isfinite(penalty.eta_hat(hi)):
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.isfinite(penalty.eta_hat(mid)) else (lo, mid)
    return hi


def resemblance_grids(n_grid: int) -> dict[str, np.ndarray]:
    """The comparison grids: [0, VARDROP_RANGE] for variational dropout, [0, 2·w_c] for hard concrete."""
    w_c = gate_opening(get_penalty("hardconcrete"))
    return {"vardrop": np.linspace(0, VARDROP_RANGE, n_grid),
            "hardconcrete": np.linspace(0, GATE_RANGE_FACTOR * w_c, n_grid)}


def resemblances(n_grid: int) -> dict[str, dict[str, tuple[float, float, float]]]:
    """best_scaled_fit of every candidate to the exact variational-dropout and hard-concrete penalties."""
    grids = resemblance_grids(n_grid)
    return {family: {name: best_scaled_fit(get_penalty(family).omega(w), w, name) for name in CANDIDATES}
            for family, w in grids.items()}


def kl_monte_carlo(eta: np.ndarray, n_samples: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Estimates of f(η) = 2E[ln|√η + ε| − ln|ε|] and their standard errors (common draws for all η)."""
    draws = np.random.default_rng(rng).standard_normal(n_samples)
    values = 2 * (np.log(np.abs(np.sqrt(eta)[:, None] + draws)) - np.log(np.abs(draws)))
    return values.mean(axis=1), values.std(axis=1, ddof=1) / np.sqrt(n_samples)


def sample_gates(location: np.ndarray, n_samples: int, rng, beta=2 / 3, gamma=-0.1, zeta=1.1) -> np.ndarray:
    """Hard-concrete gates z = min(1, max(0, σ((logit u + s)/β)(ζ − γ) + γ)), shape (len(s), n_samples)."""
    u = np.random.default_rng(rng).uniform(size=(location.size, n_samples))
    stretched = expit((logit(u) + location[:, None]) / beta) * (zeta - gamma) + gamma
    return np.clip(stretched, 0.0, 1.0)


def effective_penalties(seed: int, n_grid: int, n_mc_points: int, n_samples: int) -> dict[str, np.ndarray]:
    """fig_effective_penalties: effective penalties, their best-fit classical look-alikes, keep rates.

    Returns
      w_vardrop (G,), vardrop, vardrop_approx (G,), fit_logsum (G,) and fit_logsum_params (c, ε);
      vardrop_mc_w (M,), vardrop_mc, vardrop_mc_se (M,): Ω from Monte Carlo KL estimates;
      w_gate (G,), hardconcrete (G,), fit_mcp, fit_scad (G,), fit_mcp_params, fit_scad_params (c, θ);
      gate_mc_w (M,), gate_mc, gate_mc_se, gate_keep_mc, gate_keep_mc_se (M,): Ω and keep rate from
      sampled gates; deviations (4, 2): rows CANDIDATES, columns (vardrop, hardconcrete);
      w_keep (G,), keep_rates (F, G) at λ = 1 for KEEP_FAMILIES (in that order); n_samples (0-d).
    """
    rng = np.random.default_rng(seed)
    grids = resemblance_grids(n_grid)
    w_vd, w_gate = grids["vardrop"], grids["hardconcrete"]
    vardrop, gate = get_penalty("vardrop"), get_penalty("hardconcrete")
    out = {"w_vardrop": w_vd, "vardrop": vardrop.omega(w_vd), "vardrop_approx": get_penalty("vardrop_approx").omega(w_vd),
           "w_gate": w_gate, "hardconcrete": gate.omega(w_gate)}
    deviations = np.zeros((len(CANDIDATES), 2))
    for column, (family, w) in enumerate((("vardrop", w_vd), ("hardconcrete", w_gate))):
        for row, name in enumerate(CANDIDATES):
            deviation, scale, shape = best_scaled_fit(out[family], w, name)
            deviations[row, column] = deviation
            if (family, name) in (("vardrop", "logsum"), ("hardconcrete", "mcp"), ("hardconcrete", "scad")):
                out[f"fit_{name}"] = candidate(name, w, scale, shape)
                out[f"fit_{name}_params"] = np.array([scale, shape])
    out["deviations"] = deviations

    mc_w = np.linspace(w_vd[1], w_vd[-1], n_mc_points)
    eta = vardrop.eta_hat(mc_w)
    kl, kl_se = kl_monte_carlo(eta, n_samples, rng)
    out |= {"vardrop_mc_w": mc_w, "vardrop_mc": 0.5 * (mc_w**2 / eta + kl), "vardrop_mc_se": 0.5 * kl_se}

    mc_w = np.linspace(w_gate[1], w_gate[-1] / GATE_RANGE_FACTOR * 0.95, n_mc_points)
    location = gate.gate_location(mc_w)
    z = sample_gates(location, n_samples, rng)
    m1, m2, opened = z.mean(axis=1), (z**2).mean(axis=1), (z > 0).mean(axis=1)
    # Delta method for g(m1, m2, P) = ½[w²(m2 − m1²)/m1² + 2P] and for the keep rate m1²/m2.
    grad_omega = np.stack([-mc_w**2 * m2 / m1**3, 0.5 * mc_w**2 / m1**2, np.ones_like(m1)], axis=1)
    grad_keep = np.stack([2 * m1 / m2, -(m1**2) / m2**2, np.zeros_like(m1)], axis=1)
    stacked = np.stack([z, z**2, (z > 0).astype(float)], axis=1)  # (M, 3, N)
    centred = stacked - stacked.mean(axis=2, keepdims=True)
    covariance = np.einsum("mik,mjk->mij", centred, centred) / (n_samples - 1) / n_samples
    out |= {"gate_mc_w": mc_w, "gate_mc": 0.5 * (mc_w**2 * (m2 - m1**2) / m1**2 + 2 * opened),
            "gate_mc_se": np.sqrt(np.einsum("mi,mij,mj->m", grad_omega, covariance, grad_omega)),
            "gate_keep_mc": m1**2 / m2,
            "gate_keep_mc_se": np.sqrt(np.einsum("mi,mij,mj->m", grad_keep, covariance, grad_keep))}

    w_keep = np.linspace(0, 4, n_grid)
    out |= {"w_keep": w_keep, "keep_rates": np.stack([get_penalty(name).keep_rate(w_keep, 1.0) for name in KEEP_FAMILIES]),
            "n_samples": np.array(n_samples)}
    return out


def spread_penalty(penalty, radius: float, counts: np.ndarray) -> np.ndarray:
    """k·[Ω(r/√k) − Ω(0)]: the penalty of a vector with k equal non-zeros and ℓ2 norm r."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts * (penalty.omega(radius / np.sqrt(counts)) - penalty.omega(0.0))


def random_sparse_vectors(rng, d: int, count: int, n_vectors: int, radius: float) -> np.ndarray:
    """n_vectors vectors in R^d with `count` non-zeros at random positions, Gaussian directions, norm r."""
    values = rng.standard_normal((n_vectors, count))
    values *= radius / np.linalg.norm(values, axis=1, keepdims=True)
    vectors = np.zeros((n_vectors, d))
    positions = np.argsort(rng.random((n_vectors, d)), axis=1)[:, :count]
    np.put_along_axis(vectors, positions, values, axis=1)
    return vectors


def vector_penalties(seed: int, d: int, n_vectors: int) -> dict[str, np.ndarray]:
    """fig_vector_penalties: Σ_j [Ω(w_j) − Ω(0)] at fixed ℓ2 norm against the number of non-zeros k.

    Returns counts (d,) = 1..d; families (F,) names (str array); radii (R,); spread (F, R, d): the
    equal-magnitude penalty k·[Ω(r/√k) − Ω(0)] (the largest over k-sparse vectors, by Jensen);
    random (F, R, d, n_vectors): penalties of random k-sparse vectors of norm r (Gaussian directions).
    """
    rng = np.random.default_rng(seed)
    counts = np.arange(1, d + 1)
    families = [name for name in SCALAR_FAMILIES if name != "lp"] + ["lp"]
    penalties = [get_penalty(name, p=0.5) if name == "lp" else get_penalty(name) for name in families]
    spread = np.array([[spread_penalty(pen, r, counts) for r in VECTOR_RADII] for pen in penalties])
    random = np.empty((len(families), len(VECTOR_RADII), d, n_vectors))
    for j, r in enumerate(VECTOR_RADII):
        for k in counts:
            vectors = random_sparse_vectors(rng, d, int(k), n_vectors, r)
            for i, pen in enumerate(penalties):
                random[i, j, k - 1] = np.sum(pen.omega(vectors) - pen.omega(0.0), axis=1)
    return {"counts": counts, "families": np.array(families), "radii": np.array(VECTOR_RADII),
            "spread": spread, "random": random}
