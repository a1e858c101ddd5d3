"""Turning test-bed items or corpus rows into one table of texts with their attributes.

The table has one row per text, with the columns every later step needs. They are the
item id, the locale, the source text and its English gloss, and the minimal-pair
structure. A ``style`` column says ``base``, ``control`` or ``<varied axis>=<value>``.
Each controlled attribute is a string column, and the gold ``label`` comes with
``y_true`` (1 when the gold label is the positive one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import value_key
from equilens.errors import DataError
from equilens.text.corpora import Corpus
from equilens.text.plan import TextData

PERSONA_ATTRIBUTES = ("gender", "age_band", "name_origin")
BASE_STYLE = "base"
CONTROL_STYLE = "control"
ESCALATE, NO_ESCALATE = "escalate", "no_escalate"

#: Columns of the text table that are not audited as groups by default.
STRUCTURE_COLUMNS = (
    "item_id",
    "bed",
    "locale",
    "text",
    "english_gloss",
    "template_id",
    "pair_id",
    "pair_role",
    "varied_axis",
    "style",
    "label",
    "y_true",
)


def generate_items(data: TextData) -> tuple[list[Any], str]:
    """Generate a bundled test bed's items and return them with a SHA-256 of their content."""
    from equilens import testbeds

    generated = testbeds.generate(data.testbed, locales=data.locales, seed=data.seed)
    items = list(getattr(generated, "items", generated))
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item.to_dict(), sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return items, digest.hexdigest()


def items_frame(items: Sequence[Any], *, positives: set[str]) -> pd.DataFrame:
    """Return the text table of test-bed items.

    Escalation items take ``y_true`` from ``gold["should_escalate"]``, and their label
    is ``escalate`` or ``no_escalate``. Other items take their label from
    ``gold["emotion"]``, and ``y_true`` is 1 where it is one of `positives`.

    Raises
    ------
    DataError
        When `items` is empty or an item has neither gold field.
    """
    if not items:
        raise DataError("The test bed produced no items; check data.locales and data.testbed.")
    records = []
    for item in items:
        attributes = dict(item.attributes)
        axis = attributes.pop("varied_axis", None)
        gold = item.gold
        if "should_escalate" in gold:
            y_true = int(bool(gold["should_escalate"]))
            label = ESCALATE if y_true else NO_ESCALATE
        elif "emotion" in gold:
            label = str(gold["emotion"])
            y_true = int(label in positives)
        else:
            raise DataError(
                f"Item {item.id!r} has neither 'should_escalate' nor 'emotion' among its gold "
                f"labels {sorted(gold)}, so it cannot be audited."
            )
        record = {
            "item_id": item.id,
            "bed": item.bed,
            "locale": item.locale,
            "text": item.text,
            "english_gloss": item.english_gloss,
            "template_id": item.template_id,
            "pair_id": item.pair_id,
            "pair_role": item.pair_role,
            "varied_axis": axis,
            "style": style_label(item.pair_role, axis, attributes),
            "label": label,
            "y_true": y_true,
        }
        if "severity" in gold:
            record["severity"] = str(gold["severity"])
        for key, value in attributes.items():
            record.setdefault(key, None if value is None else value_key(value))
        records.append(record)
    return pd.DataFrame.from_records(records)


def style_label(pair_role: str, axis: str | None, attributes: dict[str, Any]) -> str:
    """Return ``base``, ``control`` or ``<axis>=<value>`` for one item."""
    if pair_role == "control":
        return CONTROL_STYLE
    if pair_role == "base" or axis is None:
        return BASE_STYLE
    return f"{axis}={value_key(attributes.get(axis))}"


def corpus_frame(corpus: Corpus, *, positives: set[str]) -> pd.DataFrame:
    """Return the text table of a corpus.

    Raises
    ------
    DataError
        When none of the `positives` is among the corpus's gold labels.
    """
    frame = corpus.frame.copy()
    labels = frame["label"].to_numpy(dtype=object)
    present = set(labels)
    if not positives & present:
        shown = sorted(positives)
        raise DataError(
            f"The positive gold labels {shown} do not occur among the gold labels of "
            f"{corpus.source!r}: {sorted(present)[:12]}. Set positive_label (or "
            f"positive_gold_labels) to one of them."
        )
    frame["y_true"] = np.isin(labels, list(positives)).astype(np.int8)
    frame["bed"] = None
    frame["template_id"] = None
    frame["pair_id"] = None
    frame["pair_role"] = None
    frame["varied_axis"] = None
    frame["style"] = None
    if frame["english_gloss"].isna().all():
        frame["english_gloss"] = None
    return frame


def default_attributes(table: pd.DataFrame, *, group_columns: Sequence[str] = ()) -> list[str]:
    """Return the columns audited over all rows when the plan lists none.

    For a test bed: locale, style, severity and the frame's kind (complaint, question,
    praise). Persona attributes are audited within their own pair sets instead (see
    `pair_attributes`). For a corpus: its group columns, and locale when it has several.
    """
    if table["bed"].notna().any():
        return [c for c in ("locale", "style", "severity", "kind") if c in table]
    attributes = list(group_columns)
    if table["locale"].nunique() > 1 and "locale" not in attributes:
        attributes.insert(0, "locale")
    return attributes


def pair_attributes(table: pd.DataFrame) -> list[str]:
    """Return the persona attributes that some pair sets of a test bed vary.

    Personas are assigned per pair set, so across a whole bed they are not balanced
    over frames and styles. A persona comparison is sound only among the items of the
    pair sets that vary it, where the persona is the one difference.
    """
    varied = set(table["varied_axis"].dropna())
    return [column for column in PERSONA_ATTRIBUTES if column in varied and column in table]


def item_columns(table: pd.DataFrame) -> list[str]:
    """Return the style-axis and persona columns of a test bed, for predictions.parquet."""
    varied = [axis for axis in pd.unique(table["varied_axis"].dropna()) if axis in table]
    return list(dict.fromkeys([*varied, *(c for c in PERSONA_ATTRIBUTES if c in table)]))


def default_intersections(attributes: Sequence[str]) -> list[list[str]]:
    """Return locale x style and severity x locale where both attributes are audited.

    Severity x style is left to the monotonicity probe, which lists the rate of every
    style at every severity with its interval.
    """
    pairs = [("locale", "style"), ("severity", "locale")]
    return [list(pair) for pair in pairs if pair[0] in attributes and pair[1] in attributes]


def default_reference(table: pd.DataFrame, column: str) -> str | None:
    """Return the default reference group of an attribute, or None when it has no rows.

    ``base`` for style, ``en-US`` for locale, ``S3`` (the lowest severity that should
    be escalated) for severity, the value most base items hold for a style axis, and the
    largest group otherwise.
    """
    values = table[column].dropna()
    if values.empty:
        return None
    present = set(values)
    preferred = {"style": BASE_STYLE, "locale": "en-US", "severity": "S3"}.get(column)
    if preferred in present:
        return preferred
    base_rows = table["pair_role"] == "base"
    if column in set(table["varied_axis"].dropna()) and base_rows.any():
        base_values = table.loc[base_rows, column].dropna()
        if not base_values.empty:
            return str(base_values.value_counts().index[0])
    return str(values.value_counts().index[0])
