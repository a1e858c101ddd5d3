"""Turning data columns into the arrays an audit counts: outcomes, decisions and groups.

Each check raises `DataError` with the column, the offending values and what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equilens.engines import EncodedAttribute
from equilens.errors import DataError, did_you_mean
from equilens.plan import ProtectedAttribute


@dataclass(frozen=True)
class AuditWarning:
    """A caveat attached to the results, with a stable `code` for machines."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


def require_columns(available: Sequence[str], needed: dict[str, str], *, source: str) -> None:
    """Raise `DataError` for the first needed column that is not in the data.

    Parameters
    ----------
    available : sequence of str
        Columns of the data.
    needed : dict of str to str
        Each needed column and its role, e.g. ``{"approve": "target"}``.
    source : str
        Name of the data source for the message.
    """
    for column, role in needed.items():
        if column not in available:
            listed = ", ".join(repr(name) for name in list(available)[:30])
            raise DataError(
                f"Column {column!r} ({role}) not found in {source}."
                f"{did_you_mean(column, available)} "
                f"Available columns: {listed}."
            )


def value_key(value: Any) -> str:
    """Return the text form used to match raw values with plan mappings and labels.

    Integral floats lose their decimal part, so that a column read as 1.0 matches the
    value 1 in a plan.
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _describe_values(values: np.ndarray, limit: int = 10) -> str:
    uniques = pd.unique(pd.Series(values).dropna())
    shown = ", ".join(repr(value_key(value)) for value in uniques[:limit])
    more = f" and {len(uniques) - limit} more" if len(uniques) > limit else ""
    return shown + more


def binary_outcome(
    values: np.ndarray,
    favorable: Any,
    *,
    column: str,
    role: str,
    known_values: set[str] | None = None,
) -> np.ndarray:
    """Map a column of outcomes to 1 (favorable) and 0 (any other value).

    Parameters
    ----------
    known_values : set of str, optional
        Value keys (see `value_key`) that the column may hold without the favorable label,
        e.g. the target's values for a prediction column: a model that never predicts the
        favorable outcome is valid, but a column spelled differently from the target is not.

    Raises
    ------
    DataError
        When the column has missing values, when the favorable label does not occur (and
        the values are not all in `known_values`), or when the column has more than two
        values and `favorable` is a single value.
    """
    missing = pd.isna(values)
    if missing.any():
        rows = np.flatnonzero(missing)[:5].tolist()
        raise DataError(
            f"The {role} column {column!r} has {_count(int(missing.sum()), 'missing value')} "
            f"(first rows: {rows}). Every row needs an outcome: fill or remove those rows "
            f"before the audit."
        )
    codes, uniques = pd.factorize(values)
    keys = [value_key(value) for value in uniques]
    favorable_values = favorable if isinstance(favorable, list) else [favorable]
    favorable_keys = {value_key(value) for value in favorable_values}
    only_known = known_values is not None and set(keys) <= known_values
    if not favorable_keys & set(keys) and not only_known:
        fix = "Set favorable_label to one of them."
        if role == "prediction":
            fix = (
                "Set prediction.favorable_label to the predicted value that means the "
                "favorable outcome."
            )
        if any(isinstance(value, bool) for value in favorable_values):
            fix += " YAML reads an unquoted yes, no, true or false as a boolean: quote the label."
        raise DataError(
            f"Favorable label {favorable!r} does not occur in the {role} column {column!r}; its "
            f"values are: {_describe_values(values)}. {fix}"
        )
    if len(keys) > 2 and not isinstance(favorable, list):
        raise DataError(
            f"The {role} column {column!r} has {len(keys)} distinct values "
            f"({_describe_values(values)}), so it is not binary. Give favorable_label as a list "
            f"of the values that count as favorable, e.g. favorable_label: "
            f"[{_describe_values(values, 2)}]."
        )
    is_favorable = np.array([key in favorable_keys for key in keys], dtype=np.int8)
    return is_favorable[codes]


def scores(values: np.ndarray, *, column: str) -> np.ndarray:
    """Return a score column as floats, raising `DataError` for missing or non-numeric values."""
    try:
        numeric = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"The score column {column!r} must be numeric; it contains values such as "
            f"{_describe_values(values, 3)}."
        ) from None
    missing = np.isnan(numeric)
    if missing.any():
        raise DataError(
            f"The score column {column!r} has {_count(int(missing.sum()), 'missing value')} "
            f"(first rows: {np.flatnonzero(missing)[:5].tolist()}); every row needs a score."
        )
    return numeric


@dataclass
class EncodedColumn:
    """A protected attribute encoded as group codes, with the rows that were missing."""

    attribute: EncodedAttribute
    missing: np.ndarray
    warnings: list[AuditWarning]


def encode_attribute(values: np.ndarray, spec: ProtectedAttribute, *, policy: str) -> EncodedColumn:
    """Turn a protected column into group codes following the plan's mapping or bins.

    Missing values, and values equal to the attribute's `missing_label`, become a group of
    their own under the ``group`` policy. Under ``drop`` the caller removes those rows, and
    under ``error`` they raise `DataError`.
    """
    column = spec.source_column
    warnings: list[AuditWarning] = []
    missing = np.asarray(pd.isna(values), dtype=bool)
    if spec.bins is None:
        codes, uniques = pd.factorize(values)
        keys = np.array([value_key(value) for value in uniques] + [""], dtype=object)[codes]
        missing |= keys == spec.missing_label
    n_missing = int(missing.sum())
    if n_missing and policy == "error":
        raise DataError(
            f"The protected column {column!r} ({spec.name}) has "
            f"{_count(n_missing, 'missing value')} "
            f"(first rows: {np.flatnonzero(missing)[:5].tolist()}). Fill them, or set "
            f"missing_values to 'group' (audit them as their own group) or 'drop' in the plan."
        )

    if spec.bins is not None:
        labels = _bin(values, missing, spec)
    else:
        labels = keys
        if spec.values is not None:
            mapping = {value_key(raw): label for raw, label in spec.values.items()}
            present = pd.unique(labels[~missing])
            unmapped = sorted(key for key in present if key not in mapping)
            if unmapped:
                warnings.append(
                    AuditWarning(
                        "unmapped_values",
                        f"Values {unmapped} of column {column!r} have no entry in the plan's "
                        f"value mapping for {spec.name!r}; they are audited under their own text.",
                        {"attribute": spec.name, "values": unmapped},
                    )
                )
            key_codes, key_uniques = pd.factorize(labels)
            mapped = np.array([mapping.get(key, key) for key in key_uniques], dtype=object)
            labels = mapped[key_codes]

    if n_missing:
        labels = labels.copy()
        labels[missing] = spec.missing_label
        if policy == "group":
            warnings.append(
                AuditWarning(
                    "missing_values",
                    f"Column {column!r} ({spec.name}) has "
                    f"{_count(n_missing, 'missing value')}; they are "
                    f"audited as the group {spec.missing_label!r}.",
                    {"attribute": spec.name, "count": n_missing},
                )
            )

    kept = ~missing if policy == "drop" else np.ones(len(labels), dtype=bool)
    group_labels = sorted(pd.unique(labels[kept]).tolist(), key=_label_order(spec))
    index = {label: code for code, label in enumerate(group_labels)}
    label_codes, label_uniques = pd.factorize(labels)
    lookup = np.array([index.get(label, -1) for label in label_uniques], dtype=np.int64)
    codes = lookup[label_codes]
    return EncodedColumn(EncodedAttribute(spec.name, codes, group_labels), missing, warnings)


def _label_order(spec: ProtectedAttribute):
    declared = []
    if spec.values is not None:
        declared = list(dict.fromkeys(spec.values.values()))
    elif spec.bin_labels is not None:
        declared = list(spec.bin_labels)
    elif spec.bins is not None:
        declared = _interval_labels(spec.bins)

    def order(label: str):
        if label == spec.missing_label:
            return (2, 0, label)
        if label in declared:
            return (0, declared.index(label), label)
        return (1, 0, label)

    return order


def _interval_labels(edges: list[float]) -> list[str]:
    return [f"[{low:g}, {high:g})" for low, high in zip(edges[:-1], edges[1:], strict=True)]


def _bin(values: np.ndarray, missing: np.ndarray, spec: ProtectedAttribute) -> np.ndarray:
    column = spec.source_column
    try:
        numeric = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"The protected column {column!r} ({spec.name}) has bins in the plan but contains "
            f"non-numeric values such as {_describe_values(values, 3)}. Remove 'bins' or map "
            f"the values with 'values'."
        ) from None
    edges = np.asarray(spec.bins)
    outside = ~missing & ((numeric < edges[0]) | (numeric >= edges[-1]))
    if outside.any():
        raise DataError(
            f"{int(outside.sum())} values of column {column!r} ({spec.name}) fall outside the "
            f"bins [{edges[0]:g}, {edges[-1]:g}), e.g. {numeric[outside][:3].tolist()}. Widen the "
            f"first or last bin edge in the plan."
        )
    names = spec.bin_labels or _interval_labels(spec.bins)
    position = np.clip(np.searchsorted(edges, numeric, side="right") - 1, 0, len(names) - 1)
    return np.array(names, dtype=object)[position]


def check_groups(attribute: EncodedAttribute, spec: ProtectedAttribute) -> None:
    """Raise `DataError` when an attribute has a single group or an absent reference."""
    if len(attribute.labels) < 2:
        only = attribute.labels[0] if attribute.labels else "(none)"
        raise DataError(
            f"The protected column {spec.source_column!r} ({spec.name}) has a single group "
            f"{only!r}, so there is nothing to compare. Check the column, its value mapping "
            f"or bins, or remove the attribute from the plan."
        )
    if spec.reference is not None and spec.reference not in attribute.labels:
        raise DataError(
            f"Reference group {spec.reference!r} of {spec.name!r} does not occur in column "
            f"{spec.source_column!r}.{did_you_mean(spec.reference, attribute.labels)} Groups: "
            f"{attribute.labels}."
        )


def _count(number: int, noun: str) -> str:
    """Write a count with its noun, e.g. '1 missing value' or '15 missing values'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
