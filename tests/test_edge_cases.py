"""Hand-computed edge cases: tiny and degenerate groups, fallbacks, tests and corrections.

Expected values are computed by hand in the tests (Wilson, Newcombe and MOVER-R bounds,
pooled z statistics, Benjamini-Hochberg and Holm adjustments) and, where a library
implements the same formula, also checked against scipy, statsmodels or scikit-learn.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from equilens.audit import run_audit
from equilens.plan import parse_plan
from equilens.stats.significance import (
    adjust_p_values,
    compare_proportions,
    minimum_detectable_difference,
)

LEVEL = 0.95
Z = 1.959963984540054  # standard normal quantile at 0.975
Z_POWER = 0.8416212335729143  # standard normal quantile at 0.8


def rows(group: str, *, tp: int = 0, fp: int = 0, fn: int = 0, tn: int = 0) -> pd.DataFrame:
    """Return rows of one group with the given confusion counts.

    Decisions are scores of 1.0 (selected) or 0.0 with the audit's threshold of 0.5.
    """
    cells = [(1, 1.0)] * tp + [(0, 1.0)] * fp + [(1, 0.0)] * fn + [(0, 0.0)] * tn
    return pd.DataFrame(
        {"group": group, "y": [y for y, _ in cells], "s": [score for _, score in cells]}
    )


def audit(*parts: pd.DataFrame, **plan_fields):
    """Audit the attribute `group` with reference group "ref" and return the result."""
    plan = {
        "target": "y",
        "prediction": {"score_column": "s", "threshold": 0.5},
        "protected": [{"name": "group", "reference": "ref"}],
        "min_group_size": 1,
        "bootstrap_replicates": 200,
        **plan_fields,
    }
    return run_audit(parse_plan(plan), pd.concat(parts, ignore_index=True))


def metric_entry(findings: dict, group: str, metric: str) -> dict:
    entry = next(item for item in findings["groups"] if item["group"] == group)
    return entry["metrics"][metric]


def disparity_entry(findings: dict, group: str, metric: str) -> dict:
    return next(
        item
        for item in findings["disparities"]
        if item["group"] == [group] and item["metric"] == metric
    )


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """Wilson score interval at 95%, written out from Wilson (1927)."""
    p = successes / trials
    denominator = 1 + Z**2 / trials
    center = (p + Z**2 / (2 * trials)) / denominator
    half_width = Z * math.sqrt(p * (1 - p) / trials + Z**2 / (4 * trials**2)) / denominator
    return center - half_width, center + half_width


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p1 - p2 (Newcombe 1998, method 10)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lower, upper


def mover_ratio(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """MOVER-R interval of p1 / p2 from Wilson bounds (Donner and Zou 2012)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    product = p1 * p2
    lower = (product - math.sqrt(product**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2))) / (
        u2 * (2 * p2 - u2)
    )
    upper = (product + math.sqrt(product**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2))) / (
        l2 * (2 * p2 - l2)
    )
    return lower, upper


# A reference group with 10 of 20 selected and every confusion cell filled.
REFERENCE = rows("ref", tp=6, fp=4, fn=5, tn=5)


def test_selection_rate_one_of_one_uses_wilson():
    findings = audit(REFERENCE, rows("solo", tp=1)).to_dict()
    selection = metric_entry(findings, "solo", "selection_rate")

    assert selection["value"] == 1.0
    assert selection["ci_method"] == "wilson"
    assert selection["ci"] == pytest.approx([1 / (1 + Z**2), 1.0])
    assert selection["ci"] != [1.0, 1.0]


def test_selection_rate_zero_of_three_uses_wilson():
    findings = audit(REFERENCE, rows("none", fn=1, tn=2)).to_dict()
    selection = metric_entry(findings, "none", "selection_rate")

    assert selection["value"] == 0.0
    assert selection["ci_method"] == "wilson"
    assert selection["ci"] == pytest.approx([0.0, Z**2 / (3 + Z**2)], abs=1e-12)


