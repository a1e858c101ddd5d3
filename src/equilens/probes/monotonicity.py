"""Monotonicity: within one style, the positive rate must not fall as severity rises.

For every run, locale and style (and for all styles of a run and locale together) the
probe takes the rate of positive decisions (escalations) at each severity level and
compares each level with the next one up. A step where the rate falls is a violation.
Every step is listed with both rates, their Wilson intervals, the difference with
Newcombe's interval and a two-sided test of the two proportions, adjusted across all
steps of the probe.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from equilens.probes._stats import (
    ProbeTest,
    adjust,
    proportion,
    proportion_difference,
    two_proportions,
)

logger = logging.getLogger(__name__)

ALL_STYLES = "all styles"


def severity_order(levels: Sequence[str]) -> list[str]:
    """Sort severity labels by the number they contain (``S0`` < ``S2`` < ``S10``)."""

    def key(label: str) -> tuple[int, str]:
        digits = "".join(character for character in label if character.isdigit())
        return (int(digits) if digits else 0, label)

    return sorted(levels, key=key)


def monotonicity_probe(
    frame: pd.DataFrame,
    *,
    level: float,
    multiple_testing: str,
    min_group_size: int,
    cell_columns: Sequence[str] = ("run", "locale", "style"),
) -> dict[str, Any]:
    """List the positive rate at each severity and every step where it falls.

    Parameters
    ----------
    frame : pandas.DataFrame
        Scored rows with ``severity``, ``y_pred`` and the `cell_columns`.
    level : float
        Confidence level of the intervals.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Correction across the probe's tests.
    min_group_size : int
        Severity levels with fewer rows are marked ``small``.
    cell_columns : sequence of str
        Columns that define a cell; the last one is also pooled as ``all styles``.

    Returns
    -------
    dict
        The ``monotonicity`` entry of findings.json ``probes``.
    """
    columns = list(cell_columns)
    levels = severity_order(frame["severity"].dropna().unique().tolist())
    pooled = frame.assign(**{columns[-1]: ALL_STYLES})
    steps: list[dict[str, Any]] = []
    tests: list[ProbeTest] = []
    cells = 0
    for source in (pooled, frame):
        for key, cell in source.groupby(columns, sort=True):
            cells += 1
            counts = cell.groupby("severity")["y_pred"].agg(["sum", "count"])
            present = [severity for severity in levels if severity in counts.index]
            for lower, upper in zip(present[:-1], present[1:], strict=True):
                low_hits, low_n = (int(value) for value in counts.loc[lower])
                high_hits, high_n = (int(value) for value in counts.loc[upper])
                test = two_proportions(high_hits, high_n, low_hits, low_n)
                tests.append(test)
                difference = high_hits / high_n - low_hits / low_n
                steps.append(
                    {
                        **dict(zip(columns, key, strict=True)),
                        "from_severity": lower,
                        "to_severity": upper,
                        "from_rate": proportion(low_hits, low_n, level=level, reason="no rows"),
                        "to_rate": proportion(high_hits, high_n, level=level, reason="no rows"),
                        "from_n": low_n,
                        "to_n": high_n,
                        "small": min(low_n, high_n) < min_group_size,
                        "difference": proportion_difference(
                            high_hits, high_n, low_hits, low_n, level=level
                        ),
                        "violation": difference < 0,
                        "test": test,
                    }
                )
    adjust(tests, method=multiple_testing)
    alpha = 1 - level
    for step in steps:
        test = step.pop("test")
        step["significant"] = bool(
            step["violation"] and test.p_adjusted is not None and test.p_adjusted < alpha
        )
        step["test"] = test.to_dict()
    violations = sorted(
        (step for step in steps if step["violation"]),
        key=lambda step: step["difference"]["value"],
    )
    logger.info(
        "Monotonicity: %d steps in %d cells, %d violations", len(steps), cells, len(violations)
    )
    return {
        "severity_levels": levels,
        "cells": cells,
        "steps_tested": len(steps),
        "violations": len(violations),
        "significant_violations": sum(1 for step in violations if step["significant"]),
        "violating_steps": violations,
        "steps": steps,
    }
