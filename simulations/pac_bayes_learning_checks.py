"""Checks of claims B4 (data-dependent priors), B5 (self-bounded learning) and B7 (the linear model),
[H] and Dziugaite et al. 2021.

`check_b4/b5/b7(profile, rng)` return `CheckResult`s; each first runs its claim's derivation
(`theory.pac_bayes_learning.derive_b4/b5/b7`), whose sympy steps raise unless the identities hold.
Sizes per profile are in SIZES and every random draw comes from `rng`; the settings of the
experiments (KEEP, SIGMA, B5_ALPHA, ALIGNMENT_BETA) come from theory.pac_bayes_learning, which the
derivations display. Confidence: every certificate holds with probability ≥ 1 − δ,
δ = δ_PB + δ_MC = 0.05 (simulations.pac_bayes_learning).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.stats import binom, norm, spearmanr

from simulations.pac_bayes_learning import (
    alignment_draws,
    digits_split,
    self_bounded,
    sweep,
    teacher_split,
)
from simulations.two_layer_masks import relu_moments
from sparsetheory.checks import EPS, FALSE_FAILURE_RATE, at_least, at_most, close, mc_z
from theory.pac_bayes import kl_bernoulli
from theory.pac_bayes_learning import (  # the settings of the experiments (one spec, two sides)
    ALIGNMENT_BETA,
    B5_ALPHA,
    KEEP,
    SIGMA,
    derive_b4,
    derive_b5,
    derive_b7,
)

SIZES = {
    "tiny": dict(subsample=300, n_train=300, n_test=400, d=5, width=8, prior_iter=15, posterior_iter=15, draws=4,
                 test_draws=4, alphas=(0.0, 0.5), align_d=6, align_sizes=(100, 400), align_alphas=(0.2, 0.5, 0.8),
                 align_repeats=6, quadrature_points=5),
    "quick": dict(subsample=None, n_train=2000, n_test=5000, d=10, width=32, prior_iter=200, posterior_iter=100,
                  draws=30, test_draws=5, alphas=(0.0, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8), align_d=10,
                  align_sizes=(200, 1000, 4000), align_alphas=(0.1, 0.3, 0.5, 0.7, 0.9), align_repeats=8,
                  quadrature_points=20),
    "full": dict(subsample=None, n_train=5000, n_test=20_000, d=10, width=64, prior_iter=500, posterior_iter=300,
                 draws=200, test_draws=50, alphas=(0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9),
                 align_d=12, align_sizes=(100, 300, 1000, 3000, 10_000),
                 align_alphas=(0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), align_repeats=20, quadrature_points=100),
}
SPEARMAN_LEVEL = 1e-3
BELOW_ONE, BELOW_HALF = np.nextafter(1.0, 0.0), np.nextafter(0.5, 0.0)  # at_most(x, v) passes iff v < 1, v < 1/2


# --------------------------------------------------------------------------- checks


def _quadrature_moments(a: float, s: float) -> tuple[float, float, float]:
    """E relu(z), E relu(z)² for z ~ N(a, s²) by adaptive quadrature over z > 0, and the sum of
    quad's two error estimates."""
    def density(z):
        return norm.pdf(z, loc=a, scale=s)

    first, first_error = quad(lambda z: z * density(z), 0, np.inf, epsabs=1e-13, epsrel=1e-12)
    second, second_error = quad(lambda z: z * z * density(z), 0, np.inf, epsabs=1e-13, epsrel=1e-12)
    return first, second, first_error + second_error


def _relu_moment_check(size: dict, rng) -> list:
    """B5's closed-form ReLU moments against quadrature at random (a, s); the tolerance per point is
    quad's error estimate plus 16·eps·(m1 + m2) for the closed forms' rounding."""
    a = rng.uniform(-3, 3, size["quadrature_points"])
    s = rng.uniform(0.2, 3, size["quadrature_points"])
    m1, m2 = relu_moments(a, s)[:2]
    numeric = np.array([_quadrature_moments(*point) for point in zip(a, s)])
    error = np.abs(m1 - numeric[:, 0]) + np.abs(m2 - numeric[:, 1])
    tolerance = numeric[:, 2] + 16 * EPS * (m1 + m2)
    return [at_most("B5", "relu-moments", "max over points of |closed form - quadrature| / (quad error estimate + "
                    "rounding), E relu(z) and E relu(z)^2", "enumeration", 1.0, float(np.max(error / tolerance)))]


