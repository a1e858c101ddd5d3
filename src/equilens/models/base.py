"""The protocol that every model adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from equilens.errors import ModelError


@runtime_checkable
class Predictor(Protocol):
    """A model that equilens can query.

    Attributes
    ----------
    id : str
        Stable identifier of the model and its configuration, used as the cache key
        together with a hash of each input.
    kind : str
        Short adapter name recorded in the audit's provenance, e.g. ``"sklearn"``.
    batch_size : int
        Number of inputs sent to the model in one call.
    max_concurrency : int
        Number of batches that may be in flight at once (1 for in-process models).
    """

    id: str
    kind: str
    batch_size: int
    max_concurrency: int

    def predict(self, batch: Any) -> np.ndarray:
        """Return one predicted label per input row or text."""
        ...

    def score(self, batch: Any) -> np.ndarray | None:
        """Return one score per input (higher means the favorable or positive label), or None."""
        ...


def ensure_output_length(outputs: Sequence[Any] | np.ndarray, expected: int, *, model_id: str):
    """Raise `ModelError` unless a model returned exactly one output per input."""
    if len(outputs) != expected:
        raise ModelError(
            f"Model {model_id!r} returned {len(outputs)} outputs for {expected} inputs; "
            "a model must return exactly one prediction per input. Check the model's "
            "batch handling or the response field path in the plan."
        )
    return outputs
