"""The --backend and --device options: they reach the P simulations, enter the cache key, and bad values exit 2."""

from __future__ import annotations

import builtins
import json

import pytest

from sparsetheory import runner
from sparsetheory.cli import main


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    return tmp_path


def test_numpy_backend_rejects_a_gpu_device(capsys):
    assert main(["verify", "P1", "--profile", "tiny", "--device", "cuda"]) == 2
    assert "--device cuda needs --backend torch" in capsys.readouterr().err


def test_torch_backend_without_torch_is_a_usage_error(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "simulations.pruned_two_layer_torch", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_torch)
    assert main(["figures", "fig_random_pruning_rho", "--profile", "tiny", "--backend", "torch"]) == 2
    assert "pip install 'sparsetheory[torch]'" in capsys.readouterr().err


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "cuda:99"])
def test_torch_backend_rejects_unknown_or_absent_devices(device, capsys):
    pytest.importorskip("torch")
    assert main(["verify", "P3", "--profile", "tiny", "--backend", "torch", "--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparsetheory: error: --device") and len(err.strip().splitlines()) == 1


def test_torch_backend_reaches_the_checks(workspace, monkeypatch):
    pytest.importorskip("torch")
    seen = []
    original = runner.accepted_options

    def spy(function, options):
        accepted = original(function, options)
        seen.append((function.__name__, accepted))
        return accepted

    monkeypatch.setattr(runner, "accepted_options", spy)
    path = workspace / "records.json"
    assert main(["verify", "P3", "M1", "--profile", "tiny", "--backend", "torch", "--device", "cpu",
                 "--json", str(path)]) in (0, 1)  # tiny sizes decide no verdict; the records must come back
    assert {"check_p3": {"backend": "torch", "device": "cpu"}, "check_m1": {}} == dict(seen)
    assert {record["claim"] for record in json.loads(path.read_text())} == {"P3", "M1"}


def test_backend_enters_the_figure_cache_key_of_p_figures_only():
    options = {"backend": "torch", "device": "cpu"}
    assert runner._figure_settings("fig_random_pruning_rho", "tiny", 0, options) == {
        "seed": 0, "profile": "tiny", **options}
    assert runner._figure_settings("fig_random_pruning_rho", "tiny", 0) == {"seed": 0, "profile": "tiny"}
    assert runner._figure_settings("fig_penalty_terms", "tiny", 0, options) == runner._figure_settings(
        "fig_penalty_terms", "tiny", 0)
