"""Figure and table (K2): each pruner's mask against its probabilistically fine-tuned version.

Top, per problem: test error against density for the baseline masks (dashed, open markers) and the
fine-tuned masks thresholded back to the density (solid); crosses mark the stochastic masks before
thresholding; the grey band is the dense reference network (mean ± se). Means over repetitions.
Bottom: the same means as a table (fixed-width text), "baseline / before / after thresholding" per
problem, pruner and density.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.fig_pruning_density import LABELS, MARKERS, TITLES, YLABELS, dense_band, density_axis, mean_se
from figures.style import style

LABEL_WIDTH, CELL_WIDTH = 34, 26


def table_text(results, problems, pruners, densities) -> str:
    """The table as fixed-width text: one row per problem and pruner, one column per density."""
    header = ["problem: pruner".ljust(LABEL_WIDTH)] + [f"density {100 * d:g}%".center(CELL_WIDTH) for d in densities]
    lines = ["".join(header)]
    for name in problems:
        for i, pruner in enumerate(pruners):
            cells = [" / ".join(f"{results[f'{name}_{kind}'][i, j].mean():.3g}"
                                for kind in ("baseline", "stochastic", "thresholded")).center(CELL_WIDTH)
                     for j in range(len(densities))]
            lines.append(f"{TITLES[name].split()[0]}: {LABELS[pruner]}".ljust(LABEL_WIDTH) + "".join(cells))
    return "\n".join(lines)


def draw(results: dict[str, np.ndarray]) -> Figure:
    densities, pruners = results["densities"], [str(p) for p in results["pruners"]]
    problems = [name for name in TITLES if f"{name}_baseline" in results]
    with style():
        fig = Figure(figsize=(7.2, 6.8))
        grid = fig.add_gridspec(2, len(problems), height_ratios=(1.0, 0.9))
        for column, name in enumerate(problems):
            ax = fig.add_subplot(grid[0, column])
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
        table_ax = fig.add_subplot(grid[1, :])
        table_ax.axis("off")
        n_seeds = results[f"{problems[0]}_baseline"].shape[2]
        table_ax.set_title(f"mean test error over {n_seeds} repetitions: baseline / before / after thresholding",
                           fontsize=8)
        table_ax.text(0.5, 0.5, table_text(results, problems, pruners, densities), family="monospace",
                      fontsize=6.0 if len(densities) < 5 else 4.6, ha="center", va="center", multialignment="left",
                      transform=table_ax.transAxes)
    return fig
