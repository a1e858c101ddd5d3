"""Worst-subgroup discovery: beam search over conjunctions of conditions.

A subgroup is a conjunction of at most `max_depth` conditions on protected attributes and
binned features (``race = black & hrat ≥ 30``). Each depth keeps the `beam_width`
subgroups whose metric is furthest from the rest of the rows in the worse direction and
extends them by one condition on another column. Every subgroup examined is tested
against the rest of the rows, with the p-values adjusted together, so that the
subgroups listed have false-discovery-rate control over the whole search and not only
over the few shown. The listed subgroups' intervals are also widened to control the
false coverage-statement rate of selected intervals (Benjamini and Yekutieli, 2005,
"False discovery rate-adjusted multiple confidence intervals for selected parameters",
JASA 100(469)).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError
from equilens.metrics.table import Estimate
from equilens.probes._model import MISSING_LABEL, require_column
from equilens.probes._paired import wilson_estimate
from equilens.probes.spec import SUBGROUP_METRICS
from equilens.stats.intervals import newcombe_interval
from equilens.stats.significance import adjust_p_values, compare_proportions
from equilens.subgroups.conditions import Condition, build_conditions

logger = logging.getLogger(__name__)


@dataclass
class _Subgroup:
    conditions: tuple[Condition, ...]
    mask: np.ndarray
    n: int
    successes: int
    trials: int
    rest_successes: int
    rest_trials: int
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None

    @property
    def value(self) -> float:
        return self.successes / self.trials

    @property
    def rest_value(self) -> float:
        return self.rest_successes / self.rest_trials

    @property
    def gap(self) -> float:
        return self.value - self.rest_value

    @property
    def columns(self) -> set[str]:
        return {condition.column for condition in self.conditions}


def metric_cells(
    metric: str, y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows a proportion metric counts (trials) and those it counts as successes."""
    true, pred = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
    everyone = np.ones(len(true), dtype=bool)
    cells = {
        "selection_rate": (everyone, pred),
        "true_positive_rate": (true, pred),
        "false_negative_rate": (true, ~pred),
        "false_positive_rate": (~true, pred),
        "true_negative_rate": (~true, ~pred),
        "positive_predictive_value": (pred, true),
        "false_discovery_rate": (pred, ~true),
        "negative_predictive_value": (~pred, ~true),
        "false_omission_rate": (~pred, true),
        "accuracy": (everyone, true == pred),
    }
    trials, successes = cells[metric]
    return trials, trials & successes


