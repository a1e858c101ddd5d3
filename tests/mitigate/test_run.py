"""`run_mitigation` end to end: the engine's numbers, mitigation.json, the page, the
summary, the exported model, and the `equilens mitigate` command."""

import json

import numpy as np
import pytest
import skops.io
import yaml
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from typer.testing import CliRunner

from equilens.cli import app
from equilens.errors import PlanError
from equilens.mitigate import render_decision_section, run_mitigation
from equilens.plan import parse_plan

runner = CliRunner()
CANDIDATE_KEYS = {
    "name",
    "method",
    "constraint",
    "status",
    "utility",
    "fairness",
    "meets_all",
    "unmet",
    "frontier",
    "uses_groups_at_prediction",
    "randomised",
    "fit_seconds",
}


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, make_rows):
    rows = make_rows()
    plan = parse_plan(
        {
            "name": "Synthetic approvals",
            "target": "approved",
            "prediction": {"column": "decision"},
            "protected": [{"name": "group", "reference": "a"}],
            "bootstrap_replicates": 200,
            "seed": 3,
            "hypotheses": [
                {
                    "id": "four_fifths_group",
                    "metric": "selection_rate",
                    "attribute": "group",
                    "comparison": "ratio",
                    "threshold": 0.8,
                }
            ],
            "mitigation": {
                "features": ["x1", "x2", "x3"],
                "candidates": [
                    "reweighing",
                    "threshold_optimizer:demographic_parity",
                    "reject_option:demographic_parity",
                ],
                "allow_group_aware_decisions": True,
            },
        }
    )
    out = tmp_path_factory.mktemp("mitigation")
    result = run_mitigation(plan, rows, out_dir=out)
    document = json.loads((out / "mitigation.json").read_text(encoding="utf-8"))
    return result, document, out, rows


def test_run_writes_files(comparison):
    _, document, out, _ = comparison
    names = {"mitigation.json", "mitigation.html", "summary.md"}
    if document["recommendation"]["name"] is not None:
        names |= {"model.skops", "model_card.md"}
    assert names <= {path.name for path in out.iterdir()}


def test_mitigation_json_schema(comparison):
    _, document, _, _ = comparison
    assert document["schema"] == "equilens.mitigation/1"
    assert {"run", "hypotheses", "groups", "baseline", "candidates", "recommendation", "model"} <= (
        set(document)
    )
    assert [c["name"] for c in document["candidates"]][0] == "baseline"
    for entry in document["candidates"]:
        assert set(entry) >= CANDIDATE_KEYS, entry["name"]
        assert isinstance(entry["meets_all"], bool)
        for name in ("accuracy", "balanced_accuracy", "selection_rate", "favorable_decisions"):
            assert set(entry["utility"][name]) >= {"value", "ci"}, name
            assert len(entry["utility"][name]["ci"]) == 2, name
        fairness = entry["fairness"]["four_fifths_group"]
        assert {"value", "ci", "verdict", "metric", "threshold"} <= set(fairness)
    assert set(document["recommendation"]) == {"name", "reason", "blocking"}


def test_json_has_no_nan(comparison):
    _, _, out, _ = comparison
    text = (out / "mitigation.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda name: pytest.fail(f"JSON holds {name}"))


def test_meets_all_follows_verdicts(comparison):
    _, document, _, _ = comparison
    for entry in document["candidates"]:
        failed = [h for h, f in entry["fairness"].items() if f["verdict"] == "fail"]
        assert entry["meets_all"] == (not failed), entry["name"]
        assert entry["unmet"] == failed


def test_baseline_numbers_come_from_decisions(comparison):
    result, document, _, rows = comparison
    baseline = result.candidate("baseline")
    test_positions = result.data.splits[0][1]
    held_out = rows.iloc[test_positions]
    decisions = baseline.model.predict(held_out)
    y = held_out["approved"].to_numpy()
    utility = document["candidates"][0]["utility"]
    assert utility["accuracy"]["value"] == pytest.approx(accuracy_score(y, decisions))
    assert utility["balanced_accuracy"]["value"] == pytest.approx(
        balanced_accuracy_score(y, decisions)
    )
    group = held_out["group"].to_numpy()
    ratio = decisions[group == "b"].mean() / decisions[group == "a"].mean()
    assert document["candidates"][0]["fairness"]["four_fifths_group"]["value"] == pytest.approx(
        ratio
    )


def test_exported_model_predicts_like_fitted(comparison):
    result, document, out, rows = comparison
    name = document["recommendation"]["name"]
    assert name is not None
    path = out / "model.skops"
    loaded = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.predict(rows), result.candidate(name).model.predict(rows))
    assert document["model"]["untrusted_types"] == skops.io.get_untrusted_types(file=path)


