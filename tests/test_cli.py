"""The command-line interface: exit codes, messages and outputs."""

import json
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from equilens.cli import app

runner = CliRunner()


@pytest.fixture
def plan_file(tmp_path):
    rng = np.random.default_rng(3)
    n = 400
    race = rng.choice(["white", "black"], n, p=[0.7, 0.3])
    frame = pd.DataFrame(
        {
            "approved": rng.integers(0, 2, n),
            "decision": (rng.random(n) < np.where(race == "white", 0.8, 0.5)).astype(int),
            "race": race,
        }
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)
    plan = {
        "name": "cli test",
        "data": {"path": "rows.csv"},
        "target": "approved",
        "prediction": {"column": "decision"},
        "protected": [{"name": "race", "reference": "white"}],
        "bootstrap_replicates": 200,
        "hypotheses": [
            {
                "id": "four_fifths",
                "metric": "selection_rate",
                "attribute": "race",
                "comparison": "ratio",
                "threshold": 0.8,
            }
        ],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


def test_audit_writes_outputs(plan_file, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["audit", str(plan_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ["plan.yaml", "findings.json", "predictions.parquet", "report.html", "summary.md"]:
        assert (out / name).is_file(), name


def test_check_plan_fails_with_exit_1(plan_file):
    result = runner.invoke(app, ["check", str(plan_file)])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output


def test_check_findings_json_and_junit(plan_file, tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["audit", str(plan_file), "--out", str(out)])
    junit = tmp_path / "junit.xml"
    result = runner.invoke(app, ["check", str(out / "findings.json"), "--junit", str(junit)])
    assert result.exit_code == 1
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("failures") == "1"
    assert suite.find("testcase/failure") is not None


def test_check_passing_findings_exit_0(plan_file, tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["audit", str(plan_file), "--out", str(out)])
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    for finding in findings["findings"]:
        finding["verdict"] = "pass"
    path = tmp_path / "passing.json"
    path.write_text(json.dumps(findings), encoding="utf-8")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0


def test_check_strict_fails_on_inconclusive(plan_file, tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["audit", str(plan_file), "--out", str(out)])
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    findings["findings"][0]["verdict"] = "inconclusive"
    path = tmp_path / "inconclusive.json"
    path.write_text(json.dumps(findings), encoding="utf-8")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    assert runner.invoke(app, ["check", str(path), "--strict"]).exit_code == 1


def test_bad_plan_exits_2_without_traceback(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("target: y\nprotected: []\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "protected" in result.output


def test_missing_column_exits_2_with_suggestion(plan_file, tmp_path):
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    plan["target"] = "aproved"
    plan_file.write_text(yaml.safe_dump(plan), encoding="utf-8")
    result = runner.invoke(app, ["audit", str(plan_file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Did you mean 'approved'" in result.output
    assert "Traceback" not in result.output


def test_check_rejects_foreign_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"schema": "something/1"}', encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "not an equilens findings file" in result.output


def test_check_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "File not found" in result.output


def test_unknown_option_exits_2():
    assert runner.invoke(app, ["audit", "--bogus"]).exit_code == 2


BAD_INPUTS = {
    # case: (CSV text, plan changes, expected words in the message)
    "favorable label absent": (
        "approved,decision,race\nyes,yes,white\nno,no,black\n",
        {},
        "Favorable label 1 does not occur",
    ),
    "non-binary target": (
        "approved,decision,race\n1,1,white\n2,1,black\n3,0,white\n",
        {},
        "not binary",
    ),
    "missing protected value": (
        "approved,decision,race\n1,1,white\n0,1,\n",
        {"missing_values": "error"},
        "has 1 missing value",
    ),
    "empty data": ("approved,decision,race\n", {}, "has no rows"),
    "single group": ("approved,decision,race\n1,1,white\n0,1,white\n", {}, "single group 'white'"),
    "duplicate columns": (
        "approved,decision,race,race\n1,1,white,black\n",
        {},
        "repeats the column name",
    ),
    "unknown metric": (
        "approved,decision,race\n1,1,white\n0,1,black\n",
        {"metrics": ["selection_rat"]},
        "unknown metric 'selection_rat'",
    ),
    "unknown attribute": (
        "approved,decision,race\n1,1,white\n0,1,black\n",
        {"intersections": [["race", "sex"]]},
        "names attribute 'sex'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_message(case, tmp_path):
    rows, changes, expected = BAD_INPUTS[case]
    (tmp_path / "rows.csv").write_text(rows, encoding="utf-8")
    plan = {
        "data": {"path": "rows.csv"},
        "target": "approved",
        "prediction": {"column": "decision"},
        "protected": [{"name": "race"}],
        **changes,
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")

    result = runner.invoke(app, ["audit", str(path), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_non_utf8_csv_exits_2(tmp_path):
    (tmp_path / "rows.csv").write_bytes(
        "approved,decision,race\n1,1,blanc-é\n0,1,noir\n".encode("latin-1")
    )
    plan = {
        "data": {"path": "rows.csv"},
        "target": "approved",
        "prediction": {"column": "decision"},
        "protected": [{"name": "race"}],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    result = runner.invoke(app, ["audit", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Set data.encoding" in " ".join(result.output.split())


def test_written_plan_reruns_from_its_own_folder(plan_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    relative_plan = plan_file.relative_to(tmp_path.parent)
    out = tmp_path / "out"
    first = runner.invoke(app, ["audit", str(relative_plan), "--out", str(out)])
    assert first.exit_code == 0, first.output

    monkeypatch.chdir(out)
    second = runner.invoke(app, ["audit", "plan.yaml", "--out", str(tmp_path / "again")])
    assert second.exit_code == 0, second.output
