"""SHAP attributions of group gaps."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from equilens.errors import DataError
from equilens.explain import shap_attributions
from equilens.models.tabular import CallablePredictor, SklearnPredictor

pytest.importorskip("shap")

FEATURES = ["debt_ratio", "noise", "tenure"]


def _data(n: int = 500, *, seed: int = 0):
    """Group b has higher debt ratios; the outcome depends on debt ratio and tenure."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.7, 0.3])
    data = pd.DataFrame(
        {
            "debt_ratio": rng.normal(size=n) + np.where(group == "b", 1.0, 0.0),
            "noise": rng.normal(size=n),
            "tenure": rng.normal(size=n),
        }
    )
    logit = -1.5 * data["debt_ratio"] + 0.8 * data["tenure"] + 0.5
    outcome = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return data, group, outcome


def _gap(predictor, data, group):
    score = predictor.score(data)
    return score[group == "b"].mean() - score[group == "a"].mean()


def test_tree_contributions_add_up_to_gap():
    data, group, outcome = _data()
    estimator = GradientBoostingClassifier(n_estimators=50, random_state=0).fit(
        data[FEATURES], outcome
    )
    predictor = SklearnPredictor(estimator, features=FEATURES)
    output = shap_attributions(
        data, predictor, {"group": group}, references={"group": "a"}, replicates=200
    )

    assert output["explainer"] == "tree"
    (entry,) = output["attributes"]
    (b,) = entry["groups"]
    total = sum(feature["contribution"]["value"] for feature in b["features"])
    assert total == pytest.approx(b["output_gap"]["value"], abs=1e-9)
    assert b["output_gap"]["value"] == pytest.approx(_gap(predictor, data, group), abs=0.01)
    assert b["features"][0]["feature"] == "debt_ratio"
    assert b["features"][0]["contribution"]["ci"][1] < 0


def test_permutation_explainer_for_pipelines():
    data, group, outcome = _data(200)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(data[FEATURES], outcome)
    predictor = SklearnPredictor(pipeline, features=FEATURES)
    output = shap_attributions(
        data,
        predictor,
        {"group": group},
        references={"group": "a"},
        max_rows=80,
        permutations=2,
        replicates=100,
    )

    assert output["explainer"] == "permutation"
    assert output["permutations"] == 2
    (b,) = output["attributes"][0]["groups"]
    total = sum(feature["contribution"]["value"] for feature in b["features"])
    assert total == pytest.approx(b["output_gap"]["value"], abs=1e-9)
    assert b["features"][0]["feature"] == "debt_ratio"


def test_decision_explained_without_scores():
    data, group, _ = _data(200)
    model = CallablePredictor(lambda frame: (frame["debt_ratio"] < 0.5).astype(int))
    output = shap_attributions(
        data, model, {"group": group}, features=FEATURES, max_rows=60, replicates=100
    )
    assert output["output"] == "decision"
    assert output["rows"] == 60
    assert output["sampled"] is True
    json.dumps(output, allow_nan=False)


def test_unfavorable_first_class_is_complement():
    data, group, outcome = _data()
    estimator = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(
        data[FEATURES], outcome
    )
    favorable_zero = SklearnPredictor(estimator, favorable_label=0, features=FEATURES)
    output = shap_attributions(
        data, favorable_zero, {"group": group}, favorable_label=0, references={"group": "a"}
    )
    (b,) = output["attributes"][0]["groups"]
    assert b["output_gap"]["value"] == pytest.approx(_gap(favorable_zero, data, group), abs=0.01)


def test_missing_feature_list_raises():
    data, group, _ = _data(50)
    model = CallablePredictor(lambda frame: np.ones(len(frame), dtype=int))
    with pytest.raises(DataError, match="feature columns"):
        shap_attributions(data, model, {"group": group})
