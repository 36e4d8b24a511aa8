"""Figure (B6): the certified bound against the true risk over independent training samples.

Left: each point is one training sample S from the Gaussian mixture; x = the true risk L(Q) of the
posterior fitted on S (exact, from the closed-form risk of every mask), y = the certified bound
(Seeger at the Monte Carlo upper bound, δ = δ_PB + δ_MC) and, in grey, the Monte Carlo empirical risk
L̂_M. Points below the diagonal are failures; validity allows a fraction δ. Right: histograms of
bound − L(Q) and L̂_M − L(Q).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style


def draw(results: dict[str, np.ndarray]) -> Figure:
    true, bound, emp = results["true_risk"], results["bound"], results["emp_risk_mc"]
    delta = float(results["delta"])
    failures = bound < true
    with style():
        fig = Figure(figsize=(7.0, 3.0))
        left, right = fig.subplots(1, 2)
        left.scatter(true, emp, s=6, color="0.6", label=r"$\hat L_M$ (no complexity term)")
        left.scatter(true[~failures], bound[~failures], s=6, label="certified bound")
        left.scatter(true[failures], bound[failures], s=14, marker="x", color="C1", label="failure")
        low, high = min(true.min(), emp.min()), max(true.max(), bound.max())
        left.plot([low, high], [low, high], color="k", lw=0.8)
        left.set(xlabel="true risk $L(Q)$", ylabel="bound / estimate",
                 title=f"{true.size} samples, n = {int(results['n'])}: {failures.mean():.3g} below "
                       f"(allowed δ = {delta:g})")
        left.legend(loc="lower right")
        bins = 40
        right.hist(bound - true, bins=bins, label="certified bound − L(Q)")
        right.hist(emp - true, bins=bins, color="0.6", label=r"$\hat L_M$ − L(Q)")
        right.axvline(0.0, color="k", lw=0.8)
        right.set(xlabel="difference to the true risk", ylabel="samples",
                  title=rf"M = {int(results['n_masks'])} masks, $\delta_{{PB}}$ = {float(results['delta_pb']):g}, "
                        rf"$\delta_{{MC}}$ = {float(results['delta_mc']):g}")
        right.legend(loc="upper center")
    return fig
