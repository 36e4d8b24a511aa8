"""Argument validation shared by the public functions of theory/ and simulations/."""

from __future__ import annotations

import numpy as np


def real_values(value, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """`value` as a float64 array of any shape: real, no NaN, and finite unless `allow_inf`."""
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be real, got a complex value")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or array of real numbers") from None
    if allow_inf and np.any(np.isnan(array)):
        raise ValueError(f"{name} must not contain NaN")
    if not allow_inf and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    return array


def real_array(value, name: str, ndim: int) -> np.ndarray:
    """`value` as a finite float64 array with `ndim` dimensions, or a ValueError/TypeError naming it."""
    array = real_values(value, name)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    return array


def design_and_labels(X, y, names: tuple[str, str] = ("X", "y")) -> tuple[np.ndarray, np.ndarray]:
    """Validate the design X (n×d, n, d ≥ 1) and labels y (n); `names` are the caller's argument names."""
    x_name, y_name = names
    X = real_array(X, x_name, 2)
    y = real_array(y, y_name, 1)
    n, d = X.shape
    if n < 1 or d < 1:
        raise ValueError(f"{x_name} must have at least one row and one column, got shape {X.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{y_name} must have n = {n} entries (rows of {x_name}), got {y.shape[0]}")
    return X, y


def linear_problem(X, y, w, names: tuple[str, str, str] = ("X", "y", "w")
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the design X (n×d), labels y (n) and weights w (d); `names` are the caller's argument names."""
    X, y = design_and_labels(X, y, names[:2])
    w = real_array(w, names[2], 1)
    d = X.shape[1]
    if w.shape[0] != d:
        raise ValueError(f"{names[2]} must have d = {d} entries (columns of {names[0]}), got {w.shape[0]}")
    return X, y, w


def keep_probabilities(keep, d: int, *, allow_zero: bool, name: str = "keep") -> np.ndarray:
    """Keep probabilities as a length-d array; scalar keep is broadcast; `name` is the caller's argument name.

    Valid range: [0, 1] when `allow_zero`, else (0, 1].
    """
    if np.iscomplexobj(keep):
        raise TypeError(f"{name} must be real, got a complex value")
    try:
        keep = np.asarray(keep, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers") from None
    if keep.ndim > 1 or (keep.ndim == 1 and keep.shape[0] != d):
        raise ValueError(f"{name} must be a scalar or have d = {d} entries, got shape {keep.shape}")
    if not np.all(np.isfinite(keep)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    low_ok = keep >= 0 if allow_zero else keep > 0
    if not np.all(low_ok & (keep <= 1)):
        valid = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must lie in {valid}, got values in [{keep.min()}, {keep.max()}]")
    return np.broadcast_to(keep, (d,)).copy()


def real_scalar(value, name: str, low: float = -np.inf, high: float = np.inf, *, low_open: bool = False,
                high_open: bool = False) -> float:
    """`value` as a finite float in the interval from low to high (open ends as flagged), else an error naming it."""
    array = real_values(value, name)
    if array.ndim:
        raise ValueError(f"{name} must be a single number, got shape {array.shape}")
    number = float(array)
    if not ((number > low if low_open else number >= low) and (number < high if high_open else number <= high)):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {number!r}")
    return number


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """np.broadcast_arrays of the named arrays, or a ValueError naming them and their shapes."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{name} {np.shape(array)}" for name, array in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must broadcast together, got shapes {shapes}") from None


def generator(rng, name: str = "rng") -> np.random.Generator:
    """np.random.default_rng(rng) for a Generator, SeedSequence, BitGenerator, None or seed ≥ 0; else an error naming it."""
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numpy Generator, a SeedSequence or a seed ≥ 0, got {rng!r} ({exc})") \
            from None


def finite_result(value, inputs: str):
    """`value` unchanged when it holds no NaN or inf, else a ValueError blaming `inputs` for the overflow."""
    try:
        finite = np.all(np.isfinite(value))
    except TypeError:
        raise TypeError(f"the result computed from {inputs} is not numeric") from None
    if not finite:
        raise ValueError(f"{inputs} are too large: the result overflows float64")
    return value