def find_subgroups(
    data: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    labels: Mapping[str, Any],
    *,
    features: Sequence[str] = (),
    metric: str = "selection_rate",
    max_depth: int = 2,
    min_support: float = 0.05,
    top_k: int = 10,
    beam_width: int = 20,
    bins: int = 4,
    require_protected: bool = True,
    level: float = 0.95,
    multiple_testing: str = "benjamini-hochberg",
    missing_label: str = MISSING_LABEL,
) -> dict[str, Any]:
    """Find the subgroups whose metric is furthest from the rest in the worse direction.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows with the feature columns, aligned with `y_true`, `y_pred` and `labels`.
    y_true, y_pred : array-like of 0 and 1
        Actual outcomes and decisions, 1 being favorable.
    labels : mapping of str to array-like
        Group label of each row per protected attribute.
    features : sequence of str
        Non-protected columns whose values or bins may define subgroups.
    metric : str
        A proportion metric (see `equilens.probes.spec.SUBGROUP_METRICS`); for error
        rates a higher value is worse, for the others a lower one.
    max_depth, min_support, top_k, beam_width, bins, require_protected
        See `equilens.probes.spec.SubgroupSearch`.
    level : float
        Confidence level of the intervals.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Adjustment across the tests of every subgroup examined.
    missing_label : str
        Group label of rows with a missing attribute; such a group is searched like others.

    Returns
    -------
    dict
        The settings, ``examined`` and ``tested`` counts, and ``subgroups``, the `top_k`
        worst. Each has ``n``, ``support``, ``value`` and ``rest_value`` with Wilson
        intervals, ``gap`` with a Newcombe interval, and the test of the subgroup against
        the rest with its adjusted p-value. ``gap_ci_fcr`` is the gap's interval at the
        level that controls the false coverage-statement rate of the listed subgroups.
    """
    if metric not in SUBGROUP_METRICS:
        raise DataError(
            f"Subgroup metric {metric!r} is not a proportion; use one of "
            f"{sorted(SUBGROUP_METRICS)}."
        )
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if not len(y_true) == len(y_pred) == len(data):
        raise DataError(
            f"The subgroup search needs one outcome and one decision per row; got {len(data)} "
            f"rows, {len(y_true)} outcomes and {len(y_pred)} decisions."
        )
    for column in features:
        require_column(data, column, role="subgroup feature")

    trials, successes = metric_cells(metric, y_true, y_pred)
    conditions = build_conditions(
        data, labels, list(features), bins=bins, missing_label=missing_label
    )
    higher_is_worse = SUBGROUP_METRICS[metric]
    minimum_rows = max(1, int(np.ceil(min_support * len(data))))

    examined: dict[bytes, _Subgroup] = {}
    beam: list[_Subgroup] = [_Subgroup((), np.ones(len(data), dtype=bool), len(data), 0, 0, 0, 0)]
    for depth in range(max_depth):
        level_groups = []
        for parent in beam:
            for condition in conditions:
                if condition.column in parent.columns:
                    continue
                # With require_protected, depth one contains the protected groups alone,
                # so every deeper subgroup extends one of them.
                if require_protected and depth == 0 and not condition.protected:
                    continue
                mask = parent.mask & condition.mask
                n = int(mask.sum())
                key = np.packbits(mask).tobytes()
                if n < minimum_rows or key in examined:
                    continue
                subgroup = _evaluate((*parent.conditions, condition), mask, trials, successes)
                if subgroup is None:
                    continue
                examined[key] = subgroup
                level_groups.append(subgroup)
        level_groups.sort(key=lambda s: s.gap, reverse=higher_is_worse)
        beam = level_groups[:beam_width]
        if not beam:
            break

    candidates = list(examined.values())
    for subgroup in candidates:
        result = compare_proportions(
            subgroup.successes, subgroup.trials, subgroup.rest_successes, subgroup.rest_trials
        )
        subgroup.test, subgroup.p_value = result.test, result.p_value
    tested = [subgroup for subgroup in candidates if subgroup.p_value is not None]
    adjusted = adjust_p_values([s.p_value for s in tested], method=multiple_testing)
    for subgroup, value in zip(tested, adjusted, strict=True):
        subgroup.p_adjusted = value

    worse = [s for s in candidates if (s.gap > 0 if higher_is_worse else s.gap < 0)]
    worse.sort(key=lambda s: (s.gap, -s.n), reverse=higher_is_worse)
    listed = worse[:top_k]
    # Benjamini-Yekutieli: R intervals selected among m parameters at level 1 - R q / m.
    fcr_level = 1 - len(listed) * (1 - level) / max(1, len(tested))
    return {
        "method": (
            "Beam search over conjunctions of protected groups and feature bins; each subgroup "
            "examined is compared with the rest of the rows by a test of two proportions."
        ),
        "metric": metric,
        "worse": "higher" if higher_is_worse else "lower",
        "features": list(features),
        "max_depth": max_depth,
        "min_support": min_support,
        "beam_width": beam_width,
        "bins": bins,
        "require_protected": require_protected,
        "examined": len(candidates),
        "tested": len(tested),
        "multiple_testing": multiple_testing,
        "fcr_level": fcr_level,
        "subgroups": [
            _entry(rank, s, n_rows=len(data), level=level, fcr_level=fcr_level)
            for rank, s in enumerate(listed, start=1)
        ],
    }


def _evaluate(conditions, mask, trials, successes) -> _Subgroup | None:
    inside_trials = int((mask & trials).sum())
    rest_trials = int((~mask & trials).sum())
    if inside_trials == 0 or rest_trials == 0:
        return None
    inside = int((mask & successes).sum())
    rest = int((~mask & successes).sum())
    return _Subgroup(conditions, mask, int(mask.sum()), inside, inside_trials, rest, rest_trials)


def _entry(rank: int, s: _Subgroup, *, n_rows: int, level: float, fcr_level: float) -> dict:
    counts = (s.successes, s.trials, s.rest_successes, s.rest_trials)
    gap_ci = newcombe_interval(*counts, level=level)
    return {
        "rank": rank,
        "conditions": [condition.label for condition in s.conditions],
        "description": " & ".join(condition.label for condition in s.conditions),
        "protected_attributes": [c.column for c in s.conditions if c.protected],
        "n": s.n,
        "support": s.n / n_rows,
        "trials": s.trials,
        "value": wilson_estimate(s.successes, s.trials, level=level).to_dict(),
        "rest_value": wilson_estimate(s.rest_successes, s.rest_trials, level=level).to_dict(),
        "gap": Estimate(s.gap, gap_ci, "newcombe").to_dict(),
        "gap_ci_fcr": list(newcombe_interval(*counts, level=fcr_level)),
        "test": s.test,
        "p_value": s.p_value,
        "p_adjusted": s.p_adjusted,
    }
