"""`GroupCounts`: the sufficient statistics of one grouping of the rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupCounts:
    """Confusion counts, score histograms and score moments for each group of a grouping.

    Every metric, interval and test of an audit is computed from these arrays, so their
    cost does not depend on the number of rows.

    Attributes
    ----------
    attributes : tuple of str
        The protected attributes that define the grouping (one for a single attribute,
        several for an intersection).
    labels : list of tuple of str
        Group labels, one tuple per group, in the order of the arrays' first axis. Groups
        with no rows are not listed.
    table : ndarray of shape (n_groups, 2, 2, n_bins)
        Row counts by actual label (0 unfavorable, 1 favorable), predicted label and score
        bin. Without scores there is a single bin.
    score_sums : ndarray of shape (n_groups, 2, 2, n_bins) or None
        Sum of the scores in each cell of `table`.
    score_sumsq : ndarray of shape (n_groups,) or None
        Sum of squared scores per group, for the variance of the mean score.
    auc : ndarray of shape (n_groups,) or None
        Exact per-group ROC AUC computed from the rows (ties count one half), NaN when a
        group lacks one of the two classes.
    """

    attributes: tuple[str, ...]
    labels: list[tuple[str, ...]]
    table: np.ndarray
    score_sums: np.ndarray | None = None
    score_sumsq: np.ndarray | None = None
    auc: np.ndarray | None = None

    @property
    def has_score(self) -> bool:
        return self.score_sums is not None

    @property
    def confusion(self) -> np.ndarray:
        """Counts of shape (n_groups, 2, 2) by actual and predicted label."""
        return self.table.sum(axis=-1)

    @property
    def n(self) -> np.ndarray:
        return self.table.sum(axis=(1, 2, 3))

    def counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return the true negative, false positive, false negative and true positive counts."""
        confusion = self.confusion
        return confusion[:, 0, 0], confusion[:, 0, 1], confusion[:, 1, 0], confusion[:, 1, 1]

    def index(self, label: tuple[str, ...]) -> int:
        """Return the position of the group with `label`."""
        return self.labels.index(tuple(label))