def _settings(size: dict) -> dict:
    return dict(sigma=SIGMA, width=size["width"], prior_iter=size["prior_iter"],
                posterior_iter=size["posterior_iter"], draws=size["draws"], test_draws=size["test_draws"])


def check_b4(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b4()  # raises unless sympy confirms the oracle-prior stationarity
    keeps, weights = rng.uniform(0.05, 0.95, 6), rng.dirichlet(np.ones(6))
    best = minimize_scalar(lambda q: weights @ kl_bernoulli(keeps, q), bounds=(1e-6, 1 - 1e-6), method="bounded",
                           options={"xatol": 1e-10})
    oracle = float(weights @ keeps)
    # Brent (scipy's fminbound) stops within 2·(√eps·|q| + xatol/3) of a minimiser of the computed f, and
    # rounding (≤ 4·eps·f per evaluation) hides f's rise over |q − q*| ≤ √(2·4eps·f/f″).
    curvature = weights @ (keeps / oracle**2 + (1 - keeps) / (1 - oracle) ** 2)
    resolution = 2 * (np.sqrt(EPS) * abs(best.x) + 1e-10 / 3) + np.sqrt(8 * EPS * max(best.fun, EPS) / curvature)
    results = [close("B4", "oracle-prior", "argmin_q E kl(p||q) over a random law of p vs E p (Brent)",
                     "optimisation", oracle, float(best.x), resolution)]

    split = digits_split(rng, subsample=size["subsample"])
    grid = np.array(size["alphas"])
    curve = sweep(split, rng, "alpha", grid, keep=KEEP, **_settings(size))
    data_free, informed = curve["bound"][0], curve["bound"][1:]
    best_index = 1 + int(np.argmin(informed))
    results.append(at_most("B4", "best-vs-data-free", "digits: best certified bound over alpha above 0 ≤ bound at "
                           "alpha = 0 (union bound over the grid)", "optimisation", data_free, informed.min()))
    results.append(at_most("B4", "kl-best-vs-data-free", "KL(Q||P) at the best alpha ≤ KL at alpha = 0",
                           "optimisation", curve["kl"][0], curve["kl"][best_index]))
    z = mc_z(FALSE_FAILURE_RATE / grid.size)
    violations = int(np.sum(curve["test_error"] > curve["bound"] + z * curve["test_se"]))
    results.append(close("B4", "valid", f"grid points with test error above bound + z*se ({grid.size} points)",
                         "monte carlo", 0, violations, 0))
    results.append(at_least("B4", "gap-best", "bound - test error at the best alpha ≥ -z*se", "monte carlo", 0.0,
                            curve["bound"][best_index] - curve["test_error"][best_index],
                            z * curve["test_se"][best_index]))
    results.append(close("B4", "bound-sizes", "sum over the grid of n_prior + n_bound vs grid size * n", "enumeration",
                         len(split.y_train) * grid.size, float(np.sum(curve["n_prior"] + curve["n_bound"])), 0.0))
    return results


def _b5_records(name: str, run: dict) -> list:
    """Pass/fail records whose values the paper quotes: the bound, the test error, their gap, the KL."""
    bound, test = run["bound"], run["test_error"]
    return [
        at_most("B5", f"{name}-nonvacuous", f"{name}: certified bound below 1", "monte carlo", BELOW_ONE, bound),
        at_most("B5", f"{name}-coin", f"{name}: certified bound below 1/2 (certifies better than a coin)",
                "monte carlo", BELOW_HALF, bound),
        at_most("B5", f"{name}-test", f"{name}: test error of the stochastic predictor below 1/2 (beats a coin)",
                "monte carlo", BELOW_HALF, test),
        at_least("B5", f"{name}-gap", f"{name}: certified bound - test error ≥ -z*se (it is a bound)", "monte carlo",
                 0.0, bound - test, mc_z() * run["test_se"]),
        at_least("B5", f"{name}-kl", f"{name}: KL(Q||P) ≥ 0", "enumeration", 0.0, run["kl"]),
        at_least("B5", f"{name}-mc", f"{name}: Monte Carlo upper bound ≥ estimate of the empirical risk",
                 "monte carlo", run["emp_risk"], run["emp_upper"]),
        at_most("B5", f"{name}-objective", f"{name}: surrogate bound J after ≤ before (the prior)", "optimisation",
                run["objective_start"], run["objective_end"]),
        at_most("B5", f"{name}-prior", f"{name}: certificate of the prior alone (KL = 0) below 1", "monte carlo",
                BELOW_ONE, run["prior_bound"]),
    ]


def check_b5(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b5()  # raises unless sympy confirms the variance, the moments' partials and the objective's partials
    results = _relu_moment_check(size, rng)
    splits = {"synthetic": teacher_split(rng, size["n_train"], size["n_test"], d=size["d"]),
              "digits": digits_split(rng, subsample=size["subsample"])}
    for name, split in splits.items():
        results += _b5_records(name, self_bounded(split, rng, alpha=B5_ALPHA, keep=KEEP, **_settings(size)))
    return results


def check_b7(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b7()  # raises unless sympy confirms the Bregman form, the curvature bounds and the logit step
    r = alignment_draws(rng, d=size["align_d"], sizes=size["align_sizes"], alphas=size["align_alphas"],
                        repeats=size["align_repeats"], beta=ALIGNMENT_BETA)
    draws = r["kl"].size
    rounding = float(np.max(r["kl_rounding"]))
    # theory.pac_bayes.kl_inverse_upper errs by a few eps·max(1, c); 8 eps·max(1, largest c) covers both bounds
    largest_c = np.max((r["kl_alignment"] + np.log(2 * np.sqrt(r["n_bound"]) / r["delta"])) / r["n_bound"])
    inverse_rounding = 8 * EPS * max(1.0, float(largest_c))
    results = [
        at_least("B7", "logit-inequality", f"min over {draws} draws and all weights of du^2/8 - kl(sigma(u)||sigma(v))",
                 "enumeration", 0.0, float(np.min(r["min_slack"])), rounding),
        at_most("B7", "kl-quadratic", "max over draws of KL - (beta^2/8) sum_j w_j^2 da_j^2", "enumeration", 0.0,
                float(np.max(r["kl"] - r["kl_quadratic"])), rounding),
        at_most("B7", "kl-alignment", "max over draws of that bound - (beta^2 max_j w_j^2/8) ||da||^2",
                "enumeration", 0.0, float(np.max(r["kl_quadratic"] - r["kl_alignment"])), rounding),
        at_most("B7", "bound-alignment", "max over draws of Seeger(KL) - Seeger(alignment bound)", "enumeration", 0.0,
                float(np.max(r["bound"] - r["bound_alignment"])), inverse_rounding),
        at_most("B7", "taylor-remainder", "max over draws of |KL - quadratic term| - sum_j |du_j|^3/(36 sqrt 3)",
                "enumeration", 0.0, float(np.max(r["remainder"] - r["remainder_bound"])), rounding),
    ]
    rho, p_value = spearmanr(r["delta_norm"], r["kl"])
    results.append(at_least("B7", "spearman-rho", "Spearman rho(||da||, KL) across draws", "statistic", 0.0, rho))
    results.append(at_most("B7", "spearman-p", f"one-sided p-value of that rho (level {SPEARMAN_LEVEL:g})",
                           "statistic", SPEARMAN_LEVEL, p_value / 2 if rho > 0 else 1 - p_value / 2))
    results.append(at_most("B7", "kl-ratio", "median over draws of KL / ((beta^2/8) sum_j w_j^2 da_j^2)",
                           "enumeration", 1.0, float(np.median(r["kl"] / r["kl_quadratic"]))))
    violations = int(np.sum(r["bound"] < r["true_risk"]))
    allowed = int(binom.isf(FALSE_FAILURE_RATE, draws, float(r["delta"])))
    results.append(at_most("B7", "validity", f"draws (of {draws}) whose certified bound is below the exact true "
                           f"risk; allowed: Binomial(draws, delta) quantile at {FALSE_FAILURE_RATE:g}", "statistic",
                           allowed, violations))
    return results
