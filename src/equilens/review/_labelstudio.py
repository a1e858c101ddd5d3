"""Label Studio formats: the labelling configuration, the task file and the JSON export.

The configuration shows each text with its English gloss beside it (for texts whose
gloss differs from the text) and a single-choice question over the review's labels.
Tasks carry the item id in their data, so that the export maps back to the items. The
model's decision is not sent as a pre-annotation, so reviewers are not anchored on it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError
from equilens.review._sample import ReviewSample
from equilens.review._scale import LabelScale

#: Name of the choices control in the configuration, which the export reports as
#: ``from_name`` of each result.
CHOICES_NAME = "label"
GLOSS_HEADING = "English gloss"


def labelstudio_config(scale: LabelScale, *, title: str = "Message") -> str:
    """Return a Label Studio labelling configuration for a review.

    Parameters
    ----------
    scale : LabelScale
        The labels, shown as single-choice options in scale order.
    title : str
        Heading above the text.

    Returns
    -------
    str
        The configuration XML, for the project's Settings > Labeling Interface.
    """
    view = ElementTree.Element("View")
    ElementTree.SubElement(view, "Header", value="$instruction")
    panes = ElementTree.SubElement(view, "View", style="display: flex; gap: 2em;")
    source = ElementTree.SubElement(panes, "View", style="flex: 1;")
    ElementTree.SubElement(source, "Header", value=title, size="5")
    ElementTree.SubElement(source, "Text", name="text", value="$text")
    gloss = ElementTree.SubElement(panes, "View", style="flex: 1;")
    ElementTree.SubElement(gloss, "Header", value="$gloss_heading", size="5")
    ElementTree.SubElement(gloss, "Text", name="english_gloss", value="$english_gloss")
    choices = ElementTree.SubElement(
        view,
        "Choices",
        name=CHOICES_NAME,
        toName="text",
        choice="single-radio",
        required="true",
        showInline="true",
    )
    for label in scale.labels:
        ElementTree.SubElement(choices, "Choice", value=label)
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"


def labelstudio_tasks(sample: ReviewSample, *, seed: int = 0) -> list[dict[str, Any]]:
    """Return one Label Studio task per sampled item, in a seeded random order.

    The order is shuffled so that reviewers do not meet the items stratum by stratum.
    Each task's data contains ``item_id``, ``locale``, ``instruction``, ``text``,
    ``english_gloss`` and ``gloss_heading``. The gloss fields are empty where the gloss
    equals the text.

    Parameters
    ----------
    sample : ReviewSample
        The sample whose items become tasks.
    seed : int
        Seed of the task order.

    Returns
    -------
    list of dict
        The tasks, ready for ``json.dump`` and Label Studio's task import.
    """
    items = sample.items
    order = np.random.default_rng(seed).permutation(len(items))
    instruction = f"Choose the label that fits the {'case' if _tabular(items) else 'message'}."
    tasks = []
    for position in order:
        row = items.iloc[int(position)]
        text = "" if pd.isna(row["text"]) else str(row["text"])
        gloss = row.get("english_gloss")
        gloss = "" if gloss is None or pd.isna(gloss) or str(gloss) == text else str(gloss)
        tasks.append(
            {
                "data": {
                    "item_id": str(row["item_id"]),
                    "locale": None if pd.isna(row.get("locale")) else str(row["locale"]),
                    "instruction": instruction,
                    "text": text,
                    "english_gloss": gloss,
                    "gloss_heading": GLOSS_HEADING if gloss else "",
                }
            }
        )
    return tasks


def _tabular(items: pd.DataFrame) -> bool:
    return bool(items["english_gloss"].isna().all() and items["locale"].isna().all())


def read_labelstudio_export(path: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a Label Studio JSON export into one row per judgement.

    Parameters
    ----------
    path : str or Path
        The file of Label Studio's "JSON" export: a list of tasks, each with its
        ``data`` and ``annotations``.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``item_id``, ``annotator_id``, ``label`` and ``line`` (where in the file,
        e.g. ``task 12, annotation 40``).
    skipped : dict
        Counts of cancelled (skipped) annotations and of annotations without a choice.

    Raises
    ------
    DataError
        When the file is not a Label Studio JSON export, a task has no item id, or an
        annotation has no annotator or several choices.
    """
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{str(path)!r} is not a valid JSON file: {error}.") from None
    if not isinstance(tasks, list) or not all(isinstance(task, dict) for task in tasks):
        raise DataError(
            f"{str(path)!r} is not a Label Studio JSON export: expected a list of tasks. Export "
            f"the project with the 'JSON' format (not JSON_MIN or CSV)."
        )
    if tasks and not any("annotations" in task or "completions" in task for task in tasks):
        raise DataError(
            f"{str(path)!r} has tasks but no 'annotations'. Export the project with the 'JSON' "
            f"format (JSON_MIN leaves out who labelled what)."
        )

    rows: list[dict[str, Any]] = []
    skipped = {"cancelled": 0, "without_choice": 0}
    for task_number, task in enumerate(tasks, start=1):
        task_name = f"task {task.get('id', task_number)}"
        item_id = (task.get("data") or {}).get("item_id")
        if item_id is None or str(item_id).strip() == "":
            raise DataError(
                f"{task_name} of {str(path)!r} has no data.item_id, so its labels cannot be "
                f"matched to the review sample. Create the project from labelstudio_tasks.json, "
                f"whose tasks keep their item ids."
            )
        annotations = task.get("annotations", task.get("completions")) or []
        for number, annotation in enumerate(annotations, start=1):
            where = f"{task_name}, annotation {annotation.get('id', number)}"
            if annotation.get("was_cancelled"):
                skipped["cancelled"] += 1
                continue
            choices = [
                result.get("value", {}).get("choices")
                for result in annotation.get("result") or []
                if result.get("from_name") == CHOICES_NAME
            ]
            choices = [choice for choice in choices if choice]
            if not choices:
                skipped["without_choice"] += 1
                continue
            if len(choices) > 1 or len(choices[0]) != 1:
                raise DataError(
                    f"{where} in {str(path)!r} has several choices {choices}; each annotation "
                    f"needs exactly one label. Use the labelling configuration from "
                    f"labelstudio_config.xml, which allows one choice."
                )
            rows.append(
                {
                    "item_id": str(item_id),
                    "annotator_id": _annotator(annotation, where=where, path=path),
                    "label": str(choices[0][0]),
                    "line": where,
                }
            )
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "line"])
    return frame, skipped


def _annotator(annotation: dict[str, Any], *, where: str, path: Path) -> str:
    author = annotation.get("completed_by")
    if isinstance(author, dict):
        author = author.get("email") or author.get("id")
    if author is None or str(author).strip() == "":
        raise DataError(
            f"{where} in {str(path)!r} has no 'completed_by', so its annotator is unknown. "
            f"Export the project again from Label Studio; every annotation names its annotator."
        )
    return str(author)
