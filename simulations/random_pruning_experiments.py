"""The experiments of claims P1–P4, shared by their checks and figures (memoised in the process).

Every experiment trains its whole grid of networks as batched sweeps (`simulations.pruned_two_layer.sweep`),
once per setting — "random" (fully random masks) and "preserving" (masks spare the signal's coordinates)
— and per signal-to-noise statistic κ = n‖μ‖⁴/(σ_p⁴ d). Both settings and all κ of an experiment reuse
one seed, hence the same noise, initial weights and mask draws: they differ only in what they vary.
The signal is the coordinate signal ‖μ‖·e_1, σ_p = 1, σ₀ = 0.01, step size η = lr_scale·n·m/(σ_p² d).

  rho_sweep(profile, seed, kappa)   ρ grid × seeds at one κ: "benign" (P1) or "boundary" (P2).
  dynamics(profile, seed)           a mild and a large ρ, fully random masks, in a wide layer (P3).
  phase_grid(profile, seed)         κ grid × ρ grid × seeds (P4).

Each returns a dict of NumPy arrays with the setting axis first ("random", "preserving"), then κ where
it varies, then the traces of `sweep` (time axis, then ρ, seed, …).

The figure simulations (`rho_curves`, `coefficient_dynamics`, `phase_diagram`) live here too, so a figure's
cache key, which hashes its simulation's module, changes with the sizes above. Each runs its claim's
experiment with the seed the claim's check draws first from `claim_rng(seed, claim)`: the figure of a root
seed shows the run its check verified (and, in one process, reuses it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from simulations.pruned_two_layer import TRACES, SweepSettings, sweep
from sparsetheory.runner import claim_rng
from theory.random_pruning import signal_norm_for

SETTINGS = ("random", "preserving")
CROSSING_LEVEL = 0.1  # the phase boundary: where the mean test error crosses this level
KAPPAS = {"benign": 8.0, "boundary": 0.5}
_COMMON = dict(sigma_p=1.0, sigma0=0.01, lr_scale=0.5)
SIZES = {
    "tiny": dict(n=30, d=300, m=16, seeds=8, steps=150, records=4, n_test=500, p1_rhos=(0.0, 0.3),
                 rhos=(0.0, 0.25, 0.5, 0.8), grid_rhos=(0.0, 0.5, 0.8), grid_kappas=(0.05, 0.3, 2.0, 12.0), grid_seeds=6,
                 p3_n=10, p3_d=1000, p3_m=12, p3_rhos=(0.5, 0.95), p3_seeds=10, p3_steps=200),
    "quick": dict(n=40, d=400, m=20, seeds=10, steps=150, records=6, n_test=1000, p1_rhos=(0.0, 0.25, 0.5),
                  rhos=(0.0, 0.1, 0.25, 0.5, 0.75, 0.9), grid_rhos=(0.0, 0.3, 0.6, 0.85),
                  grid_kappas=(0.03, 0.12, 0.5, 2.0, 8.0), grid_seeds=10,
                  p3_n=20, p3_d=2000, p3_m=12, p3_rhos=(0.5, 0.96), p3_seeds=20, p3_steps=200),
    "full": dict(n=50, d=1000, m=20, seeds=20, steps=400, records=10, n_test=5000, p1_rhos=(0.0, 0.2, 0.4, 0.6),
                 rhos=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
                 grid_rhos=(0.0, 0.2, 0.4, 0.6, 0.75, 0.85, 0.95), grid_kappas=tuple(np.geomspace(0.01, 20, 10)),
                 grid_seeds=20, p3_n=50, p3_d=10000, p3_m=16, p3_rhos=(0.5, 0.99), p3_seeds=30, p3_steps=600),
}


def _sizes(profile: str) -> dict:
    if profile not in SIZES:
        raise ValueError(f"profile must be one of {', '.join(SIZES)}, got {profile!r}")
    return SIZES[profile]


def experiment_settings(profile: str, kappa: float, *, prefix: str = "", keep: float = 1.0) -> SweepSettings:
    """The SweepSettings of `profile` at statistic κ; `prefix` "p3_" selects P3's sizes where they differ.

    The step size η = lr_scale·n·m/(keep·σ_p² d) makes a noise coefficient grow by about lr_scale/2 per
    step whatever the sizes and the density `keep` (the masked noise energy is keep·σ_p² d).
    """
    size = _sizes(profile)
    n, d, m, steps = (size.get(prefix + key, size[key]) for key in ("n", "d", "m", "steps"))
    sigma_p = _COMMON["sigma_p"]
    return SweepSettings(n=n, d=d, m=m, mu_norm=float(signal_norm_for(kappa, n, d, sigma_p)), sigma_p=sigma_p,
                         sigma0=_COMMON["sigma0"], lr=_COMMON["lr_scale"] * n * m / (keep * sigma_p**2 * d),
                         steps=steps, records=size["records"], n_test=size["n_test"])


def experiment_seed(rng) -> int:
    """The seed of a claim's experiment: the first draw from the claim's stream."""
    return int(np.random.default_rng(rng).integers(2**32))


def _both_settings(rhos, n_seeds: int, settings: SweepSettings, seed: int, backend: str, device: str) -> dict:
    runs = [sweep(rhos, n_seeds, replace(settings, preserve_signal=name == "preserving"), seed, backend, device)
            for name in SETTINGS]
    return {key: np.stack([run[key] for run in runs]) for key in runs[0]}


@lru_cache(maxsize=8)
def rho_sweep(profile: str, seed: int, kappa: str, backend: str = "numpy", device: str = "auto") -> dict:
    """Both settings at κ = KAPPAS[kappa] over the profile's ρ grid: the mild ρ of P1 ("benign") or the
    wide grid of P2 ("boundary")."""
    size = _sizes(profile)
    if kappa not in KAPPAS:
        raise ValueError(f"kappa must be one of {', '.join(KAPPAS)}, got {kappa!r}")
    rhos = np.array(size["p1_rhos" if kappa == "benign" else "rhos"])
    result = _both_settings(rhos, size["seeds"], experiment_settings(profile, KAPPAS[kappa]), seed, backend, device)
    return result | {"kappa": np.array(KAPPAS[kappa])}


@lru_cache(maxsize=4)
def dynamics(profile: str, seed: int, backend: str = "numpy", device: str = "auto") -> dict:
    """Fully random masks at a mild and a large ρ (P3's sizes, κ benign), each with its own step size;
    arrays with a leading axis over the two fractions."""
    size = _sizes(profile)
    runs = [sweep(np.array([rho]), size["p3_seeds"],
                  experiment_settings(profile, KAPPAS["benign"], prefix="p3_", keep=1 - rho), seed, backend, device)
            for rho in size["p3_rhos"]]
    result = {key: np.concatenate([run[key] for run in runs], axis=1 if key in TRACES else 0)
              for key in runs[0] if key != "steps"}
    return result | {"steps": runs[0]["steps"], "kappa": np.array(KAPPAS["benign"]), "width": np.array(size["p3_m"]),
                     "dimension": np.array(size["p3_d"]), "n": np.array(size["p3_n"])}


@lru_cache(maxsize=4)
def phase_grid(profile: str, seed: int, backend: str = "numpy", device: str = "auto") -> dict:
    """Final training loss and test error over κ × ρ × seeds, both settings: arrays (2, K, R, S)."""
    size = _sizes(profile)
    kappas = np.array(size["grid_kappas"])
    final = {"loss": [], "test_error": [], "train_error": []}
    for name in SETTINGS:
        runs = [sweep(np.array(size["grid_rhos"]), size["grid_seeds"],
                      replace(experiment_settings(profile, kappa), preserve_signal=name == "preserving"), seed,
                      backend, device) for kappa in kappas]
        for key, values in final.items():
            values.append(np.stack([run[key][-1] for run in runs]))
    return {key: np.stack(values) for key, values in final.items()} | {
        "kappas": kappas, "rhos": np.array(size["grid_rhos"]), "n": np.array(size["n"]),
        "d": np.array(size["d"]), "m": np.array(size["m"])}


def crossings(mean_error, kappas, level: float = CROSSING_LEVEL) -> np.ndarray:
    """κ where a test-error curve (last axis over increasing κ) first falls to `level`, by linear
    interpolation in ln κ; NaN where the curve starts below the level or never reaches it."""
    mean_error = np.asarray(mean_error, dtype=np.float64)
    below = mean_error <= level
    first = np.argmax(below, axis=-1)
    valid = below.any(axis=-1) & (first > 0)
    upper = np.take_along_axis(mean_error, np.maximum(first - 1, 0)[..., None], axis=-1)[..., 0]
    lower = np.take_along_axis(mean_error, first[..., None], axis=-1)[..., 0]
    logs = np.log(kappas)
    step = np.where(valid, (upper - level) / np.where(upper > lower, upper - lower, 1.0), np.nan)
    return np.exp(logs[np.maximum(first - 1, 0)] + step * (logs[first] - logs[np.maximum(first - 1, 0)]))


# ---- figure simulations: f(seed, profile, backend, device) -> dict of arrays (registry `simulate`) ----


def rho_curves(seed: int, profile: str, backend: str = "numpy", device: str = "auto") -> dict[str, np.ndarray]:
    """P2's experiment: final training loss and test error (setting, ρ, seed) and the signal neurons."""
    run = rho_sweep(profile, experiment_seed(claim_rng(seed, "P2")), "boundary", backend, device)
    return {"rhos": run["rhos"][0], "loss": run["loss"][:, -1], "test_error": run["test_error"][:, -1],
            "signal_neurons": run["signal_neurons"], "kappa": run["kappa"]}


def coefficient_dynamics(seed: int, profile: str, backend: str = "numpy", device: str = "auto"
                         ) -> dict[str, np.ndarray]:
    """P3's experiment: signal and noise coefficients, loss and test error through training at a mild and a
    large ρ (fully random masks)."""
    run = dynamics(profile, experiment_seed(claim_rng(seed, "P3")), backend, device)
    keys = ("steps", "rhos", "loss", "test_error", "signal", "noise", "signal_neurons", "width", "dimension", "n")
    return {key: run[key] for key in keys}


def phase_diagram(seed: int, profile: str, backend: str = "numpy", device: str = "auto") -> dict[str, np.ndarray]:
    """P4's experiment: mean test error and training loss over (setting, κ, ρ) and the empirical boundary
    (the κ where the mean test error crosses CROSSING_LEVEL) per setting and ρ."""
    grid = phase_grid(profile, experiment_seed(np.random.default_rng(claim_rng(seed, "P4"))), backend, device)
    error = grid["test_error"].mean(axis=-1)
    return {"kappas": grid["kappas"], "rhos": grid["rhos"], "test_error": error,
            "loss": grid["loss"].mean(axis=-1), "boundary": crossings(np.swapaxes(error, -1, -2), grid["kappas"]),
            "level": np.array(CROSSING_LEVEL), "n": grid["n"], "d": grid["d"], "m": grid["m"]}
