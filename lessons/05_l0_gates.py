# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 5 — differentiable binary gates and L0 (claims G1–G3)
#
# * **G1** the hard-concrete gate s = σ((ln u − ln(1−u) + ln α)/β), z = min(1, max(0, s(ζ−γ) + γ)) has exact
#   zeros and ones: P(z ≠ 0) = σ(ln α − β ln(−γ/ζ)), P(z = 1) = σ(ln α − β ln((1−γ)/(ζ−1))); β → 0 gives
#   Bernoulli(σ(ln α)).
# * **G2** clipping any real variable gives gates with exact zeros; group gates count |g|·P(z_g ≠ 0).
# * **G3** L0-gated regression: in the mean weight the objective is an η-trick penalty, MCP-like; for an
#   orthogonal design the optimum keeps j iff e·â_j² > λ.

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
# ## The derivation of G1 (what `sparsetheory derive G1` prints)

# %%
print(resolve(CLAIMS_BY_ID["G1"].derive)().pretty())

# %% [markdown]
# ## Simulation: sampled gates against the closed forms

# %%
from theory.gates import hard_concrete_gate, hard_concrete_prob_nonzero, hard_concrete_prob_one

n_samples = {"tiny": 2000, "small": 100_000}[SIZE]
log_alphas = np.linspace(-4, 4, {"tiny": 9, "small": 41}[SIZE])
rng = np.random.default_rng(0)
u = rng.uniform(1e-12, 1 - 1e-12, size=(n_samples, 1))
gates = hard_concrete_gate(np.log(u) - np.log1p(-u), log_alphas[None, :])
nonzero, one = np.mean(gates > 0, axis=0), np.mean(gates == 1, axis=0)
theory_nonzero, theory_one = hard_concrete_prob_nonzero(log_alphas), hard_concrete_prob_one(log_alphas)
se = np.sqrt(np.maximum(theory_nonzero * (1 - theory_nonzero), 1e-12) / n_samples)
print(f"largest standardised error of P(z ≠ 0): {np.max(np.abs(nonzero - theory_nonzero) / se):.2f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(log_alphas, theory_nonzero, label="P(z ≠ 0), closed form")
ax.plot(log_alphas, nonzero, "o", ms=3, label="P(z ≠ 0), sampled")
ax.plot(log_alphas, theory_one, label="P(z = 1), closed form")
ax.plot(log_alphas, one, "s", ms=3, label="P(z = 1), sampled")
ax.set_xlabel("ln α")
ax.set_ylabel("probability")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson05_gates.png"), dpi=100)

# %% [markdown]
# ## Exercises

# %%
print(question("G.1"))
d = data("G.1")
answer = 1 / (1 + np.exp(-(d["log_alpha"] - d["beta"] * np.log(-d["gamma"] / d["zeta"]))))  # your answer here (this is one solution)
assert check("G.1", answer)

# %%
print(question("G.2"))
d = data("G.2")
u = np.random.default_rng(1).uniform(size=d["n_samples"])
s = 1 / (1 + np.exp(-(np.log(u) - np.log1p(-u) + d["log_alpha"]) / d["beta"]))
answer = np.clip(s * (d["zeta"] - d["gamma"]) + d["gamma"], 0, 1).mean()  # your answer here (this is one solution)
assert check("G.2", answer)
