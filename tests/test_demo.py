"""The loan demonstration end to end, checked against fairlearn on its own outputs."""

import json

import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score
from typer.testing import CliRunner

from equilens.cli import app
from equilens.demo import load_loanapp

runner = CliRunner()
PROTECTED = ["race", "sex", "marital_status"]
FAIRLEARN_METRICS = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "true_negative_rate": true_negative_rate,
    "accuracy": accuracy_score,
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "loan"


@pytest.fixture(scope="module")
def findings(demo_dir):
    return json.loads((demo_dir / "findings.json").read_text(encoding="utf-8"))


def test_loanapp_has_documented_shape():
    data = load_loanapp()
    assert len(data) == 1989
    assert set(data["race"].unique()) == {"white", "black", "hispanic"}


def test_demo_writes_five_files(demo_dir):
    names = {"plan.yaml", "report.html", "findings.json", "summary.md", "predictions.parquet"}
    assert names <= {path.name for path in demo_dir.iterdir()}


def test_predictions_columns(demo_dir):
    predictions = pd.read_parquet(demo_dir / "predictions.parquet")
    assert list(predictions.columns) == ["row_id", *PROTECTED, "y_true", "y_pred", "score"]


def test_predictions_hold_missing_group_label(demo_dir, findings):
    predictions = pd.read_parquet(demo_dir / "predictions.parquet")
    sex_groups = {entry["group"] for entry in findings["groups"] if entry["attribute"] == "sex"}
    assert set(predictions["sex"].unique()) == sex_groups
    assert "missing" in sex_groups


def test_group_metrics_equal_fairlearn(demo_dir, findings):
    predictions = pd.read_parquet(demo_dir / "predictions.parquet")
    for attribute in PROTECTED:
        frame = MetricFrame(
            metrics=FAIRLEARN_METRICS,
            y_true=predictions["y_true"],
            y_pred=predictions["y_pred"],
            sensitive_features=predictions[attribute],
        )
        for entry in (e for e in findings["groups"] if e["attribute"] == attribute):
            for name in FAIRLEARN_METRICS:
                ours = entry["metrics"][name]["value"]
                theirs = frame.by_group.loc[entry["group"], name]
                if ours is None:
                    # fairlearn returns 0 where a rate's denominator is zero.
                    assert theirs == 0, (attribute, entry["group"], name)
                else:
                    assert ours == pytest.approx(theirs, abs=1e-12), (
                        attribute,
                        entry["group"],
                        name,
                    )


def test_intersection_metrics_equal_fairlearn(demo_dir, findings):
    predictions = pd.read_parquet(demo_dir / "predictions.parquet")
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate},
        y_true=predictions["y_true"],
        y_pred=predictions["y_pred"],
        sensitive_features=predictions[["race", "sex"]],
    )
    for entry in findings["intersections"]:
        expected = frame.by_group.loc[tuple(entry["group"]), "selection_rate"]
        assert entry["metrics"]["selection_rate"]["value"] == pytest.approx(expected, abs=1e-12)


def test_four_fifths_hypotheses_present(findings):
    ids = {finding["id"] for finding in findings["findings"]}
    assert {"four_fifths_race", "fnr_parity_race", "four_fifths_race_sex"} <= ids


def test_every_finding_has_verdict_and_adjusted_p(findings):
    for finding in findings["findings"]:
        assert finding["verdict"] in {"pass", "fail", "inconclusive"}
        assert "p_adjusted" in finding


def test_failing_finding_names_iso_category(findings):
    failing = [finding for finding in findings["findings"] if finding["verdict"] == "fail"]
    assert failing
    for finding in failing:
        assert finding["bias_category"]["category"] in {
            "human cognitive bias",
            "data bias",
            "bias introduced by engineering decisions",
        }
        assert finding["recommendation"]


def test_plan_reruns_to_same_numbers(demo_dir, findings, tmp_path):
    result = runner.invoke(app, ["audit", str(demo_dir / "plan.yaml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rerun = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert rerun["groups"] == findings["groups"]
    assert rerun["findings"] == findings["findings"]


def test_demo_runs_tabular_probes(demo_dir, findings):
    probes = findings["probes"]
    assert {"flip_test", "proxies", "attributions", "subgroups"} <= set(probes)
    race = [entry for entry in probes["flip_test"]["attributes"] if entry["attribute"] == "race"]
    assert race[0]["model_uses_attribute"] is False
    assert "probes.proxies" in race[0]["note"]
    assert probes["subgroups"]["subgroups"]
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="probe-attributions"' in html


def test_summary_mentions_top_finding(demo_dir, findings):
    summary = (demo_dir / "summary.md").read_text(encoding="utf-8")
    assert "four-fifths" in summary.lower()


def test_demo_report_opens_offline_without_errors(demo_dir, visit):
    page = visit(demo_dir / "report.html")
    assert page.console_errors == []
    assert page.other_requests == []


def test_demo_writes_mitigation_comparison(demo_dir):
    mitigation = json.loads((demo_dir / "mitigation" / "mitigation.json").read_text("utf-8"))
    assert mitigation["candidates"][0]["name"] == "baseline"
    assert "reason" in mitigation["recommendation"]


def test_summary_has_decision_section(demo_dir):
    summary = (demo_dir / "summary.md").read_text(encoding="utf-8")
    decision = summary.index("## Decision")
    assert decision < summary.index("## Next steps")


def test_demo_writes_escalation_audit(demo_dir):
    escalation = demo_dir.parent / "escalation"
    names = {"plan.yaml", "report.html", "findings.json", "summary.md", "predictions.parquet"}
    assert names <= {path.name for path in escalation.iterdir()}
