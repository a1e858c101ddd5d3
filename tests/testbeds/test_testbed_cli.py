"""The ``testbed`` command group, run through Typer's test runner."""

from __future__ import annotations

from typer.testing import CliRunner

from equilens.testbeds import read_jsonl
from equilens.testbeds.cli import app

runner = CliRunner()


def test_list_exits_zero():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "escalation" in result.output
    assert "identity" in result.output


def test_generate_writes_file(tmp_path):
    out = tmp_path / "esc.jsonl"
    result = runner.invoke(
        app, ["generate", "--bed", "escalation", "--out", str(out), "--locale", "fi-FI"]
    )
    assert result.exit_code == 0, result.output
    assert "fi-FI 2240" in result.output
    assert "no-op perturbations dropped" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert {item.locale for item in read_jsonl(out)} == {"fi-FI"}


def test_generate_unknown_bed_exits_two(tmp_path):
    result = runner.invoke(app, ["generate", "--bed", "nope", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert "Unknown test bed 'nope'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.jsonl").exists()


def test_generate_unknown_locale_exits_two(tmp_path):
    result = runner.invoke(
        app,
        ["generate", "--bed", "identity", "--out", str(tmp_path / "x.jsonl"), "--locale", "sv-SE"],
    )
    assert result.exit_code == 2
    assert "Unknown locale 'sv-SE'" in result.output
    assert "Traceback" not in result.output


def test_generate_missing_option_exits_two():
    result = runner.invoke(app, ["generate", "--bed", "identity"])
    assert result.exit_code == 2
