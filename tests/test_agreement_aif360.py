"""Agreement of group metrics and group comparisons with AIF360's `ClassificationMetric`.

AIF360 0.6.1 compares an unprivileged with a privileged group. Each non-reference group of
an audit is compared with the reference group by a `ClassificationMetric` whose
unprivileged group is that group and whose privileged group is the reference, built from a
`BinaryLabelDataset` of the same rows. Where AIF360 defines a value differently, the test
asserts the documented difference (see docs/agreement.md):

- where equilens reports a 0/0 metric as null with a reason, AIF360 returns NaN for TPR,
  FPR, FNR and TNR, and 0 for PPV, NPV, FDR and FOR;
- where the reference group's selection rate is 0, equilens reports the ratio as null and
  AIF360's disparate impact is infinite or NaN.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.audit import run_audit
from equilens.plan import parse_plan

# AIF360 logs a warning for each optional algorithm whose dependency is missing.
logging.getLogger().setLevel(logging.ERROR)
from aif360.datasets import BinaryLabelDataset  # noqa: E402
from aif360.metrics import ClassificationMetric  # noqa: E402

GROUPINGS = [("A",), ("B",), ("A", "B")]
THRESHOLD = 0.5

# Metrics that AIF360 computes per group under the same names as equilens.
METRICS = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "positive_predictive_value",
    "negative_predictive_value",
    "false_discovery_rate",
    "false_omission_rate",
    "accuracy",
]

# Where equilens reports a metric as null: the reason it gives and AIF360's value.
UNDEFINED = {
    "true_positive_rate": ("no actual positives in group", math.nan),
    "false_negative_rate": ("no actual positives in group", math.nan),
    "false_positive_rate": ("no actual negatives in group", math.nan),
    "true_negative_rate": ("no actual negatives in group", math.nan),
    "positive_predictive_value": ("no predicted positives in group", 0.0),
    "false_discovery_rate": ("no predicted positives in group", 0.0),
    "negative_predictive_value": ("no predicted negatives in group", 0.0),
    "false_omission_rate": ("no predicted negatives in group", 0.0),
}

AGREEMENT_SETTINGS = settings(max_examples=50, deadline=None)


@st.composite
def coded_rows(draw) -> pd.DataFrame:
    """Draw integer-coded protected attributes, labels and predictions.

    Attribute A has two to four groups and B has two. Code 0 is the reference group of
    both. Flags force a group without actual positives, a group without actual negatives,
    labels of a single class, and a model that selects everyone or no one.
    """
    n_rows = draw(st.integers(2, 60))
    n_a_groups = draw(st.integers(2, 4))

    def column(values):
        return np.array(draw(st.lists(values, min_size=n_rows, max_size=n_rows)))

    a_codes = column(st.integers(0, n_a_groups - 1))
    b_codes = column(st.integers(0, 1))
    y_true = column(st.integers(0, 1))
    y_pred = column(st.integers(0, 1))

    a_codes[:2] = [0, 1]
    b_codes[:2] = [0, 1]
    if draw(st.booleans()):
        y_true[a_codes == 1] = 0
    if draw(st.booleans()):
        y_true[a_codes == a_codes.max()] = 1
    if draw(st.booleans()):
        y_true[:] = 1
    selection = draw(st.sampled_from(["model", "everyone", "no one", "reference none"]))
    if selection == "everyone":
        y_pred[:] = 1
    elif selection == "no one":
        y_pred[:] = 0
    elif selection == "reference none":
        y_pred[(a_codes == 0) | (b_codes == 0)] = 0
    # An audit rejects a target without the favorable label, so row 0 (group a0) gets it.
    if y_true.sum() == 0:
        y_true[0] = 1
    return pd.DataFrame({"A": a_codes, "B": b_codes, "y": y_true, "p": y_pred})


def audit_findings(rows: pd.DataFrame, grouping: tuple[str, ...]) -> dict:
    """Audit A and B (and A x B when `grouping` is that intersection) and return findings.json.

    Predictions reach the audit as scores of 0 or 1 with threshold 0.5, so that a model
    that selects no one is allowed.
    """
    frame = pd.DataFrame(
        {
            "A": [f"a{code}" for code in rows["A"]],
            "B": [f"b{code}" for code in rows["B"]],
            "y": rows["y"],
            "s": rows["p"].astype(float),
        }
    )
    plan = parse_plan(
        {
            "target": "y",
            "prediction": {"score_column": "s", "threshold": THRESHOLD},
            "protected": [{"name": "A", "reference": "a0"}, {"name": "B", "reference": "b0"}],
            "intersections": [list(grouping)] if len(grouping) > 1 else [],
            "metrics": METRICS,
            "min_group_size": 1,
            "bootstrap_replicates": 200,
        }
    )
    return run_audit(plan, frame).to_dict()


def codes_of(label: tuple[str, ...]) -> tuple[int, ...]:
    """Return the integer codes of a label such as ('a2', 'b0')."""
    return tuple(int(part[1:]) for part in label)


def aif360_metric(rows: pd.DataFrame, grouping, group, reference) -> ClassificationMetric:
    """Return AIF360's comparison of `group` (unprivileged) with `reference` (privileged)."""
    numeric = rows.astype(float)
    dataset = BinaryLabelDataset(
        df=numeric[["A", "B", "y"]],
        label_names=["y"],
        protected_attribute_names=["A", "B"],
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    classified = dataset.copy()
    classified.labels = numeric[["p"]].to_numpy()
    return ClassificationMetric(
        dataset,
        classified,
        unprivileged_groups=[dict(zip(grouping, codes_of(group), strict=True))],
        privileged_groups=[dict(zip(grouping, codes_of(reference), strict=True))],
    )


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


def disparities_of(findings: dict, grouping) -> dict[tuple[tuple[str, ...], str], dict]:
    """Return the disparity entries of one grouping keyed by (group label, metric)."""
    return {
        (tuple(item["group"]), item["metric"]): item
        for item in findings["disparities"]
        if tuple(item["attributes"]) == grouping
    }


def reference_of(findings: dict, grouping) -> tuple[str, ...]:
    return next(
        tuple(item["reference"])
        for item in findings["disparities"]
        if tuple(item["attributes"]) == grouping
    )


def call(metric: ClassificationMetric, name: str, **kwargs) -> float:
    with warnings.catch_warnings():
        # AIF360 divides 0 by 0 for undefined rates, and the tests check those values.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(getattr(metric, name)(**kwargs))


def close(first: float, second: float) -> bool:
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12)


