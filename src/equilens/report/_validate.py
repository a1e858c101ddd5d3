"""Checks that a mapping is a findings document the report layer can render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equilens.errors import EquilensError

SUPPORTED_SCHEMAS = ("equilens.findings/1",)

_LIST_SECTIONS = (
    "attributes",
    "groups",
    "intersections",
    "disparities",
    "aggregates",
    "summaries",
    "findings",
    "warnings",
)


def check_findings(findings: Any) -> None:
    """Raise EquilensError unless `findings` is a findings document of a supported schema.

    Only the shape that rendering relies on is checked: the schema tag, an `audit`
    mapping and list-valued sections. Optional sections may be absent.
    """
    if not isinstance(findings, Mapping):
        raise EquilensError(
            f"Invalid findings: expected a mapping (the parsed findings.json), "
            f"got {type(findings).__name__}."
        )

    schema = findings.get("schema")
    if schema not in SUPPORTED_SCHEMAS:
        raise EquilensError(
            f"Invalid findings: schema {schema!r} is not supported. This version of equilens "
            f"renders {', '.join(SUPPORTED_SCHEMAS)}, so re-run the audit with it."
        )

    if not isinstance(findings.get("audit"), Mapping):
        raise EquilensError(
            "Invalid findings: the 'audit' mapping with the audit's provenance is missing."
        )

    for section in _LIST_SECTIONS:
        value = findings.get(section, [])
        if not isinstance(value, list | tuple):
            raise EquilensError(
                f"Invalid findings: section {section!r} must be a list, got {type(value).__name__}."
            )
