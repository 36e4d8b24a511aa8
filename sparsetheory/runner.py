"""Run claims' checks and draw figures: serially, in local worker processes, or on a Dask cluster."""

from __future__ import annotations

import inspect
import json
import signal
import time
import traceback
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sparsetheory import paths
from sparsetheory.cache import ResultCache, atomic_write, source_hash
from sparsetheory.registry import CLAIMS_BY_ID, FIGURES_BY_NAME, REPRODUCED, NOT_REPRODUCED, resolve


def claim_rng(seed: int, claim_id: str) -> np.random.Generator:
    """The claim's own stream: independent of the other claims and of the order they run in."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(claim_id.encode()),)))


@dataclass
class ClaimOutcome:
    claim: str
    expected: str
    records: list[dict] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def observed(self) -> str:
        if self.error is not None:
            return "error"
        return REPRODUCED if all(record["passed"] for record in self.records) else NOT_REPRODUCED

    @property
    def ok(self) -> bool:
        return self.observed == self.expected


def accepted_options(function, options: dict | None) -> dict:
    """The entries of `options` (the simulation backend and device) that `function` takes as keywords;
    functions that do not take them ignore them."""
    parameters = inspect.signature(function).parameters
    return {key: value for key, value in (options or {}).items() if key in parameters}


def run_claim(claim_id: str, profile: str, seed: int, options: dict | None = None) -> ClaimOutcome:
    claim = CLAIMS_BY_ID[claim_id]
    outcome = ClaimOutcome(claim_id, claim.expected)
    start = time.perf_counter()
    try:
        check = resolve(claim.check)
        outcome.records = [result.as_dict()
                           for result in check(profile, claim_rng(seed, claim_id), **accepted_options(check, options))]
        if not outcome.records:
            outcome.error = "the check returned no results"
    except Exception as exc:  # a failing check is a finding to report, not a crash of the run
        outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.records = []
        traceback.print_exc()
    outcome.seconds = time.perf_counter() - start
    return outcome


def parallel_map(function, tasks: list[tuple], *, jobs: int = 1, scheduler: str | None = None,
                 label: str = "tasks"):
    """Yield function(*task) for each task, in order: serially, in `jobs` local processes, or on the
    Dask distributed cluster at `scheduler` (the tasks are independent; results do not depend on where
    they ran)."""
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc=label, unit="task", disable=None, leave=False)
    try:
        if scheduler is not None:
            yield from _on_dask(function, tasks, scheduler, bar)
        elif jobs <= 1 or len(tasks) <= 1:
            for task in tasks:
                yield function(*task)
                bar.update()
        else:
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                                       initializer=_ignore_interrupts)
            try:
                for result in pool.map(function, *zip(*tasks)):
                    yield result
                    bar.update()
            finally:  # on Ctrl-C the parent stops: queued tasks are dropped, running ones finish
                pool.shutdown(cancel_futures=True)
    finally:
        bar.close()


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C (sent to the whole process group) to the parent, which stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_dask(function, tasks: list[tuple], scheduler: str, bar):
    from distributed import Client

    with Client(scheduler, timeout="20s") as client:
        futures = client.map(function, *zip(*tasks), pure=False) if tasks else []
        for future in futures:
            yield future.result()
            bar.update()


def verify(claim_ids: list[str], profile: str, seed: int, jobs: int = 1, scheduler: str | None = None,
           options: dict | None = None) -> list[ClaimOutcome]:
    """Run the checks of `claim_ids`; each outcome is also saved for the paper (atomically).

    `options` (e.g. {"backend": "torch", "device": "cuda"}) reach the checks that take them."""
    outcomes = []
    tasks = [(cid, profile, seed, options) for cid in claim_ids]
    for outcome in parallel_map(run_claim, tasks, jobs=jobs, scheduler=scheduler, label="verify"):
        save_outcome(outcome, profile, seed)
        outcomes.append(outcome)
    return outcomes


def _outcome_path(claim_id: str, profile: str, seed: int) -> Path:
    return paths.results_dir() / "verify" / f"{profile}-seed{seed}" / f"{claim_id}.json"


def _check_source(claim_id: str) -> str:
    return source_hash(resolve(CLAIMS_BY_ID[claim_id].check))


def save_outcome(outcome: ClaimOutcome, profile: str, seed: int) -> None:
    path = _outcome_path(outcome.claim, profile, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"claim": outcome.claim, "expected": outcome.expected, "records": outcome.records,
               "error": outcome.error, "seconds": outcome.seconds, "source": _check_source(outcome.claim)}
    atomic_write(path, lambda handle: handle.write(json.dumps(payload, indent=1)), "w")


def load_outcome(claim_id: str, profile: str, seed: int) -> ClaimOutcome | None:
    """A saved outcome of this claim's current check code, or None."""
    try:
        payload = json.loads(_outcome_path(claim_id, profile, seed).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if payload.get("source") != _check_source(claim_id) or payload.get("error"):
        return None
    return ClaimOutcome(claim_id, CLAIMS_BY_ID[claim_id].expected, payload["records"], None, payload["seconds"])


def verify_resuming(claim_ids: list[str], profile: str, seed: int, jobs: int = 1, scheduler: str | None = None,
                    options: dict | None = None) -> list[ClaimOutcome]:
    """Like `verify`, but reuse outcomes already saved by the same check code."""
    saved = {cid: load_outcome(cid, profile, seed) for cid in claim_ids}
    fresh = verify([cid for cid, outcome in saved.items() if outcome is None], profile, seed, jobs, scheduler, options)
    by_id = {outcome.claim: outcome for outcome in fresh} | {c: o for c, o in saved.items() if o is not None}
    return [by_id[cid] for cid in claim_ids]


def _figure_settings(name: str, profile: str, seed: int, options: dict | None = None) -> dict:
    """The simulation's keywords; the backend options it takes are settings too, so they enter the cache key."""
    simulate = resolve(FIGURES_BY_NAME[name].simulate)
    return {"seed": seed, **FIGURES_BY_NAME[name].settings[profile], **accepted_options(simulate, options)}


def simulate_figure(name: str, profile: str, seed: int, options: dict | None = None) -> dict[str, np.ndarray]:
    """Run the simulation behind figure `name` (no cache: this is the unit of work sent to workers)."""
    return resolve(FIGURES_BY_NAME[name].simulate)(**_figure_settings(name, profile, seed, options))


def _figure_keys(cache: ResultCache, names: list[str], profile: str, seed: int, options: dict | None = None
                 ) -> dict[str, str]:
    return {name: cache.key(name, _figure_settings(name, profile, seed, options),
                            resolve(FIGURES_BY_NAME[name].simulate)) for name in names}


def figure_results(names: list[str], profile: str, seed: int, jobs: int = 1, scheduler: str | None = None,
                   options: dict | None = None) -> dict[str, dict[str, np.ndarray]]:
    """The cached results behind each figure; missing ones are simulated in parallel and cached here."""
    cache = ResultCache(paths.results_dir())
    keys = _figure_keys(cache, names, profile, seed, options)
    results = {name: cache.load(keys[name]) for name in names}
    missing = [name for name in names if results[name] is None]
    tasks = [(name, profile, seed, options) for name in missing]
    for name, arrays in zip(missing, parallel_map(simulate_figure, tasks, jobs=jobs, scheduler=scheduler,
                                                  label="simulate")):
        cache.store(keys[name], arrays, _figure_settings(name, profile, seed, options))
        results[name] = cache.load(keys[name])
    return results


def _drawing_stamp(name: str, results_key: str) -> str:
    """What a drawn figure depends on: its results and the source of its drawing module."""
    return f"{results_key} {source_hash(resolve(FIGURES_BY_NAME[name].draw))}"


def draw_figure(name: str, results: dict[str, np.ndarray], stamp: str) -> list[Path]:
    """Draw figure `name` from its results; write PDF and PNG atomically, then the stamp.

    A figure whose files exist with the same stamp is not drawn again.
    """
    directory = paths.figures_dir()
    written = [directory / f"{name}.{extension}" for extension in ("pdf", "png")]
    stamp_path = directory / f"{name}.stamp"
    if all(path.exists() for path in written) and stamp_path.exists() and stamp_path.read_text() == stamp:
        return written
    import matplotlib.pyplot as plt

    drawn = resolve(FIGURES_BY_NAME[name].draw)(results)
    directory.mkdir(parents=True, exist_ok=True)
    for path in written:
        atomic_write(path, lambda handle, path=path: drawn.savefig(handle, format=path.suffix[1:]), "wb")
    plt.close(drawn)
    atomic_write(stamp_path, lambda handle: handle.write(stamp), "w")
    return written


def draw_figures(names: list[str], profile: str, seed: int, jobs: int = 1, scheduler: str | None = None,
                 options: dict | None = None) -> list[Path]:
    results = figure_results(names, profile, seed, jobs, scheduler, options)
    keys = _figure_keys(ResultCache(paths.results_dir()), names, profile, seed, options)
    return [path for name in names for path in draw_figure(name, results[name], _drawing_stamp(name, keys[name]))]
