"""Counting engine for data held in memory as NumPy arrays.

The rows are read once: every protected attribute is factorised, the codes are combined
into one cell code per row, and a single `np.bincount` counts every cell by actual label,
predicted label and score bin. Each attribute and each intersection is then a sum over
the small table of cells, so no code loops over rows or filters the data group by group.
Only the exact AUC needs a sort of the rows per grouping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from equilens.engines.counts import GroupCounts

MAX_SCORE_BINS = 100
# Largest full cross-tabulation (cells x labels x score bins) built without compaction.
DENSE_CELL_LIMIT = 2**22


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
    if score is not None:
        edges = score_bin_edges(score)
        score_bin = np.searchsorted(edges, score, side="right")
        n_bins = len(edges) + 1
    else:
        score_bin = 0
        n_bins = 1

    cell, cell_codes = _cells(attributes, n_bins=n_bins)
    n_cells = cell_codes.shape[1]
    code = ((cell * 2 + y_true) * 2 + y_pred) * n_bins + score_bin
    shape = (n_cells, 2, 2, n_bins)
    table = np.bincount(code, minlength=n_cells * 4 * n_bins).reshape(shape)
    if score is not None:
        sums = np.bincount(code, weights=score, minlength=n_cells * 4 * n_bins).reshape(shape)
        sumsq = np.bincount(cell, weights=score * score, minlength=n_cells)

    names = [attribute.name for attribute in attributes]
    results = {}
    for grouping in groupings:
        axes = [names.index(name) for name in grouping]
        # Groups are the distinct code combinations of occupied cells, in lexicographic
        # order of the attributes' codes, so that empty combinations never appear.
        occupied = np.flatnonzero(table.sum(axis=(1, 2, 3)) > 0)
        combinations, group_of_cell = np.unique(
            cell_codes[np.ix_(axes, occupied)].T, axis=0, return_inverse=True
        )
        group_of_cell = group_of_cell.ravel()
        labels = [
            tuple(attributes[axis].labels[code] for axis, code in zip(axes, row, strict=True))
            for row in combinations.tolist()
        ]
        group_table = _sum_by_group(table[occupied], group_of_cell, len(labels))

        if score is None:
            results[grouping] = GroupCounts(grouping, labels, group_table)
            continue

        cell_group = np.full(n_cells, -1, dtype=np.int64)
        cell_group[occupied] = group_of_cell
        results[grouping] = GroupCounts(
            grouping,
            labels,
            group_table,
            score_sums=_sum_by_group(sums[occupied], group_of_cell, len(labels)),
            score_sumsq=np.bincount(group_of_cell, weights=sumsq[occupied], minlength=len(labels)),
            auc=grouped_auc(cell_group[cell], y_true, score, n_groups=len(labels)),
        )
    return results


def _cells(attributes: Sequence[EncodedAttribute], *, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine the attributes' codes into one cell code per row.

    Returns the row cell codes and an array of shape (n_attributes, n_cells) with each
    attribute's code in every cell. When the full cross-product of the attributes is
    small, it is used as is. Otherwise only the combinations that occur are numbered, so
    that many attributes or many values never allocate a table of every combination.
    """
    sizes = [len(attribute.labels) for attribute in attributes]
    if math.prod(sizes) * 4 * n_bins <= DENSE_CELL_LIMIT:
        cell = np.zeros(len(attributes[0].codes), dtype=np.int64)
        for attribute, size in zip(attributes, sizes, strict=True):
            cell = cell * size + attribute.codes
        return cell, np.indices(sizes).reshape(len(sizes), -1)

    stacked = np.stack([attribute.codes for attribute in attributes], axis=1)
    cell_codes, cell = np.unique(stacked, axis=0, return_inverse=True)
    return cell.ravel().astype(np.int64), cell_codes.T


def _sum_by_group(cells: np.ndarray, group_of_cell: np.ndarray, n_groups: int) -> np.ndarray:
    totals = np.zeros((n_groups, *cells.shape[1:]), dtype=cells.dtype)
    np.add.at(totals, group_of_cell, cells)
    return totals


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
