"""Figure (E1, E4, E5): effective penalties of adaptive dropout and their classical look-alikes.

Left: the exact variational-dropout penalty (λ = 1) and Molchanov et al.'s fit, with the log-sum
c·ln(1 + |w|/ε) at the minimax-best (c, ε) and its minimax relative deviation; points: Ω from Monte Carlo estimates of the KL.
Middle: the hard-concrete penalty (β = 2/3, γ = −0.1, ζ = 1.1) with the best-scaled MCP and SCAD;
points: Ω from sampled gates at the optimal gate location. Right: keep rates α = η̂/(η̂ + λ), λ = 1,
all non-decreasing in |w| (E4). Error bars: ±2 standard errors.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style
from simulations.penalty_figures import CANDIDATES, KEEP_FAMILIES

ERROR_BAR_SE = 2


def draw(results: dict[str, np.ndarray]) -> Figure:
    deviation = dict(zip(CANDIDATES, results["deviations"]))
    with style():
        fig = Figure(figsize=(7.2, 2.7))
        left, middle, right = fig.subplots(1, 3)
        w = results["w_vardrop"]
        left.plot(w, results["vardrop"], label="exact")
        left.plot(w, results["vardrop_approx"], ls=":", label="Molchanov fit")
        left.plot(w, results["fit_logsum"], ls="--", color="0.3",
                  label=f"log-sum fit (dev {deviation['logsum'][0]:.1%})")
        left.errorbar(results["vardrop_mc_w"], results["vardrop_mc"], yerr=ERROR_BAR_SE * results["vardrop_mc_se"],
                      fmt="o", ms=3, mfc="white", color="C0", label="MC KL")
        left.set(xlabel="weight $w$", ylabel=r"$\Omega(w)$", title="variational dropout ≈ log-sum")
        left.legend(loc="lower right")

        w = results["w_gate"]
        middle.plot(w, results["hardconcrete"], label="hard concrete")
        for name, ls in (("mcp", "--"), ("scad", ":")):
            middle.plot(w, results[f"fit_{name}"], ls=ls, color="0.3" if name == "mcp" else "C3",
                        label=f"{name.upper()} fit (dev {deviation[name][1]:.1%})")
        middle.errorbar(results["gate_mc_w"], results["gate_mc"], yerr=ERROR_BAR_SE * results["gate_mc_se"],
                        fmt="o", ms=3, mfc="white", color="C0", label="sampled gates")
        middle.set(xlabel="weight $w$", title="hard concrete ≈ MCP")
        middle.legend(loc="lower right")

        for name, keep in zip(KEEP_FAMILIES, results["keep_rates"]):
            right.plot(results["w_keep"], keep, label=name)
        right.errorbar(results["gate_mc_w"], results["gate_keep_mc"], yerr=ERROR_BAR_SE * results["gate_keep_mc_se"],
                       fmt="o", ms=3, mfc="white", color="C2")
        right.set(xlabel="weight $w$", ylabel=r"keep rate $\hat\eta/(\hat\eta+\lambda)$", ylim=(-0.02, 1.02),
                  title=r"adaptive keep rates ($\lambda = 1$)")
        right.legend(loc="lower right")
    return fig
