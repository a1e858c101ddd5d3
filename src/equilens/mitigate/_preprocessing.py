"""Pre-processing mitigations: reweighing and fairlearn's correlation remover.

Both are scikit-learn meta-estimators: ``fit(X, y, sensitive_features=...)`` transforms the
training data (weights or features) and fits a clone of the wrapped classifier on it.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from fairlearn.preprocessing import CorrelationRemover
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

logger = logging.getLogger(__name__)


def group_keys(sensitive_features) -> np.ndarray:
    """Return one group label per row, joining several sensitive columns into one label.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_rows,) or (n_rows, n_columns)
        Group values; a missing value is a group of its own.
    """
    frame = pd.DataFrame(sensitive_features)
    text = frame.astype(object).where(frame.notna(), "<missing>").astype(str)
    if text.shape[1] == 1:
        return text.iloc[:, 0].to_numpy(dtype=object)
    return text.agg("\x1f".join, axis=1).to_numpy(dtype=object)


def reweighing_weights(y, sensitive_features) -> np.ndarray:
    """Compute the reweighing weight of each training row (Kamiran and Calders, 2012).

    A row of group g and label c gets ``P(g) P(c) / P(g, c) = n_g n_c / (n n_gc)``, so that
    in the weighted data the label is independent of the group. With several sensitive
    columns the groups are their intersections. AIF360's ``Reweighing`` computes the same
    weights for a privileged and an unprivileged group.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Training labels.
    sensitive_features : array-like of shape (n_rows,) or (n_rows, n_columns)
        Group of each row.

    Returns
    -------
    ndarray of shape (n_rows,)
        Positive weights whose mean is 1.
    """
    labels = pd.Series(np.asarray(y)).astype(str).to_numpy()
    groups = group_keys(sensitive_features)
    if len(labels) != len(groups):
        raise ValueError(
            f"y has {len(labels)} rows but sensitive_features has {len(groups)}; give one "
            f"group per training row"
        )
    cells = pd.DataFrame({"group": groups, "label": labels})
    n = len(cells)
    n_group = cells.groupby("group")["label"].transform("size").to_numpy(dtype=float)
    n_label = cells.groupby("label")["group"].transform("size").to_numpy(dtype=float)
    n_cell = cells.groupby(["group", "label"])["label"].transform("size").to_numpy(dtype=float)
    return n_group * n_label / (n * n_cell)


class ReweighingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on reweighed training rows (Kamiran and Calders, 2012).

    Parameters
    ----------
    estimator : classifier
        Unfitted classifier whose ``fit`` accepts ``sample_weight``.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of `estimator`.
    classes_ : ndarray
        Class labels.

    Examples
    --------
    >>> model = ReweighingClassifier(LogisticRegression())  # doctest: +SKIP
    >>> model.fit(X, y, sensitive_features=race).predict(X)  # doctest: +SKIP
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, *, sensitive_features):
        """Fit the classifier with the weights of `reweighing_weights`."""
        weights = reweighing_weights(y, sensitive_features)
        self.estimator_ = clone(self.estimator).fit(X, y, sample_weight=weights)
        self.classes_ = self.estimator_.classes_
        logger.debug("reweighing weights range from %.3f to %.3f", weights.min(), weights.max())
        return self

    def predict(self, X):
        """Return the fitted classifier's predicted labels."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """Return the fitted classifier's class probabilities."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)


class CorrelationRemoverClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Remove the features' linear correlation with the sensitive features, then classify.

    Missing feature values are imputed with the training median, the sensitive features
    are one-hot encoded, and fairlearn's ``CorrelationRemover`` replaces every feature by
    its residual after a least-squares projection on them (blended with the original by
    `alpha`). The sensitive columns are dropped before the classifier is fitted, but they
    are needed at prediction time to compute the residuals.

    Parameters
    ----------
    estimator : classifier
        Unfitted classifier.
    alpha : float
        1.0 removes all linear correlation; 0.0 leaves the features unchanged.

    Attributes
    ----------
    imputer_, encoder_, remover_ : fitted transformers
    estimator_ : classifier
        The classifier fitted on the transformed features.
    classes_ : ndarray
        Class labels.
    """

    def __init__(self, estimator, *, alpha: float = 1.0):
        self.estimator = estimator
        self.alpha = alpha

    def fit(self, X, y, *, sensitive_features):
        """Fit the imputer, encoder, correlation remover and classifier."""
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
        self.encoder_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(
            _as_columns(sensitive_features)
        )
        combined, sensitive_ids = self._combine(X, sensitive_features)
        self.remover_ = CorrelationRemover(
            sensitive_feature_ids=sensitive_ids, alpha=self.alpha
        ).fit(combined)
        self.estimator_ = clone(self.estimator).fit(self.remover_.transform(combined), y)
        self.classes_ = self.estimator_.classes_
        return self

    def transform(self, X, *, sensitive_features) -> np.ndarray:
        """Return the features with their correlation to the sensitive features removed."""
        check_is_fitted(self)
        combined, _ = self._combine(X, sensitive_features)
        return self.remover_.transform(combined)

    def predict(self, X, *, sensitive_features):
        """Return the classifier's labels for the transformed features."""
        return self.estimator_.predict(self.transform(X, sensitive_features=sensitive_features))

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X, *, sensitive_features):
        """Return the classifier's class probabilities for the transformed features."""
        transformed = self.transform(X, sensitive_features=sensitive_features)
        return self.estimator_.predict_proba(transformed)

    def _combine(self, X, sensitive_features) -> tuple[np.ndarray, list[int]]:
        features = self.imputer_.transform(X)
        encoded = self.encoder_.transform(_as_columns(sensitive_features))
        first = features.shape[1]
        return np.hstack([features, encoded]), list(range(first, first + encoded.shape[1]))


def _as_columns(sensitive_features) -> np.ndarray:
    """Return the sensitive features as a 2-D array of strings, missing values as a group."""
    frame = pd.DataFrame(sensitive_features)
    return frame.astype(object).where(frame.notna(), "<missing>").astype(str).to_numpy()
