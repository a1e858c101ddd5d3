"""Evaluating the plan's hypotheses into findings with verdicts and likely sources."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from equilens.errors import DataError, did_you_mean
from equilens.metrics.disparities import Aggregate, Disparity
from equilens.metrics.table import Estimate, MetricTable, is_proportion, proportion_counts
from equilens.plan import Hypothesis
from equilens.report.taxonomy import BiasSource, Evidence, likely_source
from equilens.stats.significance import minimum_detectable_difference

Label = tuple[str, ...]


@dataclass
class GroupVerdict:
    """The hypothesis judged for one group."""

    group: Label
    n: int
    small: bool
    estimate: Estimate
    p_value: float | None
    p_adjusted: float | None
    verdict: str
    evidence: str | None
    minimum_detectable_difference: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result = {
            "group": list(self.group),
            "n": self.n,
            "small": self.small,
            **self.estimate.to_dict(),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "minimum_detectable_difference": _rounded(self.minimum_detectable_difference),
        }
        if self.reason:
            result["verdict_reason"] = self.reason
        return result


@dataclass
class Finding:
    """One hypothesis evaluated: effect, interval, adjusted p, verdict and likely source."""

    id: str
    statement: str
    hypothesis: Hypothesis
    verdict: str
    severity: str
    effect_group: Label | None
    effect: Estimate
    p_value: float | None
    p_adjusted: float | None
    groups: list[GroupVerdict] = field(default_factory=list)
    source: BiasSource | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "attributes": list(self.hypothesis.attributes),
            "metric": self.hypothesis.metric,
            "comparison": self.hypothesis.comparison,
            "operator": self.hypothesis.resolved_operator,
            "threshold": self.hypothesis.threshold,
            "verdict": self.verdict,
            "severity": self.severity,
            "effect": {
                "group": list(self.effect_group) if self.effect_group else None,
                **self.effect.to_dict(),
            },
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "groups": [group.to_dict() for group in self.groups],
            "bias_category": self.source.to_dict() if self.source else None,
            "recommendation": self.source.recommendation if self.source else None,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def satisfies(value: float, hypothesis: Hypothesis) -> bool:
    """Return whether a comparison value respects the hypothesis's bound."""
    operator, threshold = hypothesis.resolved_operator, hypothesis.threshold
    if operator == ">=":
        return value >= threshold
    if operator == "<=":
        return value <= threshold
    if hypothesis.comparison in ("ratio", "min_over_max"):
        return value > 0 and min(value, 1 / value) >= threshold
    return abs(value) <= threshold


def evidence_strength(estimate: Estimate, hypothesis: Hypothesis, passed: bool) -> str | None:
    """Return ``strong`` when the whole interval agrees with the verdict, else ``weak``."""
    if estimate.ci is None:
        return None
    lower, upper = estimate.ci
    bounds = [satisfies(lower, hypothesis), satisfies(upper, hypothesis)]
    if hypothesis.resolved_operator == "within":
        # The allowed region is an interval, so an interval can straddle it on both sides.
        bounds.append(satisfies(estimate.value, hypothesis))
        if (
            not passed
            and lower < 0 < upper
            and hypothesis.comparison in ("difference", "max_minus_min")
        ):
            return "weak"
    if passed:
        return "strong" if all(bounds) else "weak"
    return "strong" if not any(bounds[:2]) else "weak"


def resolve_groups(
    hypothesis: Hypothesis,
    table: MetricTable,
    reference: int,
    *,
    missing_labels: tuple[str, ...] = (),
) -> list[int]:
    """Return the positions of the groups a hypothesis is about, checking they exist.

    By default a hypothesis covers every group except the reference and the groups of
    rows with a missing attribute value (labelled with one of `missing_labels`): those
    rows are reported, but a claim about "every group" is a claim about recorded groups.
    Naming a missing-value group in the hypothesis's `groups` includes it.
    """
    labels = table.counts.labels
    if hypothesis.groups is None:
        return [
            g
            for g, label in enumerate(labels)
            if g != reference
            and not any(
                part == missing for part, missing in zip(label, missing_labels, strict=False)
            )
        ]
    positions = []
    for group in hypothesis.groups:
        label = (group,) if isinstance(group, str) else tuple(group)
        if label not in labels:
            shown = [" & ".join(existing) for existing in labels]
            raise DataError(
                f"Hypothesis {hypothesis.id!r} names group {list(label)} of "
                f"{' x '.join(hypothesis.attributes)}, which does not occur in the data."
                f"{did_you_mean(' & '.join(label), shown)} Groups: {shown}."
            )
        positions.append(labels.index(label))
    return positions


