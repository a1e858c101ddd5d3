"""Reading the rows to audit from a file or from any dataframe narwhals supports."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from equilens.errors import DataError

SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def read_file(path: Path, *, format: str | None = None, encoding: str = "utf-8") -> tuple[Any, str]:
    """Read a CSV, TSV, Parquet or JSON Lines file.

    Returns
    -------
    frame : narwhals.DataFrame
        The rows.
    sha256 : str
        Hex digest of the file's bytes, recorded in the audit's provenance.

    Raises
    ------
    DataError
        When the file is missing, has an unknown format, is not valid text in `encoding`,
        or repeats a column name.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Data file not found: {str(path)!r}. Check data.path in the plan.")
    format = format or SUFFIX_FORMATS.get(path.suffix.lower())
    if format is None:
        raise DataError(
            f"Cannot tell the format of {str(path)!r} from its suffix {path.suffix!r}; set "
            f"data.format to one of: csv, tsv, parquet, jsonl."
        )
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()

    if format == "parquet":
        frame = pd.read_parquet(io.BytesIO(content))
        return nw.from_native(frame, eager_only=True), digest

    text = _decode(content, path=path, encoding=encoding)
    if format == "jsonl":
        frame = pd.read_json(io.StringIO(text), lines=True)
    else:
        delimiter = "\t" if format == "tsv" else ","
        _check_header(text, delimiter=delimiter, path=path)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter)
    return nw.from_native(frame, eager_only=True), digest


def _decode(content: bytes, *, path: Path, encoding: str) -> str:
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        encoding = "utf-8-sig"  # also removes a byte order mark
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        snippet = content[max(error.start - 20, 0) : error.start + 20]
        raise DataError(
            f"Data file {str(path)!r} is not valid {error.encoding} text: byte "
            f"0x{content[error.start]:02x} at position {error.start} (near {snippet!r}). Set "
            f"data.encoding in the plan to the file's encoding, e.g. 'cp1252' or 'latin-1', "
            f"or convert the file to UTF-8."
        ) from None
    except LookupError:
        raise DataError(
            f"Unknown text encoding {encoding!r} in data.encoding; use a Python codec name "
            f"such as 'utf-8', 'cp1252' or 'latin-1'."
        ) from None


def _check_header(text: str, *, delimiter: str, path: Path) -> None:
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    if header is None:
        raise DataError(f"Data file {str(path)!r} is empty: it has no header row and no rows.")
    seen = set()
    duplicates = sorted({name for name in header if name in seen or seen.add(name)})
    if duplicates:
        raise DataError(
            f"Data file {str(path)!r} repeats the column name(s) {duplicates}; each column "
            f"needs a unique name. Rename the repeated columns in the header row."
        )


def from_dataframe(data: Any) -> tuple[Any, str]:
    """Wrap a pandas, polars, pyarrow or other narwhals-supported frame, and hash it.

    The hash covers the frame's Arrow IPC serialisation, so it identifies the content
    whichever library stores the frame.
    """
    columns = [str(name) for name in getattr(data, "columns", [])]
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise DataError(
            f"The dataframe repeats the column name(s) {duplicates}; each column needs a "
            f"unique name. Rename the repeated columns before the audit."
        )
    try:
        frame = nw.from_native(data, eager_only=True)
    except TypeError:
        raise DataError(
            f"Cannot audit data of type {type(data).__name__}; pass a pandas, polars or "
            f"pyarrow dataframe, or a plan with a data file."
        ) from None
    import pyarrow as pa

    sink = io.BytesIO()
    table = frame.to_arrow()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return frame, hashlib.sha256(sink.getvalue()).hexdigest()
