"""Figure (G1, G2): gates with exact zeros and ones.

Left: hard-concrete gates (β = 2/3, γ = −0.1, ζ = 1.1) at several ln α; right: Gaussian gates
clip(μ + σN, 0, 1). Curves: the density of z on (0, 1); bars at 0 and 1: the point masses P(z = 0) and
P(z = 1) in closed form; steps and markers: histograms and point-mass frequencies of sampled gates.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

MASS_WIDTH = 0.035


def _panel(ax, results, prefix: str, labels) -> None:
    v, edges = results["v"], results["edges"]
    ends = np.array([-MASS_WIDTH, 1 + MASS_WIDTH])
    for k, label in enumerate(labels):
        (line,) = ax.plot(v, results[f"{prefix}_density"][k], label=label)
        colour = line.get_color()
        ax.stairs(results[f"{prefix}_histogram"][k], edges, color=colour, alpha=0.45, lw=0.9)
        masses = np.array([results[f"{prefix}_prob_zero"][k], results[f"{prefix}_prob_one"][k]])
        frequencies = np.array([results[f"{prefix}_mc_zero"][k], results[f"{prefix}_mc_one"][k]])
        ax.vlines(ends + (k - 1) * MASS_WIDTH / 2, 0, masses / MASS_WIDTH, color=colour, lw=3, alpha=0.6)
        ax.plot(ends + (k - 1) * MASS_WIDTH / 2, frequencies / MASS_WIDTH, "o", color=colour, mfc="white", ms=3.5)
    ax.set(xlabel="gate value $z$", xlim=(-0.12, 1.12))


def draw(results: dict[str, np.ndarray]) -> Figure:
    with style():
        fig = Figure(figsize=(6.8, 3.0))
        left, right = fig.subplots(1, 2, sharey=False)
        _panel(left, results, "hc", [rf"$\ln\alpha = {a:g}$" for a in results["hc_log_alpha"]])
        left.set(ylabel="density on (0, 1); bars: P(z) / bar width", title="hard concrete (logistic base)")
        _panel(right, results, "gauss",
               [rf"$\mu = {m:g},\ \sigma = {s:g}$" for m, s in zip(results["gauss_mu"], results["gauss_sigma"])])
        right.set(title=r"Gaussian gate clip$(\mu + \sigma N)$")
        left.plot([], [], "o", color="0.3", mfc="white", label=f"sampled ({int(results['n_samples'])} each)")
        left.legend(loc="upper center")
        right.legend(loc="upper center")
    return fig
