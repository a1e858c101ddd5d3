"""Review files: the sample folder, review.json, adjudication.csv and the run's reports.

The sample folder contains review.csv (the sampled items with strata and weights),
review_sample.json (the settings, the strata and the label scale), annotation_sheet.csv
(a blank sheet for reviewers who label in a spreadsheet), and labelstudio_tasks.json with
labelstudio_config.xml for Label Studio.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError
from equilens.review._labelstudio import labelstudio_config, labelstudio_tasks
from equilens.review._sample import ReviewSample
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

SAMPLE_SCHEMA = "equilens.review_sample/1"
REVIEW_CSV = "review.csv"
SAMPLE_JSON = "review_sample.json"
SHEET_CSV = "annotation_sheet.csv"
TASKS_JSON = "labelstudio_tasks.json"
CONFIG_XML = "labelstudio_config.xml"
REVIEW_JSON = "review.json"
ADJUDICATION_CSV = "adjudication.csv"


def write_sample(sample: ReviewSample, out_dir: str | Path, *, run_dir: Path) -> dict[str, Path]:
    """Write the sample folder and return the written paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "review": out / REVIEW_CSV,
        "sample": out / SAMPLE_JSON,
        "sheet": out / SHEET_CSV,
        "tasks": out / TASKS_JSON,
        "config": out / CONFIG_XML,
    }
    sample.items.to_csv(paths["review"], index=False, encoding="utf-8")
    record = {
        "schema": SAMPLE_SCHEMA,
        "run": str(run_dir),
        "scale": sample.scale.to_dict(),
        "settings": sample.settings,
        "strata": sample.strata.to_dict(orient="records"),
    }
    write_json(paths["sample"], record)

    tasks = labelstudio_tasks(sample, seed=int(sample.settings.get("seed", 0)))
    sheet = pd.DataFrame([task["data"] for task in tasks])
    sheet = sheet[["item_id", "locale", "text", "english_gloss"]].assign(annotator_id="", label="")
    sheet.to_csv(paths["sheet"], index=False, encoding="utf-8")
    write_json(paths["tasks"], tasks)
    paths["config"].write_text(labelstudio_config(sample.scale), encoding="utf-8")
    logger.info("Wrote the review sample of %d items to %s", len(sample.items), out)
    return paths


def read_sample(folder: str | Path) -> ReviewSample:
    """Read a sample folder written by `write_sample`.

    Raises
    ------
    DataError
        When review.csv or review_sample.json is missing or unreadable.
    """
    folder = Path(folder)
    for name in (REVIEW_CSV, SAMPLE_JSON):
        if not (folder / name).is_file():
            raise DataError(
                f"Sample folder {str(folder)!r} has no {name}. Give the --out folder of "
                f"'equilens review export'."
            )
    try:
        record = json.loads((folder / SAMPLE_JSON).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{str(folder / SAMPLE_JSON)!r} is not valid JSON: {error}.") from None
    if record.get("schema") != SAMPLE_SCHEMA:
        raise DataError(
            f"{str(folder / SAMPLE_JSON)!r} has schema {record.get('schema')!r}, not "
            f"{SAMPLE_SCHEMA!r}; export the sample again with this version of equilens."
        )
    # Every column is read as text, so that group labels such as "01" keep their form.
    items = pd.read_csv(folder / REVIEW_CSV, dtype=str, keep_default_na=False)
    items = items.astype(object).where(items != "", None)
    for column in ("score", "weight"):
        items[column] = pd.to_numeric(items[column]).astype(float)
    for column in ("stratum_size", "stratum_sample"):
        items[column] = items[column].astype(int)
    strata = pd.DataFrame(record.get("strata", []))
    return ReviewSample(items, strata, LabelScale.from_dict(record["scale"]), record["settings"])


def write_json(path: Path, value: Any) -> None:
    """Write `value` as indented UTF-8 JSON without NaN or infinities."""
    path.write_text(
        json.dumps(json_ready(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )


def json_ready(value: Any) -> Any:
    """Return `value` with NumPy scalars as Python numbers and NaN or infinities as None."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def attach_review(run_dir: str | Path, section: dict[str, Any]) -> dict[str, Path]:
    """Store a review section in a run's findings.json and render its reports again.

    report.html and summary.md are rendered from the updated findings, with the text
    audit section of summary.md for a text audit.
    """
    from equilens.report import write_report
    from equilens.text.result import insert_section
    from equilens.text.summary import text_summary_section

    run_dir = Path(run_dir)
    path = run_dir / "findings.json"
    findings = json.loads(path.read_text(encoding="utf-8"))
    findings["review"] = json_ready(section)
    write_json(path, findings)
    paths = write_report(findings, run_dir)
    text_section = text_summary_section(findings)
    if text_section:
        summary = paths["summary"].read_text(encoding="utf-8")
        paths["summary"].write_text(insert_section(summary, text_section), encoding="utf-8")
    return {"findings": path, **paths}
