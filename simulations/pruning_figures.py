"""The experiments of claim family K: pruning at initialisation (K1) and probabilistic fine-tuning (K2).

`run_experiment(kind, seed, **settings)` runs experiment K1 or K2 on three problems with every pruner
of `simulations.pruners.PRUNERS`, every density and `n_seeds` independent repetitions (data,
initialisation and pruning drawn afresh), all from ``np.random.SeedSequence(seed)``. It is memoised in
the process. The registry's figure simulations ``f(seed, **settings) -> dict[str, np.ndarray]``,
`pruning_at_initialisation` and `probabilistic_fine_tuning`, run it with the experiment seed that the
claim's check draws first from its stream `claim_rng(seed, claim)`: the figure of a root seed shows the
very run its check verified, and `sparsetheory paper` computes each experiment once.

  linear     teacher–student regression y = xᵀw* + ε, x ~ N(0, I_d), d = 100, n = 100 training
             examples, w* with 5 non-zeros of magnitude U(0.5, 1.5) and random signs, ε ~ N(0, 0.5²);
             student: the linear model (no bias), L(w) = (1/n)||y − Xw||². Test error: the exact
             population risk E(y − xᵀw)² = ||w − w*||² + σ². True support: the 5 non-zeros of w*.
  two_layer  teacher–student regression y = Σ_k a_k relu(v_kᵀx) + ε, x ~ N(0, I_20), three teacher
             units reading two inputs each (weights ±1, a = (1, −1, 1)), ε ~ N(0, 0.1²), n = 200;
             student 20-16-1 ReLU network with biases whose first layer is pruned. Test error: mean
             squared error on 2000 fresh examples. True support: first-layer weights from the 6 inputs
             the teacher reads.
  digits     scikit-learn's digits (8×8 images, pixels/16), a random split of 1000 training and 797
             test images per repetition; a 64-h-10 ReLU network with biases, cross-entropy, both
             layers pruned. Test error: the misclassification rate on the test images.

Training: minibatch SGD (`simulations.mlp`) with the problem's step size and batch size for
`epochs` epochs; a pruner that trains (K-starts, dissipating gradients) spends part of that budget.
Pruning is per layer (scope "layer").

K1 (pruning at initialisation): each pruner masks the initial network; the masked network is trained
for the rest of the budget; arrays `<problem>_error` (P, D, S) hold the test errors, `<problem>_precision`
(teacher–student problems) the fraction of kept weights that lie on the true support, `<problem>_dense`
(S,) the error of the dense network trained for the whole budget.

K2 (probabilistic fine-tuning): the dense network trained for the whole budget is the reference;
random, magnitude and SNIP score the reference weights, K-starts and dissipating gradients return the
mask their training from the same initial weights selects. From each mask, keep probabilities are
fine-tuned with the reference weights fixed (`simulations.fine_tuning`: exact gradients for the
linear model, flip-difference Monte Carlo gradients for the networks) and thresholded back to the
density. Arrays (P, D, S): `<problem>_baseline` (the pruner's mask), `<problem>_stochastic` (the
stochastic mask before thresholding: exact expected risk for the linear model, the mean over
`eval_masks` sampled masks for the networks) and `<problem>_thresholded`; `<problem>_dense` (S,).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from simulations import mlp
from simulations.fine_tuning import FineTuneSettings, fine_tune_linear, fine_tune_network
from simulations.pruners import PRUNERS, PruneSettings, prune, top_k_masks
from sparsetheory.runner import claim_rng

PROBLEMS = ("linear", "two_layer", "digits")
SCORE_PRUNERS = ("random", "magnitude", "snip")  # K2: these score the reference network's weights
LINEAR = dict(d=100, n=100, active=5, noise=0.5)
TWO_LAYER = dict(inputs=20, hidden=16, n=200, n_test=2000, noise=0.1, reads=2, teacher_signs=(1.0, -1.0, 1.0))
DIGITS_TRAIN = 1000


@dataclass(frozen=True)
class Problem:
    """A problem: architecture, loss and the SGD that trains it; `prunable` flags the pruned layers."""

    name: str
    sizes: tuple[int, ...]
    loss: str
    bias: bool
    prunable: tuple[bool, ...]
    lr: float
    batch_size: int


def problem(name: str, hidden: int) -> Problem:
    """The problem `name` (module docstring); `hidden` is the digits network's width."""
    if name == "linear":
        return Problem("linear", (LINEAR["d"], 1), "mse", False, (True,), 0.05, 20)
    if name == "two_layer":
        return Problem("two_layer", (TWO_LAYER["inputs"], TWO_LAYER["hidden"], 1), "mse", True, (True, False),
                       0.05, 20)
    if name == "digits":
        return Problem("digits", (64, hidden, 10), "cross_entropy", True, (True, True), 0.2, 64)
    raise ValueError(f"problem must be one of {PROBLEMS}, got {name!r}")


