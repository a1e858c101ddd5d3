"""Reading labelled text corpora: CSV, TSV, JSON Lines, XED and WRIME files.

Every reader returns the same `Corpus`: one row per text with its gold label, its group
columns and the line of the file it came from, so that a message about a row can name
the line to fix.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import AuditWarning, value_key
from equilens.errors import DataError, did_you_mean
from equilens.text.plan import LOCALE_PATTERN, TextData
from equilens.text.readers import decode, read_delimited, read_jsonl, read_xed

logger = logging.getLogger(__name__)

SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

#: XED's label numbers (Öhman et al., COLING 2020): Plutchik's eight emotions in
#: alphabetical order, and 0 for the neutral sentences.
XED_LABELS = {
    "0": "neutral",
    "1": "anger",
    "2": "anticipation",
    "3": "disgust",
    "4": "fear",
    "5": "joy",
    "6": "sadness",
    "7": "surprise",
    "8": "trust",
}

#: WRIME's emotion columns (Kajiwara et al., NAACL 2021), in the order of its header.
WRIME_EMOTIONS = ("Joy", "Sadness", "Anticipation", "Surprise", "Anger", "Fear", "Disgust", "Trust")
WRIME_TEXT_COLUMN = "Sentence"
NEUTRAL = "neutral"
_LINES_SHOWN = 5


@dataclass
class Corpus:
    """A labelled corpus, one row per text.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``item_id``, ``line`` (line number in the file), ``text``, ``label``,
        ``english_gloss`` and ``locale`` (None where absent), and one column per group
        column, all as strings.
    group_columns : list of str
        The audited group columns.
    source : str
        The file path.
    sha256 : str
        Hex digest of the file's bytes.
    intensities : pandas.DataFrame or None
        For WRIME: ``writer_<emotion>`` and ``readers_<emotion>`` intensities per row.
    warnings : list of AuditWarning
        Rows left out or changed while reading.
    """

    frame: pd.DataFrame
    group_columns: list[str]
    source: str
    sha256: str
    intensities: pd.DataFrame | None = None
    warnings: list[AuditWarning] = field(default_factory=list)


def read_corpus(data: TextData) -> Corpus:
    """Read the corpus file a text plan names.

    Parameters
    ----------
    data : TextData
        The plan's ``data`` section with a ``path``.

    Returns
    -------
    Corpus

    Raises
    ------
    DataError
        When the file is missing, is not valid text in its encoding or is malformed at a
        line. Also when it lacks a named column, repeats an id, has a missing gold
        label or one outside ``data.labels``, or has a locale that is not a locale code.
    """
    path = Path(data.path)
    if not path.is_file():
        raise DataError(f"Corpus file not found: {str(path)!r}. Check data.path in the plan.")
    format = data.format or SUFFIX_FORMATS.get(path.suffix.lower())
    if format is None:
        raise DataError(
            f"Cannot tell the format of {str(path)!r} from its suffix {path.suffix!r}; set "
            f"data.format to one of: csv, tsv, jsonl, xed, wrime."
        )
    content = path.read_bytes()
    text = decode(content, path=path, encoding=data.encoding)

    if format == "jsonl":
        records = read_jsonl(text, path=path)
    elif format == "xed":
        records = read_xed(text, path=path)
    else:
        records = read_delimited(text, path=path, delimiter="," if format == "csv" else "\t")
    if records.empty:
        raise DataError(f"Corpus file {str(path)!r} has no rows; there is nothing to audit.")

    warnings: list[AuditWarning] = []
    intensities = None
    text_column, label_column = data.text_column, data.label_column
    if format == "wrime":
        if text_column not in records.columns:
            text_column = WRIME_TEXT_COLUMN
        intensities, labels = _wrime_labels(records, path=path, source=data.wrime_label)
        records["label"] = labels
        label_column = "label"
    elif format == "xed":
        text_column, label_column = "text", "labels"
    if label_column is None:
        raise DataError(
            "A corpus audit needs gold labels, but data.label_column is not set; set it to "
            "the column that contains them."
        )

    needed = {text_column: "text_column", label_column: "label_column"}
    for column in data.group_columns:
        needed[column] = "group_columns"
    for column, role in (
        (data.id_column, "id_column"),
        (data.locale_column, "locale_column"),
        (data.gloss_column, "gloss_column"),
    ):
        if column is not None:
            needed[column] = role
    _require_columns(records, needed, path=path)

    names = dict(XED_LABELS) if format == "xed" else {}
    names.update(data.label_names)
    labels, dropped = _gold_labels(records[label_column], names, data, path=path, lines=records)
    if dropped.any():
        warnings.append(
            AuditWarning(
                "multi_label_dropped",
                f"{int(dropped.sum())} rows of {str(path)!r} have several gold labels and were "
                f"left out (data.multi_label: drop). Set multi_label to 'first' to keep their "
                f"first label.",
                {"count": int(dropped.sum())},
            )
        )

    frame = pd.DataFrame(
        {
            "item_id": _item_ids(records, data.id_column, path=path),
            "line": records["_line"].to_numpy(),
            "text": records[text_column].to_numpy(dtype=object),
            "label": labels,
            "english_gloss": (
                records[data.gloss_column].to_numpy(dtype=object) if data.gloss_column else None
            ),
            "locale": _locales(records, data, path=path),
        }
    )
    for column in data.group_columns:
        values = records[column].to_numpy(dtype=object)
        frame[column] = [None if _blank(value) else value_key(value) for value in values]

    keep = ~dropped
    if data.locales is not None:
        present = set(frame["locale"].dropna())
        absent = [code for code in data.locales if code not in present]
        if absent:
            raise DataError(
                f"data.locales names {absent}, which do not occur in {str(path)!r}; its "
                f"locales are {sorted(present)}."
            )
        keep &= frame["locale"].isin(data.locales).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    if intensities is not None:
        intensities = intensities[keep].reset_index(drop=True)
    logger.info("Read %d texts from %s (%s)", len(frame), path, format)
    return Corpus(
        frame,
        list(data.group_columns),
        str(path),
        hashlib.sha256(content).hexdigest(),
        intensities,
        warnings,
    )


def _wrime_labels(
    records: pd.DataFrame, *, path: Path, source: str
) -> tuple[pd.DataFrame, np.ndarray]:
    prefixes = {"writer": "Writer_", "readers": "Avg. Readers_"}
    needed = [f"{prefix}{emotion}" for prefix in prefixes.values() for emotion in WRIME_EMOTIONS]
    missing = [column for column in needed if column not in records.columns]
    if missing:
        raise DataError(
            f"Corpus file {str(path)!r} lacks the WRIME columns {missing[:4]}"
            f"{' and more' if len(missing) > 4 else ''}; a WRIME file has 'Writer_<Emotion>' "
            f"and 'Avg. Readers_<Emotion>' columns for {', '.join(WRIME_EMOTIONS)}."
        )
    intensities = pd.DataFrame()
    for who, prefix in prefixes.items():
        for emotion in WRIME_EMOTIONS:
            column = f"{prefix}{emotion}"
            values = pd.to_numeric(records[column], errors="coerce")
            if values.isna().any():
                line = int(records["_line"][values.isna()].iloc[0])
                raise DataError(
                    f"Column {column!r} of {str(path)!r} contains a value that is not a number at "
                    f"line {line}: {records[column][values.isna()].iloc[0]!r}."
                )
            intensities[f"{who}_{emotion.lower()}"] = values.to_numpy(dtype=float)

    chosen = intensities[[f"{source}_{emotion.lower()}" for emotion in WRIME_EMOTIONS]].to_numpy()
    names = np.array([emotion.lower() for emotion in WRIME_EMOTIONS], dtype=object)
    # Ties go to the emotion that comes first in WRIME's column order.
    labels = np.where(chosen.max(axis=1) > 0, names[chosen.argmax(axis=1)], NEUTRAL)
    return intensities, labels


def _require_columns(records: pd.DataFrame, needed: dict[str, str], *, path: Path) -> None:
    available = [column for column in records.columns if column != "_line"]
    for column, role in needed.items():
        if column not in available:
            raise DataError(
                f"Column {column!r} (data.{role}) not found in {str(path)!r}."
                f"{did_you_mean(column, available)} Available columns: "
                f"{', '.join(repr(name) for name in available[:30])}."
            )


def _gold_labels(
    raw: pd.Series, names: dict[str, str], data: TextData, *, path: Path, lines: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    labels = np.empty(len(raw), dtype=object)
    dropped = np.zeros(len(raw), dtype=bool)
    missing_lines = []
    for position, value in enumerate(raw.to_numpy(dtype=object)):
        if _blank(value):
            missing_lines.append(int(lines["_line"].iloc[position]))
            continue
        parts = [value_key(part).strip() for part in _split_labels(value)]
        parts = [part for part in parts if part]
        if len(parts) > 1 and data.multi_label == "drop":
            dropped[position] = True
        labels[position] = names.get(parts[0], parts[0]) if parts else None
        if not parts:
            missing_lines.append(int(lines["_line"].iloc[position]))
    if missing_lines:
        raise DataError(
            f"{len(missing_lines)} rows of {str(path)!r} have no gold label (lines "
            f"{_lines(missing_lines)}). Fill in the label or remove those rows."
        )
    if data.labels is not None:
        allowed = set(data.labels)
        outside = [
            (label, int(lines["_line"].iloc[position]))
            for position, label in enumerate(labels)
            if not dropped[position] and label not in allowed
        ]
        if outside:
            values = sorted({label for label, _ in outside})
            raise DataError(
                f"{len(outside)} rows of {str(path)!r} have gold labels outside data.labels "
                f"{data.labels}: {values[:10]} (lines {_lines([line for _, line in outside])})."
                f"{did_you_mean(values[0], data.labels)} Add the labels to data.labels, map "
                f"them with data.label_names, or correct the rows."
            )
    return labels, dropped


def _split_labels(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and "," in value:
        return value.split(",")
    return [value]


def _item_ids(records: pd.DataFrame, id_column: str | None, *, path: Path) -> np.ndarray:
    if id_column is None:
        return np.array([f"line {line}" for line in records["_line"]], dtype=object)
    ids = np.array([value_key(value) for value in records[id_column]], dtype=object)
    counts = pd.Series(ids).value_counts()
    repeated = counts[counts > 1].index.tolist()
    if repeated:
        raise DataError(
            f"Column {id_column!r} (data.id_column) of {str(path)!r} repeats the ids "
            f"{repeated[:5]}; every row needs its own id. Fix the ids or remove id_column."
        )
    return ids


def _locales(records: pd.DataFrame, data: TextData, *, path: Path) -> np.ndarray:
    if data.locale_column is None:
        return np.full(len(records), data.locale, dtype=object)
    values = np.array(
        [None if _blank(value) else str(value) for value in records[data.locale_column]],
        dtype=object,
    )
    invalid = [
        (value, int(line))
        for value, line in zip(values, records["_line"], strict=True)
        if value is not None and not LOCALE_PATTERN.match(value)
    ]
    if invalid:
        codes = sorted({value for value, _ in invalid})
        raise DataError(
            f"Column {data.locale_column!r} (data.locale_column) of {str(path)!r} contains "
            f"values that are not locale codes: {codes[:5]} (lines "
            f"{_lines([line for _, line in invalid])}). Write BCP 47 codes such as 'fi-FI'."
        )
    return values


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:_LINES_SHOWN])
    return shown + (", ..." if len(lines) > _LINES_SHOWN else "")
