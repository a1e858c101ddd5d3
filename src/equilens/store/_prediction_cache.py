"""A DuckDB file of model predictions, so that a repeated or interrupted audit resumes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from equilens.errors import EquilensError

logger = logging.getLogger(__name__)

CachedStatus = Literal["ok", "unparseable"]

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS prediction_cache (
    model_id VARCHAR NOT NULL,
    input_sha256 VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    label_json VARCHAR,
    score DOUBLE,
    message VARCHAR NOT NULL,
    truncated BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model_id, input_sha256)
)
"""

_INSERT = """
INSERT OR REPLACE INTO prediction_cache
    (model_id, input_sha256, status, label_json, score, message, truncated)
SELECT ?, * FROM (
    SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
           unnest(?::DOUBLE[]), unnest(?::VARCHAR[]), unnest(?::BOOLEAN[])
)
"""

_SELECT = """
SELECT input_sha256, status, label_json, score, message, truncated
FROM prediction_cache
WHERE model_id = ? AND input_sha256 IN (SELECT unnest(?::VARCHAR[]))
"""


def text_sha256(text: str) -> str:
    """Return the hex SHA-256 of a text's UTF-8 bytes, the cache key of a text input.

    The text is hashed exactly as given: no Unicode normalization, no stripping.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedPrediction:
    """One model prediction as stored in the cache.

    Attributes
    ----------
    input_sha256 : str
        Hex SHA-256 of the input, e.g. from `text_sha256`.
    status : {"ok", "unparseable"}
        ``"unparseable"`` marks model output outside the model's label set. Failed calls
        are never cached, so that the next run tries them again.
    label : object
        The label, any JSON-serializable value; None when the output is unparseable.
    score : float or None
        The score, when the model gives one.
    message : str
        Empty for ``"ok"``; for ``"unparseable"``, the model's raw output.
    truncated : bool
        Whether the input was truncated to the model's length limit before the call.
    """

    input_sha256: str
    status: CachedStatus
    label: Any = None
    score: float | None = None
    message: str = ""
    truncated: bool = False


class PredictionCache:
    """Model predictions stored in a DuckDB file, keyed by model id and input SHA-256.

    The file stores hashes, labels, scores and messages, never the inputs themselves.
    Each `store` call commits its predictions, so those of finished batches survive a
    crash. DuckDB lets only one process at a time write to the file, and an instance must
    be used from one thread.

    Parameters
    ----------
    path : str or os.PathLike
        The DuckDB file. It and its parent folders are created when missing.

    Raises
    ------
    EquilensError
        When the file cannot be opened, e.g. because another process has locked it.

    Examples
    --------
    >>> with PredictionCache(tmp_path / "cache.duckdb") as cache:  # doctest: +SKIP
    ...     cache.store("vader:0123", [CachedPrediction(text_sha256("hi"), "ok", label="pos")])
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(str(self.path))
            self._connection.execute(_CREATE_TABLE)
        except duckdb.Error as error:
            raise EquilensError(
                f"Cannot open the prediction cache {str(self.path)!r}: {error}. If another "
                "audit is using this file, wait for it to finish or give a different cache path."
            ) from error

    def lookup(self, model_id: str, input_hashes: Sequence[str]) -> dict[str, CachedPrediction]:
        """Return the stored predictions of `model_id` for those of `input_hashes` it has.

        Parameters
        ----------
        model_id : str
            The model's `id`.
        input_hashes : sequence of str
            Hex SHA-256 hashes of the inputs.

        Returns
        -------
        dict
            Maps each hash that has a prediction to its `CachedPrediction`.
        """
        if not input_hashes:
            return {}
        rows = self._connection.execute(_SELECT, [model_id, list(input_hashes)]).fetchall()
        predictions = {}
        for input_hash, status, label_json, score, message, truncated in rows:
            label = None if label_json is None else json.loads(label_json)
            predictions[input_hash] = CachedPrediction(
                input_hash, status, label=label, score=score, message=message, truncated=truncated
            )
        return predictions

    def store(self, model_id: str, predictions: Iterable[CachedPrediction]) -> int:
        """Insert or replace predictions of `model_id`, commit them and return how many.

        Raises
        ------
        TypeError
            When a label cannot be serialized as JSON.
        """
        predictions = list(predictions)
        if not predictions:
            return 0
        columns = (
            [prediction.input_sha256 for prediction in predictions],
            [prediction.status for prediction in predictions],
            [_label_to_json(prediction.label) for prediction in predictions],
            [
                None if prediction.score is None else float(prediction.score)
                for prediction in predictions
            ],
            [prediction.message for prediction in predictions],
            [bool(prediction.truncated) for prediction in predictions],
        )
        self._connection.execute(_INSERT, [model_id, *columns])
        logger.debug(
            "Stored %d predictions of model %s in %s", len(predictions), model_id, self.path
        )
        return len(predictions)

    def count(self, model_id: str | None = None) -> int:
        """Return the number of stored predictions, for one model or for all."""
        if model_id is None:
            query, parameters = "SELECT count(*) FROM prediction_cache", []
        else:
            query = "SELECT count(*) FROM prediction_cache WHERE model_id = ?"
            parameters = [model_id]
        return self._connection.execute(query, parameters).fetchone()[0]

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._connection.close()

    def __enter__(self) -> PredictionCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PredictionCache({str(self.path)!r})"


def _label_to_json(label: Any) -> str | None:
    if label is None:
        return None
    return json.dumps(label, default=_numpy_scalar_to_python, ensure_ascii=False)


def _numpy_scalar_to_python(value: Any) -> Any:
    # NumPy scalars (np.int64, np.str_, np.bool_) have .item(); anything else is an error.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"label {value!r} of type {type(value).__name__} is not JSON serializable")
