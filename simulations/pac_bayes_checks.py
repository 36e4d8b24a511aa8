"""Checks of claims B1, B2, B3, B6: sympy identities, mpmath references, exact enumeration, Monte Carlo,
binomial tests of coverage.

Each `check_bK(profile, rng)` returns a list of `CheckResult`s; sizes per profile are in SIZES; every
random draw comes from `rng`. Floating-point tolerances are first-order error bounds written next to
the check; statistical ones are z·se at the false-failure rate 1e-6 or binomial tests at TEST_LEVEL.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy.integrate import quad
from scipy.stats import binom

from simulations.pac_bayes_figures import mc_coverage, validity_draws
from simulations.stochastic_masks import all_masks, mask_probabilities, sample_masks
from sparsetheory.checks import EPS, at_least, at_most, close, mc_tolerance, rounding_tolerance
from theory.pac_bayes import (
    CATONI_GRID,
    catoni_bound,
    derive_b1,
    derive_b2,
    derive_b3,
    derive_b6,
    kl_bernoulli,
    kl_gaussian_diag,
    kl_inverse_lower,
    kl_inverse_upper,
    kl_product_bernoulli,
    lambda_bound,
    mcallester_bound,
    quadratic_bound,
    seeger_bound,
)

SIZES = {
    "tiny": dict(kl_points=40, inverse_points=4, d_enum=8, kl_samples=2_000, gauss_d=3, logit_grid=41,
                 grid=8, binomial_m=(20, 200), mu_grid=100, mc_reps=300, mc_masks=50, draws=60, n=200,
                 masks=100),
    "quick": dict(kl_points=400, inverse_points=30, d_enum=12, kl_samples=100_000, gauss_d=5, logit_grid=201,
                  grid=20, binomial_m=(20, 200, 2000), mu_grid=400, mc_reps=4000, mc_masks=100, draws=1000,
                  n=500, masks=200),
    "full": dict(kl_points=4000, inverse_points=400, d_enum=16, kl_samples=1_000_000, gauss_d=10,
                 logit_grid=801, grid=40, binomial_m=(20, 200, 2000, 20000), mu_grid=2000, mc_reps=40_000,
                 mc_masks=100, draws=10_000, n=1000, masks=1000),
}
TEST_LEVEL = 1e-4  # binomial tests: a valid bound fails the test with probability ≤ this
ROUNDING_ULPS = 8  # k in the first-order error bounds k·eps·(scale) below
DELTA_PB, DELTA_MC = 0.04, 0.01
MC_DELTA = 0.1  # δ′ of the B3 coverage experiment: large enough that failures could be observed
SIGNAL, D_MIXTURE = 0.4, 8
EDGE_PAIRS = ((0.0, 0.3), (1.0, 0.3), (0.5, 0.0), (1e-300, 1e-301), (1 - 2**-53, 1e-20), (0.5, 1e-300),
              (1e-12, 5.0), (0.3, 700.0), (0.97, 1e4), (1e-20, 1e-19))


# ----------------------------------------------------------------------------- mpmath references


def _decades(*values) -> int:
    """Decades below 1 of the smallest non-zero magnitude among `values` (0 if none is below 1)."""
    small = min([abs(mp.mpf(v)) for v in values if v != 0] + [mp.mpf(1)])
    return max(0, int(-mp.log10(small)))


def kl_reference(q: float, p: float) -> mp.mpf:
    """kl(q‖p) in mpmath at working precision (0 ln 0 = 0)."""
    with mp.workdps(40 + _decades(q, 1 - mp.mpf(q), p, 1 - mp.mpf(p))):
        q, p = mp.mpf(q), mp.mpf(p)
        value = mp.mpf(0)
        if q > 0:
            value += q * mp.log(q / p)
        if q < 1:
            value += (1 - q) * mp.log((1 - q) / (1 - p))
        return +value


def kl_inverse_reference(q: float, c: float, upper: bool) -> tuple[mp.mpf, mp.mpf]:
    """(p, tail) with kl(q‖p) = c and tail = 1 − p (upper) or p (lower), in mpmath.

    Solves g(v) = kl(a‖1 − e^v) − c = 0 for v = ln(tail) ≤ ln b (a, b = q, 1 − q or 1 − q, q, exact in
    mpmath). g is convex and decreasing on (−∞, ln b] with g′(v) = −b + a·e^v/(1 − e^v): 50 bisection
    steps on the log-distance ln(ln b − v) ∈ [−digits·ln 10, ln((c − a ln a)/b + 1)] (the upper end from
    the linear bound), then Newton from the far end, where g > 0, which converges monotonically, until
    |g| ≤ 10^(10 − digits)·(a + b(|ln b| + |v|) + c), zero up to the rounding of its terms (ln of a
    ratio near 1 errs by 10^(−digits) absolute); the working digits leave ≥ 20 correct ones in the root
    and in its distance from q.
    """
    # Digits: 40, plus the decades of q or 1 − q (held exactly), plus those of c (near a double root
    # the terms of g, of size ~b, cancel to c, and the root sits at a distance ~√c from ln b).
    with mp.workdps(40 + _decades(q, 1 - mp.mpf(q)) + _decades(c)):
        q, c = mp.mpf(q), mp.mpf(c)
        a, b = (q, 1 - q) if upper else (1 - q, q)
        if c == 0:
            return q, b
        if b == 0:
            return (mp.mpf(1), mp.mpf(0)) if upper else (mp.mpf(0), mp.mpf(0))

        def g(v):
            value = b * (mp.log(b) - v) - c
            return value + a * mp.log(a / -mp.expm1(v)) if a > 0 else value

        top = mp.log(b)
        near, far = -mp.mp.dps * mp.log(10), mp.log((c - (a * mp.log(a) if a > 0 else 0)) / b + 1)
        for _ in range(50):  # bisect the log-distance ln(ln b − v): the root may sit 1e-150 from ln b
            middle = (near + far) / 2
            near, far = (near, middle) if g(top - mp.exp(middle)) > 0 else (middle, far)
        v, tolerance = top - mp.exp(far), mp.mpf(10) ** (10 - mp.mp.dps)
        for _ in range(200):
            residual = g(v)
            if abs(residual) <= tolerance * (a + b * (abs(mp.log(b)) + abs(v)) + c):
                break
            v -= residual / (-b + a * mp.exp(v) / -mp.expm1(v))
        else:
            raise RuntimeError(f"mpmath reference did not converge for q = {q}, c = {c}")
        tail = mp.exp(v)
        return (+(1 - tail), +tail) if upper else (+tail, +tail)


def kl_inverse_error_bound(q: float, c: float, p_ref: mp.mpf, tail: mp.mpf) -> float:
    """First-order error bound of the float64 kl inversion at a reference root p*:

    8·[spacing(p*) + eps·(1 + u*)·t* + eps·S/|∂kl/∂p|],  t* the root's tail (1 − p* or p*),
    u* = −ln t*, S = |q ln(q/p*)| + |(1 − q) ln((1 − q)/(1 − p*))| + c: the representation of p*, of
    u* (t* = e^{−u*} is held through u*), and kl's rounding error (scale S) divided by its slope.
    """
    p = float(p_ref)
    if c == 0 or tail == 0 or p in (0.0, 1.0):
        return ROUNDING_ULPS * float(np.spacing(p)) if p > 0 else ROUNDING_ULPS * 5e-324
    q_mp = mp.mpf(q)
    scale = abs(q_mp * mp.log(q_mp / p_ref)) if q > 0 else mp.mpf(0)
    scale += abs((1 - q_mp) * mp.log((1 - q_mp) / (1 - p_ref))) if q < 1 else 0
    slope = abs(p_ref - q_mp) / (p_ref * (1 - p_ref))
    bound = np.spacing(p) + EPS * float((1 - mp.log(tail)) * tail) + EPS * float((scale + c) / slope)
    return ROUNDING_ULPS * float(bound)


def _inverse_pairs(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(q, c) pairs: the edge cases, then q uniform / log-uniform near 0 and 1, c log-uniform in [1e-20, 1e3]."""
    q = np.concatenate([[pair[0] for pair in EDGE_PAIRS], rng.uniform(0, 1, count),
                        10 ** rng.uniform(-300, 0, count // 3), 1 - 10 ** rng.uniform(-16, 0, count // 3)])
    c = np.concatenate([[pair[1] for pair in EDGE_PAIRS], 10 ** rng.uniform(-20, 3, q.size - len(EDGE_PAIRS))])
    return q, c


def kl_inverse_errors(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """For each side, |float64 inverse − mpmath| and its error bound at the pairs of `_inverse_pairs`."""
    q, c = _inverse_pairs(rng, count)
    out = {"q": q, "c": c}
    for side, function, upper in (("upper", kl_inverse_upper, True), ("lower", kl_inverse_lower, False)):
        estimate = function(q, c)
        references = [kl_inverse_reference(qi, ci, upper) for qi, ci in zip(q, c)]
        out[f"{side}_error"] = np.array([float(abs(p - e)) for (p, _), e in zip(references, estimate)])
        out[f"{side}_bound"] = np.array([kl_inverse_error_bound(qi, ci, p, t)
                                         for qi, ci, (p, t) in zip(q, c, references)])
    return out


# ----------------------------------------------------------------------------- B1


def _kl_terms_scale(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """|q ln(q/p)| + |(1 − q) ln((1 − q)/(1 − p))|, the scale of kl's rounding error."""
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(q > 0, np.abs(q * np.log(q / p)), 0.0)
        second = np.where(q < 1, np.abs((1 - q) * np.log((1 - q) / (1 - p))), 0.0)
    return first + second


def check_b1(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    der = derive_b1()  # raises unless sympy confirms the Bernoulli, product, Gaussian and Bregman identities
    results = [close("B1", "curvature-max", "sympy: max_s s(1 − s), the bound on A'' = sigma(1 − sigma)", "sympy", 0.25,
                     float(der.results["curvature_max"]), 0)]

    q = np.concatenate([[0.0, 1.0, 0.0, 1.0, 0.5], rng.uniform(0, 1, size["kl_points"])])
    p = np.concatenate([[0.3, 0.3, 1e-300, 1 - 2**-53, 0.5 + 2**-40], rng.uniform(0, 1, size["kl_points"])])
    p = np.where(rng.random(q.size) < 0.3, np.clip(q + 10 ** rng.uniform(-12, -1, q.size), 0, 1), p)
    p[:5] = [0.3, 0.3, 1e-300, 1 - 2**-53, 0.5 + 2**-40]
    errors = np.array([float(abs(kl_reference(qi, pi) - ki)) for qi, pi, ki in zip(q, p, kl_bernoulli(q, p))])
    bounds = ROUNDING_ULPS * EPS * (_kl_terms_scale(q, p) + 1e-300)
    results.append(at_most("B1", "kl-mpmath", f"max over {q.size} (q, p) of |kl - mpmath| / ({ROUNDING_ULPS}·eps·"
                           "(|q ln(q/p)| + |(1-q) ln((1-q)/(1-p))|))", "mpmath", 1.0, np.max(errors / bounds)))

    d = size["d_enum"]
    posterior, prior = rng.uniform(0.05, 0.95, d), rng.uniform(0.05, 0.95, d)
    masks = all_masks(d)
    log_p = masks @ np.log(posterior) + (1 - masks) @ np.log1p(-posterior)
    log_q = masks @ np.log(prior) + (1 - masks) @ np.log1p(-prior)
    prob = mask_probabilities(masks, posterior)
    enumerated = prob @ (log_p - log_q)
    closed = float(kl_product_bernoulli(posterior, prior))
    scale = prob @ (np.abs(log_p) + np.abs(log_q))
    results.append(close("B1", "product-enumeration", f"Σ_j kl(p_j‖q_j) vs Σ over all 2^{d} masks of "
                         "P(m) ln(P(m)/Q(m))", "enumeration", closed, enumerated,
                         rounding_tolerance(scale, 2**d + 4 * d)))
    sampled = sample_masks(posterior, size["kl_samples"], rng)
    log_ratio = (sampled @ (np.log(posterior) - np.log(prior))
                 + (1 - sampled) @ (np.log1p(-posterior) - np.log1p(-prior)))
    results.append(close("B1", "product-monte-carlo", f"Σ_j kl(p_j‖q_j) vs the mean log-ratio of "
                         f"{size['kl_samples']} masks from the posterior", "monte carlo", closed, log_ratio.mean(),
                         mc_tolerance(log_ratio.std(ddof=1) / np.sqrt(log_ratio.size))))

    g = size["gauss_d"]
    mu_q, mu_p = rng.normal(0, 1, g), rng.normal(0, 1, g)
    s_q, s_p = rng.uniform(0.3, 2.0, g), rng.uniform(0.3, 2.0, g)
    closed = float(kl_gaussian_diag(mu_q, s_q, mu_p, s_p))
    quadrature, quad_error = 0.0, 0.0
    for mq, sq, mpp, spp in zip(mu_q, s_q, mu_p, s_p):
        def integrand(x, mq=mq, sq=sq, mpp=mpp, spp=spp):
            log_ratio = np.log(spp / sq) - (x - mq) ** 2 / (2 * sq**2) + (x - mpp) ** 2 / (2 * spp**2)
            return np.exp(-((x - mq) ** 2) / (2 * sq**2)) / (np.sqrt(2 * np.pi) * sq) * log_ratio
        value, error = quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)
        quadrature, quad_error = quadrature + value, quad_error + error
    results.append(close("B1", "gaussian-quadrature", f"diagonal-Gaussian KL (d = {g}) vs quadrature of "
                         "integral of N_q ln(N_q/N_p)", "enumeration", closed, quadrature,
                         quad_error + rounding_tolerance(closed + g, 16 * g)))
    x = mu_q + s_q * rng.standard_normal((size["kl_samples"], g))
    log_ratio = np.sum(np.log(s_p / s_q) - (x - mu_q) ** 2 / (2 * s_q**2) + (x - mu_p) ** 2 / (2 * s_p**2), axis=1)
    results.append(close("B1", "gaussian-monte-carlo", f"diagonal-Gaussian KL vs the mean log-ratio of "
                         f"{size['kl_samples']} draws", "monte carlo", closed, log_ratio.mean(),
                         mc_tolerance(log_ratio.std(ddof=1) / np.sqrt(log_ratio.size))))

    grid = np.linspace(-8, 8, size["logit_grid"])
    u, v = np.meshgrid(grid, grid)
    sigma_u, sigma_v = 1 / (1 + np.exp(-u)), 1 / (1 + np.exp(-v))
    kl_logits = kl_bernoulli(sigma_u, sigma_v)
    quadratic = (u - v) ** 2 / 8
    excess = kl_logits - quadratic
    # kl's own rounding bound plus σ's: a relative error eps in σ moves kl by ≤ eps·|∂kl/∂p|·p.
    slack = ROUNDING_ULPS * EPS * (_kl_terms_scale(sigma_u, sigma_v) + np.abs(sigma_v - sigma_u) + quadratic)
    results.append(at_most("B1", "logit-bound", f"max over a {grid.size}² grid of (u, v) in [-8, 8]² of "
                           "kl(sigma(u)‖sigma(v)) - (u - v)²/8 - rounding bound", "enumeration", 0.0,
                           np.max(excess - slack)))
    # Near u = v = 0 the bound is tight: kl(σ(0)‖σ(h)) = A(h) − A(0) − h/2 = h²/8 − h⁴/192 + h⁶/2880
    # − 17h⁸/645120 + …, so its ratio to h²/8 is 1 − h²/24 + h⁴/360 − 17h⁶/80640 + … (alternating, so the
    # first omitted term bounds the remainder); kl's rounding (scale ~h/4) and σ(h)'s (δp ~ eps/2, slope
    # ~h) each err by ≲ eps·h, i.e. 8·eps·6/h relative to h²/8.
    h = 1e-2
    ratio = float(kl_bernoulli(0.5, 1 / (1 + np.exp(-h)))) / (h**2 / 8)
    results.append(close("B1", "logit-tight", "limit u = 0, v = h = 0.01: kl(sigma(u)‖sigma(v)) / ((u - v)²/8) "
                         "vs its expansion 1 - h²/24 + h^4/360", "limit", 1 - h**2 / 24 + h**4 / 360, ratio,
                         17 * h**6 / 80640 + ROUNDING_ULPS * EPS * 6 / h))
    return results


# ----------------------------------------------------------------------------- B2


def bound_grid(points: int) -> tuple[np.ndarray, ...]:
    """(L̂, KL, n, δ) on a product grid: L̂ in [0, 1], KL log-spaced in [1e-3, 1e3], n, δ a few values."""
    emp = np.linspace(0, 1, points)
    kl = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, points)])
    n = np.array([1, 30, 1000, 100_000])
    delta = np.array([1e-6, 0.05, 0.5])
    return tuple(a.ravel() for a in np.meshgrid(emp, kl, n, delta, indexing="ij"))


def check_b2(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b2()  # raises unless sympy confirms Pinsker, the quadratic bound, λ* and Catoni's C*
    errors = kl_inverse_errors(rng, size["inverse_points"])
    results = []
    for side in ("upper", "lower"):
        results.append(at_most("B2", f"kl-inverse-{side}", f"kl-inverse ({side}) vs mpmath at {errors['q'].size} "
                               "(q, c) pairs incl. q in {0, 1e-300, 1 - 2^-53, 1}, c in [0, 1e4]: max "
                               "|error| / first-order error bound", "mpmath", 1.0,
                               np.max(errors[f"{side}_error"] / errors[f"{side}_bound"])))
    results.append(at_most("B2", "kl-inverse-abs", "max |kl-inverse - mpmath| over both sides and all pairs "
                           "(target 1e-12)", "mpmath", 1e-12,
                           max(errors["upper_error"].max(), errors["lower_error"].max())))

    emp, kl, n, delta = bound_grid(size["grid"])
    seeger = np.asarray(seeger_bound(emp, kl, n, delta))
    mcallester = np.asarray(mcallester_bound(emp, kl, n, delta))
    quadratic = np.asarray(quadratic_bound(emp, kl, n, delta))
    lam = np.asarray(lambda_bound(emp, kl, n, delta))
    # The kl inverse errs by ≤ ~8 ulps of a value ≤ 1 in this range of c (checked above); the closed forms
    # by a few roundings of values ≤ their own size.
    tolerance = ROUNDING_ULPS * EPS * (1 + np.maximum(mcallester, quadratic))
    results.append(at_most("B2", "pinsker", f"max over {emp.size} grid points of Seeger - McAllester "
                           "- rounding bound (Pinsker: ≤ 0)", "enumeration", 0.0,
                           np.max(seeger - mcallester - tolerance)))
    results.append(at_most("B2", "seeger-quadratic", "max over the grid of Seeger - quadratic - rounding bound",
                           "enumeration", 0.0, np.max(seeger - quadratic - tolerance)))
    catoni = np.asarray(catoni_bound(emp, kl, n, delta))
    results.append(close("B2", "lambda-quadratic", "max over the grid of |λ-bound at λ* - quadratic bound| / "
                         "rounding bound", "enumeration", 0.0, np.max(np.abs(lam - quadratic) / tolerance), 1.0))
    results.append(at_least("B2", "above-empirical", "min over the grid and the five bounds of bound - Lhat",
                            "enumeration", 0.0,
                            min(np.min(b - emp) for b in (seeger, mcallester, quadratic, lam, catoni))))

    catoni_floor = np.asarray(kl_inverse_upper(emp, (kl + np.log(CATONI_GRID.size / delta)) / n))
    results.append(at_least("B2", "catoni-floor", "min over the grid of Catoni (grid of C) - kl^-1(Lhat, (KL + "
                            "ln(k/delta))/n) + rounding bound", "enumeration", 0.0,
                            np.min(catoni - catoni_floor + tolerance)))
    return results + _catoni_at_optimum(rng)


def _catoni_at_optimum(rng: np.random.Generator):
    """Catoni's bound with the single C* = ln(p(1 − q)/(q(1 − p))), p = kl⁻¹(q, (KL + ln(1/δ))/n), equals p."""
    q, kl, n, delta = rng.uniform(0.05, 0.5), rng.uniform(1, 20), 1000, 0.05
    c = (kl + np.log(1 / delta)) / n
    p = float(kl_inverse_reference(q, c, True)[0])
    c_star = np.log(p * (1 - q) / (q * (1 - p)))
    value = float(catoni_bound(q, kl, n, delta, grid=[c_star]))
    # f = (1 − E)/(1 − F), E = e^{−x}, x = C*q + c, F = e^{−C*}: each exponential errs by eps·(|arg| + 1)
    # relative, each 1 − · amplifies by ·/(1 − ·); plus C*'s own rounding (a few eps·(1 + C*)).
    x = c_star * q + c
    relative = (np.exp(-x) * (x + 2) / -np.expm1(-x) + np.exp(-c_star) * (c_star + 2) / -np.expm1(-c_star) + 4
                + (c_star + 1) * (q + 1))
    return [close("B2", "catoni-optimum", "Catoni's bound at the single C* vs kl^-1(q, (KL + ln(1/delta))/n) (mpmath)",
                  "mpmath", p, value, ROUNDING_ULPS * EPS * relative * p)]


# ----------------------------------------------------------------------------- B3


def exact_mc_failure(n_masks: int, delta_mc: float, mu: np.ndarray, log_term: float) -> np.ndarray:
    """P(kl⁻¹(K/M, ln(log_term/δ′)/M) < μ) exactly, K ~ Binomial(M, μ), for each μ: the Bernoulli worst case."""
    k = np.arange(n_masks + 1)
    upper = np.asarray(kl_inverse_upper(k / n_masks, np.log(log_term / delta_mc) / n_masks))
    pmf = binom.pmf(k[None, :], n_masks, mu[:, None])
    return np.sum(pmf * (upper[None, :] < mu[:, None]), axis=1)


def binomial_p_value(failures: int, trials: int, rate: float) -> float:
    """One-sided p-value P(Binomial(trials, rate) ≥ failures) of observing that many failures."""
    return float(binom.sf(failures - 1, trials, rate))


def check_b3(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b3()  # raises unless sympy confirms the Chernoff exponent is kl
    mu = np.linspace(0, 1, size["mu_grid"] + 2)[1:-1]
    results = []
    for m in size["binomial_m"]:
        worst = exact_mc_failure(m, MC_DELTA, mu, 2.0).max()
        results.append(at_most("B3", f"binomial-{m}", f"Bernoulli worst case, M = {m}: max over {mu.size} μ of "
                               f"P(kl^-1(Lhat_M, ln(2/delta')/M) < μ), delta' = {MC_DELTA} (≤ delta'/2)", "enumeration",
                               MC_DELTA / 2, worst, rounding_tolerance(1.0, m + 1)))
    m = size["binomial_m"][-1]
    worst = exact_mc_failure(m, MC_DELTA, mu, 1.0).max()
    results.append(at_most("B3", "binomial-one-sided", f"one-sided form ln(1/delta')/M, M = {m}: max over μ of the "
                           "failure probability (≤ delta')", "enumeration", MC_DELTA, worst,
                           rounding_tolerance(1.0, m + 1)))

    run = mc_coverage(rng, size["mc_reps"], size["n"], D_MIXTURE, size["mc_masks"], MC_DELTA, SIGNAL)
    failures = int(np.sum(run["mc_upper"] < run["emp_risk"]))
    results.append(at_least("B3", "mc-coverage", f"stochastic masks, {size['mc_reps']} Monte Carlo estimates "
                            f"(M = {size['mc_masks']}) of the exact Lhat_S(Q): p-value of the failures of "
                            f"kl^-1(Lhat_M, ln(2/delta')/M) against rate delta'/2", "statistic", TEST_LEVEL,
                            binomial_p_value(failures, size["mc_reps"], MC_DELTA / 2)))
    results.append(at_most("B3", "mc-failure-rate", "its observed failure rate (≤ delta'/2 = "
                           f"{MC_DELTA / 2:g} up to the binomial test)", "statistic", MC_DELTA / 2,
                           failures / size["mc_reps"], _binomial_slack(size["mc_reps"], MC_DELTA / 2)))
    mean = float(run["emp_risk"])
    results.append(at_most("B3", "mask-risk-sd", "sd of one mask's risk (sd of Lhat_M · sqrt M) vs sqrt(mu(1 - "
                           "mu)), the Bernoulli (largest possible) sd at the same mean", "statistic",
                           np.sqrt(mean * (1 - mean)), run["emp_risk_mc"].std(ddof=1) * np.sqrt(size["mc_masks"])))
    return results


def _binomial_slack(trials: int, rate: float) -> float:
    """The largest excess of an observed failure rate over `rate` that the one-sided binomial test at
    TEST_LEVEL accepts: (k* − 1)/trials − rate, k* the smallest count with P(Bin ≥ k*) < TEST_LEVEL."""
    critical = int(binom.isf(TEST_LEVEL, trials, rate)) + 1
    return max(0.0, (critical - 1) / trials - rate)


# ----------------------------------------------------------------------------- B6


def check_b6(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_b6()  # raises unless sympy confirms the closed-form risk of a masked linear classifier
    draws = validity_draws(rng, size["draws"], size["n"], D_MIXTURE, size["masks"], DELTA_PB, DELTA_MC, SIGNAL)
    total = size["draws"]
    delta = DELTA_PB + DELTA_MC
    failures = int(np.sum(draws["bound"] < draws["true_risk"]))
    results = [
        at_least("B6", "coverage", f"fraction of {total} samples with certified bound ≥ L(Q), delta = "
                 f"delta_PB + delta_MC = {delta:g} (≥ 1 - delta up to the binomial test)", "statistic", 1 - delta,
                 1 - failures / total, _binomial_slack(total, delta)),
        at_least("B6", "p-value", "one-sided binomial p-value of the failures against rate delta", "statistic",
                 TEST_LEVEL, binomial_p_value(failures, total, delta)),
    ]
    failures_exact = int(np.sum(draws["bound_exact_emp"] < draws["true_risk"]))
    results.append(at_least("B6", "p-value-exact-emp", "the same for the Seeger bound at the exact Lhat_S(Q) "
                            "(no Monte Carlo), against rate delta_PB", "statistic", TEST_LEVEL,
                            binomial_p_value(failures_exact, total, DELTA_PB)))
    naive_failures = int(np.sum(draws["emp_risk_mc"] < draws["true_risk"]))
    results.append(at_most("B6", "power", "negative control: p-value of the failures of Lhat_M itself "
                           "(no complexity term) against rate delta; the test must reject it", "statistic", TEST_LEVEL,
                           binomial_p_value(naive_failures, total, delta)))
    results.append(at_least("B6", "median-slack", "median over samples of certified bound - L(Q)", "statistic",
                            0.0, float(np.median(draws["bound"] - draws["true_risk"]))))
    return results
