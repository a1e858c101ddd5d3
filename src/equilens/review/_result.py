"""`assess_review`: agreement, label bias, findings and the adjudication list of a review."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError
from equilens.review._agreement import (
    alpha_breakdowns,
    item_summary,
    kappa_tables,
    ratings_matrix,
)
from equilens.review._annotations import Annotations
from equilens.review._bias import label_bias_finding, label_bias_tests, reliability_finding
from equilens.review._files import json_ready
from equilens.review._run import ReviewRun
from equilens.review._sample import ReviewSample, group_labels
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

REVIEW_SCHEMA = "equilens.review/1"
#: Share of an item's labels that differ from its most frequent label above which the
#: item goes to adjudication: with three reviewers, a 2-to-1 split (1/3) qualifies.
ADJUDICATE_ABOVE = 0.3
#: Default lower bound on Krippendorff's alpha in the reliability finding. It is a commonly
#: used minimum for tentative conclusions from labels, and 0.8 a commonly used stricter one.
MIN_ALPHA = 0.667
ADJUDICATION_COLUMNS = (
    "item_id", "group", "locale", "text", "english_gloss", "gold_label", "majority_label",
    "label_counts", "n_labels", "disagreement", "reason", "adjudicated_label",
    "adjudicator_id", "note",
)  # fmt: skip


@dataclass
class ReviewResult:
    """Everything computed from one set of reviewers' labels.

    Attributes
    ----------
    run : ReviewRun
        The audit run that was reviewed.
    scale : LabelScale
        The labels reviewers chose from.
    annotations : Annotations
        The labels as read.
    items : pandas.DataFrame
        One row per labelled item: group, weight, gold label, label counts, majority
        label, disagreement, model decisions and whether it goes to adjudication.
    agreement : dict
        Alpha overall (``alpha``, ``alpha_weighted``), ``by_item_group``,
        ``by_annotator_group``, ``model_vs_majority`` and ``gold_vs_majority``.
    label_bias : list of dict
        The comparisons of annotator groups.
    findings : list of dict
        The review's findings, in the format of findings.json's ``findings``.
    adjudication : pandas.DataFrame
        The items listed for a second pass.
    warnings : list of dict
    settings : dict
    """

    run: ReviewRun
    scale: LabelScale
    annotations: Annotations
    items: pd.DataFrame
    agreement: dict[str, Any]
    label_bias: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    adjudication: pd.DataFrame
    warnings: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def alpha(self) -> float | None:
        """Krippendorff's alpha over all reviewed items, None when undefined."""
        return self.agreement["alpha"]["value"]

    def summary(self) -> dict[str, Any]:
        """Return the review section of findings.json: review.json without its items."""
        return {key: value for key, value in self.to_dict().items() if key != "items"}

    def to_dict(self) -> dict[str, Any]:
        """Return the review.json mapping (schema ``equilens.review/1``)."""
        from equilens import __version__

        items = self.items.copy()
        items["weight"] = items["weight"].astype(float)
        return json_ready(
            {
                "schema": REVIEW_SCHEMA,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "equilens_version": __version__,
                "run": {
                    "path": str(self.run.path),
                    "name": self.run.findings.get("audit", {}).get("name"),
                    "data_sha256": self.run.findings.get("audit", {}).get("data_sha256"),
                },
                "scale": self.scale.to_dict(),
                "settings": self.settings,
                "annotations": self.annotations.describe(),
                "agreement": self.agreement,
                "label_bias": self.label_bias,
                "findings": self.findings,
                "adjudication": {
                    "threshold": self.settings.get("adjudicate_above"),
                    "items": int(len(self.adjudication)),
                    "file": self.settings.get("adjudication_file"),
                },
                "warnings": self.warnings,
                "items": items.astype(object).where(items.notna(), None).to_dict(orient="records"),
            }
        )


