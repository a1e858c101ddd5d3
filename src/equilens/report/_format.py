"""Formatting and ordering helpers shared by the HTML report and the Markdown summary.

Every function here takes values as `findings.json` stores them (floats in [0, 1] for
rates, `None` for undefined values) and returns plain text. Escaping for HTML or Markdown
happens later, in the renderer that inserts the text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

NOT_AVAILABLE = "n/a"

METRIC_LABELS = {
    "selection_rate": "selection rate",
    "true_positive_rate": "true positive rate (TPR)",
    "false_positive_rate": "false positive rate (FPR)",
    "false_negative_rate": "false negative rate (FNR)",
    "true_negative_rate": "true negative rate (TNR)",
    "positive_predictive_value": "positive predictive value (PPV)",
    "negative_predictive_value": "negative predictive value (NPV)",
    "false_discovery_rate": "false discovery rate (FDR)",
    "false_omission_rate": "false omission rate (FOR)",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "f1_score": "F1 score",
    "auc": "AUC",
    "mean_score": "mean score",
}

# Plain-language definitions for readers who do not know the metric names.
METRIC_MEANINGS = {
    "selection_rate": "the share of cases the model predicts favorable",
    "true_positive_rate": "the share of actual favorable cases predicted favorable",
    "false_positive_rate": "the share of actual unfavorable cases predicted favorable",
    "false_negative_rate": "the share of actual favorable cases predicted unfavorable",
    "true_negative_rate": "the share of actual unfavorable cases predicted unfavorable",
    "positive_predictive_value": "the share of favorable predictions that are correct",
    "negative_predictive_value": "the share of unfavorable predictions that are correct",
    "false_discovery_rate": "the share of favorable predictions that are wrong",
    "false_omission_rate": "the share of unfavorable predictions that are wrong",
    "accuracy": "the share of correct predictions",
    "balanced_accuracy": "the mean of the true positive and true negative rates",
    "f1_score": "the harmonic mean of precision and recall",
    "auc": "the area under the ROC curve of the scores",
    "mean_score": "the mean model score",
}

COMPARISON_LABELS = {
    "difference": "difference to reference",
    "ratio": "ratio to reference",
    "max_minus_min": "max minus min across groups",
    "min_over_max": "min over max across groups",
}

SUMMARY_LABELS = {
    "demographic_parity_difference": "demographic parity difference",
    "demographic_parity_ratio": "demographic parity ratio",
    "equalized_odds_difference": "equalized odds difference",
    "equal_opportunity_difference": "equal opportunity difference",
    "predictive_parity_difference": "predictive parity difference",
}

CI_METHOD_LABELS = {
    "bootstrap": "bootstrap",
    "wilson": "Wilson",
    "newcombe": "Newcombe",
    "score": "score",
    "dirichlet": "Jeffreys-Dirichlet",
}

MULTIPLE_TESTING_LABELS = {
    "benjamini_hochberg": "Benjamini-Hochberg (false discovery rate)",
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error rate)",
}

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "none": 3}
VERDICT_RANK = {"fail": 0, "inconclusive": 1, "pass": 2}
RATIO_COMPARISONS = frozenset({"ratio", "min_over_max"})

# The four-fifths rule of US employment-selection practice: a selection-rate ratio to the
# reference below 0.8 is taken as evidence of adverse impact.
FOUR_FIFTHS = 0.8


def metric_label(metric: str) -> str:
    """Return the display name of a metric, or the field name itself when it is unknown."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def metric_short_label(metric: str) -> str:
    """Return a metric's abbreviation (TPR, FNR, ...) or, without one, its display name."""
    label = metric_label(metric)
    match = re.search(r"\(([A-Z]+)\)$", label)
    return match.group(1) if match else label


def sentence_case(text: str) -> str:
    """Upper-case the first character only, so abbreviations such as 'FNR' survive."""
    return text[:1].upper() + text[1:]


def group_label(group: str | Sequence[str] | None) -> str:
    """Join an intersection's group labels with ' × '. A single label is returned unchanged."""
    if group is None:
        return NOT_AVAILABLE
    if isinstance(group, str):
        return group
    return " × ".join(str(part) for part in group)


def attributes_label(attributes: str | Sequence[str]) -> str:
    """Join the attribute names of an intersection with ' × '."""
    return group_label(attributes)


