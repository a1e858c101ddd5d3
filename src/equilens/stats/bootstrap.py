"""Bootstrap replicates drawn on the counts instead of on the rows.

Resampling the rows of one group with replacement, its size fixed, is the same as a
multinomial draw of that group's size over its cells (actual label x predicted label x
score bin) with the observed cell shares as probabilities. Drawing on the counts makes the
cost groups x cells x replicates, independent of the number of rows.
"""

from __future__ import annotations

import zlib

import numpy as np

from equilens.engines.counts import GroupCounts
from equilens.metrics import METRICS


def grouping_rng(seed: int, attributes: tuple[str, ...]) -> np.random.Generator:
    """Return a generator for one grouping that depends only on the seed and its attributes.

    A grouping's intervals then stay the same when other attributes are added to the plan.
    """
    key = zlib.crc32("\x1f".join(attributes).encode("utf-8"))
    return np.random.default_rng([seed, key])


def replicate_metrics(
    counts: GroupCounts, metric_names: list[str], *, replicates: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Return bootstrap replicates of each metric, an array of shape (replicates, n_groups).

    Each group is resampled with its size held fixed. Score metrics use the binned score
    table: the AUC of a replicate treats scores within one bin as tied, and the mean score
    uses each cell's mean score.
    """
    n_groups = len(counts.labels)
    score_names = [name for name in metric_names if name in ("auc", "mean_score")]
    results = {name: np.empty((replicates, n_groups)) for name in score_names}
    confusion = np.empty((replicates, n_groups, 2, 2), dtype=np.int64)

    # One draw per group, in group order, so that the replicates depend only on the seed.
    # Score metrics need each group's binned draws; the other metrics need only the
    # confusion counts and are computed for every group at once below.
    for g in range(n_groups):
        table = counts.table[g]
        n = int(table.sum())
        draws = rng.multinomial(n, table.ravel() / n, size=replicates).reshape(
            replicates, *table.shape
        )
        confusion[:, g] = draws.sum(axis=-1)
        for name in score_names:
            results[name][:, g] = _score_metric(draws, counts, g, name)

    tn, fp, fn, tp = (
        confusion[..., 0, 0],
        confusion[..., 0, 1],
        confusion[..., 1, 0],
        confusion[..., 1, 1],
    )
    for name in metric_names:
        if name not in score_names:
            results[name] = METRICS[name](tn, fp, fn, tp)
    results["base_rate"] = (fn + tp) / (tn + fp + fn + tp)
    return results


def _score_metric(tables: np.ndarray, counts: GroupCounts, group: int, name: str) -> np.ndarray:
    if name == "auc":
        return binned_auc(tables)
    cell_mean = _cell_means(counts, group)
    return (tables * cell_mean).sum(axis=(1, 2, 3)) / tables.sum(axis=(1, 2, 3))


def _cell_means(counts: GroupCounts, group: int) -> np.ndarray:
    table = counts.table[group]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(table > 0, counts.score_sums[group] / np.where(table > 0, table, 1), 0.0)


def binned_auc(tables: np.ndarray) -> np.ndarray:
    """Return the AUC of score histograms, scores in one bin counting as tied.

    Parameters
    ----------
    tables : ndarray of shape (..., 2, 2, n_bins)
        Counts by actual label, predicted label and score bin (bins in increasing order).
    """
    by_label = tables.sum(axis=-2)
    negatives = by_label[..., 0, :]
    positives = by_label[..., 1, :]
    negatives_below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (negatives_below + 0.5 * negatives)).sum(axis=-1)
    pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1), np.nan)


def dirichlet_metric_draws(
    confusion: np.ndarray, metric_name: str, *, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Return posterior draws of a metric under a Jeffreys Dirichlet prior on the cells.

    Used for metrics that are not single proportions when their bootstrap distribution
    degenerates: each draw takes cell probabilities from Dirichlet(counts + 1/2).
    """
    probabilities = rng.dirichlet(confusion.ravel() + 0.5, size=draws)
    tn, fp, fn, tp = probabilities.T
    return METRICS[metric_name](tn, fp, fn, tp)
