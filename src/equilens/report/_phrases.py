"""Plain-language sentences and Markdown escaping for the stakeholder one-pager.

Numbers are worded the way a business reader says them: ratios as percentages ("69% of
the white group's"), differences in percentage points with the direction in words.
Every string that comes from the data or the plan passes through `escape_markdown` or
`code_span` before it enters the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from equilens.report._format import (
    FOUR_FIFTHS,
    METRIC_MEANINGS,
    RATIO_COMPARISONS,
    attributes_label,
    format_p,
    format_percent,
    group_label,
    metric_label,
    sentence_case,
)
from equilens.report._units import UnitView, group_key, unit_key

# Characters that can start Markdown syntax inside a line: emphasis, code, links, raw
# HTML, entities, table cells, strikethrough and (on GitHub) math. User strings are always
# placed mid-line, so line-start markers such as '#', '-' and '1.' need no escaping.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")


def escape_markdown(text: Any) -> str:
    """Escape Markdown syntax in a user string and fold line breaks into spaces."""
    folded = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", folded)


def _decimals(value: float) -> int:
    """Return 1 decimal for differences under 10 points and 0 for larger ones."""
    return 1 if abs(value) < 0.1 else 0


def _points(value: float, decimals: int | None = None) -> str:
    """Format a difference of proportions in percentage points, without its sign."""
    if decimals is None:
        decimals = _decimals(value)
    return f"{abs(value) * 100:.{decimals}f}"


def _point_interval(lower: float, upper: float, decimals: int) -> str:
    """Describe an interval of differences in words, e.g. '9 to 22 points higher'."""
    if lower >= 0:
        return f"{_points(lower, decimals)} to {_points(upper, decimals)} points higher"
    if upper <= 0:
        return f"{_points(upper, decimals)} to {_points(lower, decimals)} points lower"
    return (
        f"from {_points(lower, decimals)} points lower to {_points(upper, decimals)} points higher"
    )


def code_span(text: Any) -> str:
    """Format an identifier or path as a code span, or escape it when it contains a backtick."""
    folded = " ".join(str(text).split())
    return f"`{folded}`" if folded and "`" not in folded else escape_markdown(folded)


def _the_group(group: Any) -> str:
    return f"the {escape_markdown(group_label(group))} group"


def _metric_phrase(metric: str) -> str:
    meaning = METRIC_MEANINGS.get(metric)
    # The abbreviation is dropped because the meaning follows in brackets.
    label = escape_markdown(re.sub(r" \([A-Z]+\)$", "", metric_label(metric)))
    return f"the {label} ({meaning})" if meaning else f"the {label}"


def threshold_sentence(finding: Mapping[str, Any]) -> str:
    threshold = finding.get("threshold")
    operator = finding.get("operator")
    comparison = finding.get("comparison")
    if threshold is None:
        return ""

    if comparison in RATIO_COMPARISONS:
        if (
            finding.get("metric") == "selection_rate"
            and operator == ">="
            and threshold == FOUR_FIFTHS
        ):
            return (
                "The four-fifths rule used in US fair-lending and employment practice "
                "requires at least 80%."
            )
        if operator == "within":
            return (
                f"The audit plan requires it to stay between {format_percent(threshold)} "
                f"and {format_percent(1 / threshold)}."
            )
        bound = "at least" if operator == ">=" else "at most"
        return f"The audit plan requires {bound} {format_percent(threshold)}."

    points = f"{round(threshold * 100, 6):g}"
    if operator == "within":
        return f"The audit plan allows at most {points} points either way."
    bound = "at least" if operator == ">=" else "at most"
    return f"The audit plan requires a difference of {bound} {points} points."


def effect_sentence(
    finding: Mapping[str, Any], units: Mapping[tuple[str, ...], UnitView], level: str
) -> str:
    """Describe a finding's effect and its interval in plain words."""
    effect = finding.get("effect") or {}
    metric = finding.get("metric", "")
    comparison = finding.get("comparison")
    value, ci = effect.get("value"), effect.get("ci")
    unit = units.get(unit_key(finding))
    group = effect.get("group")

    if value is None:
        reason = effect.get("reason", "no reason given")
        return (
            f"{sentence_case(_metric_phrase(metric))} of {_the_group(group)} is undefined: "
            f"{escape_markdown(reason)}."
        )

    if comparison == "ratio":
        reference = unit.reference if unit else None
        interval = f" ({level} CI {format_percent(ci[0])} to {format_percent(ci[1])})" if ci else ""
        return (
            f"{sentence_case(_metric_phrase(metric))} of {_the_group(group)} is "
            f"{format_percent(value)} of {_the_group(reference)}'s{interval}."
        )

    if comparison == "difference":
        reference = unit.reference if unit else None
        direction = "higher" if value >= 0 else "lower"
        decimals = _decimals(value)
        interval = f" ({level} CI {_point_interval(*ci, decimals)})" if ci else ""
        levels = _group_values(unit, metric, group, reference)
        size = f"{_points(value, decimals)} percentage points {direction}"
        if levels:
            return (
                f"{sentence_case(_metric_phrase(metric))} is {levels[0]} for {_the_group(group)} "
                f"and {levels[1]} for {_the_group(reference)}: {size}{interval}."
            )
        return (
            f"{sentence_case(_metric_phrase(metric))} of {_the_group(group)} is {size} than "
            f"{_the_group(reference)}'s{interval}."
        )

    title = escape_markdown(attributes_label(unit_key(finding)))
    if comparison == "min_over_max":
        interval = f" ({level} CI {format_percent(ci[0])} to {format_percent(ci[1])})" if ci else ""
        return (
            f"Across the {title} groups, the lowest {escape_markdown(metric_label(metric))} is "
            f"{format_percent(value)} of the highest{interval}."
        )
    decimals = _decimals(value)
    interval = (
        f" ({level} CI {_points(ci[0], decimals)} to {_points(ci[1], decimals)} points)"
        if ci
        else ""
    )
    return (
        f"Across the {title} groups, the {escape_markdown(metric_label(metric))} differs by up to "
        f"{_points(value, decimals)} percentage points{interval}."
    )


