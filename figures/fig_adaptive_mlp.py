"""Figure (E6): sparsifying an MLP — density and validation error against the epoch, per method.

The dense baseline trains first; every adaptive method continues from its weights, so its epochs are
drawn after the baseline's. (a) Fraction of non-zero weights of the pruned network (log scale) with
the 10 % line. (b) Validation
error of the pruned network, with the dense baseline's final error and that + 3 points. (c) Final test
error against final density, one point per method: the claim's box is the lower left.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from figures.style import style

DENSITY_BOUND, ERROR_MARGIN = 0.10, 0.03  # as in simulations.adaptive_checks (the figure reads arrays only)
LABELS = {"dense": "dense", "logsum": "log-sum", "eta_trick": r"$\eta$-trick", "adaptive_tikhonov": "adapt. Tikhonov",
          "adaptive_prox": "adapt. prox", "vd_plain": "VD plain", "vd_local": "VD local rep.",
          "vd_additive": "VD additive"}
STYLES = {"vd_plain": ":", "vd_local": "--", "vd_additive": "-."}


def draw(results: dict[str, np.ndarray]) -> Figure:
    methods = [str(name) for name in results["methods"]]
    dense = methods.index("dense")
    baseline = float(results["test_error"][dense])
    offset = int(results["dense_epochs"])
    with style():
        fig = Figure(figsize=(9.6, 3.4))
        density, error, table = fig.subplots(1, 3, gridspec_kw={"width_ratios": (1, 1, 0.8)})
        for row, method in enumerate(methods):
            epochs = np.arange(1, results["density"].shape[1] + 1) + (0 if method == "dense" else offset)
            line = dict(color="k" if method == "dense" else f"C{(row - 1) % 8}", ls=STYLES.get(method, "-"),
                        lw=1.0 if method == "dense" else 1.3)
            density.plot(epochs, results["density"][row], label=LABELS.get(method, method), **line)
            error.plot(epochs, results["val_error"][row], **line)
            table.plot(results["final_density"][row], results["test_error"][row], "o", color=line["color"])
        for ax in (density, error):
            ax.axvline(offset + 0.5, color="0.5", lw=0.6)
        density.axhline(DENSITY_BOUND, color="C3", ls="--", lw=0.8)
        density.set_yscale("log")
        density.set(xlabel="epoch (adaptive methods start from the dense net)", ylabel="fraction of non-zero weights",
                    title="(a) density of the pruned net")
        fig.legend(*density.get_legend_handles_labels(), loc="outside lower center", ncol=len(methods))
        error.axhline(baseline + ERROR_MARGIN, color="C3", ls="--", lw=0.8)
        error.set_ylim(0, min(1.0, 3 * (baseline + ERROR_MARGIN)))
        error.set(xlabel="epoch", ylabel="validation error (pruned net)", title="(b) validation error")
        table.axvline(DENSITY_BOUND, color="C3", ls="--", lw=0.8)
        table.axhline(baseline + ERROR_MARGIN, color="C3", ls="--", lw=0.8)
        table.set_xscale("log")
        table.set(xlabel="final density", ylabel=f"test error (n = {int(results['n_test'])})",
                  title="(c) test error vs density")
    return fig
