"""Text test beds: synthetic minimal pairs for bias audits of text models.

Two beds are available. ``escalation`` contains customer messages whose severity is set by
their facts and whose wording varies one style axis or persona attribute at a time.
``identity`` holds emotion sentences that differ only in the person named. Every item
carries an English gloss that keeps the hedges, apologies and register of the source.

Examples
--------
>>> from equilens.testbeds import generate, write_jsonl
>>> items = generate("escalation", locales=["ja-JP"], seed=0)
>>> write_jsonl(items, "escalation-ja.jsonl")  # doctest: +SKIP
"""

from equilens.testbeds._beds import generate, generate_with_stats, list_beds
from equilens.testbeds._data import LOCALES
from equilens.testbeds._io import read_jsonl, write_jsonl
from equilens.testbeds._severity import severity_from_facts, should_escalate
from equilens.testbeds._types import BedInfo, GenerationResult, GenerationStats, TestItem

__all__ = [
    "LOCALES",
    "BedInfo",
    "GenerationResult",
    "GenerationStats",
    "TestItem",
    "generate",
    "generate_with_stats",
    "list_beds",
    "read_jsonl",
    "severity_from_facts",
    "should_escalate",
    "write_jsonl",
]
