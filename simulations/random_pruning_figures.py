"""Figure simulations of claims P1–P4: `f(seed, profile, backend="numpy", device="auto") -> dict of arrays`.

Each runs the experiment of its claim with the seed that the claim's check draws first from its stream
`claim_rng(seed, claim)`, so the figure of a root seed shows the run its check verified (and, in one process,
reuses it: the experiments are memoised).
"""

from __future__ import annotations

import numpy as np

from simulations.random_pruning_checks import CROSSING_LEVEL, _experiment_seed, crossings
from simulations.random_pruning_experiments import dynamics, phase_grid, rho_sweep
from sparsetheory.runner import claim_rng


def rho_curves(seed: int, profile: str, backend: str = "numpy", device: str = "auto") -> dict[str, np.ndarray]:
    """P2's experiment: final training loss and test error (setting, ρ, seed) and the signal neurons."""
    run = rho_sweep(profile, _experiment_seed(claim_rng(seed, "P2")), "boundary", backend, device)
    return {"rhos": run["rhos"][0], "loss": run["loss"][:, -1], "test_error": run["test_error"][:, -1],
            "signal_neurons": run["signal_neurons"], "kappa": run["kappa"]}


def coefficient_dynamics(seed: int, profile: str, backend: str = "numpy", device: str = "auto"
                         ) -> dict[str, np.ndarray]:
    """P3's experiment: signal and noise coefficients, loss and test error through training at a mild and a
    large ρ (fully random masks)."""
    run = dynamics(profile, _experiment_seed(claim_rng(seed, "P3")), backend, device)
    keys = ("steps", "rhos", "loss", "test_error", "signal", "noise", "signal_neurons", "width", "dimension", "n")
    return {key: run[key] for key in keys}


def phase_diagram(seed: int, profile: str, backend: str = "numpy", device: str = "auto") -> dict[str, np.ndarray]:
    """P4's experiment: mean test error and training loss over (setting, κ, ρ) and the empirical boundary
    (the κ where the mean test error crosses CROSSING_LEVEL) per setting and ρ."""
    grid = phase_grid(profile, _experiment_seed(np.random.default_rng(claim_rng(seed, "P4"))), backend, device)
    error = grid["test_error"].mean(axis=-1)
    return {"kappas": grid["kappas"], "rhos": grid["rhos"], "test_error": error,
            "loss": grid["loss"].mean(axis=-1), "boundary": crossings(np.swapaxes(error, -1, -2), grid["kappas"]),
            "level": np.array(CROSSING_LEVEL), "n": grid["n"], "d": grid["d"], "m": grid["m"]}