@pytest.mark.parametrize(
    ("group", "metric", "reason"),
    [
        ("negatives", "true_positive_rate", "no actual positives in group"),
        ("negatives", "false_negative_rate", "no actual positives in group"),
        ("negatives", "positive_predictive_value", "no predicted positives in group"),
        ("negatives", "false_discovery_rate", "no predicted positives in group"),
        ("negatives", "f1_score", "no actual or predicted positives in group"),
        ("negatives", "balanced_accuracy", "group lacks actual positives or actual negatives"),
        ("negatives", "auc", "group lacks actual positives or actual negatives"),
        ("positives", "false_positive_rate", "no actual negatives in group"),
        ("positives", "true_negative_rate", "no actual negatives in group"),
        ("positives", "negative_predictive_value", "no predicted negatives in group"),
        ("positives", "false_omission_rate", "no predicted negatives in group"),
    ],
)
def test_zero_over_zero_metric_null_with_reason(group, metric, reason):
    # Group "negatives" has three true negatives, and group "positives" two true positives.
    findings = audit(REFERENCE, rows("negatives", tn=3), rows("positives", tp=2)).to_dict()

    assert metric_entry(findings, group, metric) == {"value": None, "ci": None, "reason": reason}


def test_undefined_metric_disparity_carries_group_reason():
    findings = audit(REFERENCE, rows("negatives", tn=3)).to_dict()
    disparity = disparity_entry(findings, "negatives", "true_positive_rate")
    reason = "undefined in the group: no actual positives in group"

    assert disparity["difference"] == {"value": None, "ci": None, "reason": reason}
    assert disparity["ratio"] == {"value": None, "ci": None, "reason": reason}
    assert disparity["p_value"] is None
    assert disparity["test_reason"] == reason


def test_undefined_metric_aggregate_lists_excluded_group():
    findings = audit(REFERENCE, rows("negatives", tn=3), rows("other", tp=3, fn=1)).to_dict()
    aggregate = next(
        item
        for item in findings["aggregates"]
        if item["metric"] == "true_positive_rate" and item["attributes"] == ["group"]
    )

    assert aggregate["excluded_groups"] == [
        {"group": ["negatives"], "reason": "no actual positives in group"}
    ]
    assert aggregate["max_minus_min"]["value"] == pytest.approx(0.75 - 6 / 11)


def test_auc_with_ties_hand_computed():
    # Positives score 0.5 and 0.7, negatives 0.5 and 0.1: of the four pairs, the tie
    # counts one half and the other three are won, so AUC = 3.5 / 4.
    tied = pd.DataFrame({"group": "ref", "y": [0, 1, 1, 0], "s": [0.5, 0.5, 0.7, 0.1]})
    other = pd.DataFrame({"group": "other", "y": [0, 1, 1], "s": [0.3, 0.3, 0.3]})
    findings = audit(tied, other).to_dict()

    assert metric_entry(findings, "ref", "auc")["value"] == 0.875
    assert roc_auc_score(tied["y"], tied["s"]) == 0.875
    assert metric_entry(findings, "other", "auc")["value"] == 0.5


def test_auc_with_many_ties_matches_sklearn():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "group": rng.choice(["ref", "b", "c"], 400),
            "y": rng.integers(0, 2, 400),
            "s": rng.integers(0, 4, 400) / 3,
        }
    )
    findings = audit(frame).to_dict()

    for group, part in frame.groupby("group"):
        expected = roc_auc_score(part["y"], part["s"])
        assert metric_entry(findings, group, "auc")["value"] == pytest.approx(expected), group


def test_difference_degenerate_group_uses_newcombe():
    # One of one selected against 10 of 20: the group's bootstrap collapses to 1.
    findings = audit(REFERENCE, rows("solo", tp=1)).to_dict()
    difference = disparity_entry(findings, "solo", "selection_rate")["difference"]
    statsmodels_bounds = confint_proportions_2indep(1, 1, 10, 20, method="newcomb", compare="diff")

    assert difference["value"] == 0.5
    assert difference["ci_method"] == "newcombe"
    assert difference["ci"] == pytest.approx(newcombe(1, 1, 10, 20))
    assert difference["ci"] == pytest.approx(list(statsmodels_bounds))


