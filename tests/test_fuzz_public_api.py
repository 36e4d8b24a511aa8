"""Fuzz every public function of theory/ and of the simulation core with malformed arguments.

For each callable, tests/fuzz_registry.py builds a valid call; the valid call must succeed with no NaN
in its result. Then hypothesis corrupts one argument at a time: an entry replaced by NaN, ±inf, a huge
value, a value outside [0, 1], a negative or zero value; an empty array; an extra or a missing axis or
entry; text instead of a number; an unknown name. Accepted outcomes: a ValueError/TypeError whose
message names the corrupted argument, or a result without NaN;
a value outside the argument's declared domain (fuzz_registry.DOMAINS) must be refused.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import fuzz_registry as registry

CALLABLES = registry.all_callables()
FUZZED = {key: function for key, function in CALLABLES.items() if key not in registry.EXEMPT}
EXAMPLES_PER_FUNCTION = max(10, settings.default.max_examples // 2)  # 20 under ci, 250 under thorough

SPECIAL_VALUES = (np.nan, np.inf, -np.inf, 1e300, -1e300, -1.5, -1e-3, 0.0, 1.5, 2.0)
SPECIAL_INTS = (np.nan, np.inf, -1, 0, 2.5, -1e300)  # no huge positive sizes: they would only allocate


def _numbers(value) -> list[np.ndarray]:
    """Every float array inside a result (arrays, numbers, tuples, lists, dicts, dataclasses)."""
    if isinstance(value, (bool, str, type(None))):
        return []
    if isinstance(value, (int, float, np.number, np.ndarray)):
        array = np.asarray(value)
        return [array] if array.dtype.kind in "fc" else []
    if isinstance(value, dict):
        value = list(value.values())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, field.name) for field in dataclasses.fields(value)]
    if isinstance(value, (list, tuple)):
        return [array for item in value for array in _numbers(item)]
    return []


def _has_nan(result) -> bool:
    return any(np.any(np.isnan(array)) for array in _numbers(result))


def _names(message: str, name: str) -> bool:
    """`name` occurs in the message as a whole word (a consistency error may name the other side too)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message) is not None


def _outside(value, domain) -> bool:
    low, high, low_open, high_open = domain
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    inside = (array > low if low_open else array >= low) & (array < high if high_open else array <= high)
    return bool(np.any(~inside))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number, np.ndarray)) and not isinstance(value, bool) \
        and np.asarray(value).dtype.kind in "biuf"


@st.composite
def corruptions(draw, value):
    """(label, corrupted value) for one valid argument."""
    if isinstance(value, str):
        return draw(st.sampled_from([("unknown name", "no-such-name"), ("number for a name", 3)]))
    if not _is_number(value):
        return draw(st.sampled_from([("text for an object", "text"), ("number for an object", 3.0)]))
    array = np.asarray(value)
    integer = array.dtype.kind in "biu"
    special = draw(st.one_of(st.sampled_from(SPECIAL_INTS if integer else SPECIAL_VALUES),
                             st.floats(allow_nan=True, allow_infinity=True, width=64)
                             .filter(lambda x: not integer or abs(x) < 1e6)))
    kinds = ["entry", "text", "empty"] + (["extra axis", "missing entry"] if array.ndim else ["array"])
    kind = draw(st.sampled_from(kinds))
    if kind == "entry":
        corrupted = np.array(array, dtype=np.float64)
        if array.ndim:
            corrupted[tuple(draw(st.integers(0, size - 1)) for size in array.shape)] = special
        else:
            corrupted = special
        return f"entry {special!r}", corrupted
    if kind == "text":
        return "text", "not a number"
    if kind == "empty":
        return "empty", np.empty((0, *array.shape[1:]))
    if kind == "extra axis":
        return "extra axis", array[None]
    if kind == "missing entry":
        return "missing entry", array[:-1]
    return "array for a scalar", np.full(3, value)


def _call(function, arguments):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return function(**arguments)


@pytest.mark.parametrize("key", sorted(CALLABLES))
def test_every_public_callable_is_covered(key):
    """A public callable of a covered module needs examples for its parameters or an exemption."""
    if key in registry.EXEMPT:
        return
    assert not registry.missing_examples(key, CALLABLES[key]), \
        f"{key}: add examples for these parameters to tests/fuzz_registry.py (EXAMPLES or OVERRIDES)"


@pytest.mark.parametrize("key", sorted(FUZZED))
def test_valid_call_succeeds_without_nan(key):
    function = FUZZED[key]
    result = _call(function, registry.valid_arguments(key, function))
    assert not _has_nan(result), f"{key} returned NaN for valid arguments"


def _with_known_gaps(keys):
    """Functions whose remaining validation gaps are recorded in fuzz_registry.KNOWN_GAPS are expected to fail."""
    return [pytest.param(key, marks=pytest.mark.xfail(reason=registry.KNOWN_GAPS[key], strict=False))
            if key in registry.KNOWN_GAPS else key for key in keys]


# no shrinking: the failure message already names the function, the argument and the corruption
@pytest.mark.parametrize("key", _with_known_gaps(sorted(FUZZED)))
@settings(max_examples=EXAMPLES_PER_FUNCTION, phases=(Phase.explicit, Phase.generate))
@given(data=st.data())
def test_malformed_argument_is_refused_cleanly(key, data):
    function = FUZZED[key]
    arguments = registry.valid_arguments(key, function)
    names = registry.fuzzed_parameters(key, arguments)
    if not names:
        return
    name = data.draw(st.sampled_from(names), label="argument")
    label, bad = data.draw(corruptions(arguments[name]), label="corruption")
    arguments[name] = bad
    try:
        result = _call(function, arguments)
    except (ValueError, TypeError) as exc:
        assert _names(str(exc), name), \
            f"{key}({name}={label}): message does not name {name!r}: {type(exc).__name__}: {exc}"
        return
    assert not _has_nan(result), f"{key}({name}={label}) returned NaN"
    domain = registry.domain(key, name)
    assert domain is None or not _outside(bad, domain), f"{key} accepted {name}={label}, outside {domain}"
