# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 6 — two-layer networks randomly pruned at initialisation (claims P1–P4)
#
# Data: a label y = ±1 and two patches x = [y·μ, ξ], noise ξ ~ N(0, σ_p²(I − μμᵀ/‖μ‖²)) orthogonal to the
# coordinate signal μ = ‖μ‖·e_1. Network: F_j(x) = (1/m)·Σ_r Σ_patches ReLU(⟨w_{j,r} ⊙ M_{j,r}, x^(p)⟩),
# f = F_{+1} − F_{−1}, masks M with entries Bernoulli(1 − ρ) fixed at initialisation, full-batch gradient
# descent on the logistic loss. κ = n‖μ‖⁴/(σ_p⁴ d) is the signal-to-noise statistic.
#
# * **P1** below a threshold on ρ the training loss → 0 and the test error is small: a masked neuron sees
#   noise of energy (1 − ρ)σ_p²(d − 1), so the condition becomes κ ≥ C(1 − ρ).
# * **P2** the bound improves as ρ grows mildly; the simulated test error follows when the mask spares the
#   signal's coordinates, not under a fully random mask (it removes the signal from a fraction ρ of neurons).
# * **P3** at large ρ the training loss still → 0 by memorising noise; a network in which no neuron keeps
#   the signal (probability ρ^{2m}) has test error ≈ 1/2.
# * **P4** the phase diagram over (ρ, κ) against the boundary κ = C(1 − ρ) and its refinement.

# %%
import os
import tempfile
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np

from sparsetheory.exercises import check, data, question
from sparsetheory.registry import CLAIMS_BY_ID, resolve

SIZE = os.environ.get("SPARSETHEORY_LESSON_SIZE", "small")  # "tiny" in the test suite
if SIZE not in ("tiny", "small"):
    raise ValueError(f"SPARSETHEORY_LESSON_SIZE must be tiny or small, got {SIZE!r}")
OUTPUT = os.environ.get("LESSON_OUTPUT") or tempfile.mkdtemp(prefix="sparsetheory_lesson_")
os.makedirs(OUTPUT, exist_ok=True)

# %% [markdown]
# ## The derivation of P1 (what `sparsetheory derive P1` prints)

# %%
print(resolve(CLAIMS_BY_ID["P1"].derive)().pretty())

# %% [markdown]
# ## Simulation: a mild and a large pruning fraction, both mask settings
#
# `simulations.pruned_two_layer.sweep` trains a batch of networks (one per seed) at once. The settings come
# from the claims' experiments (`simulations.random_pruning_experiments.experiment_settings`, κ = 8): the
# step size grows as 1/(1 − ρ) so the noise coefficients grow at the same pace at every ρ. Every run uses
# the same seed: the same data and initial weights, and masks that differ only where the setting differs.
# Signal coefficient of a neuron: s_j·⟨w ⊙ M, μ⟩; noise coefficient: the mean of ⟨w ⊙ M, ξ_i⟩ over the
# examples of its class.

# %%
from simulations.pruned_two_layer import sweep
from simulations.random_pruning_experiments import KAPPAS, experiment_settings
from theory.random_pruning import no_signal_probability

profile = {"tiny": "tiny", "small": "quick"}[SIZE]
n_seeds = {"tiny": 6, "small": 20}[SIZE]
rhos = {"tiny": (0.5, 0.95), "small": (0.5, 0.96)}[SIZE]
runs = {}
for setting in ("random", "preserving"):
    for rho in rhos:
        settings = replace(experiment_settings(profile, KAPPAS["benign"], prefix="p3_", keep=1 - rho),
                           preserve_signal=setting == "preserving")
        runs[setting, rho] = sweep(np.array([rho]), n_seeds, settings, rng=0)
print(f"n = {settings.n}, d = {settings.d}, m = {settings.m}, {settings.steps} steps, {n_seeds} networks per run")
print("setting     rho   train loss  test error  signal coef  noise coef  no signal neuron (random: vs rho^2m)")
for (setting, rho), run in runs.items():
    no_signal = run["signal_neurons"][0] == 0
    expected = f" ({float(no_signal_probability(rho, settings.m)):.2f})" if setting == "random" else ""
    print(f"{setting:10s} {rho:5.2f}  {run['loss'][-1].mean():10.4f}  {run['test_error'][-1].mean():10.3f}  "
          f"{run['signal'][-1].mean():11.3f}  {run['noise'][-1].mean():10.3f}  {no_signal.mean():.2f}{expected}")
    if no_signal.any():
        print(f"{'':18s}networks without a signal neuron: test error {run['test_error'][-1, 0, no_signal].mean():.3f}, "
              f"largest |signal coefficient| {np.abs(run['signal'][:, 0, no_signal]).max():.1e}")

# %% [markdown]
# Every network fits its training set. At the large ρ the fully random masks leave some networks without a
# neuron that keeps the signal: their signal coefficients stay 0 and their test error is ≈ 1/2, which lifts
# the mean test error; the signal-preserving masks keep the signal in every neuron and generalise.

# %%
fig, axes = plt.subplots(2, 2, figsize=(8, 5.5), sharex=True)
panels = (("loss", "training loss"), ("test_error", "test error"), ("signal", "mean signal coefficient"),
          ("noise", "mean noise coefficient"))
for ax, (key, label) in zip(axes.flat, panels):
    for (setting, rho), run in runs.items():
        values = run[key].reshape(len(run["steps"]), -1).mean(axis=1)
        ax.plot(run["steps"] + 1, values, "o-" if setting == "random" else "s--", ms=3, label=f"{setting}, ρ = {rho:g}")
    ax.set_xscale("log")
    ax.set_ylabel(label)
for ax in axes[1]:
    ax.set_xlabel("step + 1")
axes[0, 0].legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson06_random_pruning.png"), dpi=100)

# %% [markdown]
# ## Exercises

# %%
print(question("P.1"))
d = data("P.1")
answer = d["sigma_p"] * (d["C"] * (1 - d["rho"]) * d["d"] / d["n"]) ** 0.25  # your answer here (this is one solution)
assert check("P.1", answer)

# %%
print(question("P.2"))
d = data("P.2")
keep, m = 1 - d["rho"], d["width"]
answer = (m * keep + m * (m - 1) * keep**2) / m**2  # your answer here (this is one solution)
assert check("P.2", answer)

# %%
print(question("P.3"))
d = data("P.3")
kept = np.random.default_rng(1).random((d["n_samples"], 2 * d["width"])) < 1 - d["rho"]
answer = np.mean(~kept.any(axis=1))  # your answer here (this is one solution)
assert check("P.3", answer)
