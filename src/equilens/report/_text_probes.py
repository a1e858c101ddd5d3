"""Arrange the probes of a text audit into report sections.

Minimal pairs, severity monotonicity, cross-locale consistency, occlusion attributions,
calibration, multiclass confusions and writer-reader gaps each get a section. Long lists
are capped here, and the template states how many more rows findings.json contains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equilens.probes.monotonicity import ALL_STYLES
from equilens.report._tabular_probes import ProbeSection

TEXT_PROBES = {
    "text_audit": "Text audit: runs and scored texts",
    "minimal_pairs": "Minimal pairs",
    "monotonicity": "Severity monotonicity",
    "cross_locale": "Cross-locale consistency",
    "attributions": "Tokens behind flipped pairs (occlusion)",
    "calibration": "Calibration of scores by group",
    "multiclass": "Label confusions by group",
    "writer_reader_gap": "Writer and reader emotion intensity",
}

# The key each probe's findings.json entry always has. An entry without it has another
# shape (another tool's probe of the same name) and stays in the generic probe section.
SHAPE_KEYS = {
    "text_audit": "runs",
    "minimal_pairs": "cells",
    "monotonicity": "violating_steps",
    "cross_locale": "pairs",
    "calibration": "runs",
    "multiclass": "attributes",
    "writer_reader_gap": "by_emotion",
}

# Rows shown per table. findings.json keeps every row.
FLIPPED_PAIRS_PER_RUN = 20
VIOLATION_ROWS = 30
TOKEN_ROWS = 10
EXPLAINED_PAIRS = 3
CALIBRATION_ROWS = 30
MULTICLASS_GROUP_ROWS = 30
CONFUSION_GAP_ROWS = 15
CHANGED_TOKENS = 8
EXCLUDED_ROWS = 20


def is_occlusion_attributions(data: Any) -> bool:
    """Tell whether a ``probes.attributions`` entry is the text audit's occlusion form.

    The occlusion form maps each run's name to its attributions. The SHAP form of a
    tabular audit has ``attributes`` and ``explainer`` keys, or a ``status``.
    """
    if not isinstance(data, Mapping) or not data:
        return False
    return all(
        isinstance(entry, Mapping) and ("tokens" in entry or "pairs_explained" in entry)
        for entry in data.values()
    )


def text_probe_sections(probes: Any) -> list[ProbeSection]:
    """Return a section for each text-audit probe present in the findings' ``probes``.

    Parameters
    ----------
    probes : Any
        The ``probes`` entry of a findings mapping. Anything but a mapping gives no
        sections.

    Returns
    -------
    list of ProbeSection
        One section per probe, in the order of `TEXT_PROBES`. A ``skipped`` or ``failed``
        probe gets a section with its status and no blocks.
    """
    if not isinstance(probes, Mapping):
        return []
    sections = []
    for key, title in TEXT_PROBES.items():
        data = probes.get(key)
        if not isinstance(data, Mapping):
            continue
        status = data.get("status") if data.get("status") in ("skipped", "failed") else None
        if key == "attributions":
            # A skipped or failed `attributions` entry is the tabular SHAP probe's.
            status = None
        if status is None and not _has_text_shape(key, data):
            continue
        blocks = [] if status else _BLOCKS[key](data)
        anchor = "text-probe-" + key.replace("_", "-")
        sections.append(ProbeSection(key, title, anchor, data, status, blocks))
    return sections


def _has_text_shape(key: str, data: Mapping[str, Any]) -> bool:
    if key == "attributions":
        return is_occlusion_attributions(data)
    return isinstance(data.get(SHAPE_KEYS[key]), list)


def _text_audit_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    excluded = list(data.get("excluded") or [])
    skipped = [
        {
            **view,
            "label": ", ".join(" × ".join(grouping) for grouping in view.get("groupings") or [])
            + (view.get("suffix") or ""),
        }
        for view in data.get("views") or []
        if view.get("skipped_reason")
    ]
    return [
        {
            "runs": list(data.get("runs") or []),
            "skipped_views": skipped,
            "excluded": excluded[:EXCLUDED_ROWS],
            "excluded_hidden": int(data.get("rows_excluded") or 0)
            - min(len(excluded), EXCLUDED_ROWS),
        }
    ]


def _worst_cell_first(cell: Mapping[str, Any]) -> tuple[float, float, float]:
    """Order minimal-pair cells by flip rate, then absolute score shift, then adjusted p."""
    flip_rate = _value(cell.get("flip_rate"))
    shift = _value(cell.get("mean_score_shift"))
    adjusted = [
        (cell.get(test) or {}).get("p_adjusted")
        for test in ("mcnemar", "wilcoxon")
        if (cell.get(test) or {}).get("p_adjusted") is not None
    ]
    return -(flip_rate or 0.0), -abs(shift or 0.0), min(adjusted, default=1.0)


def _minimal_pair_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    cells = list(data.get("cells") or [])
    flipped = list(data.get("flipped") or [])
    by_axis = list(data.get("by_axis") or [])
    runs = list(dict.fromkeys(entry.get("run") for entry in [*by_axis, *cells]))

    blocks = []
    for run in runs:
        axes = sorted(
            (entry for entry in by_axis if entry.get("run") == run),
            key=lambda entry: -(_value(entry.get("flip_rate")) or 0.0),
        )
        names = [entry.get("axis") for entry in axes]
        names += [cell.get("axis") for cell in cells if cell.get("run") == run]
        tables = [
            {
                "axis": axis,
                "cells": sorted(
                    _without_repeated_pools(
                        [c for c in cells if c.get("run") == run and c.get("axis") == axis]
                    ),
                    key=_worst_cell_first,
                ),
            }
            for axis in dict.fromkeys(names)
        ]
        listed = [pair for pair in flipped if pair.get("run") == run]
        listed.sort(key=lambda pair: -abs(_score_change(pair) or 0.0))
        flipped_total = max(sum(entry.get("flipped") or 0 for entry in axes), len(listed))
        shown = listed[:FLIPPED_PAIRS_PER_RUN]
        blocks.append(
            {
                "run": run,
                "axes": axes,
                "tables": tables,
                "flipped": [_pair_view(pair) for pair in shown],
                "flipped_total": flipped_total,
                "flipped_listed": len(listed),
            }
        )
    return blocks


def _without_repeated_pools(cells: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop the all-locales cell of a value that was varied in one locale only.

    That cell contains the same pairs, and so the same numbers, as the locale's own cell.
    """
    locales: dict[Any, list[Any]] = {}
    for cell in cells:
        if cell.get("locale") is not None:
            locales.setdefault(cell.get("value"), []).append(cell.get("locale"))
    return [
        cell
        for cell in cells
        if cell.get("locale") is not None or len(locales.get(cell.get("value"), [])) != 1
    ]


