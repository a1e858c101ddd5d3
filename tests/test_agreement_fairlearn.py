"""Agreement of group metrics and fairness summaries with fairlearn's `MetricFrame`.

The tests run an audit on rows drawn by hypothesis and compare the findings.json values
with fairlearn 0.15 (and the scikit-learn metrics it wraps) on the same rows. Where the
two libraries define a value differently, the test asserts the documented difference (see
docs/agreement.md) instead of skipping the case:

- equilens reports a 0/0 metric as null with a reason. Where equilens reports null,
  fairlearn's rates and scikit-learn's precision and F1 return 0, scikit-learn's balanced
  accuracy averages only the classes present, and its ROC AUC returns NaN.
- equilens leaves a group whose metric is undefined out of a max-minus-min summary, where
  fairlearn takes that group's 0 into the maximum and minimum.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    false_positive_rate_difference,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.audit import run_audit
from equilens.engines import EncodedAttribute, count_groups
from equilens.errors import DataError
from equilens.metrics.disparities import aggregate_disparities
from equilens.metrics.table import estimate_grouping
from equilens.plan import parse_plan
from equilens.result import fairness_summaries

GROUPINGS = [("A",), ("B",), ("A", "B")]
THRESHOLD = 0.5
LEVEL = 0.95

# equilens metric name -> fairlearn or scikit-learn function of (y_true, y_pred).
DECISION_METRICS: dict[str, Callable] = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "true_negative_rate": true_negative_rate,
    "positive_predictive_value": skm.precision_score,
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "f1_score": skm.f1_score,
}
# equilens metric name -> function of (y_true, score).
SCORE_METRICS: dict[str, Callable] = {"auc": skm.roc_auc_score, "mean_score": mean_prediction}
ALL_METRICS = [*DECISION_METRICS, *SCORE_METRICS]


def _present_class_recall(tn: int, fp: int, fn: int, tp: int) -> float:
    return tp / (tp + fn) if tp + fn else tn / (tn + fp)


# Where equilens reports a metric as null: the reason it gives, and the value fairlearn or
# scikit-learn returns instead as a function of the group's (tn, fp, fn, tp).
UNDEFINED: dict[str, tuple[str, Callable[..., float]]] = {
    "true_positive_rate": ("no actual positives in group", lambda *counts: 0.0),
    "false_negative_rate": ("no actual positives in group", lambda *counts: 0.0),
    "false_positive_rate": ("no actual negatives in group", lambda *counts: 0.0),
    "true_negative_rate": ("no actual negatives in group", lambda *counts: 0.0),
    "positive_predictive_value": ("no predicted positives in group", lambda *counts: 0.0),
    "f1_score": ("no actual or predicted positives in group", lambda *counts: 0.0),
    "balanced_accuracy": (
        "group lacks actual positives or actual negatives",
        _present_class_recall,
    ),
    "auc": ("group lacks actual positives or actual negatives", lambda *counts: math.nan),
}

AGREEMENT_SETTINGS = settings(max_examples=50, deadline=None)


@st.composite
def audit_frames(draw) -> pd.DataFrame:
    """Draw rows with two protected attributes, labels, and tied or continuous scores.

    Attribute A has two to four groups and B has two. Small row counts give tiny groups.
    Flags force the cases where metrics are undefined: group a1 without actual positives,
    the last A group without actual negatives, labels of a single class, and a model that
    selects everyone or no one.
    """
    n_rows = draw(st.integers(2, 60))
    n_a_groups = draw(st.integers(2, 4))

    def column(values):
        return np.array(draw(st.lists(values, min_size=n_rows, max_size=n_rows)))

    a_codes = column(st.integers(0, n_a_groups - 1))
    b_codes = column(st.integers(0, 1))
    y_true = column(st.integers(0, 1))
    score = column(st.one_of(st.integers(0, 8).map(lambda k: k / 8), st.floats(0, 1)))

    # Each attribute needs two groups, and a0 and b0 are the reference groups.
    a_codes[:2] = [0, 1]
    b_codes[:2] = [0, 1]
    if draw(st.booleans()):
        y_true[a_codes == 1] = 0
    if draw(st.booleans()):
        y_true[a_codes == a_codes.max()] = 1
    if draw(st.booleans()):
        y_true[:] = 1
    selection = draw(st.sampled_from(["model", "everyone", "no one"]))
    if selection == "everyone":
        score = np.maximum(score, THRESHOLD)
    elif selection == "no one":
        score = np.minimum(score, THRESHOLD / 2)
    # An audit rejects a target without the favorable label, so row 0 (group a0) gets it.
    if y_true.sum() == 0:
        y_true[0] = 1

    return pd.DataFrame(
        {
            "A": [f"a{code}" for code in a_codes],
            "B": [f"b{code}" for code in b_codes],
            "y": y_true,
            "s": score,
        }
    )


def audit_findings(
    frame: pd.DataFrame, grouping: tuple[str, ...], metrics: list[str] | None = None
) -> dict:
    """Audit A and B (and A x B when `grouping` is that intersection) and return findings.json.

    Without `metrics` every metric is reported. The audit always adds the metrics that the
    fairness summaries need.
    """
    plan = {
        "target": "y",
        "prediction": {"score_column": "s", "threshold": THRESHOLD},
        "protected": [{"name": "A", "reference": "a0"}, {"name": "B", "reference": "b0"}],
        "intersections": [list(grouping)] if len(grouping) > 1 else [],
        "min_group_size": 1,
        "bootstrap_replicates": 200,
    }
    if metrics is not None:
        plan["metrics"] = metrics
    return run_audit(parse_plan(plan), frame).to_dict()


def group_entries(findings: dict, grouping: tuple[str, ...]) -> dict[tuple[str, ...], dict]:
    """Return the findings.json entries of one grouping keyed by group label tuple."""
    entries = findings["groups"] if len(grouping) == 1 else findings["intersections"]
    keyed = {}
    for entry in entries:
        attributes = (entry["attribute"],) if "attribute" in entry else tuple(entry["attributes"])
        if attributes == grouping:
            group = entry["group"]
            keyed[(group,) if isinstance(group, str) else tuple(group)] = entry
    return keyed


def summary_of(findings: dict, grouping: tuple[str, ...]) -> dict:
    return next(item for item in findings["summaries"] if tuple(item["attributes"]) == grouping)


def predicted(frame: pd.DataFrame) -> pd.Series:
    return (frame["s"] >= THRESHOLD).astype(int)


def fairlearn_by_group(frame: pd.DataFrame, grouping: tuple[str, ...]) -> pd.DataFrame:
    """Return fairlearn's value of every compared metric, one row per group label tuple."""
    features = frame[list(grouping)]
    with warnings.catch_warnings():
        # scikit-learn warns on each 0/0 metric, and the tests check those values directly.
        warnings.simplefilter("ignore")
        decisions = MetricFrame(
            metrics=DECISION_METRICS,
            y_true=frame["y"],
            y_pred=predicted(frame),
            sensitive_features=features,
        ).by_group
        scores = MetricFrame(
            metrics=SCORE_METRICS, y_true=frame["y"], y_pred=frame["s"], sensitive_features=features
        ).by_group
    by_group = pd.concat([decisions, scores], axis=1)
    by_group.index = [label if isinstance(label, tuple) else (label,) for label in by_group.index]
    return by_group


