"""Render the stakeholder one-pager, `summary.md`, from a findings mapping.

The one-pager states in plain words what was audited, how many hypotheses failed, the
worst findings with their size and interval, what that means, the next steps taken from
the findings' recommendations, and the caveats. Every string that comes from the data or
the plan is Markdown-escaped, so a group label such as `*|_[x]` cannot break the layout.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from equilens.report._format import (
    count_verdicts,
    data_source_label,
    format_level,
    group_label,
    multiple_testing_label,
    sentence_case,
    sort_findings,
)
from equilens.report._phrases import (
    code_span,
    effect_sentence,
    escape_markdown,
    finding_item,
    threshold_sentence,
)
from equilens.report._units import UnitView, group_key, index_units
from equilens.report._validate import check_findings

logger = logging.getLogger(__name__)

MAX_TOP_FINDINGS = 5


def _audited_section(findings: Mapping[str, Any], units: Mapping[Any, UnitView]) -> list[str]:
    audit = findings.get("audit", {})
    plan = audit.get("plan") or {}
    model = audit.get("model") or {}
    lines = ["## What was audited", ""]

    source = data_source_label(plan)
    rows = audit.get("n_rows")
    data_text = code_span(source) if source else "the audit data"
    if rows is not None:
        data_text += f", {rows:,} rows"
    if audit.get("data_sha256"):
        data_text += f" (SHA-256 {escape_markdown(str(audit['data_sha256'])[:12])}…)"
    lines.append(f"- **Data:** {data_text}")
    lines.append(
        f"- **Model:** {escape_markdown(model.get('kind', 'unknown kind'))} model "
        f"{code_span(model.get('id', ''))}".rstrip()
    )

    attributes = []
    for unit in units.values():
        if unit.is_intersection:
            continue
        labels = []
        for entry in unit.groups:
            label = escape_markdown(group_label(entry["group"]))
            if group_key(entry["group"]) == unit.reference:
                label += " (reference)"
            labels.append(label)
        attributes.append(f"{escape_markdown(unit.title)}: {', '.join(labels)}")
    if attributes:
        lines.append(f"- **Protected attributes:** {'; '.join(attributes)}")
    intersections = [escape_markdown(unit.title) for unit in units.values() if unit.is_intersection]
    if intersections:
        lines.append(f"- **Intersections:** {', '.join(intersections)}")

    level = format_level(audit.get("confidence_level"))
    lines.append(
        f"- **Method:** {level} confidence intervals from "
        f"{audit.get('bootstrap_replicates', 'n/a')} bootstrap replicates; p-values adjusted "
        f"with {multiple_testing_label(audit.get('multiple_testing'))}; groups under "
        f"{audit.get('min_group_size', 'n/a')} rows are reported but not judged."
    )
    return lines


def _headline(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    counts = count_verdicts(findings)
    total = len(findings)
    if total == 0:
        return ["## Headline", "", "The plan has no hypotheses, so nothing was judged."]

    severities = [f.get("severity") for f in findings if f.get("verdict") == "fail"]
    detail = ", ".join(
        f"{severities.count(level)} {level} severity"
        for level in ("high", "medium")
        if severities.count(level)
    )
    failed = f"**{counts['fail']} of {total} hypotheses failed**"
    if detail:
        failed += f" ({detail})"
    passed = f"{counts['pass']} passed"
    inconclusive = (
        f"{counts['inconclusive']} {'was' if counts['inconclusive'] == 1 else 'were'} inconclusive"
    )
    return ["## Headline", "", f"{failed}, {passed} and {inconclusive}."]


def _meaning(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    counts = count_verdicts(findings)
    total = len(findings)
    paragraphs = []
    if counts["fail"]:
        strong = sum(1 for f in findings if f.get("severity") == "high")
        text = (
            f"The model does not meet {counts['fail']} of the {total} fairness requirements "
            f"set in the audit plan."
        )
        if strong:
            text += (
                f" {strong} of these failures rest on strong evidence: the whole confidence "
                f"interval lies beyond the threshold, and chance is an unlikely explanation "
                f"even after adjusting for the number of tests."
            )
        text += (
            " Using the model as it is means treating these groups measurably differently, "
            "with the legal, regulatory and reputational risk that such gaps carry. A "
            "deployment decision should wait for the next steps below."
        )
        paragraphs.append(text)
    if counts["inconclusive"]:
        noun = "hypothesis" if counts["inconclusive"] == 1 else "hypotheses"
        paragraphs.append(
            f"For {counts['inconclusive']} {noun} the data cannot settle the question, "
            f"because some groups are too small or a metric is undefined for them. An "
            f"inconclusive result is not a pass."
        )
    if total and counts["pass"] == total:
        paragraphs.append(
            "Every hypothesis in the plan passed: within the precision of this data, the "
            "audit found no gap beyond the plan's thresholds. Attributes and metrics outside "
            "the plan were not examined."
        )
    lines = ["## What this means for the business", ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return lines[:-1] if paragraphs else [*lines, "Nothing was judged."]


def _next_steps(ordered: Sequence[Mapping[str, Any]]) -> list[str]:
    open_findings = [f for f in ordered if f.get("verdict") != "pass"] or list(ordered)
    steps = {}
    for finding in open_findings:
        recommendation = finding.get("recommendation")
        if recommendation:
            steps.setdefault(escape_markdown(recommendation), []).append(
                code_span(finding.get("id", ""))
            )
    lines = ["## Next steps", ""]
    for number, (step, ids) in enumerate(steps.items(), start=1):
        lines.append(f"{number}. {step} (from {', '.join(ids)})")
    lines.append(
        f"{len(steps) + 1}. See report.html for every group, interval and test behind these "
        f"findings."
    )
    return lines


def _caveats(findings: Mapping[str, Any], units: Mapping[Any, UnitView]) -> list[str]:
    audit = findings.get("audit", {})
    lines = ["## Caveats", ""]

    small = []
    for unit in units.values():
        groups = [
            f"{escape_markdown(group_label(entry['group']))} (n={entry.get('n')})"
            for entry in unit.groups
            if entry.get("small")
        ]
        if groups:
            small.append(f"{escape_markdown(unit.title)}: {', '.join(groups)}")
    if small:
        lines.append(
            f"- **Small groups** (fewer than {audit.get('min_group_size', 'n/a')} rows) are "
            f"reported but not judged: {'; '.join(small)}."
        )

    for warning in findings.get("warnings", []):
        if warning.get("code") == "small_group":
            continue  # listed above, grouped by attribute
        code = escape_markdown(str(warning.get("code", "warning")).replace("_", " "))
        lines.append(f"- **{sentence_case(code)}:** {escape_markdown(warning.get('message', ''))}")

    rows = audit.get("n_rows")
    rows_text = f" ({rows:,} rows)" if rows is not None else ""
    lines.append(
        f"- The audit describes this data{rows_text} and this model version. It shows where "
        f"outcomes differ, not why: the bias categories name likely sources to investigate."
    )
    return lines


def render_summary(findings: Mapping[str, Any]) -> str:
    """Render a findings mapping as a plain-language Markdown one-pager for stakeholders.

    Findings are listed worst first (by severity, then effect size), each with its size
    and confidence interval in words. Strings from the data and the plan are
    Markdown-escaped.

    Parameters
    ----------
    findings : Mapping
        A parsed `findings.json` document (schema `equilens.findings/1`).

    Returns
    -------
    str
        The Markdown text, ending with a newline.

    Raises
    ------
    equilens.errors.EquilensError
        If `findings` is not a findings document of a supported schema.
    """
    check_findings(findings)
    audit = findings.get("audit", {})
    units = index_units(findings)
    level = format_level(audit.get("confidence_level"))
    confidence = audit.get("confidence_level")
    alpha = 1 - confidence if confidence is not None else None
    ordered = sort_findings(findings.get("findings", []))

    lines = [f"# Bias audit summary: {escape_markdown(audit.get('name', 'unnamed audit'))}", ""]
    lines += [
        f"Audit of {escape_markdown(audit.get('created', 'unknown date'))}, equilens "
        f"{escape_markdown(audit.get('equilens_version', 'unknown version'))}.",
        "",
    ]
    lines += [*_audited_section(findings, units), ""]
    lines += [*_headline(ordered), ""]

    open_findings = [f for f in ordered if f.get("verdict") != "pass"]
    if open_findings:
        lines += ["## Top findings", ""]
        for number, finding in enumerate(open_findings[:MAX_TOP_FINDINGS], start=1):
            lines += finding_item(number, finding, units, level=level, alpha=alpha)
        if len(open_findings) > MAX_TOP_FINDINGS:
            lines.append(f"\n{len(open_findings) - MAX_TOP_FINDINGS} more in report.html.")
        lines.append("")

    passed = [f for f in ordered if f.get("verdict") == "pass"]
    if passed:
        lines += ["## What passed", ""]
        for finding in passed:
            effect = effect_sentence(finding, units, level)
            caution = ""
            if any(row.get("evidence") == "weak" for row in finding.get("groups", [])):
                caution = (
                    " The interval reaches past the threshold, so this pass is not "
                    "conclusive; more data would settle it."
                )
            lines.append(
                f"- {code_span(finding.get('id', ''))}: {effect} "
                f"{threshold_sentence(finding)}".rstrip()
                + caution
            )
        lines.append("")

    lines += [*_meaning(ordered), ""]
    lines += [*_next_steps(ordered), ""]
    if findings.get("review"):
        from equilens.review._markdown import review_markdown

        lines += review_markdown(findings["review"], level=level)
    lines += _caveats(findings, units)
    text = "\n".join(lines) + "\n"
    logger.debug("rendered summary of %d lines", text.count("\n"))
    return text
