"""How to call every public function of theory/ and of the simulation core validly, for the fuzz test.

A call is built from the function's signature: each parameter takes the example of its conventional
name (EXAMPLES), unless the function has an override (OVERRIDES). Parameters with a default and no
example are left at their default. DOMAINS states, by parameter name, which values are valid: a
corrupted value outside its domain must be refused. Callables with nothing to fuzz (records the library
returns, derivations without arguments) are listed in EXEMPT with the reason.

Covering a new module is one line in MODULES (plus overrides for its unusual parameters): the
coverage test fails until every public callable of a covered module can be called.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any, Callable

import numpy as np

MODULES = (
    "theory.dropout",
    "theory.gates",
    "theory.masked_loss",
    "theory.masks",
    "theory.pac_bayes",
    "theory.penalties",
    "theory.penalty_duals",
    "theory.penalty_derivations",
    "theory.adaptive_derivations",
    "theory.pac_bayes_learning",
    "theory.pruning",
    "theory.derivation",
    "theory.validation",
    "simulations.adaptive_dropout",
    "simulations.adaptive_mlp",
    "simulations.fine_tuning",
    "simulations.gates",
    "simulations.linear",
    "simulations.mlp",
    "simulations.pac_bayes_learning",
    "simulations.pruners",
    "simulations.stochastic_masks",
    "simulations.two_layer_masks",
)

N, D = 6, 3  # rows and columns of the example data


def _normal(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _params():
    from simulations import mlp

    return mlp.init_params((D, 4, 2), 2, np.random.default_rng(0))


def _masks():
    return [np.ones_like(weight) for weight in _params().weights]


def _network(seed: int = 0):
    from simulations.two_layer_masks import random_network

    return random_network(np.random.default_rng(seed), D, 4, 0.7, 0.5)


def _pac_split():
    from simulations.pac_bayes_learning import teacher_split

    return teacher_split(np.random.default_rng(0), 8, 8, d=D, reference=50)


def _mlp_split():
    from simulations.adaptive_mlp import Split

    rng = np.random.default_rng(0)
    return Split(*(array for _ in range(3)
                   for array in (rng.standard_normal((8, D)).astype(np.float32), rng.integers(0, 2, 8))))


def _train_config():
    from simulations.adaptive_mlp import TrainConfig

    return TrainConfig(hidden=(4,), epochs=1, batch=4, kl_warmup=1)


def _prune_settings():
    from simulations.pruners import PruneSettings

    return PruneSettings(batch_size=4, snip_batch=4, starts=2, epochs=1)


def _penalty():
    from theory.penalties import get_penalty

    return get_penalty("logsum", eps=1.0)


def _irls_result():
    from simulations.adaptive_dropout import irls

    return irls(_normal(N, D), _normal(N, seed=1), _penalty(), 0.1, max_iter=50)


def _gate():
    from theory.gates import hard_concrete_gate_family

    return hard_concrete_gate_family()


# Valid examples by conventional parameter name; each is a factory, so every call gets fresh arrays.
EXAMPLES: dict[str, Callable[[], Any]] = {
    "X": lambda: _normal(N, D), "Xn": lambda: _normal(N, D), "Xb": lambda: _normal(N, D),
    "y": lambda: _normal(N, seed=1), "yb": lambda: _normal(N, seed=1), "Y": lambda: _normal(N, 2, seed=1),
    "w": lambda: np.array([0.8, -0.3, 1.5]), "u": lambda: np.array([0.5, -1.0, 2.0]),
    "alignment": lambda: np.array([1.0, -0.2, 0.6]), "a": lambda: np.array([0.4, -1.0, 2.0]),
    "keep": lambda: np.array([0.6, 0.3, 0.9]), "keep0": lambda: np.array([0.5, 0.5, 0.5]),
    "prior_keep": lambda: np.array([0.5, 0.5, 0.5]), "eta": lambda: np.array([0.5, 1.0, 2.0]),
    "log_alpha": lambda: np.array([-1.0, 0.0, 2.0]), "noise": lambda: np.array([0.2, 0.5, 0.9]),
    "mu": lambda: np.array([-1.0, 0.0, 2.0]), "sigma": lambda: 0.5,
    "mu_q": lambda: np.array([0.1, 0.2]), "sigma_q": lambda: np.array([0.5, 1.0]),
    "mu_p": lambda: np.zeros(2), "sigma_p": lambda: np.ones(2),
    "q": lambda: 0.2, "p": lambda: 0.3, "kl": lambda: 2.0, "n": lambda: 20, "d": lambda: D,
    "delta": lambda: 0.05, "delta_mc": lambda: 0.025, "delta_pb": lambda: 0.025, "delta_bound": lambda: 0.025,
    "emp_risk": lambda: 0.1, "emp_risk_mc": lambda: 0.1, "c": lambda: 0.3,
    "beta": lambda: 2 / 3, "gamma": lambda: -0.1, "zeta": lambda: 1.1, "lam": lambda: 0.1,
    "energy": lambda: 1.0, "scale": lambda: 1.0, "eps": lambda: 1.0, "step": lambda: 0.1,
    "lr": lambda: 0.05, "density": lambda: 0.5, "n_samples": lambda: 50, "n_masks": lambda: 20,
    "draws": lambda: 5, "steps": lambda: 3, "epochs": lambda: 1, "max_iter": lambda: 5, "batch": lambda: 4,
    "batch_size": lambda: 4, "n_networks": lambda: 2, "width": lambda: 4, "max_bytes": lambda: 2**20,
    "rng": lambda: np.random.default_rng(0), "masks": lambda: (np.random.default_rng(0).random((8, D)) < 0.5) * 1.0,
    "groups": lambda: np.array([0, 0, 1]), "n_groups": lambda: 2, "mean": lambda: np.array([1.0, -0.5, 0.3]),
    "params": _params, "settings": _prune_settings, "prune_settings": _prune_settings, "penalty": _penalty,
    "split": _pac_split, "config": _train_config, "dense_config": _train_config, "prior": _network,
    "posterior": lambda: _network(1), "network": _network, "loss": lambda: "mse", "kind": lambda: "mask",
    "gate": _gate, "result": _irls_result, "sizes": lambda: (D, 4, 2), "times": lambda: np.linspace(0, 1, 4),
    "lams": lambda: np.array([0.01, 0.1]), "relevant": lambda: 2, "hidden": lambda: 4, "s": lambda: 1.0,
    "omega": lambda: np.array([0.2, 0.4, 0.6]), "count": lambda: np.array([1.0, 2.0]), "value": lambda: 0.5,
    "name": lambda: "logsum",
}

_UNIT = (0.0, 1.0, False, False)  # (low, high, low open, high open)
DOMAINS: dict[str, tuple[float, float, bool, bool]] = {
    **{name: _UNIT for name in ("q", "p", "emp_risk", "emp_risk_mc", "keep0", "prior_keep", "noise")},
    **{name: (0.0, 1.0, True, True) for name in ("delta", "delta_mc", "delta_pb", "delta_bound")},
    "keep": _UNIT, "density": (0.0, 1.0, True, False), "kl": (0.0, np.inf, False, False),
    **{name: (0.0, np.inf, True, False) for name in ("sigma", "lr", "step", "sigma_q", "sigma_p", "eps", "energy",
                                                     "n_samples", "n_masks", "draws", "steps", "batch",
                                                     "batch_size", "n_networks", "width", "max_iter")},
    "n": (1.0, np.inf, False, False), "lam": (0.0, np.inf, False, False),
}

OMIT = object()  # in an override: leave this parameter at its default
EXTRA = "**"  # in an override: extra keyword arguments for a function taking **settings


def _signs(size: int = N, seed: int = 1) -> np.ndarray:
    return np.where(np.random.default_rng(seed).random(size) < 0.5, -1.0, 1.0)


def _posterior():
    from simulations.two_layer_masks import MaskedNetwork

    prior = _network()
    return MaskedNetwork(prior.logits + 0.3, prior.mean, prior.sigma, prior.v)


def _groups_and_values():
    from simulations.pruners import group_matrices

    return group_matrices(_params().weights, _prune_settings())


_TWO_LAYER = {"y": _signs, "n": lambda: N, "posterior": _posterior, "keep": lambda: 0.7,
              "Xb": lambda: _normal(N, D + 1), "learn_mean": lambda: True}
_BATCHED = {"X": lambda: _normal(2, N, D), "y": lambda: _normal(2, N, seed=1), "w": lambda: _normal(2, D, seed=2),
            "masks": lambda: np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]), "settings": lambda: _fine_tune_settings()}


def _fine_tune_settings():
    from simulations.fine_tuning import FineTuneSettings

    return FineTuneSettings(steps=2, batch_size=4)


def _tensor(*values: float):
    import torch

    return torch.tensor(values, dtype=torch.float64)


def _torch_generator():
    import torch

    return torch.Generator().manual_seed(0)


# Parameters whose meaning differs from the convention, by module ("module") or function ("module:name");
# a function's override is merged over its module's, which is merged over EXAMPLES.
OVERRIDES: dict[str, dict[str, Any]] = {
    "simulations.mlp": {"masks": _masks, "Y": lambda: _normal(N, 2, seed=1), "output": lambda: _normal(2, N, 2),
                        "n": lambda: N, "out": lambda: 2},
    "simulations.mlp:loss_values": {"Y": lambda: _normal(2, N, 2, seed=1)},
    "simulations.mlp:output_delta": {"targets": lambda: _normal(2, N, 2, seed=1)},
    "simulations.pruners": {"masks": OMIT, "name": lambda: "magnitude", "size": lambda: 10,
                            "arrays": lambda: _params().weights, "scores": lambda: _params().weights,
                            "groups": _groups_and_values,
                            "values": lambda: [values for _, values in _groups_and_values()],
                            "like": lambda: _params().weights},
    "simulations.stochastic_masks": {"y": _signs},
    "simulations.two_layer_masks": _TWO_LAYER,
    "simulations.two_layer_masks:train_means": {"max_iter": lambda: 3},
    "simulations.two_layer_masks:fit_posterior": {"max_iter": lambda: 3},
    "simulations.two_layer_masks:MaskedNetwork": {"logits": lambda: np.zeros((4, D + 1)),
                                                  "mean": lambda: _normal(4, D + 1), "v": lambda: np.ones(4)},
    "simulations.two_layer_masks:relu_moments": {"s": lambda: np.array([0.5, 1.0, 2.0])},
    "simulations.pac_bayes_learning": {**_TWO_LAYER, "v": lambda: np.array([0.1, 0.2, -0.4]),
                                       "n_train": lambda: 8, "n_test": lambda: 8, "d": lambda: D,
                                       "reference": lambda: 50, "seed": lambda: 0, "sizes": lambda: [10],
                                       "alphas": lambda: [0.5], "repeats": lambda: 1, "beta": lambda: 1.0,
                                       "pretrain": lambda: 10, "alpha": lambda: 0.5, "keep": lambda: 0.5,
                                       "prior_iter": lambda: 2, "posterior_iter": lambda: 2,
                                       "test_draws": lambda: 5, "over": lambda: "alpha",
                                       "grid": lambda: np.array([0.3, 0.5]), "subsample": lambda: 100},
    "simulations.pac_bayes_learning:sweep": {EXTRA: lambda: {
        "keep": 0.5, "sigma": 0.5, "width": 4, "prior_iter": 2, "posterior_iter": 2, "draws": 5, "test_draws": 5}},
    "simulations.fine_tuning": {"kept": lambda: np.array([[1.0, 0.0, 1.0, 0.0]]), "uncertainty": lambda: 0.2,
                                "logits": lambda: np.array([[0.1, -0.5, 0.3, 1.0]]), "count": lambda: np.array([2.0]),
                                "keep": lambda: np.array([[0.6, 0.3, 0.9, 0.2]]),
                                "grad_keep": lambda: np.array([[0.1, -0.2, 0.3, 0.0]])},
    "simulations.fine_tuning:fine_tune_linear": _BATCHED,
    "simulations.fine_tuning:fine_tune_network": {"masks": lambda: _magnitude_masks(), "Y": lambda: _normal(N, 2, seed=1),
                                                  "settings": _fine_tune_settings},
    "simulations.adaptive_dropout": {"masks": lambda: (np.random.default_rng(0).random((N, D)) < 0.5) * 1.0,
                                     "decay_epochs": lambda: 1.0, "batch": lambda: 2},
    "simulations.adaptive_mlp": {"split": _mlp_split, "method": lambda: "logsum", "generator": _torch_generator,
                                 "methods": lambda: ("logsum",), "count": lambda: 1,
                                 "hidden": lambda: (4,),
                                 "eta": lambda: _tensor(0.5, 1.0), "log_alpha": lambda: _tensor(-1.0, 2.0)},
    "simulations.gates": {"shape": lambda: (3,), "loc": lambda: np.array([-1.0, 0.0, 2.0]), "scale": lambda: 2 / 3,
                          "noise": lambda: 0.1, "relevant": lambda: 2, "name": lambda: "capped_l1",
                          "u": lambda: np.array([0.0, 0.5, 2.0]), "params": lambda: (1.0, 1.0),
                          "start": lambda: np.array([1.0, 1.0]), "steps": lambda: 3},
    "simulations.gates:Adam": {"params": lambda: [np.zeros(3)]},
    "simulations.gates:band_disagreements": {"fit": lambda: _gated_fit()},
    "theory.gates": {"prob_nonzero": lambda: np.array([0.3, 0.6]), "gates": lambda: np.array([0.2, 0.9])},
    "theory.pac_bayes:kl_product_bernoulli": {"p": lambda: np.array([0.2, 0.7]), "q": lambda: np.array([0.5, 0.5])},
    "theory.penalties:MCP": {"a": lambda: 3.0},
    "theory.penalties:SCAD": {"a": lambda: 3.7},
    "theory.penalties:Lp": {"p": lambda: 1.5},
    "theory.penalties:TopK": {"k": lambda: 1},
    "theory.penalty_duals:keep_rule_omega": {"rule": lambda: lambda t: 1 / (1 + t)},
    "theory.validation:generator": {"name": OMIT},
    "theory.validation:real_scalar": {"value": lambda: 0.5},
    "theory.validation:keep_probabilities": {"name": OMIT},
    "theory.penalty_duals:solve_increasing": {"fun": lambda: lambda x, index: (x - 0.5, np.ones_like(x)),
                                              "lo": lambda: np.zeros(3), "hi": lambda: np.ones(3),
                                              "max_iter": OMIT},
    "theory.validation": {"value": lambda: np.array([0.5, 1.0]), "name": lambda: "value", "inputs": lambda: "value",
                          "ndim": lambda: 1, "allow_zero": lambda: True},
}

# Parameters whose valid range differs from DOMAINS (None: no range to enforce).
DOMAIN_OVERRIDES: dict[str, dict[str, Any]] = {
    "theory.penalties:Lp": {"p": None},
    "theory.gates": {"noise": None},  # logistic noise E = ln u − ln(1 − u): any real
    "simulations.gates": {"noise": (0.0, np.inf, False, False)},  # a noise standard deviation
    "simulations.two_layer_masks": {"sigma": (0.0, np.inf, False, False)},  # σ = 0: deterministic means
    "simulations.pac_bayes_learning": {"sigma": (0.0, np.inf, False, False)},
    "simulations.fine_tuning": {"keep": (0.0, 1.0, True, True)},
}


def _magnitude_masks():
    from simulations.pruners import magnitude_masks

    return magnitude_masks(_params(), 0.5, _prune_settings())


def _gated_fit():
    from simulations.gates import train_gated_linear

    return train_gated_linear(_normal(N, D), _normal(N, seed=1), np.array([0.01, 0.1]), np.random.default_rng(0),
                              steps=3)


_RECORD = "a record of results the library returns (plain fields, no computation)"
_SYMBOLIC = "symbolic: sympy expressions in and out, no numeric input (derivations are tested in test_*_theory)"
EXEMPT: dict[str, str] = {
    **{key: _RECORD for key in (
        "simulations.adaptive_dropout:IRLSResult", "simulations.adaptive_dropout:SGDResult",
        "simulations.adaptive_mlp:Split", "simulations.pac_bayes_learning:Split", "simulations.gates:GatedLinearFit",
        "simulations.gates:GatedMLP", "simulations.stochastic_masks:Certificate", "simulations.two_layer_masks:Fit",
        "simulations.two_layer_masks:Objective", "simulations.mlp:Params", "theory.gates:GateMoments",
        "theory.gates:PenaltyConstants", "theory.gates:ProfileMinimum", "theory.gates:Base",
        "theory.derivation:Step", "theory.derivation:Derivation")},
    **{f"{module}:{name}": _SYMBOLIC for module, names in (
        ("theory.masked_loss", ("bernoulli_moments", "derive_expected_loss", "explicit_expectation_residual")),
        ("theory.penalty_derivations", ("closed_forms", "eta_trick_residuals", "monotone_is_positive",
                                        "vardrop_dual_derivative")),
    ) for name in names},
    "simulations.adaptive_mlp:mnist_split": "reads an MNIST file from disk; a missing file is an OSError naming it",
    "simulations.linear:logit_gradient_flow": "known gap, not fuzzed: |y| ~ 1e300 makes the ODE stiff and the solve "
                                              "runs for minutes instead of refusing the input",
}


# Parameters the library's own code sets (argument names, dimensions): not fuzzed.
FIXED: dict[str, tuple[str, ...]] = {
    "theory.validation": ("name", "inputs", "ndim", "d", "allow_zero", "allow_inf", "low", "high"),
}


def fuzzed_parameters(key: str, arguments: dict[str, Any]) -> list[str]:
    fixed = FIXED.get(key.partition(":")[0], ())
    return sorted(name for name in arguments if name not in fixed)


def domain(key: str, name: str):
    module = key.partition(":")[0]
    for scope in (key, module):
        if name in DOMAIN_OVERRIDES.get(scope, {}):
            return DOMAIN_OVERRIDES[scope][name]
    return DOMAINS.get(name)


def _examples(key: str) -> dict[str, Any]:
    return {**EXAMPLES, **OVERRIDES.get(key.partition(":")[0], {}), **OVERRIDES.get(key, {})}


def public_callables(module_name: str) -> dict[str, Callable]:
    module = importlib.import_module(module_name)
    return {f"{module_name}:{name}": value for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module_name}


OPTIONAL_DEPENDENCY = {"simulations.adaptive_mlp": "torch"}  # modules of an extra: fuzzed where it is installed


def all_callables() -> dict[str, Callable]:
    available = [module for module in MODULES
                 if importlib.util.find_spec(OPTIONAL_DEPENDENCY.get(module, "numpy")) is not None]
    return {key: value for module in available for key, value in public_callables(module).items()}


def missing_examples(key: str, function: Callable) -> list[str]:
    """The required parameters of `function` that neither EXAMPLES nor its override can fill."""
    examples = _examples(key)
    return [name for name, parameter in inspect.signature(function).parameters.items()
            if parameter.default is inspect.Parameter.empty and parameter.kind not in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            and examples.get(name, OMIT) is OMIT]


def valid_arguments(key: str, function: Callable) -> dict[str, Any]:
    """Fresh keyword arguments of a valid call: every parameter with an example, defaults elsewhere."""
    examples = _examples(key)
    arguments = {name: examples[name]() for name, parameter in inspect.signature(function).parameters.items()
                 if examples.get(name, OMIT) is not OMIT and parameter.kind not in (
                     inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
    return arguments | (examples[EXTRA]() if EXTRA in examples else {})

# Validation gaps the fuzzer found and that are not fixed yet, by function: the fuzz test expects them to
# fail (xfail); RELIABILITY.md counts them. Remove an entry when its function is fixed.
KNOWN_GAPS: dict[str, str] = {
    "simulations.adaptive_dropout:adaptive_dropout_sgd": "step: error not naming it",
    "simulations.adaptive_dropout:eta_trick_objective": "eta: error not naming it",
    "simulations.adaptive_dropout:irls": "y: NaN result",
    "simulations.adaptive_dropout:lasso_duality_gap": "y: NaN result",
    "simulations.adaptive_dropout:ridge_step": "eta: error not naming it",
    "simulations.adaptive_dropout:stationarity": "result: AttributeError",
    "simulations.adaptive_mlp:TrainConfig": "hidden: error not naming it",
    "simulations.adaptive_mlp:he_start": "sizes: error not naming it",
    "simulations.adaptive_mlp:logsum_dual":
        "eps: accepts out-of-range values; eps: OverflowError; eps, eta: error not naming it",
    "simulations.adaptive_mlp:negative_kl": "log_alpha: error not naming it",
    "simulations.adaptive_mlp:train": "config, split: AttributeError",
    "simulations.adaptive_mlp:train_methods":
        "config, dense_config, split: AttributeError; methods: error not naming it",
    "simulations.fine_tuning:density_shift": "logits: error not naming it",
    "simulations.fine_tuning:fine_tune_linear": "masks: error not naming it",
    "simulations.fine_tuning:fine_tune_network": "X: error not naming it",
    "simulations.fine_tuning:initial_keep": "kept: error not naming it",
    "simulations.gates:band_disagreements": "alignment, energy: error not naming it; fit: AttributeError",
    "simulations.gates:fit_penalty_shape": "omega, start, u: error not naming it; start: NaN result",
    "simulations.gates:logistic_noise": "rng: AttributeError; shape: error not naming it",
    "simulations.gates:open_uniform": "rng: AttributeError; shape: error not naming it",
    "simulations.gates:penalty_shape": "params: error not naming it",
    "simulations.gates:sample_gates": "loc, scale: error not naming it",
    "simulations.gates:train_gated_linear": "lr, y: error not naming it",
    "simulations.gates:train_gated_mlp": "lr: error not naming it",
    "simulations.linear:all_masks": "d: error not naming it",
    "simulations.linear:enumeration_row_bytes":
        "d, n: NaN result; d, n: error not naming it; n: accepts out-of-range values",
    "simulations.linear:keep_hessian_norm":
        "X, w: error not naming it; X: AttributeError; X: ZeroDivisionError",
    "simulations.linear:monte_carlo_mask_loss": "X, w, y: NaN result",
    "simulations.linear:monte_carlo_row_bytes":
        "d, n: NaN result; d, n: error not naming it; n: accepts out-of-range values",
    "simulations.linear:projected_gradient_descent": "X, keep0: error not naming it",
    "simulations.mlp:flip_differences": "X: NaN result; X, max_bytes: error not naming it",
    "simulations.mlp:init_params": "sizes: error not naming it",
    "simulations.mlp:loss_and_grad": "X: error not naming it; params: AttributeError",
    "simulations.mlp:loss_values": "Y, output: NaN result; Y, output: error not naming it",
    "simulations.mlp:output_delta":
        "output, targets: NaN result; output: AttributeError; output, targets: error not naming it",
    "simulations.mlp:sgd_epoch": "X: error not naming it; lr: NaN result",
    "simulations.mlp:test_error": "X: error not naming it",
    "simulations.mlp:train": "X: error not naming it; lr: NaN result",
    "simulations.pac_bayes_learning:alignment": "X: error not naming it",
    "simulations.pac_bayes_learning:alignment_draws":
        "alphas, beta, delta, seed, sizes: error not naming it; beta: OverflowError",
    "simulations.pac_bayes_learning:alignment_logits": "beta: error not naming it",
    "simulations.pac_bayes_learning:certify": "X, posterior: error not naming it",
    "simulations.pac_bayes_learning:held_out_error": "X: error not naming it",
    "simulations.pac_bayes_learning:kl_logits": "u, v: error not naming it",
    "simulations.pac_bayes_learning:self_bounded": "sigma: OverflowError",
    "simulations.pac_bayes_learning:sweep": "grid: error not naming it; sigma: OverflowError",
    "simulations.pruners:PruneSettings": "lr: error not naming it",
    "simulations.pruners:dissipating_gradients":
        "X: NaN result; X, density: error not naming it; settings: AttributeError",
    "simulations.pruners:group_matrices": "arrays: AttributeError; arrays: error not naming it",
    "simulations.pruners:k_starts":
        "X, Y: NaN result; X, density: error not naming it; params, settings: AttributeError",
    "simulations.pruners:layer_arrays": "groups, like, values: error not naming it; like: AttributeError",
    "simulations.pruners:magnitude_masks": "density: error not naming it; params: AttributeError",
    "simulations.pruners:prune": "density: error not naming it; params: AttributeError",
    "simulations.pruners:random_masks": "density: error not naming it; params: AttributeError",
    "simulations.pruners:snip_masks": "X, density: error not naming it; params, settings: AttributeError",
    "simulations.pruners:top_k_masks": "density, scores: error not naming it",
    "simulations.stochastic_masks:mask_probabilities": "keep: error not naming it",
    "simulations.stochastic_masks:risk_row_bytes":
        "d, n: NaN result; d, n: error not naming it; n: accepts out-of-range values",
    "simulations.stochastic_masks:true_stochastic_risk": "keep, w: error not naming it",
    "simulations.two_layer_masks:fit_posterior": "X: error not naming it",
    "simulations.two_layer_masks:relu_moments": "a, s: NaN result; a, s: error not naming it",
    "simulations.two_layer_masks:sampled_point_errors": "X: error not naming it",
    "simulations.two_layer_masks:surrogate_bound":
        "Xb, delta, y: error not naming it; Xb: AttributeError; y: NaN result",
    "simulations.two_layer_masks:train_means": "X: error not naming it",
    "theory.penalty_duals:solve_increasing": "hi: RuntimeError",
}
