"""Shared parts of the text model adapters: predictions, input checks and stable ids."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from equilens.errors import DataError, ModelError

logger = logging.getLogger(__name__)

Status = Literal["ok", "unparseable", "error"]

# Fields that change how a model is called but not what it predicts. They stay out of
# the model id, so that changing them keeps the cached predictions valid.
RUNTIME_FIELDS = frozenset(
    {
        "batch_size",
        "max_concurrency",
        "timeout",
        "max_retries",
        "backoff_base",
        "backoff_max",
        "retry_after_max",
        "api_key_env",
        "api_key_header",
        "api_key_prefix",
        "device",
    }
)


@dataclass(frozen=True)
class TextPrediction:
    """A model's prediction for one text.

    Attributes
    ----------
    status : {"ok", "unparseable", "error"}
        ``"unparseable"``: the model returned output that is not one of its allowed labels.
        ``"error"``: there is no output, because the text is invalid or the call failed.
    label : object
        The label; None unless `status` is ``"ok"``.
    score : float or None
        The score, for models that give one; None unless `status` is ``"ok"``.
    message : str
        Empty for ``"ok"``, the raw output for ``"unparseable"``, the reason for ``"error"``.
    truncated : bool
        Whether the text was truncated to the model's length limit before the call.
    """

    status: Status
    label: Any = None
    score: float | None = None
    message: str = ""
    truncated: bool = False


def stable_model_id(kind: str, identity: Mapping[str, Any]) -> str:
    """Return ``"<kind>:<hash>"``, a hash of the settings that determine a model's predictions.

    `identity` must not contain secrets. A hash is one-way, but leaving secrets out keeps
    the id equal for every user of the same model.
    """
    payload = json.dumps({"kind": kind, **identity}, sort_keys=True, separators=(",", ":"))
    return f"{kind}:{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:16]}"


def check_texts(texts: Sequence[Any]) -> list[str]:
    """Return `texts` as a list, raising `DataError` for a text that cannot be scored.

    A text must be a string with at least one non-whitespace character. `predict_texts`
    checks rows before batching them, so this check fires only on direct calls.
    """
    if isinstance(texts, str):
        raise DataError(
            "A batch must be a sequence of texts, not one string. Wrap the text in a list."
        )
    checked = list(texts)
    for index, text in enumerate(checked):
        problem = describe_invalid_text(text)
        if problem is not None:
            raise DataError(f"Text at index {index} of the batch {problem}. {FIX_INVALID_TEXT}")
    return checked


FIX_INVALID_TEXT = "Remove the row or fill in its text."


def describe_invalid_text(text: Any) -> str | None:
    """Return why `text` cannot be sent to a model, or None when it can."""
    if isinstance(text, str):
        if not text.strip():
            return "is empty or whitespace only"
        return None
    if text is None or (pd.api.types.is_scalar(text) and pd.isna(text)):
        return "is missing"
    return f"is a {type(text).__name__}, not a string: {repr(text)[:80]}"


class TextModel:
    """Base class of the text adapters: the `Predictor` protocol on top of `predict_batch`.

    Subclasses set `id`, `kind`, `batch_size`, `max_concurrency`, `has_scores` and
    `labels`, and implement `predict_batch`. `predict_texts` calls `predict_batch`
    once per batch; `predict` and `score` each call it again.
    """

    id: str
    kind: str
    batch_size: int
    max_concurrency: int
    has_scores: bool
    labels: tuple[str, ...] | None

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Return one `TextPrediction` per text, in order."""
        raise NotImplementedError

    def predict(self, batch: Sequence[str]) -> np.ndarray:
        """Return one label per text, None where the output is unparseable.

        Raises
        ------
        DataError
            When a text is missing, empty or whitespace only.
        ModelError
            When the call fails for any text of the batch.
        """
        predictions = self._predict_or_raise(batch)
        return np.array([prediction.label for prediction in predictions], dtype=object)

    def score(self, batch: Sequence[str]) -> np.ndarray | None:
        """Return one score per text (NaN where the output is unparseable), or None.

        None means that the model gives no scores.
        """
        if not self.has_scores:
            return None
        predictions = self._predict_or_raise(batch)
        return np.array(
            [
                np.nan if prediction.score is None else prediction.score
                for prediction in predictions
            ],
            dtype=float,
        )

    def close(self) -> None:
        """Release connections or memory the adapter holds; the base class holds none."""

    def __enter__(self) -> TextModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"

    def _predict_or_raise(self, batch: Sequence[str]) -> list[TextPrediction]:
        texts = check_texts(batch)
        predictions = self.predict_batch(texts)
        failed = [
            index for index, prediction in enumerate(predictions) if prediction.status == "error"
        ]
        if failed:
            first = predictions[failed[0]].message
            raise ModelError(
                f"Model {self.id!r} failed for {len(failed)} of {len(texts)} texts; "
                f"first failure (index {failed[0]}): {first}"
            )
        return predictions


class TruncationLog:
    """Logs truncated texts: a warning the first time, debug messages after that."""

    def __init__(self, model_id: str, limit_text: str) -> None:
        self._model_id = model_id
        self._limit_text = limit_text
        self._warned = False

    def record(self, count: int) -> None:
        """Log that `count` texts of a batch were truncated."""
        if count == 0:
            return
        level = logging.DEBUG if self._warned else logging.WARNING
        logger.log(
            level,
            "Truncated %d texts of a batch to the limit of model %s (%s); later batches "
            "are logged at debug level and predict_texts reports the total",
            count,
            self._model_id,
            self._limit_text,
        )
        self._warned = True
