"""The plan's probes section: validation and YAML round trip."""

import pytest

from equilens.errors import PlanError
from equilens.plan import load_plan, parse_plan

BASE = {
    "target": "approved",
    "prediction": {"column": "decision"},
    "protected": [{"name": "race"}],
}


def _plan(probes):
    return parse_plan({**BASE, "probes": probes})


def test_plan_without_probes_has_none():
    assert parse_plan(BASE).probes is None


def test_cycle_rejected_with_path():
    with pytest.raises(PlanError, match="cycle income -> debt -> income") as error:
        _plan({"dag": {"edges": [["race", "income"], ["income", "debt"], ["debt", "income"]]}})
    assert "probes.dag.edges" in str(error.value)


def test_self_loop_rejected():
    with pytest.raises(PlanError, match="its own cause"):
        _plan({"dag": {"edges": [["income", "income"]]}})


def test_causal_without_dag_rejected():
    with pytest.raises(PlanError, match="probes.dag is missing"):
        _plan({"run": ["causal"]})


def test_unknown_probe_rejected():
    with pytest.raises(PlanError, match="probes.run"):
        _plan({"run": ["lime"]})


def test_unknown_field_lists_probe_fields():
    with pytest.raises(PlanError, match="proxy_columns"):
        _plan({"proxy_cols": {"race": ["zip"]}})


def test_subgroup_metric_must_be_proportion():
    with pytest.raises(PlanError, match="not one proportion"):
        _plan({"subgroups": {"metric": "auc"}})


def test_subgroup_metric_alias_accepted():
    plan = _plan({"subgroups": {"metric": "fnr"}})
    assert plan.probes.subgroups.metric == "false_negative_rate"


def test_default_selection():
    assert _plan({}).probes.selected() == ["flip_test", "proxies", "attributions", "subgroups"]
    with_dag = _plan({"dag": {"edges": [["race", "income"]]}})
    assert "causal" in with_dag.probes.selected()


def test_yaml_round_trip(tmp_path):
    plan = _plan(
        {
            "proxy_columns": {"race": ["zip", "income"]},
            "dag": {"edges": [["race", "income"]], "mechanisms": "linear"},
            "subgroups": {"features": ["income"], "max_depth": 3, "top_k": 5},
        }
    )
    path = tmp_path / "plan.yaml"
    path.write_text(plan.to_yaml(), encoding="utf-8")
    assert load_plan(path) == plan
