"""Seeds are a contract: the same seed gives bit-identical results across runs and across --jobs 1 and
--jobs 2; different seeds give different draws. Figures' simulations and claims' checks, tiny profile."""

from __future__ import annotations

import numpy as np
import pytest

from sparsetheory import runner

FIGURES = ("fig_keep_trajectories", "fig_penalty_terms", "fig_pac_bayes_validity")
CLAIMS = ("M2", "B3")


def _figures(root, monkeypatch, seed: int, jobs: int) -> dict:
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(root))
    return runner.figure_results(list(FIGURES), "tiny", seed, jobs=jobs)


def _records(root, monkeypatch, seed: int, jobs: int) -> list[list[dict]]:
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(root))
    outcomes = runner.verify(list(CLAIMS), "tiny", seed, jobs=jobs)
    assert all(outcome.error is None for outcome in outcomes)
    return [outcome.records for outcome in outcomes]


def _identical(first: dict, second: dict) -> bool:
    return all(sorted(first[name]) == sorted(second[name]) and
               all(np.array_equal(first[name][key], second[name][key]) for key in first[name])
               for name in FIGURES)


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    try:
        return {label: _figures(tmp_path_factory.mktemp(label), monkeypatch, seed, jobs)
                for label, seed, jobs in (("first", 11, 1), ("second", 11, 1), ("parallel", 11, 2),
                                          ("other_seed", 12, 1))}
    finally:
        monkeypatch.undo()


def test_same_seed_gives_bit_identical_figure_results(seed_runs):
    assert _identical(seed_runs["first"], seed_runs["second"])


def test_jobs_do_not_change_figure_results(seed_runs):
    assert _identical(seed_runs["first"], seed_runs["parallel"])


@pytest.mark.parametrize("name", FIGURES)
def test_different_seeds_give_different_draws(seed_runs, name):
    first, other = seed_runs["first"][name], seed_runs["other_seed"][name]
    assert any(not np.array_equal(first[key], other[key]) for key in first), f"{name} ignores the seed"


def test_claims_are_bit_identical_across_runs_and_jobs_and_change_with_the_seed(tmp_path, monkeypatch):
    first = _records(tmp_path / "a", monkeypatch, 4, 1)
    assert _records(tmp_path / "b", monkeypatch, 4, 2) == first
    other = _records(tmp_path / "c", monkeypatch, 5, 1)
    simulated = [[record["simulation"] for records in run for record in records] for run in (first, other)]
    assert simulated[0] != simulated[1]


def test_claim_streams_are_independent_of_each_other_and_of_order():
    draws = {(seed, claim): runner.claim_rng(seed, claim).random(4) for seed in (0, 1) for claim in ("M1", "M2")}
    assert len({values.tobytes() for values in draws.values()}) == len(draws)
    np.testing.assert_array_equal(runner.claim_rng(1, "M2").random(4), draws[(1, "M2")])
