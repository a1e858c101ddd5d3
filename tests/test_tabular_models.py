"""Auditing through model adapters: scikit-learn estimators, model files and callables."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from equilens import parse_plan, run_audit
from equilens.cli import app
from equilens.errors import ModelError
from equilens.models.tabular import CallablePredictor, SklearnPredictor, load_sklearn_model

runner = CliRunner()


@pytest.fixture(scope="module")
def applications():
    rng = np.random.default_rng(7)
    n = 300
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 15, n),
            "debt": rng.normal(10, 4, n),
            "race": rng.choice(["white", "black"], n, p=[0.7, 0.3]),
        }
    )
    frame["approved"] = (frame["income"] - 2 * frame["debt"] + rng.normal(0, 10, n) > 25).astype(
        int
    )
    return frame


@pytest.fixture(scope="module")
def pipeline(applications):
    model = make_pipeline(StandardScaler(), LogisticRegression())
    return model.fit(applications[["income", "debt"]], applications["approved"])


def model_plan(path=None, **model):
    plan = {
        "target": "approved",
        "protected": [{"name": "race", "reference": "white"}],
        "bootstrap_replicates": 100,
    }
    if path is not None:
        plan["model"] = {"path": str(path), "features": ["income", "debt"], **model}
    else:
        plan["prediction"] = {"column": "approved"}
    return parse_plan(plan)


def test_in_memory_pipeline_gives_scores(applications, pipeline):
    result = run_audit(model_plan(), applications, model=pipeline)
    expected = pipeline.predict_proba(applications[["income", "debt"]])[:, 1]
    assert np.allclose(result.predictions.score, expected)
    assert result.provenance["model"]["kind"] == "sklearn"


def test_skops_file_loads_without_trust(applications, pipeline, tmp_path):
    path = tmp_path / "model.skops"
    skops.io.dump(pipeline, path)
    result = run_audit(model_plan(path), applications)
    assert (result.predictions.y_pred == pipeline.predict(applications[["income", "debt"]])).all()


def test_joblib_file_needs_trust(applications, pipeline, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(pipeline, path)
    with pytest.raises(ModelError, match="would run code stored in the file"):
        run_audit(model_plan(path), applications)


def test_joblib_file_loads_with_trust(applications, pipeline, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(pipeline, path)
    result = run_audit(model_plan(path, trusted=True), applications)
    assert result.predictions.score is not None


def test_cli_trust_model_flag(applications, pipeline, tmp_path):
    joblib.dump(pipeline, tmp_path / "model.joblib")
    applications.to_csv(tmp_path / "rows.csv", index=False)
    plan = model_plan(tmp_path / "model.joblib").model_dump(mode="json", exclude_none=True)
    plan["data"] = {"path": "rows.csv"}
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(plan), encoding="utf-8")

    refused = runner.invoke(app, ["audit", str(plan_path), "--out", str(tmp_path / "a")])
    trusted = runner.invoke(
        app, ["audit", str(plan_path), "--out", str(tmp_path / "b"), "--trust-model"]
    )
    assert refused.exit_code == 2
    assert "--trust-model" in refused.output
    assert trusted.exit_code == 0, trusted.output


def test_threshold_on_probability(applications, pipeline):
    predictor = SklearnPredictor(pipeline, features=["income", "debt"], threshold=0.9)
    predictions = predictor.predict(applications)
    expected = pipeline.predict_proba(applications[["income", "debt"]])[:, 1] >= 0.9
    assert (predictions == expected.astype(int)).all()


def test_missing_feature_column(applications, pipeline):
    predictor = SklearnPredictor(pipeline, features=["income", "assets"])
    with pytest.raises(ModelError, match=r"needs the feature columns \['assets'\]"):
        predictor.predict(applications)


def test_unknown_model_file_type(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00")
    with pytest.raises(ModelError, match="Unknown model file type '.onnx'"):
        load_sklearn_model(path)


def test_model_file_missing(tmp_path):
    with pytest.raises(ModelError, match="Model file not found"):
        load_sklearn_model(tmp_path / "absent.skops")


def test_callable_model(applications):
    def rule(frame):
        return (frame["income"] > 50).astype(int).to_numpy()

    result = run_audit(model_plan(), applications, model=rule)
    assert (result.predictions.y_pred == (applications["income"] > 50)).all()
    assert result.provenance["model"]["kind"] == "callable"


def test_callable_wrong_output_length(applications):
    predictor = CallablePredictor(lambda frame: np.ones(3), model_id="broken")
    with pytest.raises(ModelError, match="returned 3 outputs for 300 inputs"):
        run_audit(model_plan(), applications, model=predictor)


def test_audit_command_runs_probes_with_model_file(applications, pipeline, tmp_path):
    skops.io.dump(pipeline, tmp_path / "model.skops")
    applications.to_csv(tmp_path / "rows.csv", index=False)
    plan = model_plan(tmp_path / "model.skops").model_dump(mode="json", exclude_none=True)
    plan["data"] = {"path": "rows.csv"}
    plan["probes"] = {"run": ["flip_test", "proxies"]}
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(plan), encoding="utf-8")

    result = runner.invoke(app, ["audit", str(plan_path), "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert {"flip_test", "proxies"} <= set(findings["probes"])


def test_probes_without_model_warn(applications, tmp_path):
    applications.to_csv(tmp_path / "rows.csv", index=False)
    plan = model_plan().model_dump(mode="json", exclude_none=True)
    plan["data"] = {"path": "rows.csv"}
    plan["probes"] = {"run": ["proxies"]}
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(plan), encoding="utf-8")

    result = runner.invoke(app, ["audit", str(plan_path), "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert "probes_skipped" in {warning["code"] for warning in findings["warnings"]}
    assert findings["probes"] == {}
