"""The model and the rows of a tabular probe: predictors, feature lists and group labels."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import value_key
from equilens.errors import DataError, PlanError, did_you_mean
from equilens.models.tabular import CallablePredictor, SklearnPredictor

logger = logging.getLogger(__name__)

MISSING_LABEL = "missing"


@dataclass(frozen=True)
class Protected:
    """A protected attribute of the probed rows.

    Attributes
    ----------
    name : str
        Attribute name used in the results.
    column : str
        Column of the data that contains the attribute and that a flip changes.
    labels : ndarray of object
        Group label of each row.
    excluded : tuple of str
        Labels that are not a group one can flip to or from, such as the label of rows
        with a missing value.
    """

    name: str
    column: str
    labels: np.ndarray
    excluded: tuple[str, ...] = (MISSING_LABEL,)

    @property
    def groups(self) -> list[str]:
        """Group labels in order of first appearance, without the excluded labels."""
        present = pd.unique(pd.Series(self.labels, dtype=object))
        return [label for label in present if label not in self.excluded]

    def rows(self, group: str) -> np.ndarray:
        """Return the positions of the rows of `group`."""
        return np.flatnonzero(self.labels == group)


def protected_columns(
    data: pd.DataFrame,
    protected: Mapping[str, str] | Sequence[str],
    labels: Mapping[str, Any] | None = None,
    *,
    missing_label: str = MISSING_LABEL,
) -> list[Protected]:
    """Describe protected attributes by column and per-row group labels.

    Parameters
    ----------
    data : pandas.DataFrame
        The probed rows.
    protected : mapping of str to str, or sequence of str
        Attribute name to column, or columns that are their own attribute names.
    labels : mapping of str to array-like, optional
        Group label of each row per attribute; defaults to the column's values as text,
        with missing values labelled `missing_label`.
    missing_label : str
        Label of rows whose attribute is missing; they are not flipped.

    Raises
    ------
    DataError
        When a column is not in the data, a label array has the wrong length, or an
        attribute has fewer than two groups.
    """
    columns = dict(protected) if isinstance(protected, Mapping) else {c: c for c in protected}
    labels = labels or {}
    result = []
    for name, column in columns.items():
        require_column(data, column, role=f"protected attribute {name!r}")
        if name in labels:
            values = np.asarray(labels[name], dtype=object)
            if len(values) != len(data):
                raise DataError(
                    f"The group labels of {name!r} have {len(values)} entries for {len(data)} "
                    f"rows; give one label per row."
                )
        else:
            raw = data[column].to_numpy()
            keys = [missing_label if pd.isna(value) else value_key(value) for value in raw]
            values = np.asarray(keys, dtype=object)
        attribute = Protected(name, column, values, (missing_label,))
        groups = attribute.groups
        if len(groups) < 2:
            only = repr(groups[0]) if groups else "none"
            raise DataError(
                f"The protected attribute {name!r} (column {column!r}) has a single group "
                f"({only}) in the {len(data)} probed rows, so there is no other value to set. "
                f"Probe rows that contain at least two groups, or remove {name!r} from the "
                f"probed attributes."
            )
        result.append(attribute)
    return result


def require_column(data: pd.DataFrame, column: str, *, role: str) -> None:
    """Raise `DataError` when `column` is not a column of `data`."""
    if column not in data.columns:
        available = [str(name) for name in data.columns]
        raise DataError(
            f"Column {column!r} ({role}) not found in the probed rows."
            f"{did_you_mean(column, available)} Available columns: {available[:30]}."
        )


def as_predictor(model: Any, favorable_label: Any) -> Any:
    """Wrap a fitted estimator or a callable as a predictor; pass predictors through."""
    if hasattr(model, "predict") and hasattr(model, "id") and hasattr(model, "kind"):
        return model
    if hasattr(model, "predict"):
        return SklearnPredictor(model, favorable_label=favorable_label)
    if callable(model):
        return CallablePredictor(model)
    raise PlanError(
        f"Cannot use {type(model).__name__} as a model; pass a fitted scikit-learn estimator, "
        f"a callable that maps a dataframe to labels, or a Predictor."
    )


def model_features(predictor: Any, declared: Sequence[str] | None = None) -> list[str] | None:
    """Return the model's feature columns: `declared`, the adapter's list, or None if unknown."""
    if declared is not None:
        return list(declared)
    features = getattr(predictor, "features", None)
    if features is not None:
        return list(features)
    estimator = getattr(predictor, "estimator", None)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return None


def favorable_decisions(labels: Any, favorable_label: Any) -> np.ndarray:
    """Return 1 where a predicted label is favorable and 0 elsewhere.

    Labels match as in the audit (``1.0`` matches ``1``). Unlike the audit's check of
    the target, a batch in which no label is favorable is valid here, because every
    counterfactual decision may be unfavorable.
    """
    favorable = favorable_label if isinstance(favorable_label, list) else [favorable_label]
    keys = {value_key(value) for value in favorable}
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    is_favorable = np.array([value_key(value) in keys for value in uniques], dtype=np.int8)
    return is_favorable[codes] if len(uniques) else np.zeros(len(codes), dtype=np.int8)


def predict_rows(
    predictor: Any, frame: pd.DataFrame, favorable_label: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the favorable decision (0 or 1) and the score, or None, of each row."""
    decisions = favorable_decisions(predictor.predict(frame), favorable_label)
    score = predictor.score(frame)
    if score is not None:
        score = np.asarray(score, dtype=float)
    return decisions, score


def describe_error(error: Exception) -> str:
    """Return an exception as ``Type: message`` on one line, shortened to 300 characters."""
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def predict_counterfactuals(
    predictor: Any,
    changed: Any,
    favorable_label: Any,
    *,
    cell: dict[str, Any],
    failures: list[dict[str, Any]],
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Predict counterfactual rows, or record the model's failure on them and return None.

    Any exception from the user's model is caught, logged and added to `failures` with the
    row count, so that one failing counterfactual cell leaves the rest of the probe intact.
    """
    try:
        return predict_rows(predictor, changed, favorable_label)
    except Exception as error:  # any failure of the user's model is reported
        logger.warning("model failed on %d counterfactual rows (%s): %s", len(changed), cell, error)
        failures.append({**cell, "rows": len(changed), "error": describe_error(error)})
        return None
