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
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from simulations.pruned_two_layer import TRACES, SweepSettings, sweep
from theory.random_pruning import signal_norm_for

SETTINGS = ("random", "preserving")
KAPPAS = {"benign": 8.0, "boundary": 0.5}
_COMMON = dict(sigma_p=1.0, sigma0=0.01, lr_scale=0.5)
SIZES = {
    "tiny": dict(n=20, d=200, m=6, seeds=4, steps=60, records=4, n_test=400, p1_rhos=(0.0, 0.3), rhos=(0.0, 0.3, 0.6),
                 grid_rhos=(0.0, 0.5, 0.8), grid_kappas=(0.1, 1.0, 10.0), grid_seeds=3,
                 p3_n=10, p3_d=600, p3_m=4, p3_rhos=(0.5, 0.9), p3_seeds=6, p3_steps=60),
    "quick": dict(n=40, d=400, m=10, seeds=10, steps=150, records=6, n_test=1000, p1_rhos=(0.0, 0.25, 0.5),
                  rhos=(0.0, 0.1, 0.25, 0.5, 0.75, 0.9), grid_rhos=(0.0, 0.3, 0.6, 0.85),
                  grid_kappas=(0.03, 0.12, 0.5, 2.0, 8.0), grid_seeds=10,
                  p3_n=20, p3_d=2000, p3_m=8, p3_rhos=(0.5, 0.96), p3_seeds=20, p3_steps=200),
    "full": dict(n=50, d=1000, m=20, seeds=20, steps=400, records=10, n_test=5000, p1_rhos=(0.0, 0.2, 0.4, 0.6),
                 rhos=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
                 grid_rhos=(0.0, 0.2, 0.4, 0.6, 0.75, 0.85, 0.95), grid_kappas=tuple(np.geomspace(0.01, 20, 10)),
                 grid_seeds=20, p3_n=50, p3_d=10000, p3_m=10, p3_rhos=(0.5, 0.99), p3_seeds=30, p3_steps=600),
}


def experiment_settings(profile: str, kappa: float, *, prefix: str = "", keep: float = 1.0) -> SweepSettings:
    """The SweepSettings of `profile` at statistic κ; `prefix` "p3_" selects P3's sizes where they differ.

    The step size η = lr_scale·n·m/(keep·σ_p² d) makes a noise coefficient grow by about lr_scale/2 per
    step whatever the sizes and the density `keep` (the masked noise energy is keep·σ_p² d).
    """
    size = SIZES[profile]
    n, d, m, steps = (size.get(prefix + key, size[key]) for key in ("n", "d", "m", "steps"))
    sigma_p = _COMMON["sigma_p"]
    return SweepSettings(n=n, d=d, m=m, mu_norm=float(signal_norm_for(kappa, n, d, sigma_p)), sigma_p=sigma_p,
                         sigma0=_COMMON["sigma0"], lr=_COMMON["lr_scale"] * n * m / (keep * sigma_p**2 * d),
                         steps=steps, records=size["records"], n_test=size["n_test"])


def _both_settings(rhos, n_seeds: int, settings: SweepSettings, seed: int, backend: str, device: str) -> dict:
    runs = [sweep(rhos, n_seeds, replace(settings, preserve_signal=name == "preserving"), seed, backend, device)
            for name in SETTINGS]
    return {key: np.stack([run[key] for run in runs]) for key in runs[0]}


@lru_cache(maxsize=8)
def rho_sweep(profile: str, seed: int, kappa: str, backend: str = "numpy", device: str = "auto") -> dict:
    """Both settings at κ = KAPPAS[kappa] over the profile's ρ grid: the mild ρ of P1 ("benign") or the
    wide grid of P2 ("boundary")."""
    size = SIZES[profile]
    rhos = np.array(size["p1_rhos" if kappa == "benign" else "rhos"])
    result = _both_settings(rhos, size["seeds"], experiment_settings(profile, KAPPAS[kappa]), seed, backend, device)
    return result | {"kappa": np.array(KAPPAS[kappa])}


@lru_cache(maxsize=4)
def dynamics(profile: str, seed: int, backend: str = "numpy", device: str = "auto") -> dict:
    """Fully random masks at a mild and a large ρ (P3's sizes, κ benign), each with its own step size;
    arrays with a leading axis over the two fractions."""
    size = SIZES[profile]
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
    size = SIZES[profile]
    kappas = np.array(size["grid_kappas"])
    final = {"loss": [], "test_error": [], "train_error": []}
    for name in SETTINGS:
        runs = [sweep(np.array(size["grid_rhos"]), size["grid_seeds"],
                      replace(experiment_settings(profile, kappa), preserve_signal=name == "preserving"), seed,
                      backend, device) for kappa in kappas]
        for key, values in final.items():
            values.append(np.stack([run[key][-1] for run in runs]))
    return {key: np.stack(values) for key, values in final.items()} | {
        "kappas": kappas, "rhos": np.array(size["grid_rhos"]), "n": np.array(SIZES[profile]["n"]),
        "d": np.array(SIZES[profile]["d"]), "m": np.array(SIZES[profile]["m"])}