def _pair_view(pair: Mapping[str, Any]) -> Mapping[str, Any]:
    """Mark the glosses that differ from their text, the only ones the report shows."""
    return {
        **pair,
        "show_base_gloss": bool(pair.get("base_gloss"))
        and pair.get("base_gloss") != pair.get("base_text"),
        "show_variant_gloss": bool(pair.get("variant_gloss"))
        and pair.get("variant_gloss") != pair.get("variant_text"),
    }


def _score_change(pair: Mapping[str, Any]) -> float | None:
    base, variant = pair.get("base_score"), pair.get("variant_score")
    if base is None or variant is None:
        return None
    return variant - base


def _monotonicity_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    levels = list(data.get("severity_levels") or [])
    rates: dict[tuple[Any, Any], dict[str, Any]] = {}
    for step in data.get("steps") or []:
        if step.get("style") != ALL_STYLES:
            continue
        lane = rates.setdefault((step.get("run"), step.get("locale")), {})
        lane[step.get("from_severity")] = (step.get("from_rate"), step.get("from_n"))
        lane[step.get("to_severity")] = (step.get("to_rate"), step.get("to_n"))
    curves = [
        {"run": run, "locale": locale, "rates": [lane.get(level) for level in levels]}
        for (run, locale), lane in rates.items()
    ]

    violations = sorted(
        data.get("violating_steps") or [],
        key=lambda step: (not step.get("significant"), _value(step.get("difference")) or 0.0),
    )
    return [
        {
            "levels": levels,
            "curves": curves,
            "violations": violations[:VIOLATION_ROWS],
            "violations_hidden": max(0, len(violations) - VIOLATION_ROWS),
        }
    ]


