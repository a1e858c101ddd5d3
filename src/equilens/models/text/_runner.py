"""Run a model over many texts with caching, concurrent batches and a status per text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import EquilensError
from equilens.models.base import Predictor, ensure_output_length
from equilens.models.text._base import FIX_INVALID_TEXT, TextPrediction, describe_invalid_text
from equilens.store import CachedPrediction, PredictionCache, text_sha256

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

_ROWS_SHOWN = 10


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


def predict_texts(
    model: Predictor,
    texts: Iterable[Any],
    *,
    cache: PredictionCache | None = None,
    progress: ProgressCallback | None = None,
) -> TextPredictions:
    """Predict a label (and score) for every text, calling the model only where needed.

    Texts that `cache` has a prediction for, under this model's `id`, are not sent again. The
    others are sent in batches of ``model.batch_size``, with up to
    ``model.max_concurrency`` batches in flight. Each finished batch is written to the
    cache at once, so an interrupted run keeps its finished batches. A batch that fails
    after the model's retries gives every text in it the status ``"error"`` and the run
    goes on. Failed calls are not cached, so the next run tries them again.

    A missing (None or NaN), non-string, empty or whitespace-only text is not sent to
    the model: its row gets the status ``"error"`` with a message naming the row, and a
    warning is logged. Rows are never dropped.

    Parameters
    ----------
    model : Predictor
        A text adapter from `build_text_model`, or any `Predictor` whose ``predict``
        takes a list of strings.
    texts : iterable
        The texts; row numbers in messages are 0-based positions in this sequence.
    cache : PredictionCache, optional
        Where predictions are looked up and stored.
    progress : callable, optional
        Called as ``progress(done, total)`` with row counts, once after the cache lookup
        and after each batch.

    Returns
    -------
    TextPredictions
        Labels, scores, status, messages and counts, in the order of `texts`.
    """
    texts = list(texts)
    total = len(texts)
    predictions: list[TextPrediction | None] = [None] * total

    invalid_rows = []
    rows_by_hash: dict[str, list[int]] = {}
    text_by_hash: dict[str, str] = {}
    for row, text in enumerate(texts):
        problem = describe_invalid_text(text)
        if problem is not None:
            message = f"Text at row {row} {problem}; it was not sent to the model. "
            predictions[row] = TextPrediction("error", message=message + FIX_INVALID_TEXT)
            invalid_rows.append(row)
            continue
        text_hash = text_sha256(text)
        rows_by_hash.setdefault(text_hash, []).append(row)
        text_by_hash[text_hash] = text
    if invalid_rows:
        logger.warning(
            "%d texts are missing, empty or whitespace only (rows %s%s); they were not sent "
            "to model %s and have status 'error'",
            len(invalid_rows),
            ", ".join(map(str, invalid_rows[:_ROWS_SHOWN])),
            ", ..." if len(invalid_rows) > _ROWS_SHOWN else "",
            model.id,
        )

    cached_rows = 0
    if cache is not None:
        for text_hash, stored in cache.lookup(model.id, list(rows_by_hash)).items():
            prediction = TextPrediction(
                stored.status,
                label=stored.label,
                score=stored.score,
                message=stored.message,
                truncated=stored.truncated,
            )
            for row in rows_by_hash[text_hash]:
                predictions[row] = prediction
            cached_rows += len(rows_by_hash[text_hash])

    pending = [
        text_hash for text_hash, rows in rows_by_hash.items() if predictions[rows[0]] is None
    ]
    batch_size = max(1, int(model.batch_size))
    batches = [pending[start : start + batch_size] for start in range(0, len(pending), batch_size)]
    called_rows = sum(len(rows_by_hash[text_hash]) for text_hash in pending)
    logger.info(
        "Predicting %d texts with model %s: %d found in the cache, %d to send in %d batches",
        total,
        model.id,
        cached_rows,
        called_rows,
        len(batches),
    )

    done = total - called_rows
    if progress is not None:
        progress(done, total)

    def record(batch: list[str], batch_predictions: list[TextPrediction]) -> None:
        nonlocal done
        if cache is not None:
            cache.store(model.id, _cacheable(batch, batch_predictions))
        for text_hash, prediction in zip(batch, batch_predictions, strict=True):
            for row in rows_by_hash[text_hash]:
                predictions[row] = prediction
            done += len(rows_by_hash[text_hash])
        if progress is not None:
            progress(done, total)

    def call(batch: list[str]) -> list[TextPrediction]:
        return _call_model(model, [text_by_hash[text_hash] for text_hash in batch])

    _run_batches(batches, call, record, max_concurrency=int(model.max_concurrency))
    result = _collect(model, predictions, cached_rows=cached_rows, called_rows=called_rows)
    _log_summary(result)
    return result


def _call_model(model: Predictor, texts: list[str]) -> list[TextPrediction]:
    """Return the model's predictions for one batch, or an ``"error"`` prediction per text."""
    try:
        predict_batch = getattr(model, "predict_batch", None)
        if predict_batch is not None:
            predictions = list(predict_batch(texts))
            ensure_output_length(predictions, len(texts), model_id=model.id)
            _log_failed_texts(model, predictions)
            return predictions

        labels = ensure_output_length(model.predict(texts), len(texts), model_id=model.id)
        scores = model.score(texts)
        if scores is not None:
            ensure_output_length(scores, len(texts), model_id=model.id)
        return [
            TextPrediction(
                "ok",
                label=_to_python(label),
                score=None if scores is None else float(scores[index]),
            )
            for index, label in enumerate(labels)
        ]
    # Any exception is caught, because one failing batch must not discard the predictions
    # of the other batches. Every text of the batch keeps the error message.
    except Exception as error:
        expected = isinstance(error, EquilensError)
        message = str(error) if expected else f"{type(error).__name__}: {error}"
        logger.warning(
            "A batch of %d texts failed for model %s: %s",
            len(texts),
            model.id,
            message,
            exc_info=not expected,
        )
        return [TextPrediction("error", message=message) for _ in texts]


