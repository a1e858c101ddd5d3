"""Reading and checking reviewers' labels: a CSV file or a Label Studio JSON export.

Every judgement becomes one row with the item id, the annotator id and the label, plus
the annotator's attributes (columns named ``annotator_<attribute>``, such as
``annotator_locale``), which group the annotators in the agreement breakdowns.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.errors import DataError, did_you_mean
from equilens.review._labelstudio import read_labelstudio_export
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("item_id", "annotator_id", "label")
ATTRIBUTE_PREFIX = "annotator_"
_SHOWN = 5


@dataclass
class Annotations:
    """Reviewers' labels, one row per judgement.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``item_id``, ``annotator_id``, ``label`` and one column per annotator
        attribute.
    attributes : list of str
        The annotator attribute columns, e.g. ``["annotator_locale"]``.
    source : str
        The file read.
    format : {"csv", "labelstudio"}
    sha256 : str
        Hex digest of the file's bytes.
    skipped : dict
        Judgements left out while reading, by reason.
    """

    frame: pd.DataFrame
    attributes: list[str]
    source: str
    format: str
    sha256: str
    skipped: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Return the counts that review.json records about the annotations."""
        per_annotator = (
            self.frame.groupby("annotator_id", sort=True)
            .agg(judgements=("item_id", "size"), **{a: (a, "first") for a in self.attributes})
            .reset_index()
        )
        return {
            "file": self.source,
            "format": self.format,
            "sha256": self.sha256,
            "judgements": int(len(self.frame)),
            "items": int(self.frame["item_id"].nunique()),
            "annotators": int(self.frame["annotator_id"].nunique()),
            "annotator_attributes": list(self.attributes),
            "skipped": dict(self.skipped),
            "per_annotator": per_annotator.astype(object).to_dict(orient="records"),
        }


