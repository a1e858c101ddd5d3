"""Adapters for tabular models: scikit-learn estimators and plain Python callables."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import ModelError
from equilens.models.base import ensure_output_length

logger = logging.getLogger(__name__)

TRUSTED_SUFFIXES = (".joblib", ".pkl", ".pickle")


class SklearnPredictor:
    """A fitted scikit-learn estimator or pipeline.

    Parameters
    ----------
    estimator : object
        Fitted estimator with ``predict`` and, for scores, ``predict_proba``.
    favorable_label : scalar
        Class of the estimator that is the favorable outcome.
    features : list of str, optional
        Columns passed to the estimator; defaults to ``estimator.feature_names_in_``.
    threshold : float, optional
        Decide favorable when the favorable-class probability is at least this value;
        defaults to the estimator's own ``predict``.
    model_id : str, optional
        Identifier recorded in the provenance; defaults to the estimator's class name and
        a hash of its parameters.
    """

    kind = "sklearn"
    batch_size = 100_000
    max_concurrency = 1

    def __init__(
        self, estimator, *, favorable_label=1, features=None, threshold=None, model_id=None
    ):
        self.estimator = estimator
        self.favorable_label = favorable_label
        self.features = features
        self.threshold = threshold
        self.id = model_id or _estimator_id(estimator)

    def _inputs(self, batch: pd.DataFrame) -> pd.DataFrame:
        features = self.features
        if features is None and hasattr(self.estimator, "feature_names_in_"):
            features = list(self.estimator.feature_names_in_)
        if features is None:
            return batch
        missing = [name for name in features if name not in batch.columns]
        if missing:
            raise ModelError(
                f"Model {self.id!r} needs the feature columns {missing}, which are not in the "
                f"data. Check the data file or model.features in the plan."
            )
        return batch[features]

    def _favorable_column(self) -> int:
        classes = [str(label) for label in getattr(self.estimator, "classes_", [])]
        wanted = str(self.favorable_label)
        if wanted not in classes:
            raise ModelError(
                f"Favorable label {self.favorable_label!r} is not a class of model {self.id!r}; "
                f"its classes are {classes}."
            )
        return classes.index(wanted)

    def score(self, batch: pd.DataFrame) -> np.ndarray | None:
        """Return the favorable-class probability, or None for a model without one."""
        if not hasattr(self.estimator, "predict_proba"):
            return None
        probabilities = self.estimator.predict_proba(self._inputs(batch))
        ensure_output_length(probabilities, len(batch), model_id=self.id)
        return np.asarray(probabilities)[:, self._favorable_column()]

    def predict(self, batch: pd.DataFrame) -> np.ndarray:
        """Return predicted labels, from the threshold on the score when one is set."""
        if self.threshold is not None:
            score = self.score(batch)
            if score is None:
                raise ModelError(
                    f"model.threshold is set, but model {self.id!r} has no predict_proba to "
                    f"threshold. Remove the threshold to use the model's own predict."
                )
            favorable = score >= self.threshold
            other = [
                label
                for label in self.estimator.classes_
                if str(label) != str(self.favorable_label)
            ]
            return np.where(favorable, self.favorable_label, other[0] if other else None)
        predictions = np.asarray(self.estimator.predict(self._inputs(batch)))
        return ensure_output_length(predictions, len(batch), model_id=self.id)


class CallablePredictor:
    """A Python function that maps a dataframe of inputs to labels (and optionally scores).

    Parameters
    ----------
    predict : callable
        ``predict(frame) -> array`` of predicted labels.
    score : callable, optional
        ``score(frame) -> array`` of scores, higher meaning more likely favorable.
    model_id : str
        Identifier recorded in the provenance.
    """

    kind = "callable"
    batch_size = 100_000
    max_concurrency = 1

    def __init__(
        self, predict: Callable, *, score: Callable | None = None, model_id: str | None = None
    ):
        self._predict = predict
        self._score = score
        self.id = model_id or getattr(predict, "__qualname__", "callable")

    def predict(self, batch: pd.DataFrame) -> np.ndarray:
        """Return the callable's labels, checking there is one per row."""
        return ensure_output_length(np.asarray(self._predict(batch)), len(batch), model_id=self.id)

    def score(self, batch: pd.DataFrame) -> np.ndarray | None:
        """Return the score callable's output, or None when there is none."""
        if self._score is None:
            return None
        return ensure_output_length(
            np.asarray(self._score(batch), dtype=float), len(batch), model_id=self.id
        )


def _estimator_id(estimator: Any) -> str:
    params = (
        repr(sorted(estimator.get_params(deep=False).items()))
        if hasattr(estimator, "get_params")
        else ""
    )
    digest = hashlib.sha256(params.encode("utf-8")).hexdigest()[:12]
    return f"{type(estimator).__name__}-{digest}"


def load_sklearn_model(path: Path, *, trusted: bool = False) -> Any:
    """Load a scikit-learn estimator from a skops, joblib or pickle file.

    A skops file is loaded without running code; types that skops does not trust by
    default need `trusted`. Loading a joblib or pickle file runs code stored in the file,
    so it is refused unless `trusted` is set.

    Raises
    ------
    ModelError
        When the file is missing, needs trust, or cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"Model file not found: {str(path)!r}. Check model.path in the plan.")
    suffix = path.suffix.lower()

    if suffix == ".skops":
        import skops.io

        untrusted = skops.io.get_untrusted_types(file=path)
        if untrusted and not trusted:
            raise ModelError(
                f"Model file {str(path)!r} contains types that skops does not trust by default: "
                f"{untrusted}. Review them, then rerun with --trust-model (or model.trusted: true)."
            )
        return skops.io.load(path, trusted=untrusted or None)

    if suffix in TRUSTED_SUFFIXES:
        if not trusted:
            raise ModelError(
                f"Loading {str(path)!r} would run code stored in the file ({suffix} files are "
                f"pickles). Rerun with --trust-model (or model.trusted: true) only if you trust "
                f"its origin, or save the model with skops instead."
            )
        import joblib

        logger.warning("Loading trusted pickle-based model file %s", path)
        return joblib.load(path)

    raise ModelError(
        f"Unknown model file type {suffix!r} for {str(path)!r}; use .skops, or .joblib/.pkl "
        f"with --trust-model."
    )
