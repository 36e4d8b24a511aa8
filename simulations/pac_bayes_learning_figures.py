"""The data behind the figures of claims B4, B5 and B7 (PAC-Bayes learning with stochastic masks).

Each function has the registry's signature ``f(seed, **settings) -> dict[str, np.ndarray]``; every
random draw comes from ``seed``; values are NumPy arrays. No plotting. The pipeline, the certificate
(δ = δ_PB + δ_MC = 0.05, split by the grid size: a union bound over each curve) and the B7 model are
those of simulations.pac_bayes_learning; the prior's keep q = 0.8 and weight noise σ = 0.1 are those
of the checks (simulations.pac_bayes_learning_checks).

fig_pac_bayes_prior_fraction (B4). Digits (5–9 vs 0–4): the prior is trained on a fraction α of the
  training set, the posterior minimises the surrogate bound on the rest, certified there; α swept.
fig_pac_bayes_self_bounded (B5). Digits, α fixed: the prior keep q swept, so the posterior's pruning
  fraction ρ = 1 − mean keep sweeps with it; certified bound and test error against ρ.
fig_pac_bayes_alignment (B7). KL between the alignment-logit posterior and prior, its bounds
  (β²/8)Σ_j w_j²Δa_j² and (β²‖w‖∞²/8)‖Δa‖², and the certified bound, against ‖Δa‖ over many draws.
"""

from __future__ import annotations

import numpy as np

from simulations.pac_bayes_learning import alignment_draws, digits_split, sweep
from simulations.pac_bayes_learning_checks import ALIGNMENT_BETA, B5_ALPHA, KEEP, SIGMA

FIELDS = ("alpha", "keep", "n_bound", "kl", "emp_risk", "bound", "test_error", "test_se", "mean_keep",
          "prior_bound", "prior_test_error")


def prior_fraction(seed: int, *, alphas, subsample=None, **training) -> dict[str, np.ndarray]:
    """B4 on digits: `sweep` over the prior fractions `alphas` with keep q = 0.8; `training` holds
    width, prior_iter, posterior_iter, draws and test_draws (see `self_bounded`).

    Returns, per α (arrays of len(alphas)): alpha, keep, n_bound, kl, emp_risk (Monte Carlo, on S_b),
    bound (certified), test_error, test_se, mean_keep, prior_bound and prior_test_error (the prior
    itself as the posterior, KL = 0); plus delta (0-d), the confidence of the whole curve.
    """
    rng = np.random.default_rng(seed)
    split = digits_split(rng, subsample=subsample)
    curve = sweep(split, rng, "alpha", alphas, keep=KEEP, sigma=SIGMA, **training)
    return {key: curve[key] for key in FIELDS} | dict(delta=np.array(0.05))


def pruning_fraction(seed: int, *, keeps, subsample=None, **training) -> dict[str, np.ndarray]:
    """B5 on digits at α = 0.5: `sweep` over the prior keeps `keeps`; ρ = 1 − mean_keep of the posterior.

    Returns the fields of `prior_fraction` per keep, with rho = 1 − mean_keep.
    """
    rng = np.random.default_rng(seed)
    split = digits_split(rng, subsample=subsample)
    curve = sweep(split, rng, "keep", keeps, alpha=B5_ALPHA, sigma=SIGMA, **training)
    return {key: curve[key] for key in FIELDS} | dict(rho=1 - curve["mean_keep"], delta=np.array(0.05))


def alignment(seed: int, *, d: int, sizes, alphas, repeats: int) -> dict[str, np.ndarray]:
    """B7: `alignment_draws` with β = ALIGNMENT_BETA (the check's)."""
    return alignment_draws(seed, d=d, sizes=sizes, alphas=alphas, repeats=repeats, beta=ALIGNMENT_BETA)
