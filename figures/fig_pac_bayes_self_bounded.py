"""Figure (B5): self-bounded learning — the certified bound beside the test error, against the
pruning fraction ρ = 1 − mean keep of the posterior.

Digits (5–9 vs 0–4), prior trained on half of the training set under masks of uniform keep q; the
posterior (keep probabilities and weight means) minimises the surrogate bound on the other half. The
sweep over q moves ρ. Left: certified 0-1 bound, certificate of the prior alone, and test error
(± z·se, z at a two-sided 1e-6), all at 1 − δ for the whole curve. Right: the gap bound − test error
and KL(Q‖P).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import norm

from figures.style import style

Z = float(norm.isf(0.5e-6))


def draw(results: dict[str, np.ndarray]) -> Figure:
    order = np.argsort(results["rho"])
    rho = results["rho"][order]
    with style():
        fig = Figure(figsize=(7.6, 3.0))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.4, 1)})
        left.plot(rho, results["bound"][order], "o-", color="C0", label="certified bound (posterior)")
        left.plot(rho, results["prior_bound"][order], "s--", color="C4", ms=3.5,
                  label="certificate of the prior alone")
        left.errorbar(rho, results["test_error"][order], yerr=Z * results["test_se"][order], fmt="D-", color="C1",
                      ms=3.5, label=r"test error ($\pm z\cdot$se)")
        left.set_ylim(bottom=0)
        left.set(xlabel=r"pruning fraction $\rho = 1 - \overline{p}$", ylabel="0-1 risk",
                 title=rf"digits: certificates at $1-\delta$, $\delta = {float(results['delta']):g}$ (whole curve)")
        left.legend(loc="upper left")

        right.plot(rho, (results["bound"] - results["test_error"])[order], "o-", color="C0",
                   label="bound − test error")
        right.set(xlabel=r"pruning fraction $\rho$", ylabel="gap (0-1 risk)", title="how tight")
        right.set_ylim(bottom=0)
        kl = right.twinx()
        kl.plot(rho, results["kl"][order], "s:", color="0.4", ms=3, label=r"KL$(Q\|P)$")
        kl.set_ylabel("KL (nats)")
        kl.grid(False)
        handles = right.get_legend_handles_labels()[0] + kl.get_legend_handles_labels()[0]
        right.legend(handles=handles, loc="upper left")
    return fig
