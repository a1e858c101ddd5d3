"""Re-running an audit with adjudicated gold labels and comparing its findings.

A text audit on a test bed runs again on the regenerated items with the adjudicated gold
labels. A text audit on a corpus runs on a copy of the corpus with those labels, written
to the output folder. A tabular audit runs again on its predictions.parquet with the
adjudicated outcomes. The models score the texts again (through the plan's cache, when
it has one); tabular decisions are taken from predictions.parquet as they were.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.errors import DataError, did_you_mean
from equilens.review._diff import diff_findings
from equilens.review._files import attach_review, json_ready
from equilens.review._run import ADJUDICATED_LABELS, FAVORABLE, ReviewRun, load_run
from equilens.review._text_run import apply_overrides

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ("adjudicated_label", "label")
MAX_LISTED = 50


@dataclass
class AppliedReview:
    """The re-run audit with adjudicated labels and how its findings changed.

    Attributes
    ----------
    result : AuditResult
        The re-run audit, already written to `out_dir`.
    comparison : dict
        `diff_findings` of the original and the re-run findings.
    relabelled : pandas.DataFrame
        ``item_id``, ``gold_label`` (before) and ``adjudicated_label`` of each item whose
        label was replaced.
    out_dir : Path
    """

    result: Any
    comparison: dict[str, Any]
    relabelled: pd.DataFrame
    out_dir: Path


def read_adjudicated(path: str | Path, run: ReviewRun) -> pd.DataFrame:
    """Read adjudicated labels: a CSV with ``item_id`` and ``adjudicated_label`` (or
    ``label``). Rows with an empty label are skipped.

    Raises
    ------
    DataError
        For a missing column, an unknown item id, a label outside the plan's label set,
        an item given two different labels, or a file without any label.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Adjudication file {str(path)!r} not found. Check the path.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{str(path)!r} is not a readable UTF-8 CSV file: {error}.") from None
    column = next((name for name in LABEL_COLUMNS if name in frame.columns), None)
    if "item_id" not in frame.columns or column is None:
        raise DataError(
            f"{str(path)!r} needs the columns 'item_id' and 'adjudicated_label'; found "
            f"{list(frame.columns)}. Fill in the adjudicated_label column of adjudication.csv."
        )
    frame = frame.assign(
        item_id=frame["item_id"].str.strip(),
        adjudicated_label=frame[column].str.strip(),
        line=[f"line {number}" for number in range(2, len(frame) + 2)],
    )
    frame = frame[frame["adjudicated_label"] != ""]
    if frame.empty:
        raise DataError(
            f"{str(path)!r} has no adjudicated labels: every {column} cell is empty. Fill in "
            f"the labels decided in the second pass."
        )

    known = set(run.items["item_id"])
    unknown = frame[~frame["item_id"].isin(known)]
    if not unknown.empty:
        raise DataError(
            f"{len(unknown)} rows of {str(path)!r} name item ids that the run "
            f"{str(run.path)!r} did not audit: {unknown['item_id'].tolist()[:5]} "
            f"({', '.join(unknown['line'].tolist()[:5])}). Use the adjudication.csv of this run."
        )
    outside = frame[~frame["adjudicated_label"].isin(run.labels)]
    if not outside.empty:
        first = outside.iloc[0]
        raise DataError(
            f"Adjudicated label {first['adjudicated_label']!r} ({first['line']} of "
            f"{str(path)!r}) is not a gold label of the audit {list(run.labels)}."
            f"{did_you_mean(first['adjudicated_label'], run.labels)} Use one of those labels."
        )
    conflicting = frame.groupby("item_id")["adjudicated_label"].nunique()
    conflicting = conflicting[conflicting > 1]
    if not conflicting.empty:
        item_id = conflicting.index[0]
        rows = frame[frame["item_id"] == item_id]
        raise DataError(
            f"Item {item_id!r} has the adjudicated labels {rows['adjudicated_label'].tolist()} "
            f"({', '.join(rows['line'])} of {str(path)!r}). Keep one label per item."
        )
    frame = frame.drop_duplicates("item_id")
    gold = run.items.set_index("item_id")["gold_label"]
    frame["gold_label"] = frame["item_id"].map(gold)
    return frame[["item_id", "gold_label", "adjudicated_label"]].reset_index(drop=True)