def test_model_card_sections(comparison):
    _, document, out, _ = comparison
    assert document["recommendation"]["name"] is not None
    card = (out / "model_card.md").read_text(encoding="utf-8")
    for heading in (
        "## Model details",
        "## Intended use",
        "## Data",
        "## Audited groups",
        "## Metrics before and after",
        "## Known limits",
    ):
        assert heading in card, heading


def test_decision_section_frames_risk(comparison):
    _, document, _, _ = comparison
    section = render_decision_section(document)
    assert section.startswith("## Decision: fairness risk and the cost of each option")
    for entry in document["candidates"]:
        assert f"`{entry['name']}`" in section
    baseline = document["candidates"][0]["fairness"]["four_fifths_group"]
    if baseline["verdict"] == "fail":
        assert "four-fifths rule used in US fair-lending and employment practice" in section
        assert "95% CI" in section


def test_summary_includes_decision_section(comparison):
    _, _, out, _ = comparison
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Decision: fairness risk and the cost of each option" in summary
    assert "## Caveats" in summary


def test_html_is_offline(comparison):
    _, _, out, _ = comparison
    html = (out / "mitigation.html").read_text(encoding="utf-8")
    assert "<svg" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "<script" not in html


def test_strings_are_escaped(tmp_path, make_rows, plan_dict):
    rows = make_rows(n=500)
    rows["group"] = rows["group"].map({"a": "a", "b": "<b>x</b>|*"})
    plan_dict["name"] = "<script>alert(1)</script> *plan*"
    plan_dict["mitigation"]["candidates"] = [{"method": "reweighing", "name": "<i>rw</i>"}]
    run_mitigation(parse_plan(plan_dict), rows, out_dir=tmp_path)
    html = (tmp_path / "mitigation.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>rw</i>" not in html
    assert "<b>x</b>" not in html
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "\\<script\\>" in summary
    # A candidate name is shown in a code span, where Markdown renders no HTML.
    assert "`<i>rw</i>`" in summary
    assert "<b>x</b>" not in summary


def test_cross_validation_predicts_every_row(tmp_path, make_rows, plan_dict):
    rows = make_rows(n=400)
    plan_dict["mitigation"] |= {"folds": 3, "candidates": ["reweighing"]}
    result = run_mitigation(parse_plan(plan_dict), rows, out_dir=tmp_path)
    document = result.to_dict()
    assert document["run"]["evaluation"] == "cross_validation"
    assert document["run"]["n_test"] == len(rows)
    if document["recommendation"]["name"] is not None:
        assert (tmp_path / "model.skops").is_file()


def test_expected_value_measure(make_rows, plan_dict):
    plan_dict["mitigation"] |= {
        "candidates": ["reweighing"],
        "utility": {
            "measure": "expected_value",
            "values": {"true_positive": 1.0, "false_positive": -3.0},
        },
    }
    result = run_mitigation(parse_plan(plan_dict), make_rows(n=400))
    entry = result.to_dict()["candidates"][0]["utility"]["expected_value"]
    counts = result.candidate("baseline").audit.tables[("group",)].counts
    tn, fp, fn, tp = (values.sum() for values in counts.counts())
    assert entry["value"] == pytest.approx((tp - 3 * fp) / (tn + fp + fn + tp))
    assert entry["ci"][0] < entry["value"] < entry["ci"][1]


def test_score_hypothesis_rejected(plan_dict, make_rows):
    plan_dict["hypotheses"][0] |= {"metric": "auc", "comparison": "difference", "threshold": 0.1}
    with pytest.raises(PlanError, match="about scores"):
        run_mitigation(parse_plan(plan_dict), make_rows(n=200))


def write_plan(directory, plan: dict, rows) -> str:
    rows.to_csv(directory / "rows.csv", index=False)
    plan = {**plan, "data": {"path": "rows.csv"}}
    path = directory / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return str(path)


def test_cli_mitigate_writes_outputs(tmp_path, make_rows, plan_dict):
    plan_dict["mitigation"]["candidates"] = ["reweighing", "grid_search:demographic_parity"]
    plan_path = write_plan(tmp_path, plan_dict, make_rows(n=500))
    out = tmp_path / "out"
    result = runner.invoke(app, ["mitigate", plan_path, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "mitigation.json").is_file()
    assert "Recommended:" in result.output


def test_cli_no_hypotheses_exit_2(tmp_path, make_rows, plan_dict):
    plan_dict["hypotheses"] = []
    plan_path = write_plan(tmp_path, plan_dict, make_rows(n=200))
    result = runner.invoke(app, ["mitigate", plan_path, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "has no hypotheses" in result.output
    assert "Add at least one hypothesis" in result.output


def test_cli_no_mitigation_section_exit_2(tmp_path, make_rows, plan_dict):
    del plan_dict["mitigation"]
    plan_path = write_plan(tmp_path, plan_dict, make_rows(n=200))
    result = runner.invoke(app, ["mitigate", plan_path, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no 'mitigation' section" in result.output


def test_cli_needs_scores_exit_2(tmp_path, make_rows, plan_dict):
    from sklearn.linear_model import Perceptron

    rows = make_rows(n=300)
    model = Perceptron().fit(rows[["x1", "x2", "x3"]], rows["approved"])
    skops.io.dump(model, tmp_path / "model.skops")
    del plan_dict["prediction"]
    plan_dict["model"] = {"path": "model.skops", "features": ["x1", "x2", "x3"]}
    plan_dict["mitigation"] = {
        "estimator": "plan_model",
        "candidates": ["reweighing", "reject_option:demographic_parity"],
    }
    plan_path = write_plan(tmp_path, plan_dict, rows)
    result = runner.invoke(app, ["mitigate", plan_path, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "'reject_option:demographic_parity' needs scores" in result.output
    assert "Perceptron" in result.output
    assert "predict_proba" in result.output


def test_cli_group_absent_from_training_exit_2(tmp_path, make_rows, plan_dict):
    rows = make_rows(n=400)
    training = rows[rows["group"] == "a"]
    training.to_csv(tmp_path / "train.csv", index=False)
    plan_dict["mitigation"]["training_data"] = "train.csv"
    plan_path = write_plan(tmp_path, plan_dict, rows)
    result = runner.invoke(app, ["mitigate", plan_path, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Group 'b' of protected attribute 'group'" in result.output
    assert "none in the training split" in result.output


def test_no_recommendation_writes_no_model(tmp_path, make_rows, plan_dict):
    # A ratio of at least 1.5 to the reference is out of reach for every candidate.
    plan_dict["hypotheses"][0]["threshold"] = 1.5
    plan_dict["mitigation"]["candidates"] = ["reweighing"]
    result = run_mitigation(parse_plan(plan_dict), make_rows(n=400), out_dir=tmp_path)
    document = json.loads((tmp_path / "mitigation.json").read_text(encoding="utf-8"))
    assert result.recommendation["name"] is None
    assert result.recommendation["blocking"] == ["four_fifths_group"]
    assert document["model"] is None
    assert not (tmp_path / "model.skops").exists()
    assert not (tmp_path / "model_card.md").exists()
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "**No option is recommended.**" in summary
    html = (tmp_path / "mitigation.html").read_text(encoding="utf-8")
    assert "No candidate is recommended." in html
