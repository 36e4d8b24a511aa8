"""Figure (M1, M2): the dropout L2 term against the stochastic-mask L1 term, per weight.

Left: inverted dropout, penalty ((1−p)/p)·w²·‖x‖²/n against the weight w for several keep p.
Right: masks without rescaling, penalty (|θ||w| − θ²)·‖x‖²/n against the effective weight θ = p·w for
several |w|: kinked at θ = 0, an L1 penalty. Points: Monte Carlo estimates ± 2 standard errors.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

ERROR_BAR_SE = 2


def _curves(ax, x_grid, curves, index, estimates, errors, labels) -> None:
    for k, label in enumerate(labels):
        x = x_grid[k] if x_grid.ndim == 2 else x_grid
        (line,) = ax.plot(x, curves[k], label=label)
        ax.errorbar(x[index], estimates[k], yerr=ERROR_BAR_SE * errors[k], fmt="o", ms=3,
                    color=line.get_color(), mfc="white", zorder=3)


def draw(results: dict[str, np.ndarray]) -> Figure:
    with style():
        fig = Figure(figsize=(6.8, 3.0))
        left, right = fig.subplots(1, 2)
        index = results["mc_index"]
        _curves(left, results["w_grid"], results["dropout_penalty"], index, results["dropout_mc"],
                results["dropout_mc_se"], [f"p = {p:g}" for p in results["dropout_keep"]])
        left.set(xlabel="weight $w$", ylabel=r"penalty  $\mathbb{E}_m L((m/p)\,w) - L(w)$",
                 title=r"dropout $m/p$: $\frac{1-p}{p}\,w^2\,\|x\|^2/n$ (L2)")
        _curves(right, results["theta_grid"], results["mask_penalty"], index, results["mask_mc"],
                results["mask_mc_se"], [f"$|w|$ = {m:g}" for m in results["mask_weight"]])
        right.set(xlabel=r"effective weight $\theta = p\,w$ (keep $p = \theta/w$)",
                  ylabel=r"penalty  $\mathbb{E}_m L(m\,w) - L(p\,w)$",
                  title=r"mask $m$: $(|\theta||w| - \theta^2)\,\|x\|^2/n$ (L1 kink at 0)")
        mc_label = f"Monte Carlo ±{ERROR_BAR_SE} s.e.\n({int(results['n_samples'])} masks each)"
        left.plot([], [], "o", color="0.3", mfc="white", label=mc_label)
        left.legend(title="keep $p$ = P(weight kept)", loc="upper center")
        right.legend(title=f"$\\|x\\|^2/n$ = {float(results['energy']):.3g}", loc="upper center")
    return fig
