"""Calibration of probability scores by group: expected calibration error and mean gap.

Only scores that are probabilities of the positive label can be calibrated. For any
other score (a lexicon's polarity, a logit) the probe says so instead of reporting a
number. The expected calibration error (Naeini et al., AAAI 2015) uses equal-width score
bins; its interval is a bootstrap on the counts: per group, multinomial draws over the
(score bin, gold label) cells with each cell's mean score held fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.probes._stats import cell_rng


def calibration_probe(
    frame: pd.DataFrame,
    *,
    runs: Sequence[dict[str, Any]],
    attributes: Sequence[str],
    bins: int,
    level: float,
    replicates: int,
    seed: int,
) -> dict[str, Any]:
    """Return the ``calibration`` entry of findings.json ``probes``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Scored rows with ``run``, ``y_true``, ``score`` and the `attributes`.
    runs : sequence of dict
        Per run: ``name``, ``model_kind``, ``has_scores`` and
        ``scores_are_probabilities``.
    attributes : sequence of str
        Columns to group by within each run.
    bins : int
        Equal-width bins on [0, 1].
    level, replicates, seed
        Interval level, bootstrap replicates and seed.
    """
    entries = []
    for run in runs:
        rows = frame[frame["run"] == run["name"]]
        reason = _not_calibratable(run, rows)
        if reason is not None:
            entries.append({"run": run["name"], "measured": False, "reason": reason})
            continue
        groups = [
            {
                "attribute": column,
                "group": str(group),
                **_calibration(
                    subset,
                    bins=bins,
                    level=level,
                    replicates=replicates,
                    rng=cell_rng(seed, f"{run['name']}|{column}|{group}"),
                ),
            }
            for column in ["run", *attributes]
            if column in rows
            for group, subset in rows.groupby(column, sort=True)
        ]
        entries.append({"run": run["name"], "measured": True, "bins": bins, "groups": groups})
    return {
        "runs_measured": sum(1 for entry in entries if entry["measured"]),
        "runs": entries,
    }


def _not_calibratable(run: dict[str, Any], rows: pd.DataFrame) -> str | None:
    if not run["has_scores"]:
        return f"the model of run {run['name']!r} gives no scores"
    if not run["scores_are_probabilities"]:
        return (
            f"the scores of run {run['name']!r} ({run['model_kind']}) are not probabilities of "
            f"the positive label, so calibration is not measured; set "
            f"scores_are_probabilities: true on the run if they are"
        )
    scores = rows["score"].to_numpy(float)
    if scores.size and (np.nanmin(scores) < 0 or np.nanmax(scores) > 1):
        return (
            f"the scores of run {run['name']!r} fall outside [0, 1] (from {np.nanmin(scores):.3g} "
            f"to {np.nanmax(scores):.3g}), so they are not probabilities"
        )
    return None


def _calibration(
    rows: pd.DataFrame, *, bins: int, level: float, replicates: int, rng: np.random.Generator
) -> dict[str, Any]:
    scores = rows["score"].to_numpy(float)
    labels = rows["y_true"].to_numpy(int)
    n = len(rows)
    position = np.clip((scores * bins).astype(int), 0, bins - 1)
    cells = np.bincount(position * 2 + labels, minlength=2 * bins).reshape(bins, 2)
    sums = np.bincount(position * 2 + labels, weights=scores, minlength=2 * bins).reshape(bins, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_mean = np.where(cells > 0, sums / np.where(cells > 0, cells, 1), 0.0)

    ece = float(_ece(cells[None], cell_mean)[0])
    gap = float(scores.mean() - labels.mean())
    draws = rng.multinomial(n, cells.ravel() / n, size=replicates).reshape(replicates, bins, 2)
    replicated_gap = ((draws * cell_mean).sum(axis=(1, 2)) - draws[..., 1].sum(axis=1)) / n
    return {
        "n": n,
        "expected_calibration_error": _estimate(ece, _ece(draws, cell_mean), level),
        "mean_score_minus_positive_rate": _estimate(gap, replicated_gap, level),
    }


def _estimate(value: float, replicates: np.ndarray, level: float) -> dict[str, Any]:
    alpha = 1 - level
    lower, upper = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    if not lower < upper:
        return {"value": value, "ci": None, "ci_reason": "bootstrap distribution degenerate"}
    return {"value": value, "ci": [float(lower), float(upper)], "ci_method": "bootstrap"}


def _ece(cells: np.ndarray, cell_mean: np.ndarray) -> np.ndarray:
    """Return the ECE of count tables of shape (replicates, bins, 2)."""
    in_bin = cells.sum(axis=-1)
    positives = cells[..., 1]
    score_sum = (cells * cell_mean).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(
            in_bin > 0, np.abs(positives - score_sum) / np.where(in_bin > 0, in_bin, 1), 0
        )
    return (in_bin * gap).sum(axis=-1) / in_bin.sum(axis=-1)
