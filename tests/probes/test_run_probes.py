"""`run_probes`: the plan's probes after an audit, stored in findings.json."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from tabular_cases import sex_rule_data, sex_rule_model

import equilens.probes.tabular as tabular
from equilens.audit import run_audit
from equilens.errors import DataError, PlanError
from equilens.models.tabular import SklearnPredictor
from equilens.plan import parse_plan
from equilens.probes.tabular import align_rows, run_probes

FEATURES = ["male", "x", "tenure"]


def _rows(n: int = 400, *, seed: int = 0) -> pd.DataFrame:
    data = sex_rule_data(n, seed=seed)
    rng = np.random.default_rng(seed)
    data["tenure"] = rng.normal(size=n) + data["male"]
    logit = 1.5 * data["x"] + 0.8 * data["male"] + 0.3 * data["tenure"]
    data["repaid"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return data


def _plan(probes=None, **extra):
    raw = {
        "name": "probe test",
        "target": "repaid",
        "model": {"path": "unused.skops"},
        "protected": [{"name": "sex", "reference": "male"}],
        "bootstrap_replicates": 200,
        **extra,
    }
    if probes is not None:
        raw["probes"] = probes
    return parse_plan(raw)


@pytest.fixture(scope="module")
def audited():
    data = _rows()
    estimator = GradientBoostingClassifier(n_estimators=40, random_state=0)
    estimator.fit(data[FEATURES], data["repaid"])
    predictor = SklearnPredictor(estimator, features=FEATURES)
    plan = _plan(
        {
            "proxy_columns": {"sex": ["tenure"]},
            "subgroups": {"features": ["x", "tenure"], "min_support": 0.1},
        }
    )
    result = run_audit(plan, data, model=predictor)
    probes = run_probes(result, plan, data, predictor)
    return result, probes


def test_default_probes_all_present(audited):
    result, probes = audited
    assert set(probes) == {"flip_test", "proxies", "attributions", "subgroups"}
    assert result.probes == probes


def test_findings_json_safe(audited):
    result, _ = audited
    findings = result.to_dict()
    text = json.dumps(findings, allow_nan=False)
    assert '"flip_test"' in text


def test_flip_test_uses_group_labels(audited):
    _, probes = audited
    (entry,) = probes["flip_test"]["attributes"]
    # The sex label column is not a model feature; the 0/1 code "male" is.
    assert entry["model_uses_attribute"] is False
    assert entry["variants"] == ["with_proxies"]


def test_proxies_exclude_protected_columns(audited):
    _, probes = audited
    (entry,) = probes["proxies"]["attributes"]
    features = {row["feature"] for row in entry["features"]}
    assert "sex" not in features
    assert "male" in {proxy["feature"] for proxy in entry["proxies"]}


def test_attribution_reference_from_plan(audited):
    _, probes = audited
    (entry,) = probes["attributions"]["attributes"]
    assert entry["reference"] == "male"
    assert entry["groups"][0]["group"] == "female"


def test_report_written_with_probes(audited, tmp_path):
    result, _ = audited
    paths = result.write(tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert 'id="probe-flip-test"' in html
    assert 'id="probe-subgroups"' in html


def test_model_failure_keeps_audit(tmp_path):
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    model = sex_rule_model(fail_on_flipped=True)
    plan = _plan({"run": ["flip_test"]})
    result = run_audit(plan, data, model=model)
    probes = run_probes(result, plan, data, model)

    failures = probes["flip_test"]["failures"]
    assert {failure["rows"] for failure in failures} == set(data["sex"].value_counts().tolist())
    (warning,) = [w for w in result.warnings if w.code == "probe_model_failed"]
    assert "rows" in warning.message
    paths = result.write(tmp_path)
    assert paths["findings"].exists()


def test_unknown_proxy_attribute_raises():
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan({"proxy_columns": {"race": ["x"]}})
    result = run_audit(plan, data, model=sex_rule_model())
    with pytest.raises(PlanError, match="'race'"):
        run_probes(result, plan, data, sex_rule_model())


def test_unknown_dag_column_raises():
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan({"dag": {"edges": [["sex", "salary"]]}})
    result = run_audit(plan, data, model=sex_rule_model())
    with pytest.raises(DataError, match="'salary'"):
        run_probes(result, plan, data, sex_rule_model())


def test_default_attributions_skipped_without_shap(monkeypatch):
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan({"features": ["male", "x"], "run": None})
    monkeypatch.setattr(
        tabular, "_missing_package", lambda probe: "shap" if probe == "attributions" else None
    )
    result = run_audit(plan, data, model=sex_rule_model())
    probes = run_probes(result, plan, data, sex_rule_model())

    assert probes["attributions"]["status"] == "skipped"
    assert "equilens[explain]" in probes["attributions"]["reason"]
    assert any(w.code == "probe_skipped" for w in result.warnings)


def test_listed_attributions_without_shap_raise(monkeypatch):
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan({"run": ["attributions"], "features": ["male", "x"]})
    monkeypatch.setattr(
        tabular, "_missing_package", lambda probe: "shap" if probe == "attributions" else None
    )
    result = run_audit(plan, data, model=sex_rule_model())
    with pytest.raises(PlanError, match="equilens\\[explain\\]"):
        run_probes(result, plan, data, sex_rule_model())


def test_causal_probe_runs_from_plan():
    pytest.importorskip("dowhy")
    data = sex_rule_data()
    data["repaid"] = (data["x"] > 0).astype(int)
    data["x"] = data["x"] + 0.5 * data["male"]
    plan = _plan(
        {
            "run": ["causal"],
            "dag": {"edges": [["male", "x"]], "mechanisms": "linear", "refits": 20},
        },
        protected=[{"name": "sex", "column": "male", "values": {0: "female", 1: "male"}}],
    )
    result = run_audit(plan, data, model=sex_rule_model())
    probes = run_probes(result, plan, data, sex_rule_model())

    groups = {r["group"] for r in probes["causal"]["results"]}
    assert groups == {"female", "male"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_align_rows_by_row_id():
    data = sex_rule_data(50)
    data["row_id"] = np.arange(100, 150)
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan()
    result = run_audit(plan, data, model=sex_rule_model())
    shuffled = data.sample(frac=1.0, random_state=0)

    aligned = align_rows(result, shuffled)
    assert aligned["row_id"].tolist() == list(range(100, 150))


def test_align_rows_mismatch_raises():
    data = sex_rule_data(50)
    data["repaid"] = (data["x"] > 0).astype(int)
    plan = _plan()
    result = run_audit(plan, data, model=sex_rule_model())
    with pytest.raises(DataError, match="row_id"):
        align_rows(result, pd.concat([data, data, data]).reset_index(drop=True).iloc[:120])


def test_align_rows_after_dropped_rows():
    data = sex_rule_data(60)
    data["repaid"] = (data["x"] > 0).astype(int)
    data.loc[[3, 7], "sex"] = None
    plan = _plan(missing_values="drop")
    result = run_audit(plan, data, model=sex_rule_model())

    aligned = align_rows(result, data)
    assert len(aligned) == 58
    assert aligned["x"].tolist() == data.drop(index=[3, 7])["x"].tolist()
