"""`MetricTable`: every metric of every group of one grouping, with intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equilens.engines.counts import GroupCounts
from equilens.metrics.definitions import METRICS
from equilens.stats.bootstrap import dirichlet_metric_draws, grouping_rng, replicate_metrics
from equilens.stats.intervals import percentile_interval, wilson_interval

# Share of bootstrap replicates with an undefined value above which a warning is raised.
UNDEFINED_SHARE_WARNING = 0.05

BASE_RATE = "base_rate"
BASE_RATE_REASON = "group is empty"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval, or the reason it is undefined.

    Attributes
    ----------
    value : float or None
        The estimate; None when undefined.
    ci : tuple of float or None
        Lower and upper bound at the audit's confidence level.
    ci_method : str or None
        ``bootstrap``, ``wilson``, ``newcombe``, ``mover`` or ``dirichlet``.
    reason : str or None
        Why the value is undefined.
    ci_reason : str or None
        Why no interval could be formed although the value is defined.
    undefined_share : float or None
        Share of bootstrap replicates in which the value was undefined, when above zero.
    """

    value: float | None
    ci: tuple[float, float] | None = None
    ci_method: str | None = None
    reason: str | None = None
    ci_reason: str | None = None
    undefined_share: float | None = None

    @classmethod
    def undefined(cls, reason: str) -> Estimate:
        return cls(None, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: value, ci and, where they apply, method and reasons."""
        result: dict[str, Any] = {"value": _finite(self.value), "ci": None}
        if self.ci is not None:
            result["ci"] = [_finite(self.ci[0]), _finite(self.ci[1])]
            result["ci_method"] = self.ci_method
        if self.reason is not None:
            result["reason"] = self.reason
        if self.ci_reason is not None:
            result["ci_reason"] = self.ci_reason
        if self.undefined_share:
            result["ci_undefined_share"] = round(self.undefined_share, 4)
        return result


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class MetricTable:
    """Point values, bootstrap replicates and estimates of the metrics of one grouping.

    Attributes
    ----------
    counts : GroupCounts
        The counts the table was computed from.
    values : dict of str to ndarray of shape (n_groups,)
        Point values per metric, NaN where undefined.
    replicates : dict of str to ndarray of shape (n_replicates, n_groups)
        Bootstrap replicates per metric.
    estimates : dict of str to list of Estimate
        Value and interval of each metric for each group.
    """

    counts: GroupCounts
    values: dict[str, np.ndarray]
    replicates: dict[str, np.ndarray]
    estimates: dict[str, list[Estimate]] = field(default_factory=dict)

    @property
    def metric_names(self) -> list[str]:
        return [name for name in self.values if name != BASE_RATE]

    def reason(self, metric_name: str) -> str:
        if metric_name == BASE_RATE:
            return BASE_RATE_REASON
        return METRICS[metric_name].undefined_reason


def proportion_counts(counts: GroupCounts, metric_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the numerator and denominator counts of a proportion metric per group."""
    tn, fp, fn, tp = counts.counts()
    if metric_name == BASE_RATE:
        return fn + tp, tn + fp + fn + tp
    metric = METRICS[metric_name]
    return metric.numerator(tn, fp, fn, tp), metric.denominator(tn, fp, fn, tp)


def is_proportion(metric_name: str) -> bool:
    return metric_name == BASE_RATE or METRICS[metric_name].is_proportion


def point_values(counts: GroupCounts, metric_names: list[str]) -> dict[str, np.ndarray]:
    """Return the exact point value of each metric per group."""
    tn, fp, fn, tp = counts.counts()
    values = {}
    for name in metric_names:
        if name == "auc":
            values[name] = counts.auc
        elif name == "mean_score":
            values[name] = counts.score_sums.sum(axis=(1, 2, 3)) / counts.n
        else:
            values[name] = METRICS[name](tn, fp, fn, tp)
    values[BASE_RATE] = (fn + tp) / counts.n
    return values


def estimate_grouping(
    counts: GroupCounts,
    metric_names: list[str],
    *,
    level: float,
    replicates: int,
    seed: int,
) -> MetricTable:
    """Compute every metric of every group of a grouping with its confidence interval.

    Intervals are percentile intervals of a bootstrap on the counts. Where the bootstrap
    distribution degenerates to one point, a proportion gets its Wilson interval and other
    metrics a Jeffreys-Dirichlet posterior interval, so a small group never shows a point
    where its uncertainty is large.
    """
    rng = grouping_rng(seed, counts.attributes)
    table = MetricTable(
        counts,
        point_values(counts, metric_names),
        replicate_metrics(counts, metric_names, replicates=replicates, rng=rng),
    )
    for name in [*metric_names, BASE_RATE]:
        bounds = _percentile_bounds(table.replicates[name], level=level)
        undefined_shares = np.isnan(table.replicates[name]).mean(axis=0)
        table.estimates[name] = [
            _group_estimate(
                table,
                name,
                g,
                bounds=(bounds[0][g], bounds[1][g]),
                undefined_share=float(undefined_shares[g]),
                level=level,
                rng=rng,
            )
            for g in range(len(counts.labels))
        ]
    return table


def _percentile_bounds(replicates: np.ndarray, *, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the percentile bounds of every group's replicates (columns).

    The bounds equal those of one `percentile_interval` call per column. NumPy's quantile
    that ignores NaN works column by column, so only the columns with undefined replicates
    take that path, and the other columns share one quantile call.
    """
    alpha = 1 - level
    lower = np.full(replicates.shape[1], np.nan)
    upper = np.full(replicates.shape[1], np.nan)
    complete = ~np.isnan(replicates).any(axis=0)
    if complete.any():
        lower[complete], upper[complete] = np.quantile(
            replicates[:, complete], [alpha / 2, 1 - alpha / 2], axis=0
        )
    for group in np.flatnonzero(~complete):
        lower[group], upper[group] = percentile_interval(replicates[:, group], level=level)
    return lower, upper


def _group_estimate(
    table: MetricTable,
    name: str,
    group: int,
    *,
    bounds: tuple[float, float],
    undefined_share: float,
    level: float,
    rng: np.random.Generator,
) -> Estimate:
    """Return one group's estimate from its precomputed percentile bounds."""
    value = float(table.values[name][group])
    if math.isnan(value):
        return Estimate.undefined(table.reason(name))

    if undefined_share == 1.0:
        return Estimate(value, ci_reason="undefined in every bootstrap replicate")
    lower, upper = bounds
    if lower < upper:
        return Estimate(
            value, (float(lower), float(upper)), "bootstrap", undefined_share=undefined_share
        )

    if is_proportion(name):
        numerators, denominators = proportion_counts(table.counts, name)
        interval = wilson_interval(int(numerators[group]), int(denominators[group]), level=level)
        return Estimate(value, interval, "wilson")
    if name in ("auc", "mean_score"):
        return Estimate(
            value,
            ci_reason="too few distinct scores in the group for an interval on a score metric",
        )
    draws = dirichlet_metric_draws(
        table.counts.confusion[group], name, draws=table.replicates[name].shape[0], rng=rng
    )
    lower, upper = percentile_interval(draws, level=level)
    return Estimate(value, covering((float(lower), float(upper)), value), "dirichlet")


def covering(interval: tuple[float, float], value: float) -> tuple[float, float]:
    """Widen a posterior interval so that it contains the point estimate.

    A Jeffreys-Dirichlet posterior of a tiny group is pulled towards the middle, so its
    interval can exclude the observed value (an F1 of 1.0 from two rows). A reported
    interval that excluded its own estimate would contradict it.
    """
    lower, upper = interval
    return min(lower, value), max(upper, value)