def _log_failed_texts(model: Predictor, predictions: list[TextPrediction]) -> None:
    failed = [prediction for prediction in predictions if prediction.status == "error"]
    if failed:
        logger.warning(
            "%d of %d texts in a batch failed for model %s; first error: %s",
            len(failed),
            len(predictions),
            model.id,
            failed[0].message,
        )


def _run_batches(
    batches: list[list[str]],
    call: Callable[[list[str]], list[TextPrediction]],
    record: Callable[[list[str], list[TextPrediction]], None],
    *,
    max_concurrency: int,
) -> None:
    """Call each batch, with up to `max_concurrency` in threads, and record it in this thread.

    Recording happens in the calling thread only, because a DuckDB connection must not
    be shared between threads.
    """
    workers = min(max(1, max_concurrency), len(batches))
    if workers <= 1:
        for batch in batches:
            record(batch, call(batch))
        return

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="equilens-model")
    try:
        futures = {pool.submit(call, batch): batch for batch in batches}
        for future in as_completed(futures):
            record(futures[future], future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _cacheable(
    batch: Sequence[str], predictions: Sequence[TextPrediction]
) -> list[CachedPrediction]:
    return [
        CachedPrediction(
            text_hash,
            prediction.status,
            label=prediction.label,
            score=prediction.score,
            message=prediction.message,
            truncated=prediction.truncated,
        )
        for text_hash, prediction in zip(batch, predictions, strict=True)
        if prediction.status != "error"
    ]


def _collect(
    model: Predictor,
    predictions: list[TextPrediction | None],
    *,
    cached_rows: int,
    called_rows: int,
) -> TextPredictions:
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


def _log_summary(result: TextPredictions) -> None:
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


def _to_python(value: Any) -> Any:
    # NumPy scalars become Python values, so that labels compare and serialize alike
    # whether they come from the model or from the cache.
    return value.item() if isinstance(value, np.generic) else value
