"""Run a model over many texts with caching, concurrent batches and a status per text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilens.errors import EquilensError
from equilens.models.base import Predictor, ensure_output_length
from equilens.models.text._base import FIX_INVALID_TEXT, TextPrediction, describe_invalid_text
from equilens.models.text._results import TextPredictions, collect_predictions, log_summary
from equilens.store import CachedPrediction, PredictionCache, text_sha256

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

_ROWS_SHOWN = 10


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
    rows = _index_rows(list(texts), model_id=model.id)
    cached_rows = 0
    if cache is not None:
        cached_rows = _fill_from_cache(rows, cache, model_id=model.id)

    pending = [
        text_hash
        for text_hash, row_numbers in rows.by_hash.items()
        if rows.predictions[row_numbers[0]] is None
    ]
    batch_size = max(1, int(model.batch_size))
    batches = [pending[start : start + batch_size] for start in range(0, len(pending), batch_size)]
    called_rows = sum(len(rows.by_hash[text_hash]) for text_hash in pending)
    total = len(rows.predictions)
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
            for row in rows.by_hash[text_hash]:
                rows.predictions[row] = prediction
            done += len(rows.by_hash[text_hash])
        if progress is not None:
            progress(done, total)

    def call(batch: list[str]) -> list[TextPrediction]:
        return _call_model(model, [rows.text_by_hash[text_hash] for text_hash in batch])

    _run_batches(batches, call, record, max_concurrency=int(model.max_concurrency))
    result = collect_predictions(
        model, rows.predictions, cached_rows=cached_rows, called_rows=called_rows
    )
    log_summary(result)
    return result


@dataclass
class _Rows:
    """The rows of one run: a prediction slot per row, and the rows of each distinct text."""

    predictions: list[TextPrediction | None]
    by_hash: dict[str, list[int]] = field(default_factory=dict)
    text_by_hash: dict[str, str] = field(default_factory=dict)


def _index_rows(texts: list[Any], *, model_id: str) -> _Rows:
    """Group the valid texts by hash and give each invalid text its ``"error"`` prediction."""
    rows = _Rows(predictions=[None] * len(texts))
    invalid_rows = []
    for row, text in enumerate(texts):
        problem = describe_invalid_text(text)
        if problem is not None:
            message = f"Text at row {row} {problem}; it was not sent to the model. "
            rows.predictions[row] = TextPrediction("error", message=message + FIX_INVALID_TEXT)
            invalid_rows.append(row)
            continue
        text_hash = text_sha256(text)
        rows.by_hash.setdefault(text_hash, []).append(row)
        rows.text_by_hash[text_hash] = text

    if invalid_rows:
        logger.warning(
            "%d texts are missing, empty or whitespace only (rows %s%s); they were not sent "
            "to model %s and have status 'error'",
            len(invalid_rows),
            ", ".join(map(str, invalid_rows[:_ROWS_SHOWN])),
            ", ..." if len(invalid_rows) > _ROWS_SHOWN else "",
            model_id,
        )
    return rows


def _fill_from_cache(rows: _Rows, cache: PredictionCache, *, model_id: str) -> int:
    """Fill the rows whose text has a stored prediction and return how many rows that is."""
    filled = 0
    for text_hash, stored in cache.lookup(model_id, list(rows.by_hash)).items():
        prediction = TextPrediction(
            stored.status,
            label=stored.label,
            score=stored.score,
            message=stored.message,
            truncated=stored.truncated,
        )
        for row in rows.by_hash[text_hash]:
            rows.predictions[row] = prediction
        filled += len(rows.by_hash[text_hash])
    return filled


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


def _to_python(value: Any) -> Any:
    # NumPy scalars become Python values, so that labels compare and serialize alike
    # whether they come from the model or from the cache.
    return value.item() if isinstance(value, np.generic) else value
