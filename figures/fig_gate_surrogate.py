"""Figure (G1): the L0 surrogate against the true L0 of one hard-concrete gate.

Against ln α: the surrogate P(z ≠ 0) = σ(ln α − β ln(−γ/ζ)) with Monte Carlo estimates (± 2 se), P(z = 1),
E z, the test-time gate ẑ and its L0, 1{ẑ ≠ 0}, which jumps at ln α = ln(−γ/ζ).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

ERROR_BAR_SE = 2


def draw(results: dict[str, np.ndarray]) -> Figure:
    with style():
        fig = Figure(figsize=(4.6, 3.2))
        ax = fig.subplots()
        x = results["log_alpha"]
        (line,) = ax.plot(x, results["prob_nonzero"], label=r"surrogate $P(z\neq 0)$")
        index = results["mc_index"]
        ax.errorbar(x[index], results["mc_prob_nonzero"], yerr=ERROR_BAR_SE * results["mc_se"], fmt="o", ms=3,
                    color=line.get_color(), mfc="white", label=f"sampled $z$ (±{ERROR_BAR_SE} se)")
        ax.plot(x, results["prob_one"], label="$P(z = 1)$")
        ax.plot(x, results["mean"], label=r"$\mathbb{E}z$")
        ax.plot(x, results["test_gate"], "--", label=r"test gate $\hat z$")
        ax.step(x, results["test_l0"], where="post", color="0.2", lw=1.0, label=r"true L0 $1\{\hat z\neq 0\}$")
        ax.axvline(float(results["zero_threshold"]), color="0.6", lw=0.6)
        ax.set(xlabel=r"$\ln\alpha$", ylabel="probability / gate value", title=r"hard concrete, $\beta = 2/3$")
        ax.legend(loc="upper left")
    return fig
