"""Area under the ROC curve with a stratified bootstrap interval drawn on score counts."""

from __future__ import annotations

import numpy as np

from equilens.metrics.table import Estimate
from equilens.stats.intervals import percentile_interval

# Upper bound on the elements of one chunk of bootstrap replicates, to bound memory.
_CHUNK_ELEMENTS = 4_000_000


def auc_estimate(
    positive: np.ndarray,
    score: np.ndarray,
    *,
    level: float,
    replicates: int,
    rng: np.random.Generator,
) -> Estimate:
    """Return the AUC of `score` for the rows where `positive` is true, with an interval.

    The AUC is the Mann-Whitney probability that a positive row scores above a negative
    one, ties counting one half. The interval is a percentile bootstrap that resamples
    positives and negatives separately, so each replicate keeps both class sizes. As in
    the audit's own bootstrap, replicates are multinomial draws on the counts of each
    distinct score, which equals resampling rows and costs replicates x distinct scores.
    """
    positive = np.asarray(positive, dtype=bool)
    values, inverse = np.unique(np.asarray(score, dtype=float), return_inverse=True)
    positives = np.bincount(inverse[positive], minlength=len(values))
    negatives = np.bincount(inverse[~positive], minlength=len(values))
    n_positive, n_negative = int(positives.sum()), int(negatives.sum())
    if n_positive == 0 or n_negative == 0:
        return Estimate.undefined("the group or the rest of the rows is empty")

    value = float(histogram_auc(positives, negatives))
    if replicates == 0:
        return Estimate(value, ci_reason="no bootstrap requested")

    chunk = max(1, _CHUNK_ELEMENTS // len(values))
    draws = []
    for start in range(0, replicates, chunk):
        size = min(chunk, replicates - start)
        drawn_positives = rng.multinomial(n_positive, positives / n_positive, size=size)
        drawn_negatives = rng.multinomial(n_negative, negatives / n_negative, size=size)
        draws.append(histogram_auc(drawn_positives, drawn_negatives))
    lower, upper = percentile_interval(np.concatenate(draws), level=level)
    if not lower < upper:
        return Estimate(value, ci_reason="bootstrap distribution degenerate")
    return Estimate(value, (float(lower), float(upper)), "bootstrap")


def histogram_auc(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Return the AUC from counts of positives and negatives per distinct score.

    Parameters
    ----------
    positives, negatives : ndarray of shape (..., n_scores)
        Counts per distinct score, scores in increasing order along the last axis.
    """
    negatives_below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (negatives_below + 0.5 * negatives)).sum(axis=-1)
    return wins / (positives.sum(axis=-1) * negatives.sum(axis=-1))
