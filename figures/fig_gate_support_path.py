"""Figure (G3): L0-gated regression along a λ path (orthogonal design, hard-concrete gates).

Left: the number of kept weights (test-time gates ẑ ≠ 0) against λ, beside the ℓ0 rule eâ² > λ (the
global optimum), the range the band allows (coordinates in u_max ≤ |â|√(e/λ) ≤ c₀/2 may end either way) and
the teacher's support size. Right: the L0 surrogate Σ_j P(z_j ≠ 0) against the true L0 ||θ⊙ẑ||₀.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style


def draw(results: dict[str, np.ndarray]) -> Figure:
    with style():
        fig = Figure(figsize=(6.8, 3.0))
        left, right = fig.subplots(1, 2)
        lams = results["lams"]
        predicted, band = results["predicted"], results["band"]
        kept = np.count_nonzero(results["test_weights"], axis=1)
        left.fill_between(lams, np.sum(predicted & ~band, axis=1), np.sum(predicted | band, axis=1), color="0.85",
                          step="mid", label="band: either state is a local minimum")
        left.step(lams, predicted.sum(axis=1), where="mid", color="k", label=r"$\ell_0$ rule $e\hat a^2 > \lambda$")
        left.plot(lams, kept, "o", mfc="white", label=r"trained: $\hat z \neq 0$")
        left.axhline(np.count_nonzero(results["teacher"]), color="C1", lw=0.8, ls="--", label="teacher support")
        left.set(xscale="log", xlabel=r"$\lambda$", ylabel="kept weights", title="support along the path")
        left.legend(loc="upper right", fontsize=6.5)
        right.plot(lams, results["surrogate"], "o-", ms=3, label=r"surrogate $\sum_j P(z_j\neq 0)$")
        right.plot(lams, results["l0"], "s", ms=3, mfc="white", label=r"true L0 $\|\theta\odot\hat z\|_0$")
        right.set(xscale="log", xlabel=r"$\lambda$", ylabel="non-zero weights", title="surrogate vs true L0")
        right.legend(loc="upper right")
    return fig
