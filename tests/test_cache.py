"""The results cache: reuse, atomic writes, recomputation of damaged entries."""

import json

import numpy as np
import pytest

from sparsetheory.cache import ResultCache


def simulate(seed, size):
    return {"values": np.random.default_rng(seed).standard_normal(size), "size": np.asarray(size)}


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, seed, size):
        self.calls += 1
        return simulate(seed, size)


def test_finished_results_are_reused(tmp_path):
    cache, compute = ResultCache(tmp_path), Counter()
    first = cache.get_or_compute("sim", {"seed": 1, "size": 5}, compute)
    second = cache.get_or_compute("sim", {"seed": 1, "size": 5}, compute)
    assert compute.calls == 1
    np.testing.assert_array_equal(first["values"], second["values"])


def test_settings_change_the_key(tmp_path):
    cache, compute = ResultCache(tmp_path), Counter()
    cache.get_or_compute("sim", {"seed": 1, "size": 5}, compute)
    cache.get_or_compute("sim", {"seed": 2, "size": 5}, compute)
    assert compute.calls == 2


def test_sidecar_records_settings_and_versions(tmp_path):
    cache = ResultCache(tmp_path)
    cache.get_or_compute("sim", {"seed": 3, "size": 2}, simulate)
    (sidecar,) = tmp_path.glob("*.json")
    meta = json.loads(sidecar.read_text())
    assert meta["settings"] == {"seed": 3, "size": 2}
    assert meta["seed"] == 3
    assert "numpy" in meta["versions"] and meta["code_version"]


@pytest.mark.parametrize("damage", ["truncate_npz", "garbage_json", "delete_json"])
def test_damaged_entries_are_recomputed(tmp_path, damage):
    cache, compute = ResultCache(tmp_path), Counter()
    expected = cache.get_or_compute("sim", {"seed": 1, "size": 5}, compute)
    (data,) = tmp_path.glob("*.npz")
    sidecar = data.with_suffix(".json")
    if damage == "truncate_npz":
        data.write_bytes(data.read_bytes()[:20])
    elif damage == "garbage_json":
        sidecar.write_text("{not json")
    else:
        sidecar.unlink()
    again = cache.get_or_compute("sim", {"seed": 1, "size": 5}, compute)
    assert compute.calls == 2
    np.testing.assert_array_equal(again["values"], expected["values"])


def test_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)

    def broken_savez(handle, **arrays):
        handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(KeyboardInterrupt):
        cache.get_or_compute("sim", {"seed": 1, "size": 5}, simulate)
    assert list(tmp_path.iterdir()) == []


def test_non_dict_result_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="dict of arrays"):
        ResultCache(tmp_path).get_or_compute("sim", {"seed": 1}, lambda seed: np.zeros(3))
