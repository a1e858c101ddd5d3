"""Parsing corpus files into rows of strings, with the line number of each row.

Each reader raises `DataError` naming the line that cannot be parsed and how to fix it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from equilens.errors import DataError


def decode(content: bytes, *, path: Path, encoding: str) -> str:
    """Decode a file's bytes, raising `DataError` with the bad byte and the fix."""
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        encoding = "utf-8-sig"  # also removes a byte order mark
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"Corpus file {str(path)!r} is not valid {error.encoding} text: byte "
            f"0x{content[error.start]:02x} at line {line} (byte offset {error.start}). Set "
            f"data.encoding in the plan to the file's encoding (e.g. 'shift_jis', 'cp1252' "
            f"or 'latin-1'), or convert the file to UTF-8."
        ) from None
    except LookupError:
        raise DataError(
            f"Unknown text encoding {encoding!r} in data.encoding; use a Python codec name "
            f"such as 'utf-8', 'shift_jis' or 'cp1252'."
        ) from None


def read_delimited(text: str, *, path: Path, delimiter: str) -> pd.DataFrame:
    """Parse CSV or TSV text with a header row; TSV fields are not quoted."""
    # Tab-separated corpora do not quote fields, and their texts contain quote marks.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    header = next(reader, None)
    if header is None:
        raise DataError(f"Corpus file {str(path)!r} is empty: it has no header row.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(
            f"Corpus file {str(path)!r} repeats the column name(s) {repeated}; rename them."
        )
    rows, lines = [], []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            raise DataError(
                f"Line {reader.line_num} of {str(path)!r} has {len(row)} fields, but the header "
                f"has {len(header)}. Fix the line; in a TSV file a text must not contain a tab."
            )
        rows.append(row)
        lines.append(reader.line_num)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["_line"] = lines
    return frame


def read_jsonl(text: str, *, path: Path) -> pd.DataFrame:
    """Parse JSON Lines text, one object per non-blank line."""
    records, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise DataError(
                f"Line {number} of {str(path)!r} is not valid JSON ({error}); each line of a "
                f"JSON Lines file must be one JSON object."
            ) from None
        if not isinstance(record, dict):
            raise DataError(
                f"Line {number} of {str(path)!r} is a JSON {type(record).__name__}, not an "
                f'object; write each row as an object such as {{"text": ..., "label": ...}}.'
            )
        records.append(record)
        lines.append(number)
    frame = pd.DataFrame.from_records(records)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["_line"] = lines
    return frame


def read_xed(text: str, *, path: Path) -> pd.DataFrame:
    """Parse XED's headerless ``text<TAB>labels`` lines into ``text`` and ``labels``."""
    texts, labels, lines = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rsplit("\t", 1)
        if len(parts) != 2:
            raise DataError(
                f"Line {number} of {str(path)!r} has no tab; an XED file has one "
                f"'text<TAB>labels' pair per line, e.g. 'I hate you.\\t1, 3'."
            )
        texts.append(parts[0])
        labels.append(parts[1])
        lines.append(number)
    return pd.DataFrame({"text": texts, "labels": labels, "_line": lines}, dtype=object)
