"""Agreement among reviewers and between reviewers and the model, overall and by group.

Alpha is broken down by item group (the sample's groups, e.g. the locale of the text)
and by annotator group (each value of each ``annotator_*`` attribute, counting only the
labels of that group's annotators). Kappa compares the human majority label of each item
with the model's decision of each run, and with the gold label.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.metrics.table import Estimate
from equilens.review._alpha import alpha_with_intervals, kappa_with_intervals, value_counts
from equilens.review._annotations import Annotations
from equilens.review._scale import LabelScale

ALL = "all"


def ratings_matrix(
    annotations: Annotations, item_ids: Sequence[str], scale: LabelScale
) -> tuple[np.ndarray, list[str]]:
    """Return the annotators x items matrix of label positions (NaN where unlabelled)."""
    frame = annotations.frame
    annotators = sorted(frame["annotator_id"].unique())
    row = {annotator: index for index, annotator in enumerate(annotators)}
    column = {item_id: index for index, item_id in enumerate(item_ids)}
    codes = np.full((len(annotators), len(item_ids)), np.nan)
    keep = frame["item_id"].isin(column)
    rows = frame["annotator_id"][keep].map(row).to_numpy(int)
    columns = frame["item_id"][keep].map(column).to_numpy(int)
    codes[rows, columns] = scale.index(frame["label"][keep])
    return codes, annotators


def item_summary(codes: np.ndarray, item_ids: Sequence[str], scale: LabelScale) -> pd.DataFrame:
    """Return per item the number of labels, each label's count, the majority label and
    the disagreement (1 minus the share of labels equal to the most frequent one).

    An item whose most frequent labels tie has no majority (None).
    """
    counts = value_counts(codes, len(scale.labels))
    n = counts.sum(axis=1)
    top = counts.max(axis=1)
    unique_top = (counts == top[:, None]).sum(axis=1) == 1
    majority = np.where(
        (n > 0) & unique_top, np.array(scale.labels, dtype=object)[counts.argmax(axis=1)], None
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        disagreement = np.where(n > 0, 1 - top / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "item_id": list(item_ids),
            "n_labels": n,
            "label_counts": [
                {label: int(count) for label, count in zip(scale.labels, row, strict=True) if count}
                for row in counts
            ],
            "majority_label": majority,
            "disagreement": disagreement,
        }
    )


def alpha_breakdowns(
    annotations: Annotations,
    items: pd.DataFrame,
    scale: LabelScale,
    *,
    replicates: int,
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Return alpha overall, per item group and per annotator group.

    Parameters
    ----------
    annotations : Annotations
    items : pandas.DataFrame
        The reviewed items with ``item_id``, ``group`` and ``weight``.
    scale : LabelScale
    replicates : int
        Bootstrap replicates of each interval.
    confidence : float
        Level of the intervals.
    rng : numpy.random.Generator
    """
    codes, annotators = ratings_matrix(annotations, items["item_id"].tolist(), scale)
    weights = items["weight"].to_numpy(float)
    common = {
        "domain": scale.domain,
        "level": scale.level,
        "replicates": replicates,
        "confidence": confidence,
        "rng": rng,
    }

    def alpha_of(rows: np.ndarray, columns: np.ndarray) -> dict[str, Any]:
        counts = value_counts(codes[np.ix_(rows, columns)], len(scale.labels))
        return alpha_with_intervals(counts, weights=weights[columns], **common).to_dict()

    every_row = np.arange(len(annotators))
    every_column = np.arange(len(items))
    overall = alpha_of(every_row, every_column)

    by_item_group = []
    for group in sorted(items["group"].unique()):
        columns = np.flatnonzero(items["group"].to_numpy() == group)
        by_item_group.append({"group": str(group), **alpha_of(every_row, columns)})

    by_annotator_group = []
    attributes = annotations.frame.drop_duplicates("annotator_id").set_index("annotator_id")
    for attribute in annotations.attributes:
        values = attributes[attribute].reindex(annotators)
        for value in sorted(value for value in values.dropna().unique() if value != ""):
            rows = np.flatnonzero(values.to_numpy() == value)
            by_annotator_group.append(
                {
                    "attribute": attribute,
                    "group": str(value),
                    "annotators": int(len(rows)),
                    **alpha_of(rows, every_column),
                }
            )
    return {
        "level": scale.level,
        **overall,
        "by_item_group": by_item_group,
        "by_annotator_group": by_annotator_group,
    }


