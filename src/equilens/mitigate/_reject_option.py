"""Reject-option classification (Kamiran, Karim and Zhang, 2012).

In a band of scores around the decision threshold, where the classifier is least sure,
the unprivileged rows get the favorable label and the privileged rows the unfavorable
one. The threshold and the band's half-width are chosen on validation scores: the pair
with the highest balanced accuracy among those that keep the disparity within a bound.
The search grid, the band and the disparities are those of AIF360's
``RejectOptionClassification`` (aif360 0.6.1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

logger = logging.getLogger(__name__)

REJECT_OPTION_CONSTRAINTS = ("demographic_parity", "equalized_odds", "true_positive_rate_parity")


def privileged_rows(sensitive_features, privileged_group: Any) -> np.ndarray:
    """Return a mask of the rows in the privileged group.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_rows,) or dataframe
        Group values.
    privileged_group : scalar or mapping of column to value
        For one column, the privileged value. For a dataframe, a value per column, and a
        row is privileged when it matches every listed column.
    """
    if isinstance(privileged_group, Mapping):
        frame = pd.DataFrame(sensitive_features)
        missing = [column for column in privileged_group if column not in frame.columns]
        if missing:
            raise ValueError(
                f"privileged_group names columns {missing} that are not in sensitive_features "
                f"(columns: {list(frame.columns)})"
            )
        mask = np.ones(len(frame), dtype=bool)
        for column, value in privileged_group.items():
            mask &= frame[column].astype(str).to_numpy() == str(value)
        return mask
    frame = pd.DataFrame(sensitive_features)
    if frame.shape[1] != 1:
        raise ValueError(
            "privileged_group must map column names to values when sensitive_features has "
            f"{frame.shape[1]} columns"
        )
    return frame.iloc[:, 0].astype(str).to_numpy() == str(privileged_group)


def _rates(y_true: np.ndarray, y_pred: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Return selection rate, TPR, FPR and TNR of the rows in `rows`, per prediction vector.

    `y_pred` has shape (n_candidates, n_rows); the rates have shape (n_candidates,).
    """
    positives = rows & (y_true == 1)
    negatives = rows & (y_true == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": y_pred[:, rows].mean(axis=1),
            "tpr": y_pred[:, positives].sum(axis=1) / positives.sum(),
            "fpr": y_pred[:, negatives].sum(axis=1) / negatives.sum(),
            "tnr": (1 - y_pred[:, negatives]).sum(axis=1) / negatives.sum(),
        }


def band_disparity(
    y_true: np.ndarray, y_pred: np.ndarray, privileged: np.ndarray, constraint: str
) -> np.ndarray:
    """Return the unprivileged-minus-privileged disparity of each prediction vector.

    ``demographic_parity`` is the selection-rate difference, ``true_positive_rate_parity``
    the TPR difference, and ``equalized_odds`` the mean of the TPR and FPR differences
    (AIF360's average odds difference).
    """
    unprivileged = _rates(y_true, y_pred, ~privileged)
    reference = _rates(y_true, y_pred, privileged)
    if constraint == "demographic_parity":
        return unprivileged["selection_rate"] - reference["selection_rate"]
    if constraint == "true_positive_rate_parity":
        return unprivileged["tpr"] - reference["tpr"]
    return 0.5 * (
        (unprivileged["fpr"] - reference["fpr"]) + (unprivileged["tpr"] - reference["tpr"])
    )


def apply_band(
    scores: np.ndarray, privileged: np.ndarray, threshold: float, margin: float
) -> np.ndarray:
    """Return 0/1 decisions: favorable above `threshold`, flipped by group inside the band.

    The band is ``threshold - margin < score <= threshold + margin``.
    """
    decisions = (scores > threshold).astype(np.int8)
    band = (scores <= threshold + margin) & (scores > threshold - margin)
    decisions[band & privileged] = 0
    decisions[band & ~privileged] = 1
    return decisions


def search_band(
    scores: np.ndarray,
    y_true: np.ndarray,
    privileged: np.ndarray,
    *,
    constraint: str = "demographic_parity",
    bound: float = 0.05,
    low_threshold: float = 0.01,
    high_threshold: float = 0.99,
    n_thresholds: int = 100,
    n_margins: int = 50,
) -> dict[str, Any]:
    """Choose the threshold and band half-width on validation scores.

    Every threshold of ``linspace(low_threshold, high_threshold, n_thresholds)`` is paired
    with every half-width of ``linspace(0, min(t, 1 - t), n_margins)``. Among the pairs
    whose disparity lies within ``[-bound, bound]``, the first with the highest balanced
    accuracy wins. When no pair meets the bound, the pair with the smallest absolute
    disparity wins (AIF360 takes the smallest signed disparity instead).

    Returns
    -------
    dict
        ``threshold``, ``margin``, ``disparity``, ``balanced_accuracy`` and
        ``constraint_met`` of the chosen pair.
    """
    y_true = np.asarray(y_true).astype(np.int8)
    privileged = np.asarray(privileged, dtype=bool)
    if privileged.all() or not privileged.any():
        raise ValueError(
            "reject-option classification needs privileged and unprivileged rows in the "
            f"validation data, but {'all' if privileged.all() else 'none'} of the "
            f"{len(privileged)} rows are privileged"
        )
    thresholds, margins, disparities, accuracies = [], [], [], []
    for threshold in np.linspace(low_threshold, high_threshold, n_thresholds):
        high_margin = threshold if threshold <= 0.5 else 1.0 - threshold
        candidates = np.linspace(0.0, high_margin, n_margins)
        decisions = np.stack(
            [apply_band(scores, privileged, threshold, margin) for margin in candidates]
        )
        overall = _rates(y_true, decisions, np.ones(len(y_true), dtype=bool))
        thresholds.append(np.full(n_margins, threshold))
        margins.append(candidates)
        disparities.append(band_disparity(y_true, decisions, privileged, constraint))
        accuracies.append(0.5 * (overall["tpr"] + overall["tnr"]))
    thresholds, margins = np.concatenate(thresholds), np.concatenate(margins)
    disparities, accuracies = np.concatenate(disparities), np.concatenate(accuracies)

    feasible = (disparities >= -bound) & (disparities <= bound)
    if feasible.any():
        best = int(np.flatnonzero(feasible)[np.argmax(accuracies[feasible])])
    else:
        best = int(np.nanargmin(np.abs(disparities)))
        logger.warning(
            "no reject-option band keeps the %s disparity within %.3f; using the smallest, %.3f",
            constraint,
            bound,
            disparities[best],
        )
    return {
        "threshold": float(thresholds[best]),
        "margin": float(margins[best]),
        "disparity": float(disparities[best]),
        "balanced_accuracy": float(accuracies[best]),
        "constraint_met": bool(feasible.any()),
    }


class RejectOptionClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Reject-option classification around a fitted classifier's favorable-class score.

    Labels must be 0 and 1, with 1 the favorable outcome. Unless `prefit` is set, the
    band is chosen on out-of-fold scores of the training rows (``cv`` stratified folds),
    and the classifier used for prediction is then fitted on every training row.

    Parameters
    ----------
    estimator : classifier
        Classifier with ``predict_proba``.
    privileged_group : scalar or mapping of column to value
        See `privileged_rows`; every other row is unprivileged.
    constraint : {"demographic_parity", "equalized_odds", "true_positive_rate_parity"}
        Disparity kept within `bound` on the validation scores.
    bound : float
        Largest absolute disparity allowed.
    cv : int
        Number of folds for the out-of-fold validation scores.
    prefit : bool
        `estimator` is already fitted and the rows passed to `fit` are validation rows.
    low_threshold, high_threshold, n_thresholds, n_margins
        The search grid of `search_band`.
    random_state : int, optional
        Seed of the fold assignment.

    Attributes
    ----------
    estimator_ : classifier
        The classifier whose scores are banded.
    threshold_, margin_ : float
        The chosen threshold and band half-width.
    validation_ : dict
        The disparity and balanced accuracy of the chosen pair on the validation scores,
        and whether the bound was met.
    """

    def __init__(
        self,
        estimator,
        *,
        privileged_group: Any,
        constraint: str = "demographic_parity",
        bound: float = 0.05,
        cv: int = 3,
        prefit: bool = False,
        low_threshold: float = 0.01,
        high_threshold: float = 0.99,
        n_thresholds: int = 100,
        n_margins: int = 50,
        random_state: int | None = None,
    ):
        self.estimator = estimator
        self.privileged_group = privileged_group
        self.constraint = constraint
        self.bound = bound
        self.cv = cv
        self.prefit = prefit
        self.low_threshold = low_threshold
        self.high_threshold = high_threshold
        self.n_thresholds = n_thresholds
        self.n_margins = n_margins
        self.random_state = random_state

    def fit(self, X, y, *, sensitive_features):
        """Choose the band on validation scores and keep the classifier that scores."""
        if self.constraint not in REJECT_OPTION_CONSTRAINTS:
            raise ValueError(
                f"constraint {self.constraint!r} is not supported; use one of "
                f"{list(REJECT_OPTION_CONSTRAINTS)}"
            )
        y = np.asarray(y).astype(int)
        if not set(np.unique(y)) <= {0, 1}:
            raise ValueError(f"labels must be 0 and 1, got {sorted(set(np.unique(y)))}")
        if not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"{type(self.estimator).__name__} has no predict_proba, and reject-option "
                f"classification needs scores"
            )

        if self.prefit:
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            scores = self._favorable_scores(self.estimator_, X)
        else:
            folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
            probabilities = cross_val_predict(
                clone(self.estimator), X, y, cv=folds, method="predict_proba"
            )
            scores = probabilities[:, 1]
            self.estimator_ = clone(self.estimator).fit(X, y)

        privileged = privileged_rows(sensitive_features, self.privileged_group)
        self.validation_ = search_band(
            scores,
            y,
            privileged,
            constraint=self.constraint,
            bound=self.bound,
            low_threshold=self.low_threshold,
            high_threshold=self.high_threshold,
            n_thresholds=self.n_thresholds,
            n_margins=self.n_margins,
        )
        self.threshold_ = self.validation_["threshold"]
        self.margin_ = self.validation_["margin"]
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X, *, sensitive_features):
        """Return 0/1 decisions with the chosen band applied."""
        check_is_fitted(self)
        scores = self._favorable_scores(self.estimator_, X)
        privileged = privileged_rows(sensitive_features, self.privileged_group)
        return apply_band(scores, privileged, self.threshold_, self.margin_)

    @staticmethod
    def _favorable_scores(estimator, X) -> np.ndarray:
        classes = [int(label) for label in estimator.classes_]
        return estimator.predict_proba(X)[:, classes.index(1)]
