"""Checks of claims P1–P4: randomly pruned two-layer networks on signal/noise patches.

Each `check_pK(profile, rng, backend="numpy", device="auto")` runs its experiment from
`simulations.random_pruning_experiments` with the seed it draws first from `rng` and returns CheckResults.
Statistics over seeds (the experiments' repetitions): one-sided t confidence limits at level LEVEL,
Bonferroni-corrected over the ρ values a record summarises; paired differences where two arms share a
seed's data, initialisation and mask draws. Proportions use the binomial standard error with the normal
quantile at false-failure rate 1e-6. Thresholds that define "small" (LOSS_LEVEL, ERROR_LEVEL) are part of
the claims' definitions, not tolerances.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import t as student_t

from simulations.random_pruning_experiments import (
    CROSSING_LEVEL,
    SETTINGS,
    SIZES,
    crossings,
    dynamics,
    experiment_seed,
    phase_grid,
    rho_sweep,
)
from sparsetheory.checks import FALSE_FAILURE_RATE, at_least, at_most, close, mc_tolerance, mc_z
from theory.random_pruning import derive_p1, derive_p2, derive_p3, derive_p4, no_signal_probability, refined_boundary

LEVEL = 1e-3  # one-sided level of each test over seeds
LOSS_LEVEL = 0.05  # "training loss → 0": below 7 % of its initial value ln 2
ERROR_LEVEL = 0.05  # "small test error"
BOOTSTRAP = 400


def confidence_limit(values, level: float, upper: bool = True) -> np.ndarray:
    """One-sided limit mean ± t_{1−level, S−1}·se over the last axis (S seeds)."""
    values = np.asarray(values, dtype=np.float64)
    count = values.shape[-1]
    se = values.std(axis=-1, ddof=1) / np.sqrt(count)
    return values.mean(axis=-1) + (1 if upper else -1) * student_t.isf(level, count - 1) * se


def _sympy_record(claim: str, derive) -> object:
    derive()  # raises unless every identity of the derivation holds
    return close(claim, "sympy", "sympy identities of the derivation that failed", "sympy", 0, 0, 0)


def check_p1(profile: str, rng, backend: str = "numpy", device: str = "auto"):
    sweep = rho_sweep(profile, experiment_seed(rng), "benign", backend, device)
    loss, error = sweep["loss"][:, -1], sweep["test_error"][:, -1]  # (setting, ρ, seed)
    level = LEVEL / loss[..., 0].size
    rho_max = float(sweep["rhos"][0].max())
    return [
        _sympy_record("P1", derive_p1),
        at_most("P1", "loss", f"final training loss, largest upper limit over rho ≤ {rho_max:g} and both settings "
                f"(kappa = {float(sweep['kappa']):g})", "statistic", LOSS_LEVEL, confidence_limit(loss, level).max()),
        at_most("P1", "error", f"test error, largest upper limit over rho ≤ {rho_max:g} and both settings",
                "statistic", ERROR_LEVEL, confidence_limit(error, level).max()),
    ]


def check_p2(profile: str, rng, backend: str = "numpy", device: str = "auto"):
    sweep = rho_sweep(profile, experiment_seed(rng), "boundary", backend, device)
    rhos = sweep["rhos"][0]
    error = sweep["test_error"][:, -1]
    change = error - error[:, :1]  # paired with ρ = 0 (same data, initialisation and mask draws)
    mild = (rhos > 0) & (rhos <= 0.5)
    results = [_sympy_record("P2", derive_p2)]
    for index, name in enumerate(SETTINGS):
        results.append(at_most("P2", f"{name}-mild", f"{name} masks: change of test error from rho = 0, largest "
                               f"upper limit over 0 < rho ≤ 0.5 (< 0: it falls)", "statistic", 0.0,
                               confidence_limit(change[index, mild], LEVEL / mild.sum()).max()))
    pooled = change[0, rhos > 0.5].mean(axis=0)
    results.append(at_least("P2", "random-rises", "random masks: change of test error from rho = 0, mean over rho > "
                            "0.5, lower limit (> 0: it rises)", "statistic", 0.0,
                            confidence_limit(pooled, LEVEL, upper=False)))
    results.append(close("P2", "baseline", "test error at rho = 0 (both settings share it)", "statistic",
                         error[0, 0].mean(), error[1, 0].mean(), 0.0))
    return results


def check_p3(profile: str, rng, backend: str = "numpy", device: str = "auto"):
    run = dynamics(profile, experiment_seed(rng), backend, device)
    rho, width, seeds = float(run["rhos"][-1]), int(run["width"]), run["signal_neurons"].shape[-1]
    no_signal = run["signal_neurons"][-1] == 0
    expected = float(no_signal_probability(rho, width))
    results = [_sympy_record("P3", derive_p3),
               close("P3", "no-signal", f"fraction of networks in which no neuron keeps the signal (rho = {rho:g}, "
                     f"m = {width}) vs rho^(2m)", "monte carlo", expected, no_signal.mean(),
                     mc_tolerance(np.sqrt(expected * (1 - expected) / seeds))),
               at_most("P3", "loss", "final training loss, upper limit over seeds", "statistic", LOSS_LEVEL,
                       confidence_limit(run["loss"][-1, -1], LEVEL))]
    noise_growth = (run["noise"][-1, -1] - run["noise"][0, -1]).mean(axis=(-2, -1))
    results.append(at_least("P3", "noise-growth", "growth of the mean noise coefficient, lower limit over seeds",
                            "statistic", 0.0, confidence_limit(noise_growth, LEVEL, upper=False)))
    if no_signal.any():
        signal = run["signal"][:, -1, no_signal]
        test = run["test_error"][-1, -1, no_signal]
        n_test = SIZES[profile]["n_test"]
        results.append(close("P3", "signal-frozen", "networks without a signal neuron: largest |signal coefficient| "
                             "over training", "limit", 0.0, np.abs(signal).max(), 0.0))
        results.append(close("P3", "half", "networks without a signal neuron: max |test error − 1/2|/se",
                             "monte carlo", 0.0, np.max(np.abs(test - 0.5)) / np.sqrt(0.25 / n_test),
                             mc_z(FALSE_FAILURE_RATE / test.size)))
    return results


def _slope(rhos, values) -> float:
    """Least-squares slope of ln(values) against ln(1 − ρ) over the finite values (NaN below two)."""
    usable = np.isfinite(values)
    if usable.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(1 - rhos[usable]), np.log(values[usable]), 1)[0])


def boundary_exponent(error, kappas, rhos) -> float:
    """Exponent a of the empirical boundary κ_c(ρ) ∝ (1 − ρ)^a ([Y]'s scaling: a = 1); error (K, R, S)."""
    return _slope(rhos, crossings(error.mean(axis=-1).T, kappas))


def check_p4(profile: str, rng, backend: str = "numpy", device: str = "auto"):
    rng = np.random.default_rng(rng)
    grid = phase_grid(profile, experiment_seed(rng), backend, device)
    kappas, rhos, error = grid["kappas"], grid["rhos"], grid["test_error"]  # error: (setting, K, R, S)
    seeds = error.shape[-1]
    results = [_sympy_record("P4", derive_p4)]
    for index, name in enumerate(SETTINGS):
        empirical = crossings(error[index].mean(axis=-1).T, kappas)
        exponent = _slope(rhos, empirical)
        resamples = rng.integers(seeds, size=(BOOTSTRAP, seeds))
        replicas = np.array([boundary_exponent(error[index][..., sample], kappas, rhos) for sample in resamples])
        tolerance = mc_tolerance(np.nanstd(replicas, ddof=1)) if np.isfinite(replicas).sum() > 1 else 0.0
        refined = np.where(np.isfinite(empirical), refined_boundary(rhos, int(grid["m"]), 1.0, name == "preserving"),
                           np.nan)
        results.append(close("P4", f"{name}-exponent", f"{name} masks: exponent a of the boundary kappa_c = C(1 − rho)^a "
                             f"(test error {CROSSING_LEVEL:g}) vs [Y]'s a = 1; bootstrap se over seeds", "statistic",
                             1.0, exponent, tolerance))
        results.append(close("P4", f"{name}-refined", f"{name} masks: the same exponent vs the refined boundary "
                             "(decorrelated noise outputs) over the same rho", "statistic", _slope(rhos, refined),
                             exponent, tolerance))
    return results