def test_ratio_degenerate_group_uses_mover():
    findings = audit(REFERENCE, rows("solo", tp=1)).to_dict()
    ratio = disparity_entry(findings, "solo", "selection_rate")["ratio"]

    assert ratio["value"] == 2.0
    assert ratio["ci_method"] == "mover"
    assert ratio["ci"] == pytest.approx(mover_ratio(1, 1, 10, 20))


def test_difference_both_groups_at_zero_uses_newcombe():
    # Neither group selects anyone: every replicate difference is 0.
    reference = rows("ref", fn=5, tn=15)
    findings = audit(reference, rows("none", fn=2, tn=3)).to_dict()
    disparity = disparity_entry(findings, "none", "selection_rate")

    assert disparity["difference"]["value"] == 0.0
    assert disparity["difference"]["ci_method"] == "newcombe"
    assert disparity["difference"]["ci"] == pytest.approx(newcombe(0, 5, 0, 20), abs=1e-12)
    assert disparity["ratio"] == {
        "value": None,
        "ci": None,
        "reason": "reference group's value is zero",
    }


def test_compare_proportions_small_counts_fisher():
    # Table [[1, 5], [9, 3]]: the smallest expected count is 6 * 8 / 18 = 2.67.
    result = compare_proportions(1, 6, 9, 12)

    assert result.test == "fisher_exact"
    assert result.p_value == pytest.approx(stats.fisher_exact([[1, 5], [9, 3]]).pvalue)


def test_compare_proportions_large_counts_z_test():
    result = compare_proportions(40, 100, 60, 100)
    pooled = 0.5
    z = (0.4 - 0.6) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    _, statsmodels_p = proportions_ztest([40, 60], [100, 100])

    assert result.test == "two_proportion_z"
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert result.p_value == pytest.approx(statsmodels_p)


def test_compare_proportions_expected_5_z_test():
    result = compare_proportions(5, 10, 5, 10)

    assert result.test == "two_proportion_z"
    assert result.p_value == pytest.approx(1.0)


def test_disparity_small_group_uses_fisher():
    findings = audit(REFERENCE, rows("solo", tp=1)).to_dict()
    disparity = disparity_entry(findings, "solo", "selection_rate")

    assert disparity["test"] == "fisher_exact"
    assert disparity["p_value"] == pytest.approx(stats.fisher_exact([[1, 0], [10, 10]]).pvalue)


def test_disparity_large_groups_use_z_test():
    findings = audit(rows("ref", tp=30, fp=20, fn=25, tn=25), rows("b", tp=20, fp=10, fn=30, tn=40))
    disparity = disparity_entry(findings.to_dict(), "b", "selection_rate")
    _, statsmodels_p = proportions_ztest([30, 50], [100, 100])

    assert disparity["test"] == "two_proportion_z"
    assert disparity["p_value"] == pytest.approx(statsmodels_p)


def test_adjust_p_values_benjamini_hochberg_hand_computed():
    # Sorted: 0.005, 0.01, 0.03, 0.04 -> p * 4 / rank = 0.02, 0.02, 0.04, 0.04, then the
    # running minimum from the largest p down.
    adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005], method="benjamini-hochberg")

    assert adjusted == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_adjust_p_values_holm_hand_computed():
    # Sorted: 0.005, 0.01, 0.03, 0.04 -> p * (4 - rank + 1) = 0.02, 0.03, 0.06, 0.04, then
    # the running maximum from the smallest p up.
    adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005], method="holm")

    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_adjust_p_values_capped_at_one():
    assert adjust_p_values([0.5, 0.6], method="holm") == pytest.approx([1.0, 1.0])
    assert adjust_p_values([0.5, 0.6], method="benjamini-hochberg") == pytest.approx([0.6, 0.6])


