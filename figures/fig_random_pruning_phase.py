"""Figure (P4): phase diagrams of the test error over the pruning fraction ρ and the statistic κ = n‖μ‖⁴/(σ_p⁴d).

One panel per mask setting: the mean test error over seeds (colour), the empirical boundary where it crosses
the stated level (white dots), the predicted benign boundary κ = C(1 − ρ) with C fitted at ρ = 0 (black) and its refinement for the
setting (dashed, `theory.random_pruning.refined_boundary`),
the learning limit ρ = 1 − 1/m (dotted) and the memorisation limit ρ = 1 − n/d (dash-dotted).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style
from theory.random_pruning import benign_boundary, refined_boundary

TITLES = ("fully random mask", "signal-preserving mask")


def draw(results: dict[str, np.ndarray]) -> Figure:
    kappas, rhos = results["kappas"], results["rhos"]
    constant = results["boundary"][0, 0]
    fine = np.linspace(0, rhos.max(), 100)
    with style():
        fig = Figure(figsize=(7.2, 3.2))
        axes = fig.subplots(1, 2, sharey=True)
        for index, ax in enumerate(axes):
            image = ax.pcolormesh(rhos, kappas, results["test_error"][index], shading="nearest", cmap="viridis",
                                  vmin=0, vmax=0.5)
            ax.plot(rhos, results["boundary"][index], "o", color="white", mec="black", ms=4,
                    label=f"test error = {float(results['level']):g}")
            if np.isfinite(constant):
                ax.plot(fine, benign_boundary(fine, constant), color="black", label="C(1 − ρ), C fitted at ρ = 0")
                ax.plot(fine, refined_boundary(fine, float(results["m"]), constant, index == 1), color="black",
                        ls="--", label="refined boundary (same C)")
            ax.axvline(1 - 1 / float(results["m"]), color="black", ls=":", label="ρ = 1 − 1/m")
            ax.axvline(1 - float(results["n"]) / float(results["d"]), color="black", ls="-.", label="ρ = 1 − n/d")
            ax.set(yscale="log", xlabel="pruning fraction ρ", title=TITLES[index], ylim=(kappas[0], kappas[-1]))
        axes[0].set_ylabel("κ = n‖μ‖⁴/(σ_p⁴ d)")
        axes[1].legend(loc="lower left", fontsize="x-small")
        fig.colorbar(image, ax=axes, label="test error")
    return fig