def assess_review(
    run: ReviewRun,
    annotations: Annotations,
    *,
    sample: ReviewSample | None = None,
    scale: LabelScale | None = None,
    replicates: int = 1000,
    seed: int = 0,
    adjudicate_above: float = ADJUDICATE_ABOVE,
    min_alpha: float = MIN_ALPHA,
) -> ReviewResult:
    """Measure agreement among reviewers and with the model, and test for label bias.

    Parameters
    ----------
    run : ReviewRun
        The audit run that was reviewed.
    annotations : Annotations
        Reviewers' labels, from `read_annotations`.
    sample : ReviewSample, optional
        The sample the items came from; its weights make the weighted estimates. Without
        it every item weighs 1 and the groups are the run's default group.
    scale : LabelScale, optional
        The labels; the sample's, or else the plan's.
    replicates : int
        Bootstrap replicates of each interval.
    seed : int
        Seed of the bootstrap.
    adjudicate_above : float
        Items whose disagreement (1 minus the share of their most frequent label) is
        above this go to adjudication, as do items whose majority label differs from the
        gold label.
    min_alpha : float
        Lower bound on alpha in the reliability finding.

    Returns
    -------
    ReviewResult

    Raises
    ------
    DataError
        When no item was labelled by two or more annotators, so alpha is undefined.
    """
    scale = scale or (sample.scale if sample is not None else run.default_scale())
    warnings: list[dict[str, Any]] = []
    items = _reviewed_items(run, annotations, sample, warnings)
    codes, _ = ratings_matrix(annotations, items["item_id"].tolist(), scale)
    summary = item_summary(codes, items["item_id"].tolist(), scale)
    if not (summary["n_labels"] >= 2).any():
        raise DataError(
            f"No item in {annotations.source!r} was labelled by two or more annotators "
            f"({len(summary)} items, each labelled once), so Krippendorff's alpha is undefined: "
            f"agreement can only be measured on items that several annotators label. Assign "
            f"each item, or an overlapping subset, to at least two annotators and import again."
        )

    rng = np.random.default_rng(seed)
    confidence = run.confidence_level
    common = {"replicates": replicates, "confidence": confidence, "rng": rng}
    agreement = alpha_breakdowns(annotations, items, scale, **common)
    decisions = run.decisions[run.decisions["item_id"].isin(set(items["item_id"]))]
    agreement.update(
        kappa_tables(
            summary,
            items,
            decisions,
            scale,
            gold_positives=run.gold_positives,
            model_positive=run.positive_label,
            **common,
        )
    )

    bias: list[dict[str, Any]] = []
    if not annotations.attributes:
        warnings.append(_warning("no_annotator_attributes", _NO_ATTRIBUTES))
    elif not scale.comparable_by_share:
        warnings.append(_warning("label_bias_untested", _NO_SHARE.format(labels=scale.labels)))
    else:
        bias = label_bias_tests(
            annotations, items, scale, multiple_testing=run.multiple_testing, **common
        )

    findings = [reliability_finding(agreement, min_alpha=min_alpha, confidence=confidence)]
    for attribute in dict.fromkeys(test["attribute"] for test in bias):
        findings.append(
            label_bias_finding(
                bias, attribute, confidence=confidence, meaning=scale.numeric_meaning()
            )
        )

    table = items.merge(summary, on="item_id")
    pivot = decisions.pivot_table(
        index="item_id", columns="run", values="predicted_label", aggfunc="first"
    )
    table["model_labels"] = [
        {run_name: label for run_name, label in pivot.loc[item_id].dropna().items()}
        if item_id in pivot.index
        else {}
        for item_id in table["item_id"]
    ]
    table["adjudicate"], table["reason"] = _adjudication_reasons(table, scale, adjudicate_above)
    settings = {
        "replicates": replicates,
        "seed": seed,
        "confidence_level": confidence,
        "multiple_testing": run.multiple_testing,
        "adjudicate_above": adjudicate_above,
        "min_alpha": min_alpha,
        "weighted": sample is not None,
        "group_columns": sample.group_columns if sample is not None else run.default_group(),
    }
    logger.info(
        "Review of %s: alpha %s over %d items, %d items to adjudicate",
        run.path,
        agreement["alpha"].get("value"),
        len(table),
        int(table["adjudicate"].sum()),
    )
    return ReviewResult(
        run, scale, annotations, table, agreement, bias, findings,
        adjudication_table(table), warnings, settings,
    )  # fmt: skip


def _reviewed_items(run, annotations, sample, warnings) -> pd.DataFrame:
    labelled = set(annotations.frame["item_id"])
    if sample is not None:
        items = sample.items[sample.items["item_id"].isin(labelled)].copy()
        unlabelled = len(sample.items) - len(items)
        if unlabelled:
            warnings.append(
                _warning(
                    "unlabelled_items",
                    f"{unlabelled} of the {len(sample.items)} sampled items have no label; "
                    f"agreement and the weighted estimates cover the {len(items)} labelled ones.",
                    count=unlabelled,
                )
            )
    else:
        items = run.items[run.items["item_id"].isin(labelled)].copy()
        items["group"] = group_labels(items, run.default_group())
        items["weight"] = 1.0
        warnings.append(_warning("unweighted", _UNWEIGHTED))
    columns = ["item_id", "group", "weight", "gold_label", "locale", "text", "english_gloss"]
    return items[columns].reset_index(drop=True)


def _adjudication_reasons(table: pd.DataFrame, scale: LabelScale, threshold: float):
    flags, reasons = [], []
    for row in table.itertuples(index=False):
        reasons_for_item = []
        if row.n_labels >= 2 and row.disagreement > threshold:
            top = max(row.label_counts.values())
            reasons_for_item.append(
                f"reviewers disagree ({top} of {row.n_labels} labels are the most frequent one)"
            )
        gold = row.gold_label
        majority = row.majority_label
        if row.n_labels >= 2 and majority is not None and gold in scale.labels and majority != gold:
            reasons_for_item.append(
                f"the reviewers' majority {majority!r} differs from the gold label {gold!r}"
            )
        flags.append(bool(reasons_for_item))
        reasons.append("; ".join(reasons_for_item) or None)
    return flags, reasons


def adjudication_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return the items to adjudicate with empty columns for the second pass."""
    chosen = table[table["adjudicate"]].copy()
    chosen["label_counts"] = [
        "; ".join(f"{label}: {count}" for label, count in counts.items())
        for counts in chosen["label_counts"]
    ]
    chosen["disagreement"] = chosen["disagreement"].round(4)
    for column in ("adjudicated_label", "adjudicator_id", "note"):
        chosen[column] = ""
    ordered = chosen.sort_values(["disagreement", "item_id"], ascending=[False, True])
    return ordered[list(ADJUDICATION_COLUMNS)].reset_index(drop=True)


def _warning(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **details}


_NO_ATTRIBUTES = (
    "The annotations have no annotator attributes (columns such as annotator_locale), so "
    "label bias between reviewer groups was not tested. Add the columns to the CSV, or "
    "pass --annotators with a file of annotator_id and attribute columns."
)
_NO_SHARE = (
    "The nominal scale {labels} has more than two labels and no positive label, so reviewer "
    "groups cannot be compared on one number; label bias was not tested."
)
_UNWEIGHTED = (
    "No review sample was given, so every item weighs 1 and the weighted estimates equal "
    "the unweighted ones; pass the export folder with --sample to weight items back to "
    "the audit."
)
