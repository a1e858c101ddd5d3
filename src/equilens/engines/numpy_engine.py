"""Counting engine for data held in memory as NumPy arrays.

The rows are read once: every protected attribute is factorised, the codes are combined
into one cell code per row, and a single `np.bincount` builds the full cross-tabulation.
Each attribute and each intersection is then a sum over axes of that table, so no code
loops over rows or filters the data group by group. Only the exact AUC needs a sort of
the rows per grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from equilens.engines.counts import GroupCounts

MAX_SCORE_BINS = 100


@dataclass(frozen=True)
class EncodedAttribute:
    """A protected attribute as integer codes into its list of group labels."""

    name: str
    codes: np.ndarray
    labels: list[str]


def score_bin_edges(score: np.ndarray, *, max_bins: int = MAX_SCORE_BINS) -> np.ndarray:
    """Return inner bin edges at score quantiles, at most `max_bins` bins."""
    quantiles = np.linspace(0, 1, max_bins + 1)[1:-1]
    return np.unique(np.quantile(score, quantiles))


def count_groups(
    attributes: Sequence[EncodedAttribute],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    score: np.ndarray | None = None,
    groupings: Sequence[tuple[str, ...]],
) -> dict[tuple[str, ...], GroupCounts]:
    """Count every grouping in one pass over the rows.

    Parameters
    ----------
    attributes : sequence of EncodedAttribute
        The protected attributes, already factorised.
    y_true, y_pred : ndarray of shape (n_rows,)
        Actual and predicted labels, 1 for favorable and 0 otherwise.
    score : ndarray of shape (n_rows,), optional
        Scores, higher meaning more likely favorable.
    groupings : sequence of tuple of str
        Attribute names of each grouping to return, e.g. ``[("race",), ("race", "sex")]``.

    Returns
    -------
    dict
        `GroupCounts` per grouping.
    """
    sizes = [len(attribute.labels) for attribute in attributes]
    cell = np.zeros(len(y_true), dtype=np.int64)
    for attribute, size in zip(attributes, sizes, strict=True):
        cell = cell * size + attribute.codes

    if score is not None:
        edges = score_bin_edges(score)
        score_bin = np.searchsorted(edges, score, side="right")
        n_bins = len(edges) + 1
    else:
        score_bin = 0
        n_bins = 1

    n_cells = int(np.prod(sizes))
    code = ((cell * 2 + y_true) * 2 + y_pred) * n_bins + score_bin
    shape = (*sizes, 2, 2, n_bins)
    table = np.bincount(code, minlength=n_cells * 4 * n_bins).reshape(shape)
    if score is not None:
        sums = np.bincount(code, weights=score, minlength=n_cells * 4 * n_bins).reshape(shape)
        sumsq = np.bincount(cell, weights=score * score, minlength=n_cells).reshape(sizes)

    names = [attribute.name for attribute in attributes]
    results = {}
    for grouping in groupings:
        axes = [names.index(name) for name in grouping]
        other_axes = tuple(axis for axis in range(len(names)) if axis not in axes)
        group_table = _marginal(table, axes, other_axes)
        n = group_table.sum(axis=(1, 2, 3))
        present = np.flatnonzero(n > 0)
        labels = _labels(attributes, axes, present)

        if score is None:
            results[grouping] = GroupCounts(grouping, labels, group_table[present])
            continue

        group_code = np.zeros(len(y_true), dtype=np.int64)
        for axis in axes:
            group_code = group_code * sizes[axis] + attributes[axis].codes
        auc = grouped_auc(group_code, y_true, score, n_groups=len(n))
        group_sumsq = sumsq.transpose(*axes, *other_axes).reshape(len(n), -1).sum(axis=1)
        results[grouping] = GroupCounts(
            grouping,
            labels,
            group_table[present],
            score_sums=_marginal(sums, axes, other_axes)[present],
            score_sumsq=group_sumsq[present],
            auc=auc[present],
        )
    return results


def _marginal(table: np.ndarray, axes: list[int], other_axes: tuple[int, ...]) -> np.ndarray:
    summed = table.sum(axis=other_axes) if other_axes else table
    kept = sorted(axes)
    order = [kept.index(axis) for axis in axes] + [len(axes), len(axes) + 1, len(axes) + 2]
    summed = summed.transpose(order)
    return summed.reshape(-1, *summed.shape[len(axes) :])


def _labels(
    attributes: Sequence[EncodedAttribute], axes: list[int], present: np.ndarray
) -> list[tuple[str, ...]]:
    sizes = [len(attributes[axis].labels) for axis in axes]
    positions = np.unravel_index(present, sizes)
    return [
        tuple(attributes[axis].labels[int(positions[i][k])] for i, axis in enumerate(axes))
        for k in range(len(present))
    ]


def grouped_auc(
    group_code: np.ndarray, y_true: np.ndarray, score: np.ndarray, *, n_groups: int
) -> np.ndarray:
    """Return the exact ROC AUC of each group, NaN for a group lacking a class.

    The AUC is the Mann-Whitney statistic: the share of (positive, negative) pairs of the
    group in which the positive has the higher score, ties counting one half. One sort by
    group and score serves every group.
    """
    order = np.lexsort((score, group_code))
    sorted_group = group_code[order]
    sorted_score = score[order]
    positive = y_true[order].astype(np.int64)
    negative = 1 - positive

    # Blocks of rows with equal group and equal score share their ranks (ties).
    starts = np.flatnonzero(
        np.r_[
            True, (sorted_group[1:] != sorted_group[:-1]) | (sorted_score[1:] != sorted_score[:-1])
        ]
    )
    block_group = sorted_group[starts]
    block_positives = np.add.reduceat(positive, starts)
    block_negatives = np.add.reduceat(negative, starts)

    # Negatives with a lower score in the same group: a running count reset at each group.
    running = np.cumsum(block_negatives) - block_negatives
    group_start = np.r_[True, block_group[1:] != block_group[:-1]]
    offset = np.maximum.accumulate(np.where(group_start, running, 0))
    negatives_below = running - offset

    wins = block_positives * (negatives_below + 0.5 * block_negatives)
    numerator = np.bincount(block_group, weights=wins, minlength=n_groups)
    positives = np.bincount(block_group, weights=block_positives, minlength=n_groups)
    negatives = np.bincount(block_group, weights=block_negatives, minlength=n_groups)
    pairs = positives * negatives
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, numerator / np.where(pairs > 0, pairs, 1), np.nan)
