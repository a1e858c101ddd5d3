"""Choosing among the candidates: which meet the hypotheses, the frontier, the recommendation.

Every function here reads candidate entries as ``mitigation.json`` stores them, so the
recommendation can be recomputed from the file alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from equilens.report._format import (
    COMPARISON_LABELS,
    RATIO_COMPARISONS,
    format_threshold,
    group_label,
    metric_label,
)

BASELINE = "baseline"
UTILITY_LABELS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "selection_rate": "approval volume (selection rate)",
    "expected_value": "expected value per decision",
}


def margin(entry: Mapping[str, Any]) -> float | None:
    """Return how far a hypothesis's value lies inside its threshold (negative: outside).

    For ``within`` on a ratio the distance is that of the smaller of the ratio and its
    reciprocal. An undefined value has no margin.
    """
    value = entry.get("value")
    if value is None:
        return None
    operator, threshold = entry["operator"], entry["threshold"]
    if operator == ">=":
        return value - threshold
    if operator == "<=":
        return threshold - value
    if entry["comparison"] in RATIO_COMPARISONS:
        return (min(value, 1 / value) if value > 0 else 0.0) - threshold
    return threshold - abs(value)


def unmet(candidate: Mapping[str, Any], *, strict: bool) -> list[str]:
    """Return the ids of the hypotheses a candidate does not meet.

    A failed hypothesis is never met; an inconclusive one is met unless `strict`.
    """
    blocking = ("fail", "inconclusive") if strict else ("fail",)
    return [
        hypothesis_id
        for hypothesis_id, entry in candidate.get("fairness", {}).items()
        if entry.get("verdict") in blocking
    ]


def evaluated(candidates: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the candidates that were fitted and audited."""
    return [candidate for candidate in candidates if candidate.get("status") == "ok"]


def frontier(
    candidates: Sequence[Mapping[str, Any]], hypothesis_id: str, measure: str
) -> list[str]:
    """Return the names of the candidates on one hypothesis's fairness-utility frontier.

    A candidate is on the frontier (Pareto-optimal) when no other candidate has at least
    its utility and at least its margin on the hypothesis, and more of one of them.
    """
    points = []
    for candidate in evaluated(candidates):
        utility = candidate["utility"].get(measure, {}).get("value")
        distance = margin(candidate["fairness"].get(hypothesis_id, {"value": None}))
        if utility is not None and distance is not None:
            points.append((candidate["name"], utility, distance))
    return [
        name
        for name, utility, distance in points
        if not any(
            other_utility >= utility
            and other_distance >= distance
            and (other_utility > utility or other_distance > distance)
            for _, other_utility, other_distance in points
        )
    ]


def describe_hypothesis(hypothesis_id: str, entry: Mapping[str, Any]) -> str:
    """Name a hypothesis by its metric and comparison, e.g. 'selection rate ratio to
    reference (four_fifths_race, >= 0.8)'."""
    comparison = COMPARISON_LABELS.get(entry.get("comparison"), entry.get("comparison"))
    return (
        f"{metric_label(entry.get('metric', ''))} {comparison} "
        f"({hypothesis_id}, {format_threshold(entry)})"
    )


def format_value(entry: Mapping[str, Any]) -> str:
    """Format a hypothesis value with its worst group, e.g. '0.75 (black)'."""
    value = entry.get("value")
    if value is None:
        return "undefined"
    group = entry.get("group")
    return f"{value:.2f} ({group_label(group)})" if group else f"{value:.2f}"


def _retained(baseline: float, chosen: float, label: str) -> str:
    if baseline <= 0:
        return f"changes the baseline's {label} from {baseline:.3g} to {chosen:.3g}"
    share = chosen / baseline
    percent = f"{share:.1%}" if abs(share - 1) < 0.05 else f"{share:.0%}"
    return f"keeps {percent} of the baseline's {label} ({baseline:.3f} to {chosen:.3f})"


