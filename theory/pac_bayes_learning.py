"""Symbolic side of claims B4 (data-dependent priors), B5 (self-bounded learning) and B7 (the linear
model); [H] and Dziugaite et al. 2021. Each step's identity is checked by sympy, which raises unless it holds.

B4 (`derive_b4`)  A prior fit on the first ⌊αn⌋ points leaves the bound of B2 on the other (1 − α)n,
    with a union bound over a grid of A values of α:
        c_α = (KL + ln(2√((1 − α)n)·A/δ)) / ((1 − α)n);
    and the prior keep q minimising the expected kl(p‖q) of a random posterior keep p is E p (the
    oracle prior).
B5 (`derive_b5`)  The ingredients of the self-bounded objective: the variance (p(1 − p)μ² + pσ²)x̃² of one
    masked noisy input's term, the ReLU moments m_1 = aΦ(a/s) + sφ(a/s), m_2 = (a² + s²)Φ(a/s) +
    asφ(a/s) of z ~ N(a, s²) and their partials, the quadratic bound J = (√(L̂ + c/2) + √(c/2))² and
    its partials, the gradient (u − v)σ(u)(1 − σ(u)) of kl(σ(u)‖σ(v)) in the logit u, and the
    certificate kl⁻¹(kl⁻¹(L̂_N, ln(2/δ_MC)/N), (KL + ln(2√n_b/δ_PB))/n_b).
B7 (`derive_b7`)  kl(σ(u)‖σ(v)) is the Bregman divergence of A(u) = ln(1 + e^u), so
    kl ≤ (u − v)²/8 with a cubic remainder |h|³/(36√3); logits u_j = β(w_j a_j − w_j²/2) move by
    βw_jΔ_j, hence KL(Q‖P) ≤ (β²/8)Σ_j w_j²Δ_j².

The settings of the experiments are defined here, once, so that the derivations display the values
the simulations (simulations/pac_bayes_learning.py) and checks (simulations/pac_bayes_learning_checks.py) use.
"""

from __future__ import annotations

import sympy as sp

from theory.derivation import Derivation

DELTA_BOUND = 0.025  # δ_PB
DELTA_MC = 0.025  # δ_MC; the certificates hold with probability ≥ 1 − 0.05

# Settings of the experiments, chosen once in a short exploration (not tuned against the verdicts): the prior's
# keep q, the weight noise σ, B5's prior fraction, B7's inverse temperature β.
KEEP, SIGMA, B5_ALPHA = 0.8, 0.1, 0.5
ALIGNMENT_BETA = 40.0

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