def read_annotations(
    path: str | Path,
    *,
    scale: LabelScale,
    item_ids: Collection[str],
    annotators: str | Path | None = None,
) -> Annotations:
    """Read reviewers' labels and check them against the review sample.

    Parameters
    ----------
    path : str or Path
        A Label Studio JSON export (``.json``) or a CSV file with the columns
        ``item_id``, ``annotator_id`` and ``label``, and optional ``annotator_*``
        attribute columns.
    scale : LabelScale
        The labels reviewers could choose.
    item_ids : collection of str
        Ids of the items that were sent for review.
    annotators : str or Path, optional
        A CSV file with ``annotator_id`` and ``annotator_*`` attribute columns, one row
        per annotator; needed to group the annotators of a Label Studio export.

    Returns
    -------
    Annotations

    Raises
    ------
    DataError
        For a missing column, an unknown item id, an annotator who labelled an item
        twice, a label outside the scale, or an annotator with two values of one
        attribute.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Annotation file {str(path)!r} not found. Check the path.")
    content = path.read_bytes()
    if path.suffix.lower() == ".json":
        frame, skipped = read_labelstudio_export(path)
        kind = "labelstudio"
    else:
        frame, skipped = _read_csv(path), {}
        kind = "csv"
    if frame.empty:
        raise DataError(
            f"{str(path)!r} contains no labels. Check that the reviewers submitted their "
            f"work before the export."
        )

    if annotators is not None:
        frame = _join_annotators(frame, Path(annotators))
    attributes = [column for column in frame.columns if column.startswith(ATTRIBUTE_PREFIX)]
    attributes = [column for column in attributes if column != "annotator_id"]

    _check_items(frame, item_ids, source=str(path))
    scale.check_labels(frame["label"].tolist(), frame["line"].tolist(), source=repr(str(path)))
    _check_repeats(frame, source=str(path))
    for attribute in attributes:
        _check_attribute(frame, attribute, source=str(path))

    frame = frame[["item_id", "annotator_id", "label", *attributes]].reset_index(drop=True)
    logger.info(
        "Read %d judgements by %d annotators on %d items from %s",
        len(frame),
        frame["annotator_id"].nunique(),
        frame["item_id"].nunique(),
        path,
    )
    return Annotations(
        frame, attributes, str(path), kind, hashlib.sha256(content).hexdigest(), skipped
    )


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{str(path)!r} is not UTF-8 text: {error}. Save it as UTF-8.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{str(path)!r} is not a readable CSV file: {error}.") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    for column in REQUIRED_COLUMNS:
        if column not in frame.columns:
            raise DataError(
                f"Column {column!r} not found in {str(path)!r}."
                f"{did_you_mean(column, frame.columns)} An annotation CSV needs the columns "
                f"{', '.join(REQUIRED_COLUMNS)} (one row per judgement); found "
                f"{list(frame.columns)}."
            )
    frame = frame.apply(lambda column: column.str.strip())
    frame["line"] = [f"line {number}" for number in range(2, len(frame) + 2)]
    blank = frame[(frame[list(REQUIRED_COLUMNS)] == "").any(axis=1)]
    if not blank.empty:
        raise DataError(
            f"{str(path)!r} has rows with an empty item_id, annotator_id or label "
            f"({_where(blank['line'])}). Fill them in or remove those rows."
        )
    return frame


def _join_annotators(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"Annotator file {str(path)!r} not found. Check the path.")
    table = _read_table(path)
    if "annotator_id" not in table.columns:
        raise DataError(
            f"Column 'annotator_id' not found in the annotator file {str(path)!r}; it needs "
            f"annotator_id and attribute columns such as annotator_locale."
        )
    repeated = table["annotator_id"][table["annotator_id"].duplicated()].unique().tolist()
    if repeated:
        raise DataError(
            f"The annotator file {str(path)!r} lists {repeated[:_SHOWN]} more than once; give "
            f"each annotator one row."
        )
    missing = sorted(set(frame["annotator_id"]) - set(table["annotator_id"]))
    if missing:
        raise DataError(
            f"The annotators {missing[:_SHOWN]} are not in the annotator file {str(path)!r}; "
            f"add a row for each of them."
        )
    extra = [column for column in table.columns if column.startswith(ATTRIBUTE_PREFIX)]
    extra = [column for column in extra if column != "annotator_id"]
    clashes = [column for column in extra if column in frame.columns]
    frame = frame.drop(columns=clashes)
    return frame.merge(table[["annotator_id", *extra]], on="annotator_id", how="left")


def _read_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{str(path)!r} is not a readable UTF-8 CSV file: {error}.") from None
    table.columns = [str(column).strip() for column in table.columns]
    return table.apply(lambda column: column.str.strip())


def _check_items(frame: pd.DataFrame, item_ids: Collection[str], *, source: str) -> None:
    known = set(item_ids)
    unknown = frame[~frame["item_id"].isin(known)]
    if unknown.empty:
        return
    ids = list(dict.fromkeys(unknown["item_id"]))
    hint = did_you_mean(ids[0], known) if len(known) < 20_000 else ""
    raise DataError(
        f"{source!r} has labels for item ids that are not in the review sample: "
        f"{ids[:_SHOWN]} ({_where(unknown['line'])}; {len(unknown)} labels in all).{hint} Label "
        f"only the items of the sample's review.csv, or pass the --sample folder that the "
        f"tasks came from."
    )


def _check_repeats(frame: pd.DataFrame, *, source: str) -> None:
    repeated = frame[frame.duplicated(["item_id", "annotator_id"], keep=False)]
    if repeated.empty:
        return
    first = repeated.iloc[0]
    same = repeated[
        (repeated["item_id"] == first["item_id"])
        & (repeated["annotator_id"] == first["annotator_id"])
    ]
    pairs = repeated.drop_duplicates(["item_id", "annotator_id"])
    raise DataError(
        f"Annotator {first['annotator_id']!r} labelled item {first['item_id']!r} "
        f"{len(same)} times in {source!r} ({_where(same['line'])}); {len(pairs)} annotator and "
        f"item pairs are repeated. Keep one label per annotator and item: remove the extra "
        f"rows, or give a second annotator their own annotator_id."
    )


def _check_attribute(frame: pd.DataFrame, attribute: str, *, source: str) -> None:
    values = frame.groupby("annotator_id")[attribute].nunique()
    conflicting = values[values > 1]
    if conflicting.empty:
        return
    annotator = conflicting.index[0]
    rows = frame[frame["annotator_id"] == annotator].drop_duplicates(attribute)
    shown = ", ".join(
        f"{value!r} ({line})" for value, line in zip(rows[attribute], rows["line"], strict=True)
    )
    raise DataError(
        f"Annotator {annotator!r} has {len(rows)} values of {attribute} in {source!r}: {shown}. "
        f"Give each annotator one value of each attribute."
    )


def _where(lines: pd.Series) -> str:
    shown = ", ".join(str(line) for line in lines.iloc[:_SHOWN])
    return shown + (", ..." if len(lines) > _SHOWN else "")
