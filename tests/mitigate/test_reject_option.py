"""Reject-option classification, checked against AIF360's RejectOptionClassification."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Perceptron

from equilens.errors import ModelError
from equilens.mitigate import CandidateSpec, RejectOptionClassifier, build_mitigator
from equilens.mitigate._reject_option import (
    apply_band,
    band_disparity,
    privileged_rows,
    search_band,
)

FEATURES = ["x1", "x2", "x3"]
GRID = {"n_thresholds": 20, "n_margins": 10}


def aif360_dataset(rows: pd.DataFrame, *, labels, scores=None):
    from aif360.datasets import BinaryLabelDataset

    frame = pd.DataFrame(
        {
            "privileged": (rows["group"] == "a").to_numpy(dtype=float),
            "label": np.asarray(labels, dtype=float),
        }
    )
    dataset = BinaryLabelDataset(
        df=frame,
        label_names=["label"],
        protected_attribute_names=["privileged"],
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    if scores is not None:
        dataset.scores = np.asarray(scores, dtype=float).reshape(-1, 1)
    return dataset


@pytest.fixture(scope="module")
def split(make_rows):
    rows = make_rows(n=1200, seed=5)
    train, validation, test = rows.iloc[:500], rows.iloc[500:900], rows.iloc[900:]
    model = LogisticRegression().fit(train[FEATURES], train["approved"])
    return model, validation, test


@pytest.mark.parametrize(
    ("constraint", "metric_name"),
    [
        ("demographic_parity", "Statistical parity difference"),
        ("equalized_odds", "Average odds difference"),
        ("true_positive_rate_parity", "Equal opportunity difference"),
    ],
)
def test_reject_option_matches_aif360(split, constraint, metric_name):
    pytest.importorskip("aif360")
    from aif360.algorithms.postprocessing import RejectOptionClassification

    model, validation, test = split
    validation_scores = model.predict_proba(validation[FEATURES])[:, 1]
    test_scores = model.predict_proba(test[FEATURES])[:, 1]

    reference = RejectOptionClassification(
        unprivileged_groups=[{"privileged": 0.0}],
        privileged_groups=[{"privileged": 1.0}],
        num_class_thresh=GRID["n_thresholds"],
        num_ROC_margin=GRID["n_margins"],
        metric_name=metric_name,
    )
    reference.fit(
        aif360_dataset(validation, labels=validation["approved"]),
        aif360_dataset(validation, labels=validation["approved"], scores=validation_scores),
    )
    expected = reference.predict(
        aif360_dataset(test, labels=np.zeros(len(test)), scores=test_scores)
    ).labels.ravel()

    ours = RejectOptionClassifier(
        model, privileged_group={"group": "a"}, constraint=constraint, prefit=True, **GRID
    ).fit(validation[FEATURES], validation["approved"], sensitive_features=validation[["group"]])
    assert ours.threshold_ == pytest.approx(reference.classification_threshold)
    assert ours.margin_ == pytest.approx(reference.ROC_margin)
    predicted = ours.predict(test[FEATURES], sensitive_features=test[["group"]])
    np.testing.assert_array_equal(predicted, expected)


def test_reject_option_meets_bound_on_validation(rows):
    model = RejectOptionClassifier(
        LogisticRegression(), privileged_group="a", bound=0.05, random_state=0
    ).fit(rows[FEATURES], rows["approved"], sensitive_features=rows["group"])
    assert model.validation_["constraint_met"]
    assert abs(model.validation_["disparity"]) <= 0.05


def test_apply_band_flips_by_group():
    scores = np.array([0.45, 0.55, 0.45, 0.55, 0.9, 0.1])
    privileged = np.array([True, True, False, False, True, False])
    decisions = apply_band(scores, privileged, 0.5, 0.1)
    np.testing.assert_array_equal(decisions, [0, 0, 1, 1, 1, 0])


def test_search_band_smallest_disparity_when_infeasible(split):
    model, validation, _ = split
    scores = model.predict_proba(validation[FEATURES])[:, 1]
    y = validation["approved"].to_numpy()
    privileged = (validation["group"] == "a").to_numpy()
    # A negative bound admits no disparity, so the search falls back to the smallest one.
    chosen = search_band(scores, y, privileged, bound=-1.0, **GRID)
    assert not chosen["constraint_met"]

    smallest = min(
        abs(
            band_disparity(
                y, apply_band(scores, privileged, t, m)[None, :], privileged, "demographic_parity"
            )[0]
        )
        for t in np.linspace(0.01, 0.99, GRID["n_thresholds"])
        for m in np.linspace(0.0, t if t <= 0.5 else 1.0 - t, GRID["n_margins"])
    )
    assert abs(chosen["disparity"]) == pytest.approx(smallest)


def test_privileged_rows_needs_mapping_for_several_columns():
    frame = pd.DataFrame({"race": ["w", "b"], "sex": ["m", "f"]})
    with pytest.raises(ValueError, match="map column names to values"):
        privileged_rows(frame, "w")
    np.testing.assert_array_equal(privileged_rows(frame, {"race": "w", "sex": "m"}), [True, False])


def test_reject_option_needs_predict_proba(rows):
    with pytest.raises(ValueError, match="has no predict_proba"):
        RejectOptionClassifier(Perceptron(), privileged_group="a").fit(
            rows[FEATURES], rows["approved"], sensitive_features=rows["group"]
        )


def test_build_mitigator_rejects_estimator_without_scores():
    with pytest.raises(ModelError, match="needs scores") as error:
        build_mitigator(
            CandidateSpec.model_validate("reject_option:demographic_parity"),
            estimator=Perceptron(),
            reduction_estimator=Perceptron(),
            privileged_group={"group": "a"},
            utility_measure="balanced_accuracy",
            seed=0,
        )
    assert "Perceptron" in str(error.value)
    assert "mitigation.candidates" in str(error.value)
