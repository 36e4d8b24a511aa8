"""Figure (P3): signal and noise coefficients through training at a mild and at a large ρ (fully random masks).

Columns: the two pruning fractions. Top: the largest signal coefficient s_j⟨w_{j,r} ⊙ M, μ⟩ over neurons
and the mean noise coefficient ⟨w_{j,r} ⊙ M, ξ_i⟩ over neurons and same-class examples, per seed (thin)
and their mean (thick); networks in which no neuron keeps the signal are drawn dashed. Bottom: training
loss and test error (mean over seeds; dashed: over the networks without a signal neuron).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style


def draw(results: dict[str, np.ndarray]) -> Figure:
    steps = results["steps"]
    with style():
        fig = Figure(figsize=(7.2, 4.8))
        axes = fig.subplots(2, len(results["rhos"]), sharex=True)
        for column, rho in enumerate(results["rhos"]):
            top, bottom = axes[0, column], axes[1, column]
            signal = results["signal"][:, column].max(axis=(-2, -1))
            noise = results["noise"][:, column].mean(axis=(-2, -1))
            lost = results["signal_neurons"][column] == 0
            for seed in range(signal.shape[1]):
                style_ = "--" if lost[seed] else "-"
                top.plot(steps, signal[:, seed], style_, color="C0", lw=0.5, alpha=0.5)
                top.plot(steps, noise[:, seed], style_, color="C3", lw=0.5, alpha=0.5)
            top.plot(steps, signal.mean(axis=1), color="C0", lw=2, label="signal (largest)")
            top.plot(steps, noise.mean(axis=1), color="C3", lw=2, label="noise (mean)")
            top.set(xscale="symlog", title=f"ρ = {rho:g}: {lost.sum()}/{lost.size} without a signal neuron",
                    ylabel="coefficient")
            bottom.plot(steps, results["loss"][:, column].mean(axis=-1), label="training loss")
            bottom.plot(steps, results["test_error"][:, column].mean(axis=-1), label="test error")
            if lost.any():
                bottom.plot(steps, results["test_error"][:, column, lost].mean(axis=-1), "--", color="C1",
                            label="test error, no signal neuron")
            bottom.set(xscale="symlog", xlabel="gradient step", ylim=(0, None))
        axes[0, 0].legend()
        axes[1, 0].legend()
    return fig
