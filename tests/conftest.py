"""Shared test configuration: hypothesis profiles and the `seed` contract.

Hypothesis profiles (scipy's convention):
- ``ci`` (default): deterministic (``derandomize=True``, no example database), no deadline,
  40 examples per property, the ``too_slow`` health check off. The same examples run on every
  machine, so a failure is reproducible from the test name alone.
- ``thorough``: 500 random examples per property; select it with
  ``SPARSETHEORY_HYPOTHESIS_PROFILE=thorough``.

Seeds (scikit-learn's ``global_random_seed``): a test that takes the ``seed`` fixture must pass
for any seed. By default it runs with one fixed seed; ``SPARSETHEORY_SEEDS=all`` parametrises it
over 20 seeds (0–19); ``SPARSETHEORY_SEEDS=3`` or ``=3,7`` or ``=0-4`` picks seeds explicitly.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "SPARSETHEORY_HYPOTHESIS_PROFILE"
SEEDS_VARIABLE = "SPARSETHEORY_SEEDS"
DEFAULT_SEED = 42
ALL_SEEDS = tuple(range(20))

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    derandomize=False,
    deadline=None,
    max_examples=500,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "ci") or "ci")


def _parse_seeds(value: str | None) -> tuple[int, ...]:
    """Seeds named by SPARSETHEORY_SEEDS: unset/empty → the default seed; "all" → 0–19;
    otherwise a comma-separated list of integers or ranges "a-b" (inclusive)."""
    if value is None or not value.strip():
        return (DEFAULT_SEED,)
    if value.strip().lower() == "all":
        return ALL_SEEDS
    seeds: list[int] = []
    try:
        for part in value.split(","):
            low, dash, high = part.strip().partition("-")
            seeds.extend(range(int(low), int(high) + 1) if dash else [int(low)])
    except ValueError:
        raise pytest.UsageError(
            f'{SEEDS_VARIABLE} must be "all", an integer, a list "1,5" or a range "0-4"; got {value!r}'
        ) from None
    if not seeds:
        raise pytest.UsageError(f"{SEEDS_VARIABLE}={value!r} names no seed")
    return tuple(seeds)


SEEDS = _parse_seeds(os.environ.get(SEEDS_VARIABLE))


@pytest.fixture(params=SEEDS, ids=lambda s: f"seed{s}")
def seed(request) -> int:
    """A random seed; a test using it must pass whichever seed it gets."""
    return request.param


def pytest_report_header(config):
    return (f"sparsetheory: hypothesis profile {settings.get_current_profile_name()!r}, "
            f"seeds {SEEDS if len(SEEDS) <= 3 else f'{SEEDS[0]}..{SEEDS[-1]} ({len(SEEDS)})'}")
