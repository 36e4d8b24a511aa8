# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 1 — linear models: dropout is L2, stochastic masks are L1 (claims M1–M5)
#
# Take least squares L(w) = (1/n)||y − Xw||² and multiply the weights by independent masks
# m_j ~ Bernoulli(p_j).
#
# * **M1** (inverted dropout, masks rescaled by 1/p): E L((m/p)⊙w) = L(w) + (1/n)Σ_j ((1−p_j)/p_j)||x_j||²w_j²,
#   a *data-adaptive L2 penalty*.
# * **M2** (stochastic masks, no rescaling): E L(m⊙w) = L(p⊙w) + (1/n)Σ_j p_j(1−p_j)w_j²||x_j||²; in θ = p⊙w the
#   penalty is Σ_j c_j|θ_j| − …, a *weighted L1 penalty* with c_j = ||x_j||²|w_j|.
# * **M3** E L(m⊙w) is affine in each p_j, so optimised keep probabilities are binary.
# * **M4** the keep gradient; for XᵀX = nI weight j is kept iff w_j a_j > w_j²/2 with a = Xᵀy/n.
# * **M5** minimising the dropout objective shrinks (a generalised ridge), the mask objective selects.

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
# ## The derivation of M2 (what `sparsetheory derive M2` prints)

# %%
print(resolve(CLAIMS_BY_ID["M2"].derive)().pretty())

# %% [markdown]
# ## Simulation: the exact expectation against Monte Carlo
#
# `theory.masks.expected_mask_loss` is the closed form of M2, `theory.dropout.expected_dropout_loss` that of
# M1; `simulations.linear.monte_carlo_mask_loss` samples masks. We sweep a common keep rate p.

# %%
from simulations.linear import monte_carlo_mask_loss
from theory.dropout import expected_dropout_loss
from theory.masks import expected_mask_loss

n_samples = {"tiny": 200, "small": 5000}[SIZE]
n_grid = {"tiny": 5, "small": 15}[SIZE]
rng = np.random.default_rng(0)
X = rng.standard_normal((30, 5))
w = rng.standard_normal(5)
y = X @ w + 0.3 * rng.standard_normal(30)
keeps = np.linspace(0.1, 0.9, n_grid)
exact_mask = np.array([expected_mask_loss(X, y, w, p) for p in keeps])
exact_dropout = np.array([expected_dropout_loss(X, y, w, p) for p in keeps])
mc_mask = np.array([monte_carlo_mask_loss(X, y, w, p, n_samples, rng) for p in keeps])
mc_dropout = np.array([monte_carlo_mask_loss(X, y, w, p, n_samples, rng, rescale=True) for p in keeps])
z = np.max(np.abs(mc_mask[:, 0] - exact_mask) / mc_mask[:, 1])
print(f"largest standardised error of the mask Monte Carlo: {z:.2f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(keeps, exact_mask, label="masks: exact (M2)")
ax.errorbar(keeps, mc_mask[:, 0], yerr=2 * mc_mask[:, 1], fmt="o", ms=3, label="masks: Monte Carlo ± 2 se")
ax.plot(keeps, exact_dropout, label="dropout: exact (M1)")
ax.errorbar(keeps, mc_dropout[:, 0], yerr=2 * mc_dropout[:, 1], fmt="s", ms=3, label="dropout: Monte Carlo ± 2 se")
ax.set_xlabel("keep rate p")
ax.set_ylabel("expected loss")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson01_mask_loss.png"), dpi=100)

# %% [markdown]
# ## Exercises
# Each exercise's inputs come from `data(id)`; replace the solution cell with your own and run `check`.

# %%
print(question("M.1"))
d = data("M.1")
n = d["X"].shape[0]
answer = np.sum(d["keep"] * (1 - d["keep"]) * d["w"] ** 2 * np.sum(d["X"] ** 2, axis=0)) / n  # your answer here (this is one solution)
assert check("M.1", answer)

# %%
print(question("M.2"))
d = data("M.2")
masks = np.random.default_rng(1).random((d["n_samples"], len(d["w"]))) < d["keep"]
losses = np.mean((d["y"] - (masks * d["w"]) @ d["X"].T) ** 2, axis=1)
answer = losses.mean()  # your answer here (this is one solution)
assert check("M.2", answer)

# %%
print(question("M.3"))
d = data("M.3")
answer = d["w"] * d["alignment"] > d["w"] ** 2 / 2  # your answer here (this is one solution)
assert check("M.3", answer)
