"""Running an audit plan: from rows to metrics, intervals, tests and findings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import (
    AuditWarning,
    binary_outcome,
    check_groups,
    encode_attribute,
    require_columns,
    scores,
    value_key,
)
from equilens.data.sources import from_dataframe, read_file
from equilens.engines import count_groups
from equilens.errors import DataError, PlanError
from equilens.findings import evaluate, severity
from equilens.metrics.disparities import aggregate_disparities, group_disparities
from equilens.metrics.table import UNDEFINED_SHARE_WARNING, estimate_grouping
from equilens.models.tabular import CallablePredictor, SklearnPredictor, load_sklearn_model
from equilens.plan import AuditPlan, metric_names_for
from equilens.result import AuditResult, Predictions, fairness_summaries, provenance
from equilens.stats.significance import adjust_p_values

logger = logging.getLogger(__name__)

SUMMARY_METRICS = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "positive_predictive_value",
]

Progress = Callable[[str], None]


@dataclass
class _Decisions:
    y_true: np.ndarray
    y_pred: np.ndarray
    score: np.ndarray | None
    model_kind: str
    model_id: str


def run_audit(
    plan: AuditPlan,
    data: Any = None,
    *,
    model: Any = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Run an audit plan and return its result.

    Parameters
    ----------
    plan : AuditPlan
        The declared plan.
    data : dataframe, optional
        Rows to audit (pandas, polars, pyarrow or any frame narwhals supports); read from
        ``plan.data`` when omitted.
    model : object, optional
        A fitted scikit-learn estimator, a callable mapping a pandas frame to labels, or a
        `Predictor`; overrides ``plan.model``.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    AuditResult
    """
    step = progress or (lambda name: None)

    step("Reading data")
    if data is not None:
        frame, digest = from_dataframe(data)
        source = "the dataframe"
    elif plan.data is not None:
        frame, digest = read_file(
            plan.data.path, format=plan.data.format, encoding=plan.data.encoding
        )
        source = repr(str(plan.data.path))
    else:
        raise PlanError("The plan has no 'data' source and no dataframe was passed; add data.path.")
    if len(frame) == 0:
        raise DataError(f"The data in {source} has no rows; there is nothing to audit.")

    columns = [str(name) for name in frame.columns]
    needed = {plan.target: "target"}
    for attribute in plan.protected:
        needed[attribute.source_column] = f"protected attribute {attribute.name!r}"
    if plan.prediction is not None and model is None:
        if plan.prediction.column:
            needed[plan.prediction.column] = "prediction"
        if plan.prediction.score_column:
            needed[plan.prediction.score_column] = "score"
    require_columns(columns, needed, source=source)

    step("Preparing groups")
    warnings: list[AuditWarning] = []
    encoded = []
    missing_any = np.zeros(len(frame), dtype=bool)
    for spec in plan.protected:
        column = encode_attribute(
            frame[spec.source_column].to_numpy(), spec, policy=plan.missing_values
        )
        warnings.extend(column.warnings)
        encoded.append(column)
        missing_any |= column.missing

    keep = np.ones(len(frame), dtype=bool)
    if plan.missing_values == "drop" and missing_any.any():
        keep = ~missing_any
        warnings.append(
            AuditWarning(
                "dropped_rows",
                f"{int(missing_any.sum())} of {len(frame)} rows were dropped because a protected "
                f"attribute is missing (missing_values: drop).",
                {"count": int(missing_any.sum())},
            )
        )
        if not keep.any():
            raise DataError(
                "Every row has a missing protected attribute; nothing is left to audit."
            )

    step("Collecting predictions")
    decisions = _decisions(plan, frame, model, columns)

    attributes = []
    for spec, column in zip(plan.protected, encoded, strict=True):
        attribute = column.attribute
        if not keep.all():
            attribute = type(attribute)(attribute.name, attribute.codes[keep], attribute.labels)
        check_groups(attribute, spec)
        attributes.append(attribute)

    y_true, y_pred = decisions.y_true[keep], decisions.y_pred[keep]
    score = decisions.score[keep] if decisions.score is not None else None
    # A `row_id` column in the data identifies rows in predictions.parquet; otherwise the
    # row's position does.
    row_ids = frame["row_id"].to_numpy() if "row_id" in columns else np.arange(len(frame))
    row_id = row_ids[keep]

    step("Counting groups")
    groupings = [(spec.name,) for spec in plan.protected] + plan.intersection_tuples()
    counts = count_groups(attributes, y_true, y_pred, score=score, groupings=groupings)

    metric_names = metric_names_for(plan, has_score=score is not None)
    for name in [*SUMMARY_METRICS, *(h.metric for h in plan.hypotheses)]:
        if name not in metric_names:
            metric_names.append(name)
    if score is None and any(name in ("auc", "mean_score") for name in metric_names):
        raise PlanError(
            "The plan asks for 'auc' or 'mean_score', which need scores; add "
            "prediction.score_column or a model with predict_proba."
        )

    step("Bootstrapping intervals")
    level = plan.confidence_level
    tables = {
        grouping: estimate_grouping(
            counts[grouping],
            metric_names,
            level=level,
            replicates=plan.bootstrap_replicates,
            seed=plan.seed,
        )
        for grouping in groupings
    }
    references = {grouping: _reference(plan, counts[grouping], warnings) for grouping in groupings}

    step("Testing disparities")
    disparities = []
    aggregates = []
    for grouping, table in tables.items():
        disparities.extend(
            group_disparities(table, references[grouping], level=level, seed=plan.seed)
        )
        aggregates.extend(aggregate_disparities(table, level=level, seed=plan.seed))
    tested = [item for item in [*disparities, *aggregates] if item.test.p_value is not None]
    adjusted = adjust_p_values([item.test.p_value for item in tested], method=plan.multiple_testing)
    for item, p_adjusted in zip(tested, adjusted, strict=True):
        item.p_adjusted = p_adjusted

    step("Evaluating hypotheses")
    by_group = {(d.attributes, d.metric, d.group): d for d in disparities}
    by_metric = {(a.attributes, a.metric): a for a in aggregates}
    findings = []
    for hypothesis in plan.hypotheses:
        grouping = hypothesis.attributes
        if grouping not in tables:
            raise PlanError(
                f"Hypothesis {hypothesis.id!r} is about {' x '.join(grouping)}, which is not an "
                f"audited intersection; add {list(grouping)} to 'intersections'."
            )
        finding = evaluate(
            hypothesis,
            tables[grouping],
            reference=references[grouping],
            disparities=by_group,
            aggregates=by_metric,
            min_group_size=plan.min_group_size,
            level=level,
            missing_labels=tuple(plan.attribute(name).missing_label for name in grouping),
            controlled=plan.controlled_sample,
        )
        finding.severity = severity(finding, level=level)
        findings.append(finding)

    _small_group_warnings(tables, plan.min_group_size, warnings)
    _estimate_warnings(tables, warnings)

    predictions = Predictions(
        row_id=row_id,
        groups={
            spec.name: np.asarray(attr.labels, dtype=object)[attr.codes]
            for spec, attr in zip(plan.protected, attributes, strict=True)
        },
        y_true=y_true,
        y_pred=y_pred,
        score=score,
    )
    return AuditResult(
        plan=plan,
        provenance=provenance(
            plan,
            digest=digest,
            n_rows=len(y_true),
            model_kind=decisions.model_kind,
            model_id=decisions.model_id,
        ),
        tables=tables,
        references=references,
        disparities=disparities,
        aggregates=aggregates,
        summaries=fairness_summaries(tables, references, aggregates, level=level),
        findings=findings,
        warnings=warnings,
        predictions=predictions,
    )


