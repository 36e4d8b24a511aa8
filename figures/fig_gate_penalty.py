"""Figure (G3): the effective penalty of a hard-concrete gate, in scaled units.

Left: ω(u) = min over ln α of [u²κ + P(z ≠ 0)] (Ω(w) = λω(|w|√(e/λ))) beside the best sup-norm fits of
MCP, capped L1 and log-sum, and family E's "hardconcrete" penalty; markers: Monte Carlo estimates of the
variance term E_z L(θz) − L(θE z) = u²κ (± 2 se) against its value. Right: the keep rate α = 1/(1 + κ) at
the optimal gate, which jumps to 1 where ω reaches its plateau.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

ERROR_BAR_SE = 2


def draw(results: dict[str, np.ndarray]) -> Figure:
    with style():
        fig = Figure(figsize=(6.8, 3.0))
        left, right = fig.subplots(1, 2)
        u = results["u"]
        left.plot(u, results["omega"], color="k", lw=2.2, label=r"gate $\omega(u)$")
        left.plot(u, results["e_penalty"], color="0.7", lw=1.0, ls=":", label="family E 'hardconcrete'")
        for name, label in (("mcp", "MCP"), ("capped_l1", "capped L1"), ("log_sum", "log-sum")):
            left.plot(u, results[name], lw=1.0, label=f"best {label} (sup err {float(results[name + '_error']):.3f})")
        left.plot(u, results["variance"], color="C4", lw=1.0, ls="--", label=r"its variance part $u^2\kappa$")
        left.errorbar(results["mc_u"], results["mc_variance_term"], yerr=ERROR_BAR_SE * results["mc_se"], fmt="o",
                      ms=3, mfc="white", color="C4", label=rf"sampled gates (±{ERROR_BAR_SE} se)")
        left.axvline(float(results["plateau_start"]), color="0.6", lw=0.6)
        left.set(xlabel=r"$u = |w|\sqrt{e/\lambda}$", ylabel=r"$\Omega/\lambda$", ylim=(0, 1.6),
                 title="effective penalty of an L0 gate")
        left.legend(loc="upper center", fontsize=6, ncol=2)
        right.plot(u, results["keep"], color="k")
        constants = rf"$c_0 = {float(results['zero_slope']):.3f}$, $u_{{max}} = {float(results['plateau_start']):.3f}$"
        right.set(xlabel=r"$u = |w|\sqrt{e/\lambda}$", ylabel=r"keep rate $\alpha = 1/(1+\kappa)$", title=constants)
    return fig
