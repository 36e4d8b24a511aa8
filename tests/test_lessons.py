"""Every lesson (lessons/*.py) runs end to end at tiny size, and every exercise check inside it passes."""

from __future__ import annotations

import runpy
from pathlib import Path

import matplotlib
import pytest

from sparsetheory import exercises

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("[0-9][0-9]_*.py"))
FAMILIES = {"01": "M", "02": "E", "03": "B", "04": "K", "05": "G", "06": "P"}


def test_one_lesson_per_family():
    assert sorted(FAMILIES[path.name[:2]] for path in LESSONS) == sorted(FAMILIES.values())


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_lesson_runs_and_its_exercises_pass(path, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("SPARSETHEORY_LESSON_SIZE", "tiny")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("LESSON_OUTPUT", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(exercises, "RESULTS", [])
    import matplotlib.pyplot as plt

    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
    family = FAMILIES[path.name[:2]]
    assert [key for key, _ in exercises.RESULTS] == exercises.ids(family)
    assert all(ok for _, ok in exercises.RESULTS)
    assert list((tmp_path / "out").glob("*.png"))


def test_check_rejects_a_wrong_answer(capsys, monkeypatch):
    monkeypatch.setattr(exercises, "RESULTS", [])
    assert exercises.check("G.1", 0.5) is False
    assert exercises.check("K.1", 95) is False
    assert exercises.check("M.3", [True]) is False  # wrong shape
    assert exercises.check("B.2", "not a number") is False
    out = capsys.readouterr().out
    assert "G.1: not yet — expected ≈" in out and "within tol" in out
    assert exercises.RESULTS == [("G.1", False), ("K.1", False), ("M.3", False), ("B.2", False)]


def test_pruning_exercises_reject_the_answers_that_forget_the_mask(monkeypatch, capsys):
    import numpy as np

    monkeypatch.setattr(exercises, "RESULTS", [])
    d = exercises.data("P.1")
    assert not exercises.check("P.1", np.full(d["rho"].shape, d["sigma_p"] * (d["C"] * d["d"] / d["n"]) ** 0.25))
    d = exercises.data("P.2")
    assert not exercises.check("P.2", 1 - d["rho"])  # a single neuron's variance, no averaging
    d = exercises.data("P.3")
    assert not exercises.check("P.3", d["rho"] ** d["width"])  # m neurons instead of 2m
    assert "correct" not in capsys.readouterr().out

def test_check_accepts_the_package_answer_within_tolerance(capsys):
    from theory.gates import hard_concrete_prob_nonzero

    assert exercises.check("G.1", float(hard_concrete_prob_nonzero(0.5)) + 1e-15)
    assert "G.1: correct" in capsys.readouterr().out


def test_check_rejects_an_unknown_id():
    with pytest.raises(ValueError, match="valid ids: M.1"):
        exercises.check("Z.9", 1.0)


def test_exercises_module_is_import_light():
    import subprocess
    import sys

    code = ("import sys, sparsetheory.exercises, sparsetheory.cli; "
            "print(sorted(m for m in ('sympy', 'scipy', 'matplotlib') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
