"""The results cache and the runner's use of it: reuse, atomic writes, recomputation of damaged entries."""

import json

import numpy as np
import pytest

from sparsetheory import registry, runner
from sparsetheory.cache import ResultCache

CALLS = []


def counting_simulation(seed, size):
    CALLS.append((seed, size))
    return {"values": np.random.default_rng(seed).standard_normal(size), "size": np.asarray(size)}


@pytest.fixture
def test_figure(tmp_path, monkeypatch):
    """A figure whose simulation counts its calls, registered for this test only."""
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    figure = registry.Figure(name="fig_test", title="test", simulate=f"{__name__}:counting_simulation",
                             draw="unused:draw", settings={"tiny": {"size": 5}})
    monkeypatch.setitem(registry.FIGURES_BY_NAME, "fig_test", figure)
    monkeypatch.setattr(runner, "FIGURES_BY_NAME", registry.FIGURES_BY_NAME)
    CALLS.clear()
    return tmp_path / "results"


def results(seed=1):
    return runner.figure_results(["fig_test"], "tiny", seed)["fig_test"]


def test_finished_results_are_reused(test_figure):
    first, second = results(), results()
    assert CALLS == [(1, 5)]
    np.testing.assert_array_equal(first["values"], second["values"])


def test_settings_change_the_key(test_figure):
    results(seed=1)
    results(seed=2)
    assert CALLS == [(1, 5), (2, 5)]


def test_sidecar_records_settings_and_versions(test_figure):
    results(seed=3)
    (sidecar,) = test_figure.glob("*.json")
    meta = json.loads(sidecar.read_text())
    assert meta["settings"] == {"seed": 3, "size": 5}
    assert meta["seed"] == 3
    assert "numpy" in meta["versions"] and meta["code_version"]


@pytest.mark.parametrize("damage", ["truncate_npz", "garbage_json", "delete_json"])
def test_damaged_entries_are_recomputed(test_figure, damage):
    expected = results()
    (data,) = test_figure.glob("*.npz")
    sidecar = data.with_suffix(".json")
    if damage == "truncate_npz":
        data.write_bytes(data.read_bytes()[:20])
    elif damage == "garbage_json":
        sidecar.write_text("{not json")
    else:
        sidecar.unlink()
    again = results()
    assert len(CALLS) == 2
    np.testing.assert_array_equal(again["values"], expected["values"])


def test_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken_savez(handle, **arrays):
        handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(KeyboardInterrupt):
        ResultCache(tmp_path).store("key", {"values": np.zeros(3)}, {"seed": 1})
    assert list(tmp_path.iterdir()) == []


def test_non_dict_result_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="dict of arrays"):
        ResultCache(tmp_path).store("key", np.zeros(3), {"seed": 1})