def evaluate(
    hypothesis: Hypothesis,
    table: MetricTable,
    *,
    reference: int,
    disparities: dict[tuple, Disparity],
    aggregates: dict[tuple, Aggregate],
    min_group_size: int,
    level: float,
    missing_labels: tuple[str, ...] = (),
    controlled: bool = False,
) -> Finding:
    """Judge one hypothesis on the audit's estimates.

    `missing_labels` gives, per attribute of the grouping, the label of its missing-value
    group, which the hypothesis leaves out unless it names it. `controlled` marks rows of
    a controlled test set, which changes the likely source of a gap.
    """
    counts = table.counts
    n = counts.n
    statement = hypothesis.statement(" & ".join(counts.labels[reference]))
    identifier = (
        hypothesis.id
        or f"{hypothesis.metric}_{hypothesis.comparison}_{'_'.join(hypothesis.attributes)}"
    )

    if hypothesis.comparison in ("max_minus_min", "min_over_max"):
        return _evaluate_aggregate(
            hypothesis,
            table,
            aggregates[(counts.attributes, hypothesis.metric)],
            identifier=identifier,
            statement=statement,
            reference=reference,
            min_group_size=min_group_size,
            level=level,
            controlled=controlled,
        )

    verdicts = []
    for g in resolve_groups(hypothesis, table, reference, missing_labels=missing_labels):
        disparity = disparities[(counts.attributes, hypothesis.metric, counts.labels[g])]
        estimate = (
            disparity.difference if hypothesis.comparison == "difference" else disparity.ratio
        )
        small = bool(n[g] < min_group_size or n[reference] < min_group_size)
        mdd = _detectable(table, hypothesis.metric, g, reference, level) if small else None
        if small:
            verdict, strength, reason = (
                "inconclusive",
                None,
                (f"fewer than {min_group_size} rows in the group or the reference"),
            )
        elif estimate.value is None:
            verdict, strength, reason = "inconclusive", None, estimate.reason
        else:
            passed = satisfies(estimate.value, hypothesis)
            verdict, strength, reason = (
                ("pass" if passed else "fail"),
                evidence_strength(estimate, hypothesis, passed),
                None,
            )
        verdicts.append(
            GroupVerdict(
                counts.labels[g],
                int(n[g]),
                small,
                estimate,
                disparity.test.p_value,
                disparity.p_adjusted,
                verdict,
                strength,
                mdd,
                reason,
            )
        )

    worst = _worst(verdicts, hypothesis)
    overall = _overall(verdicts)
    finding = Finding(
        identifier,
        statement,
        hypothesis,
        overall,
        "none",
        worst.group if worst else None,
        worst.estimate if worst else Estimate.undefined("no groups to compare"),
        worst.p_value if worst else None,
        worst.p_adjusted if worst else None,
        verdicts,
    )
    _attach_source(finding, table, worst, reference, level, controlled=controlled)
    return finding


# Metrics for which a higher value is worse for the group. The group with the maximum
# drives an aggregate finding on these, and the group with the minimum on the others.
HARMFUL_METRICS = {
    "false_negative_rate",
    "false_positive_rate",
    "false_discovery_rate",
    "false_omission_rate",
}


