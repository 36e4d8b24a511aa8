"""Checks of claims E1, E2, E4, E5 ([L]): sympy identities, quadrature, exact enumeration, Monte Carlo.

Each `check_eK(profile, rng)` returns a list of `CheckResult`s; sizes per profile are in SIZES and every
random draw comes from `rng`. Tolerance rules used here:
- Monte Carlo: z·se at false-failure rate 1e-6 (`mc_tolerance`).
- Closed forms computed two ways: k·eps·scale (`rounding_tolerance`).
- Finite differences of Ω: the central difference FD(h) = Ω′ + c·h² + O(h⁴), so |FD(2h) − FD(h)| =
  3|c|h² bounds its truncation error three times over; plus the rounding bound 2·k·eps·|Ω|/(2h).
- Quadrature (E4): the difference between the n- and n/2-node Gauss–Legendre rules bounds the error
  of the n-node rule (geometric convergence), times 4 for a second difference.
- Resemblance (E5): a claimed look-alike must fit better (smaller minimax relative deviation after
  the best scaling, `simulations.penalty_figures.best_scaled_fit`) than every classical penalty of the
  other kind (bounded vs unbounded).
"""

from __future__ import annotations

import mpmath
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit

from simulations.linear import enumerate_mask_loss, monte_carlo_mask_loss
from simulations.penalty_figures import (
    CANDIDATES,
    VECTOR_RADII,
    gate_opening,
    kl_monte_carlo,
    random_sparse_vectors,
    resemblances,
    sample_gates,
    spread_penalty,
)
from sparsetheory.checks import at_least, at_most, close, mc_tolerance, rounding_tolerance
from theory.masked_loss import explicit_expectation_residual
from theory.penalties import SCALAR_FAMILIES, get_penalty
from theory.penalty_derivations import derive_e1, derive_e2, derive_e4, unconfirmed_identities
from theory.penalty_duals import gate_terms, keep_rule_omega

SIZES = {
    "tiny": dict(points=6, mc_samples=4_000, n=20, d_enum=6, d_mc=8, samples=2_000, sympy_d=2, rules=8, u_grid=33,
                 fit_grid=21, d=8, n_vectors=20),
    "quick": dict(points=30, mc_samples=200_000, n=60, d_enum=12, d_mc=40, samples=40_000, sympy_d=3, rules=100,
                  u_grid=65, fit_grid=201, d=20, n_vectors=200),
    "full": dict(points=120, mc_samples=2_000_000, n=100, d_enum=16, d_mc=200, samples=400_000, sympy_d=4,
                 rules=1000, u_grid=129, fit_grid=801, d=40, n_vectors=2000),
}
NUMERIC_FAMILIES = ("vardrop", "vardrop_approx", "standout", "hardconcrete")
FD_STEP = 1e-4
BRUTE_XATOL = 1e-9


def _family(name: str):
    return get_penalty(name, p=0.5) if name == "lp" else get_penalty(name)


# --------------------------------------------------------------------------- E1


def _test_weights(rng, count: int) -> np.ndarray:
    """|w| log-uniform on [1e-3, 1e2] (all the regimes of the penalties, λ = 1)."""
    return np.exp(rng.uniform(np.log(1e-3), np.log(1e2), count))


def _brute_force_minimum(penalty, w: float) -> float:
    """min over ln η of ½[w²/η + f(η)], by bounded Brent on [ln(w²) − 40, ln(w²) + 40]."""
    centre = np.log(w**2)
    fit = minimize_scalar(lambda x: 0.5 * (w**2 / np.exp(x) + float(penalty.f(np.exp(x)))),
                          bounds=(centre - 40, centre + 40), method="bounded", options={"xatol": BRUTE_XATOL})
    return float(min(fit.fun, 0.5 * float(penalty.f(np.inf))))


def _gate_brute_force(w: float) -> float:
    """Hard concrete from the definition: min over the gate location s of ½[w²v/m1² + 2P(z ≠ 0)],
    with the moments by quadrature (`gate_terms`) and no table; s = ∞ (open gate) costs 1."""
    beta, gamma, zeta = 2 / 3, -0.1, 1.1

    def objective(s):
        m = gate_terms(np.array([s]), beta, gamma, zeta)
        return float(0.5 * (w**2 * m["v"][0] / m["m1"][0] ** 2 + 2 * expit(s - beta * np.log(-gamma / zeta))))

    fit = minimize_scalar(objective, bounds=(-60.0, 40.0), method="bounded", options={"xatol": BRUTE_XATOL})
    grid = np.linspace(-60, 40, 201)
    start = grid[np.argmin([objective(s) for s in grid])]
    local = minimize_scalar(objective, bounds=(start - 0.5, start + 0.5), method="bounded", options={"xatol": BRUTE_XATOL})
    return min(fit.fun, local.fun, 1.0)


