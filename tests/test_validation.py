"""Bad arguments raise ValueError (TypeError is also accepted for non-numeric input) naming the argument.

"Naming" is checked strictly: the argument's name occurs in the message as a whole word, and no other
argument of the same function is named before it (so "y must have n = 3 entries (rows of X)" names
y, not X).
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest

from simulations.linear import enumerate_mask_loss, monte_carlo_mask_loss
from theory.dropout import dropout_optimal_weights, expected_dropout_loss
from theory.masks import expected_mask_loss, expected_mask_loss_grad, orthogonal_keep_rule, theta_form

N, D = 4, 3
_rng = np.random.default_rng(0)
GOOD = {
    "X": _rng.standard_normal((N, D)),
    "y": _rng.standard_normal(N),
    "w": _rng.standard_normal(D),
    "keep": 0.5,
    "alignment": _rng.standard_normal(D),
    "n_samples": 10,
    "rng": 0,
}


def _mc(rescale: bool) -> Callable:
    def call(X, y, w, keep, n_samples, rng, max_bytes=2**20):
        return monte_carlo_mask_loss(X, y, w, keep, n_samples, rng, rescale=rescale, max_bytes=max_bytes)
    return call


def _enum(rescale: bool) -> Callable:
    def call(X, y, w, keep, max_bytes=2**20):
        return enumerate_mask_loss(X, y, w, keep, rescale=rescale, max_bytes=max_bytes)
    return call


# name → (callable, its arguments, whether keep = 0 is invalid (dropout))
FUNCTIONS: dict[str, tuple[Callable, tuple[str, ...], bool]] = {
    "expected_mask_loss": (expected_mask_loss, ("X", "y", "w", "keep"), False),
    "expected_dropout_loss": (expected_dropout_loss, ("X", "y", "w", "keep"), True),
    "expected_mask_loss_grad": (expected_mask_loss_grad, ("X", "y", "w", "keep"), False),
    "theta_form": (theta_form, ("X", "y", "w", "keep"), False),
    "orthogonal_keep_rule": (orthogonal_keep_rule, ("w", "alignment"), False),
    "dropout_optimal_weights": (dropout_optimal_weights, ("X", "y", "keep"), True),
    "monte_carlo_mask_loss": (_mc(False), ("X", "y", "w", "keep", "n_samples", "rng", "max_bytes"), False),
    "monte_carlo_mask_loss[rescale]": (_mc(True), ("X", "y", "w", "keep", "n_samples", "rng", "max_bytes"), True),
    "enumerate_mask_loss": (_enum(False), ("X", "y", "w", "keep", "max_bytes"), False),
    "enumerate_mask_loss[rescale]": (_enum(True), ("X", "y", "w", "keep", "max_bytes"), True),
}

NON_NUMERIC = object()  # marker: TypeError is acceptable as well as ValueError


def _with(array: np.ndarray, index, value) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


# argument → list of (case id, bad value, non-numeric?)
BAD_VALUES: dict[str, list[tuple[str, Any, bool]]] = {
    "X": [
        ("1-D", GOOD["X"].ravel(), False),
        ("3-D", GOOD["X"][None], False),
        ("scalar", 1.0, False),
        ("nan", _with(GOOD["X"], (1, 2), np.nan), False),
        ("inf", _with(GOOD["X"], (0, 0), np.inf), False),
        ("-inf", _with(GOOD["X"], (3, 1), -np.inf), False),
        ("string", "not a matrix", True),
        ("strings", [["a", "b", "c"]] * N, True),
    ],
    "y": [
        ("2-D", GOOD["y"][:, None], False),
        ("too long", np.ones(N + 1), False),
        ("too short", np.ones(N - 1), False),
        ("nan", _with(GOOD["y"], 2, np.nan), False),
        ("inf", _with(GOOD["y"], 0, np.inf), False),
        ("string", "labels", True),
    ],
    "w": [
        ("2-D", GOOD["w"][None, :], False),
        ("too long", np.ones(D + 1), False),
        ("too short", np.ones(D - 1), False),
        ("nan", _with(GOOD["w"], 1, np.nan), False),
        ("-inf", _with(GOOD["w"], 2, -np.inf), False),
        ("string", "weights", True),
    ],
    "keep": [
        ("-0.1", -0.1, False),
        ("1.1", 1.1, False),
        ("vector -0.1", np.array([0.5, -0.1, 0.5]), False),
        ("vector 1.1", np.array([0.5, 1.1, 0.5]), False),
        ("nan", np.nan, False),
        ("inf", np.inf, False),
        ("vector nan", np.array([0.5, np.nan, 0.5]), False),
        ("wrong length", np.full(D + 1, 0.5), False),
        ("2-D", np.full((D, 1), 0.5), False),
        ("string", "half", True),
    ],
    "alignment": [
        ("wrong length", np.ones(D + 1), False),
        ("2-D", np.ones((D, 1)), False),
        ("nan", _with(GOOD["alignment"], 0, np.nan), False),
        ("inf", _with(GOOD["alignment"], 2, np.inf), False),
        ("string", "aligned", True),
    ],
    "n_samples": [
        ("1", 1, False),
        ("0", 0, False),
        ("-5", -5, False),
        ("2.5", 2.5, False),
        ("10.0", 10.0, False),
        ("bool", True, False),
        ("string", "10", True),
        ("None", None, True),
    ],
    "max_bytes": [
        ("0", 0, False),
        ("-1", -1, False),
        ("0.5", 0.5, False),
        ("1e6 float", 1e6, False),
        ("string", "1 MB", True),
    ],
}
DROPOUT_ONLY = {"keep": [("0", 0.0, False), ("vector 0", np.array([0.5, 0.0, 0.5]), False)]}


def _cases():
    for function_name, (_, arguments, dropout) in FUNCTIONS.items():
        for argument in arguments:
            values = BAD_VALUES.get(argument, []) + (DROPOUT_ONLY.get(argument, []) if dropout else [])
            for case, value, non_numeric in values:
                if function_name == "orthogonal_keep_rule" and argument == "w" and case.startswith("too"):
                    continue  # w sets the length alignment must match; the mismatch is alignment's case
                yield pytest.param(function_name, argument, value, non_numeric,
                                   id=f"{function_name}-{argument}-{case}")


def _good_arguments(arguments: tuple[str, ...]) -> dict[str, Any]:
    return {name: GOOD[name] for name in arguments if name in GOOD}


def assert_names(message: str, name: str, arguments: tuple[str, ...]) -> None:
    def position(word: str) -> int:
        match = re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", message)
        return match.start() if match else -1

    where = position(name)
    assert where >= 0, f"{name!r} not named in {message!r}"
    earlier = [other for other in arguments if other != name and 0 <= position(other) < where]
    assert not earlier, f"{message!r} names {earlier} before {name!r}"


@pytest.mark.parametrize("function_name, argument, value, non_numeric", list(_cases()))
def test_bad_argument_is_rejected_by_name(function_name, argument, value, non_numeric):
    function, arguments, _ = FUNCTIONS[function_name]
    kwargs = _good_arguments(arguments)
    kwargs[argument] = value
    expected = (ValueError, TypeError) if non_numeric else ValueError
    with pytest.raises(expected) as info:
        function(**kwargs)
    assert_names(str(info.value), argument, arguments)


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_good_arguments_are_accepted(function_name):
    """The baseline every bad-argument case modifies is itself valid (else those tests prove nothing)."""
    function, arguments, _ = FUNCTIONS[function_name]
    result = function(**_good_arguments(arguments))
    assert np.all(np.isfinite(np.asarray(result, dtype=np.float64)))


@pytest.mark.parametrize("function_name", [name for name, (_, args, _) in FUNCTIONS.items() if "X" in args])
def test_empty_design_is_rejected_by_name(function_name):
    """X with no rows (and y with no entries) is a wrong shape."""
    function, arguments, _ = FUNCTIONS[function_name]
    kwargs = _good_arguments(arguments)
    kwargs.update(X=np.empty((0, D)), y=np.empty(0))
    with pytest.raises(ValueError) as info:
        function(**kwargs)
    assert_names(str(info.value), "X", arguments)


@pytest.mark.parametrize("keep", [0.0, 1.0, np.array([0.0, 1.0, 0.25])])
def test_mask_functions_accept_the_closed_interval(keep):
    """keep ∈ [0, 1] for masks, endpoints included (the range boundary is not off by one)."""
    for function in (expected_mask_loss, expected_mask_loss_grad, theta_form):
        assert np.all(np.isfinite(function(GOOD["X"], GOOD["y"], GOOD["w"], keep)))
    assert np.isfinite(enumerate_mask_loss(GOOD["X"], GOOD["y"], GOOD["w"], keep))
    assert np.all(np.isfinite(monte_carlo_mask_loss(GOOD["X"], GOOD["y"], GOOD["w"], keep, 2, 0)))


def test_dropout_functions_accept_keep_one():
    assert np.isfinite(expected_dropout_loss(GOOD["X"], GOOD["y"], GOOD["w"], 1.0))
    assert np.all(np.isfinite(dropout_optimal_weights(GOOD["X"], GOOD["y"], np.array([1.0, 1.0, 1e-3]))))
    assert np.isfinite(enumerate_mask_loss(GOOD["X"], GOOD["y"], GOOD["w"], 1.0, rescale=True))


@pytest.mark.parametrize("argument", ["X", "y", "w", "keep"])
def test_complex_input_is_rejected_by_name(argument):
    kwargs = _good_arguments(("X", "y", "w", "keep"))
    kwargs[argument] = np.asarray(kwargs[argument]) + 1j
    with pytest.raises(TypeError) as info:
        expected_mask_loss(**kwargs)
    assert_names(str(info.value), argument, ("X", "y", "w", "keep"))


def test_optimiser_arguments_are_validated_by_name():
    from simulations.linear import logit_gradient_flow, projected_gradient_descent

    X, y, w = GOOD["X"], GOOD["y"], GOOD["w"]
    with pytest.raises(ValueError, match="max_iter"):
        projected_gradient_descent(X, y, w, 0.5, max_iter=0)
    for logits0 in (np.zeros(D + 1), np.full(D, np.nan)):
        with pytest.raises(ValueError, match="logits0"):
            logit_gradient_flow(X, y, w, [1.0], logits0=logits0)


def test_singular_ridge_is_reported_not_raised_from_numpy():
    X = _rng.standard_normal((2, 3))  # n < d: XᵀX is singular and keep = 1 adds no ridge
    with pytest.raises(ValueError, match="keep"):
        dropout_optimal_weights(X, _rng.standard_normal(2), 1.0)
