"""Killing `figures` or `verify` mid-sweep loses no finished result, leaves no corrupt file, and a rerun
gives results bit-identical to an uninterrupted run.

Each scenario runs the CLI in a subprocess with its own SPARSETHEORY_ROOT, waits until the first unit of
work (a figure's simulation, a claim's check) is saved, sends SIGINT or SIGKILL, checks what is on disk,
reruns to completion, and compares with an uninterrupted run in another directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from sparsetheory.cache import ResultCache

# a fast figure first, slower ones after it: the kill lands while the second one is simulated
FIGURES = ("fig_keep_trajectories", "fig_penalty_terms")
CLAIMS = ("M1", "M3", "M2", "M4")
START_TIMEOUT = 120.0


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sparsetheory", *args, "--profile", "tiny", "--seed", "3"]


def _environment(root: Path) -> dict[str, str]:
    return os.environ | {"SPARSETHEORY_ROOT": str(root)}


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(_command(*args), capture_output=True, text=True, env=_environment(root), timeout=600)
    assert completed.returncode == 0, completed.stderr
    return completed


def _interrupt(root: Path, signal_number: int, finished: str, *args: str) -> subprocess.CompletedProcess:
    """Start the command; once a file matching `finished` exists under root, send the signal."""
    process = subprocess.Popen(_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_environment(root))
    deadline = time.monotonic() + START_TIMEOUT
    while not any(root.glob(finished)):
        assert process.poll() is None, f"finished before the first result was seen: {process.communicate()}"
        assert time.monotonic() < deadline, "no result appeared"
        time.sleep(0.01)
    assert process.poll() is None, "the sweep ended before it could be interrupted"
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _cached_arrays(root: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every cache entry under root, loaded and checksummed: a corrupt one fails the test."""
    cache = ResultCache(root / "results")
    entries = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checksum mismatch warns: here it is a failure
        for sidecar in sorted((root / "results").glob("*.json")):
            arrays = cache.load(sidecar.stem)
            assert arrays is not None, f"unreadable cache entry {sidecar.name}"
            entries[sidecar.stem] = arrays
    return entries


def _assert_identical(first: dict, second: dict) -> None:
    assert sorted(first) == sorted(second)
    for key in first:
        assert sorted(first[key]) == sorted(second[key]), key
        for name in first[key]:
            np.testing.assert_array_equal(first[key][name], second[key][name], err_msg=f"{key}/{name}")


def _check_interrupted(completed: subprocess.CompletedProcess, signal_number: int) -> None:
    if signal_number == signal.SIGINT:
        assert completed.returncode == 130, completed.stderr
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1 and "interrupted" in lines[0], completed.stderr
    else:
        assert completed.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def reference_figures(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("uninterrupted")
    _run(root, "figures", *FIGURES)
    return _cached_arrays(root)


@pytest.fixture(scope="module")
def reference_verify(tmp_path_factory) -> list:
    root = tmp_path_factory.mktemp("uninterrupted_verify")
    _run(root, "verify", *CLAIMS, "--json", str(root / "records.json"))
    return json.loads((root / "records.json").read_text())


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_figures_resume_bit_identically(tmp_path, signal_number, reference_figures):
    completed = _interrupt(tmp_path, signal_number, "results/*.json", "figures", *FIGURES)
    _check_interrupted(completed, signal_number)
    saved = _cached_arrays(tmp_path)
    finished = sorted(key.rsplit("-", 1)[0] for key in saved)
    assert finished in [sorted(FIGURES[:k]) for k in range(1, len(FIGURES))], finished  # killed mid-sweep, in order
    for key, arrays in saved.items():  # what was finished before the kill is already the final result
        _assert_identical({key: arrays}, {key: reference_figures[key]})
    finished_at = {path: path.stat().st_mtime_ns for path in (tmp_path / "results").glob("*.npz")}

    _run(tmp_path, "figures", *FIGURES)
    _assert_identical(_cached_arrays(tmp_path), reference_figures)
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in finished_at.items())  # not recomputed
    assert sorted(p.name for p in (tmp_path / "build" / "figures").glob("*.png")) == sorted(
        f"{name}.png" for name in FIGURES)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_verify_resumes_bit_identically(tmp_path, signal_number, reference_verify):
    completed = _interrupt(tmp_path, signal_number, "results/verify/*/*.json", "verify", *CLAIMS)
    _check_interrupted(completed, signal_number)
    saved = [json.loads(path.read_text()) for path in (tmp_path / "results" / "verify").glob("*/*.json")]
    finished = [outcome["claim"] for outcome in saved]
    assert sorted(finished) in [sorted(CLAIMS[:k]) for k in range(1, len(CLAIMS))], finished  # killed mid-run
    for outcome in saved:  # a finished outcome is already the final one
        reference = [(r["key"], r["simulation"]) for r in reference_verify if r["claim"] == outcome["claim"]]
        assert [(r["key"], r["simulation"]) for r in outcome["records"]] == reference

    _run(tmp_path, "verify", *CLAIMS, "--resume", "--json", str(tmp_path / "records.json"))
    assert json.loads((tmp_path / "records.json").read_text()) == reference_verify


def test_corrupted_cache_entry_is_detected_by_its_checksum(tmp_path):
    cache = ResultCache(tmp_path)
    arrays = {"values": np.arange(1000.0)}
    cache.store("entry", arrays, {"seed": 1})
    data = tmp_path / "entry.npz"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte inside the array data: the archive still opens
    data.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="corrupted cache entry entry.npz .*recomputing"):
        assert cache.load("entry") is None
    cache.store("entry", arrays, {"seed": 1})
    np.testing.assert_array_equal(cache.load("entry")["values"], arrays["values"])
