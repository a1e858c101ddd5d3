"""Reading an audit's output folder into the items and model decisions that a review needs.

predictions.parquet contains one row per decision but no texts. The texts of a text audit
are regenerated from the run's plan.yaml: a test bed from its name, locales and seed
(checked against the data digest in findings.json), or a corpus from its file. A tabular
audit's items are its rows, shown to reviewers by their row id.
"""

from __future__ import annotations

import csv
import dataclasses
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
        The label that counts as positive.
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

    def default_scale(self) -> LabelScale:
        """Return the nominal scale of the plan's labels."""
        return LabelScale(self.labels, "nominal", self.positive_label)

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
        run = _load_text_run(path, findings, predictions, overrides)
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


def _load_text_run(path, findings, predictions, overrides) -> ReviewRun:
    from equilens.text import load_text_plan
    from equilens.text.plan import model_labels

    try:
        plan = load_text_plan(path / "plan.yaml")
    except PlanError as error:
        raise DataError(f"The run's plan cannot be read: {error}") from None
    table = _text_table(plan, findings, overrides, path=path)

    row_ids = predictions["row_id"].astype(str)
    runs = predictions["run"].astype(str) if "run" in predictions else row_ids.str.split(":").str[0]
    item_ids = row_ids.str.split(":", n=1).str[1]
    unknown = sorted(set(item_ids) - set(table["item_id"]))
    if unknown:
        raise DataError(
            f"predictions.parquet of {str(path)!r} has {len(unknown)} items that the plan's "
            f"data does not produce, e.g. {unknown[:3]}. The test bed or corpus changed since "
            f"the audit; run the audit again."
        )

    thresholds: dict[str, float | None] = {}
    predicted = np.empty(len(predictions), dtype=object)
    for run_config in plan.runs:
        mask = (runs == run_config.name).to_numpy()
        labels = model_labels(run_config.model) or ()
        others = [label for label in labels if label != plan.positive_label]
        negative = others[0] if len(others) == 1 else f"not {plan.positive_label}"
        y_pred = predictions.loc[mask, "y_pred"].to_numpy()
        predicted[mask] = np.where(y_pred == 1, plan.positive_label, negative)
        rule = getattr(run_config.model, "rule", None)
        if rule is not None:
            # Scores are oriented so that higher means positive. Adding 0.0 turns -0.0 into 0.0.
            thresholds[run_config.name] = float(rule.oriented_score(rule.threshold)) + 0.0
        else:
            thresholds[run_config.name] = 0.5 if run_config.probability_scores else None

    decisions = pd.DataFrame(
        {
            "run": runs.to_numpy(dtype=object),
            "item_id": item_ids.to_numpy(dtype=object),
            "predicted_label": predicted,
            "y_pred": predictions["y_pred"].to_numpy(int),
            "score": predictions["score"].to_numpy(float),
        }
    )
    audited = table[table["item_id"].isin(set(item_ids))].reset_index(drop=True)
    labels = _text_labels(plan, audited)
    return ReviewRun(
        path, "text", findings, plan, audited, decisions, labels, plan.positive_label,
        thresholds, overrides,
    )  # fmt: skip


def _text_table(plan, findings, overrides, *, path: Path) -> pd.DataFrame:
    """Regenerate the audit's items and return them as a table with gold labels."""
    from equilens.text.corpora import read_corpus
    from equilens.text.items import corpus_frame, generate_items, items_frame

    if plan.data.is_testbed:
        generated, digest = generate_items(plan.data)
        recorded = findings.get("audit", {}).get("data_sha256")
        if not overrides and recorded and recorded != digest:
            raise DataError(
                f"The test bed {plan.data.testbed!r} now generates other items than the audit "
                f"of {str(path)!r} scored (data SHA-256 {recorded[:12]}… in findings.json, "
                f"{digest[:12]}… now), so the texts cannot be matched to the predictions. Run "
                f"the audit again with this version of equilens."
            )
        generated = apply_overrides(generated, overrides)
        table = items_frame(generated, positives=plan.gold_positives)
    else:
        corpus = read_corpus(plan.data)
        table = corpus_frame(corpus, positives=plan.gold_positives)
        for item_id, label in overrides.items():
            table.loc[table["item_id"] == item_id, "label"] = label
    table = table.rename(columns={"label": "gold_label"})
    for column in ("english_gloss", "locale", "pair_id", "pair_role"):
        if column not in table:
            table[column] = None
    return table


def apply_overrides(items: list[Any], overrides: dict[str, str]) -> list[Any]:
    """Return test-bed items with adjudicated gold labels.

    An escalation item gets ``should_escalate`` from its label (``escalate`` or
    ``no_escalate``); an emotion item gets the label as its ``emotion``. Severity stays,
    because the facts of the message set it.
    """
    from equilens.text.items import ESCALATE

    if not overrides:
        return items
    edited = []
    for item in items:
        label = overrides.get(item.id)
        if label is None:
            edited.append(item)
            continue
        gold = dict(item.gold)
        if "should_escalate" in gold:
            gold["should_escalate"] = label == ESCALATE
        else:
            gold["emotion"] = label
        edited.append(dataclasses.replace(item, gold=gold))
    return edited


def _text_labels(plan, table: pd.DataFrame) -> tuple[str, ...]:
    from equilens.text.items import ESCALATE, NO_ESCALATE

    if plan.data.labels:
        return tuple(plan.data.labels)
    present = list(dict.fromkeys(str(label) for label in table["gold_label"].dropna()))
    if set(present) <= {ESCALATE, NO_ESCALATE}:
        return (ESCALATE, NO_ESCALATE)
    return tuple(sorted(present))


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
        path, "tabular", findings, plan, items, decisions, (FAVORABLE, UNFAVORABLE), FAVORABLE,
        {model_id: threshold}, overrides,
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
