"""Loading and validating text audit plans."""

import copy

import pytest
import yaml

from equilens.errors import PlanError
from equilens.text import load_text_plan, parse_text_plan

RULE = {
    "score": "compound",
    "operator": "<=",
    "threshold": -0.05,
    "positive_label": "escalate",
    "negative_label": "no_escalate",
}
PLAN = {
    "kind": "text",
    "data": {"testbed": "escalation", "locales": ["en-US", "ja-JP"]},
    "runs": [
        {"name": "vader-en", "model": {"kind": "vader", "rule": RULE}, "locales": ["en-US"]},
        {
            "name": "vader-gloss",
            "model": {"kind": "vader", "rule": RULE},
            "input": "english_gloss",
            "locales": ["ja-JP"],
        },
    ],
    "positive_label": "escalate",
    "hypotheses": [
        {
            "id": "understated",
            "metric": "recall",
            "attribute": "style",
            "comparison": "difference",
            "threshold": 0.1,
            "groups": ["intensity=understated"],
            "where": {"severity": [3, 4]},
        }
    ],
}


def changed(**changes):
    raw = copy.deepcopy(PLAN)
    for path, value in changes.items():
        target = raw
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is None:
            target.pop(last)
        else:
            target[int(last) if last.isdigit() else last] = value
    return raw


def error_message(raw) -> str:
    with pytest.raises(PlanError) as caught:
        parse_text_plan(raw)
    return str(caught.value)


def test_plan_parses_with_defaults():
    plan = parse_text_plan(PLAN)
    assert plan.runs[1].input == "english_gloss"
    assert plan.hypotheses[0].metric == "true_positive_rate"
    assert plan.min_group_size == 30
    assert plan.probes.minimal_pairs


def test_plan_yaml_round_trip(tmp_path):
    plan = parse_text_plan(PLAN)
    path = tmp_path / "plan.yaml"
    path.write_text(plan.to_yaml(), encoding="utf-8")
    assert load_text_plan(path) == plan


def test_plan_relative_paths_resolved(tmp_path):
    raw = changed(data={"path": "corpus.tsv", "format": "tsv"}, cache="cache.duckdb")
    raw["runs"] = [{"name": "vader", "model": {"kind": "vader", "rule": RULE}}]
    raw["hypotheses"] = []
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    plan = load_text_plan(path)
    assert plan.data.path == tmp_path / "corpus.tsv"
    assert plan.cache == tmp_path / "cache.duckdb"


def test_plan_kind_missing():
    message = error_message(changed(kind=None))
    assert "'kind' is missing" in message
    assert "kind: text" in message


def test_plan_unknown_model_kind():
    message = error_message(changed(runs__0__model={"kind": "vadr"}))
    assert "runs[0].model.kind" in message
    assert "vader" in message


def test_plan_unknown_model_field_names_path():
    model = {"kind": "vader", "rule": RULE, "treshold": 1}
    message = error_message(changed(runs__0__model=model))
    assert "runs[0].model.treshold: unknown field" in message
    assert "batch_size" in message


def test_plan_unknown_data_field():
    message = error_message(changed(data={"testbed": "escalation", "local": ["en-US"]}))
    assert "data.local: unknown field" in message
    assert "Did you mean 'locale'" in message


def test_plan_unknown_testbed_locale():
    message = error_message(changed(data={"testbed": "escalation", "locales": ["jp-JP"]}))
    assert "unknown locale 'jp-JP'" in message
    assert "ja-JP" in message


def test_plan_run_locale_outside_data():
    message = error_message(changed(runs__0__locales=["fi-FI"]))
    assert "runs[0].locales" in message
    assert "'fi-FI'" in message


def test_plan_corpus_locale_not_a_code():
    raw = changed(data={"path": "c.csv", "locale": "Finnish"})
    raw["runs"] = [{"name": "vader", "model": {"kind": "vader", "rule": RULE}}]
    assert "'Finnish' is not a locale code" in error_message(raw)


def test_plan_positive_label_not_a_model_label():
    message = error_message(changed(positive_label="negative"))
    assert "positive_label: 'negative' is not a label of run 'vader-en'" in message
    assert "['escalate', 'no_escalate']" in message


def test_plan_duplicate_run_names():
    raw = changed()
    raw["runs"][1]["name"] = "vader-en"
    assert "run names must be unique" in error_message(raw)


def test_plan_invalid_run_name():
    assert "runs[0].name" in error_message(changed(runs__0__name="vader en"))


def test_plan_hypothesis_unknown_run():
    raw = changed()
    raw["hypotheses"][0]["runs"] = ["vader-ja"]
    message = error_message(raw)
    assert "hypotheses[0].runs: run 'vader-ja' is not declared" in message


def test_plan_hypothesis_runs_with_run_attribute():
    raw = changed()
    raw["hypotheses"][0].update(attribute=["run", "locale"], runs=["vader-en"])
    assert "'runs' cannot be combined with the attribute 'run'" in error_message(raw)


def test_plan_hypothesis_unknown_metric():
    raw = changed()
    raw["hypotheses"][0]["metric"] = "recal"
    assert "hypotheses[0].metric" in error_message(raw)


def test_plan_needs_one_data_source():
    raw = changed(data={"testbed": "escalation", "path": "corpus.csv"})
    assert "either 'testbed'" in error_message(raw)


def test_plan_file_not_yaml(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("kind: text\nruns: [", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_text_plan(path)


def test_plan_probability_scores_default():
    plan = parse_text_plan(PLAN)
    assert plan.runs[0].probability_scores is False
