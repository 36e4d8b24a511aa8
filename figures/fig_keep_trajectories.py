"""Figure (M3, M4): keep probabilities under gradient flow on the mask logits, coloured by alignment.

Left: p_j(t) = σ(u_j(t)) from p = ½ on a log time axis; colour = the score s_j = w_j·a_j − w_j²/2 with
a = Xᵀy/n. Right: the final keep probability against the score; for an orthogonal design weight j is
kept iff s_j > 0 (M4), and the flow ends at a binary mask (M3).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter

from figures.style import style

CMAP = "coolwarm_r"  # red: pruned (s < 0), blue: kept (s > 0)


def _symlog_ticks(linear: float, limit: float) -> np.ndarray:
    """0 and ±10^k for the decades between the linear threshold and the largest |score|."""
    decades = 10.0 ** np.arange(np.ceil(np.log10(linear)), np.floor(np.log10(limit)) + 1)
    return np.concatenate([-decades[::-1], [0.0], decades])


def draw(results: dict[str, np.ndarray]) -> Figure:
    times, keep, score = results["times"], results["keep"], results["score"]
    limit = float(np.max(np.abs(score)))
    linear = max(float(np.quantile(np.abs(score), 0.25)), 1e-3 * limit)  # symlog: linear within ±this
    norm = SymLogNorm(linthresh=linear, vmin=-limit, vmax=limit)
    with style():
        fig = Figure(figsize=(7.0, 3.0))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.6, 1)})
        segments = np.stack([np.broadcast_to(times[:, None], keep.shape), keep], axis=-1).transpose(1, 0, 2)
        lines = LineCollection(segments, array=score, cmap=CMAP, norm=norm, linewidths=1.0, alpha=0.85)
        left.add_collection(lines)
        left.set_xscale("log")
        left.set_xlim(times[0], times[-1])
        left.set_ylim(-0.03, 1.03)
        left.set(xlabel="gradient-flow time $t$ (log scale)", ylabel=r"keep probability $p_j(t)$",
                 title=f"keep probabilities from $p = 1/2$ (n = {results['X'].shape[0]}, d = {keep.shape[1]})")
        ticks = _symlog_ticks(linear, limit)
        bar = fig.colorbar(lines, ax=left, pad=0.01, ticks=ticks, format=FormatStrFormatter("%g"))
        bar.minorticks_off()
        bar.set_label(r"score $s_j = w_j a_j - w_j^2/2$,  $a = X^\top y/n$ (symlog)")

        right.scatter(score, keep[-1], c=score, cmap=CMAP, norm=norm, edgecolors="0.2", linewidths=0.4, s=18)
        right.axvline(0.0, color="0.4", ls="--", lw=0.8, label="orthogonal rule:\n" r"keep iff $s_j > 0$")
        right.set_xscale("symlog", linthresh=linear)
        right.set_xticks(ticks)
        right.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        right.set_ylim(-0.05, 1.05)
        right.set(xlabel=r"score $s_j$ (symlog)", ylabel=r"final keep $p_j(t_{\mathrm{end}})$",
                  title="alignment decides what is kept")
        right.legend(loc="center left")
    return fig