def kappa_tables(
    summary: pd.DataFrame,
    items: pd.DataFrame,
    decisions: pd.DataFrame,
    scale: LabelScale,
    *,
    gold_positives: Collection[str],
    model_positive: str,
    replicates: int,
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, list[dict[str, Any]]]:
    """Return Cohen's kappa of the human majority label against each run's decisions and
    against the gold labels, overall and per item group.

    Items without a majority (a tie, or no labels) are left out and counted. Some runs'
    decisions are not labels of the scale, for example those of a sentiment model audited
    on emotion labels. Both sides are then compared as positive or not. A decision is
    positive when it is `model_positive`, and a label when it is one of `gold_positives`.
    """
    frame = items[["item_id", "group", "weight", "gold_label"]].merge(
        summary[["item_id", "majority_label"]], on="item_id"
    )
    model = []
    common = {"replicates": replicates, "confidence": confidence, "rng": rng}
    for run, rows in decisions.groupby("run", sort=False):
        merged = frame.merge(rows[["item_id", "predicted_label"]], on="item_id")
        positive = (merged["predicted_label"] == model_positive).to_numpy()
        model += _kappa_rows(
            merged, "predicted_label", scale, {"run": str(run)}, positive, gold_positives, common
        )
    positive = frame["gold_label"].isin(gold_positives).to_numpy()
    gold = _kappa_rows(frame, "gold_label", scale, {}, positive, gold_positives, common)
    return {"model_vs_majority": model, "gold_vs_majority": gold}


def _kappa_rows(frame, column, scale, extra, positive, gold_positives, common):
    labels = list(scale.labels)
    compared = "labels"
    other = frame[column].dropna()
    counted = [label for label in labels if label in gold_positives]
    if not set(other) <= set(labels):
        if not counted:
            reason = (
                f"the {column.replace('_', ' ')}s {sorted(set(other) - set(labels))[:3]} are "
                f"not labels of the review scale"
            )
            undefined = Estimate.undefined(reason).to_dict()
            return [
                {
                    **extra,
                    "group": ALL,
                    "items": int(frame["majority_label"].notna().sum()),
                    "without_majority": int(frame["majority_label"].isna().sum()),
                    "compared": None,
                    "agreement": None,
                    "kappa": undefined,
                    "kappa_weighted": undefined,
                }
            ]
        compared = f"positive ({' or '.join(counted)}) or not"

    rows = []
    groups = [(ALL, frame)] + [(str(g), part) for g, part in frame.groupby("group", sort=True)]
    frame = frame.assign(positive=positive)
    groups = [(ALL, frame)] + [(str(g), part) for g, part in frame.groupby("group", sort=True)]
    for group, part in groups:
        usable = part[part["majority_label"].notna() & part[column].notna()]
        if compared == "labels":
            human = scale.index(usable["majority_label"])
            machine = scale.index(usable[column])
            n_labels = len(labels)
            level = scale.level
        else:
            human = usable["majority_label"].isin(counted).to_numpy(int)
            machine = usable["positive"].to_numpy(int)
            n_labels, level = 2, "nominal"
        kappa, weighted = kappa_with_intervals(
            human,
            machine,
            n_labels=n_labels,
            level=level,
            weights=usable["weight"].to_numpy(float),
            **common,
        )
        rows.append(
            {
                **extra,
                "group": group,
                "items": int(len(usable)),
                "without_majority": int(part["majority_label"].isna().sum()),
                "compared": compared,
                "agreement": float((human == machine).mean()) if len(usable) else None,
                "kappa": kappa.to_dict(),
                "kappa_weighted": weighted.to_dict(),
            }
        )
    return rows
