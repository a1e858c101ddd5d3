"""Proxy detection: which features predict a protected attribute.

A model that never takes the protected attribute as input can still treat groups
differently through features that carry it. For each feature and attribute the probe
reports the normalised mutual information between the binned feature and the group, and
the cross-validated AUC with which the feature alone predicts each group (one group
against the rest). A cross-validated gradient-boosting classifier on all features
together gives the leakage AUC: how well the attribute can be recovered at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import TargetEncoder
from threadpoolctl import threadpool_limits

from equilens.errors import DataError
from equilens.explain._auc import auc_estimate
from equilens.probes._model import MISSING_LABEL, require_column
from equilens.probes._paired import cell_rng

logger = logging.getLogger(__name__)

MISSING_BIN = "(missing)"
# HistGradientBoostingClassifier treats at most this many categories of a column natively.
_MAX_NATIVE_CATEGORIES = 250


def proxy_strength(
    data: pd.DataFrame,
    labels: Mapping[str, Any],
    *,
    features: Sequence[str],
    threshold: float = 0.6,
    folds: int = 5,
    bins: int = 10,
    level: float = 0.95,
    replicates: int = 1000,
    seed: int = 0,
    missing_label: str = MISSING_LABEL,
) -> dict[str, Any]:
    """Measure how well each feature predicts each protected attribute.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows, with every column in `features`.
    labels : mapping of str to array-like
        Group label of each row per protected attribute.
    features : sequence of str
        Candidate proxy columns, usually the model's features.
    threshold : float
        A feature whose single-feature AUC for some group reaches this value is a proxy.
    folds : int
        Folds of the stratified cross-validation; groups with fewer rows are left out.
    bins : int
        Quantile bins of a numeric feature with more distinct values than this.
    level : float
        Confidence level of the AUC intervals.
    replicates : int
        Bootstrap replicates of each AUC interval.
    seed : int
        Seed of the fold split, the classifier and the bootstrap.
    missing_label : str
        Group label of rows with a missing attribute; those rows are left out.

    Returns
    -------
    dict
        ``attributes``: per attribute, the ``leakage_auc`` of all features together, one
        entry per feature (``nmi``, ``auc`` as the largest one-against-rest AUC with its
        ``group``, ``auc_by_group``, ``proxy``), sorted by ``auc``, and the ``proxies``.
        AUC intervals cover the sampling of the rows for fixed out-of-fold predictions,
        not the refitting of the classifier.
    """
    features = list(features)
    if not features:
        raise DataError("Proxy detection needs at least one feature column; none was given.")
    for column in features:
        require_column(data, column, role="feature")
    binned = pd.DataFrame({column: _bin(data[column], bins) for column in features})

    entries = []
    for name, values in labels.items():
        groups = np.asarray([str(value) for value in values], dtype=object)
        if len(groups) != len(data):
            raise DataError(
                f"The group labels of {name!r} have {len(groups)} entries for {len(data)} "
                f"rows; give one label per row."
            )
        entries.append(
            _attribute_entry(
                name,
                groups,
                data,
                binned,
                features,
                threshold=threshold,
                folds=folds,
                level=level,
                replicates=replicates,
                seed=seed,
                missing_label=missing_label,
            )
        )
    return {
        "method": (
            "Per feature: normalised mutual information with the group (numeric features in "
            "quantile bins) and the cross-validated AUC of the feature alone (out-of-fold "
            "target encoding of its bins), one group against the rest. Leakage: "
            "cross-validated AUC of gradient boosting on all features."
        ),
        "threshold": threshold,
        "folds": folds,
        "bins": bins,
        "attributes": entries,
    }


def _attribute_entry(
    name,
    groups,
    data,
    binned,
    features,
    *,
    threshold,
    folds,
    level,
    replicates,
    seed,
    missing_label,
) -> dict[str, Any]:
    counts = pd.Series(groups).value_counts()
    too_small = [str(label) for label, count in counts.items() if count < folds]
    usable = [str(label) for label, count in counts.items() if count >= folds]
    usable = [label for label in usable if label != missing_label]
    entry: dict[str, Any] = {
        "attribute": name,
        "groups": usable,
        "excluded_groups": [
            {"group": label, "reason": f"fewer rows than the {folds} cross-validation folds"}
            for label in too_small
            if label != missing_label
        ],
        "excluded_rows": int((~np.isin(groups, usable)).sum()),
    }
    if len(usable) < 2:
        entry.update(
            n=0,
            leakage_auc={
                "value": None,
                "ci": None,
                "reason": "fewer than two groups to tell apart",
            },
            features=[],
            proxies=[],
        )
        return entry

    keep = np.isin(groups, usable)
    y = groups[keep].astype(str)
    entry["n"] = int(keep.sum())
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    encoded = _out_of_fold_encoding(binned.loc[keep], y, splitter, seed=seed)

    rows = []
    for column in features:
        by_group = {
            group: auc_estimate(
                y == group,
                encoded[column][group],
                level=level,
                replicates=replicates,
                rng=cell_rng(seed, "proxy", name, column, group),
            )
            for group in usable
        }
        best = max(usable, key=lambda group: by_group[group].value or 0.0)
        auc = by_group[best]
        rows.append(
            {
                "feature": column,
                "nmi": float(normalized_mutual_info_score(y, binned.loc[keep, column])),
                "auc": auc.to_dict(),
                "group": best,
                "auc_by_group": {group: estimate.to_dict() for group, estimate in by_group.items()},
                "proxy": bool(auc.value is not None and auc.value >= threshold),
            }
        )
    rows.sort(key=lambda row: row["auc"]["value"] or 0.0, reverse=True)

    entry["leakage_auc"], entry["leakage_auc_by_group"] = _leakage(
        data.loc[keep, features], y, usable, splitter, level=level, replicates=replicates, seed=seed
    )
    entry["features"] = rows
    entry["proxies"] = [
        {"feature": row["feature"], "auc": row["auc"]["value"], "group": row["group"]}
        for row in rows
        if row["proxy"]
    ]
    return entry


def _bin(column: pd.Series, bins: int) -> pd.Series:
    """Return the column as text categories: quantile bins of a numeric column with many
    values, the values themselves otherwise, and a category of its own for missing."""
    if pd.api.types.is_numeric_dtype(column) and column.nunique() > bins:
        binned = pd.qcut(column.astype(float), q=bins, duplicates="drop").astype(str)
    else:
        binned = column.astype(str)
    return binned.where(column.notna(), MISSING_BIN).reset_index(drop=True)


def _out_of_fold_encoding(
    binned: pd.DataFrame, y: np.ndarray, splitter: StratifiedKFold, *, seed: int
) -> dict[str, dict[str, np.ndarray]]:
    """Return, per feature and group, each row's out-of-fold share of the group in its bin.

    Each fold's rows are encoded by a `TargetEncoder` fitted on the other folds, so a row's
    own group never informs its encoding.
    """
    classes = np.unique(y)
    binary = len(classes) == 2
    frame = binned.reset_index(drop=True)
    encoded = {column: {group: np.zeros(len(frame)) for group in classes} for column in frame}
    for train, test in splitter.split(frame, y):
        encoder = TargetEncoder(target_type="binary" if binary else "multiclass")
        encoder.fit(frame.iloc[train], y[train])
        values = encoder.transform(frame.iloc[test])
        for index, column in enumerate(frame.columns):
            if binary:
                # A binary encoding is the share of the second class (in sorted order).
                encoded[column][classes[1]][test] = values[:, index]
                encoded[column][classes[0]][test] = 1.0 - values[:, index]
            else:
                for position, group in enumerate(encoder.classes_):
                    encoded[column][group][test] = values[:, index * len(classes) + position]
    return encoded


def _leakage(features, y, usable, splitter, *, level, replicates, seed):
    frame = features.reset_index(drop=True).copy()
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            frame[column] = series.astype(float)
        elif not pd.api.types.is_numeric_dtype(series):
            categories = series.astype("category")
            if len(categories.cat.categories) > _MAX_NATIVE_CATEGORIES:
                frame[column] = categories.cat.codes.where(series.notna()).astype(float)
            else:
                frame[column] = categories
    # A small ensemble: the leakage AUC is a diagnostic, and the fit runs once per fold.
    classifier = HistGradientBoostingClassifier(
        max_iter=50, max_leaf_nodes=15, categorical_features="from_dtype", random_state=seed
    )
    # One OpenMP thread: on audit-sized folds the threads' start-up costs more than they
    # save, by a factor of about 20 on a busy 2-core VM (the proxy tests, 600 rows).
    with threadpool_limits(limits=1, user_api="openmp"):
        probabilities = cross_val_predict(classifier, frame, y, cv=splitter, method="predict_proba")
    classes = list(np.unique(y))
    by_group = {
        group: auc_estimate(
            y == group,
            probabilities[:, classes.index(group)],
            level=level,
            replicates=replicates,
            rng=cell_rng(seed, "leakage", group),
        )
        for group in usable
    }
    best = max(usable, key=lambda group: by_group[group].value or 0.0)
    return (
        {**by_group[best].to_dict(), "group": best},
        {group: estimate.to_dict() for group, estimate in by_group.items()},
    )
