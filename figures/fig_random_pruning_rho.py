"""Figure (P1, P2): training loss and test error against the pruning fraction ρ, both mask settings.

Left: final training loss; right: test error; lines are means over seeds, bands ± one standard error;
fully random masks against masks that spare the signal's coordinates, at the statistic κ near the
unpruned boundary (P2's experiment).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

LABELS = ("fully random mask", "signal-preserving mask")


def draw(results: dict[str, np.ndarray]) -> Figure:
    rhos = results["rhos"]
    with style():
        fig = Figure(figsize=(7.2, 2.8))
        axes = fig.subplots(1, 2)
        for ax, key, label in zip(axes, ("loss", "test_error"), ("final training loss", "test error")):
            for index, name in enumerate(LABELS):
                values = results[key][index]
                mean, se = values.mean(axis=-1), values.std(axis=-1, ddof=1) / np.sqrt(values.shape[-1])
                ax.plot(rhos, mean, marker="o", ms=3, label=name)
                ax.fill_between(rhos, mean - se, mean + se, alpha=0.25, lw=0)
            ax.set(xlabel="pruning fraction ρ", ylabel=label)
        axes[1].legend(title=f"κ = {float(results['kappa']):g}, {results['loss'].shape[-1]} seeds, mean ± se")
    return fig
