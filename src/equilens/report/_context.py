"""Arrange a findings mapping into the view that the HTML template renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equilens.report._figures import draw_unit_charts, draw_unit_heatmaps
from equilens.report._format import (
    attributes_label,
    count_verdicts,
    data_source_label,
    format_level,
    format_threshold,
    multiple_testing_label,
    sort_findings,
)
from equilens.report._tabular_probes import (
    TABULAR_PROBES,
    ProbeSection,
    tabular_probe_sections,
)
from equilens.report._text_probes import text_probe_sections
from equilens.report._units import FindingView, UnitView, index_units, unit_key


@dataclass(frozen=True)
class ProbeView:
    """A probe's name, its top-level scalar results and the names of nested results."""

    name: str
    rows: list[tuple[str, Any]]
    nested: list[str]


@dataclass(frozen=True)
class ReportView:
    """Everything the HTML template renders."""

    audit: Mapping[str, Any]
    data_source: str | None
    schema: str
    level: str
    multiple_testing: str
    verdict_counts: dict[str, int]
    findings: list[FindingView]
    units: list[UnitView]
    probes: list[ProbeView]
    warnings: list[Mapping[str, Any]]
    tabular_probes: list[ProbeSection]
    text_probes: list[ProbeSection]
    review: Mapping[str, Any] | None = None


def _probe_views(probes: Any, *, exclude: frozenset[str] = frozenset()) -> list[ProbeView]:
    """List each probe's top-level scalar results. Nested results are only named.

    The tabular probes and the probes named in `exclude`, which have sections of their
    own, are left out here.
    """
    if isinstance(probes, Mapping):
        named = [
            (name, result)
            for name, result in probes.items()
            if name not in TABULAR_PROBES and name not in exclude
        ]
    else:
        named = [
            (entry.get("name", f"probe {index + 1}"), entry)
            for index, entry in enumerate(probes or [])
        ]

    views = []
    for name, result in named:
        if not isinstance(result, Mapping):
            views.append(ProbeView(name=str(name), rows=[("result", result)], nested=[]))
            continue
        rows, nested = [], []
        for key, value in result.items():
            is_estimate = isinstance(value, Mapping) and "value" in value
            if value is None or isinstance(value, str | int | float | bool) or is_estimate:
                rows.append((str(key), value))
            else:
                nested.append(str(key))
        views.append(ProbeView(name=str(name), rows=rows, nested=nested))
    return views


def build_view(findings: Mapping[str, Any]) -> ReportView:
    """Arrange a findings mapping into the view that `report.html.j2` renders."""
    audit = findings.get("audit", {})
    level = format_level(audit.get("confidence_level"))
    units = index_units(findings)

    finding_views = []
    for index, entry in enumerate(sort_findings(findings.get("findings", []))):
        unit = units.get(unit_key(entry))
        view = FindingView(
            anchor=f"finding-{index + 1}",
            entry=entry,
            threshold=format_threshold(entry),
            unit_title=attributes_label(unit_key(entry)),
            unit_anchor=unit.anchor if unit else None,
        )
        finding_views.append(view)
        if unit:
            unit.findings.append(view)

    # The text audit's occlusion attributions share the key `attributions` with the
    # tabular SHAP probe, so a probe shown as a text probe is kept out of the tabular ones.
    probes = findings.get("probes")
    text_probes = text_probe_sections(probes)
    text_probe_keys = frozenset(section.key for section in text_probes)
    tabular_input = (
        {name: result for name, result in probes.items() if name not in text_probe_keys}
        if isinstance(probes, Mapping)
        else probes
    )

    chart_ids = (f"chart-{number}" for number in range(1, 10_000))
    for unit in units.values():
        draw_unit_charts(unit, chart_ids, level)
        draw_unit_heatmaps(unit, units, finding_views, chart_ids)

    return ReportView(
        audit=audit,
        data_source=data_source_label(audit.get("plan")),
        schema=findings.get("schema", ""),
        level=level,
        multiple_testing=multiple_testing_label(audit.get("multiple_testing")),
        verdict_counts=count_verdicts(findings.get("findings", [])),
        findings=finding_views,
        units=list(units.values()),
        probes=_probe_views(probes, exclude=text_probe_keys),
        warnings=list(findings.get("warnings", [])),
        tabular_probes=tabular_probe_sections(tabular_input),
        text_probes=text_probes,
        review=findings.get("review") or None,
    )
