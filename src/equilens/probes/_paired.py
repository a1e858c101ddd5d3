"""Paired comparison of each row's decision and score with its counterfactual's.

Shared by the tabular flip test and the causal counterfactuals: both compare a model's
output on observed rows with its output on the same rows after an intervention.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from statsmodels.stats.contingency_tables import mcnemar

from equilens.metrics.table import Estimate
from equilens.stats.intervals import percentile_interval, wilson_interval
from equilens.stats.significance import adjust_p_values

# Upper bound on the elements of one chunk of bootstrap indices, to bound memory.
_CHUNK_ELEMENTS = 4_000_000


def cell_rng(seed: int, *key: str) -> np.random.Generator:
    """Return a generator that depends only on the seed and the cell's key."""
    digest = zlib.crc32("\x1f".join(key).encode("utf-8"))
    return np.random.default_rng([seed, digest])


def bootstrap_means(values: np.ndarray, *, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Return bootstrap replicates of the column means of `values`, resampling rows.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
    replicates : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (replicates, n_columns)
    """
    n_rows, n_columns = values.shape
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_rows * n_columns))
    means = []
    for start in range(0, replicates, chunk):
        size = min(chunk, replicates - start)
        rows = rng.integers(0, n_rows, size=(size, n_rows))
        means.append(values[rows].mean(axis=1))
    return np.concatenate(means, axis=0)


def _interval_estimate(
    value: float, replicates: np.ndarray, *, level: float, flat: str
) -> Estimate:
    lower, upper = percentile_interval(replicates, level=level)
    if not lower < upper:
        return Estimate(value, ci_reason=flat)
    return Estimate(value, (float(lower), float(upper)), "bootstrap")


def wilson_estimate(successes: int, trials: int, *, level: float) -> Estimate:
    """Return a proportion with its Wilson score interval (Wilson, 1927)."""
    value = successes / trials
    lower, upper = wilson_interval(successes, trials, level=level)
    # The Wilson bounds at 0 or n successes can miss 0 or 1 by a rounding error.
    return Estimate(value, (min(lower, value), max(upper, value)), "wilson")


def mcnemar_exact(to_unfavorable: int, to_favorable: int) -> tuple[float, str | None]:
    """Return the exact McNemar p-value of paired decisions (McNemar, 1947).

    Only the discordant pairs count: the p-value is the two-sided binomial test of one
    direction's count among all changed decisions at probability one half (statsmodels).
    """
    if to_unfavorable + to_favorable == 0:
        return 1.0, "no decision changed"
    table = [[0, to_unfavorable], [to_favorable, 0]]
    return float(mcnemar(table, exact=True).pvalue), None


def compare_paired(
    decision: np.ndarray,
    counterfactual_decision: np.ndarray,
    score: np.ndarray | None,
    counterfactual_score: np.ndarray | None,
    *,
    level: float,
    replicates: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Compare decisions and scores of rows with those of their counterfactuals.

    Returns
    -------
    dict
        ``n``, ``flips`` and its two directions, ``flip_rate`` with a Wilson interval,
        ``selection_rate`` and ``counterfactual_selection_rate``, and the exact McNemar
        test of the decisions. ``selection_rate_change`` and ``mean_score_change`` are
        counterfactual minus observed, with percentile bootstrap intervals over the rows
        unless `replicates` is 0.
    """
    n = len(decision)
    to_unfavorable = int(np.sum((decision == 1) & (counterfactual_decision == 0)))
    to_favorable = int(np.sum((decision == 0) & (counterfactual_decision == 1)))
    flips = to_unfavorable + to_favorable

    columns = [counterfactual_decision.astype(float) - decision.astype(float)]
    if score is not None and counterfactual_score is not None:
        columns.append(counterfactual_score - score)
    differences = np.column_stack(columns)
    means = differences.mean(axis=0)
    if replicates:
        draws = bootstrap_means(differences, replicates=replicates, rng=rng)
        selection_change = _interval_estimate(
            float(means[0]),
            draws[:, 0],
            level=level,
            flat="no decision changed, so every bootstrap replicate is zero; see flip_rate",
        )
        if differences.shape[1] == 2:
            score_change = _interval_estimate(
                float(means[1]),
                draws[:, 1],
                level=level,
                flat="every row's score change is the same, so the bootstrap has no spread",
            )
    else:
        selection_change = Estimate(float(means[0]), ci_reason="no bootstrap requested")
        if differences.shape[1] == 2:
            score_change = Estimate(float(means[1]), ci_reason="no bootstrap requested")
    if differences.shape[1] == 1:
        score_change = Estimate.undefined("the model returns no scores")

    p_value, test_reason = mcnemar_exact(to_unfavorable, to_favorable)
    result = {
        "n": n,
        "flips": flips,
        "favorable_to_unfavorable": to_unfavorable,
        "unfavorable_to_favorable": to_favorable,
        "flip_rate": wilson_estimate(flips, n, level=level).to_dict(),
        "selection_rate": float(decision.mean()),
        "counterfactual_selection_rate": float(counterfactual_decision.mean()),
        "selection_rate_change": selection_change.to_dict(),
        "mean_score_change": score_change.to_dict(),
        "test": "mcnemar_exact",
        "p_value": p_value,
        "p_adjusted": None,
    }
    if test_reason:
        result["test_reason"] = test_reason
    return result


def adjust_results(results: list[dict[str, Any]], *, method: str) -> None:
    """Set ``p_adjusted`` on every result with a p-value, adjusting them together."""
    tested = [result for result in results if result.get("p_value") is not None]
    adjusted = adjust_p_values([result["p_value"] for result in tested], method=method)
    for result, value in zip(tested, adjusted, strict=True):
        result["p_adjusted"] = value