def _group_values(
    unit: UnitView | None, metric: str, group: Any, reference: Any
) -> tuple[str, str] | None:
    """Return the group's and the reference's metric values as percentages, if both exist."""
    if unit is None:
        return None
    values = {
        group_key(entry["group"]): (entry.get("metrics", {}).get(metric) or {}).get("value")
        for entry in unit.groups
    }
    group_value = values.get(group_key(group))
    reference_value = values.get(group_key(reference))
    if group_value is None or reference_value is None:
        return None
    return format_percent(group_value), format_percent(reference_value)


def _judgement_sentences(finding: Mapping[str, Any], *, alpha: float | None) -> list[str]:
    """Say how strong the evidence is and which groups could not be judged."""
    sentences = []
    verdict = finding.get("verdict")
    rows = finding.get("groups", [])
    if verdict == "fail":
        failing = [row for row in rows if row.get("verdict") == "fail"]
        if len(failing) > 1:
            labels = ", ".join(escape_markdown(group_label(row.get("group"))) for row in failing)
            sentences.append(f"Groups beyond the threshold: {labels}.")
        p_adjusted = finding.get("p_adjusted")
        if p_adjusted is not None and alpha is not None:
            significant = (
                "statistically significant"
                if p_adjusted < alpha
                else "not statistically significant"
            )
            sentences.append(f"The gap is {significant} (adjusted p {format_p(p_adjusted)}).")
        if finding.get("severity") == "medium":
            sentences.append(
                "The interval reaches the acceptable side of the threshold, so the evidence "
                "is weak; more data would settle it."
            )

    unjudged = [row for row in rows if row.get("verdict") == "inconclusive"]
    if unjudged:
        labels = ", ".join(
            f"{escape_markdown(group_label(row.get('group')))} (n={row.get('n')})"
            for row in unjudged
        )
        text = f"Not judged for {labels}"
        detectable = [
            row["minimum_detectable_difference"]
            for row in unjudged
            if row.get("minimum_detectable_difference") is not None
        ]
        reasons = sorted({escape_markdown(row["reason"]) for row in unjudged if row.get("reason")})
        if detectable:
            low, high = min(detectable), max(detectable)
            size = f"{_points(low)}" if low == high else f"{_points(low)} to {_points(high)}"
            text += (
                f": at {'this size' if len(unjudged) == 1 else 'these sizes'} only a gap of "
                f"about {size} percentage points or more would be detected"
            )
        if reasons:
            text += f" ({'; '.join(reasons)})"
        sentences.append(text + ".")
    return sentences


def finding_item(
    number: int,
    finding: Mapping[str, Any],
    units: Mapping[tuple[str, ...], UnitView],
    *,
    level: str,
    alpha: float | None,
) -> list[str]:
    verdict = str(finding.get("verdict", "")).upper()
    severity = finding.get("severity")
    badge = f"{verdict}, {severity} severity" if severity and severity != "none" else verdict
    body = [
        effect_sentence(finding, units, level),
        threshold_sentence(finding),
        *_judgement_sentences(finding, alpha=alpha),
    ]
    lines = [
        f"{number}. **{escape_markdown(badge)}** "
        f"({code_span(finding.get('id', ''))}): " + " ".join(s for s in body if s)
    ]
    category = finding.get("bias_category")
    if category:
        source = escape_markdown(category.get("category", ""))
        if category.get("subtype"):
            source += f", {escape_markdown(category['subtype'])}"
        rationale = escape_markdown(category.get("rationale", ""))
        lines.append(f"   *Likely source (ISO/IEC TR 24027):* {source}. {rationale}".rstrip())
    return lines
