"""Arrange the tabular probes of a findings mapping into report sections.

The flip test, causal counterfactuals, proxies, SHAP attributions and the subgroup
search each get a section with tables of their key numbers. Other probes keep the
generic probe section of the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TABULAR_PROBES = {
    "flip_test": "Counterfactual flip test",
    "causal": "Causal counterfactual fairness",
    "proxies": "Proxies of protected attributes",
    "attributions": "Features behind each group's gap (SHAP)",
    "subgroups": "Worst-treated subgroups",
}

# Rows shown per table; findings.json keeps every row.
PROXY_ROWS = 10
ATTRIBUTION_ROWS = 8


@dataclass(frozen=True)
class ProbeSection:
    """One tabular probe as the report shows it.

    Attributes
    ----------
    key : str
        The probe's name in findings.json ``probes``.
    title : str
        Section heading.
    anchor : str
        HTML id of the section.
    data : Mapping
        The probe's mapping from findings.json.
    status : str or None
        ``skipped`` or ``failed`` when the probe produced no results.
    blocks : list of Mapping
        Per-attribute (or per-group) parts prepared for the template's tables.
    """

    key: str
    title: str
    anchor: str
    data: Mapping[str, Any]
    status: str | None = None
    blocks: list[Mapping[str, Any]] = field(default_factory=list)


def tabular_probe_sections(probes: Any) -> list[ProbeSection]:
    """Return a section for each tabular probe present in the findings' ``probes``."""
    if not isinstance(probes, Mapping):
        return []
    sections = []
    for key, title in TABULAR_PROBES.items():
        data = probes.get(key)
        if not isinstance(data, Mapping):
            continue
        status = data.get("status") if data.get("status") in ("skipped", "failed") else None
        blocks = [] if status else _BLOCKS[key](data)
        anchor = "probe-" + key.replace("_", "-")
        sections.append(ProbeSection(key, title, anchor, data, status, blocks))
    return sections


def _flip_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    results = list(data.get("results") or [])
    return [
        {
            **attribute,
            "results": [r for r in results if r.get("attribute") == attribute.get("attribute")],
        }
        for attribute in data.get("attributes") or []
    ]


def _causal_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    results = list(data.get("results") or [])
    names = list(dict.fromkeys(r.get("attribute") for r in results))
    return [
        {"attribute": name, "results": [r for r in results if r.get("attribute") == name]}
        for name in names
    ]


def _proxy_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    blocks = []
    for attribute in data.get("attributes") or []:
        features = list(attribute.get("features") or [])
        shown = max(PROXY_ROWS, sum(1 for row in features if row.get("proxy")))
        blocks.append({**attribute, "shown": features[:shown], "hidden": len(features) - shown})
    return blocks


def _attribution_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    blocks = []
    for attribute in data.get("attributes") or []:
        for group in attribute.get("groups") or []:
            features = list(group.get("features") or [])
            blocks.append(
                {
                    **group,
                    "attribute": attribute.get("attribute"),
                    "reference": attribute.get("reference"),
                    "shown": features[:ATTRIBUTION_ROWS],
                    "hidden": max(0, len(features) - ATTRIBUTION_ROWS),
                }
            )
        if attribute.get("reason"):
            blocks.append({"attribute": attribute.get("attribute"), "reason": attribute["reason"]})
    return blocks


def _subgroup_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [{"subgroups": list(data.get("subgroups") or [])}]


_BLOCKS = {
    "flip_test": _flip_blocks,
    "causal": _causal_blocks,
    "proxies": _proxy_blocks,
    "attributions": _attribution_blocks,
    "subgroups": _subgroup_blocks,
}
