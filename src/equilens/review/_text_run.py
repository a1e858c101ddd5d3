"""Reading a text audit's run folder: the regenerated items and the model decisions.

The texts are regenerated from the run's plan.yaml: a test bed from its name, locales and
seed, or a corpus from its file. Both are checked against the data digest in
findings.json, so that texts that changed since the audit stop with a message.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from equilens.errors import DataError, PlanError
from equilens.review._run import ReviewRun


def load_text_run(path: Path, findings, predictions, overrides) -> ReviewRun:
    """Return the `ReviewRun` of a text audit's folder, whose files `load_run` has read."""
    from equilens.text import load_text_plan
    from equilens.text.plan import model_labels

    try:
        plan = load_text_plan(path / "plan.yaml")
    except PlanError as error:
        raise DataError(f"The run's plan cannot be read: {error}") from None
    if not plan.data.is_testbed:
        plan.data.path = locate_corpus(path)
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
        tuple(sorted(plan.gold_positives)), thresholds, overrides,
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
        recorded = findings.get("audit", {}).get("data_sha256")
        if not overrides and recorded and recorded != corpus.sha256:
            raise DataError(
                f"The corpus file {str(plan.data.path)!r} changed since the audit of "
                f"{str(path)!r} (data SHA-256 {recorded[:12]}… in findings.json, "
                f"{corpus.sha256[:12]}… now), so its texts may not match the predictions. Run "
                f"the audit again on this file."
            )
        table = corpus_frame(corpus, positives=plan.gold_positives)
        for item_id, label in overrides.items():
            table.loc[table["item_id"] == item_id, "label"] = label
    table = table.rename(columns={"label": "gold_label"})
    for column in ("english_gloss", "locale", "pair_id", "pair_role"):
        if column not in table:
            table[column] = None
    return table


def locate_corpus(run_dir: Path) -> Path:
    """Return the corpus file of a run's text plan.

    `equilens audit` writes data.path into RUN_DIR/plan.yaml relative to the folder it ran
    in, but reading the plan back resolves a relative path against RUN_DIR. The file is
    therefore looked up at that path, then relative to the working directory, and then by
    its name in RUN_DIR, where `review apply` writes its corpus copy.

    Raises
    ------
    DataError
        When the file is in neither place.
    """
    raw = Path(yaml.safe_load((run_dir / "plan.yaml").read_text(encoding="utf-8"))["data"]["path"])
    for candidate in (raw if raw.is_absolute() else run_dir / raw, raw, run_dir / raw.name):
        if candidate.is_file():
            return candidate
    raise DataError(
        f"The corpus file {str(raw)!r} of the run's plan was not found next to the run folder "
        f"({str(run_dir / raw)!r}) or in the working directory. Run the review from the "
        f"folder the audit ran in, or set data.path in {str(run_dir / 'plan.yaml')!r} to the "
        f"corpus file's path."
    )


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
