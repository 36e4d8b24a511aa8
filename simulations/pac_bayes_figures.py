"""Experiments of claims B2, B3, B6 (stochastic masks on a Gaussian mixture) and the data of their figures.

The problem (`mixture_problem`): y uniform on {−1, +1}, x | y ~ N(y·μ, σ²I) in d dimensions with
μ_j = signal for j < d/2 and 0 for the other half (informative and useless features), σ = 1. The
classifier's weights w = μ/||μ|| + (noise/√d)·N(0, I) are drawn once, before any sample, and the prior
over masks is Bernoulli(1/2) on every weight: neither depends on the training samples. The posterior
is fitted on the sample S (`posterior_keep`): keep p_j = σ(β·z_j) with z_j the t-statistic of the
per-sample alignments y_i x_ij w_j. The 0-1 risk of every mask is known in closed form
(simulations.stochastic_masks), so the true risk L(Q) of each posterior is exact.

The figure functions have the registry's signature f(seed, **settings) -> dict of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from simulations.stochastic_masks import (
    certify,
    exact_empirical_risk,
    gaussian_mixture,
    mask_risks,
    sample_masks,
    true_stochastic_risk,
)
from theory.pac_bayes import (
    CATONI_GRID,
    catoni_bound,
    kl_product_bernoulli,
    lambda_bound,
    mc_risk_bound,
    mcallester_bound,
    quadratic_bound,
    seeger_bound,
)

SIGMA = 1.0
PRIOR_KEEP = 0.5
BETA = 2.0  # posterior sharpness: p_j = σ(β z_j)
WEIGHT_NOISE = 1.0
BOUND_NAMES = ("McAllester", "Seeger (kl inverse)", "quadratic", "lambda (Thiemann)", "Catoni (grid)")
BOUNDS = (mcallester_bound, seeger_bound, quadratic_bound, lambda_bound, catoni_bound)


@dataclass(frozen=True)
class MixtureProblem:
    mean: np.ndarray  # μ (d)
    w: np.ndarray  # the classifier's weights, drawn before any sample
    prior_keep: np.ndarray  # Bernoulli(1/2) prior on every weight


def _check_int(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer ≥ {low}, got {value!r}")
    return int(value)


def mixture_problem(rng, d: int, signal: float) -> MixtureProblem:
    """μ_j = signal for j < d/2 and 0 after, w = μ/||μ|| + (WEIGHT_NOISE/√d)·N(0, I) from `rng`, prior keep 1/2."""
    d = _check_int("d", d, 2)
    if not (np.isfinite(signal) and signal > 0):
        raise ValueError(f"signal must be a positive number, got {signal!r}")
    rng = np.random.default_rng(rng)
    mean = signal * (np.arange(d) < d // 2)
    w = mean / np.linalg.norm(mean) + WEIGHT_NOISE / np.sqrt(d) * rng.standard_normal(d)
    return MixtureProblem(mean, w, np.full(d, PRIOR_KEEP))


def posterior_keep(X, y, w, beta: float = BETA) -> np.ndarray:
    """p_j = σ(β·z_j), z_j = √n·mean_i(a_ij)/sd_i(a_ij) with a_ij = y_i x_ij w_j (the alignment t-statistic)."""
    alignment = y[:, None] * X * w
    z = np.sqrt(X.shape[0]) * alignment.mean(axis=0) / alignment.std(axis=0, ddof=1)
    return expit(beta * z)


def validity_draws(rng, n_draws: int, n: int, d: int, n_masks: int, delta_pb: float, delta_mc: float,
                   signal: float) -> dict[str, np.ndarray]:
    """B6: `n_draws` independent samples S of size n from one mixture problem, each certified (B3).

    Per draw: posterior keep p (fitted on S), KL = Σ_j kl(p_j‖1/2), L̂_M from `n_masks` masks, its MC
    upper bound, the certified bound at δ = δ_PB + δ_MC, the exact L̂_S(Q) (all 2^d masks), the Seeger
    bound at the exact L̂_S(Q) (δ_PB alone), and the true risk L(Q). Returns arrays of shape (n_draws,)
    plus `keep` (n_draws, d) and the problem (mean, w).
    """
    n_draws, n, n_masks = _check_int("n_draws", n_draws), _check_int("n", n), _check_int("n_masks", n_masks)
    rng = np.random.default_rng(rng)
    problem = mixture_problem(rng, d, signal)
    fields = ("kl", "emp_risk_mc", "mc_upper", "bound", "emp_risk", "bound_exact_emp")
    out = {name: np.empty(n_draws) for name in fields}
    keep = np.empty((n_draws, d))
    with threadpool_limits(limits=1, user_api="blas"):  # small products: BLAS threads only add overhead
        for r in range(n_draws):  # one draw = one data set; each step inside is vectorised over masks
            X, y = gaussian_mixture(n, problem.mean, SIGMA, rng)
            keep[r] = posterior_keep(X, y, problem.w)
            certificate = certify(X, y, problem.w, keep[r], problem.prior_keep, n_masks, delta_pb, delta_mc, rng)
            out["kl"][r], out["emp_risk_mc"][r] = certificate.kl, certificate.emp_risk_mc
            out["mc_upper"][r], out["bound"][r] = certificate.mc_upper, certificate.bound
            out["emp_risk"][r] = exact_empirical_risk(X, y, problem.w, keep[r])
    out["bound_exact_emp"] = np.asarray(seeger_bound(out["emp_risk"], out["kl"], n, delta_pb))
    out["true_risk"] = np.asarray(true_stochastic_risk(problem.w, keep, problem.mean, SIGMA))
    return dict(out, keep=keep, mean=problem.mean, w=problem.w)


def mc_coverage(rng, n_reps: int, n: int, d: int, n_masks: int, delta_mc: float,
                signal: float) -> dict[str, np.ndarray]:
    """B3: one sample S and posterior; `n_reps` independent Monte Carlo estimates L̂_M (M = n_masks each).

    All n_reps·M masks are scored in one call (one matrix product per chunk). Returns the exact L̂_S(Q)
    (0-d), L̂_M and its upper bound kl⁻¹(L̂_M, ln(2/δ_MC)/M) per repetition (n_reps,).
    """
    n_reps, n_masks = _check_int("n_reps", n_reps), _check_int("n_masks", n_masks)
    rng = np.random.default_rng(rng)
    problem = mixture_problem(rng, d, signal)
    X, y = gaussian_mixture(n, problem.mean, SIGMA, rng)
    keep = posterior_keep(X, y, problem.w)
    risks = mask_risks(X, y, problem.w, sample_masks(keep, n_reps * n_masks, rng)).reshape(n_reps, n_masks)
    emp_risk_mc = risks.mean(axis=1)
    return dict(emp_risk=np.array(exact_empirical_risk(X, y, problem.w, keep)), emp_risk_mc=emp_risk_mc,
                mc_upper=np.asarray(mc_risk_bound(emp_risk_mc, n_masks, delta_mc)))


def bounds_table(emp_risk, kl, n, delta) -> np.ndarray:
    """The five bounds (rows, in BOUND_NAMES order) at broadcast arguments (columns)."""
    return np.stack([np.broadcast_to(bound(emp_risk, kl, n, delta), np.broadcast(emp_risk, kl).shape)
                     for bound in BOUNDS])


# --------------------------------------------------------------------------- fig_pac_bayes_tightness


def tightness(seed: int, n: int, n_grid: int, n_masks_max: int, delta: float = 0.05, kl_fixed: float = 5.0,
              emp_fixed: float = 0.1, d: int = 8, signal: float = 0.4) -> dict[str, np.ndarray]:
    """The five bounds against L̂ (KL = kl_fixed) and against KL (L̂ = emp_fixed) at n, δ; and a certified
    stochastic mask classifier against the number M of Monte Carlo masks.

    Returns emp_grid (G,), bounds_vs_emp (5, G); kl_grid (G,), bounds_vs_kl (5, G); bound_names (5,);
    n, delta, kl_fixed, emp_fixed, catoni_grid_size (0-d); and for one sample of size n from the mixture
    problem: m_grid (K,) nested Monte Carlo sizes, emp_risk_mc, mc_upper, certified (K,) with
    δ_PB = δ_MC = δ/2; emp_risk (exact L̂_S(Q)), seeger_exact (Seeger at L̂_S(Q), δ), true_risk L(Q),
    kl (0-d).
    """
    n, n_grid = _check_int("n", n), _check_int("n_grid", n_grid, 2)
    n_masks_max = _check_int("n_masks_max", n_masks_max, 10)
    emp_grid = np.linspace(0.0, 0.5, n_grid)
    kl_grid = np.geomspace(0.1, 0.5 * n, n_grid)
    rng = np.random.default_rng(seed)
    problem = mixture_problem(rng, d, signal)
    X, y = gaussian_mixture(n, problem.mean, SIGMA, rng)
    keep = posterior_keep(X, y, problem.w)
    kl = float(kl_product_bernoulli(keep, problem.prior_keep))
    risks = mask_risks(X, y, problem.w, sample_masks(keep, n_masks_max, rng))
    m_grid = np.unique(np.geomspace(10, n_masks_max, 12).astype(np.int64))
    emp_risk_mc = np.cumsum(risks)[m_grid - 1] / m_grid
    mc_upper = np.asarray(mc_risk_bound(emp_risk_mc, m_grid, delta / 2))
    emp_risk = exact_empirical_risk(X, y, problem.w, keep)
    return dict(
        emp_grid=emp_grid, bounds_vs_emp=bounds_table(emp_grid, kl_fixed, n, delta),
        kl_grid=kl_grid, bounds_vs_kl=bounds_table(emp_fixed, kl_grid, n, delta),
        bound_names=np.array(BOUND_NAMES), n=np.array(n), delta=np.array(delta), kl_fixed=np.array(kl_fixed),
        emp_fixed=np.array(emp_fixed), catoni_grid_size=np.array(CATONI_GRID.size),
        m_grid=m_grid, emp_risk_mc=emp_risk_mc, mc_upper=mc_upper,
        certified=np.asarray(seeger_bound(mc_upper, kl, n, delta / 2)), emp_risk=np.array(emp_risk),
        seeger_exact=np.array(seeger_bound(emp_risk, kl, n, delta)),
        true_risk=np.array(true_stochastic_risk(problem.w, keep, problem.mean, SIGMA)), kl=np.array(kl),
    )


# --------------------------------------------------------------------------- fig_pac_bayes_validity


def validity(seed: int, n_draws: int, n: int, n_masks: int, delta_pb: float = 0.04, delta_mc: float = 0.01,
             d: int = 8, signal: float = 0.4) -> dict[str, np.ndarray]:
    """`validity_draws` from seed, plus the settings as 0-d arrays (delta = δ_PB + δ_MC)."""
    draws = validity_draws(np.random.default_rng(seed), n_draws, n, d, n_masks, delta_pb, delta_mc, signal)
    return dict(draws, n=np.array(n), n_masks=np.array(n_masks), delta_pb=np.array(delta_pb),
                delta_mc=np.array(delta_mc), delta=np.array(delta_pb + delta_mc))
