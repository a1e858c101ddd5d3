"""The stakeholder decision section and the summary.md of a mitigation comparison.

The decision section is written as risk: which rule or threshold the model as it is
breaks, how large the gap is with its interval, and what each option costs in utility.
Every string from the plan or the data is Markdown-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from equilens.mitigate._recommend import BASELINE, UTILITY_LABELS
from equilens.report._format import (
    RATIO_COMPARISONS,
    format_level,
    group_label,
    metric_label,
)
from equilens.report._phrases import code_span, escape_markdown, threshold_sentence


def _gap(entry: Mapping[str, Any], level: str) -> str:
    """Describe a hypothesis value and its interval, e.g. '75% (95% CI 62% to 87%)'."""
    value, ci = entry.get("value"), entry.get("ci")
    if value is None:
        return f"undefined ({escape_markdown(entry.get('reason', 'no value'))})"
    if entry.get("comparison") in RATIO_COMPARISONS:
        text = f"{value:.0%}"
        interval = f"{ci[0]:.0%} to {ci[1]:.0%}" if ci else None
    elif entry.get("metric") in ("balanced_accuracy", "f1_score"):
        text = f"{value:+.3f}"
        interval = f"{ci[0]:+.3f} to {ci[1]:+.3f}" if ci else None
    else:
        text = f"{value * 100:+.1f} points"
        interval = f"{ci[0] * 100:+.1f} to {ci[1] * 100:+.1f} points" if ci else None
    return f"{text} ({level} CI {interval})" if interval else f"{text} (no interval)"


def _evidence(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    if not ci:
        return ""
    lower, upper = ci
    threshold, operator = entry["threshold"], entry["operator"]
    if operator == ">=" and upper < threshold or operator == "<=" and lower > threshold:
        return " The whole interval lies beyond the threshold."
    if operator in (">=", "<="):
        return " The interval reaches the threshold, so the breach may be chance."
    return ""


def _risk_lines(baseline: Mapping[str, Any], hypotheses: Sequence[Mapping[str, Any]], level: str):
    failing = [h for h in hypotheses if baseline["fairness"][h["id"]].get("verdict") == "fail"]
    lines = []
    if not failing:
        return [
            "**Risk if the model is used as it is.** The baseline breaks none of the plan's "
            "thresholds on the held-out rows."
        ]
    lines.append(
        f"**Risk if the model is used as it is.** The baseline breaks {len(failing)} of the "
        f"{len(hypotheses)} thresholds of the plan on the held-out rows:"
    )
    lines.append("")
    for hypothesis in failing:
        entry = baseline["fairness"][hypothesis["id"]]
        group = escape_markdown(group_label(entry.get("group")))
        comparison = "ratio to" if entry["comparison"] in RATIO_COMPARISONS else "difference from"
        metric = escape_markdown(metric_label(entry["metric"]))
        lines.append(
            f"- {code_span(hypothesis['id'])}: the {metric} {comparison} the reference of "
            f"the {group} group is {_gap(entry, level)}. "
            f"{threshold_sentence(entry)}{_evidence(entry)}"
        )
    return lines


def _cost(candidate: Mapping[str, Any], baseline: Mapping[str, Any], measure: str) -> str:
    value = candidate["utility"][measure]["value"]
    reference = baseline["utility"][measure]["value"]
    if candidate["name"] == BASELINE or value is None or reference is None:
        return "none"
    if measure in ("accuracy", "balanced_accuracy", "selection_rate"):
        return f"{(value - reference) * 100:+.1f} points"
    return f"{value - reference:+.3g}"


def _estimate(entry: Mapping[str, Any] | None, digits: int = 3) -> str:
    if not entry or entry.get("value") is None:
        return "n/a"
    ci = entry.get("ci")
    interval = f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else ""
    return f"{entry['value']:.{digits}f}{interval}"


def _options_table(candidates: Sequence[Mapping[str, Any]], measure: str) -> list[str]:
    baseline = next(c for c in candidates if c["name"] == BASELINE)
    label = escape_markdown(UTILITY_LABELS.get(measure, measure))
    lines = [
        f"| Option | Meets every hypothesis | {label} | Cost against the baseline | "
        f"Favorable decisions | Not met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    base_count = baseline["utility"]["favorable_decisions"]["value"]
    for candidate in candidates:
        name = code_span(candidate["name"])
        if candidate.get("status") != "ok":
            reason = escape_markdown(candidate.get("reason", ""))
            lines.append(f"| {name} | not evaluated | n/a | n/a | n/a | {reason} |")
            continue
        count = candidate["utility"]["favorable_decisions"]["value"]
        change = "" if candidate["name"] == BASELINE else f" ({count - base_count:+d})"
        missed = ", ".join(code_span(h) for h in candidate.get("unmet", [])) or "none"
        lines.append(
            f"| {name}{' (no change)' if candidate['name'] == BASELINE else ''} | "
            f"{'yes' if candidate.get('meets_all') else 'no'} | "
            f"{_estimate(candidate['utility'][measure])} | {_cost(candidate, baseline, measure)} | "
            f"{count}{change} | {missed} |"
        )
    return lines


def render_decision_section(mitigation: Mapping[str, Any], *, heading_level: int = 2) -> str:
    """Render the stakeholder decision section of a mitigation comparison as Markdown.

    The section states the risk of using the baseline as it is: each threshold it breaks,
    the rule behind it (such as the four-fifths rule) and the gap with its interval. A
    table then gives the cost of each option in utility and favorable decisions, and the
    section ends with the recommendation.

    Parameters
    ----------
    mitigation : Mapping
        A mitigation.json document (schema ``equilens.mitigation/1``).
    heading_level : int
        Markdown level of the section heading, so it can be placed in another document.

    Returns
    -------
    str
        Markdown text ending with a newline.
    """
    run = mitigation.get("run", {})
    level = format_level(run.get("confidence_level"))
    measure = run.get("utility_measure", "balanced_accuracy")
    candidates = mitigation["candidates"]
    baseline = next(c for c in candidates if c["name"] == BASELINE)
    lines = [f"{'#' * heading_level} Decision: fairness risk and the cost of each option", ""]
    if baseline.get("status") == "ok":
        lines += [*_risk_lines(baseline, mitigation["hypotheses"], level), ""]
    lines += [
        f"**Options.** Each was fitted on {run.get('n_train', 'n/a')} training rows and "
        f"judged on {run.get('n_test', 'n/a')} held-out rows; intervals are {level}.",
        "",
        *_options_table(candidates, measure),
        "",
    ]
    recommendation = mitigation["recommendation"]
    if recommendation.get("name"):
        lines.append(
            f"**Recommendation: {code_span(recommendation['name'])}.** "
            f"{escape_markdown(recommendation['reason'])}"
        )
    else:
        lines.append(f"**No option is recommended.** {escape_markdown(recommendation['reason'])}")
    return "\n".join(lines) + "\n"


def caveats(mitigation: Mapping[str, Any]) -> list[str]:
    """Return the plain-text caveats of a comparison, shared by the page and the summary."""
    notes = []
    candidates = mitigation.get("candidates", [])
    for candidate in candidates:
        if candidate.get("status") != "ok":
            notes.append(f"{candidate['name']} could not be fitted: {candidate.get('reason')}.")
    grouped = [c["name"] for c in candidates if c.get("uses_groups_at_prediction")]
    if grouped:
        verb = "reads the protected attributes when it decides"
        if len(grouped) > 1:
            verb = "read the protected attributes when they decide"
        notes.append(
            f"{', '.join(grouped)} {verb}, which is disparate treatment. In US credit "
            f"decisions Regulation B of the Equal Credit Opportunity Act generally "
            f"prohibits considering race, sex or marital status, and "
            f"in US employment Title VII (42 U.S.C. 2000e-2(l)) prohibits adjusting scores or "
            f"cut-offs by race, sex, religion or national origin. Get legal review before "
            f"deploying them."
        )
    randomised = [c["name"] for c in candidates if c.get("randomised")]
    if randomised:
        verb = "draws" if len(randomised) == 1 else "draw"
        notes.append(
            f"{', '.join(randomised)} {verb} some decisions at random, so two identical "
            f"applications can get different decisions; the seed makes the comparison "
            f"reproducible, not the decisions of a deployed model."
        )
    run = mitigation.get("run", {})
    notes.append(
        f"The comparison rests on {run.get('n_test', 'n/a')} held-out rows: differences "
        f"between candidates within their intervals may be chance."
    )
    return notes


def render_mitigation_summary(mitigation: Mapping[str, Any]) -> str:
    """Render the summary.md of a mitigation comparison, with its decision section.

    Parameters
    ----------
    mitigation : Mapping
        A mitigation.json document (schema ``equilens.mitigation/1``).

    Returns
    -------
    str
        Markdown text ending with a newline.
    """
    run = mitigation.get("run", {})
    names = [code_span(c["name"]) for c in mitigation["candidates"] if c["name"] != BASELINE]
    sensitive = ", ".join(escape_markdown(name) for name in run.get("sensitive_features", []))
    estimator = run.get("estimator", {}).get("class", "unknown")
    lines = [
        f"# Mitigation comparison: {escape_markdown(run.get('name', 'unnamed plan'))}",
        "",
        f"Run of {escape_markdown(run.get('created', 'unknown date'))}, equilens "
        f"{escape_markdown(run.get('equilens_version', 'unknown version'))}.",
        "",
        "## What was compared",
        "",
        f"- **Baseline:** {escape_markdown(estimator)} trained without any mitigation.",
        f"- **Candidates:** {', '.join(names)}.",
        f"- **Constrained groups:** {sensitive or 'none'}.",
        f"- **Held-out judgement:** every hypothesis of the plan "
        f"({', '.join(code_span(h['id']) for h in mitigation['hypotheses'])}), audited as in "
        f"`equilens audit`, with {run.get('bootstrap_replicates', 'n/a')} bootstrap replicates.",
        "",
        render_decision_section(mitigation).rstrip("\n"),
        "",
        "## Caveats",
        "",
    ]
    lines += [f"- {escape_markdown(note)}" for note in caveats(mitigation)]
    lines += ["", "mitigation.html has the frontier charts; mitigation.json has every number."]
    return "\n".join(lines) + "\n"


def add_decision_section(summary_path: Path, mitigation: Mapping[str, Any]) -> None:
    """Insert the decision section into an audit's summary.md, before its next steps.

    The section goes before the "## Next steps" heading when the summary has one, else at
    the end, so the one-pager reads: findings, the decision they call for, then actions.
    """
    summary = summary_path.read_text(encoding="utf-8")
    section = render_decision_section(mitigation).rstrip() + "\n\n"
    marker = "## Next steps"
    if marker in summary:
        summary = summary.replace(marker, section + marker, 1)
    else:
        summary = summary.rstrip() + "\n\n" + section
    summary_path.write_text(summary, encoding="utf-8")
