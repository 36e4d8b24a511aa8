"""Figure (K1): test error against density after pruning at initialisation, every pruner.

Top: test error of the pruned and then trained network against the density (log scale, sparser to the
right) for the three problems; points are means over repetitions with ± one standard error, the grey
band the dense network (mean ± se). Bottom: the fraction of kept weights that lie on the teacher's
support in the two teacher–student problems.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

LABELS = {"random": "random", "magnitude": "magnitude", "snip": "SNIP", "k_starts": "K-starts",
          "dissipating": "dissipating gradients", "k_starts_dissipating": "K-starts + DG"}
MARKERS = {"random": "o", "magnitude": "s", "snip": "^", "k_starts": "v", "dissipating": "D",
           "k_starts_dissipating": "P"}
TITLES = {"linear": "linear teacher–student", "two_layer": "two-layer teacher–student", "digits": "digits MLP"}
YLABELS = {"linear": "test MSE (population)", "two_layer": "test MSE", "digits": "test error rate"}


def mean_se(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over repetitions (the last axis)."""
    return values.mean(axis=axis), values.std(axis=axis, ddof=1) / np.sqrt(values.shape[axis])


def density_axis(ax, densities: np.ndarray) -> None:
    ax.set_xscale("log")
    ax.set_xticks(densities)
    ax.set_xticklabels([f"{100 * d:g}%" for d in densities], rotation=0)
    ax.minorticks_off()
    ax.invert_xaxis()
    ax.set_xlabel("density (kept weights)")


def dense_band(ax, dense: np.ndarray) -> None:
    mean, se = mean_se(dense)
    ax.axhspan(mean - se, mean + se, color="0.8", alpha=0.6, lw=0)
    ax.axhline(mean, color="0.5", lw=0.8, ls="--", label="dense")


def draw(results: dict[str, np.ndarray]) -> Figure:
    densities, pruners = results["densities"], [str(p) for p in results["pruners"]]
    problems = [name for name in TITLES if f"{name}_error" in results]
    with style():
        fig = Figure(figsize=(7.2, 5.0))
        axes = fig.subplots(2, len(problems))
        for column, name in enumerate(problems):
            top, bottom = axes[0, column], axes[1, column]
            dense_band(top, results[f"{name}_dense"])
            for i, pruner in enumerate(pruners):
                mean, se = mean_se(results[f"{name}_error"][i])
                top.errorbar(densities, mean, yerr=se, marker=MARKERS[pruner], ms=3.5, label=LABELS[pruner])
                if f"{name}_precision" in results:
                    mean, se = mean_se(results[f"{name}_precision"][i])
                    bottom.errorbar(densities, mean, yerr=se, marker=MARKERS[pruner], ms=3.5)
            density_axis(top, densities)
            top.set(title=TITLES[name], ylabel=YLABELS[name])
            if f"{name}_precision" in results:
                density_axis(bottom, densities)
                bottom.set(ylabel="kept weights on the true support", ylim=(-0.03, 1.03))
            else:
                bottom.axis("off")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        axes[1, -1].legend(handles, labels, loc="center", title=f"{results[f'{problems[0]}_error'].shape[2]} "
                           "repetitions, mean ± se")
    return fig
