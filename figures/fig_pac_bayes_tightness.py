"""Figure (B2, B3): how tight each PAC-Bayes bound is, and what the Monte Carlo correction costs.

Left: the five bounds (McAllester, Seeger = kl inverse, quadratic, λ, Catoni over a grid of C) against
the empirical risk L̂ at fixed KL and n; the quadratic and optimised λ bounds coincide (B2). Middle: the
same against KL at fixed L̂ (log scale). Right: a stochastic mask classifier on a Gaussian mixture: the
Monte Carlo estimate L̂_M, its upper bound kl⁻¹(L̂_M, ln(2/δ_MC)/M), and the certified bound (Seeger at
that upper bound, δ = δ_PB + δ_MC) against the number M of sampled masks, with the exact empirical risk
L̂_S(Q), the Seeger bound at it, and the true risk L(Q).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

STYLES = ("-", "-", "--", ":", "-.")


def _bounds(ax, x, bounds, names, emp=None) -> None:
    for row, name, line_style in zip(bounds, names, STYLES):
        ax.plot(x, np.minimum(row, 1.05), line_style, label=name)
    if emp is not None:
        ax.plot(x, emp, color="0.5", lw=0.8, label="empirical risk")
    ax.set_ylim(0, 1.05)


def draw(results: dict[str, np.ndarray]) -> Figure:
    names = [str(name) for name in results["bound_names"]]
    n, delta = int(results["n"]), float(results["delta"])
    with style():
        fig = Figure(figsize=(7.2, 2.8))
        left, middle, right = fig.subplots(1, 3)
        _bounds(left, results["emp_grid"], results["bounds_vs_emp"], names, results["emp_grid"])
        left.set(xlabel=r"empirical risk $\hat L$", ylabel="bound on the risk $L$ (clipped at 1.05)",
                 title=f"KL = {float(results['kl_fixed']):g}, n = {n}, δ = {delta:g}")
        left.legend(loc="upper left")
        _bounds(middle, results["kl_grid"], results["bounds_vs_kl"], names)
        middle.axhline(float(results["emp_fixed"]), color="0.5", lw=0.8)
        middle.set_xscale("log")
        middle.set(xlabel="KL(Q‖P)", title=rf"$\hat L$ = {float(results['emp_fixed']):g}, n = {n}")

        m = results["m_grid"]
        right.plot(m, results["emp_risk_mc"], "o-", ms=3, label=r"$\hat L_M$ (Monte Carlo)")
        right.plot(m, results["mc_upper"], "s-", ms=3, label=r"kl$^{-1}(\hat L_M, \ln(2/\delta_{MC})/M)$")
        right.plot(m, results["certified"], "^-", ms=3, label="certified bound")
        right.axhline(float(results["emp_risk"]), color="0.5", lw=0.8, label=r"exact $\hat L_S(Q)$")
        right.axhline(float(results["seeger_exact"]), color="0.2", ls="--", lw=0.8,
                      label=r"Seeger at exact $\hat L_S(Q)$")
        right.axhline(float(results["true_risk"]), color="k", ls=":", lw=1.0, label="true risk $L(Q)$")
        right.set_xscale("log")
        low = min(float(results["true_risk"]), float(np.min(results["emp_risk_mc"])))
        right.set_ylim(0.9 * low, min(1.0, 1.5 * float(np.max(results["certified"]))))
        right.set(xlabel="sampled masks $M$", ylabel="risk", title=f"masks: KL = {float(results['kl']):.2g}, n = {n}")
        right.legend(loc="upper right", fontsize=6.5)
    return fig
