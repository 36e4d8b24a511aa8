# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 4 — pruning at initialisation (claims K1–K2)
#
# * **K1** random, magnitude, SNIP, K-starts, dissipating gradients and their combination return 0/1 masks
#   keeping exactly round(δ·N) weights, which stay zero through training; the claim of [K] that the
#   combination beats its parts at low density is *not* reproduced on every task.
# * **K2** probabilistic fine-tuning: learning keep probabilities from a pruner's mask by minimising the
#   expected loss (weights fixed), then thresholding back to the density, lowers the test error of every
#   baseline mask.

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
# ## The derivation of K1 (what `sparsetheory derive K1` prints)

# %%
print(resolve(CLAIMS_BY_ID["K1"].derive)().pretty())

# %% [markdown]
# ## Simulation: a teacher–student regression pruned at initialisation
#
# `simulations.pruners.prune` prunes a batch of networks (`simulations.mlp.Params`); we then train the
# surviving weights with `simulations.mlp.train` and compare test errors across densities.

# %%
from simulations import mlp
from simulations.pruners import PRUNERS, PruneSettings, prune

sizes = {"tiny": (8, 8, 1), "small": (10, 32, 1)}[SIZE]
n_seeds, epochs = {"tiny": (2, 2), "small": (5, 20)}[SIZE]
densities = {"tiny": (0.5, 0.2), "small": (0.5, 0.2, 0.1, 0.05)}[SIZE]
rng = np.random.default_rng(0)
teacher = mlp.init_params(sizes, 1, rng)
X_train, X_test = rng.standard_normal((200, sizes[0])), rng.standard_normal((200, sizes[0]))
Y_train, Y_test = (mlp.forward(teacher, X)[0][-1][0] for X in (X_train, X_test))
settings = PruneSettings(epochs=1, starts=2)
errors = {}
for name in ("random", "magnitude", "snip"):
    for density in densities:
        init = mlp.init_params(sizes, n_seeds, rng)
        masks, start, used = prune(name, init, X_train, Y_train, "mse", density, rng, settings)
        kept = sum(int(m[0].sum()) for m in masks)
        trained = mlp.train(start, X_train, Y_train, "mse", epochs=epochs - used, lr=0.05, batch_size=32, rng=rng,
                            masks=masks)
        errors[name, density] = mlp.test_error(trained, X_test, Y_test, "mse", masks).mean()
        print(f"{name:9s} density {density:4.2f}: {kept} weights kept, test mse {errors[name, density]:.4f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for name in ("random", "magnitude", "snip"):
    ax.plot(densities, [errors[name, density] for density in densities], "o-", label=name)
ax.set_xscale("log")
ax.set_xlabel("density δ")
ax.set_ylabel("test mse (mean over networks)")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTPUT, "lesson04_pruning.png"), dpi=100)

# %% [markdown]
# ## Exercises

# %%
print(question("K.1"))
d = data("K.1")
answer = int(np.rint(d["density"] * np.prod(d["shape"])))  # your answer here (this is one solution)
assert check("K.1", answer)

# %%
print(question("K.2"))
d = data("K.2")
flat = np.abs(d["W"]).ravel()
k = int(np.rint(d["density"] * flat.size))
order = np.argsort(-flat, kind="stable")
answer = np.zeros(flat.size, dtype=int)
answer[order[:k]] = 1
answer = answer.reshape(d["W"].shape)  # your answer here (this is one solution)
assert check("K.2", answer)
