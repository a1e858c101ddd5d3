"""Disparities between groups: each group against the reference, and across all groups.

Differences and ratios follow fairlearn's conventions: ``difference = metric(group) -
metric(reference)``, ``ratio = metric(group) / metric(reference)``, and the aggregates
``max_minus_min`` and ``min_over_max`` match ``MetricFrame.difference()`` and
``MetricFrame.ratio()`` with ``method="between_groups"``.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from equilens.metrics.table import Estimate, MetricTable, covering, is_proportion, proportion_counts
from equilens.stats.bootstrap import dirichlet_metric_draws, grouping_rng
from equilens.stats.intervals import mover_ratio_interval, newcombe_interval, percentile_interval
from equilens.stats.significance import (
    TestResult,
    bootstrap_p_value,
    compare_means,
    compare_proportions,
    homogeneity_test,
)

Label = tuple[str, ...]

SCORE_METRICS = ("auc", "mean_score")
NO_SCORE_INTERVAL = "too few distinct scores for an interval on a score metric"


@dataclass
class Disparity:
    """One group against the reference group on one metric."""

    attributes: tuple[str, ...]
    metric: str
    group: Label
    reference: Label
    difference: Estimate
    ratio: Estimate
    test: TestResult
    p_adjusted: float | None = None


@dataclass
class Aggregate:
    """The spread of one metric across all groups of a grouping."""

    attributes: tuple[str, ...]
    metric: str
    max_minus_min: Estimate
    min_over_max: Estimate
    max_group: Label | None
    min_group: Label | None
    excluded_groups: list[tuple[Label, str]]
    test: TestResult
    p_adjusted: float | None = None
    difference_replicates: np.ndarray | None = field(default=None, repr=False)


def is_degenerate(replicates: np.ndarray, *, level: float) -> bool:
    """Return whether a bootstrap distribution collapses to one point at this level."""
    lower, upper = percentile_interval(replicates, level=level)
    return not lower < upper


def degenerate_groups(replicates: np.ndarray, g: int, r: int, *, level: float) -> bool:
    """Return whether the replicates of group `g` or of the reference `r` degenerate."""
    return is_degenerate(replicates[:, g], level=level) or is_degenerate(
        replicates[:, r], level=level
    )


def _interval_or_fallback(
    replicates: np.ndarray,
    value: float,
    *,
    level: float,
    fallback: Callable[[], tuple[tuple[float, float] | None, str]],
    degenerate_input: bool = False,
) -> Estimate:
    """Return the percentile interval, or the fallback's interval when it degenerates.

    `degenerate_input` marks a comparison one of whose groups has a degenerate
    distribution: the comparison's replicates then vary only with the other group, and
    their interval would hide the degenerate group's uncertainty.
    """
    undefined_share = float(np.isnan(replicates).mean())
    if undefined_share == 1.0:
        return Estimate(value, ci_reason="undefined in every bootstrap replicate")
    lower, upper = percentile_interval(replicates, level=level)
    if lower < upper and not degenerate_input:
        return Estimate(
            value, (float(lower), float(upper)), "bootstrap", undefined_share=undefined_share
        )
    interval, method = fallback()
    if interval is None:
        return Estimate(value, ci_reason=method)
    if method == "dirichlet":
        interval = covering(interval, value)
    return Estimate(value, interval, method)


def group_disparities(
    table: MetricTable, reference: int, *, level: float, seed: int
) -> list[Disparity]:
    """Compare every group with the reference group on every metric of the table."""
    counts = table.counts
    rng = grouping_rng(seed + 1, counts.attributes)
    results = []
    for name in table.metric_names:
        values = table.values[name]
        replicates = table.replicates[name]
        for g in range(len(counts.labels)):
            if g == reference:
                continue
            results.append(
                _disparity(table, name, g, reference, values, replicates, level=level, rng=rng)
            )
    return results


def _disparity(
    table: MetricTable,
    name: str,
    g: int,
    r: int,
    values: np.ndarray,
    replicates: np.ndarray,
    *,
    level: float,
    rng: np.random.Generator,
) -> Disparity:
    counts = table.counts
    label, reference = counts.labels[g], counts.labels[r]
    value, reference_value = float(values[g]), float(values[r])
    if math.isnan(value) or math.isnan(reference_value):
        which = "group" if math.isnan(value) else "reference group"
        reason = f"undefined in the {which}: {table.reason(name)}"
        return Disparity(
            counts.attributes,
            name,
            label,
            reference,
            Estimate.undefined(reason),
            Estimate.undefined(reason),
            TestResult(None, None, reason),
        )

    differences = replicates[:, g] - replicates[:, r]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratios = np.where(replicates[:, r] > 0, replicates[:, g] / replicates[:, r], np.nan)
    # A reference value near zero can overflow the ratio; such a replicate is undefined.
    ratios[~np.isfinite(ratios)] = np.nan

    if is_proportion(name):
        numerators, denominators = proportion_counts(counts, name)
        pair = (int(numerators[g]), int(denominators[g]), int(numerators[r]), int(denominators[r]))

        def difference_fallback():
            return newcombe_interval(*pair, level=level), "newcombe"

        def ratio_fallback():
            interval = mover_ratio_interval(*pair, level=level)
            return (interval, "mover") if interval else (None, "reference value is zero")

        test = compare_proportions(*pair)
    else:
        draws = None
        if name not in SCORE_METRICS:
            draws = functools.cache(functools.partial(_dirichlet_pair, table, name, g, r, rng=rng))
        difference_fallback = _draws_fallback(draws, lambda d: d[0] - d[1], level)
        ratio_fallback = _draws_fallback(draws, lambda d: d[0] / d[1], level)
        if name == "mean_score":
            test = _mean_score_test(table, g, r)
        elif degenerate_groups(replicates, g, r, level=level):
            # The replicates vary with one group only, so a bootstrap test would treat the
            # degenerate group's value as known and report spurious significance.
            test = TestResult(
                None,
                None,
                "no bootstrap test: one group is too small for its value to vary in the "
                "bootstrap; see the interval",
            )
        else:
            test = bootstrap_p_value(differences)

    degenerate = degenerate_groups(replicates, g, r, level=level)
    difference = _interval_or_fallback(
        differences,
        value - reference_value,
        level=level,
        fallback=difference_fallback,
        degenerate_input=degenerate,
    )
    if reference_value == 0:
        ratio = Estimate.undefined("reference group's value is zero")
    else:
        ratio = _interval_or_fallback(
            ratios,
            value / reference_value,
            level=level,
            fallback=ratio_fallback,
            degenerate_input=degenerate,
        )
    return Disparity(counts.attributes, name, label, reference, difference, ratio, test)


def percentile_bounds(draws: np.ndarray, level: float) -> tuple[float, float]:
    lower, upper = percentile_interval(draws, level=level)
    return float(lower), float(upper)


def _draws_fallback(draws: Callable[[], np.ndarray] | None, combine: Callable, level: float):
    """Return a fallback that forms a percentile interval from Dirichlet posterior draws."""

    def fallback() -> tuple[tuple[float, float] | None, str]:
        if draws is None:
            return None, NO_SCORE_INTERVAL
        return percentile_bounds(combine(draws()), level), "dirichlet"

    return fallback


def _dirichlet_pair(table: MetricTable, name: str, g: int, r: int, *, rng) -> np.ndarray:
    size = table.replicates[name].shape[0]
    confusion = table.counts.confusion
    return np.stack(
        [
            dirichlet_metric_draws(confusion[g], name, draws=size, rng=rng),
            dirichlet_metric_draws(confusion[r], name, draws=size, rng=rng),
        ]
    )


def _mean_score_test(table: MetricTable, g: int, r: int) -> TestResult:
    counts = table.counts
    n = counts.n
    means = table.values["mean_score"]
    variances = (counts.score_sumsq - n * means**2) / np.maximum(n - 1, 1)
    return compare_means(
        float(means[g]),
        float(max(variances[g], 0)),
        int(n[g]),
        float(means[r]),
        float(max(variances[r], 0)),
        int(n[r]),
    )


def aggregate_disparities(table: MetricTable, *, level: float, seed: int) -> list[Aggregate]:
    """Compute max-minus-min and min-over-max of every metric across the groups."""
    counts = table.counts
    rng = grouping_rng(seed + 2, counts.attributes)
    results = []
    for name in table.metric_names:
        values = table.values[name]
        defined = ~np.isnan(values)
        excluded = [(counts.labels[g], table.reason(name)) for g in np.flatnonzero(~defined)]
        if defined.sum() < 2:
            reason = "fewer than two groups have a defined value"
            results.append(
                Aggregate(
                    counts.attributes,
                    name,
                    Estimate.undefined(reason),
                    Estimate.undefined(reason),
                    None,
                    None,
                    excluded,
                    TestResult(None, None, reason),
                )
            )
            continue

        kept = np.flatnonzero(defined)
        replicates = table.replicates[name][:, kept]
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            # A replicate in which every group is undefined gives NaN, and counts as undefined.
            warnings.filterwarnings("ignore", message="All-NaN slice encountered")
            spread = np.nanmax(replicates, axis=1) - np.nanmin(replicates, axis=1)
            quotient = np.nanmin(replicates, axis=1) / np.nanmax(replicates, axis=1)
        quotient[~np.isfinite(quotient)] = np.nan

        low, high = float(values[kept].min()), float(values[kept].max())
        draws = None
        if name not in SCORE_METRICS:
            draws = functools.cache(functools.partial(_dirichlet_groups, table, name, kept, rng))
        spread_fallback = _draws_fallback(draws, lambda d: d.max(axis=1) - d.min(axis=1), level)
        quotient_fallback = _draws_fallback(draws, lambda d: d.min(axis=1) / d.max(axis=1), level)

        degenerate = any(is_degenerate(replicates[:, k], level=level) for k in range(len(kept)))
        max_minus_min = _interval_or_fallback(
            spread, high - low, level=level, fallback=spread_fallback, degenerate_input=degenerate
        )
        if high == 0:
            min_over_max = Estimate.undefined("the largest group value is zero")
        else:
            min_over_max = _interval_or_fallback(
                quotient,
                low / high,
                level=level,
                fallback=quotient_fallback,
                degenerate_input=degenerate,
            )

        if is_proportion(name):
            numerators, denominators = proportion_counts(counts, name)
            test = homogeneity_test(numerators[kept], denominators[kept])
        else:
            test = TestResult(None, None, "no test of equality across groups for this metric")
        results.append(
            Aggregate(
                counts.attributes,
                name,
                max_minus_min,
                min_over_max,
                counts.labels[kept[int(np.argmax(values[kept]))]],
                counts.labels[kept[int(np.argmin(values[kept]))]],
                excluded,
                test,
                difference_replicates=spread,
            )
        )
    return results


def _dirichlet_groups(table: MetricTable, name: str, kept: np.ndarray, rng) -> np.ndarray:
    size = table.replicates[name].shape[0]
    confusion = table.counts.confusion
    return np.column_stack(
        [dirichlet_metric_draws(confusion[g], name, draws=size, rng=rng) for g in kept]
    )