def ci_method_label(method: str | None) -> str:
    """Return the interval method's display name, or '' for the default bootstrap."""
    if not method or method == "bootstrap":
        return ""
    return CI_METHOD_LABELS.get(method, method)


def multiple_testing_label(method: str | None) -> str:
    """Return the display name of a multiple-testing correction ('benjamini-hochberg' too)."""
    if not method:
        return NOT_AVAILABLE
    key = method.lower().replace("-", "_").replace(" ", "_")
    return MULTIPLE_TESTING_LABELS.get(key, method)


def data_source_label(plan: Mapping[str, Any] | None) -> str | None:
    """Return the plan's data source (a path, or `data.path` or `data.source`), if it has one."""
    data = (plan or {}).get("data")
    if isinstance(data, Mapping):
        data = data.get("path") or data.get("source")
    return str(data) if data else None


def format_number(value: float | None, *, digits: int = 3) -> str:
    """Format a value with a fixed number of decimals, or 'n/a' when it is undefined."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    return f"{value:.{digits}f}"


def format_interval(ci: Sequence[float] | None, *, digits: int = 3) -> str:
    """Format `[lower, upper]` as '[0.608, 0.769]', or '' when there is no interval."""
    if not ci:
        return ""
    lower, upper = ci
    return f"[{format_number(lower, digits=digits)}, {format_number(upper, digits=digits)}]"


def format_p(p: float | None) -> str:
    """Format a p-value to three significant digits, with '< 0.001' below 0.001."""
    if p is None:
        return NOT_AVAILABLE
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3g}"


def format_percent(value: float | None) -> str:
    """Format a proportion as a whole percentage ('0.6913' -> '69%')."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value * 100:.0f}%"


def format_share(value: float | None) -> str:
    """Format a share of rows as a percentage, with a decimal under 10% (0.004 -> '0.4%').

    A small but non-empty group never shows as '0%'.
    """
    if value is None:
        return NOT_AVAILABLE
    if 0 < value < 0.001:
        return "<0.1%"
    if value < 0.1:
        return f"{value * 100:.1f}%"
    return f"{value * 100:.0f}%"


def format_level(level: float | None) -> str:
    """Format a confidence level such as 0.95 as '95%'."""
    if level is None:
        return NOT_AVAILABLE
    return f"{level * 100:g}%"


def format_threshold(finding: Mapping[str, Any]) -> str:
    """Describe a hypothesis threshold, e.g. '>= 0.8' or 'within ±0.1'."""
    operator = finding.get("operator")
    threshold = finding.get("threshold")
    if threshold is None:
        return NOT_AVAILABLE
    if operator == "within":
        if finding.get("comparison") in RATIO_COMPARISONS:
            return f"within [{threshold:g}, {1 / threshold:.3g}]"
        return f"within ±{threshold:g}"
    return f"{operator} {threshold:g}"


def threshold_lines(finding: Mapping[str, Any]) -> list[float]:
    """Return the x positions of a hypothesis's threshold lines on its comparison's scale."""
    threshold = finding.get("threshold")
    if threshold is None:
        return []
    if finding.get("operator") != "within":
        return [float(threshold)]
    if finding.get("comparison") in RATIO_COMPARISONS:
        return [float(threshold), 1 / float(threshold)] if threshold else []
    return [-float(threshold), float(threshold)]


def effect_size(finding: Mapping[str, Any]) -> float:
    """Return the distance of a finding's effect from parity, used to rank findings.

    Parity is 1 for ratios and 0 for differences. An undefined effect ranks last (0).
    """
    value = (finding.get("effect") or {}).get("value")
    if value is None:
        return 0.0
    if finding.get("comparison") in RATIO_COMPARISONS:
        return abs(1.0 - value)
    return abs(value)


def sort_findings(findings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Order findings worst first: by severity, then verdict, then effect size."""

    def key(finding: Mapping[str, Any]) -> tuple[int, int, float]:
        severity = SEVERITY_RANK.get(finding.get("severity", "none"), len(SEVERITY_RANK))
        verdict = VERDICT_RANK.get(finding.get("verdict", "pass"), len(VERDICT_RANK))
        return severity, verdict, -effect_size(finding)

    return sorted(findings, key=key)


def count_verdicts(findings: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Count findings per verdict, always including the three standard verdicts."""
    counts = {"fail": 0, "pass": 0, "inconclusive": 0}
    for finding in findings:
        verdict = finding.get("verdict", "inconclusive")
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts
