# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 2 — adaptive dropout is reweighted regularisation (claims E1–E6)
#
# * **E1** the η-trick: many penalties are Ω(w) = ½·min_η [w²/η + f(η)] (ℓp, log-sum, SCAD, MCP, variational
#   dropout, hard concrete, …), with Ω′(w) = w/η̂(w).
# * **E2** dropout with keep rate α = η/(η + λ) (inverse scaling) is Tikhonov regularisation with weights
#   λ||x_j||²/η_j: a penalty in η-trick form is dropout with an adaptive keep rate.
# * **E3** alternating the ridge step with η ← η̂(w) is IRLS: it reaches the lasso for ℓ1, stationary points
#   for non-convex penalties.
# * **E4** a keep-rate rule non-decreasing in |w| gives a subquadratic penalty (u ↦ Ω(√u) concave).
# * **E5** variational dropout resembles log-sum; hard concrete resembles MCP/SCAD.
# * **E6** (not reproduced here) every adaptive method sparsifies an MLP at small accuracy cost.

# %%
import os
import tempfile

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
# ## The derivation of E2 (what `sparsetheory derive E2` prints)

# %%
print(resolve(CLAIMS_BY_ID["E2"].derive)().pretty())

# %% [markdown]
# ## Simulation: dropout at the adaptive keep rate against the Tikhonov term
#
# With keep rate α_j = η̂(w_j)/(η̂(w_j) + λ) from `theory.penalties.get_penalty`, the dropout loss
# E (1/n)||y − X((m/α)⊙w)||² equals (1/n)||y − Xw||² + (λ/n)Σ_j ||x_j||²w_j²/η̂_j.

# %%
from simulations.linear import monte_carlo_mask_loss
from theory.penalties import get_penalty

n_samples = {"tiny": 300, "small": 20000}[SIZE]
rng = np.random.default_rng(0)
X = rng.standard_normal((40, 6))
w = np.array([2.0, -1.0, 0.5, 0.2, -0.1, 1.5])
y = X @ w + 0.5 * rng.standard_normal(40)
lam = 0.3
for name in ("lp", "logsum", "mcp"):
    penalty = get_penalty(name)
    alpha = penalty.keep_rate(w, lam)
    eta = penalty.eta_hat(w)
    tikhonov = np.mean((y - X @ w) ** 2) + lam * np.sum(np.sum(X**2, axis=0) * w**2 / eta) / X.shape[0]
    mean, se = monte_carlo_mask_loss(X, y, w, alpha, n_samples, rng, rescale=True)
    print(f"{name:7s} keep rates {np.round(alpha, 3)}  Tikhonov {tikhonov:.4f}  dropout MC {mean:.4f} ± {se:.4f}")

# %%
grid = np.linspace(-3, 3, {"tiny": 61, "small": 401}[SIZE])
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
for name, params in (("lp", {}), ("logsum", {"eps": 0.5}), ("scad", {}), ("mcp", {})):
    penalty = get_penalty(name, **params)
    left.plot(grid, penalty.omega(grid), label=name)
    right.plot(grid, penalty.keep_rate(grid, 0.5), label=name)
left.set_title("Ω(w)")
right.set_title("keep rate α(w), λ = 0.5")
left.legend(fontsize=7)
for ax in (left, right):
    ax.set_xlabel("w")
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson02_penalties.png"), dpi=100)

# %% [markdown]
# ## Exercises

# %%
print(question("E.1"))
d = data("E.1")
eta = np.abs(d["w"]) * (np.abs(d["w"]) + d["eps"])
answer = eta / (eta + d["lam"])  # your answer here (this is one solution)
assert check("E.1", answer)

# %%
from scipy.optimize import minimize_scalar

print(question("E.2"))
d = data("E.2")
scale = d["a"] * d["lam"]


def objective(log_eta, w):
    eta = np.exp(log_eta)
    return 0.5 * (w**2 / eta + scale * eta / (eta + scale))


answer = np.array([min(minimize_scalar(objective, bounds=(-20, 40), args=(w,), method="bounded",
                                       options={"xatol": 1e-10}).fun, scale / 2)  # η → ∞ gives aλ/2
                   for w in d["w"]])  # your answer here (this is one solution)
assert check("E.2", answer)
