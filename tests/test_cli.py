"""Every CLI command at tiny size, and its handling of bad input."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from sparsetheory import registry
from sparsetheory.cli import main
from sparsetheory.registry import CLAIMS, FIGURES, NOT_REPRODUCED


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    return tmp_path


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sparsetheory", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=600)


def test_list_names_every_claim_and_figure(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(claim.id in out for claim in CLAIMS)
    assert all(figure.name in out for figure in FIGURES)


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_derive_prints_steps(claim, capsys):
    assert main(["derive", claim]) == 0
    out = capsys.readouterr().out
    assert out.startswith(claim) and "Step 1." in out and "Step 2." in out


def test_verify_writes_json_records(workspace, capsys):
    path = workspace / "records.json"
    assert main(["verify", "M1", "M3", "--profile", "tiny", "--json", str(path)]) == 0
    records = json.loads(path.read_text())
    assert {record["claim"] for record in records} == {"M1", "M3"}
    assert all(record["passed"] is True for record in records)
    table = capsys.readouterr().out
    for column in ("claim", "quantity", "theory", "simulation", "error", "tolerance", "verdict"):
        assert column in table


def test_verify_is_reproducible_and_independent_of_jobs(workspace):
    paths = [workspace / f"run{i}.json" for i in range(3)]
    assert main(["verify", "M1", "M2", "--profile", "tiny", "--seed", "5", "--json", str(paths[0])]) == 0
    assert main(["verify", "M1", "M2", "--profile", "tiny", "--seed", "5", "--json", str(paths[1])]) == 0
    assert main(["verify", "M1", "M2", "--profile", "tiny", "--seed", "5", "--jobs", "2",
                 "--json", str(paths[2])]) == 0
    first, second, parallel = (json.loads(path.read_text()) for path in paths)
    assert first == second == parallel


def test_verify_fails_when_observed_verdict_differs_from_record(monkeypatch):
    claim = registry.CLAIMS_BY_ID["M1"]
    monkeypatch.setitem(registry.CLAIMS_BY_ID, "M1", registry.Claim(**{**claim.__dict__, "expected": NOT_REPRODUCED}))
    assert main(["verify", "M1", "--profile", "tiny"]) == 1


def test_figures_writes_pdf_and_png_and_redraws_only_what_changed(workspace):
    name = FIGURES[0].name
    assert main(["figures", name, "--profile", "tiny"]) == 0
    pdf, png = (workspace / "build" / "figures" / f"{name}.{extension}" for extension in ("pdf", "png"))
    assert pdf.stat().st_size > 0 and png.stat().st_size > 0
    drawn_at = pdf.stat().st_mtime_ns
    assert main(["figures", name, "--profile", "tiny"]) == 0
    assert pdf.stat().st_mtime_ns == drawn_at  # same results, same drawing code: nothing to redo
    png.unlink()
    assert main(["figures", name, "--profile", "tiny"]) == 0
    assert png.exists() and pdf.stat().st_mtime_ns > drawn_at


def test_paper_builds(workspace):
    assert main(["paper", "--profile", "tiny"]) == 0
    generated = workspace / "paper" / "generated"
    assert (generated / "equations.tex").read_text().count(r"\csname st@eq@") > 5
    for claim in CLAIMS:
        assert (generated / f"verify_{claim.id}.tex").exists()
    for figure in FIGURES:
        if figure.table is not None:
            assert rf"\label{{tab:{figure.name}}}" in (generated / f"table_{figure.name}.tex").read_text()
    if shutil.which("latexmk") is None:
        if os.environ.get("SPARSETHEORY_REQUIRE_TEX"):
            pytest.fail("SPARSETHEORY_REQUIRE_TEX is set but latexmk is not installed")
        pytest.skip("latexmk is not installed: the PDF build is tested in CI")
    assert (workspace / "paper" / "build" / "main.pdf").stat().st_size > 10_000

    from sparsetheory.paper import run_latexmk

    values = generated / "values.tex"
    values.write_text(values.read_text().replace(r"\generatedby{", r"\generatedby{0", 1))
    built, message = run_latexmk()
    assert not built and "stale" in message


@pytest.mark.parametrize(
    "args, message",
    [
        (["verify", "Q7"], "unknown claim id Q7"),
        (["derive", "Z1"], "unknown claim id Z1"),
        (["figures", "fig_nope"], "unknown figure fig_nope"),
        (["verify", "--seed", "abc"], "--seed"),
        (["verify", "--seed", "-3"], "--seed"),
        (["verify", "--jobs", "0"], "--jobs"),
        (["verify", "--quick", "--full"], "not allowed with"),
        (["verify", "M1", "--json", "/nonexistent-dir/out.json"], "cannot write --json"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message):
    completed = run_cli(*args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], completed.stderr
    assert "Traceback" not in completed.stderr


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from sparsetheory.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('sympy', 'matplotlib', 'cvxpy', 'torch', 'scipy') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_readme_lists_every_claim_with_its_recorded_verdict():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = {line.split("|")[1].strip(): line.split("|")[-2].strip()
            for line in readme.splitlines() if line.startswith("| ") and line.split("|")[1].strip() in
            registry.CLAIMS_BY_ID}
    assert rows == {claim.id: claim.expected for claim in CLAIMS}
