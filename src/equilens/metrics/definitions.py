"""Group metrics computed from confusion counts.

Every metric is a function of the four confusion counts of a group, vectorised over any
leading shape so that the same code serves point estimates and bootstrap replicates. The
favorable label is the positive class. A metric whose denominator is zero is undefined:
it is NaN inside the arrays, and each metric carries the reason reported in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from equilens.errors import did_you_mean

Counts = np.ndarray
CountFunction = Callable[[Counts, Counts, Counts, Counts], Counts]


@dataclass(frozen=True)
class Metric:
    """A group metric.

    Attributes
    ----------
    name : str
        Canonical name, as used in plans and findings.json.
    title : str
        Name shown in reports.
    numerator, denominator : callable or None
        For a proportion, functions of ``(tn, fp, fn, tp)`` giving its two counts; these
        drive the two-proportion tests and Wilson intervals.
    compute : callable or None
        For a metric that is not a proportion, a function of ``(tn, fp, fn, tp)``.
    undefined_reason : str
        Why the metric has no value when its denominator is zero.
    needs_score : bool
        True for metrics computed from scores rather than from decisions.
    """

    name: str
    title: str
    undefined_reason: str
    numerator: CountFunction | None = None
    denominator: CountFunction | None = None
    compute: CountFunction | None = None
    needs_score: bool = False

    @property
    def is_proportion(self) -> bool:
        return self.numerator is not None

    def __call__(self, tn: Counts, fp: Counts, fn: Counts, tp: Counts) -> np.ndarray:
        """Return the metric for confusion counts, NaN where it is undefined."""
        if self.numerator is not None:
            return _divide(self.numerator(tn, fp, fn, tp), self.denominator(tn, fp, fn, tp))
        if self.compute is None:
            raise TypeError(f"metric {self.name!r} is computed from scores, not from counts")
        return self.compute(tn, fp, fn, tp)


def _divide(numerator: Counts, denominator: Counts) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _balanced_accuracy(tn: Counts, fp: Counts, fn: Counts, tp: Counts) -> np.ndarray:
    return (_divide(tp, tp + fn) + _divide(tn, tn + fp)) / 2


def _f1_score(tn: Counts, fp: Counts, fn: Counts, tp: Counts) -> np.ndarray:
    return _divide(2 * tp, 2 * tp + fp + fn)


def _total(tn, fp, fn, tp):
    return tn + fp + fn + tp


_NO_ROWS = "group is empty"
_NO_POSITIVES = "no actual positives in group"
_NO_NEGATIVES = "no actual negatives in group"
_NO_PREDICTED_POSITIVES = "no predicted positives in group"
_NO_PREDICTED_NEGATIVES = "no predicted negatives in group"

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric(
            "selection_rate",
            "Selection rate",
            _NO_ROWS,
            numerator=lambda tn, fp, fn, tp: tp + fp,
            denominator=_total,
        ),
        Metric(
            "true_positive_rate",
            "True positive rate",
            _NO_POSITIVES,
            numerator=lambda tn, fp, fn, tp: tp,
            denominator=lambda tn, fp, fn, tp: tp + fn,
        ),
        Metric(
            "false_positive_rate",
            "False positive rate",
            _NO_NEGATIVES,
            numerator=lambda tn, fp, fn, tp: fp,
            denominator=lambda tn, fp, fn, tp: fp + tn,
        ),
        Metric(
            "false_negative_rate",
            "False negative rate",
            _NO_POSITIVES,
            numerator=lambda tn, fp, fn, tp: fn,
            denominator=lambda tn, fp, fn, tp: tp + fn,
        ),
        Metric(
            "true_negative_rate",
            "True negative rate",
            _NO_NEGATIVES,
            numerator=lambda tn, fp, fn, tp: tn,
            denominator=lambda tn, fp, fn, tp: fp + tn,
        ),
        Metric(
            "positive_predictive_value",
            "Positive predictive value",
            _NO_PREDICTED_POSITIVES,
            numerator=lambda tn, fp, fn, tp: tp,
            denominator=lambda tn, fp, fn, tp: tp + fp,
        ),
        Metric(
            "negative_predictive_value",
            "Negative predictive value",
            _NO_PREDICTED_NEGATIVES,
            numerator=lambda tn, fp, fn, tp: tn,
            denominator=lambda tn, fp, fn, tp: tn + fn,
        ),
        Metric(
            "false_discovery_rate",
            "False discovery rate",
            _NO_PREDICTED_POSITIVES,
            numerator=lambda tn, fp, fn, tp: fp,
            denominator=lambda tn, fp, fn, tp: tp + fp,
        ),
        Metric(
            "false_omission_rate",
            "False omission rate",
            _NO_PREDICTED_NEGATIVES,
            numerator=lambda tn, fp, fn, tp: fn,
            denominator=lambda tn, fp, fn, tp: tn + fn,
        ),
        Metric(
            "accuracy",
            "Accuracy",
            _NO_ROWS,
            numerator=lambda tn, fp, fn, tp: tp + tn,
            denominator=_total,
        ),
        Metric(
            "balanced_accuracy",
            "Balanced accuracy",
            "group lacks actual positives or actual negatives",
            compute=_balanced_accuracy,
        ),
        Metric(
            "f1_score",
            "F1 score",
            "no actual or predicted positives in group",
            compute=_f1_score,
        ),
        Metric(
            "auc",
            "ROC AUC",
            "group lacks actual positives or actual negatives",
            needs_score=True,
        ),
        Metric("mean_score", "Mean score", _NO_ROWS, needs_score=True),
    ]
}

ALIASES = {
    "approval_rate": "selection_rate",
    "tpr": "true_positive_rate",
    "recall": "true_positive_rate",
    "fpr": "false_positive_rate",
    "fnr": "false_negative_rate",
    "tnr": "true_negative_rate",
    "ppv": "positive_predictive_value",
    "precision": "positive_predictive_value",
    "npv": "negative_predictive_value",
    "fdr": "false_discovery_rate",
    "for": "false_omission_rate",
    "f1": "f1_score",
    "roc_auc": "auc",
}


def canonical_metric_name(name: str) -> str:
    """Return the canonical name of a metric or one of its aliases.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known metrics.
    """
    key = name.strip().lower()
    if key in METRICS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    raise ValueError(
        f"unknown metric {name!r}.{did_you_mean(key, [*METRICS, *ALIASES])} "
        f"Known metrics: {', '.join(METRICS)}"
    )
