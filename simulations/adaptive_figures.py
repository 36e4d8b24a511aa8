"""The data behind the figures of claims E3 and E6 (registry signature f(seed, **settings) -> dict of arrays).

fig_adaptive_irls (E3). One sparse-regression problem (simulations.adaptive_checks.sparse_problem, with the
  universal threshold λ₀ for that single problem). For each penalty of IRLS_PENALTIES, IRLS from keep ½:
  the objective gap F(w^k) − F(w^K) and the step max_j |u^{k+1}_j − u^k_j| per iteration (NaN after the
  last one). For the log-sum penalty also sampled-dropout SGD (simulations.adaptive_dropout): its keep
  rates α_j at the end of each epoch and its final u, beside the IRLS limit and the truth u*_j = ||x_j||w*_j.
fig_adaptive_mlp (E6). The dense baseline and every adaptive method of simulations.adaptive_mlp on the
  bundled digits (or MNIST from `mnist_path`): density and validation error (pruned weights) per epoch,
  final test error and density.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from simulations.adaptive_checks import SGD, e3_penalty, sparse_problem, universal_threshold
from simulations.adaptive_dropout import adaptive_dropout_sgd, irls

IRLS_PENALTIES = ("lp", "logsum", "mcp", "scad", "vardrop")
SGD_PENALTY = "logsum"


def _sizes(**sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")


def irls_traces(seed: int, n: int, d: int, sgd_epochs: int) -> dict[str, np.ndarray]:
    """IRLS traces for several penalties and the sampled-dropout SGD run for the log-sum penalty.

    Returns penalties (P,) names; lam (P,); iterations (P,); objective_gap (P, K+1) and step (P, K), NaN
    past each run's end (K the longest run); u_irls (P, d); teacher_u (d,) = ||x_j||w*_j; sgd_keep (E+1, d)
    and sgd_u (d,) for SGD_PENALTY; support_keep (0-d) = ½, the keep rate that reads off SGD's support.
    """
    _sizes(n=n, d=d, sgd_epochs=sgd_epochs)
    rng = np.random.default_rng(seed)
    X, y, teacher = sparse_problem(rng, n, d)
    threshold = universal_threshold(d, 1)
    with threadpool_limits(1):
        runs = [irls(X, y, *e3_penalty(name, threshold)) for name in IRLS_PENALTIES]
        penalty, lam = e3_penalty(SGD_PENALTY, threshold)
        sgd = adaptive_dropout_sgd(X, y, penalty, lam, rng, epochs=sgd_epochs, **SGD)
    longest = max(run.iterations for run in runs)
    gap = np.full((len(runs), longest + 1), np.nan)
    step = np.full((len(runs), longest), np.nan)
    for row, run in enumerate(runs):
        gap[row, : run.iterations + 1] = run.objective - run.objective[-1]
        step[row, : run.iterations] = run.step
    return dict(
        penalties=np.array(IRLS_PENALTIES), lam=np.array([e3_penalty(name, threshold)[1] for name in IRLS_PENALTIES]),
        iterations=np.array([run.iterations for run in runs]), objective_gap=gap, step=step,
        u_irls=np.stack([run.u for run in runs]), teacher_u=np.linalg.norm(X, axis=0) * teacher,
        sgd_keep=sgd.keep, sgd_u=sgd.final_u, support_keep=np.array(0.5),
    )


def mlp_curves(seed: int, hidden: list[int], dense_epochs: int, epochs: int, batch: int, step: float,
               mnist_path: str | None = None) -> dict[str, np.ndarray]:
    """Training curves of the dense baseline and the adaptive methods (simulations.adaptive_mlp).

    Settings: hidden widths (e.g. [100, 100] for digits, [300, 100] for LeNet-300-100 on MNIST), epochs
    of the baseline and of each adaptive method (started from the baseline), minibatch, Adam step, and
    `mnist_path`: an .npz with x_train, y_train, x_test, y_test (None: the bundled digits).

    Returns methods (M,) with "dense" first; density and val_error (M, E) per epoch, NaN past a method's
    last epoch (the baseline runs dense_epochs, the others `epochs`, continuing from it); test_error,
    final_density (M,); n_test, dense_epochs (0-d).
    """
    from simulations import adaptive_mlp as mlp

    _sizes(dense_epochs=dense_epochs, epochs=epochs, batch=batch)
    rng = np.random.default_rng(seed)
    split = mlp.load_split(rng, mnist_path)
    common = dict(hidden=tuple(hidden), batch=batch, step=step)
    dense_config = mlp.TrainConfig(epochs=dense_epochs, **common)
    config = mlp.TrainConfig(epochs=epochs, **common)
    with mlp.torch_threads(1):
        results = mlp.train_methods(split, dense_config, config, rng)
    methods = list(results)
    length = max(dense_epochs, epochs)

    def padded(key: str) -> np.ndarray:
        out = np.full((len(methods), length), np.nan)
        for row, method in enumerate(methods):
            out[row, : len(results[method][key])] = results[method][key]
        return out

    return dict(
        methods=np.array(methods), density=padded("density"), val_error=padded("val_error"),
        test_error=np.array([float(results[m]["test_error"]) for m in methods]),
        final_density=np.array([float(results[m]["final_density"]) for m in methods]),
        n_test=np.array(len(split.y_test)), dense_epochs=np.array(dense_epochs),
    )
