"""Every command with malformed options, unknown names or an unwritable output path prints one line on
stderr and exits 2 (usage) or 1 (runtime): never a traceback."""

from __future__ import annotations

import pytest

from sparsetheory.cli import main

COMMANDS_WITH_OPTIONS = ("verify", "figures", "paper")
MALFORMED = [
    (["--seed", "1.5"], "--seed"), (["--seed", ""], "--seed"), (["--seed", "-1"], "--seed"),
    (["--jobs", "0"], "--jobs"), (["--jobs", "two"], "--jobs"), (["--jobs", "-4"], "--jobs"),
    (["--profile", "huge"], "--profile"), (["--quick", "--full"], "not allowed with"),
    (["--bogus"], "unrecognized arguments"), (["--seed"], "expected one argument"),
]


def _error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS_WITH_OPTIONS)
@pytest.mark.parametrize("options, message", MALFORMED, ids=[" ".join(o) or "empty" for o, _ in MALFORMED])
def test_malformed_options_exit_2_with_one_line(command, options, message, capsys):
    assert main([command, *options]) == 2
    assert message in _error_line(capsys)


@pytest.mark.parametrize("args, message", [
    (["verify", "M1", "nope"], "unknown claim id nope"),
    (["verify", "m1"], "unknown claim id m1"),
    (["figures", "fig_penalty_terms", "fig_x"], "unknown figure fig_x"),
    (["derive"], "the following arguments are required"),
    (["derive", "M1", "M2"], "unrecognized arguments"),
    (["derive", ""], "unknown claim id"),
    (["list", "extra"], "unrecognized arguments"),
    ([], "the following arguments are required"),
    (["Verify"], "invalid choice"),
])
def test_unknown_names_exit_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    assert message in _error_line(capsys)


def test_json_path_that_is_a_directory_or_in_a_missing_directory_exits_2(workspace, capsys):
    for path in (workspace, workspace / "missing" / "records.json"):
        assert main(["verify", "M1", "--profile", "tiny", "--json", str(path)]) == 2
        assert "cannot write --json" in _error_line(capsys)


@pytest.mark.parametrize("args", [["figures", "fig_regularisation_paths"], ["verify", "M3"]])
def test_unwritable_workspace_exits_1_with_one_line(tmp_path, monkeypatch, capsys, args):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the workspace should be")
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(blocker))
    assert main([*args, "--profile", "tiny"]) == 1
    line = _error_line(capsys)
    assert line.startswith("sparsetheory: error:") and str(blocker) in line