def _decisions(plan: AuditPlan, frame, model: Any, columns: list[str]) -> _Decisions:
    target_values = frame[plan.target].to_numpy()
    target = binary_outcome(target_values, plan.favorable_label, column=plan.target, role="target")
    favorable = plan.favorable_label
    # Predictions may lack the favorable label (a model that never approves) as long as
    # they use the target's values.
    target_keys = {value_key(value) for value in pd.unique(target_values)}

    if model is None and plan.model is not None:
        estimator = load_sklearn_model(plan.model.path, trusted=plan.model.trusted)
        model = SklearnPredictor(
            estimator,
            favorable_label=favorable if not isinstance(favorable, list) else favorable[0],
            features=plan.model.features,
            threshold=plan.model.threshold,
        )
    if model is not None:
        predictor = _as_predictor(model, favorable)
        inputs = frame.to_pandas()
        labels = predictor.predict(inputs)
        score = predictor.score(inputs)
        y_pred = binary_outcome(
            np.asarray(labels),
            favorable,
            column="model output",
            role="prediction",
            known_values=target_keys,
        )
        return _Decisions(target, y_pred, score, predictor.kind, predictor.id)

    spec = plan.prediction
    score = None
    if spec.score_column:
        score = scores(frame[spec.score_column].to_numpy(), column=spec.score_column)
    if spec.column:
        prediction_favorable = (
            spec.favorable_label if spec.favorable_label is not None else favorable
        )
        y_pred = binary_outcome(
            frame[spec.column].to_numpy(),
            prediction_favorable,
            column=spec.column,
            role="prediction",
            known_values=target_keys,
        )
    else:
        y_pred = (score >= spec.threshold).astype(np.int8)
    return _Decisions(
        target, y_pred, score, "precomputed", spec.model_id or spec.column or spec.score_column
    )


def _as_predictor(model: Any, favorable: Any):
    if hasattr(model, "predict") and hasattr(model, "id") and hasattr(model, "kind"):
        return model
    if hasattr(model, "predict"):
        return SklearnPredictor(
            model, favorable_label=favorable if not isinstance(favorable, list) else favorable[0]
        )
    if callable(model):
        return CallablePredictor(model)
    raise PlanError(
        f"Cannot use {type(model).__name__} as a model; pass a fitted scikit-learn estimator, "
        f"a callable that maps a dataframe to labels, or a Predictor."
    )