def recommend(
    candidates: Sequence[Mapping[str, Any]],
    *,
    measure: str,
    strict: bool = False,
    allow_group_aware: bool = True,
) -> dict[str, Any]:
    """Recommend the candidate that meets every hypothesis with the least utility loss.

    Among the candidates that meet every hypothesis (see `unmet`), the one with the
    highest value of `measure` wins. Ties go to the baseline, then to the larger smallest
    margin. When none meets them, the recommendation is None and the reason names the
    hypotheses that block: those no candidate meets, or else those the closest candidate
    still misses. Unless `allow_group_aware`, candidates that read the protected
    attributes when they decide are left out of the choice, and the reason names those
    that would have met every hypothesis.

    Returns
    -------
    dict
        ``name`` (or None), ``reason`` and ``blocking`` (hypothesis ids).
    """
    pool = evaluated(candidates)
    excluded_note = ""
    if not allow_group_aware:
        group_aware = [c for c in pool if c.get("uses_groups_at_prediction")]
        pool = [c for c in pool if not c.get("uses_groups_at_prediction")]
        meeting_aware = [c["name"] for c in group_aware if not unmet(c, strict=strict)]
        if meeting_aware:
            excluded_note = (
                f" Not considered because they read the protected attributes when they decide "
                f"(disparate treatment, which needs legal review; set "
                f"allow_group_aware_decisions to consider them), although they meet every "
                f"hypothesis: {', '.join(meeting_aware)}."
            )
    if not pool:
        return {
            "name": None,
            "reason": "No candidate could be fitted and evaluated, so none can be recommended.",
            "blocking": [],
        }
    by_name = {candidate["name"]: candidate for candidate in pool}
    baseline = by_name.get(BASELINE)
    label = UTILITY_LABELS.get(measure, measure.replace("_", " "))
    meeting = [candidate for candidate in pool if not unmet(candidate, strict=strict)]

    if not meeting:
        result = _none_meets(pool, strict=strict)
        result["reason"] += excluded_note
        return result

    def rank(candidate: Mapping[str, Any]) -> tuple[float, bool, float]:
        utility = candidate["utility"][measure]["value"]
        margins = [margin(entry) for entry in candidate["fairness"].values()]
        smallest = min((m for m in margins if m is not None), default=0.0)
        return (utility, candidate["name"] == BASELINE, smallest)

    chosen = max(meeting, key=rank)
    if chosen["name"] == BASELINE:
        return {
            "name": BASELINE,
            "reason": (
                f"The baseline already meets every hypothesis, and no candidate that also "
                f"meets them has a higher {label} ({chosen['utility'][measure]['value']:.3f}); "
                f"no mitigation is needed."
            )
            + excluded_note,
            "blocking": [],
        }

    reason = f"{chosen['name']} meets every hypothesis and "
    if baseline is None:
        reason += f"has the highest {label}."
        return {"name": chosen["name"], "reason": reason + excluded_note, "blocking": []}
    reason += _retained(
        baseline["utility"][measure]["value"], chosen["utility"][measure]["value"], label
    )
    moved = unmet(baseline, strict=strict) or list(baseline["fairness"])
    changes = [
        f"{describe_hypothesis(hypothesis_id, baseline['fairness'][hypothesis_id])} from "
        f"{format_value(baseline['fairness'][hypothesis_id])} to "
        f"{format_value(chosen['fairness'][hypothesis_id])}"
        for hypothesis_id in moved
    ]
    reason += " while moving the " + "; and the ".join(changes) + "."
    before = baseline["utility"]["favorable_decisions"]["value"]
    after = chosen["utility"]["favorable_decisions"]["value"]
    if before != after:
        reason += f" It makes {after} favorable decisions where the baseline makes {before}."
    if not unmet(baseline, strict=strict):
        reason += " The baseline also meets every hypothesis."
    if chosen.get("uses_groups_at_prediction"):
        reason += (
            " It reads the protected attributes when it decides, which needs legal review "
            "(see the caveats)."
        )
    return {"name": chosen["name"], "reason": reason + excluded_note, "blocking": []}


def _none_meets(pool: Sequence[Mapping[str, Any]], *, strict: bool) -> dict[str, Any]:
    hypothesis_ids = list(pool[0]["fairness"])
    never_met = [
        hypothesis_id
        for hypothesis_id in hypothesis_ids
        if all(hypothesis_id in unmet(candidate, strict=strict) for candidate in pool)
    ]
    if never_met:
        parts = []
        for hypothesis_id in never_met:
            best = max(pool, key=lambda c, h=hypothesis_id: _margin_or_lowest(c, h))
            entry = best["fairness"][hypothesis_id]
            parts.append(
                f"{describe_hypothesis(hypothesis_id, entry)}: the closest is {best['name']} "
                f"at {format_value(entry)}"
            )
        reason = (
            "No candidate meets every hypothesis. These thresholds block every candidate: "
            + "; ".join(parts)
            + "."
        )
        return {
            "name": None,
            "reason": reason + _strict_note(pool, never_met, strict=strict),
            "blocking": never_met,
        }

    def closeness(candidate: Mapping[str, Any]) -> tuple[int, float]:
        missed = unmet(candidate, strict=strict)
        margins = [margin(candidate["fairness"][h]) for h in missed]
        return (-len(missed), min((m for m in margins if m is not None), default=0.0))

    closest = max(pool, key=closeness)
    missed = unmet(closest, strict=strict)
    described = "; ".join(
        f"{describe_hypothesis(h, closest['fairness'][h])} at "
        f"{format_value(closest['fairness'][h])}"
        for h in missed
    )
    reason = (
        f"No candidate meets every hypothesis, although each is met by some candidate. The "
        f"closest, {closest['name']}, is blocked by {described}."
    )
    reason += _strict_note([closest], missed, strict=strict)
    return {"name": None, "reason": reason, "blocking": missed}


def _strict_note(
    pool: Sequence[Mapping[str, Any]], hypothesis_ids: Sequence[str], *, strict: bool
) -> str:
    """Say that inconclusive verdicts block, when one of them does."""
    inconclusive = any(
        candidate["fairness"][h].get("verdict") == "inconclusive"
        for candidate in pool
        for h in hypothesis_ids
    )
    if strict and inconclusive:
        return " Inconclusive hypotheses count as not met because the comparison is strict."
    return ""


def _margin_or_lowest(candidate: Mapping[str, Any], hypothesis_id: str) -> float:
    distance = margin(candidate["fairness"][hypothesis_id])
    return float("-inf") if distance is None else distance
