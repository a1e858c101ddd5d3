"""End-to-end text audits of VADER on small synthetic escalation items."""

import json

import pandas as pd
import pytest
from beds import escalation_items
from statsmodels.stats.multitest import multipletests

from equilens.errors import DataError
from equilens.text import load_text_plan, parse_text_plan, run_text_audit, text_summary_section

RULE = {
    "score": "compound",
    "operator": "<=",
    "threshold": -0.05,
    "positive_label": "escalate",
    "negative_label": "no_escalate",
}
UNDERSTATED = {
    "id": "understated",
    "metric": "true_positive_rate",
    "attribute": "style",
    "comparison": "difference",
    "threshold": 0.1,
    "groups": ["intensity=understated"],
    "where": {"severity": [3, 4]},
}
LANES = {
    "id": "lanes",
    "metric": "true_positive_rate",
    "attribute": ["run", "locale"],
    "comparison": "difference",
    "threshold": 0.1,
}


def make_plan(hypotheses=(UNDERSTATED, LANES), runs=None):
    runs = runs or [
        {"name": "vader-text", "model": {"kind": "vader", "rule": RULE}},
        {
            "name": "vader-gloss",
            "model": {"kind": "vader", "rule": RULE},
            "input": "english_gloss",
            "locales": ["en-GB"],
        },
    ]
    return parse_text_plan(
        {
            "kind": "text",
            "name": "synthetic escalation",
            "data": {"testbed": "escalation", "locales": ["en-US", "en-GB"]},
            "runs": runs,
            "positive_label": "escalate",
            "min_group_size": 5,
            "bootstrap_replicates": 200,
            "hypotheses": list(hypotheses),
        }
    )


@pytest.fixture(scope="module")
def result():
    return run_text_audit(make_plan(), items=escalation_items(gloss_suffix=" Thanks."))


@pytest.fixture(scope="module")
def findings(result):
    return result.to_dict()


def test_every_hypothesis_has_a_finding(findings):
    ids = [finding["id"] for finding in findings["findings"]]
    assert ids == ["understated[vader-text]", "understated[vader-gloss]", "lanes"]
    assert all(
        finding["verdict"] in ("pass", "fail", "inconclusive") for finding in findings["findings"]
    )


def test_attributes_carry_their_run(findings):
    names = {entry["name"] for entry in findings["attributes"]}
    assert {
        "run",
        "style [vader-text]",
        "style [vader-gloss]",
        "gender [vader-text, gender pairs]",
    } <= names
    assert "style [vader-text, severity S3|S4]" in names
    reference = next(e for e in findings["attributes"] if e["name"] == "style [vader-text]")
    assert reference["reference"] == "base"


def test_p_values_adjusted_across_views(findings):
    tested = [
        entry
        for entry in [*findings["disparities"], *findings["aggregates"]]
        if entry["p_value"] is not None
    ]
    expected = multipletests([entry["p_value"] for entry in tested], method="fdr_bh")[1]
    assert [entry["p_adjusted"] for entry in tested] == pytest.approx(expected)


def test_probes_present(findings):
    probes = findings["probes"]
    assert {"text_audit", "minimal_pairs", "monotonicity", "cross_locale", "calibration"} <= set(
        probes
    )
    assert probes["text_audit"]["rows_scored"] == 234
    assert probes["text_audit"]["rows_excluded"] == 0
    assert probes["calibration"]["runs_measured"] == 0
    assert "not probabilities" in probes["calibration"]["runs"][0]["reason"]


def test_predictions_columns(result):
    frame = result.predictions.to_frame()
    for column in (
        "row_id",
        "run",
        "locale",
        "style",
        "severity",
        "gender",
        "intensity",
        "age_band",
        "y_true",
        "y_pred",
        "score",
    ):
        assert column in frame.columns
    assert len(frame) == 234
    assert frame["row_id"].is_unique


def test_write_outputs(result, tmp_path):
    paths = result.write(tmp_path)
    for name in ("plan.yaml", "findings.json", "predictions.parquet", "report.html", "summary.md"):
        assert (tmp_path / name).is_file()
    assert load_text_plan(paths["plan"]) == make_plan()
    json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "## Text audit: who is missed and who is over-flagged" in summary
    assert summary.index("## Text audit") < summary.index("## What this means for the business")
    assert pd.read_parquet(paths["predictions"])["run"].nunique() == 2


def test_summary_names_over_escalated_style(findings):
    section = text_summary_section(findings)
    assert "### Run `vader-text`: vader on the text of en-GB, en-US" in section
    assert "**Over-escalated by style**" in section
    assert "`intensity=extreme`: false positive rate" in section


def test_view_without_positives_is_inconclusive():
    hypothesis = {**UNDERSTATED, "id": "s0_only", "groups": None, "where": {"severity": 0}}
    result = run_text_audit(make_plan([hypothesis]), items=escalation_items(personas=1))
    findings = result.to_dict()
    finding = findings["findings"][0]
    assert finding["verdict"] == "inconclusive"
    assert "no row has the gold label 'escalate'" in finding["effect"]["reason"]
    assert any(warning["code"] == "view_skipped" for warning in findings["warnings"])


def test_hypothesis_group_absent_names_run():
    hypothesis = {**UNDERSTATED, "groups": ["intensity=litotes"]}
    with pytest.raises(DataError, match=r"hypotheses\[0\] for run 'vader-text'.*litotes"):
        run_text_audit(make_plan([hypothesis]), items=escalation_items(personas=1))


def test_single_run_names_unqualified():
    runs = [{"name": "only", "model": {"kind": "vader", "rule": RULE}}]
    result = run_text_audit(make_plan([UNDERSTATED], runs=runs), items=escalation_items(personas=1))
    findings = result.to_dict()
    names = {entry["name"] for entry in findings["attributes"]}
    assert {"style", "locale", "severity", "style [severity S3|S4]"} <= names
    assert findings["findings"][0]["id"] == "understated"


def test_identity_bed_sentiment_model_confusions():
    from equilens import testbeds

    items = [item for item in testbeds.generate("identity", locales=["en-US"]) if "t01" in item.id]
    rule = {**RULE, "positive_label": "negative", "negative_label": "not_negative"}
    plan = parse_text_plan(
        {
            "kind": "text",
            "data": {"testbed": "identity", "locales": ["en-US"]},
            "runs": [{"name": "vader", "model": {"kind": "vader", "rule": rule}}],
            "positive_label": "negative",
            "positive_gold_labels": ["anger", "fear", "sadness"],
            "min_group_size": 5,
            "bootstrap_replicates": 200,
        }
    )
    findings = run_text_audit(plan, items=items).to_dict()
    multiclass = findings["probes"]["multiclass"]
    run = next(entry for entry in multiclass["attributes"] if entry["attribute"] == "run")
    assert run["true_labels"] == ["anger", "fear", "joy", "sadness"]
    assert run["predicted_labels"] == ["negative", "not_negative"]
    confusions = run["groups"][0]["top_confusions"]
    assert all(entry["true"] != entry["predicted"] for entry in confusions)
    assert {entry["name"] for entry in findings["attributes"]} >= {"style", "gender [gender pairs]"}
