"""Loading and validating audit plans."""

import pytest
import yaml

from equilens.errors import PlanError
from equilens.plan import AuditPlan, Hypothesis, load_plan, parse_plan

MINIMAL = {
    "target": "approved",
    "prediction": {"column": "decision"},
    "protected": [{"name": "race", "reference": "white"}, {"name": "sex"}],
}


def write_plan(tmp_path, content):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def test_plan_defaults():
    plan = parse_plan(MINIMAL)
    assert plan.min_group_size == 30
    assert plan.confidence_level == 0.95
    assert plan.bootstrap_replicates == 1000
    assert plan.multiple_testing == "benjamini-hochberg"
    assert plan.missing_values == "group"


def test_plan_yaml_round_trip(tmp_path):
    plan = parse_plan(
        {
            **MINIMAL,
            "intersections": "all",
            "hypotheses": [
                {
                    "metric": "selection_rate",
                    "attribute": "race",
                    "comparison": "ratio",
                    "threshold": 0.8,
                }
            ],
        }
    )
    path = tmp_path / "plan.yaml"
    path.write_text(plan.to_yaml(), encoding="utf-8")
    assert load_plan(path) == plan


def test_plan_relative_data_path_resolved_against_plan_folder(tmp_path):
    path = write_plan(tmp_path, {**MINIMAL, "data": {"path": "rows.csv"}})
    assert load_plan(path).data.path == tmp_path / "rows.csv"


def test_all_intersections():
    plan = parse_plan(
        {**MINIMAL, "protected": [{"name": n} for n in "abc"], "intersections": "all"}
    )
    assert plan.intersection_tuples() == [("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")]


def test_metric_alias_is_canonicalised():
    hypothesis = Hypothesis(metric="FNR", attribute="race", comparison="difference", threshold=0.1)
    assert hypothesis.metric == "false_negative_rate"


def test_default_operator_by_comparison():
    ratio = Hypothesis(metric="selection_rate", attribute="race", comparison="ratio", threshold=0.8)
    difference = Hypothesis(metric="fnr", attribute="race", comparison="difference", threshold=0.1)
    assert ratio.resolved_operator == ">="
    assert difference.resolved_operator == "within"


def test_statement_names_reference():
    hypothesis = Hypothesis(
        metric="selection_rate", attribute="race", comparison="ratio", threshold=0.8
    )
    assert (
        hypothesis.statement("white") == "selection_rate ratio of every race group to white >= 0.8"
    )


def test_unknown_metric_names_yaml_path_and_choices(tmp_path):
    path = write_plan(
        tmp_path,
        {
            **MINIMAL,
            "hypotheses": [
                {
                    "metric": "selction_rate",
                    "attribute": "race",
                    "comparison": "ratio",
                    "threshold": 0.8,
                }
            ],
        },
    )
    with pytest.raises(PlanError) as error:
        load_plan(path)
    message = str(error.value)
    assert "hypotheses[0].metric" in message
    assert "Did you mean 'selection_rate'" in message


def test_unknown_attribute_in_hypothesis():
    with pytest.raises(
        PlanError, match="names attribute 'age', which is not a protected attribute"
    ):
        parse_plan(
            {
                **MINIMAL,
                "hypotheses": [
                    {
                        "metric": "selection_rate",
                        "attribute": "age",
                        "comparison": "ratio",
                        "threshold": 0.8,
                    }
                ],
            }
        )


def test_unknown_attribute_in_intersection():
    with pytest.raises(PlanError, match="'age'"):
        parse_plan({**MINIMAL, "intersections": [["race", "age"]]})


def test_unknown_field_lists_allowed_fields():
    with pytest.raises(PlanError) as error:
        parse_plan({**MINIMAL, "protected": [{"name": "race", "refrence": "white"}]})
    message = str(error.value)
    assert "protected[0].refrence: unknown field" in message
    assert "reference" in message.split("allowed fields:")[1]


def test_invalid_comparison_lists_allowed_values():
    with pytest.raises(PlanError) as error:
        parse_plan(
            {
                **MINIMAL,
                "hypotheses": [
                    {"metric": "fnr", "attribute": "race", "comparison": "gap", "threshold": 0.1}
                ],
            }
        )
    assert "hypotheses[0].comparison" in str(error.value)
    assert "'difference'" in str(error.value)


def test_missing_prediction_and_model():
    with pytest.raises(PlanError, match="give 'prediction'"):
        parse_plan({"target": "y", "protected": [{"name": "race"}]})


def test_score_column_without_threshold():
    with pytest.raises(PlanError, match="needs a 'threshold'"):
        parse_plan({**MINIMAL, "prediction": {"score_column": "score"}})


def test_confidence_level_out_of_range():
    with pytest.raises(PlanError, match="confidence_level"):
        parse_plan({**MINIMAL, "confidence_level": 1.5})


def test_plan_file_not_yaml(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("target: [unclosed", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_plan(path)


def test_plan_file_missing(tmp_path):
    with pytest.raises(PlanError, match="Plan file not found"):
        load_plan(tmp_path / "absent.yaml")


def test_bins_must_increase():
    with pytest.raises(PlanError, match="increasing"):
        parse_plan({**MINIMAL, "protected": [{"name": "age", "bins": [60, 18]}]})


def test_plan_buildable_in_python():
    plan = AuditPlan(target="y", prediction={"column": "p"}, protected=[{"name": "race"}])
    assert plan.protected[0].source_column == "race"
