# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 3 — PAC-Bayes certificates for stochastic masks (claims B1–B7)
#
# A stochastic mask is a posterior Q over networks; PAC-Bayes bounds its risk by its empirical risk plus the
# KL divergence to a prior P fixed before seeing the data.
#
# * **B1** KL of product-Bernoulli mask laws is Σ_j kl(p_j‖q_j); diagonal-Gaussian KL; kl(σ(u)‖σ(v)) ≤ (u−v)²/8.
# * **B2** with c = (KL + ln(2√n/δ))/n: McAllester L ≤ L̂ + √(c/2), Seeger L ≤ kl⁻¹(L̂, c) (the tightest),
#   the quadratic and λ bounds, Catoni's bound.
# * **B3** the empirical risk of Q estimated from M sampled masks is corrected by kl⁻¹(L̂_M, ln(2/δ′)/M).
# * **B4–B7** data-dependent priors, self-bounded learning, the validity of the certificate, and the linear
#   model where the KL is controlled by the change in alignment.

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
# ## The derivation of B2 (what `sparsetheory derive B2` prints)

# %%
print(resolve(CLAIMS_BY_ID["B2"].derive)().pretty())

# %% [markdown]
# ## Simulation: the bounds side by side, and the Monte Carlo correction of B3 in action

# %%
from theory.pac_bayes import catoni_bound, mc_risk_bound, mcallester_bound, quadratic_bound, seeger_bound

risks = np.linspace(0.0, 0.5, {"tiny": 9, "small": 51}[SIZE])
kl, n, delta = 20.0, 1000, 0.05
bounds = {"McAllester": mcallester_bound(risks, kl, n, delta), "Seeger": seeger_bound(risks, kl, n, delta),
          "quadratic": quadratic_bound(risks, kl, n, delta), "Catoni": catoni_bound(risks, kl, n, delta)}
print("Seeger ≤ quadratic and Seeger ≤ McAllester:", bool(np.all(bounds["Seeger"] <= bounds["quadratic"] + 1e-12)
      and np.all(bounds["Seeger"] <= bounds["McAllester"] + 1e-12)))

# B3: the true risk of Q is 0.2; estimate it from M sampled masks, many times over
n_masks, repeats, delta_mc = {"tiny": (100, 200), "small": (500, 5000)}[SIZE] + (0.05,)
rng = np.random.default_rng(0)
estimates = rng.binomial(n_masks, 0.2, size=repeats) / n_masks
corrected = mc_risk_bound(estimates, n_masks, delta_mc)
print(f"the corrected estimate fell below the true risk in {np.mean(corrected < 0.2):.3f} of draws (≤ δ′ = {delta_mc})")
print(f"the raw estimate fell below it in {np.mean(estimates < 0.2):.3f} of draws")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, values in bounds.items():
    ax.plot(risks, values, label=name)
ax.plot(risks, risks, "k:", label="empirical risk")
ax.set_xlabel("empirical risk L̂")
ax.set_ylabel(f"bound (KL = {kl:g}, n = {n}, δ = {delta})")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson03_bounds.png"), dpi=100)

# %% [markdown]
# ## Exercises

# %%
print(question("B.1"))
d = data("B.1")
c = (d["kl"] + np.log(2 * np.sqrt(d["n"]) / d["delta"])) / d["n"]
q = d["emp_risk"]


def kl(a, b):
    return a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))


low, high = q, 1 - 1e-15
while high - low > 1e-13:
    mid = (low + high) / 2
    low, high = (mid, high) if kl(q, mid) <= c else (low, mid)
answer = low  # your answer here (this is one solution)
assert check("B.1", answer)

# %%
print(question("B.2"))
d = data("B.2")
p, q = d["p"], d["q"]
answer = np.sum(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)))  # your answer here (this is one solution)
assert check("B.2", answer)