def finite_difference_check(penalty, w: np.ndarray) -> tuple[float, float]:
    """(max |Ω′ − FD(h)|, max tolerance) with FD the central difference, h = FD_STEP·max(1, |w|)."""
    h = FD_STEP * np.maximum(1.0, np.abs(w))

    def central(step):
        return (penalty.omega(w + step) - penalty.omega(w - step)) / (2 * step)

    fd, fd2 = central(h), central(2 * h)
    rounding = 2 * rounding_tolerance(1.0, 64) * np.maximum(1.0, np.abs(penalty.omega(w))) / (2 * h)
    error = np.abs(penalty.derivative(w) - fd)
    tolerance = np.abs(fd2 - fd) + rounding
    worst = int(np.argmax(error - tolerance))
    return float(error[worst]), float(tolerance[worst])


def check_e1(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_e1()  # raises unless sympy confirms every identity
    results = [close("E1", f"sympy-{name}", f"sympy: unconfirmed identities (stationarity, value, Omega' = w/eta_hat, "
                     f"d eta_hat/dw > 0) for {name}", "sympy", 0, count, 0) for name, count in unconfirmed_identities().items()]

    vardrop = get_penalty("vardrop")
    eta = np.exp(rng.uniform(np.log(1e-4), np.log(1e4), size["points"]))
    exact = np.array([float(4 * mpmath.mpf(x) ** 2 / 2 * mpmath.hyp2f2(1, 1, 1.5, 2, -mpmath.mpf(x) ** 2))
                      for x in np.sqrt(eta / 2)])
    error = np.abs(vardrop.f(eta) - exact) / np.abs(exact)
    results.append(close("E1", "vardrop-hyp2f2", "vardrop f(eta) vs 2x²·2F2(1,1;3/2,2;−x²), x² = eta/2 (mpmath), "
                         "max relative error", "quadrature", 0, error.max(), rounding_tolerance(1.0, 64)))
    mc_eta = np.array([0.1, 1.0, 10.0])
    estimate, se = kl_monte_carlo(mc_eta, size["mc_samples"], rng)
    worst = int(np.argmax(np.abs(estimate - vardrop.f(mc_eta)) / se))
    results.append(close("E1", "vardrop-mc", f"vardrop f(eta) = 2E[ln|sqrt(eta) + Z| − ln|Z|] by Monte Carlo, worst of "
                         f"eta = 0.1, 1, 10 ({size['mc_samples']} draws)", "monte carlo", vardrop.f(mc_eta)[worst],
                         estimate[worst], mc_tolerance(se[worst], 1e-6 / 3)))

    w = _test_weights(rng, size["points"])
    for name in NUMERIC_FAMILIES:
        penalty = get_penalty(name)
        omega = penalty.omega(w)
        brute = np.array([_gate_brute_force(x) if name == "hardconcrete" else _brute_force_minimum(penalty, x) for x in w])
        excess = omega - brute
        worst = int(np.argmax(excess))
        results.append(at_most("E1", f"brute-{name}", f"{name}: Omega(w) ≤ brute-force min of the eta-trick objective "
                               "(bounded Brent), worst point", "optimisation", brute[worst], omega[worst],
                               rounding_tolerance(max(1.0, abs(brute[worst])), 64)))
        smooth = w
        if name == "hardconcrete":  # Ω′ jumps to 0 where the gate opens: no finite differences across w_c
            smooth = w[np.abs(w - gate_opening(penalty)) > 10 * FD_STEP * np.maximum(1.0, w)]
        error, tolerance = finite_difference_check(penalty, smooth)
        results.append(close("E1", f"fd-{name}", f"{name}: Omega' = w/eta_hat vs central differences, worst point",
                             "finite difference", 0, error, tolerance))

    gate = get_penalty("hardconcrete")
    inside = w[np.isfinite(gate.eta_hat(w))]
    eta_hat = gate.eta_hat(inside)
    identity = np.abs(0.5 * (inside**2 / eta_hat + gate.f(eta_hat)) - gate.omega(inside))
    results.append(close("E1", "gate-identity", "hard concrete: (w²/eta_hat + f(eta_hat))/2 − Omega(w), f by a separate "
                         "inversion of eta(s)", "quadrature", 0, identity.max(), 2 * rounding_tolerance(1.0, 64)))
    location = np.array([-3.0, 0.0, 3.0])
    z = sample_gates(location, size["mc_samples"], rng)
    moments = gate_terms(location, 2 / 3, -0.1, 1.1)
    for key, sample, exact_value in (("gate-mean", z, moments["m1"]),
                                     ("gate-second", z**2, moments["v"] + moments["m1"] ** 2),
                                     ("gate-open", (z > 0).astype(float), expit(location - 2 / 3 * np.log(0.1 / 1.1)))):
        means, ses = sample.mean(axis=1), sample.std(axis=1, ddof=1) / np.sqrt(size["mc_samples"])
        worst = int(np.argmax(np.abs(means - exact_value) / ses))
        results.append(close("E1", key, f"hard-concrete gate {key.split('-')[1]} moment: quadrature vs "
                             f"{size['mc_samples']} sampled gates, worst of s = -3, 0, 3", "monte carlo",
                             exact_value[worst], means[worst], mc_tolerance(ses[worst], 1e-6 / 3)))

    small, large = 1e-6, 1e6
    results.append(close("E1", "vardrop-l1-limit", "vardrop: Omega(w)/|w| at w = 1e-6 (L1 near 0; error O(w))",
                         "limit", 1.0, vardrop.omega(small) / small, small))
    results.append(close("E1", "vardrop-log-limit", "vardrop: w·Omega'(w) at w = 1e6 (log growth; = 1 + 1/eta_hat + ...)",
                         "limit", 1.0, large * vardrop.derivative(large), 2 / large**2))
    results.append(close("E1", "gate-saturation", "hard concrete: Omega(w) for |w| = 10 (gate fully open, L0 cost 1)",
                         "limit", 1.0, gate.omega(10.0), 0))
    return results


# --------------------------------------------------------------------------- E2


def regression_problem(rng, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian X (n×d) and y = Xw* + N(0, 1/4) with three ±2 entries in w* (at most d)."""
    X = rng.standard_normal((n, d))
    teacher = np.zeros(d)
    active = min(3, d)
    teacher[rng.choice(d, size=active, replace=False)] = rng.choice([-2.0, 2.0], size=active)
    return X, X @ teacher + 0.5 * rng.standard_normal(n)


def tikhonov_objective(X, y, w, eta, lam) -> float:
    """½||y − Xw||² + (λ/2)Σ_j ||x_j||²w_j²/η_j (E2's right-hand side)."""
    residual = y - X @ w
    return float(0.5 * residual @ residual + lam / 2 * np.sum(np.einsum("ij,ij->j", X, X) * w**2 / eta))


def _scale(X, y, w, keep) -> float:
    """(||y|| + ||X||_F·||w/α||)² bounds every term of ½||y − X((m/α)⊙w)||²."""
    return (np.linalg.norm(y) + np.linalg.norm(X) * np.linalg.norm(w / keep)) ** 2


def check_e2(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_e2()  # raises unless sympy turns (1 − α)/α with α = η/(η+λ) into λ/η
    nonzero = sum(explicit_expectation_residual("dropout", 2, d) != 0 for d in range(1, size["sympy_d"] + 1))
    results = [close("E2", "sympy-enumeration", f"sympy: E over all 2^d masks − closed form ≠ 0, d = 1..{size['sympy_d']}",
                     "sympy", 0, nonzero, 0)]
    lam = float(rng.uniform(0.5, 2.0))

    n, d = size["n"], size["d_enum"]
    X, y = regression_problem(rng, n, d)
    w = rng.standard_normal(d)
    eta = np.exp(rng.uniform(-1.5, 1.5, d))
    keep = eta / (eta + lam)
    enumerated = n / 2 * enumerate_mask_loss(X, y, w, keep, rescale=True)
    terms = 2**d + 2 * (n + d)
    results.append(close("E2", "enumeration", f"E||y − X((m/alpha)⊙w)||²/2 over all 2^{d} masks vs Tikhonov form",
                         "enumeration", tikhonov_objective(X, y, w, eta, lam), enumerated,
                         rounding_tolerance(_scale(X, y, w, keep), terms)))

    d = size["d_mc"]
    X, y = regression_problem(rng, size["n"], d)
    w = rng.standard_normal(d)
    energy = np.linalg.norm(X, axis=0)
    eta = get_penalty("vardrop").eta_hat(energy * w)  # adaptive: η_j = η̂(||x_j||·w_j) as in E3
    keep = eta / (eta + lam)
    estimate, se = monte_carlo_mask_loss(X, y, w, keep, size["samples"], rng, rescale=True)
    results.append(close("E2", "monte-carlo", f"E||y − X((m/alpha)⊙w)||²/2 by {size['samples']} masks vs Tikhonov form, "
                         f"eta_j = vardrop eta_hat(||x_j||w_j), d = {d}", "monte carlo",
                         tikhonov_objective(X, y, w, eta, lam), size["n"] / 2 * estimate,
                         mc_tolerance(size["n"] / 2 * se)))
    results.append(close("E2", "keep-one", "limit eta → inf (alpha = 1): the Tikhonov term vanishes", "limit",
                         0.5 * np.sum((y - X @ w) ** 2), tikhonov_objective(X, y, w, np.full(d, np.inf), lam),
                         rounding_tolerance(_scale(X, y, w, 1.0), 2 * (size["n"] + d))))
    return results


# --------------------------------------------------------------------------- E4


def random_keep_rule(rng, increasing: bool = True, components: int = 3):
    """α(t) = α0 + (1 − α0)·Σ_i π_i σ((t − c_i)/s_i) (non-decreasing), or 1 minus such a rule scaled into
    (0, 1) (non-increasing): α0 ~ U(0.05, 0.9), π ~ Dirichlet(1), c_i ~ U(0, 3), s_i ~ U(0.1, 1)."""
    floor = rng.uniform(0.05, 0.9)
    weights = rng.dirichlet(np.ones(components))
    centres, scales = rng.uniform(0, 3, components), rng.uniform(0.1, 1, components)

    def mixture(t):
        return np.sum(weights * expit((np.asarray(t)[..., None] - centres) / scales), axis=-1)

    if increasing:
        return lambda t: floor + (1 - floor) * mixture(t)
    return lambda t: 1 - (1 - floor) * mixture(t)


def concavity_excess(rule, lam: float, u_max: float, n_grid: int) -> tuple[float, float]:
    """(max second difference of g(u) = Ω(√u) on a uniform u-grid, its tolerance), Ω by E4's integral."""
    u = np.linspace(0, u_max, n_grid)
    omega, error = keep_rule_omega(rule, np.sqrt(u), lam)
    second = omega[2:] - 2 * omega[1:-1] + omega[:-2]
    tolerance = 4 * error.max() + rounding_tolerance(np.abs(omega).max(), 4 * 64)
    return float(second.max()), float(tolerance)


def check_e4(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    derive_e4()  # raises unless sympy confirms Ω′ = w/η̂ and g″ = −α′/(4λ√u α²)
    results = [close("E4", "sympy", "sympy: Omega' − w/eta_hat and g''(u) + alpha'(sqrt u)/(4λ sqrt(u) alpha²) for a generic rule alpha",
                     "sympy", 0, 0, 0)]

    lam = 1.0
    for name in ("standout", "hardconcrete"):
        penalty = get_penalty(name)
        w = _test_weights(rng, size["points"]) / 10
        if name == "hardconcrete":  # E4's integral needs a rule without jumps on [0, |w|]
            w = w[np.isfinite(penalty.eta_hat(w))]
        omega, error = keep_rule_omega(lambda t, pen=penalty: pen.keep_rate(t, lam), w, lam)
        worst = int(np.argmax(np.abs(omega - penalty.omega(w)) - error))
        results.append(close("E4", f"integral-{name}", f"{name}: E4's integral of its keep-rate rule vs Omega, worst point",
                             "quadrature", penalty.omega(w)[worst], omega[worst],
                             error[worst] + rounding_tolerance(max(1.0, omega[worst]), 64)))

    excesses = [concavity_excess(random_keep_rule(rng), lam, 16.0, size["u_grid"]) for _ in range(size["rules"])]
    violations = sum(excess > tolerance for excess, tolerance in excesses)
    results.append(close("E4", "random-rules", f"random non-decreasing rules (of {size['rules']}) whose Omega(sqrt u) has a "
                         "second difference above its quadrature tolerance", "quadrature", 0, violations, 0))
    controls = [concavity_excess(random_keep_rule(rng, increasing=False), lam, 16.0, size["u_grid"])
                for _ in range(size["rules"])]
    detected = sum(excess > tolerance for excess, tolerance in controls)
    results.append(at_least("E4", "control-power", f"negative control: non-increasing rules (of {size['rules']}) "
                            "detected as not concave", "quadrature", size["rules"], detected))

    u = np.linspace(0, 25.0, size["u_grid"])
    monotone_violations, concave_violations = 0, 0
    for name in SCALAR_FAMILIES:
        penalty = _family(name)
        keep = penalty.keep_rate(np.sqrt(u), lam)
        omega = penalty.omega(np.sqrt(u))
        monotone_violations += int(np.sum(np.diff(keep) < -rounding_tolerance(1.0, 64)))
        second = omega[2:] - 2 * omega[1:-1] + omega[:-2]
        concave_violations += int(np.sum(second > 4 * rounding_tolerance(max(1.0, np.abs(omega).max()), 64)))
    results.append(close("E4", "families-monotone", f"keep rates decreasing in |w| ({len(SCALAR_FAMILIES)} families, "
                         f"{size['u_grid']} points)", "quadrature", 0, monotone_violations, 0))
    results.append(close("E4", "families-concave", "positive second differences of Omega(sqrt u) beyond rounding, all families",
                         "quadrature", 0, concave_violations, 0))
    return results


# --------------------------------------------------------------------------- E5


def check_e5(profile: str, rng: np.random.Generator):
    size = SIZES[profile]
    fits = resemblances(size["fit_grid"])
    deviation = {family: {name: fit[0] for name, fit in by_name.items()} for family, by_name in fits.items()}
    vd, gate = deviation["vardrop"], deviation["hardconcrete"]
    results = [
        at_most("E5", "vd-logsum", "variational dropout: minimax relative deviation of the best-scaled log-sum "
                "≤ that of the best saturating penalty (MCP, SCAD)", "optimisation", min(vd["mcp"], vd["scad"]),
                vd["logsum"]),
        at_most("E5", "vd-logsum-vs-lp", "variational dropout: log-sum deviation ≤ Lp deviation", "optimisation",
                vd["lp"], vd["logsum"]),
        at_most("E5", "gate-mcp", "hard concrete: minimax relative deviation of the best-scaled MCP ≤ that of the "
                "best unbounded penalty (log-sum, Lp)", "optimisation", min(gate["logsum"], gate["lp"]), gate["mcp"]),
        at_most("E5", "gate-scad", "hard concrete: SCAD deviation ≤ best unbounded penalty's", "optimisation",
                min(gate["logsum"], gate["lp"]), gate["scad"]),
    ]

    d = size["d"]
    counts = np.arange(1, d + 1)
    monotone, lighter, heavier = 0, 0, 0
    for name in SCALAR_FAMILIES:
        penalty = _family(name)
        for radius in VECTOR_RADII:
            spread = spread_penalty(penalty, radius, counts)
            slack = rounding_tolerance(max(1.0, np.abs(spread).max()), 64 * d)
            monotone += int(np.sum(np.diff(spread) < -slack))
            for k in counts[1:]:
                vectors = random_sparse_vectors(rng, d, int(k), size["n_vectors"], radius)
                values = np.sum(penalty.omega(vectors) - penalty.omega(0.0), axis=1)
                lighter += int(np.sum(values < spread[0] - slack))
                heavier += int(np.sum(values > spread[k - 1] + slack))
    topk = get_penalty("topk", k=d // 2)
    staircase = topk.omega(np.tril(np.ones((d, d))))  # row k − 1 has k non-zeros
    monotone += int(np.sum(staircase[1:] < staircase[:-1]))
    results += [
        close("E5", "vector-monotone", f"decreases of k·[Omega(r/sqrt k) − Omega(0)] in k = 1..{d} (all families, r = 0.5, 2; "
              "and top-k)", "enumeration", 0, monotone, 0),
        close("E5", "vector-sparsest", f"random k-sparse vectors of norm r ({size['n_vectors']} per k) cheaper than "
              "a 1-sparse one", "monte carlo", 0, lighter, 0),
        close("E5", "vector-jensen", "random k-sparse vectors dearer than the equal-magnitude one", "monte carlo",
              0, heavier, 0),
    ]
    for family, by_name in deviation.items():
        for name in CANDIDATES:
            results.append(at_most("E5", f"dev-{family}-{name}", f"{family}: minimax relative deviation of the "
                                   f"best-scaled {name} (bound 1: the zero penalty's deviation)", "optimisation", 1.0,
                                   by_name[name]))
    return results