def same_or_both_nan(first: float, second: float) -> bool:
    if math.isnan(first) or math.isnan(second):
        return math.isnan(first) and math.isnan(second)
    return close(first, second)


@AGREEMENT_SETTINGS
@given(rows=coded_rows(), grouping=st.sampled_from(GROUPINGS))
def test_group_metrics_agree_with_classification_metric(rows, grouping):
    findings = audit_findings(rows, grouping)
    entries = group_entries(findings, grouping)
    reference = reference_of(findings, grouping)

    for label in entries:
        if label == reference:
            continue
        aif360 = aif360_metric(rows, grouping, label, reference)
        for group, privileged in [(label, False), (reference, True)]:
            for name in METRICS:
                metric = entries[group]["metrics"][name]
                aif360_value = call(aif360, name, privileged=privileged)
                if metric["value"] is not None:
                    assert close(metric["value"], aif360_value), (group, name)
                    continue

                reason, documented = UNDEFINED[name]
                assert metric["reason"] == reason, (group, name)
                assert same_or_both_nan(aif360_value, documented), (group, name)


def _undefined_reason(disparity: dict) -> str | None:
    return disparity["difference"].get("reason")


@AGREEMENT_SETTINGS
@given(rows=coded_rows(), grouping=st.sampled_from(GROUPINGS))
def test_group_comparisons_agree_with_classification_metric(rows, grouping):
    findings = audit_findings(rows, grouping)
    entries = group_entries(findings, grouping)
    reference = reference_of(findings, grouping)
    disparities = disparities_of(findings, grouping)

    for label in entries:
        if label == reference:
            continue
        aif360 = aif360_metric(rows, grouping, label, reference)
        selection = disparities[(label, "selection_rate")]
        tpr = disparities[(label, "true_positive_rate")]
        fpr = disparities[(label, "false_positive_rate")]

        parity = call(aif360, "statistical_parity_difference")
        assert close(selection["difference"]["value"], parity), label

        impact = call(aif360, "disparate_impact")
        if selection["ratio"]["value"] is None:
            assert selection["ratio"]["reason"] == "reference group's value is zero", label
            assert math.isinf(impact) or math.isnan(impact), label
        else:
            assert close(selection["ratio"]["value"], impact), label

        opportunity = call(aif360, "equal_opportunity_difference")
        if tpr["difference"]["value"] is None:
            assert _undefined_reason(tpr).endswith("no actual positives in group"), label
            assert math.isnan(opportunity), label
        else:
            assert close(tpr["difference"]["value"], opportunity), label

        odds = call(aif360, "average_odds_difference")
        if tpr["difference"]["value"] is None or fpr["difference"]["value"] is None:
            assert math.isnan(odds), label
        else:
            expected = 0.5 * (fpr["difference"]["value"] + tpr["difference"]["value"])
            assert close(expected, odds), label


@AGREEMENT_SETTINGS
@given(rows=coded_rows())
def test_equalized_odds_two_groups_agree(rows):
    grouping = ("B",)
    findings = audit_findings(rows, grouping)
    summary = next(item for item in findings["summaries"] if item["attributes"] == ["B"])
    disparities = disparities_of(findings, grouping)
    tpr = disparities[(("b1",), "true_positive_rate")]["difference"]["value"]
    fpr = disparities[(("b1",), "false_positive_rate")]["difference"]["value"]
    odds = call(aif360_metric(rows, grouping, ("b1",), ("b0",)), "equalized_odds_difference")
    value = summary["equalized_odds_difference"]["value"]

    if tpr is not None and fpr is not None:
        assert close(value, odds)
    elif fpr is None:
        # AIF360 returns max(|FPR difference|, |TPR difference|) with Python's max, which
        # returns NaN when its first argument is NaN.
        assert math.isnan(odds)
    else:
        # With the TPR difference NaN, Python's max returns the FPR difference, which is
        # also what equilens reports once the undefined TPR leaves the summary.
        assert close(value, odds)
