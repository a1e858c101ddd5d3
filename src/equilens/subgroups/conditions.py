"""Conditions that define subgroups: a protected group, a feature value or a feature bin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# A non-numeric feature contributes conditions for at most this many of its most
# frequent values, which bounds the search on columns such as free-text codes.
MAX_VALUES_PER_FEATURE = 20


@dataclass(frozen=True)
class Condition:
    """One condition on the rows, such as ``race = black`` or ``hrat < 25``.

    Attributes
    ----------
    column : str
        Protected attribute or feature the condition is on; a subgroup has at most one
        condition per column.
    protected : bool
        Whether `column` is a protected attribute.
    label : str
        The condition as text.
    mask : ndarray of bool
        Rows that satisfy the condition.
    """

    column: str
    protected: bool
    label: str
    mask: np.ndarray = field(compare=False, repr=False)


def build_conditions(
    data: pd.DataFrame,
    labels: Mapping[str, Any],
    features: Sequence[str],
    *,
    bins: int,
    missing_label: str,
) -> list[Condition]:
    """Return every single condition of the search.

    Protected attributes give one condition per group (the group of rows with a missing
    attribute included). A numeric feature with more than `bins` distinct values gives one
    condition per quantile bin, other features one per value, and missing values a
    condition of their own.
    """
    conditions = []
    for name, values in labels.items():
        groups = np.asarray([str(value) for value in values], dtype=object)
        for group in pd.unique(pd.Series(groups)):
            conditions.append(Condition(name, True, f"{name} = {group}", groups == group))
    for column in features:
        conditions.extend(_feature_conditions(column, data[column], bins=bins))
    return [condition for condition in conditions if condition.mask.any()]


def _feature_conditions(column: str, values: pd.Series, *, bins: int) -> list[Condition]:
    values = values.reset_index(drop=True)
    missing = values.isna().to_numpy()
    conditions = []
    if missing.any():
        conditions.append(Condition(column, False, f"{column} is missing", missing))

    present = values.dropna()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and present.nunique() > bins:
        numbers = values.to_numpy(dtype=float)
        edges = np.unique(np.quantile(present.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
        inner = edges[1:-1]
        for position in range(len(inner) + 1):
            low = inner[position - 1] if position > 0 else None
            high = inner[position] if position < len(inner) else None
            mask = ~missing
            if low is not None:
                mask = mask & (numbers >= low)
            if high is not None:
                mask = mask & (numbers < high)
            conditions.append(Condition(column, False, _interval_label(column, low, high), mask))
        return conditions

    for value in present.value_counts().index[:MAX_VALUES_PER_FEATURE]:
        mask = (values == value).to_numpy() & ~missing
        conditions.append(Condition(column, False, f"{column} = {_format(value)}", mask))
    return conditions


def _interval_label(column: str, low: float | None, high: float | None) -> str:
    if low is None:
        return f"{column} < {_format(high)}"
    if high is None:
        return f"{column} ≥ {_format(low)}"
    return f"{_format(low)} ≤ {column} < {_format(high)}"


def _format(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)
