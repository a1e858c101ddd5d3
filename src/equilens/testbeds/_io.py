"""Reading and writing test items as JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from equilens.errors import DataError
from equilens.testbeds._types import TestItem


def write_jsonl(items: Iterable[TestItem], path: str | Path) -> int:
    """Write items to a JSON Lines file, one item per line, in UTF-8.

    Parameters
    ----------
    items : iterable of TestItem
    path : str or Path
        Output file; its parent directory is created if missing.

    Returns
    -------
    int
        Number of items written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[TestItem]:
    """Read items written by `write_jsonl`.

    Raises
    ------
    DataError
        If the file is missing or a line is not a valid item.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Test-bed file {str(path)!r} not found; check the path.")

    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(TestItem.from_dict(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise DataError(
                    f"Line {number} of {str(path)!r} is not a valid test item ({error}); "
                    "regenerate the file with `equilens testbed generate`."
                ) from error
    return items
