"""Figure (E3): adaptive dropout is IRLS — convergence, and the support it recovers, deterministic vs sampled.

(a) F(w^k) − F(w^K) against the IRLS iteration for each penalty (log scale): it never rises (block
coordinate descent). (b) The step max_j |u^{k+1}_j − u^k_j|: the stopping rule. (c) Final |u_j|
(u_j = ||x_j||w_j) for the log-sum penalty, IRLS limit vs sampled-dropout SGD, beside the truth; the
support coordinates first. (d) SGD's keep rates α_j against the epoch; the support is read off at α ≥ ½.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

LABELS = {"lp": r"$\ell_1$", "logsum": "log-sum", "mcp": "MCP", "scad": "SCAD", "vardrop": "var. dropout"}
OFF_SUPPORT = "0.65"


def draw(results: dict[str, np.ndarray]) -> Figure:
    penalties = [str(name) for name in results["penalties"]]
    gap, step = results["objective_gap"], results["step"]
    truth = np.abs(results["teacher_u"])
    on_support = truth > 0
    order = np.argsort(~on_support, kind="stable")
    logsum = penalties.index("logsum")
    with style():
        fig = Figure(figsize=(9.6, 5.2))
        (objective, steps), (support, keep) = fig.subplots(2, 2)
        for row, name in enumerate(penalties):
            iterations = np.arange(gap.shape[1])
            positive = gap[row] > 0
            objective.plot(iterations[positive], gap[row][positive], label=LABELS.get(name, name))
            steps.plot(np.arange(1, step.shape[1] + 1), step[row], label=LABELS.get(name, name))
        objective.set_yscale("log")
        objective.set(xlabel="IRLS iteration $k$", ylabel=r"$F(w^k) - F(w^K)$",
                      title="(a) the objective falls monotonically")
        objective.legend(loc="upper right")
        steps.set_yscale("log")
        steps.set(xlabel="IRLS iteration $k$", ylabel=r"$\max_j |u_j^{k+1} - u_j^k|$",
                  title="(b) step size (stopping rule)")

        index = np.arange(len(truth))
        floor = 1e-16 * max(truth.max(), 1.0)
        support.plot(index, truth[order], "x", color="C3", label=r"truth $|u^*_j|$")
        support.plot(index, np.maximum(np.abs(results["u_irls"][logsum][order]), floor), "o", ms=5, mfc="none",
                     color="C0", label="IRLS limit")
        support.plot(index, np.maximum(np.abs(results["sgd_u"][order]), floor), ".", color="C1",
                     label="sampled-dropout SGD")
        support.axvline(on_support.sum() - 0.5, color="0.4", ls=":", lw=0.8)
        support.set_yscale("log")
        support.set(xlabel="coordinate (support first)", ylabel=r"$|u_j| = \|x_j\|\,|w_j|$",
                    title="(c) log-sum: the same support, deterministic and sampled")
        support.legend(loc="center right")

        epochs = np.arange(results["sgd_keep"].shape[0])
        for j in np.flatnonzero(~on_support):
            keep.plot(epochs, results["sgd_keep"][:, j], color=OFF_SUPPORT, lw=0.6)
        for j in np.flatnonzero(on_support):
            keep.plot(epochs, results["sgd_keep"][:, j], color="C0", lw=1.4)
        keep.axhline(float(results["support_keep"]), color="C3", ls="--", lw=0.9,
                     label=r"support threshold $\alpha = 1/2$")
        keep.plot([], [], color="C0", label=r"$w^*_j \neq 0$")
        keep.plot([], [], color=OFF_SUPPORT, label=r"$w^*_j = 0$")
        keep.set(xlabel="SGD epoch", ylabel=r"keep rate $\alpha_j = \hat\eta_j/(\hat\eta_j + \lambda)$",
                 ylim=(-0.03, 1.03), title="(d) adaptive keep rates under sampled dropout")
        keep.legend(loc="center right")
    return fig
