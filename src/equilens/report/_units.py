"""Group the entries of a findings mapping by protected attribute or intersection.

A "unit" is one protected attribute or one intersection of attributes, keyed by the tuple
of attribute names. Group, disparity, aggregate and summary entries are collected per unit
so that the report can show each attribute's numbers together. Entries are kept as
`findings.json` stores them; nothing is recomputed, so every number in a report is the
number in the findings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from equilens.report._format import METRIC_LABELS, attributes_label, group_label

logger = logging.getLogger(__name__)

# Maximum value columns in one group-metrics table. More columns are split over several tables.
MAX_TABLE_COLUMNS = 7

UnitKey = tuple[str, ...]
GroupKey = tuple[str, ...]


@dataclass(frozen=True)
class ChartView:
    """A chart with its caption."""

    caption: str
    svg: Markup


@dataclass(frozen=True)
class FindingView:
    """One hypothesis result, with its display threshold and links."""

    anchor: str
    entry: Mapping[str, Any]
    threshold: str
    unit_title: str
    unit_anchor: str | None


@dataclass
class UnitView:
    """The groups, disparities, charts and summaries of one attribute or intersection."""

    key: UnitKey
    anchor: str
    title: str
    reference: GroupKey | None
    column: str | None = None
    groups: list[Mapping[str, Any]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    disparities: list[Mapping[str, Any]] = field(default_factory=list)
    aggregates: list[Mapping[str, Any]] = field(default_factory=list)
    summary: Mapping[str, Any] | None = None
    findings: list[FindingView] = field(default_factory=list)
    charts: list[ChartView] = field(default_factory=list)
    heatmaps: list[ChartView] = field(default_factory=list)

    @property
    def metric_tables(self) -> list[list[str]]:
        """Split the value columns into tables of at most `MAX_TABLE_COLUMNS` and near-equal width.

        The first column is the pseudo-metric `base_rate`. Splitting keeps a table of all
        14 metrics readable on screen and inside the printed page width.
        """
        columns = ["base_rate", *self.metrics]
        count = -(-len(columns) // MAX_TABLE_COLUMNS)
        size = -(-len(columns) // count)
        return [columns[start : start + size] for start in range(0, len(columns), size)]

    @property
    def is_intersection(self) -> bool:
        return len(self.key) > 1

    @property
    def small_labels(self) -> set[str]:
        return {group_label(entry["group"]) for entry in self.groups if entry.get("small")}

    @property
    def reference_label(self) -> str:
        return group_label(self.reference) if self.reference else ""


def unit_key(entry: Mapping[str, Any]) -> UnitKey:
    """Return the attribute tuple of a group, disparity, aggregate, summary or finding entry."""
    attributes = entry.get("attributes", entry.get("attribute"))
    if attributes is None:
        return ()
    if isinstance(attributes, str):
        return (attributes,)
    return tuple(attributes)


def group_key(group: str | Sequence[str] | None) -> GroupKey:
    """Return a group label as a tuple, so single groups and intersections compare alike."""
    if group is None:
        return ()
    if isinstance(group, str):
        return (group,)
    return tuple(group)


def ordered_union(preferred: Iterable[str], seen: Iterable[str]) -> list[str]:
    """List `preferred` first, then the rest of `seen` in order of appearance, once each."""
    result = list(dict.fromkeys(preferred))
    result += [item for item in dict.fromkeys(seen) if item not in result]
    return result


def _collect_units(findings: Mapping[str, Any]) -> dict[UnitKey, UnitView]:
    """Create one unit per attribute and intersection, in report order, with their groups."""
    declared = {entry["name"]: entry for entry in findings.get("attributes", [])}
    group_entries = [*findings.get("groups", []), *findings.get("intersections", [])]
    keys = ordered_union(
        [(name,) for name in declared],
        [unit_key(entry) for entry in group_entries],
    )

    units: dict[UnitKey, UnitView] = {}
    for index, key in enumerate(keys):
        attribute = declared.get(key[0]) if len(key) == 1 else None
        reference = group_key(attribute.get("reference")) if attribute else None
        units[key] = UnitView(
            key=key,
            anchor=f"unit-{index + 1}",
            title=attributes_label(key),
            reference=reference or None,
            column=attribute.get("column") if attribute else None,
        )

    for entry in group_entries:
        units[unit_key(entry)].groups.append(entry)
    for key, unit in units.items():
        attribute = declared.get(key[0]) if len(key) == 1 else None
        if attribute:
            order = [group_key(group) for group in attribute.get("groups", [])]
            position = {group: rank for rank, group in enumerate(order)}
            unit.groups.sort(key=lambda entry: position.get(group_key(entry["group"]), len(order)))
        seen_metrics = [name for entry in unit.groups for name in entry.get("metrics", {})]
        unit.metrics = ordered_union([m for m in METRIC_LABELS if m in seen_metrics], seen_metrics)
    return units


def _attach_entries(findings: Mapping[str, Any], units: dict[UnitKey, UnitView]) -> None:
    """Add disparities, aggregates and summaries to their units."""
    for name, target in (("disparities", "disparities"), ("aggregates", "aggregates")):
        for entry in findings.get(name, []):
            unit = units.get(unit_key(entry))
            if unit is None:
                logger.warning(
                    "%s entry for attributes %s has no matching group entries and is not shown",
                    name,
                    unit_key(entry),
                )
                continue
            getattr(unit, target).append(entry)
            if name == "disparities" and unit.reference is None and entry.get("reference"):
                unit.reference = group_key(entry["reference"])

    for unit in units.values():
        metric_rank = {metric: rank for rank, metric in enumerate(unit.metrics)}
        group_rank = {group_key(entry["group"]): rank for rank, entry in enumerate(unit.groups)}
        unit.disparities.sort(
            key=lambda entry: (
                metric_rank.get(entry.get("metric"), len(metric_rank)),
                group_rank.get(group_key(entry.get("group")), len(group_rank)),
            )
        )
        unit.aggregates.sort(
            key=lambda entry: metric_rank.get(entry.get("metric"), len(metric_rank))
        )

    for entry in findings.get("summaries", []):
        unit = units.get(unit_key(entry))
        if unit is not None:
            unit.summary = entry


def index_units(findings: Mapping[str, Any]) -> dict[UnitKey, UnitView]:
    """Group the entries of a findings mapping by attribute or intersection, without charts."""
    units = _collect_units(findings)
    _attach_entries(findings, units)
    return units
