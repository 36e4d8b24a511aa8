"""Figure (E5): vector penalties at fixed ℓ2 norm against the number of non-zeros.

For each family, Σ_j[Ω(w_j) − Ω(0)] over vectors of ℓ2 norm r with k non-zeros, divided by the cost
Ω(r) − Ω(0) of a 1-sparse vector. Lines: k equal magnitudes (the most expensive k-sparse vector, by
Jensen); band: 5–95 % range over random k-sparse vectors (Gaussian directions). Every curve starts at
1 and never decreases: at fixed norm, sparser vectors cost less (E5). Left r = 0.5, right r = 2.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

SHOWN = ("vardrop", "hardconcrete", "standout", "logsum", "mcp", "lp")


def draw(results: dict[str, np.ndarray]) -> Figure:
    counts, families = results["counts"], list(results["families"])
    with style():
        fig = Figure(figsize=(6.8, 2.9))
        axes = fig.subplots(1, len(results["radii"]), sharey=True)
        for column, (ax, radius) in enumerate(zip(axes, results["radii"])):
            for name in SHOWN:
                i = families.index(name)
                single = results["spread"][i, column, 0]
                (line,) = ax.plot(counts, results["spread"][i, column] / single, marker="o", ms=2.5,
                                  label="ℓ½" if name == "lp" else name)
                low, high = np.quantile(results["random"][i, column] / single, (0.05, 0.95), axis=-1)
                ax.fill_between(counts, low, high, color=line.get_color(), alpha=0.15, lw=0)
            ax.set_yscale("log")
            ax.set(xlabel="non-zeros $k$", title=f"$\\|w\\|_2 = {radius:g}$")
        axes[0].set_ylabel(r"$\sum_j[\Omega(w_j)-\Omega(0)]\,/\,[\Omega(r)-\Omega(0)]$")
        axes[-1].legend(loc="upper left", ncol=2)
    return fig
