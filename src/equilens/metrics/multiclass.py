"""Multiclass metrics by group: confusion matrices, per-class recall and top confusions.

For emotion labels, a single accuracy hides which emotions a model misreads for whom.
These functions count, per group, every (gold label, predicted label) pair in one pass,
then derive per-class recall (one-vs-rest), the most frequent confusions (for example
anger read as neutral) and, for each frequent confusion, how its rate differs between
each group and the reference group. Proportions carry Wilson intervals, differences
Newcombe's hybrid score interval; tests are two-proportion z-tests (Fisher's exact test
for small counts) adjusted across the whole comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equilens.stats.intervals import newcombe_interval, wilson_interval
from equilens.stats.significance import TestResult, adjust_p_values, compare_proportions


@dataclass(frozen=True)
class ConfusionCounts:
    """Counts of (gold label, predicted label) pairs per group of one attribute.

    Attributes
    ----------
    attribute : str
        The grouping attribute.
    groups : list of str
        Group labels, in the order of the first axis of `counts`.
    true_labels, predicted_labels : list of str
        Gold and predicted labels, in the order of the second and third axes. They may
        differ, e.g. gold emotions against a sentiment model's labels.
    counts : numpy.ndarray of shape (n_groups, n_true, n_predicted)
        Row counts.
    """

    attribute: str
    groups: list[str]
    true_labels: list[str]
    predicted_labels: list[str]
    counts: np.ndarray

    def matrix(self, group: str) -> np.ndarray:
        """Return the confusion matrix of one group (gold labels by predicted labels)."""
        return self.counts[self.groups.index(group)]


def confusion_by_group(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    groups: Sequence[Any],
    *,
    attribute: str = "group",
    true_labels: Sequence[str] | None = None,
    predicted_labels: Sequence[str] | None = None,
) -> ConfusionCounts:
    """Count gold and predicted label pairs per group with one `numpy.bincount`.

    Parameters
    ----------
    y_true, y_pred, groups : sequence
        Gold label, predicted label and group of each row; labels are compared as text.
    attribute : str
        Name of the grouping.
    true_labels, predicted_labels : sequence of str, optional
        Label orders; by default the sorted labels that occur.

    Raises
    ------
    ValueError
        When the inputs differ in length or a label is missing from a given order.
    """
    true = np.asarray([str(value) for value in y_true], dtype=object)
    predicted = np.asarray([str(value) for value in y_pred], dtype=object)
    group = np.asarray([str(value) for value in groups], dtype=object)
    if not len(true) == len(predicted) == len(group):
        raise ValueError(
            f"y_true, y_pred and groups need one value per row; lengths are {len(true)}, "
            f"{len(predicted)} and {len(group)}"
        )
    group_labels = sorted(set(group))
    true_order = list(true_labels) if true_labels is not None else sorted(set(true))
    predicted_order = (
        list(predicted_labels) if predicted_labels is not None else sorted(set(predicted))
    )
    true_codes = _codes(true, true_order, name="true_labels")
    predicted_codes = _codes(predicted, predicted_order, name="predicted_labels")
    group_codes = _codes(group, group_labels, name="groups")
    shape = (len(group_labels), len(true_order), len(predicted_order))
    cells = np.ravel_multi_index((group_codes, true_codes, predicted_codes), shape)
    counts = np.bincount(cells, minlength=int(np.prod(shape))).reshape(shape)
    return ConfusionCounts(attribute, group_labels, true_order, predicted_order, counts)


def _codes(values: np.ndarray, order: list[str], *, name: str) -> np.ndarray:
    index = {label: code for code, label in enumerate(order)}
    unknown = sorted(set(values) - set(index))
    if unknown:
        raise ValueError(f"{name} lacks the labels {unknown[:5]} that occur in the data")
    return np.array([index[value] for value in values], dtype=np.int64)


def class_recall(counts: ConfusionCounts, group: str, *, level: float) -> dict[str, Any]:
    """Return, per gold label, the share of its rows predicted as that label."""
    matrix = counts.matrix(group)
    result = {}
    for row, label in enumerate(counts.true_labels):
        total = int(matrix[row].sum())
        if label not in counts.predicted_labels:
            result[label] = {"value": None, "ci": None, "reason": "the model never gives it"}
            continue
        hits = int(matrix[row, counts.predicted_labels.index(label)])
        result[label] = proportion(hits, total, level=level, reason="no rows with this label")
    return result


def top_confusions(
    counts: ConfusionCounts, group: str | None, *, k: int, level: float
) -> list[dict[str, Any]]:
    """Return the `k` most frequent (gold, predicted) pairs with different labels.

    `group` None pools every group. ``rate`` is the share of the gold label's rows
    that got the predicted label.
    """
    matrix = counts.counts.sum(axis=0) if group is None else counts.matrix(group)
    entries = []
    for row, true_label in enumerate(counts.true_labels):
        total = int(matrix[row].sum())
        for column, predicted_label in enumerate(counts.predicted_labels):
            count = int(matrix[row, column])
            if predicted_label == true_label or count == 0:
                continue
            entries.append(
                {
                    "true": true_label,
                    "predicted": predicted_label,
                    "count": count,
                    "rate": proportion(count, total, level=level, reason="no rows"),
                }
            )
    entries.sort(key=lambda entry: (-entry["count"], entry["true"], entry["predicted"]))
    return entries[:k]


def multiclass_report(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    groups: Mapping[str, Sequence[Any]],
    *,
    references: Mapping[str, str],
    level: float,
    multiple_testing: str,
    top_k: int = 5,
) -> dict[str, Any]:
    """Report per-group confusion matrices, recall per class and frequent confusion gaps.

    Parameters
    ----------
    y_true, y_pred : sequence
        Gold and predicted labels of each row.
    groups : mapping of str to sequence
        Group of each row, per attribute.
    references : mapping of str to str
        Reference group per attribute; the largest group where missing.
    level : float
        Confidence level of the intervals.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Correction across every gap test of the report.
    top_k : int
        Confusions listed per group and compared across groups.

    Returns
    -------
    dict
        The ``multiclass`` entry of findings.json ``probes``.
    """
    attributes = []
    tests: list[TestResult] = []
    for attribute, values in groups.items():
        counts = confusion_by_group(y_true, y_pred, values, attribute=attribute)
        sizes = counts.counts.sum(axis=(1, 2))
        reference = references.get(attribute)
        if reference not in counts.groups:
            reference = counts.groups[int(np.argmax(sizes))]
        entries = []
        for position, group in enumerate(counts.groups):
            matrix = counts.counts[position]
            correct = sum(
                int(matrix[row, counts.predicted_labels.index(label)])
                for row, label in enumerate(counts.true_labels)
                if label in counts.predicted_labels
            )
            entries.append(
                {
                    "group": group,
                    "n": int(sizes[position]),
                    "accuracy": proportion(
                        correct, int(sizes[position]), level=level, reason="no rows"
                    ),
                    "recall": class_recall(counts, group, level=level),
                    "top_confusions": top_confusions(counts, group, k=top_k, level=level),
                    "confusion_matrix": matrix.tolist(),
                }
            )
        gaps = _confusion_gaps(counts, reference, top_k=top_k, level=level, tests=tests)
        attributes.append(
            {
                "attribute": attribute,
                "reference": reference,
                "true_labels": counts.true_labels,
                "predicted_labels": counts.predicted_labels,
                "groups": entries,
                "confusion_gaps": gaps,
            }
        )
    tested = [test for test in tests if test.p_value is not None]
    adjusted = dict(
        zip(
            map(id, tested),
            adjust_p_values([test.p_value for test in tested], method=multiple_testing),
            strict=True,
        )
    )
    for attribute in attributes:
        for gap in attribute["confusion_gaps"]:
            test = gap["test"]
            gap["test"] = {
                "test": test.test,
                "p_value": test.p_value,
                "p_adjusted": adjusted.get(id(test)),
                **({"reason": test.reason} if test.reason else {}),
            }
    alpha = 1 - level
    return {
        "rows": len(y_true),
        "tests": len(tested),
        "significant_tests": sum(1 for value in adjusted.values() if value < alpha),
        "attributes": attributes,
    }


def _confusion_gaps(
    counts: ConfusionCounts, reference: str, *, top_k: int, level: float, tests: list[TestResult]
) -> list[dict[str, Any]]:
    gaps = []
    ref = counts.groups.index(reference)
    for confusion in top_confusions(counts, None, k=top_k, level=level):
        row = counts.true_labels.index(confusion["true"])
        column = counts.predicted_labels.index(confusion["predicted"])
        ref_hits = int(counts.counts[ref, row, column])
        ref_total = int(counts.counts[ref, row].sum())
        for position, group in enumerate(counts.groups):
            if position == ref:
                continue
            hits = int(counts.counts[position, row, column])
            total = int(counts.counts[position, row].sum())
            test = compare_proportions(hits, total, ref_hits, ref_total)
            tests.append(test)
            gaps.append(
                {
                    "true": confusion["true"],
                    "predicted": confusion["predicted"],
                    "group": group,
                    "reference": reference,
                    "rate": proportion(hits, total, level=level, reason="no rows with this label"),
                    "reference_rate": proportion(
                        ref_hits, ref_total, level=level, reason="no rows with this label"
                    ),
                    "difference": _difference(hits, total, ref_hits, ref_total, level=level),
                    "test": test,
                }
            )
    return gaps


def proportion(successes: int, trials: int, *, level: float, reason: str) -> dict[str, Any]:
    """Return a proportion with its Wilson interval, or null with `reason` when 0/0."""
    if trials == 0:
        return {"value": None, "ci": None, "reason": reason}
    lower, upper = wilson_interval(int(successes), int(trials), level=level)
    return {"value": successes / trials, "ci": [lower, upper], "ci_method": "wilson"}


def _difference(hits: int, total: int, ref_hits: int, ref_total: int, *, level: float) -> dict:
    if total == 0 or ref_total == 0:
        return {"value": None, "ci": None, "reason": "a group has no rows with this label"}
    lower, upper = newcombe_interval(hits, total, ref_hits, ref_total, level=level)
    value = hits / total - ref_hits / ref_total
    return {"value": value, "ci": [lower, upper], "ci_method": "newcombe"}


def confusion_frame(counts: ConfusionCounts, group: str) -> pd.DataFrame:
    """Return one group's confusion matrix as a labelled DataFrame."""
    return pd.DataFrame(
        counts.matrix(group), index=counts.true_labels, columns=counts.predicted_labels
    )
