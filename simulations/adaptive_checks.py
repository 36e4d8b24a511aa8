"""Checks of claims E3 (adaptive dropout = IRLS) and E6 (adaptive sparsification of an MLP).

Each `check_eK(profile, rng)` returns a list of `CheckResult`s; sizes per profile are in
E3_SIZES / E6_SIZES, every random draw comes from `rng`. BLAS (and torch) run on one thread inside the
checks: the problems are small, and several threads on two cores shared with other jobs only spin.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
from threadpoolctl import threadpool_limits

from simulations.adaptive_dropout import (
    adaptive_dropout_sgd,
    irls,
    irls_support,
    lasso_duality_gap,
    slope_at_zero,
    stationarity,
)
from sparsetheory.checks import EPS, FALSE_FAILURE_RATE, at_most, close
from theory.adaptive_derivations import derive_e3, derive_e6
from theory.penalties import get_penalty

# ---------------------------------------------------------------------------------------------- E3

NONCONVEX = ("logsum", "mcp", "scad", "vardrop")
E3_SIZES = {
    "tiny": dict(seeds=1, regimes=("n>d",), sgd_epochs=60, sgd_penalties=("logsum",)),
    "quick": dict(seeds=3, regimes=("n>d", "n<d"), sgd_epochs=200, sgd_penalties=NONCONVEX),
    "full": dict(seeds=10, regimes=("n>d", "n<d"), sgd_epochs=400, sgd_penalties=NONCONVEX),
}
REGIMES = {"n>d": (200, 50), "n<d": (100, 200)}
ACTIVE = 5
NOISE = 1.0
SIGNAL = (2.0, 3.0)  # |w*_j| ~ U(2, 3) on the support; with N(0, 1) columns |u*_j| ≈ √n·|w*_j| ≥ 20
SGD = dict(batch=20, step=0.1, decay_epochs=5.0)
# Sampled dropout is compared with IRLS for n > d only: there the columns are nearly orthogonal and F has no
# spurious minimum near the noise level. For n < d its early noise (keep rates start at ½) can leave it in
# another local minimum of the non-convex F — a different stationary point, not a failure to converge.
SGD_REGIMES = ("n>d",)
SOLVER_GAP = 1e-12
GAP_RELATIVE = 1e-9  # the ℓ1 IRLS run must end with duality gap ≤ this·F (so the cvxpy comparison is sharp)
SUPPORT_KEEP = 0.5  # SGD support: weights whose dropout keep rate is at least ½


def sparse_problem(rng: np.random.Generator, n: int, d: int):
    """X with N(0, 1) entries, w* with ACTIVE non-zeros of magnitude U(SIGNAL) and random signs,
    y = Xw* + N(0, NOISE²)."""
    X = rng.standard_normal((n, d))
    teacher = np.zeros(d)
    support = rng.choice(d, size=ACTIVE, replace=False)
    teacher[support] = rng.uniform(*SIGNAL, ACTIVE) * rng.choice((-1.0, 1.0), ACTIVE)
    return X, X @ teacher + NOISE * rng.standard_normal(n), teacher


def universal_threshold(d: int, problems: int) -> float:
    """λ₀ = σ√(2 ln(2·d·problems/δ)), δ = FALSE_FAILURE_RATE: with unit columns, every noise correlation
    |x̃_jᵀε| ~ |N(0, σ²)| of every problem stays below λ₀ with probability ≥ 1 − δ (union bound)."""
    return NOISE * np.sqrt(2 * np.log(2 * d * problems / FALSE_FAILURE_RATE))


def e3_penalty(name: str, threshold: float):
    """(penalty, λ) with λ·Ω′(0+) = threshold: every penalty zeroes the same noise level. MCP and SCAD
    take their own λ equal to the threshold (they are the usual penalties divided by λ)."""
    if name == "lp":
        penalty = get_penalty("lp", p=1.0)
    elif name == "logsum":
        penalty = get_penalty("logsum", eps=1.0)
    elif name in ("mcp", "scad"):
        penalty = get_penalty(name, a=3.0 if name == "mcp" else 3.7, lam=threshold)
    else:
        penalty = get_penalty(name)
    return penalty, threshold / slope_at_zero(penalty)


def _cvxpy_weighted_lasso(X, y, lam: float) -> np.ndarray:
    w = cp.Variable(X.shape[1])
    objective = 0.5 * cp.sum_squares(y - X @ w) + lam * cp.norm1(cp.multiply(np.linalg.norm(X, axis=0), w))
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_abs=SOLVER_GAP, tol_gap_rel=SOLVER_GAP,
                                             tol_feas=SOLVER_GAP)
    return np.asarray(w.value)


def _interleaved(result) -> np.ndarray:
    """F(w⁰), J(w¹, η⁰), F(w¹), J(w², η¹), …: non-increasing for block coordinate descent."""
    sequence = np.empty(2 * result.iterations + 1)
    sequence[0::2], sequence[1::2] = result.objective, result.half_objective
    return sequence


def _l1_checks(X, y, threshold: float):
    penalty, lam = e3_penalty("lp", threshold)
    result = irls(X, y, penalty, lam)
    reference = _cvxpy_weighted_lasso(X, y, lam)
    gaps = [lasso_duality_gap(X, y, w, lam) for w in (result.w, reference)]
    # F is μ-strongly convex, μ = λ_min(XᵀX): ||w − w*||² ≤ 2(F(w) − F*)/μ ≤ 2·gap/μ (both solutions).
    mu = np.linalg.eigvalsh(X.T @ X)[0]
    tolerance = sum(np.sqrt(2 * gap / mu) for gap in gaps)
    n, d = X.shape
    return [
        close("E3", "l1-cvxpy", f"l1: ||w_IRLS − w_cvxpy||₂, weighted lasso (n = {n}, d = {d})", "optimisation", 0,
              np.linalg.norm(result.w - reference), tolerance),
        at_most("E3", "l1-gap", "l1: duality gap of the IRLS limit / F(w)", "optimisation", GAP_RELATIVE,
                gaps[0] / result.objective[-1]),
    ], result


def _nonconvex_run(X, y, teacher, name: str, threshold: float, rng, sgd_epochs: int | None) -> dict:
    """IRLS for one penalty: its trace, stationarity, support against the truth and, when sgd_epochs is
    given, whether sampled-dropout SGD ends with the same support (keep rate ≥ SUPPORT_KEEP)."""
    penalty, lam = e3_penalty(name, threshold)
    run = irls(X, y, penalty, lam)
    support = irls_support(run.u)
    outcome = dict(run=run, stats=stationarity(X, y, run, penalty, lam),
                   wrong=not np.array_equal(support, teacher != 0), sgd_wrong=None)
    if sgd_epochs is not None:
        sgd = adaptive_dropout_sgd(X, y, penalty, lam, rng, epochs=sgd_epochs, **SGD)
        outcome["sgd_wrong"] = not np.array_equal(sgd.keep[-1] >= SUPPORT_KEEP, support)
    return outcome


def check_e3(profile: str, rng: np.random.Generator):
    derive_e3()  # raises unless sympy confirms the ridge step, the safeguard and the fixed-point equation
    size = E3_SIZES[profile]
    problems = size["seeds"] * len(size["regimes"])
    results, runs, monotone = [], [], []
    with threadpool_limits(1):
        for regime in size["regimes"]:
            n, d = REGIMES[regime]
            threshold = universal_threshold(d, problems)
            for seed in range(size["seeds"]):
                X, y, teacher = sparse_problem(rng, n, d)
                if regime == "n>d" and seed == 0:
                    l1_results, l1_run = _l1_checks(X, y, threshold)
                    results += l1_results
                    monotone.append((l1_run, n + d))
                for name in NONCONVEX:
                    sampled = name in size["sgd_penalties"] and regime in SGD_REGIMES
                    runs.append(_nonconvex_run(X, y, teacher, name, threshold, rng,
                                               size["sgd_epochs"] if sampled else None))
                    monotone.append((runs[-1]["run"], n + d))
    increase = max(np.max(np.diff(_interleaved(run))) / run.objective[0] for run, _ in monotone)
    operations = max(terms for _, terms in monotone)
    sampled = [r["sgd_wrong"] for r in runs if r["sgd_wrong"] is not None]
    regimes = " and ".join(f"(n, d) = {REGIMES[r]}" for r in size["regimes"])
    results += [
        at_most("E3", "monotone", "max over runs of the largest rise of the sequence F(w^k), J(w^(k+1), eta^k), "
                "... / F(w^0)", "optimisation", 0, increase, 4 * operations * EPS),
        close("E3", "unconverged", f"IRLS runs ({', '.join(NONCONVEX)}; {len(runs)} runs) not meeting the "
              "stopping rule", "optimisation", 0, sum(not r["run"].converged for r in runs), 0),
        close("E3", "stationarity", "support S: max_j |x_jᵀ(Xw − y)/||x_j|| + λ·Omega'(u_j)|/λ (tolerance: last "
              "IRLS step + rounding)", "optimisation", 0, max(r["stats"]["residual"] for r in runs),
              min(r["stats"]["bound"] for r in runs)),
        at_most("E3", "subgradient", "off the support: max_j |x_jᵀ(y − Xw)|/(||x_j||·λ·Omega'(0+)) (subgradient "
                "condition)", "optimisation", 1.0, max(r["stats"]["off_ratio"] for r in runs)),
        close("E3", "support", f"runs whose IRLS support differs from the true one ({regimes}, {ACTIVE} "
              "non-zeros)", "optimisation", 0, sum(r["wrong"] for r in runs), 0),
        close("E3", "sgd-support", f"n > d runs ({', '.join(size['sgd_penalties'])}; {len(sampled)}) whose "
              f"sampled-dropout SGD support (keep ≥ {SUPPORT_KEEP}) differs from IRLS's", "monte carlo", 0,
              sum(sampled), 0),
    ]
    return results


# ---------------------------------------------------------------------------------------------- E6

E6_SIZES = {
    "tiny": dict(n_train=300, hidden=(32,), dense_epochs=5, epochs=5, batch=128, step=5e-3),
    "quick": dict(n_train=None, hidden=(100, 100), dense_epochs=100, epochs=100, batch=128, step=5e-3),
    "full": dict(n_train=None, hidden=(100, 100), dense_epochs=200, epochs=300, batch=128, step=5e-3),
}
DENSITY_BOUND = 0.10  # "a few percent": at most 10 % of the weights non-zero
ERROR_MARGIN = 0.03  # "small accuracy cost": test error at most 3 percentage points above the dense baseline
BASELINE_BOUND = 0.10  # the dense baseline must be a working classifier
RESOLUTION = ERROR_MARGIN / 3  # the baseline's binomial standard error must resolve the margin (3 se)


def check_e6(profile: str, rng: np.random.Generator):
    """Every adaptive method must reach density ≤ DENSITY_BOUND and test error ≤ dense + ERROR_MARGIN; the
    claim is reproduced only if all of them do (a collective verdict)."""
    from dataclasses import replace

    from simulations import adaptive_mlp as mlp

    derive_e6()  # raises unless sympy confirms the prox step, the log-sum dual and the pruning rule
    size = E6_SIZES[profile]
    split = mlp.digits_split(rng)
    if size["n_train"] is not None:
        split = replace(split, x_train=split.x_train[: size["n_train"]], y_train=split.y_train[: size["n_train"]])
    common = dict(hidden=size["hidden"], batch=size["batch"], step=size["step"])
    dense_config = mlp.TrainConfig(epochs=size["dense_epochs"], **common)
    config = mlp.TrainConfig(epochs=size["epochs"], **common)
    with mlp.torch_threads(1):
        runs = mlp.train_methods(split, dense_config, config, rng)
    n_test = len(split.y_test)
    dense = float(runs["dense"]["test_error"])
    results = [
        at_most("E6", "dense-error", f"dense baseline: test error (n_test = {n_test}) ≤ {BASELINE_BOUND}",
                "statistic", BASELINE_BOUND, dense),
        at_most("E6", "dense-se", "dense baseline: binomial standard error sqrt(e(1 − e)/n_test) ≤ margin/3",
                "statistic", RESOLUTION, np.sqrt(dense * (1 - dense) / n_test)),
    ]
    for method in mlp.ADAPTIVE_METHODS:
        run = runs[method]
        label, key = method.replace("_", " "), method.replace("_", "-")
        results.append(at_most("E6", f"density-{key}", f"{label}: fraction of non-zero weights ≤ {DENSITY_BOUND}",
                               "statistic", DENSITY_BOUND, float(run["final_density"])))
        results.append(at_most("E6", f"error-{key}", f"{label}: test error ≤ dense + {ERROR_MARGIN}", "statistic",
                               dense + ERROR_MARGIN, float(run["test_error"])))
    return results