def apply_adjudication(
    adjudicated: str | Path,
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    progress: Callable[[str], None] | None = None,
) -> AppliedReview:
    """Replace gold labels with adjudicated ones, re-run the audit and compare findings.

    Parameters
    ----------
    adjudicated : str or Path
        adjudication.csv with its ``adjudicated_label`` column filled in, or any CSV with
        ``item_id`` and ``adjudicated_label``.
    run_dir : str or Path
        The audit run whose gold labels are replaced.
    out_dir : str or Path
        Folder for the re-run audit. It receives the usual audit files, with
        ``adjudicated_labels.csv`` and a review section in findings.json, report.html and
        summary.md that shows which findings changed.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    AppliedReview
    """
    step = progress or (lambda name: None)
    run = load_run(run_dir)
    relabelled = read_adjudicated(adjudicated, run)
    out = Path(out_dir)
    if out.resolve() == run.path.resolve():
        raise DataError(
            f"--out {str(out)!r} is the run folder itself; give a new folder, so that the "
            f"original findings stay for the comparison."
        )
    overrides = {
        **run.overrides,
        **dict(zip(relabelled["item_id"], relabelled["adjudicated_label"], strict=True)),
    }

    step("Re-running the audit with adjudicated labels")
    out.mkdir(parents=True, exist_ok=True)
    if run.kind == "text":
        result = _rerun_text(run, overrides, out, step)
    else:
        result = _rerun_tabular(run, overrides)
    result.write(out)
    table = pd.DataFrame(
        {
            "item_id": list(overrides),
            "gold_label": [run.items.set_index("item_id")["gold_label"].get(i) for i in overrides],
            "adjudicated_label": list(overrides.values()),
        }
    )
    table.to_csv(out / ADJUDICATED_LABELS, index=False, encoding="utf-8")

    before = run.findings
    after = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    comparison = diff_findings(before, after)
    section = {
        key: value
        for key, value in (before.get("review") or {}).items()
        if key not in ("relabelled", "comparison")
    }
    section["relabelled"] = {
        "baseline": str(run.path),
        "file": str(adjudicated),
        "items": int(len(table)),
        "changed": int((table["gold_label"] != table["adjudicated_label"]).sum()),
        "listed": json_ready(table.head(MAX_LISTED).to_dict(orient="records")),
    }
    section["comparison"] = comparison
    attach_review(out, section)
    logger.info(
        "Re-ran %s with %d adjudicated labels: %d verdicts changed",
        run.path,
        len(table),
        comparison["verdicts_changed"],
    )
    return AppliedReview(result, comparison, table, out)


def _rerun_text(run: ReviewRun, overrides: dict[str, str], out: Path, step):
    from equilens.text import run_text_audit
    from equilens.text.items import generate_items

    plan = run.plan
    if plan.data.is_testbed:
        items, _ = generate_items(plan.data)
        return run_text_audit(plan, items=apply_overrides(items, overrides), progress=step)
    plan = plan.model_copy(update={"data": _rewrite_corpus(plan, overrides, out)})
    return run_text_audit(plan, progress=step)


def _rewrite_corpus(plan, overrides: dict[str, str], out: Path):
    """Write the corpus with adjudicated labels as JSON Lines and return its data section."""
    from equilens.text.corpora import read_corpus
    from equilens.text.plan import TextData

    corpus = read_corpus(plan.data)
    frame = corpus.frame.copy()
    frame["label"] = [
        overrides.get(item, label)
        for item, label in zip(frame["item_id"], frame["label"], strict=True)
    ]
    has_gloss = frame["english_gloss"].notna().any()
    has_locale = frame["locale"].notna().any()
    reserved = {"id", "text", "label", "english_gloss", "locale"}
    groups = [column for column in corpus.group_columns if column not in reserved]
    path = (out / "corpus.jsonl").resolve()
    with path.open("w", encoding="utf-8") as handle:
        for row in frame.itertuples(index=False):
            record = {"id": row.item_id, "text": row.text, "label": row.label}
            if has_gloss:
                record["english_gloss"] = row.english_gloss
            if has_locale:
                record["locale"] = row.locale
            record.update({column: getattr(row, column) for column in groups})
            handle.write(json.dumps(json_ready(record), ensure_ascii=False) + "\n")
    # NOTE: WRIME's writer and reader intensities are not copied, so the re-run has no
    # writer_reader_gap probe.
    return TextData(
        path=path,
        format="jsonl",
        text_column="text",
        label_column="label",
        id_column="id",
        gloss_column="english_gloss" if has_gloss else None,
        group_columns=groups,
        locale_column="locale" if has_locale else None,
        locales=plan.data.locales,
        labels=plan.data.labels,
    )


def _rerun_tabular(run: ReviewRun, overrides: dict[str, str]):
    from equilens.audit import run_audit
    from equilens.plan import AuditPlan

    frame = pd.read_parquet(run.path / "predictions.parquet")
    ids = frame["row_id"].map(str)
    adjudicated = ids.map(overrides)
    replaced = adjudicated.notna()
    frame.loc[replaced, "y_true"] = (adjudicated[replaced] == FAVORABLE).astype("int8")

    fields = run.plan.model_dump(exclude_none=True)
    fields.update(
        data=None,
        target="y_true",
        favorable_label=1,
        model=None,
        probes=None,
        mitigation=None,
        prediction={
            "column": "y_pred",
            "score_column": "score" if frame["score"].notna().any() else None,
            "model_id": run.decisions["run"].iloc[0],
        },
        # predictions.parquet contains each attribute's group labels under its name.
        protected=[
            {"name": spec.name, "reference": spec.reference, "missing_label": spec.missing_label}
            for spec in run.plan.protected
        ],
    )
    # NOTE: tabular probes need the model and its feature rows, which the run folder does
    # not keep, so the re-run has no probes.
    return run_audit(AuditPlan.model_validate(fields), frame)