def rows_of_groups(frame: pd.DataFrame, grouping, groups) -> pd.DataFrame:
    labels = pd.Series(list(zip(*(frame[name] for name in grouping), strict=True)))
    return frame[labels.isin(set(groups)).to_numpy()]


def defined_groups(entries: dict, name: str) -> list[tuple[str, ...]]:
    return [
        label for label, entry in entries.items() if entry["metrics"][name]["value"] is not None
    ]


def spread(values) -> float:
    values = list(values)
    return max(values) - min(values)


def close(first: float, second: float) -> bool:
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12)


def confusion(entry: dict) -> tuple[int, int, int, int]:
    counts = entry["counts"]
    return counts["tn"], counts["fp"], counts["fn"], counts["tp"]


@AGREEMENT_SETTINGS
@given(frame=audit_frames(), grouping=st.sampled_from(GROUPINGS))
def test_group_metrics_agree_with_metricframe(frame, grouping):
    entries = group_entries(audit_findings(frame, grouping), grouping)
    expected = fairlearn_by_group(frame, grouping)

    present = set(zip(*(frame[name] for name in grouping), strict=True))
    assert set(entries) == present
    for label in set(expected.index) - present:
        # fairlearn lists every combination of the features' values, but equilens lists
        # only the groups that have rows.
        assert expected.loc[[label]].isna().all(axis=None), label
    for label, entry in entries.items():
        for name in ALL_METRICS:
            metric = entry["metrics"][name]
            fairlearn_value = expected.loc[[label], name].item()
            if metric["value"] is not None:
                assert close(metric["value"], fairlearn_value), (label, name)
                continue

            reason, substitute = UNDEFINED[name]
            documented = substitute(*confusion(entry))
            assert metric["ci"] is None, (label, name)
            assert metric["reason"] == reason, (label, name)
            if math.isnan(documented):
                assert math.isnan(fairlearn_value), (label, name)
            else:
                assert close(fairlearn_value, documented), (label, name)


