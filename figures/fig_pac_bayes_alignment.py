"""Figure (B7): in the linear model the KL, and so the bound, is governed by the change in alignment.

Masks with logits u_j = β(w_j a_j − w_j²/2), a = Xᵀy/n on the prior's data S_α (prior) or on all of
S (posterior). Left (log-log): per draw, KL(Q‖P) (filled, coloured by the sample size n) and its
bound (β²/8)Σ_j w_j²Δa_j² (open), against ‖Δa‖; the line is (β²‖w‖∞²/8)‖Δa‖². Right (log-log): what
the KL costs the certificate, Seeger(L̂, KL) − Seeger(L̂, 0) (filled; L̂ the exact empirical risk on
S ∖ S_α), and the same cost with the alignment bound (β²‖w‖∞²/8)‖Δa‖² in place of the KL (open).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, NullLocator

from figures.style import style


def _plain_log(axis) -> None:
    """Decade ticks as plain numbers and no minor ticks (mathtext labels and the many minor ticks of log
    axes dominate the drawing time)."""
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_locator(NullLocator())


def draw(results: dict[str, np.ndarray]) -> Figure:
    norm_da, n = results["delta_norm"], results["n"]
    sizes = np.unique(n)
    beta, w = float(results["beta"]), results["w"]
    with style():
        fig = Figure(figsize=(7.6, 3.1))
        left, right = fig.subplots(1, 2)
        for colour, size in enumerate(sizes):
            rows = n == size
            left.loglog(norm_da[rows], results["kl_quadratic"][rows], "o", mfc="none", color=f"C{colour}", ms=4)
            left.loglog(norm_da[rows], np.maximum(results["kl"][rows], 1e-12), "o", color=f"C{colour}", ms=3,
                        label=f"$n = {int(size)}$")
            cost = results["bound"][rows] - results["bound_free"][rows]
            right.loglog(norm_da[rows], np.maximum(cost, 1e-9), "o", color=f"C{colour}", ms=3,
                         label=f"$n = {int(size)}$")
            right.loglog(norm_da[rows], results["bound_alignment"][rows] - results["bound_free"][rows], "o",
                         mfc="none", color=f"C{colour}", ms=4)
        grid = np.geomspace(norm_da.min(), norm_da.max(), 50)
        left.loglog(grid, beta**2 * np.max(w**2) / 8 * grid**2, "k-", lw=1,
                    label=r"$(\beta^2\|w\|_\infty^2/8)\|\Delta a\|^2$")
        left.plot([], [], "o", mfc="none", color="0.4", label=r"$(\beta^2/8)\sum_j w_j^2\Delta a_j^2$")
        left.set(xlabel=r"$\|\Delta a\|$ (log)", ylabel="nats (log)",
                 title=rf"KL$(Q\|P)$ and its bounds, $\beta = {beta:g}$")
        left.legend(loc="upper left")
        right.plot([], [], "o", mfc="none", color="0.4", label="with the alignment bound")
        right.set(xlabel=r"$\|\Delta a\|$ (log)", ylabel="increase of the bound (log)",
                  title=rf"KL term of the certificate, $\delta = {float(results['delta']):g}$")
        right.legend(loc="upper left")
        _plain_log(left.xaxis)
        _plain_log(left.yaxis)
        _plain_log(right.xaxis)
        _plain_log(right.yaxis)
    return fig
