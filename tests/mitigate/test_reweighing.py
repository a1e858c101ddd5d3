"""Reweighing: the weights of Kamiran and Calders (2012), checked against AIF360."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from equilens.mitigate import ReweighingClassifier, reweighing_weights


def test_reweighing_weights_formula():
    y = np.array([1, 1, 0, 1, 0, 0, 1, 1])
    group = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    weights = reweighing_weights(y, group)
    # Group a has 3 favorable rows of 4 and group b 2 of 4, so 5 of 8 rows are favorable.
    expected_a_favorable = (4 * 5) / (8 * 3)
    expected_b_unfavorable = (4 * 3) / (8 * 2)
    assert weights[0] == pytest.approx(expected_a_favorable)
    assert weights[4] == pytest.approx(expected_b_unfavorable)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
)
def test_reweighing_makes_label_independent(cells, random):
    # Each group gets at least one row of each label: a group of one label cannot be
    # reweighed to the overall label rate.
    pairs = [
        (f"g{index}", label)
        for index, (negatives, positives) in enumerate(cells)
        for label in [0] * negatives + [1] * positives
    ]
    random.shuffle(pairs)
    group = np.array([g for g, _ in pairs])
    y = np.array([label for _, label in pairs])
    weights = reweighing_weights(y, group)
    overall = np.average(y, weights=weights)
    for value in np.unique(group):
        rows = group == value
        assert np.average(y[rows], weights=weights[rows]) == pytest.approx(overall)
    assert overall == pytest.approx(y.mean())
    assert weights.sum() == pytest.approx(len(y))


def test_reweighing_weights_match_aif360(rows):
    aif360 = pytest.importorskip("aif360")
    from aif360.algorithms.preprocessing import Reweighing
    from aif360.datasets import BinaryLabelDataset

    del aif360
    frame = pd.DataFrame(
        {
            "x1": rows["x1"],
            "privileged": (rows["group"] == "a").astype(float),
            "approved": rows["approved"].astype(float),
        }
    )
    dataset = BinaryLabelDataset(
        df=frame,
        label_names=["approved"],
        protected_attribute_names=["privileged"],
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    transformed = Reweighing(
        unprivileged_groups=[{"privileged": 0.0}], privileged_groups=[{"privileged": 1.0}]
    ).fit_transform(dataset)

    ours = reweighing_weights(rows["approved"], rows["group"])
    np.testing.assert_allclose(ours, transformed.instance_weights, rtol=1e-12)


def test_reweighing_classifier_fits_with_weights(rows):
    X, y, group = rows[["x1", "x2", "x3"]], rows["approved"], rows["group"]
    model = ReweighingClassifier(LogisticRegression()).fit(X, y, sensitive_features=group)
    direct = LogisticRegression().fit(X, y, sample_weight=reweighing_weights(y, group))
    np.testing.assert_array_equal(model.predict(X), direct.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), direct.predict_proba(X))


def test_reweighing_classifier_clones(rows):
    model = ReweighingClassifier(LogisticRegression(C=0.5))
    copy = clone(model)
    assert copy.get_params()["estimator__C"] == 0.5


def test_reweighing_weights_reject_length_mismatch():
    with pytest.raises(ValueError, match="one group per training row"):
        reweighing_weights([0, 1, 1], ["a", "b"])