def test_adjust_p_values_empty():
    assert adjust_p_values([], method="holm") == []


def _holm(p_values: list[float]) -> list[float]:
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted.tolist()


def test_audit_p_adjusted_holm_over_all_tests():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "group": rng.choice(["ref", "b", "c"], 300),
            "y": rng.integers(0, 2, 300),
            "s": rng.random(300),
        }
    )
    findings = audit(frame, metrics=["selection_rate", "accuracy"], multiple_testing="holm")
    entries = [*findings.to_dict()["disparities"], *findings.to_dict()["aggregates"]]
    tested = [entry for entry in entries if entry["p_value"] is not None]

    expected = _holm([entry["p_value"] for entry in tested])
    # Five metrics (the two listed and the three the summaries add): two groups against the
    # reference and one test across the groups each.
    assert len(tested) == 15
    for entry, p_adjusted in zip(tested, expected, strict=True):
        assert entry["p_adjusted"] == pytest.approx(p_adjusted), entry["metric"]


def test_minimum_detectable_difference_formula():
    expected = (Z + Z_POWER) * math.sqrt(0.3 * 0.7 * (1 / 50 + 1 / 200))

    assert minimum_detectable_difference(0.3, 50, 200, level=LEVEL) == pytest.approx(expected)


def test_minimum_detectable_difference_zero_rate():
    expected = (Z + Z_POWER) * math.sqrt(0.25 * (1 / 10 + 1 / 40))

    assert minimum_detectable_difference(0.0, 10, 40, level=LEVEL) == pytest.approx(expected)


def test_minimum_detectable_difference_empty_group():
    assert minimum_detectable_difference(0.3, 0, 40, level=LEVEL) is None


def test_small_group_minimum_detectable_difference():
    hypothesis = {
        "id": "parity",
        "metric": "selection_rate",
        "attribute": "group",
        "comparison": "difference",
        "threshold": 0.1,
    }
    result = audit(REFERENCE, rows("small", tp=2, fn=3), min_group_size=10, hypotheses=[hypothesis])
    small = result.to_dict()["findings"][0]["groups"][0]
    expected = (Z + Z_POWER) * math.sqrt(0.5 * 0.5 * (1 / 5 + 1 / 20))

    assert small["verdict"] == "inconclusive"
    assert small["minimum_detectable_difference"] == round(expected, 4)


DEGENERATE_FRAMES = {
    "one row selected": [REFERENCE, rows("solo", tp=1)],
    "no one selected": [rows("ref", fn=3, tn=4), rows("b", fn=1, tn=2)],
    "everyone selected": [rows("ref", tp=3, fp=4), rows("b", tp=1, fp=2)],
    "positives only": [rows("ref", tp=3, fn=4), rows("b", tp=1, fn=1)],
    "reference without positives": [rows("ref", fp=3, tn=4), rows("b", tp=2, fn=1, tn=1)],
    "single rows": [rows("ref", tp=1), rows("b", tn=1), rows("c", fn=1)],
}
HYPOTHESES = [
    {"metric": metric, "attribute": "group", "comparison": comparison, "threshold": threshold}
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "auc")
    for comparison, threshold in [
        ("difference", 0.1),
        ("ratio", 0.8),
        ("max_minus_min", 0.1),
        ("min_over_max", 0.8),
    ]
]


def _non_finite_floats(value) -> list:
    if isinstance(value, dict):
        return [item for child in value.values() for item in _non_finite_floats(child)]
    if isinstance(value, list):
        return [item for child in value for item in _non_finite_floats(child)]
    if isinstance(value, float) and not math.isfinite(value):
        return [value]
    return []


@pytest.mark.parametrize("case", list(DEGENERATE_FRAMES))
def test_findings_json_has_no_nan(case):
    findings = audit(*DEGENERATE_FRAMES[case], hypotheses=HYPOTHESES).to_dict()

    assert _non_finite_floats(findings) == []
    assert json.loads(json.dumps(findings, allow_nan=False))["schema"] == "equilens.findings/1"
