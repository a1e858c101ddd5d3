"""The recommendation rule, the frontier and the margins, on hand-made candidate entries."""

import pytest

from equilens.mitigate import frontier, recommend
from equilens.mitigate._recommend import margin, unmet


def hypothesis(value, verdict, *, threshold=0.8, operator=">=", comparison="ratio", group="b"):
    return {
        "value": value,
        "ci": [value - 0.1, value + 0.1] if value is not None else None,
        "group": [group],
        "metric": "selection_rate",
        "comparison": comparison,
        "operator": operator,
        "threshold": threshold,
        "verdict": verdict,
    }


def candidate(name, utility, fairness, *, approvals=100, status="ok", groups_at_prediction=False):
    return {
        "name": name,
        "status": status,
        "utility": {
            "balanced_accuracy": {"value": utility, "ci": [utility - 0.05, utility + 0.05]},
            "favorable_decisions": {"value": approvals, "ci": None},
        },
        "fairness": fairness,
        "uses_groups_at_prediction": groups_at_prediction,
    }


BASELINE_FAILS = {
    "ratio": hypothesis(0.70, "fail"),
    "gap": hypothesis(0.08, "fail", threshold=0.05, operator="<=", comparison="difference"),
}


GAP_FAILS = hypothesis(0.07, "fail", threshold=0.05, operator="<=", comparison="difference")


def test_recommend_least_utility_loss():
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS),
        candidate("a", 0.70, {"ratio": hypothesis(0.9, "pass"), "gap": hypothesis(0.0, "pass")}),
        candidate("b", 0.76, {"ratio": hypothesis(0.85, "pass"), "gap": hypothesis(0.01, "pass")}),
        candidate("c", 0.79, {"ratio": hypothesis(0.78, "fail"), "gap": hypothesis(0.0, "pass")}),
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy")
    assert recommendation["name"] == "b"
    assert "keeps 95% of the baseline's balanced accuracy" in recommendation["reason"]
    assert "from 0.70 (b) to 0.85 (b)" in recommendation["reason"]
    assert recommendation["blocking"] == []


def test_recommend_prefers_baseline_on_tie():
    passing = {"ratio": hypothesis(0.9, "pass")}
    candidates = [candidate("baseline", 0.8, passing), candidate("a", 0.8, passing)]
    recommendation = recommend(candidates, measure="balanced_accuracy")
    assert recommendation["name"] == "baseline"
    assert "no mitigation is needed" in recommendation["reason"]


def test_recommend_none_names_blocking_threshold():
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS),
        candidate("a", 0.70, {"ratio": hypothesis(0.75, "fail"), "gap": hypothesis(0.0, "pass")}),
        candidate("b", 0.72, {"ratio": hypothesis(0.78, "fail"), "gap": hypothesis(0.02, "pass")}),
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy")
    assert recommendation["name"] is None
    assert recommendation["blocking"] == ["ratio"]
    assert "block every candidate" in recommendation["reason"]
    assert "the closest is b at 0.78 (b)" in recommendation["reason"]


def test_recommend_none_when_each_met_separately():
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS),
        candidate("a", 0.70, {"ratio": hypothesis(0.9, "pass"), "gap": GAP_FAILS}),
        candidate("b", 0.72, {"ratio": hypothesis(0.7, "fail"), "gap": hypothesis(0.0, "pass")}),
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy")
    assert recommendation["name"] is None
    assert recommendation["blocking"] == ["gap"]
    assert "each is met by some candidate" in recommendation["reason"]
    assert "The closest, a," in recommendation["reason"]


def test_recommend_strict_counts_inconclusive():
    fairness = {"ratio": hypothesis(0.9, "inconclusive"), "gap": hypothesis(0.0, "pass")}
    candidates = [candidate("baseline", 0.8, BASELINE_FAILS), candidate("a", 0.7, fairness)]
    assert recommend(candidates, measure="balanced_accuracy")["name"] == "a"
    strict = recommend(candidates, measure="balanced_accuracy", strict=True)
    assert strict["name"] is None
    assert "Inconclusive hypotheses count as not met" in strict["reason"]


def test_recommend_skips_failed_candidates():
    candidates = [
        candidate("baseline", 0.8, BASELINE_FAILS),
        {"name": "broken", "status": "failed", "reason": "ValueError: x"},
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy")
    assert recommendation["name"] is None


def test_recommend_mentions_approvals_and_group_use():
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS, approvals=120),
        candidate(
            "a",
            0.78,
            {"ratio": hypothesis(0.9, "pass"), "gap": hypothesis(0.0, "pass")},
            approvals=110,
            groups_at_prediction=True,
        ),
    ]
    reason = recommend(candidates, measure="balanced_accuracy")["reason"]
    assert "It makes 110 favorable decisions where the baseline makes 120." in reason
    assert "reads the protected attributes" in reason


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (hypothesis(0.9, "pass"), 0.1),
        (hypothesis(0.03, "pass", threshold=0.05, operator="<=", comparison="difference"), 0.02),
        (
            hypothesis(-0.08, "fail", threshold=0.05, operator="within", comparison="difference"),
            -0.03,
        ),
        (hypothesis(1.25, "pass", threshold=0.8, operator="within", comparison="ratio"), 0.0),
        (hypothesis(None, "inconclusive"), None),
    ],
)
def test_margin_by_operator(entry, expected):
    if expected is None:
        assert margin(entry) is None
    else:
        assert margin(entry) == pytest.approx(expected)


def test_frontier_keeps_undominated():
    candidates = [
        candidate("baseline", 0.80, {"ratio": hypothesis(0.70, "fail")}),
        candidate("a", 0.75, {"ratio": hypothesis(0.90, "pass")}),
        candidate("b", 0.70, {"ratio": hypothesis(0.85, "pass")}),
        candidate("c", 0.74, {"ratio": hypothesis(0.95, "pass")}),
    ]
    assert frontier(candidates, "ratio", "balanced_accuracy") == ["baseline", "a", "c"]


def test_unmet_lists_failed_hypotheses():
    entry = candidate("x", 0.7, {"ratio": hypothesis(0.7, "fail"), "g": hypothesis(1, "pass")})
    assert unmet(entry, strict=False) == ["ratio"]


def test_recommend_leaves_out_group_aware_by_default_policy():
    meets = {"ratio": hypothesis(0.9, "pass"), "gap": hypothesis(0.0, "pass")}
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS),
        candidate("aware", 0.79, meets, groups_at_prediction=True),
        candidate("blind", 0.70, meets),
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy", allow_group_aware=False)
    assert recommendation["name"] == "blind"
    assert "Not considered because they read the protected attributes" in recommendation["reason"]
    assert "aware" in recommendation["reason"]


def test_recommend_group_aware_allowed():
    meets = {"ratio": hypothesis(0.9, "pass"), "gap": hypothesis(0.0, "pass")}
    candidates = [
        candidate("baseline", 0.80, BASELINE_FAILS),
        candidate("aware", 0.79, meets, groups_at_prediction=True),
        candidate("blind", 0.70, meets),
    ]
    recommendation = recommend(candidates, measure="balanced_accuracy", allow_group_aware=True)
    assert recommendation["name"] == "aware"