def _reference(plan: AuditPlan, counts, warnings: list[AuditWarning]) -> int:
    declared = [plan.attribute(name).reference for name in counts.attributes]
    if all(declared) and tuple(declared) in counts.labels:
        return counts.labels.index(tuple(declared))
    largest = int(np.argmax(counts.n))
    warnings.append(
        AuditWarning(
            "reference_defaulted",
            f"No reference group {'is declared' if not all(declared) else 'with rows exists'} "
            f"for {' x '.join(counts.attributes)}; the largest group "
            f"{' & '.join(counts.labels[largest])!r} is used as the reference.",
            {"attributes": list(counts.attributes), "group": list(counts.labels[largest])},
        )
    )
    return largest


def _small_group_warnings(tables, min_group_size: int, warnings: list[AuditWarning]) -> None:
    for grouping, table in tables.items():
        n = table.counts.n
        small = [
            (" & ".join(label), int(size))
            for label, size in zip(table.counts.labels, n, strict=True)
            if size < min_group_size
        ]
        if small:
            listed = ", ".join(f"{label} (n={size})" for label, size in small)
            warnings.append(
                AuditWarning(
                    "small_group",
                    f"Groups of {' x '.join(grouping)} below the minimum size {min_group_size}: "
                    f"{listed}. Their metrics are shown with intervals, but hypotheses on them "
                    f"are inconclusive.",
                    {"attributes": list(grouping), "groups": [label for label, _ in small]},
                )
            )


def audit_arrays(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: dict[str, Any],
    score: Any = None,
    favorable_label: Any = 1,
    references: dict[str, str] | None = None,
    **plan_options: Any,
) -> AuditResult:
    """Audit decisions given as arrays, in the manner of fairlearn's `MetricFrame`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_rows,)
        Actual and predicted labels.
    sensitive_features : dict of str to array-like
        One array of group values per protected attribute.
    score : array-like, optional
        Scores, higher meaning more likely favorable.
    favorable_label : scalar
        Label of the favorable outcome.
    references : dict of str to str, optional
        Reference group per attribute.
    **plan_options
        Further `AuditPlan` fields, e.g. ``hypotheses``, ``intersections`` or ``seed``.

    Raises
    ------
    DataError
        When the arrays differ in length.
    """
    arrays = {"y_true": y_true, "y_pred": y_pred, **sensitive_features}
    if score is not None:
        arrays["score"] = score
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise DataError(
            f"The inputs have different lengths ({listed}); y_true, y_pred, the score and "
            f"every sensitive feature need one value per row."
        )
    from equilens.plan import parse_plan

    references = references or {}
    plan = parse_plan(
        {
            "target": "y_true",
            "favorable_label": favorable_label,
            "prediction": {
                "column": "y_pred",
                "score_column": "score" if score is not None else None,
            },
            "protected": [
                {"name": name, "reference": references.get(name)} for name in sensitive_features
            ],
            **plan_options,
        },
        source="audit_arrays arguments",
    )
    frame = pd.DataFrame({name: np.asarray(values) for name, values in arrays.items()})
    return run_audit(plan, frame)


def _estimate_warnings(tables, warnings: list[AuditWarning]) -> None:
    """Warn about undefined metrics and intervals built from few defined replicates."""
    for grouping, table in tables.items():
        undefined, unstable = [], []
        for name in table.metric_names:
            for label, estimate in zip(table.counts.labels, table.estimates[name], strict=True):
                group = " & ".join(label)
                if estimate.value is None:
                    undefined.append({"group": group, "metric": name, "reason": estimate.reason})
                elif (estimate.undefined_share or 0) > UNDEFINED_SHARE_WARNING:
                    unstable.append(
                        {
                            "group": group,
                            "metric": name,
                            "share": round(estimate.undefined_share, 3),
                        }
                    )
        attributes = " x ".join(grouping)
        if undefined:
            listed = "; ".join(
                f"{u['metric']} of {u['group']} ({u['reason']})" for u in undefined[:5]
            )
            more = f" and {len(undefined) - 5} more" if len(undefined) > 5 else ""
            warnings.append(
                AuditWarning(
                    "undefined_metric",
                    f"{len(undefined)} metrics of {attributes} are undefined: {listed}{more}.",
                    {"attributes": list(grouping), "metrics": undefined},
                )
            )
        if unstable:
            listed = "; ".join(
                f"{u['metric']} of {u['group']} ({u['share']:.0%})" for u in unstable[:5]
            )
            more = f" and {len(unstable) - 5} more" if len(unstable) > 5 else ""
            warnings.append(
                AuditWarning(
                    "bootstrap_undefined_replicates",
                    f"Some intervals of {attributes} come from bootstrap replicates of which more "
                    f"than {UNDEFINED_SHARE_WARNING:.0%} left the metric undefined, so they are "
                    f"less reliable: {listed}{more}.",
                    {"attributes": list(grouping), "metrics": unstable},
                )
            )
