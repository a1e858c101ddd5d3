"""Scoring the texts of each run and keeping account of every text that got no prediction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equilens.data.columns import AuditWarning
from equilens.errors import DataError
from equilens.models.text import build_text_model, predict_texts
from equilens.store import PredictionCache
from equilens.text.plan import TextAuditPlan, TextRun

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Rows that got no prediction, listed in findings.json per run; the counts cover all.
MAX_LISTED_EXCLUSIONS = 50
_EXAMPLES = 3


@dataclass
class RunOutput:
    """The scored rows of one run and its accounting.

    Attributes
    ----------
    run : TextRun
        The run.
    model_id, model_kind : str
        The model's stable id and adapter name.
    rows : pandas.DataFrame
        One row per text of the run: the text table's columns plus ``run``, ``model_id``,
        ``input_field``, ``input_text``, ``predicted_label``, ``score``, ``status``,
        ``message`` and ``truncated``.
    has_scores : bool
        Whether the model gives scores.
    accounting : dict
        Counts for findings.json: rows, scored, cached, called, truncated, failed,
        unparseable and invalid (empty or whitespace-only input).
    """

    run: TextRun
    model_id: str
    model_kind: str
    rows: pd.DataFrame
    has_scores: bool
    accounting: dict[str, int] = field(default_factory=dict)

    @property
    def scored(self) -> pd.DataFrame:
        """The rows with a prediction (status ``ok``)."""
        return self.rows[self.rows["status"] == "ok"]


def predict_runs(
    plan: TextAuditPlan,
    table: pd.DataFrame,
    *,
    progress: Progress | None = None,
) -> tuple[list[RunOutput], list[AuditWarning]]:
    """Score the texts of every run of the plan, through the plan's cache when it has one.

    Texts that are empty or whitespace-only, whose call failed, or whose output is not
    one of the model's labels keep their row with a status and a message; they are left
    out of every metric, and a warning counts them per run.

    Raises
    ------
    DataError
        When a run's locales select no texts, or when no text of any run got a prediction.
    """
    step = progress or (lambda name: None)
    cache = PredictionCache(plan.cache) if plan.cache is not None else None
    outputs: list[RunOutput] = []
    warnings: list[AuditWarning] = []
    try:
        for run in plan.runs:
            step(f"Scoring run {run.name}")
            rows = _select_rows(run, table)
            output = _predict_run(run, rows, cache=cache, positive_label=plan.positive_label)
            warnings.extend(_run_warnings(output, positive_label=plan.positive_label))
            outputs.append(output)
    finally:
        if cache is not None:
            cache.close()

    if not any(output.accounting["scored"] for output in outputs):
        first = next(
            (
                message
                for output in outputs
                for message in output.rows.loc[output.rows["status"] != "ok", "message"]
            ),
            "",
        )
        raise DataError(
            f"No text of any run got a prediction, so there is nothing to audit. First "
            f"error: {first}"
        )
    return outputs, warnings


def _select_rows(run: TextRun, table: pd.DataFrame) -> pd.DataFrame:
    if run.locales is None:
        return table
    present = set(table["locale"].dropna())
    absent = [code for code in run.locales if code not in present]
    if absent:
        raise DataError(
            f"Run {run.name!r} names the locales {absent}, which no text has; the data's "
            f"locales are {sorted(present)}. Fix runs[].locales."
        )
    return table[table["locale"].isin(run.locales)]


def _predict_run(
    run: TextRun, rows: pd.DataFrame, *, cache: PredictionCache | None, positive_label: str
) -> RunOutput:
    rows = rows.copy()
    texts = rows[run.input].to_numpy(dtype=object)
    if run.input == "english_gloss" and pd.isna(texts).all():
        raise DataError(
            f"Run {run.name!r} reads english_gloss, but the data has no English gloss; set "
            f"data.gloss_column or use input: text."
        )
    invalid = np.array([not isinstance(text, str) or not text.strip() for text in texts])

    with build_text_model(run.model) as model:
        valid_texts = [text for text, bad in zip(texts, invalid, strict=True) if not bad]
        predictions = predict_texts(model, valid_texts, cache=cache)
        model_id, model_kind = model.id, model.kind
        has_scores = predictions.scores is not None

    n = len(rows)
    labels = np.full(n, None, dtype=object)
    scores = np.full(n, np.nan)
    status = np.full(n, "invalid", dtype=object)
    messages = np.full(
        n,
        f"The {run.input} is empty or whitespace only, so it was not sent to the model. "
        "Fill in the text or remove the row.",
        dtype=object,
    )
    truncated = np.zeros(n, dtype=bool)
    valid = ~invalid
    labels[valid] = predictions.labels
    if has_scores:
        scores[valid] = predictions.scores
    status[valid] = predictions.status
    messages[valid] = predictions.messages
    truncated[valid] = predictions.truncated

    rows["run"] = run.name
    rows["model_id"] = model_id
    rows["input_field"] = run.input
    rows["input_text"] = texts
    rows["predicted_label"] = labels
    rows["score"] = scores
    rows["status"] = status
    rows["message"] = messages
    rows["truncated"] = truncated
    rows["y_pred"] = (labels == positive_label).astype(np.int8)
    rows["row_id"] = [f"{run.name}:{item_id}" for item_id in rows["item_id"]]

    counts = predictions.counts
    accounting = {
        "rows": n,
        "scored": int((status == "ok").sum()),
        "invalid": int(invalid.sum()),
        "failed": counts.failed,
        "unparseable": counts.unparseable,
        "truncated": counts.truncated,
        "cached": counts.cached,
        "called": counts.called,
    }
    return RunOutput(run, model_id, model_kind, rows.reset_index(drop=True), has_scores, accounting)


def _run_warnings(output: RunOutput, *, positive_label: str) -> list[AuditWarning]:
    run, rows, counts = output.run, output.rows, output.accounting
    warnings = []
    details = {"run": run.name}

    def examples(status: str) -> tuple[list[str], str]:
        selected = rows[rows["status"] == status]
        ids = selected["item_id"].astype(str).tolist()
        shown = ", ".join(ids[:_EXAMPLES]) + (", ..." if len(ids) > _EXAMPLES else "")
        return ids[:MAX_LISTED_EXCLUSIONS], shown

    if counts["invalid"]:
        ids, shown = examples("invalid")
        warnings.append(
            AuditWarning(
                "empty_text",
                f"Run {run.name!r}: {counts['invalid']} texts have an empty or whitespace-only "
                f"{run.input} ({shown}); they were not sent to the model and are left out of "
                f"every metric. Fill in the texts or remove the rows.",
                {**details, "count": counts["invalid"], "items": ids},
            )
        )
    if counts["failed"]:
        ids, shown = examples("error")
        first = rows.loc[rows["status"] == "error", "message"].iloc[0]
        warnings.append(
            AuditWarning(
                "prediction_failed",
                f"Run {run.name!r}: {counts['failed']} of {counts['rows']} texts got no "
                f"prediction ({shown}); they are left out of every metric. First error: "
                f"{first} Failed calls are not cached, so running the audit again retries them.",
                {**details, "count": counts["failed"], "items": ids},
            )
        )
    if counts["unparseable"]:
        ids, shown = examples("unparseable")
        first = rows.loc[rows["status"] == "unparseable", "message"].iloc[0]
        warnings.append(
            AuditWarning(
                "unparseable_output",
                f"Run {run.name!r}: the model's output for {counts['unparseable']} texts is not "
                f"one of its labels ({shown}; first output: {first}); they are left out of "
                f"every metric. Map the outputs with the model's label_mapping or fix the model.",
                {**details, "count": counts["unparseable"], "items": ids},
            )
        )
    if counts["truncated"]:
        warnings.append(
            AuditWarning(
                "truncated_text",
                f"Run {run.name!r}: {counts['truncated']} texts were longer than the model's "
                f"length limit and were truncated before scoring; their predictions are "
                f"audited as they are. Raise the limit (max_chars or max_length) to score the "
                f"whole texts.",
                {**details, "count": counts["truncated"]},
            )
        )
    scored = output.scored
    if len(scored) and not (scored["predicted_label"] == positive_label).any():
        seen = sorted({str(label) for label in scored["predicted_label"]})
        warnings.append(
            AuditWarning(
                "positive_label_unseen",
                f"Run {run.name!r} never predicted the positive label {positive_label!r}; its "
                f"labels were {seen}. If that is not expected, check positive_label and the "
                f"model's labels.",
                {**details, "labels": seen},
            )
        )
    return warnings
