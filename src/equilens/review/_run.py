"""Reading an audit's output folder into the items and model decisions that a review needs.

predictions.parquet contains one row per decision but no texts. The texts of a text audit
are regenerated from the run's plan.yaml: a test bed from its name, locales and seed
(checked against the data digest in findings.json), or a corpus from its file. A tabular
audit's items are its rows, shown to reviewers by their row id.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError, PlanError
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

#: Gold labels of a tabular audit's rows: the target's favorable value and the rest.
FAVORABLE, UNFAVORABLE = "favorable", "unfavorable"
#: File that `review apply` writes into its output folder: the adjudicated gold labels
#: that replace those of the test bed or corpus, read back whenever the folder is loaded.
ADJUDICATED_LABELS = "adjudicated_labels.csv"
NO_PAIR, PAIR_AGREES, PAIR_FLIPS = "unpaired", "agrees", "flips"


@dataclass
class ReviewRun:
    """The items and model decisions of one audit run folder.

    Attributes
    ----------
    path : Path
        The run folder.
    kind : {"text", "tabular"}
        Which kind of audit wrote the folder.
    findings : dict
        The parsed findings.json.
    plan : TextAuditPlan or AuditPlan
        The plan read from plan.yaml.
    items : pandas.DataFrame
        One row per audited item: ``item_id``, ``text``, ``english_gloss``, ``locale``,
        ``gold_label``, ``pair_id``, ``pair_role`` and the item's attribute columns.
    decisions : pandas.DataFrame
        One row per model decision: ``run``, ``item_id``, ``predicted_label``, ``y_pred``
        and ``score`` (higher means the positive label).
    labels : tuple of str
        The plan's label set: the gold labels of the test bed or corpus, or favorable and
        unfavorable for a tabular audit.
    positive_label : str
        The model label that counts as positive.
    gold_positives : tuple of str
        The gold labels that count as positive (the plan's ``positive_gold_labels``).
    thresholds : dict of str to float or None
        Decision threshold of each run on the ``score`` scale, where the plan states one.
    overrides : dict of str to str
        Adjudicated gold labels already applied to this folder's items.
    """

    path: Path
    kind: str
    findings: dict[str, Any]
    plan: Any
    items: pd.DataFrame
    decisions: pd.DataFrame
    labels: tuple[str, ...]
    positive_label: str
    gold_positives: tuple[str, ...] = ()
    thresholds: dict[str, float | None] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def run_names(self) -> list[str]:
        return list(dict.fromkeys(self.decisions["run"]))

    @property
    def confidence_level(self) -> float:
        return float(self.findings.get("audit", {}).get("confidence_level", 0.95))

    @property
    def multiple_testing(self) -> str:
        return str(self.findings.get("audit", {}).get("multiple_testing", "benjamini-hochberg"))

    @property
    def review_positive(self) -> str | None:
        """The positive label among the plan's labels: the model's positive label when it
        is a gold label too, else the first gold label that counts as positive."""
        if self.positive_label in self.labels:
            return self.positive_label
        return next((label for label in self.labels if label in self.gold_positives), None)

    def default_scale(self) -> LabelScale:
        """Return the nominal scale of the plan's labels."""
        return LabelScale(self.labels, "nominal", self.review_positive)

    def default_group(self) -> list[str]:
        """Return the item column that review strata and breakdowns group by by default.

        ``locale`` when the items have several locales, else the first audited attribute.
        """
        if "locale" in self.items and self.items["locale"].nunique() > 1:
            return ["locale"]
        for entry in self.findings.get("attributes", []):
            column = entry.get("column") or entry.get("name")
            if column in self.items and column not in ("run", "item_id"):
                return [column]
        return ["locale"] if "locale" in self.items else []


def load_run(run_dir: str | Path) -> ReviewRun:
    """Read an audit output folder (plan.yaml, findings.json, predictions.parquet).

    Parameters
    ----------
    run_dir : str or Path
        A folder written by `equilens audit`, `equilens demo` or `AuditResult.write`.

    Returns
    -------
    ReviewRun

    Raises
    ------
    DataError
        When a file is missing or unreadable, or when the regenerated texts are not the
        ones the audit scored.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise DataError(f"Run folder {str(path)!r} not found. Give the --out folder of an audit.")
    predictions_path = path / "predictions.parquet"
    if not predictions_path.is_file():
        raise DataError(
            f"Run folder {str(path)!r} has no predictions.parquet, so there is nothing to "
            f"review. Give the folder that 'equilens audit PLAN --out DIR' wrote."
        )
    for name in ("plan.yaml", "findings.json"):
        if not (path / name).is_file():
            raise DataError(
                f"Run folder {str(path)!r} has no {name}; run the audit again with "
                f"'equilens audit PLAN --out {path}' to write all of its files."
            )
    try:
        findings = json.loads((path / "findings.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{str(path / 'findings.json')!r} is not valid JSON: {error}.") from None
    predictions = pd.read_parquet(predictions_path)
    overrides = read_overrides(path / ADJUDICATED_LABELS)

    from equilens.runner import TEXT_KIND, plan_kind

    if plan_kind(path / "plan.yaml") == TEXT_KIND:
        from equilens.review._text_run import load_text_run

        run = load_text_run(path, findings, predictions, overrides)
    else:
        run = _load_tabular_run(path, findings, predictions, overrides)
    logger.info(
        "Loaded %s run %s: %d items, %d decisions",
        run.kind,
        path,
        len(run.items),
        len(run.decisions),
    )
    return run


def read_overrides(path: Path) -> dict[str, str]:
    """Return the adjudicated gold labels of a folder written by `review apply`."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["item_id"]: row["adjudicated_label"] for row in csv.DictReader(handle)}


def _load_tabular_run(path, findings, predictions, overrides) -> ReviewRun:
    from equilens.plan import load_plan

    try:
        plan = load_plan(path / "plan.yaml")
    except PlanError as error:
        raise DataError(f"The run's plan cannot be read: {error}") from None
    item_ids = predictions["row_id"].map(str).to_numpy(dtype=object)
    gold = np.where(predictions["y_true"].to_numpy() == 1, FAVORABLE, UNFAVORABLE).astype(object)
    for position, item_id in enumerate(item_ids):
        if item_id in overrides:
            gold[position] = overrides[item_id]

    attributes = [
        column
        for column in predictions.columns
        if column not in ("row_id", "y_true", "y_pred", "score")
    ]
    items = pd.DataFrame({"item_id": item_ids})
    items["text"] = [f"Case {item_id}" for item_id in item_ids]
    items["english_gloss"] = None
    items["locale"] = None
    items["gold_label"] = gold
    items["pair_id"] = None
    items["pair_role"] = None
    for column in attributes:
        items[column] = predictions[column].astype(object).where(predictions[column].notna(), None)

    model_id = (findings.get("audit", {}).get("model") or {}).get("id") or "model"
    decisions = pd.DataFrame(
        {
            "run": model_id,
            "item_id": item_ids,
            "predicted_label": np.where(
                predictions["y_pred"].to_numpy() == 1, FAVORABLE, UNFAVORABLE
            ),
            "y_pred": predictions["y_pred"].to_numpy(int),
            "score": predictions["score"].to_numpy(float),
        }
    )
    threshold = None
    if plan.prediction is not None and plan.prediction.threshold is not None:
        threshold = plan.prediction.threshold
    elif plan.model is not None and plan.model.threshold is not None:
        threshold = plan.model.threshold
    return ReviewRun(
        path, "tabular", findings, plan, items, decisions, (FAVORABLE, UNFAVORABLE),
        FAVORABLE, (FAVORABLE,), {model_id: threshold}, overrides,
    )  # fmt: skip


def pair_status(run: ReviewRun, decisions: pd.DataFrame) -> pd.Series:
    """Return, per item, whether its decision differs from the rest of its minimal pair.

    A variant ``flips`` when its decision differs from its base item's; a base item
    ``flips`` when any variant of its pair set does. Items outside pair sets, and pair
    sets whose base has no decision, are ``unpaired``.

    Parameters
    ----------
    run : ReviewRun
    decisions : pandas.DataFrame
        One decision per item (``item_id``, ``y_pred``) of the model that sets the strata.
    """
    frame = run.items[["item_id", "pair_id", "pair_role"]].merge(
        decisions[["item_id", "y_pred"]], on="item_id", how="inner"
    )
    status = pd.Series(NO_PAIR, index=frame["item_id"].to_numpy(), dtype=object)
    paired = frame[frame["pair_id"].notna() & frame["pair_role"].isin(["base", "variant"])]
    base = paired[paired["pair_role"] == "base"].set_index("pair_id")["y_pred"]
    base = base[~base.index.duplicated()]
    for pair_id, members in paired.groupby("pair_id", sort=False):
        if pair_id not in base.index:
            continue
        flips = members["y_pred"].to_numpy() != base[pair_id]
        roles = members["pair_role"].to_numpy()
        ids = members["item_id"].to_numpy()
        any_flip = bool(flips[roles == "variant"].any())
        for item_id, role, flip in zip(ids, roles, flips, strict=True):
            flipped = any_flip if role == "base" else bool(flip)
            status[item_id] = PAIR_FLIPS if flipped else PAIR_AGREES
    return status
