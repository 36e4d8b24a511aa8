"""Sweeps on a Dask distributed cluster give the same results as the serial run."""

import json

import numpy as np
import pytest

from sparsetheory import runner
from sparsetheory.cli import main
from sparsetheory.registry import FIGURES

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local.scheduler_address


def test_verify_on_dask_matches_serial(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    serial, remote = tmp_path / "serial.json", tmp_path / "remote.json"
    assert main(["verify", "M1", "M4", "--profile", "tiny", "--seed", "11", "--json", str(serial)]) == 0
    assert main(["verify", "M1", "M4", "--profile", "tiny", "--seed", "11", "--scheduler", cluster,
                 "--json", str(remote)]) == 0
    assert json.loads(serial.read_text()) == json.loads(remote.read_text())


def test_figure_results_on_dask_match_serial(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    name = FIGURES[0].name
    serial = runner.simulate_figure(name, "tiny", 3)
    remote = runner.figure_results([name], "tiny", 3, scheduler=cluster)[name]
    assert sorted(serial) == sorted(remote)
    for key in serial:
        np.testing.assert_array_equal(np.asarray(serial[key]), remote[key])


def test_unreachable_scheduler_is_a_usage_error(capsys):
    assert main(["verify", "M1", "--profile", "tiny", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach --scheduler" in capsys.readouterr().err