@AGREEMENT_SETTINGS
@given(frame=audit_frames(), grouping=st.sampled_from(GROUPINGS))
def test_demographic_parity_equals_fairlearn(frame, grouping):
    summary = summary_of(audit_findings(frame, grouping, ["selection_rate"]), grouping)
    features = frame[list(grouping)]
    difference = demographic_parity_difference(
        frame["y"], predicted(frame), sensitive_features=features
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ratio = demographic_parity_ratio(frame["y"], predicted(frame), sensitive_features=features)

    assert close(summary["demographic_parity_difference"]["value"], difference)
    if math.isnan(ratio):
        # No group is selected: fairlearn divides 0 by 0 and returns NaN.
        assert summary["demographic_parity_ratio"]["value"] is None
        assert summary["demographic_parity_ratio"]["reason"] == "the largest group value is zero"
    else:
        assert close(summary["demographic_parity_ratio"]["value"], ratio)


def _fairlearn_on_groups(function, frame, grouping, groups) -> float:
    rows = rows_of_groups(frame, grouping, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(rows["y"], predicted(rows), sensitive_features=rows[list(grouping)])


def _precision_difference(y_true, y_pred, *, sensitive_features) -> float:
    return MetricFrame(
        metrics=skm.precision_score,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=sensitive_features,
    ).difference()


@AGREEMENT_SETTINGS
@given(frame=audit_frames(), grouping=st.sampled_from(GROUPINGS))
def test_rate_summaries_equal_fairlearn_on_defined_groups(frame, grouping):
    findings = audit_findings(frame, grouping, ["selection_rate"])
    entries = group_entries(findings, grouping)
    summary = summary_of(findings, grouping)
    every_group = list(entries)

    # Each summary equals fairlearn's value on the rows of the groups where the metric is
    # defined. When every group is defined, fairlearn's value on all rows is the same.
    parts = {}
    for key, metric, function in [
        ("equal_opportunity_difference", "true_positive_rate", equal_opportunity_difference),
        ("false_positive_rate", "false_positive_rate", false_positive_rate_difference),
        ("predictive_parity_difference", "positive_predictive_value", _precision_difference),
    ]:
        defined = defined_groups(entries, metric)
        if len(defined) < 2:
            parts[key] = None
            continue
        parts[key] = _fairlearn_on_groups(function, frame, grouping, defined)
        if len(defined) == len(entries):
            on_all = _fairlearn_on_groups(function, frame, grouping, every_group)
            assert close(parts[key], on_all), key

    for key in ("equal_opportunity_difference", "predictive_parity_difference"):
        if parts[key] is None:
            assert summary[key]["value"] is None, key
            assert summary[key]["reason"] == "fewer than two groups have a defined value", key
        else:
            assert close(summary[key]["value"], parts[key]), key

    odds_parts = [
        parts[key]
        for key in ("equal_opportunity_difference", "false_positive_rate")
        if parts[key] is not None
    ]
    odds = summary["equalized_odds_difference"]
    if odds_parts:
        assert close(odds["value"], max(odds_parts))
    else:
        assert odds["value"] is None
        assert odds["reason"] == "true and false positive rates are undefined in all but one group"


@AGREEMENT_SETTINGS
@given(frame=audit_frames(), grouping=st.sampled_from(GROUPINGS))
def test_rate_summaries_fairlearn_counts_undefined_as_zero(frame, grouping):
    entries = group_entries(audit_findings(frame, grouping, ["selection_rate"]), grouping)
    every_group = list(entries)

    def rates_or_zero(name: str) -> list[float]:
        return [entry["metrics"][name]["value"] or 0.0 for entry in entries.values()]

    opportunity = _fairlearn_on_groups(equal_opportunity_difference, frame, grouping, every_group)
    odds = _fairlearn_on_groups(equalized_odds_difference, frame, grouping, every_group)
    with_zeros = max(
        spread(rates_or_zero("true_positive_rate")), spread(rates_or_zero("false_positive_rate"))
    )

    assert close(opportunity, spread(rates_or_zero("true_positive_rate")))
    assert close(odds, with_zeros)


def _encoded_frame(frame: pd.DataFrame) -> list[EncodedAttribute]:
    attributes = []
    for name in ("A", "B"):
        codes, labels = pd.factorize(frame[name], sort=True)
        attributes.append(EncodedAttribute(name, codes.astype(np.int64), list(labels)))
    return attributes


def test_all_negative_labels_agree_with_metricframe():
    """Labels of the unfavorable class only, which an audit rejects, through the engine."""
    frame = pd.DataFrame(
        {
            "A": ["a0", "a0", "a0", "a1", "a1", "a2"],
            "B": ["b0", "b1", "b0", "b1", "b0", "b1"],
            "y": 0,
            "s": [0.9, 0.2, 0.6, 0.1, 0.3, 0.75],
        }
    )
    grouping = ("A",)
    counts = count_groups(
        _encoded_frame(frame),
        frame["y"].to_numpy(),
        predicted(frame).to_numpy(),
        score=frame["s"].to_numpy(),
        groupings=[grouping],
    )[grouping]
    table = estimate_grouping(counts, ALL_METRICS, level=LEVEL, replicates=200, seed=0)
    expected = fairlearn_by_group(frame, grouping)
    tn, fp, fn, tp = counts.counts()

    for g, label in enumerate(counts.labels):
        for name in ALL_METRICS:
            value = table.values[name][g]
            fairlearn_value = expected.loc[[label], name].item()
            if not math.isnan(value):
                assert close(value, fairlearn_value), (label, name)
                continue
            documented = UNDEFINED[name][1](tn[g], fp[g], fn[g], tp[g])
            if math.isnan(documented):
                assert math.isnan(fairlearn_value), (label, name)
            else:
                assert close(fairlearn_value, documented), (label, name)


def test_all_negative_labels_summaries():
    frame = pd.DataFrame(
        {"A": ["a0", "a0", "a1", "a1"], "B": "b0", "y": 0, "s": [0.9, 0.1, 0.8, 0.7]}
    )
    grouping = ("A",)
    counts = count_groups(
        _encoded_frame(frame),
        frame["y"].to_numpy(),
        predicted(frame).to_numpy(),
        groupings=[grouping],
    )
    names = [
        "selection_rate",
        "true_positive_rate",
        "false_positive_rate",
        "positive_predictive_value",
    ]
    tables = {
        grouping: estimate_grouping(counts[grouping], names, level=LEVEL, replicates=200, seed=0)
    }
    aggregates = aggregate_disparities(tables[grouping], level=LEVEL, seed=0)
    summary = fairness_summaries(tables, {grouping: 0}, aggregates, level=LEVEL)[0]
    fairlearn_odds = equalized_odds_difference(
        frame["y"], predicted(frame), sensitive_features=frame["A"]
    )

    # No group has positives, so the equalized odds difference is the FPR spread alone.
    # fairlearn's value also includes TPR = 0 in every group, which does not change it.
    assert summary["equal_opportunity_difference"]["value"] is None
    assert close(summary["equalized_odds_difference"]["value"], 0.5)
    assert close(fairlearn_odds, 0.5)


def test_all_negative_labels_rejected_by_audit():
    frame = pd.DataFrame({"A": ["a0", "a1"] * 3, "B": ["b0", "b1"] * 3, "y": 0, "s": 0.7})
    with pytest.raises(DataError, match="does not occur in the target column"):
        audit_findings(frame, ("A",))
