"""The review section of summary.md, rendered from findings.json's ``review`` mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equilens.report._phrases import code_span, escape_markdown

MAX_CHANGED = 8


def review_markdown(review: Mapping[str, Any] | None, *, level: str = "95%") -> list[str]:
    """Return the lines of the one-pager's review section, or [] when there is no review.

    Parameters
    ----------
    review : Mapping or None
        The ``review`` mapping of findings.json.
    level : str
        The confidence level as the summary writes it, e.g. ``"95%"``.
    """
    if not isinstance(review, Mapping) or not review:
        return []
    lines = ["## Human review of the labels", ""]
    annotations = review.get("annotations")
    agreement = review.get("agreement")
    if annotations and agreement:
        scale = review.get("scale", {})
        lines.append(
            f"{annotations['annotators']} reviewers gave {annotations['judgements']} labels to "
            f"{annotations['items']} items ({escape_markdown(scale.get('level', ''))} scale: "
            f"{escape_markdown(', '.join(scale.get('labels', [])))}). Krippendorff's alpha over "
            f"all items is {_estimate(agreement['alpha'], level)}; weighted back to all audited "
            f"items, {_estimate(agreement['alpha_weighted'], level)}."
        )
        groups = [
            f"{escape_markdown(entry['group'])} {_estimate(entry['alpha'], level, short=True)}"
            for entry in agreement.get("by_item_group", [])
        ]
        if groups:
            lines.append(f"By item group: {'; '.join(groups)}.")
        lines.append("")
        for finding in review.get("findings", []):
            category = finding.get("bias_category") or {}
            lines.append(
                f"- **{finding['verdict'].upper()}** {code_span(finding['id'])}: "
                f"{escape_markdown(category.get('rationale', finding.get('statement', '')))}"
            )
        for entry in agreement.get("model_vs_majority", []):
            if entry.get("group") != "all":
                continue
            lines.append(
                f"- Model run {code_span(entry.get('run', ''))} against the reviewers' "
                f"majority: Cohen's kappa {_estimate(entry['kappa'], level)} on "
                f"{entry.get('items', 0)} items."
            )
        adjudication = review.get("adjudication") or {}
        if adjudication.get("items"):
            lines.append(
                f"- {adjudication['items']} items are listed for a second pass in "
                f"{code_span(adjudication.get('file', 'adjudication.csv'))}."
            )
    comparison = review.get("comparison")
    if comparison:
        relabelled = review.get("relabelled") or {}
        if len(lines) > 2:
            lines.append("")
        lines.append(
            f"This audit ran again with {relabelled.get('items', 0)} adjudicated gold labels; "
            f"{comparison['verdicts_changed']} of {len(comparison['findings'])} verdicts changed "
            f"against {code_span(relabelled.get('baseline', 'the original audit'))}."
        )
        changed = [row for row in comparison["findings"] if row["verdict_changed"]]
        for row in changed[:MAX_CHANGED]:
            lines.append(
                f"- {code_span(row['id'])}: {row['verdict_before']} → {row['verdict_after']} "
                f"(effect {_value(row['effect_before'])} → {_value(row['effect_after'])})"
            )
        if len(changed) > MAX_CHANGED:
            lines.append(f"- {len(changed) - MAX_CHANGED} more in report.html.")
    return [*lines, ""]


def _estimate(estimate: Mapping[str, Any], level: str, *, short: bool = False) -> str:
    value = estimate.get("value")
    if value is None:
        return f"undefined ({escape_markdown(estimate.get('reason', 'no reason given'))})"
    ci = estimate.get("ci")
    if not ci:
        return f"{value:.2f}"
    if short:
        return f"{value:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    return f"{value:.2f} ({level} CI {ci[0]:.2f} to {ci[1]:.2f})"


def _value(effect: Mapping[str, Any]) -> str:
    value = effect.get("value")
    return "n/a" if value is None else f"{value:.3f}"
