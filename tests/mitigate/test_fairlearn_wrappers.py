"""The candidates built on fairlearn: same predictions as fairlearn called directly, and
their constraints hold on the training rows within the algorithm's tolerance."""

import numpy as np
import pytest
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.preprocessing import CorrelationRemover
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ExponentiatedGradient,
    GridSearch,
    TruePositiveRateParity,
)
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from equilens.mitigate import CandidateSpec, MitigatedModel, build_mitigator

# fairlearn 0.15 sets Series values in ways pandas deprecates.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Setting a value on a Series via .at"),
    pytest.mark.filterwarnings("ignore:Setting an item of incompatible dtype"),
]

FEATURES = ["x1", "x2", "x3"]
SEED = 11
MOMENTS = {
    "demographic_parity": DemographicParity,
    "equalized_odds": EqualizedOdds,
    "true_positive_rate_parity": TruePositiveRateParity,
}


def fitted_candidate(label: str, rows, estimator=None) -> MitigatedModel:
    estimator = estimator or LogisticRegression()
    mitigator = build_mitigator(
        CandidateSpec.model_validate(label),
        estimator=estimator,
        reduction_estimator=estimator,
        privileged_group={"group": "a"},
        utility_measure="balanced_accuracy",
        seed=SEED,
    )
    model = MitigatedModel(
        mitigator, features=FEATURES, protected=[{"name": "group"}], random_state=SEED
    )
    return model.fit(rows, rows["approved"])


def group_rates(soft, y, group, value):
    rows = group == value
    return {
        "selection_rate": soft[rows].mean(),
        "true_positive_rate": soft[rows & (y == 1)].mean(),
        "false_positive_rate": soft[rows & (y == 0)].mean(),
    }


@pytest.mark.parametrize("constraint", list(MOMENTS))
def test_exponentiated_gradient_matches_fairlearn(rows, constraint):
    X, y, group = rows[FEATURES], rows["approved"], rows["group"]
    direct = ExponentiatedGradient(LogisticRegression(), MOMENTS[constraint]())
    direct.fit(X, y, sensitive_features=group)
    ours = fitted_candidate(f"exponentiated_gradient:{constraint}", rows)
    np.testing.assert_array_equal(ours.predict(rows), direct.predict(X, random_state=SEED))


@pytest.mark.parametrize("constraint", list(MOMENTS))
def test_grid_search_matches_fairlearn(rows, constraint):
    X, y, group = rows[FEATURES], rows["approved"], rows["group"]
    direct = GridSearch(LogisticRegression(), MOMENTS[constraint](), grid_size=16)
    direct.fit(X, y, sensitive_features=group)
    ours = fitted_candidate(f"grid_search:{constraint}", rows)
    np.testing.assert_array_equal(ours.predict(rows), direct.predict(X))


@pytest.mark.parametrize("constraint", list(MOMENTS))
def test_threshold_optimizer_matches_fairlearn(rows, constraint):
    X, y, group = rows[FEATURES], rows["approved"], rows["group"]
    direct = ThresholdOptimizer(
        estimator=LogisticRegression(),
        constraints=constraint,
        objective="balanced_accuracy_score",
        predict_method="auto",
    )
    direct.fit(X, y, sensitive_features=group)
    ours = fitted_candidate(f"threshold_optimizer:{constraint}", rows)
    expected = direct.predict(X, sensitive_features=group, random_state=SEED)
    np.testing.assert_array_equal(ours.predict(rows), expected)


def test_correlation_remover_matches_fairlearn(rows):
    X, y = rows[FEATURES].to_numpy(), rows["approved"]
    encoded = OneHotEncoder(sparse_output=False).fit_transform(rows[["group"]])
    combined = np.hstack([X, encoded])
    remover = CorrelationRemover(sensitive_feature_ids=[3, 4]).fit(combined)
    direct = LogisticRegression().fit(remover.transform(combined), y)
    ours = fitted_candidate("correlation_remover", rows)
    np.testing.assert_array_equal(ours.predict(rows), direct.predict(remover.transform(combined)))


def test_correlation_remover_decorrelates(rows):
    model = fitted_candidate("correlation_remover", rows).estimator_
    transformed = model.transform(rows[FEATURES], sensitive_features=rows[["group"]])
    in_group_b = (rows["group"] == "b").to_numpy(dtype=float)
    for column in range(transformed.shape[1]):
        assert abs(np.corrcoef(transformed[:, column], in_group_b)[0, 1]) < 1e-8


@pytest.mark.parametrize(
    ("constraint", "metrics"),
    [
        ("demographic_parity", ["selection_rate"]),
        ("equalized_odds", ["true_positive_rate", "false_positive_rate"]),
        ("true_positive_rate_parity", ["true_positive_rate"]),
    ],
)
def test_exponentiated_gradient_constraint_holds(rows, constraint, metrics):
    model = fitted_candidate(f"exponentiated_gradient:{constraint}", rows).estimator_
    soft = model._pmf_predict(rows[FEATURES])[:, 1]
    y, group = rows["approved"].to_numpy(), rows["group"].to_numpy()
    overall = {
        "selection_rate": soft.mean(),
        "true_positive_rate": soft[y == 1].mean(),
        "false_positive_rate": soft[y == 0].mean(),
    }
    # fairlearn bounds each group's deviation from the overall rate by eps, up to the
    # duality gap of the solution it returns.
    tolerance = model.eps + model.best_gap_ + 1e-9
    for value in ("a", "b"):
        rates = group_rates(soft, y, group, value)
        for metric in metrics:
            assert abs(rates[metric] - overall[metric]) <= tolerance, (value, metric)


@pytest.mark.parametrize(
    ("constraint", "metrics"),
    [
        ("demographic_parity", ["selection_rate"]),
        ("equalized_odds", ["true_positive_rate", "false_positive_rate"]),
        ("true_positive_rate_parity", ["true_positive_rate"]),
    ],
)
def test_threshold_optimizer_constraint_holds(rows, constraint, metrics):
    fitted = fitted_candidate(f"threshold_optimizer:{constraint}", rows)
    soft = fitted.estimator_._pmf_predict(rows[FEATURES], sensitive_features=rows[["group"]])
    y, group = rows["approved"].to_numpy(), rows["group"].to_numpy()
    a = group_rates(soft[:, 1], y, group, "a")
    b = group_rates(soft[:, 1], y, group, "b")
    # The thresholds interpolate to equal expected rates on the training rows exactly.
    for metric in metrics:
        assert a[metric] == pytest.approx(b[metric], abs=1e-9), metric
