"""Running the views of a text audit through the tabular engine.

Each view becomes one or more `equilens.audit.run_audit` calls with a generated plan:
the target is ``y_true`` (1 for the positive gold label), the prediction ``y_pred`` and,
where the run's model gives scores, ``score``. The attributes are the view's columns,
named with the view's suffix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equilens.audit import run_audit
from equilens.data.columns import AuditWarning
from equilens.errors import DataError
from equilens.plan import AuditPlan, ProtectedAttribute
from equilens.result import AuditResult
from equilens.text.items import default_reference
from equilens.text.plan import TextAuditPlan
from equilens.text.views import View

logger = logging.getLogger(__name__)

#: Group metrics of an escalation audit: the escalation rate, recall of messages that
#: should escalate (and its complement), over-escalation of those that should not
#: (and its complement), precision of both decisions, and balanced accuracy.
DEFAULT_METRICS = [
    "selection_rate",
    "true_positive_rate",
    "false_negative_rate",
    "false_positive_rate",
    "true_negative_rate",
    "positive_predictive_value",
    "negative_predictive_value",
    "balanced_accuracy",
]
SCORE_METRICS = ("mean_score", "auc")


@dataclass
class ViewOutcome:
    """The tabular results of one view, or why the view could not be computed.

    Attributes
    ----------
    view : View
        The view.
    results : list of (AuditResult, set of tuple of str)
        One engine result per batch of groupings, with the attribute-name tuples of the
        groupings that batch owns. A batch also computes the single attributes of its
        intersections, which another batch may own.
    skipped_reason : str or None
        Why the view was not computed.
    attributes : list of ProtectedAttribute
        The view's attributes, named with the view's suffix.
    """

    view: View
    results: list[tuple[AuditResult, set[tuple[str, ...]]]] = field(default_factory=list)
    skipped_reason: str | None = None
    attributes: list[ProtectedAttribute] = field(default_factory=list)


#: Upper bound on the cells of one engine call: the product of the group counts of its
#: attributes. The in-memory engine cross-tabulates all attributes of a call at once
#: (times 2 x 2 labels and up to 100 score bins), so the attributes of a view are split
#: into batches of groupings that stay below this bound.
MAX_CELLS_PER_CALL = 5_000


def run_views(
    views: Sequence[View],
    frame: pd.DataFrame,
    plan: TextAuditPlan,
    *,
    score_views: set[str | None],
    warnings: list[AuditWarning],
) -> list[ViewOutcome]:
    """Run each view through the tabular engine.

    `score_views` lists the runs (None for the all-runs view) whose scores are audited.
    A view whose rows lack actual or predicted positives is skipped with a warning,
    because the tabular engine needs the positive label among both.
    """
    outcomes = []
    for view in views:
        rows = frame[view.mask(frame)]
        groupings = _usable_groupings(view, rows)
        reason = _degenerate(rows, plan)
        if reason is not None or not groupings:
            reason = reason or "every attribute has a single group in these rows"
            warnings.append(
                AuditWarning(
                    "view_skipped",
                    f"The rows{view.suffix or ' of the audit'} were not audited by group: "
                    f"{reason}. Hypotheses on them are inconclusive.",
                    {"view": view.describe()},
                )
            )
            outcomes.append(ViewOutcome(view, skipped_reason=reason))
            continue

        columns = list(dict.fromkeys(column for grouping in groupings for column in grouping))
        protected = {
            column: ProtectedAttribute(
                name=view.name(column),
                column=column,
                reference=_reference(plan, rows, column, view, warnings),
            )
            for column in columns
        }
        outcome = ViewOutcome(view, attributes=list(protected.values()))
        sizes = {column: max(1, rows[column].nunique(dropna=False)) for column in columns}
        logger.info(
            "Auditing view%s: %d rows, %d groupings", view.suffix, len(rows), len(groupings)
        )
        for batch in batch_groupings(groupings, sizes):
            batch_columns = list(dict.fromkeys(column for grouping in batch for column in grouping))
            tabular = _tabular_plan(
                plan,
                view,
                [protected[column] for column in batch_columns],
                batch,
                has_scores=view.run in score_views,
            )
            data = rows[["row_id", "y_true", "y_pred", "score", *batch_columns]]
            if not tabular.prediction.score_column:
                data = data.drop(columns="score")
            result = run_audit(tabular, data.reset_index(drop=True))
            owned = {tuple(view.name(column) for column in grouping) for grouping in batch}
            outcome.results.append((result, owned))
        outcomes.append(outcome)
    return outcomes


def batch_groupings(
    groupings: Sequence[tuple[str, ...]], sizes: dict[str, int]
) -> list[list[tuple[str, ...]]]:
    """Split groupings into batches whose attributes' group counts multiply to at most
    `MAX_CELLS_PER_CALL`, keeping each intersection whole."""
    batches: list[list[tuple[str, ...]]] = []
    columns: set[str] = set()
    for grouping in groupings:
        combined = columns | set(grouping)
        if batches and int(np.prod([sizes[column] for column in combined])) <= MAX_CELLS_PER_CALL:
            batches[-1].append(grouping)
            columns = combined
        else:
            batches.append([grouping])
            columns = set(grouping)
    return batches


def _tabular_plan(
    plan: TextAuditPlan,
    view: View,
    protected: list[ProtectedAttribute],
    batch: Sequence[tuple[str, ...]],
    *,
    has_scores: bool,
) -> AuditPlan:
    metrics = list(plan.metrics or DEFAULT_METRICS)
    if has_scores and plan.metrics is None:
        metrics.append("mean_score")
    if not has_scores:
        metrics = [name for name in metrics if name not in SCORE_METRICS]
    return AuditPlan(
        name=f"{plan.name}{view.suffix}",
        target="y_true",
        favorable_label=1,
        prediction={
            "column": "y_pred",
            "score_column": "score" if has_scores else None,
            "model_id": view.run or "all runs",
        },
        protected=protected,
        intersections=[
            [view.name(column) for column in grouping] for grouping in batch if len(grouping) > 1
        ],
        metrics=metrics,
        min_group_size=plan.min_group_size,
        confidence_level=plan.confidence_level,
        bootstrap_replicates=plan.bootstrap_replicates,
        seed=plan.seed,
        multiple_testing=plan.multiple_testing,
        controlled_sample=plan.data.testbed is not None,
    )


def _usable_groupings(view: View, rows: pd.DataFrame) -> list[tuple[str, ...]]:
    single = {column for grouping in view.groupings for column in grouping}
    single = {column for column in single if rows[column].nunique(dropna=False) < 2}
    for grouping in view.required:
        flat = [column for column in grouping if column in single]
        if flat:
            value = rows[flat[0]].dropna().unique().tolist()
            raise DataError(
                f"A hypothesis groups the rows{view.suffix} by {flat[0]!r}, which has the single "
                f"value {value} there, so there is nothing to compare. Limit the hypothesis to "
                f"other runs with 'runs:' or group by another attribute."
            )
    return [grouping for grouping in view.groupings if not set(grouping) & single]


def _degenerate(rows: pd.DataFrame, plan: TextAuditPlan) -> str | None:
    # NOTE: run_audit rejects a target or prediction column without the favorable label.
    # A view where the model never predicts the positive label therefore cannot be
    # audited by group, and the skipped view is reported instead.
    if rows.empty:
        return "no scored rows"
    if not rows["y_true"].any():
        labels = ", ".join(repr(label) for label in sorted(plan.gold_positives))
        return f"no row has the gold label {labels}"
    if not rows["y_pred"].any():
        return f"the model never predicted {plan.positive_label!r} in these rows"
    return None


def _reference(
    plan: TextAuditPlan, rows: pd.DataFrame, column: str, view: View, warnings: list
) -> str | None:
    declared = plan.references.get(column)
    present = set(rows[column].dropna())
    if declared is None or declared in present:
        return declared if declared is not None else default_reference(rows, column)
    if not view.where:
        return declared  # run_audit stops with a message that names the groups
    fallback = default_reference(rows, column)
    warnings.append(
        AuditWarning(
            "reference_defaulted",
            f"The reference group {declared!r} of {column!r} has no rows{view.suffix}; "
            f"{fallback!r} is the reference there instead.",
            {"attribute": view.name(column), "group": [fallback]},
        )
    )
    return fallback
