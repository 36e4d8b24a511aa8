"""Figure (M5): regularisation paths — dropout shrinks, masks select.

Left: the dropout-optimal weights (a generalised ridge) against the uniform keep q: they shrink
smoothly and are never exactly zero. Middle: the weighted-lasso path of the masks' L1 term in
θ = p⊙w, weights c_j = ‖x_j‖²|w_j|, against λ: coordinates hit exact zeros. Right: the exact mask
optimum θ* = m*⊙w (best of all 2^d masks) beside the reference weights w and the teacher.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from figures.style import style

OFF_SUPPORT = "0.65"


def _paths(ax, x, paths, on_support) -> None:
    """One line per coordinate: teacher-support coordinates in colour, the others grey."""
    for j in np.flatnonzero(~on_support):
        ax.plot(x, paths[:, j], color=OFF_SUPPORT, lw=0.9)
    for colour, j in enumerate(np.flatnonzero(on_support)):
        ax.plot(x, paths[:, j], color=f"C{colour % 8}", lw=1.6, label=f"$j = {j}$ (teacher $\\neq 0$)")
    ax.set_xscale("log")
    ax.axhline(0.0, color="0.2", lw=0.6)


def draw(results: dict[str, np.ndarray]) -> Figure:
    on_support = results["teacher"] != 0
    with style():
        fig = Figure(figsize=(9.6, 3.0))
        dropout, lasso, optimum = fig.subplots(1, 3, gridspec_kw={"width_ratios": (1, 1, 0.9)})
        _paths(dropout, results["keep_grid"], results["dropout_path"], on_support)
        dropout.invert_xaxis()
        dropout.set(xlabel="uniform keep $q$ (log; regularisation grows →)", ylabel="weight",
                    title="dropout: ridge path, shrinks (no zeros)")
        _paths(lasso, results["lam_grid"], results["lasso_path"], on_support)
        lasso.axvline(1.0, color="0.3", ls=":", lw=0.9)
        lasso.text(1.0, 1.0, r" $\lambda = 1$ (M2)", transform=lasso.get_xaxis_transform(), fontsize=7, va="top")
        lasso.set(xlabel=r"$\lambda$ (log)", ylabel=r"effective weight $\theta = p\,w$",
                  title=r"masks' L1 term: lasso in $\theta$, $c_j = \|x_j\|^2|w_j|$")
        handles, _ = dropout.get_legend_handles_labels()
        off = Line2D([], [], color=OFF_SUPPORT, lw=0.9, label="teacher $= 0$")
        dropout.legend(handles=handles + [off], loc="best")

        index = np.arange(len(results["w"]))
        optimum.axhline(0.0, color="0.2", lw=0.6)
        optimum.plot(index, results["w"], "o", ms=6, mfc="none", color="0.5", label="reference $w$")
        optimum.plot(index, results["theta_star"], "o", ms=3.5, color="k", label=r"mask optimum $m^*\odot w$")
        optimum.plot(index, results["teacher"], "x", color="C3", label="teacher $w^*$")
        optimum.set(xlabel="coordinate $j$", ylabel="weight", xticks=index,
                    title=r"exact mask optimum (best of $2^d$ masks)")
        optimum.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, handletextpad=0.2,
                       columnspacing=0.8)
    return fig