def _evaluate_aggregate(
    hypothesis: Hypothesis,
    table: MetricTable,
    aggregate: Aggregate,
    *,
    identifier: str,
    statement: str,
    reference: int,
    min_group_size: int,
    level: float,
    controlled: bool = False,
) -> Finding:
    counts = table.counts
    if hypothesis.comparison == "max_minus_min":
        estimate = aggregate.max_minus_min
    else:
        estimate = aggregate.min_over_max
    extremes = [label for label in (aggregate.min_group, aggregate.max_group) if label]
    small = any(counts.n[counts.index(label)] < min_group_size for label in extremes)

    reason = None
    if estimate.value is None:
        verdict, strength, reason = "inconclusive", None, estimate.reason
    elif small:
        verdict, strength = "inconclusive", None
        reason = "the largest or smallest group value comes from a group below the minimum size"
    else:
        passed = satisfies(estimate.value, hypothesis)
        verdict = "pass" if passed else "fail"
        strength = evidence_strength(estimate, hypothesis, passed)

    driver = aggregate.max_group if hypothesis.metric in HARMFUL_METRICS else aggregate.min_group
    group_verdict = GroupVerdict(
        driver or (),
        int(counts.n[counts.index(driver)]) if driver else 0,
        small,
        estimate,
        aggregate.test.p_value,
        aggregate.p_adjusted,
        verdict,
        strength,
        reason=reason,
    )
    finding = Finding(
        identifier,
        statement,
        hypothesis,
        verdict,
        "none",
        driver,
        estimate,
        aggregate.test.p_value,
        aggregate.p_adjusted,
        [group_verdict],
    )
    _attach_source(finding, table, group_verdict, reference, level, controlled=controlled)
    return finding


def _detectable(table: MetricTable, metric: str, g: int, r: int, level: float) -> float | None:
    if not is_proportion(metric):
        return None
    _, denominators = proportion_counts(table.counts, metric)
    reference_value = table.values[metric][r]
    rate = 0.5 if math.isnan(reference_value) else float(reference_value)
    return minimum_detectable_difference(
        rate, int(denominators[g]), int(denominators[r]), level=level
    )


def _margin(verdict: GroupVerdict, hypothesis: Hypothesis) -> float:
    value = verdict.estimate.value
    if hypothesis.resolved_operator == ">=":
        return value - hypothesis.threshold
    if hypothesis.resolved_operator == "<=":
        return hypothesis.threshold - value
    if hypothesis.comparison == "ratio":
        return (min(value, 1 / value) if value > 0 else 0) - hypothesis.threshold
    return hypothesis.threshold - abs(value)


def _worst(verdicts: list[GroupVerdict], hypothesis: Hypothesis) -> GroupVerdict | None:
    judged = [verdict for verdict in verdicts if verdict.verdict in ("pass", "fail")]
    if judged:
        return min(judged, key=lambda verdict: _margin(verdict, hypothesis))
    return verdicts[0] if verdicts else None


def _overall(verdicts: list[GroupVerdict]) -> str:
    outcomes = {verdict.verdict for verdict in verdicts}
    if "fail" in outcomes:
        return "fail"
    if "inconclusive" in outcomes or not outcomes:
        return "inconclusive"
    return "pass"


def severity(finding: Finding, *, level: float) -> str:
    """Return high, medium, low or none from the verdict, evidence and adjusted p."""
    if finding.verdict == "pass":
        return "none"
    if finding.verdict == "inconclusive":
        return "low"
    strong = any(group.verdict == "fail" and group.evidence == "strong" for group in finding.groups)
    significant = finding.p_adjusted is not None and finding.p_adjusted < 1 - level
    return "high" if strong and significant else "medium"


def _attach_source(
    finding: Finding,
    table: MetricTable,
    driver: GroupVerdict | None,
    reference: int,
    level: float,
    *,
    controlled: bool = False,
) -> None:
    if driver is None or finding.verdict == "pass" or not driver.group:
        return
    counts = table.counts
    g = counts.index(driver.group)
    n = counts.n
    base = table.values["base_rate"]
    selection = table.values.get("selection_rate")
    label_ratio = float(base[g] / base[reference]) if base[reference] > 0 else None
    model_ratio = (
        float(selection[g] / selection[reference])
        if selection is not None and selection[reference] > 0
        else None
    )
    evidence = Evidence(
        metric=finding.hypothesis.metric,
        group=" & ".join(driver.group),
        reference=" & ".join(counts.labels[reference]),
        share=float(n[g] / n.sum()),
        small=driver.small,
        n=int(n[g]),
        label_ratio=label_ratio,
        model_ratio=model_ratio,
        minimum_detectable_difference=driver.minimum_detectable_difference,
        controlled=controlled,
    )
    finding.source = likely_source(evidence)
