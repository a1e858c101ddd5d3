"""Coverage of the 95% bootstrap intervals over simulated audits with known rates.

Each simulated audit draws two groups of 100 to 300 rows with known selection rates and
computes the intervals from the counts, as an audit does. Over 500 audits, the share of
intervals that contain the true value should be near 95%. The accepted band of 92% to
98% is about three standard errors of a coverage share (sqrt(0.95 * 0.05 / 500) = 1%)
either side of nominal. Every draw is seeded, so the test is deterministic.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from equilens.engines.counts import GroupCounts
from equilens.metrics.disparities import group_disparities
from equilens.metrics.table import estimate_grouping

LEVEL = 0.95
SIMULATIONS = 500
REPLICATES = 1000
COVERAGE_BAND = (0.92, 0.98)

# Selection rates of the reference group and the other group.
SCENARIOS = {"gap of 0.15": (0.30, 0.45), "no gap": (0.60, 0.60)}


@functools.cache
def simulate(reference_rate: float, group_rate: float) -> dict[str, float]:
    """Return the coverage of each interval over the simulated audits."""
    rng = np.random.default_rng(20261204)
    rates = (reference_rate, group_rate)
    hits = {"reference": 0, "group": 0, "difference": 0}
    for seed in range(SIMULATIONS):
        tables = []
        for rate in rates:
            size = int(rng.integers(100, 301))
            # Cells (actual, predicted): half the rows are actual positives, independent
            # of the decision.
            cells = [0.5 * (1 - rate), 0.5 * rate, 0.5 * (1 - rate), 0.5 * rate]
            tables.append(rng.multinomial(size, cells).reshape(2, 2, 1))
        counts = GroupCounts(("group",), [("ref",), ("b",)], np.stack(tables))

        table = estimate_grouping(
            counts, ["selection_rate"], level=LEVEL, replicates=REPLICATES, seed=seed
        )
        estimates = table.estimates["selection_rate"]
        difference = group_disparities(table, 0, level=LEVEL, seed=seed)[0].difference

        hits["reference"] += estimates[0].ci[0] <= reference_rate <= estimates[0].ci[1]
        hits["group"] += estimates[1].ci[0] <= group_rate <= estimates[1].ci[1]
        hits["difference"] += difference.ci[0] <= group_rate - reference_rate <= difference.ci[1]
    return {name: count / SIMULATIONS for name, count in hits.items()}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_selection_rate_ci_coverage_near_nominal(scenario):
    coverage = simulate(*SCENARIOS[scenario])
    low, high = COVERAGE_BAND

    assert low <= coverage["reference"] <= high, coverage
    assert low <= coverage["group"] <= high, coverage


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_difference_ci_coverage_near_nominal(scenario):
    coverage = simulate(*SCENARIOS[scenario])
    low, high = COVERAGE_BAND

    assert low <= coverage["difference"] <= high, coverage
