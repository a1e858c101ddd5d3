"""Comparing the findings of two audits: which verdicts and effects changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Effects that differ by less than this are reported as unchanged (floating-point noise).
EFFECT_TOLERANCE = 1e-9


def diff_findings(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Compare the hypothesis findings of two findings.json mappings by finding id.

    Parameters
    ----------
    before, after : Mapping
        Parsed findings.json documents, e.g. of an audit and of its re-run with
        adjudicated gold labels.

    Returns
    -------
    dict
        ``findings``: per finding present in both, the verdict, severity, effect and
        adjusted p before and after, ``effect_change`` (after minus before),
        ``verdict_changed`` and the groups whose verdict changed. Changed findings come
        first. ``verdicts_changed``, ``effects_changed``, ``only_before`` and
        ``only_after`` summarise the comparison.
    """
    old = {entry["id"]: entry for entry in before.get("findings", [])}
    new = {entry["id"]: entry for entry in after.get("findings", [])}
    rows = []
    for identifier, entry in old.items():
        if identifier not in new:
            continue
        other = new[identifier]
        effect_before = _effect(entry)
        effect_after = _effect(other)
        change = None
        if effect_before["value"] is not None and effect_after["value"] is not None:
            change = effect_after["value"] - effect_before["value"]
        rows.append(
            {
                "id": identifier,
                "statement": other.get("statement") or entry.get("statement"),
                "verdict_before": entry.get("verdict"),
                "verdict_after": other.get("verdict"),
                "verdict_changed": entry.get("verdict") != other.get("verdict"),
                "severity_before": entry.get("severity"),
                "severity_after": other.get("severity"),
                "effect_before": effect_before,
                "effect_after": effect_after,
                "effect_change": change,
                "effect_changed": _changed(effect_before, effect_after, change),
                "p_adjusted_before": entry.get("p_adjusted"),
                "p_adjusted_after": other.get("p_adjusted"),
                "groups_changed": _groups_changed(entry, other),
            }
        )
    rows.sort(key=lambda row: (not row["verdict_changed"], not row["effect_changed"]))
    return {
        "findings": rows,
        "verdicts_changed": sum(row["verdict_changed"] for row in rows),
        "effects_changed": sum(row["effect_changed"] for row in rows),
        "only_before": [identifier for identifier in old if identifier not in new],
        "only_after": [identifier for identifier in new if identifier not in old],
    }


def _effect(entry: Mapping[str, Any]) -> dict[str, Any]:
    effect = entry.get("effect") or {}
    return {"group": effect.get("group"), "value": effect.get("value"), "ci": effect.get("ci")}


def _changed(before: dict[str, Any], after: dict[str, Any], change: float | None) -> bool:
    if change is not None:
        return abs(change) > EFFECT_TOLERANCE or before["group"] != after["group"]
    return before["value"] != after["value"]


def _groups_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    old = {_key(row.get("group")): row for row in before.get("groups", [])}
    changed = []
    for row in after.get("groups", []):
        previous = old.get(_key(row.get("group")))
        if previous is None or previous.get("verdict") == row.get("verdict"):
            continue
        changed.append(
            {
                "group": row.get("group"),
                "verdict_before": previous.get("verdict"),
                "verdict_after": row.get("verdict"),
                "value_before": previous.get("value"),
                "value_after": row.get("value"),
            }
        )
    return changed


def _key(group: Any) -> tuple[str, ...]:
    if isinstance(group, list | tuple):
        return tuple(str(part) for part in group)
    return (str(group),)
