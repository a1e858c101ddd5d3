"""The result of running a text model over many texts: one prediction per row, and counts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equilens.models.base import Predictor
from equilens.models.text._base import TextPrediction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextCounts:
    """Row counts of one `predict_texts` run, by where each prediction came from and its status.

    A text that occurs in several rows is sent to the model once, and each of its rows
    counts. ``called + cached`` plus the invalid rows (missing, empty or whitespace-only
    texts, counted in `failed`) equals `total`.

    Attributes
    ----------
    total : int
        Rows given.
    called : int
        Rows whose text was sent to the model in this run, whether or not the call worked.
    cached : int
        Rows whose prediction came from the cache.
    truncated : int
        Rows whose text was truncated to the model's length limit, in this run or when
        the cached prediction was made.
    unparseable : int
        Rows whose model output is not one of the model's labels.
    failed : int
        Rows without a prediction: invalid texts and texts whose call failed.
    """

    total: int
    called: int
    cached: int
    truncated: int
    unparseable: int
    failed: int


@dataclass(frozen=True, repr=False)
class TextPredictions:
    """A model's predictions for a sequence of texts, one entry per row.

    Attributes
    ----------
    model_id : str
        The model's `id`.
    labels : numpy.ndarray
        Object array of labels; None where `status` is not ``"ok"``.
    scores : numpy.ndarray or None
        Float array of scores, NaN where `status` is not ``"ok"``; None when the model
        gives no scores.
    status : numpy.ndarray
        Object array of ``"ok"``, ``"unparseable"`` or ``"error"``.
    messages : numpy.ndarray
        Object array: empty for ``"ok"``, the raw output for ``"unparseable"`` and the
        reason for ``"error"``.
    truncated : numpy.ndarray
        Boolean array: whether the text was truncated to the model's length limit.
    counts : TextCounts
        Totals over the rows.
    """

    model_id: str
    labels: np.ndarray
    scores: np.ndarray | None
    status: np.ndarray
    messages: np.ndarray
    truncated: np.ndarray
    counts: TextCounts

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        return f"TextPredictions(model_id={self.model_id!r}, counts={self.counts})"

    def to_frame(self) -> pd.DataFrame:
        """Return the predictions as a DataFrame with one row per text."""
        return pd.DataFrame(
            {
                "label": self.labels,
                "score": self.scores if self.scores is not None else None,
                "status": self.status,
                "message": self.messages,
                "truncated": self.truncated,
            }
        )


def collect_predictions(
    model: Predictor,
    predictions: list[TextPrediction | None],
    *,
    cached_rows: int,
    called_rows: int,
) -> TextPredictions:
    """Build the `TextPredictions` of a run once every row has its prediction."""
    complete = [prediction for prediction in predictions if prediction is not None]
    if len(complete) != len(predictions):
        raise AssertionError("every row must have a prediction once all batches are recorded")

    has_scores = getattr(model, "has_scores", None)
    if has_scores is None:
        has_scores = any(prediction.score is not None for prediction in complete)
    scores = None
    if has_scores:
        scores = np.array(
            [
                prediction.score
                if prediction.status == "ok" and prediction.score is not None
                else np.nan
                for prediction in complete
            ],
            dtype=float,
        )

    status = np.array([prediction.status for prediction in complete], dtype=object)
    truncated = np.array([prediction.truncated for prediction in complete], dtype=bool)
    counts = TextCounts(
        total=len(complete),
        called=called_rows,
        cached=cached_rows,
        truncated=int(truncated.sum()),
        unparseable=int((status == "unparseable").sum()),
        failed=int((status == "error").sum()),
    )
    return TextPredictions(
        model_id=model.id,
        labels=np.array(
            [prediction.label if prediction.status == "ok" else None for prediction in complete],
            dtype=object,
        ),
        scores=scores,
        status=status,
        messages=np.array([prediction.message for prediction in complete], dtype=object),
        truncated=truncated,
        counts=counts,
    )


def log_summary(result: TextPredictions) -> None:
    """Log the counts of a run, and warnings for truncated texts and unparseable outputs."""
    counts = result.counts
    logger.info(
        "Model %s predicted %d texts: %d sent, %d from the cache, %d unparseable, %d failed",
        result.model_id,
        counts.total,
        counts.called,
        counts.cached,
        counts.unparseable,
        counts.failed,
    )
    if counts.truncated:
        logger.warning(
            "%d texts were longer than the length limit of model %s and were truncated",
            counts.truncated,
            result.model_id,
        )
    if counts.unparseable:
        logger.warning(
            "%d outputs of model %s are not among its labels; they have status "
            "'unparseable' and the raw output as message",
            counts.unparseable,
            result.model_id,
        )
