"""Counterfactual flip test of a tabular model.

For each protected attribute, every row of one group is given another group's value and
predicted again: a decision that changes was made on the attribute itself. A model that
does not take the attribute as a feature passes this test trivially. The probe then
reports that and relies on the proxy variant, which also moves the columns suspected to
carry the attribute to the other group's distribution by quantile mapping per column.
This is the "flip rate" check of counterfactual fairness in the sense of Kusner et al.
(2017), without a causal model; `equilens.probes.causal` adds one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from equilens.errors import DataError
from equilens.probes._model import (
    MISSING_LABEL,
    Protected,
    as_predictor,
    model_features,
    predict_counterfactuals,
    predict_rows,
    protected_columns,
    require_column,
)
from equilens.probes._paired import adjust_results, cell_rng, compare_paired

logger = logging.getLogger(__name__)

ATTRIBUTE = "attribute"
WITH_PROXIES = "with_proxies"


def flip_test(
    data: pd.DataFrame,
    model: Any,
    protected: Mapping[str, str] | Sequence[str],
    *,
    labels: Mapping[str, Any] | None = None,
    proxy_columns: Mapping[str, Sequence[str]] | None = None,
    features: Sequence[str] | None = None,
    favorable_label: Any = 1,
    level: float = 0.95,
    replicates: int = 1000,
    seed: int = 0,
    multiple_testing: str = "benjamini-hochberg",
    missing_label: str = MISSING_LABEL,
) -> dict[str, Any]:
    """Run the counterfactual flip test of a tabular model.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to probe, with the model's feature columns and the protected columns.
    model : object
        A `Predictor`, a fitted scikit-learn estimator or a callable mapping a frame to
        labels.
    protected : mapping of str to str, or sequence of str
        Attribute name to column, or columns that are their own attribute names.
    labels : mapping of str to array-like, optional
        Group label of each row per attribute (for example after a value mapping or bins);
        defaults to the column's values as text.
    proxy_columns : mapping of str to sequence of str, optional
        Per attribute, columns that the ``with_proxies`` variant moves to the other
        group's distribution along with the attribute.
    features : sequence of str, optional
        The model's feature columns, used to tell whether it takes the attribute as input;
        defaults to the model's own list when it has one.
    favorable_label : scalar or list
        Predicted label (or labels) of the favorable decision.
    level : float
        Confidence level of the intervals.
    replicates : int
        Bootstrap replicates of the mean score change.
    seed : int
        Seed of the bootstrap and of draws for non-numeric proxy columns.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Adjustment across every McNemar test of the probe.
    missing_label : str
        Label of rows with a missing attribute; they are neither flipped nor a target.

    Returns
    -------
    dict
        ``attributes`` (one entry per attribute, with ``model_uses_attribute`` and a
        ``note`` when the attribute flip cannot show anything), ``results`` (one entry per
        attribute, variant, group and counterfactual group, see
        `equilens.probes._paired.compare_paired`) and ``failures`` (counterfactual batches
        the model could not predict, with their row counts).

    Raises
    ------
    DataError
        When a protected or proxy column is missing or an attribute has a single group.
    """
    predictor = as_predictor(model, favorable_label)
    attributes = protected_columns(data, protected, labels, missing_label=missing_label)
    proxy_columns = dict(proxy_columns or {})
    _check_proxy_columns(data, proxy_columns, attributes)
    known_features = model_features(predictor, features)

    frame = data.reset_index(drop=True)
    decision, score = predict_rows(predictor, frame, favorable_label)

    entries, results, failures = [], [], []
    for attribute in attributes:
        uses = None if known_features is None else attribute.column in known_features
        proxies = list(proxy_columns.get(attribute.name, []))
        variants = []
        if uses is not False:
            variants.append(ATTRIBUTE)
        if proxies:
            variants.append(WITH_PROXIES)
        entry = {
            "attribute": attribute.name,
            "column": attribute.column,
            "model_uses_attribute": uses,
            "proxy_columns": proxies,
            "variants": variants,
            "groups": attribute.groups,
            "excluded_rows": int(np.isin(attribute.labels, attribute.excluded).sum()),
        }
        if uses is False:
            entry["note"] = _not_a_feature_note(attribute, proxies)

        for variant in variants:
            moved = proxies if variant == WITH_PROXIES else []
            for group in attribute.groups:
                rows = attribute.rows(group)
                for target in attribute.groups:
                    if target == group:
                        continue
                    cell = {
                        "attribute": attribute.name,
                        "variant": variant,
                        "group": group,
                        "counterfactual_group": target,
                    }
                    changed = _counterfactual_rows(frame, attribute, rows, target, moved, seed=seed)
                    predicted = predict_counterfactuals(
                        predictor, changed, favorable_label, cell=cell, failures=failures
                    )
                    if predicted is None:
                        continue
                    cf_decision, cf_score = predicted
                    comparison = compare_paired(
                        decision[rows],
                        cf_decision,
                        None if score is None else score[rows],
                        cf_score,
                        level=level,
                        replicates=replicates,
                        rng=cell_rng(seed, "flip", attribute.name, variant, group, target),
                    )
                    results.append({**cell, **comparison})

        attribute_results = [
            r for r in results if r["attribute"] == attribute.name and r["variant"] == ATTRIBUTE
        ]
        if uses is None and attribute_results and not any(r["flips"] for r in attribute_results):
            entry["note"] = (
                f"No decision changed when {attribute.column!r} was set to another group's "
                f"value. The model may not use this column at all, so this zero says little: "
                f"see probes.proxies for features that carry {attribute.name}."
            )
        entries.append(entry)

    adjust_results(results, method=multiple_testing)
    return {
        "method": (
            "Each row of a group is given another group's value of the attribute (and, in "
            "the with_proxies variant, the proxy columns are quantile-mapped to that "
            "group's distribution) and predicted again; decisions are compared by an exact "
            "McNemar test."
        ),
        "attributes": entries,
        "results": results,
        "failures": failures,
        "multiple_testing": multiple_testing,
    }


def _check_proxy_columns(
    data: pd.DataFrame, proxy_columns: dict[str, list[str]], attributes: list[Protected]
) -> None:
    names = [attribute.name for attribute in attributes]
    for name, columns in proxy_columns.items():
        if name not in names:
            raise DataError(
                f"Proxy columns are declared for {name!r}, which is not a probed protected "
                f"attribute; declared attributes: {names}. Rename the key in proxy_columns."
            )
        for column in columns:
            require_column(data, column, role=f"proxy column of {name!r}")


def _not_a_feature_note(attribute: Protected, proxies: list[str]) -> str:
    note = (
        f"The model does not take {attribute.column!r} as a feature, so setting it to another "
        f"group's value cannot change a decision and that flip was not run: a flip rate of "
        f"zero would say nothing about fairness. See probes.proxies for the features that "
        f"carry {attribute.name}"
    )
    if proxies:
        return note + ", and the with_proxies variant, which moves the declared proxy columns."
    return note + ", and declare proxy_columns to run the flip test on them."


def _counterfactual_rows(
    frame: pd.DataFrame,
    attribute: Protected,
    rows: np.ndarray,
    target: str,
    proxies: list[str],
    *,
    seed: int,
) -> pd.DataFrame:
    """Return the rows with the attribute set to `target` and the proxies moved to it."""
    changed = frame.iloc[rows].copy()
    target_rows = attribute.rows(target)
    source = frame[attribute.column].to_numpy()[rows]
    changed[attribute.column] = _target_values(
        source, frame[attribute.column].to_numpy()[target_rows]
    )
    for column in proxies:
        rng = cell_rng(seed, "proxy", attribute.name, target, column)
        changed[column] = quantile_map(
            frame[column].to_numpy()[rows], frame[column].to_numpy()[target_rows], rng=rng
        )
    return changed


def _target_values(source: np.ndarray, target: np.ndarray) -> Any:
    """Return the attribute values that put the source rows into the target group.

    A group with one raw value (``white``, or the code ``1`` of a mapped column) gets that
    value. A numeric group with several raw values, such as an age bin, is quantile-mapped
    so that each row keeps its rank. Other groups get their most frequent raw value.
    """
    present = pd.Series(target).dropna()
    if present.nunique() > 1 and pd.api.types.is_numeric_dtype(present):
        return quantile_map(source, target.astype(float), rng=None)
    return present.mode().iloc[0]


def quantile_map(
    source: np.ndarray, target: np.ndarray, *, rng: np.random.Generator | None
) -> np.ndarray:
    """Move values to the same quantile of another group's distribution of the column.

    Each numeric value's mid-rank within `source` gives a probability, and the value
    becomes the target distribution's quantile at that probability (the inverted
    empirical CDF, so only observed target values occur). A non-numeric column has no
    order, so its values are drawn from the target group's values with `rng`. Missing
    values stay missing.

    Parameters
    ----------
    source : ndarray
        The column's values in the rows to move.
    target : ndarray
        The column's values in the other group.
    rng : numpy.random.Generator or None
        Generator for non-numeric columns.
    """
    source_series = pd.Series(source)
    target_values = pd.Series(target).dropna()
    result = source_series.to_numpy(dtype=object, copy=True)
    present = source_series.notna().to_numpy()
    if target_values.empty or not present.any():
        return source

    numeric = pd.api.types.is_numeric_dtype(target_values) and pd.api.types.is_numeric_dtype(
        source_series.dropna()
    )
    if numeric:
        values = source_series[present].to_numpy(dtype=float)
        probabilities = (stats.rankdata(values) - 0.5) / len(values)
        mapped = np.quantile(
            target_values.to_numpy(dtype=float), probabilities, method="inverted_cdf"
        )
        output = source_series.to_numpy(dtype=float, copy=True)
        output[present] = mapped
        if present.all() and np.asarray(source).dtype.kind in "iu":
            return output.astype(np.asarray(source).dtype)
        return output
    if rng is None:
        raise ValueError("a non-numeric column needs a random generator to draw values")
    result[present] = rng.choice(target_values.to_numpy(dtype=object), size=int(present.sum()))
    return result
