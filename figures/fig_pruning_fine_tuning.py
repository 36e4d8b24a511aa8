"""Figure and table (K2): each pruner's mask against its probabilistically fine-tuned version.

Per problem: test error against density for the baseline masks (dashed, open markers) and the
fine-tuned masks thresholded back to the density (solid); crosses mark the stochastic masks before
thresholding; the grey band is the dense reference network (mean ± se). Means over repetitions.
`table` gives the same means for the paper's table, one row per problem, pruner and density.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.fig_pruning_density import LABELS, MARKERS, TITLES, YLABELS, dense_band, density_axis, mean_se
from figures.style import style



def table(results: dict[str, np.ndarray]) -> tuple[str, list[str], list[list[str]]]:
    """(caption, header, rows): mean test errors, one row per problem, pruner and density."""
    densities, pruners = results["densities"], [str(p) for p in results["pruners"]]
    problems = [name for name in TITLES if f"{name}_baseline" in results]
    n_seeds = results[f"{problems[0]}_baseline"].shape[2]
    header = ["problem", "pruner", "density", "baseline", "fine-tuned", "thresholded"]
    rows = [[TITLES[name].split()[0], LABELS[pruner], f"{100 * density:g}%"]
            + [f"{results[f'{name}_{kind}'][i, j].mean():.3g}" for kind in ("baseline", "stochastic", "thresholded")]
            for name in problems for i, pruner in enumerate(pruners) for j, density in enumerate(densities)]
    caption = (f"Mean test error over {n_seeds} repetitions: each baseline mask, its probabilistically fine-tuned "
               "stochastic mask, and the fine-tuned mask thresholded back to the density.")
    return caption, header, rows


def draw(results: dict[str, np.ndarray]) -> Figure:
    densities, pruners = results["densities"], [str(p) for p in results["pruners"]]
    problems = [name for name in TITLES if f"{name}_baseline" in results]
    with style():
        fig = Figure(figsize=(7.2, 3.9))
        axes = fig.subplots(1, len(problems), squeeze=False)[0]
        for ax, name in zip(axes, problems):
            dense_band(ax, results[f"{name}_dense"])
            for i, pruner in enumerate(pruners):
                mean, se = mean_se(results[f"{name}_thresholded"][i])
                (line,) = ax.plot(densities, mean, marker=MARKERS[pruner], ms=3.5, label=LABELS[pruner])
                ax.errorbar(densities, mean, yerr=se, fmt="none", color=line.get_color())
                ax.plot(densities, results[f"{name}_baseline"][i].mean(axis=-1), ls="--", lw=0.9,
                        marker=MARKERS[pruner], ms=3.5, mfc="white", color=line.get_color())
                ax.plot(densities, results[f"{name}_stochastic"][i].mean(axis=-1), ls="none", marker="x", ms=3.5,
                        color=line.get_color())
            density_axis(ax, densities)
            ax.set(title=TITLES[name], ylabel=YLABELS[name])
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncols=4,
                   title="solid: fine-tuned and thresholded; dashed: baseline mask; x: before thresholding")
    return fig