@cache
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits: images (1797, 64) scaled to [0, 1] and labels (1797,).

    Reads the file that `sklearn.datasets.load_digits` reads (pixel columns, then the label), located
    with `importlib.util.find_spec`, which does not import scikit-learn (an import of seconds).
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the digits data come with scikit-learn: pip install scikit-learn")
    table = np.loadtxt(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz", delimiter=",")
    return table[:, :-1] / 16.0, table[:, -1].astype(np.int64)


def sample_data(name: str, n_seeds: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Training and test data of `n_seeds` repetitions stacked on the first axis, and for the
    teacher–student problems the true support of the pruned layer ("support", the weights' shape)
    and the teacher ("teacher")."""
    if name == "linear":
        d, n, active = LINEAR["d"], LINEAR["n"], LINEAR["active"]
        teacher = np.zeros((n_seeds, d))
        for row in teacher:
            row[rng.choice(d, active, replace=False)] = rng.uniform(0.5, 1.5, active) * rng.choice((-1.0, 1.0), active)
        X = rng.standard_normal((n_seeds, n, d))
        y = np.einsum("snd,sd->sn", X, teacher) + LINEAR["noise"] * rng.standard_normal((n_seeds, n))
        return dict(X=X, Y=y[..., None], teacher=teacher, support=(teacher != 0)[:, None, :])
    if name == "two_layer":
        D, reads, signs = TWO_LAYER["inputs"], TWO_LAYER["reads"], np.array(TWO_LAYER["teacher_signs"])
        units = len(signs)
        teacher = np.zeros((n_seeds, units, D))
        for row in teacher:
            inputs = rng.choice(D, units * reads, replace=False).reshape(units, reads)
            for unit, read in enumerate(inputs):
                row[unit, read] = rng.choice((-1.0, 1.0), reads)
        total = TWO_LAYER["n"] + TWO_LAYER["n_test"]
        X = rng.standard_normal((n_seeds, total, D))
        y = np.maximum(np.einsum("snd,sud->snu", X, teacher), 0.0) @ signs
        y = y + TWO_LAYER["noise"] * rng.standard_normal(y.shape)
        relevant = np.any(teacher != 0, axis=1)  # (S, D)
        support = np.broadcast_to(relevant[:, None, :], (n_seeds, TWO_LAYER["hidden"], D))
        n = TWO_LAYER["n"]
        return dict(X=X[:, :n], Y=y[:, :n, None], X_test=X[:, n:], Y_test=y[:, n:, None], teacher=teacher,
                    support=support)
    if name == "digits":
        images, labels = digits()
        order = np.stack([rng.permutation(len(labels)) for _ in range(n_seeds)])
        train, test = order[:, :DIGITS_TRAIN], order[:, DIGITS_TRAIN:]
        return dict(X=images[train], Y=labels[train], X_test=images[test], Y_test=labels[test])
    raise ValueError(f"problem must be one of {PROBLEMS}, got {name!r}")


def test_error(spec: Problem, data: dict, params: mlp.Params, masks, index: np.ndarray) -> np.ndarray:
    """Test error of each network; network b belongs to repetition index[b] (module docstring)."""
    masks = mlp.check_masks(params, masks)
    if spec.name == "linear":
        weights = params.weights[0][:, 0, :] * masks[0][:, 0, :]
        return np.sum((weights - data["teacher"][index]) ** 2, axis=1) + LINEAR["noise"] ** 2
    return mlp.test_error(params, data["X_test"][index], data["Y_test"][index], spec.loss, masks)


def precision(data: dict, masks, index: np.ndarray, layer: int = 0) -> np.ndarray:
    """Fraction of the kept weights of `layer` that lie on the true support."""
    kept = masks[layer] > 0
    return np.sum(kept & data["support"][index], axis=(1, 2)) / np.sum(kept, axis=(1, 2))


def _concat(parts: list[mlp.Params]) -> mlp.Params:
    weights = [np.concatenate(layer) for layer in zip(*(p.weights for p in parts))]
    biases = None if parts[0].biases is None else [np.concatenate(layer) for layer in zip(*(p.biases for p in parts))]
    return mlp.Params(weights, biases)


def _grid(densities, n_seeds: int) -> tuple[np.ndarray, np.ndarray]:
    """Networks ordered (density, repetition): the density and the repetition of each."""
    densities = np.asarray(densities, dtype=np.float64)
    return np.repeat(densities, n_seeds), np.tile(np.arange(n_seeds), len(densities))


def _prune_settings(spec: Problem, prune_epochs: int, starts: int, fraction: float) -> PruneSettings:
    return PruneSettings(scope="layer", prunable=spec.prunable, lr=spec.lr, batch_size=spec.batch_size,
                         starts=starts, epochs=prune_epochs, fraction=fraction)


def _check_settings(densities, n_seeds, epochs, prune_epochs) -> None:
    if len(densities) < 1:
        raise ValueError("densities must name at least one density")
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 2:
        raise ValueError(f"n_seeds must be an integer ≥ 2, got {n_seeds!r}")
    if not isinstance(epochs, int) or not isinstance(prune_epochs, int) or epochs < 2 * prune_epochs + 1:
        raise ValueError(f"epochs must be an integer > 2·prune_epochs = {2 * prune_epochs}, got {epochs!r}")


def _pai_problem(name: str, rng, *, densities, n_seeds, epochs, prune_epochs, starts, fraction, hidden):
    spec = problem(name, hidden)
    data = sample_data(name, n_seeds, rng)
    settings = _prune_settings(spec, prune_epochs, starts, fraction)
    density, index = _grid(densities, n_seeds)
    initial = mlp.init_params(spec.sizes, n_seeds, rng, bias=spec.bias).take(index)
    X, Y = data["X"][index], data["Y"][index]
    pruned = [prune(pruner, initial, X, Y, spec.loss, density, rng, settings) for pruner in PRUNERS]
    errors, kept = [None] * len(PRUNERS), [None] * len(PRUNERS)
    for used in sorted({used for _, _, used in pruned}):
        members = [i for i, (_, _, u) in enumerate(pruned) if u == used]
        masks = [np.concatenate(layer) for layer in zip(*(pruned[i][0] for i in members))]
        start = _concat([pruned[i][1] for i in members])
        repeat = np.tile(np.arange(len(index)), len(members))
        trained = mlp.train(start, X[repeat], Y[repeat], spec.loss, epochs=epochs - used, lr=spec.lr,
                            batch_size=spec.batch_size, rng=rng, masks=masks)
        error = test_error(spec, data, trained, masks, index[repeat]).reshape(len(members), len(densities), n_seeds)
        for position, i in enumerate(members):
            errors[i] = error[position]
            kept[i] = [m.reshape(len(members), len(index), *m.shape[1:])[position] for m in masks]
    dense = mlp.train(initial.take(np.arange(n_seeds)), data["X"], data["Y"], spec.loss, epochs=epochs,
                      lr=spec.lr, batch_size=spec.batch_size, rng=rng)
    out = {f"{name}_error": np.stack(errors),
           f"{name}_dense": test_error(spec, data, dense, None, np.arange(n_seeds))}
    if "support" in data:
        out[f"{name}_precision"] = np.stack([precision(data, m, index).reshape(len(densities), n_seeds) for m in kept])
    return out


def linear_keep_risk(teacher: np.ndarray, weights: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """E_m ||m⊙w − w*||² + σ² per row: M2's expected loss for the population design (XᵀX = nI, y = Xw*),
    ||p⊙w − w*||² + Σ_j p_j(1 − p_j)w_j², plus the noise."""
    return np.sum((keep * weights - teacher) ** 2 + keep * (1 - keep) * weights**2, axis=1) + LINEAR["noise"] ** 2


def _fine_tune_problem(name: str, rng, *, densities, n_seeds, epochs, prune_epochs, starts, fraction, hidden,
                       steps, lr, uncertainty, batch_size, eval_masks):
    spec = problem(name, hidden)
    data = sample_data(name, n_seeds, rng)
    settings = _prune_settings(spec, prune_epochs, starts, fraction)
    tuning = FineTuneSettings(steps=steps, lr=lr, uncertainty=uncertainty, batch_size=batch_size)
    density, index = _grid(densities, n_seeds)
    initial = mlp.init_params(spec.sizes, n_seeds, rng, bias=spec.bias)
    reference = mlp.train(initial, data["X"], data["Y"], spec.loss, epochs=epochs, lr=spec.lr,
                          batch_size=spec.batch_size, rng=rng)
    X, Y = data["X"][index], data["Y"][index]
    masks = []
    for pruner in PRUNERS:
        start = reference if pruner in SCORE_PRUNERS else initial
        masks.append(prune(pruner, start.take(index), X, Y, spec.loss, density, rng, settings)[0])
    P = len(PRUNERS)
    all_index = np.tile(index, P)
    all_density = np.tile(density, P)
    baseline_masks = [np.concatenate(layer) for layer in zip(*masks)]
    networks = reference.take(all_index)
    if name == "linear":
        w = networks.weights[0][:, 0, :]
        keep = fine_tune_linear(data["X"][all_index], data["Y"][all_index, :, 0], w, baseline_masks[0][:, 0, :],
                                tuning)
        keeps = [keep[:, None, :]]
        stochastic = linear_keep_risk(data["teacher"][all_index], w, keep)
    else:
        keeps = fine_tune_network(networks, baseline_masks, data["X"][all_index], data["Y"][all_index], spec.loss,
                                  tuning, settings, rng)
        samples = [test_error(spec, data, networks, [(rng.random(p.shape) < p).astype(np.float64) for p in keeps],
                              all_index) for _ in range(eval_masks)]
        stochastic = np.mean(samples, axis=0)
    thresholded = top_k_masks(keeps, all_density, settings)
    shape = (P, len(densities), n_seeds)
    return {f"{name}_baseline": test_error(spec, data, networks, baseline_masks, all_index).reshape(shape),
            f"{name}_stochastic": stochastic.reshape(shape),
            f"{name}_thresholded": test_error(spec, data, networks, thresholded, all_index).reshape(shape),
            f"{name}_dense": test_error(spec, data, reference, None, np.arange(n_seeds))}


def experiment_seed(rng: np.random.Generator) -> int:
    """The seed of a claim's experiment: the first draw of the claim's random stream."""
    return int(rng.integers(2**63))


@lru_cache(maxsize=4)
def _experiment(kind: str, seed: int, settings: tuple) -> dict[str, np.ndarray]:
    settings = dict(settings)
    _check_settings(settings["densities"], settings["n_seeds"], settings["epochs"], settings["prune_epochs"])
    run = _pai_problem if kind == "K1" else _fine_tune_problem
    children = np.random.SeedSequence(seed).spawn(len(PROBLEMS))
    out = dict(densities=np.asarray(settings["densities"], dtype=np.float64), pruners=np.array(PRUNERS))
    for name, child in zip(PROBLEMS, children):
        out |= run(name, np.random.default_rng(child), **settings)
    return out


def run_experiment(kind: str, seed: int, **settings) -> dict[str, np.ndarray]:
    """Experiment K1 (`_pai_problem`) or K2 (`_fine_tune_problem`) on every problem from `seed`.

    Memoised in the process: the check of a claim and the figure of the same run compute it once.
    Returns fresh copies of the arrays.
    """
    if kind not in ("K1", "K2"):
        raise ValueError(f"kind must be 'K1' or 'K2', got {kind!r}")
    frozen = tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in settings.items()))
    return {key: value.copy() for key, value in _experiment(kind, seed, frozen).items()}


def pruning_at_initialisation(seed: int, *, densities, n_seeds: int, epochs: int, prune_epochs: int, starts: int,
                              fraction: float, hidden: int) -> dict[str, np.ndarray]:
    """Figure data of K1: the experiment that K1's check runs for the root seed `seed` (its experiment seed is
    the first draw of `claim_rng(seed, "K1")`, as in the check), so figure and verdict show the same run."""
    return run_experiment("K1", experiment_seed(claim_rng(seed, "K1")), densities=densities, n_seeds=n_seeds,
                          epochs=epochs, prune_epochs=prune_epochs, starts=starts, fraction=fraction, hidden=hidden)


def probabilistic_fine_tuning(seed: int, *, densities, n_seeds: int, epochs: int, prune_epochs: int, starts: int,
                              fraction: float, hidden: int, steps: int, lr: float, uncertainty: float,
                              batch_size: int, eval_masks: int) -> dict[str, np.ndarray]:
    """Figure data of K2: the experiment that K2's check runs for the root seed `seed` (see K1's)."""
    return run_experiment("K2", experiment_seed(claim_rng(seed, "K2")), densities=densities, n_seeds=n_seeds,
                          epochs=epochs, prune_epochs=prune_epochs, starts=starts, fraction=fraction, hidden=hidden,
                          steps=steps, lr=lr, uncertainty=uncertainty, batch_size=batch_size,
                          eval_masks=eval_masks)