def _cross_locale_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    pairs = list(data.get("pairs") or [])
    severities = list(
        dict.fromkeys(
            entry.get("severity") for pair in pairs for entry in pair.get("by_severity") or []
        )
    )
    rows = [
        {
            **pair,
            "severity_cells": [
                next(
                    (e for e in pair.get("by_severity") or [] if e.get("severity") == severity),
                    None,
                )
                for severity in severities
            ],
        }
        for pair in pairs
    ]
    return [{"pairs": rows, "severities": severities}]


def _attribution_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    blocks = []
    for run, entry in data.items():
        tokens = list(entry.get("tokens") or [])
        pairs = sorted(
            entry.get("pairs") or [],
            key=lambda pair: -abs((pair.get("output") or 0.0) - (pair.get("base_output") or 0.0)),
        )
        pairs = [_explained_pair_view(pair) for pair in pairs[:EXPLAINED_PAIRS]]
        blocks.append(
            {
                **entry,
                "run": run,
                "tokens": tokens[:TOKEN_ROWS],
                "tokens_hidden": max(0, len(tokens) - TOKEN_ROWS),
                "pairs": pairs,
                "pairs_hidden": max(0, len(entry.get("pairs") or []) - EXPLAINED_PAIRS),
            }
        )
    return blocks


def _explained_pair_view(pair: Mapping[str, Any]) -> Mapping[str, Any]:
    """Order a pair's changed tokens by the size of their effect and cap them."""
    changed = sorted(
        pair.get("changed_tokens") or [], key=lambda token: -abs(token.get("effect") or 0.0)
    )
    return {
        **pair,
        "changed_tokens": changed[:CHANGED_TOKENS],
        "changed_hidden": max(0, len(changed) - CHANGED_TOKENS),
    }


def _calibration_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    blocks = []
    for run in data.get("runs") or []:
        groups = sorted(
            run.get("groups") or [],
            key=lambda group: -(_value(group.get("expected_calibration_error")) or 0.0),
        )
        blocks.append(
            {
                **run,
                "groups": groups[:CALIBRATION_ROWS],
                "groups_hidden": max(0, len(groups) - CALIBRATION_ROWS),
            }
        )
    return blocks


def _multiclass_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    blocks = []
    for attribute in data.get("attributes") or []:
        groups = list(attribute.get("groups") or [])
        gaps = sorted(
            attribute.get("confusion_gaps") or [],
            key=lambda gap: _p_or_one((gap.get("test") or {}).get("p_adjusted")),
        )
        blocks.append(
            {
                **attribute,
                "groups": groups[:MULTICLASS_GROUP_ROWS],
                "groups_hidden": max(0, len(groups) - MULTICLASS_GROUP_ROWS),
                "gaps": gaps[:CONFUSION_GAP_ROWS],
                "gaps_hidden": max(0, len(gaps) - CONFUSION_GAP_ROWS),
            }
        )
    return blocks


def _writer_reader_blocks(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [{"emotions": list(data.get("by_emotion") or [])}]


def _value(estimate: Any) -> float | None:
    return estimate.get("value") if isinstance(estimate, Mapping) else None


def _p_or_one(p: float | None) -> float:
    return 1.0 if p is None else p


_BLOCKS = {
    "text_audit": _text_audit_blocks,
    "minimal_pairs": _minimal_pair_blocks,
    "monotonicity": _monotonicity_blocks,
    "cross_locale": _cross_locale_blocks,
    "attributions": _attribution_blocks,
    "calibration": _calibration_blocks,
    "multiclass": _multiclass_blocks,
    "writer_reader_gap": _writer_reader_blocks,
}
