"""Figure (B4): the certified bound against the fraction α of the training set spent on the prior.

Left: on digits (5–9 vs 0–4), the certified 0-1 bound of the posterior (self-bounded learning on
the remaining (1 − α)n points), the certificate of the prior alone (KL = 0), the empirical risk on the
bound set and the test error (± z·se, z at a two-sided 1e-6). At α = 0 the prior is data-free. The
whole curve holds at once with probability ≥ 1 − δ (a union bound over the grid). Right: KL(Q‖P)
(log scale) and the number of points left for the bound.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, NullLocator
from scipy.stats import norm

from figures.style import style


def _plain_log(axis) -> None:
    """Decade ticks as plain numbers and no minor ticks (mathtext labels and the many minor ticks of log
    axes dominate the drawing time)."""
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_locator(NullLocator())

Z = float(norm.isf(0.5e-6))


def draw(results: dict[str, np.ndarray]) -> Figure:
    alpha = results["alpha"]
    with style():
        fig = Figure(figsize=(7.6, 3.0))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.4, 1)})
        left.plot(alpha, results["bound"], "o-", color="C0", label="certified bound (posterior)")
        left.plot(alpha, results["prior_bound"], "s--", color="C4", ms=3.5, label="certificate of the prior alone")
        left.plot(alpha, results["emp_risk"], "^:", color="C2", ms=3.5, label="empirical risk on the bound set")
        left.errorbar(alpha, results["test_error"], yerr=Z * results["test_se"], fmt="D-", color="C1", ms=3.5,
                      label=r"test error ($\pm z\cdot$se)")
        best = int(np.argmin(results["bound"]))
        left.annotate(f"best α = {alpha[best]:g}", (alpha[best], results["bound"][best]), xytext=(0, 12),
                      textcoords="offset points", ha="center", fontsize=7)
        left.set_ylim(bottom=0)
        left.set(xlabel=r"prior fraction $\alpha$", ylabel="0-1 risk",
                 title=rf"digits: certificates at $1-\delta$, $\delta = {float(results['delta']):g}$ (whole curve)")
        left.legend(loc="upper right")

        right.semilogy(alpha, np.maximum(results["kl"], 1e-6), "o-", color="C0", label=r"KL$(Q\|P)$")
        right.set(xlabel=r"prior fraction $\alpha$", ylabel="KL (nats, log)", title="what the prior buys")
        points = right.twinx()
        points.plot(alpha, results["n_bound"], "s:", color="0.4", ms=3, label=r"$n_b = n - \lfloor\alpha n\rfloor$")
        points.set_ylabel("points left for the bound")
        points.grid(False)
        handles = right.get_legend_handles_labels()[0] + points.get_legend_handles_labels()[0]
        right.legend(handles=handles, loc="upper right")
        _plain_log(right.yaxis)
    return fig
