"""Derivations and checks of claims B4 (data-dependent priors), B5 (self-bounded learning) and B7 (the
linear model), [H] and Dziugaite et al. 2021.

`derive_b4/b5/b7` return `theory.derivation.Derivation`s whose sympy steps raise unless the
identities hold (they live here because this family's theory module, theory/pac_bayes.py, belongs to
claims B1–B3 and B6). `check_b4/b5/b7(profile, rng)` return `CheckResult`s; sizes per profile are in
SIZES and every random draw comes from `rng`. Confidence: every certificate holds with probability
≥ 1 − δ, δ = δ_PB + δ_MC = 0.05 (simulations.pac_bayes_learning).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.stats import binom, norm, spearmanr

from simulations.pac_bayes_learning import (
    DELTA_BOUND,
    DELTA_MC,
    alignment_draws,
    digits_split,
    self_bounded,
    sweep,
    teacher_split,
)
from simulations.two_layer_masks import relu_moments
from sparsetheory.checks import EPS, FALSE_FAILURE_RATE, at_least, at_most, close, mc_z
from theory.derivation import Derivation
from theory.pac_bayes import kl_bernoulli

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
# Settings of the experiments, chosen once in a short exploration (not tuned against the verdicts): the prior's
# keep q, the weight noise σ, B5's prior fraction, B7's inverse temperature β.
KEEP, SIGMA, B5_ALPHA = 0.8, 0.1, 0.5
ALIGNMENT_BETA = 40.0
SPEARMAN_LEVEL = 1e-3
BELOW_ONE, BELOW_HALF = np.nextafter(1.0, 0.0), np.nextafter(0.5, 0.0)  # at_most(x, v) passes iff v < 1, v < 1/2

_u, _v, _h = sp.symbols("u v h", real=True)
_A = sp.log(1 + sp.exp(_u))  # log-partition of the Bernoulli family in its logit


def _sigmoid(t):
    return 1 / (1 + sp.exp(-t))


def _kl_logits(u, v):
    p, q = _sigmoid(u), _sigmoid(v)
    return p * sp.log(p / q) + (1 - p) * sp.log((1 - p) / (1 - q))


def _number(value: float) -> sp.Number:
    """A setting for display: an integer as such, anything else with 3 significant digits."""
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value, 3)


def _require_zero(expression, what: str) -> None:
    """Raise unless sympy reduces `expression` to 0 (a cheap expansion first, then simplify)."""
    if sp.expand(expression) != 0 and sp.simplify(expression) != 0:
        raise AssertionError(f"{what}: residual {sp.simplify(expression)}")


# --------------------------------------------------------------------------- derivations


def derive_b4() -> Derivation:
    der = Derivation("B4", "data-dependent priors")
    n, alpha, kl, delta, grid = sp.symbols("n alpha KL delta A", positive=True)
    der.add("Split S into S_α (the first ⌊αn⌋ points) and S_b (the rest). A prior P chosen from S_α alone "
            "is independent of S_b, so the bound of B2 applies on S_b with n_b = (1 − α)n points.")
    c = sp.Eq(sp.Symbol("c_alpha"), (kl + sp.log(2 * sp.sqrt((1 - alpha) * n) * grid / delta)) / ((1 - alpha) * n))
    der.add("A grid of A values of α read as one curve costs a union bound (δ → δ/A); the complexity is", c)
    der.add("A larger α buys a prior closer to the posterior (smaller KL) with fewer points for the bound: "
            "the certificate trades the two.")
    q = sp.Symbol("q", positive=True)
    weights, keeps = sp.symbols("w_1 w_2", positive=True), sp.symbols("p_1 p_2", positive=True)
    expected = sum(w * (p * sp.log(p / q) + (1 - p) * sp.log((1 - p) / (1 - q))) for w, p in zip(weights, keeps))
    oracle = sum(w * p for w, p in zip(weights, keeps)) / sum(weights)
    slope = sp.diff(expected, q)
    _require_zero(sp.together(slope * q * (1 - q)) - (q * sum(weights) - sum(w * p for w, p in zip(weights, keeps))),
                  "oracle prior: q(1 − q)·slope")
    der.add("Which prior keep minimises the expected KL of a random posterior keep p (two values, weights "
            "w_1, w_2)? sympy: q(1 − q)·∂/∂q Σ_k w_k kl(p_k‖q) = q(w_1 + w_2) − (w_1p_1 + w_2p_2), negative "
            "below and positive above its single root",
            sp.Eq(q, oracle))
    der.add("so the best prior is the posterior's mean keep (Dziugaite et al. 2021's oracle prior); a prior fit "
            "on S_α estimates the posterior's conditional mean given S_α.")
    der.results.update(complexity=c, oracle_prior=sp.Eq(q, oracle))
    return der


def derive_b5() -> Derivation:
    der = Derivation("B5", "self-bounded learning: minimise a differentiable bound, then certify")
    p, mu, x = sp.symbols("p_ij mu_ij xtilde_j", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    first = p * mu * x  # E[m(μ + σξ)x] with E m = p, E ξ = 0
    second = p * (mu**2 + sigma**2) * x**2  # E[m²(μ + σξ)²x²] with m² = m, E ξ² = 1
    _require_zero(second - first**2 - (p * (1 - p) * mu**2 + p * sigma**2) * x**2, "pre-activation variance")
    variance = (p * (1 - p) * mu**2 + p * sigma**2) * x**2
    der.add("One input's term of the pre-activation, m(μ + σξ)x̃ with m ~ Bernoulli(p), has mean", first)
    der.add("and variance (m² = m, E ξ² = 1; sympy)", sp.Eq(sp.Symbol("v_ij"), variance))
    a, s = sp.Symbol("a", real=True), sp.Symbol("s", positive=True)
    t = a / s
    cdf = (1 + sp.erf(t / sp.sqrt(2))) / 2
    pdf = sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)
    m1, m2 = a * cdf + s * pdf, (a**2 + s**2) * cdf + a * s * pdf
    for derivative, stated, name in ((sp.diff(m1, a), cdf, "dm1/da"), (sp.diff(m1, s), pdf, "dm1/ds"),
                                     (sp.diff(m2, a), 2 * m1, "dm2/da"), (sp.diff(m2, s), 2 * s * cdf, "dm2/ds")):
        _require_zero(derivative - stated, name)
    Phi, phi = sp.Function("Phi"), sp.Function("phi")
    m1_shown = a * Phi(t) + s * phi(t)
    m2_shown = (a**2 + s**2) * Phi(t) + a * s * phi(t)
    der.add("For z ~ N(a, s²) the ReLU moments (checked by quadrature in check_b5) are",
            sp.Eq(sp.Symbol("m_1"), m1_shown))
    der.add("and", sp.Eq(sp.Symbol("m_2"), m2_shown))
    der.add("with partials (sympy) ∂m1/∂a = Φ(a/s), ∂m1/∂s = φ(a/s), ∂m2/∂a = 2m1, ∂m2/∂s = 2sΦ(a/s).")
    risk, c = sp.symbols("Lhat c", positive=True)
    bound = (sp.sqrt(risk + c / 2) + sp.sqrt(c / 2)) ** 2
    r_, t_ = sp.sqrt(risk + c / 2), sp.sqrt(c / 2)
    _require_zero(sp.diff(bound, risk) - (r_ + t_) / r_, "dJ/dLhat")
    _require_zero(sp.diff(bound, c) - (r_ + t_) * (1 / r_ + 1 / t_) / 2, "dJ/dc")
    der.add("The training objective is the quadratic bound of the probit surrogate risk,", sp.Eq(sp.Symbol("J"), bound))
    gradient = sp.diff(_kl_logits(_u, _v), _u)
    _require_zero(gradient - (_u - _v) * _sigmoid(_u) * (1 - _sigmoid(_u)), "dkl/du")
    der.add("and the KL of one keep logit u against the prior's v has gradient",
            sp.Eq(sp.Symbol("dkl/du"), (_u - _v) * _sigmoid(_u) * (1 - _sigmoid(_u))))
    risk_mc, n_mc, n_b, kl, d_pb, d_mc = sp.symbols("Lhat_N N n_b KL delta_PB delta_MC", positive=True)
    inverse = sp.Function("kl^{-1}")
    certificate = inverse(inverse(risk_mc, sp.log(2 / d_mc) / n_mc), (kl + sp.log(2 * sp.sqrt(n_b) / d_pb)) / n_b)
    der.add("The certificate of the 0-1 risk, at confidence 1 − δ_PB − δ_MC (B2, B3):",
            sp.Eq(sp.Symbol("L(Q)"), certificate))
    design = sp.Tuple(*(sp.Eq(sp.Symbol(name), _number(value)) for name, value in (
        ("q", KEEP), ("sigma", SIGMA), ("alpha", B5_ALPHA), ("delta_PB", DELTA_BOUND), ("delta_MC", DELTA_MC))))
    der.add("Settings of the experiments (prior keep, weight noise, prior fraction, confidences):", design)
    der.results.update(preactivation_variance=variance, relu_mean=m1_shown, relu_second=m2_shown, objective=bound,
                       certificate=certificate, design=design)
    return der


def derive_b7() -> Derivation:
    der = Derivation("B7", "the linear model: the KL is controlled by the change in alignment")
    bregman = sp.log(1 + sp.exp(_v)) - _A - _sigmoid(_u) * (_v - _u)
    _require_zero(sp.expand_log(_kl_logits(_u, _v) - bregman, force=True).rewrite(sp.exp), "Bregman form")
    A, sigmoid = sp.Function("A"), sp.Function("sigma")
    bregman_shown = sp.Eq(sp.Symbol("kl"), A(_v) - A(_u) - sigmoid(_u) * (_v - _u))
    der.add("In logits (p = σ(u), q = σ(v)) the Bernoulli divergence is the Bregman divergence of the "
            "log-partition A(u) = ln(1 + e^u), A′ = σ (sympy):", bregman_shown)
    curvature = sp.diff(_A, _u, 2)
    _require_zero(curvature - _sigmoid(_u) * (1 - _sigmoid(_u)), "A''")
    p = sp.Symbol("p", positive=True)
    der.add("Its second derivative is A″ = σ(u)(1 − σ(u)) = p(1 − p) ≤ 1/4, so by Taylor's theorem with "
            "the Lagrange remainder", sp.Le(sp.Symbol("kl"), (_u - _v) ** 2 / 8))
    third = sp.expand(p * (1 - p) * (1 - 2 * p))  # A‴ as a function of p = σ(u)
    critical = sp.roots(sp.Poly(sp.diff(third, p), p))
    peak = max((sp.Abs(sp.radsimp(third.subs(p, c))) for c in critical), key=lambda value: float(value))
    _require_zero(peak - 1 / (6 * sp.sqrt(3)), "max |A'''|")
    remainder = sp.Abs(_h) ** 3 / (36 * sp.sqrt(3))
    der.add("A‴ = p(1 − p)(1 − 2p) has maximum modulus 1/(6√3) (sympy), so with h = v − u",
            sp.Le(sp.Abs(sp.Symbol("kl") - _sigmoid(_u) * (1 - _sigmoid(_u)) * _h**2 / 2), remainder))
    beta, w, a_post, a_prior = sp.symbols("beta w_j a_j a^P_j", real=True)
    gap = sp.Symbol("Delta_j", real=True)  # Δ_j = a_j − a^P_j
    logit = lambda a: beta * (w * a - w**2 / 2)  # noqa: E731
    _require_zero(logit(a_post) - logit(a_prior) - beta * w * (a_post - a_prior), "logit step")
    step = sp.Eq(sp.Symbol(r"\Delta u_j"), beta * w * gap)
    der.add("With u_j = β(w_j a_j − w_j²/2), a^P_j the alignment on the prior's data and Δ_j = a_j − a^P_j, "
            "the w_j²/2 terms cancel and the logits move by (sympy)", step)
    j, d = sp.Symbol("j", integer=True), sp.Symbol("d", integer=True, positive=True)
    total = beta**2 / 8 * sp.Sum(w**2 * gap**2, (j, 1, d))
    der.add("so, summing over the weights, KL(Q‖P) = Σ_j kl(σ(u_j)‖σ(u^P_j)) ≤", total)
    der.add("≤ (β²‖w‖∞²/8)·‖Δa‖²; the Seeger bound is increasing in the KL, so it is controlled by ‖Δa‖ too.")
    design = sp.Tuple(sp.Eq(sp.Symbol("beta"), _number(ALIGNMENT_BETA)),
                      sp.Eq(sp.Symbol("delta"), _number(DELTA_BOUND + DELTA_MC)))
    der.add("Settings of the simulation (inverse temperature, confidence):", design)
    der.results.update(bregman=bregman_shown, log_partition=sp.Eq(A(_u), _A), logit_step=step, kl_bound=total,
                       remainder=remainder, third_derivative_max=1 / (6 * sp.sqrt(3)), design=design)
    return der


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
