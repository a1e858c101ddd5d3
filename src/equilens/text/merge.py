"""Merging the tabular results of a text audit's views into one result.

The p-values of every disparity and aggregate of every view are adjusted together, so
the multiple-testing correction covers the whole text audit as it covers a tabular one,
and the hypotheses are judged on the merged tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from equilens.data.columns import AuditWarning
from equilens.errors import DataError
from equilens.findings import Finding, evaluate, severity
from equilens.metrics.disparities import Aggregate, Disparity
from equilens.metrics.table import Estimate, MetricTable
from equilens.plan import AuditPlan, Hypothesis, ProtectedAttribute
from equilens.stats.significance import adjust_p_values
from equilens.text.plan import TextAuditPlan
from equilens.text.tabular import ViewOutcome
from equilens.text.views import PlannedHypothesis


@dataclass
class MergedTables:
    """The merged tables, tests and findings of all views."""

    plan: AuditPlan
    tables: dict[tuple[str, ...], MetricTable]
    references: dict[tuple[str, ...], int]
    disparities: list[Disparity]
    aggregates: list[Aggregate]
    summaries: list[dict[str, Any]]
    findings: list[Finding]
    warnings: list[AuditWarning]


def merge_outcomes(
    outcomes: Sequence[ViewOutcome],
    planned: Sequence[PlannedHypothesis],
    plan: TextAuditPlan,
) -> MergedTables:
    """Merge the views' results, adjust their p-values together and judge the hypotheses.

    Raises
    ------
    DataError
        When a hypothesis names a group that does not occur in its view's rows.
    """
    tables: dict[tuple[str, ...], MetricTable] = {}
    references: dict[tuple[str, ...], int] = {}
    disparities: list[Disparity] = []
    aggregates: list[Aggregate] = []
    summaries: list[dict[str, Any]] = []
    warnings: list[AuditWarning] = []
    protected: list[ProtectedAttribute] = []
    intersections: list[list[str]] = []
    seen_warnings: set[tuple[str, str]] = set()
    for outcome in outcomes:
        protected.extend(outcome.attributes)
        for result, owned in outcome.results:
            for grouping, table in result.tables.items():
                if grouping in owned:
                    tables[grouping] = table
                    references[grouping] = result.references[grouping]
                    if len(grouping) > 1:
                        intersections.append(list(grouping))
            disparities += [item for item in result.disparities if item.attributes in owned]
            aggregates += [item for item in result.aggregates if item.attributes in owned]
            summaries += [
                entry for entry in result.summaries if tuple(entry["attributes"]) in owned
            ]
            # A warning about an attribute shared by two batches comes from both.
            for warning in result.warnings:
                key = (warning.code, warning.message)
                if key not in seen_warnings:
                    seen_warnings.add(key)
                    warnings.append(warning)

    if not tables:
        reasons = sorted({outcome.skipped_reason for outcome in outcomes if outcome.skipped_reason})
        raise DataError(
            f"Nothing could be audited by group ({'; '.join(reasons) or 'no groupings'}). Audit "
            f"attributes with two or more groups: set data.group_columns or attributes, and "
            f"check that the model predicts the positive label {plan.positive_label!r}."
        )

    tested = [item for item in [*disparities, *aggregates] if item.test.p_value is not None]
    adjusted = adjust_p_values([item.test.p_value for item in tested], method=plan.multiple_testing)
    for item, p_adjusted in zip(tested, adjusted, strict=True):
        item.p_adjusted = p_adjusted

    by_group = {(item.attributes, item.metric, item.group): item for item in disparities}
    by_metric = {(item.attributes, item.metric): item for item in aggregates}
    findings = []
    for entry in planned:
        hypothesis = entry.hypothesis
        outcome = next(outcome for outcome in outcomes if outcome.view is entry.view)
        if outcome.skipped_reason is not None:
            findings.append(_inconclusive(hypothesis, outcome.skipped_reason or "view skipped"))
            continue
        grouping = hypothesis.attributes
        try:
            finding = evaluate(
                hypothesis,
                tables[grouping],
                reference=references[grouping],
                disparities=by_group,
                aggregates=by_metric,
                min_group_size=plan.min_group_size,
                level=plan.confidence_level,
                missing_labels=tuple("missing" for _ in grouping),
                controlled=plan.data.testbed is not None,
            )
        except DataError as error:
            where = f" for run {entry.run!r}" if entry.run else ""
            raise DataError(
                f"hypotheses[{entry.source_index}]{where}: {error} Limit the hypothesis with "
                f"'runs:' or 'where:' to rows that have the group."
            ) from None
        finding.severity = severity(finding, level=plan.confidence_level)
        findings.append(finding)

    merged_plan = AuditPlan(
        name=plan.name,
        target="y_true",
        favorable_label=1,
        prediction={"column": "y_pred", "score_column": "score"},
        protected=protected,
        intersections=[list(intersection) for intersection in intersections],
        # A hypothesis on a skipped view has no table; its finding is kept all the same.
        hypotheses=[entry.hypothesis for entry in planned if entry.hypothesis.attributes in tables],
        min_group_size=plan.min_group_size,
        confidence_level=plan.confidence_level,
        bootstrap_replicates=plan.bootstrap_replicates,
        seed=plan.seed,
        multiple_testing=plan.multiple_testing,
        controlled_sample=plan.data.testbed is not None,
    )
    return MergedTables(
        merged_plan, tables, references, disparities, aggregates, summaries, findings, warnings
    )


#: Engine warnings that a text audit repeats for many groupings; each code is condensed
#: into one warning that keeps the originals in its details.
_CONDENSED = {
    "undefined_metric": (
        "{count} metric values are undefined in {groupings} groupings, e.g. {example} Each "
        "is null with its reason in findings.json. Where severity sets the gold label, "
        "recall is undefined for groups without positive items and the false positive "
        "rate for groups without negative ones."
    ),
    "missing_values": (
        "{groupings} attributes have rows without a value, e.g. {example} Test-bed controls "
        "have no persona or style axes. Such rows form the group 'missing', which "
        "hypotheses about every group leave out."
    ),
}


def condense_warnings(warnings: Sequence[AuditWarning]) -> list[AuditWarning]:
    """Merge the repeated engine warnings of each code in `_CONDENSED` into one."""
    kept: list[AuditWarning] = []
    grouped: dict[str, list[AuditWarning]] = {}
    for warning in warnings:
        if warning.code in _CONDENSED:
            grouped.setdefault(warning.code, []).append(warning)
        else:
            kept.append(warning)
    for code, items in grouped.items():
        if len(items) == 1:
            kept.append(items[0])
            continue
        count = sum(len(item.details.get("metrics", [])) or 1 for item in items)
        message = _CONDENSED[code].format(
            count=count, groupings=len(items), example=items[0].message
        )
        kept.append(
            AuditWarning(
                code,
                message,
                {"count": count, "warnings": [item.to_dict() for item in items]},
            )
        )
    return kept


def _inconclusive(hypothesis: Hypothesis, reason: str) -> Finding:
    identifier = (
        hypothesis.id
        or f"{hypothesis.metric}_{hypothesis.comparison}_{'_'.join(hypothesis.attributes)}"
    )
    return Finding(
        identifier,
        hypothesis.statement(),
        hypothesis,
        "inconclusive",
        "low",
        None,
        Estimate.undefined(f"the rows could not be audited by group: {reason}"),
        None,
        None,
        [],
    )
