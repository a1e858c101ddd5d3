"""Draw the disparity charts and intersectional heatmaps of each unit of the report."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from equilens.report._charts import ChartPoint, HeatmapCell, disparity_chart, heatmap_chart
from equilens.report._format import (
    FOUR_FIFTHS,
    format_threshold,
    group_label,
    metric_label,
    metric_short_label,
    sentence_case,
    threshold_lines,
)
from equilens.report._units import (
    ChartView,
    FindingView,
    UnitKey,
    UnitView,
    group_key,
    ordered_union,
    unit_key,
)


def _disparity_points(
    unit: UnitView, metric: str, comparison: str, finding: Mapping[str, Any] | None
) -> list[ChartPoint]:
    """Collect the chart points of one metric and comparison, in the unit's group order."""
    entries = {
        group_key(entry.get("group")): entry
        for entry in unit.disparities
        if entry.get("metric") == metric
    }
    verdicts = {
        group_key(row.get("group")): row.get("verdict") for row in (finding or {}).get("groups", [])
    }
    points = []
    for group in unit.groups:
        key = group_key(group["group"])
        if key == unit.reference or key not in entries:
            continue
        estimate = entries[key].get(comparison) or {}
        points.append(
            ChartPoint(
                label=group_label(key),
                n=group.get("n"),
                value=estimate.get("value"),
                ci=estimate.get("ci"),
                small=bool(group.get("small")),
                verdict=verdicts.get(key),
                reason=estimate.get("reason", ""),
            )
        )
    return points


def draw_unit_charts(unit: UnitView, chart_ids: Iterator[str], level: str) -> None:
    """Draw one disparity chart per hypothesis on the unit, plus the four-fifths chart."""
    charted: set[tuple[str, str]] = set()
    requests = [
        (view.entry["metric"], view.entry["comparison"], view.entry)
        for view in unit.findings
        if view.entry.get("comparison") in ("difference", "ratio") and view.entry.get("metric")
    ]
    # The four-fifths rule is reported for every attribute, so its chart is shown even
    # when no hypothesis of the plan tests the selection-rate ratio.
    requests.append(("selection_rate", "ratio", None))

    for metric, comparison, finding in requests:
        if (metric, comparison) in charted:
            continue
        points = _disparity_points(unit, metric, comparison, finding)
        if not points:
            continue
        charted.add((metric, comparison))

        reference = unit.reference_label or "reference"
        axis_label = f"{metric_label(metric)} {comparison} to {reference}"
        if finding is None:
            thresholds = [FOUR_FIFTHS]
            threshold_label = "four-fifths rule (0.8)"
            caption = f"{sentence_case(axis_label)}, with the four-fifths rule line."
        else:
            thresholds = threshold_lines(finding)
            threshold_label = f"threshold ({format_threshold(finding)})"
            caption = (
                f"{sentence_case(axis_label)}, hypothesis {finding.get('id', '')}: "
                f"threshold {format_threshold(finding)}."
            )
        description = (
            f"Dot plot of the {axis_label} for {len(points)} groups with {level} confidence "
            f"intervals as error bars; the solid line marks parity and dashed lines the "
            f"threshold. The disparities table lists the same numbers."
        )
        unit.charts.append(
            ChartView(
                caption=caption,
                svg=disparity_chart(
                    points,
                    chart_id=next(chart_ids),
                    comparison=comparison,
                    axis_label=axis_label,
                    thresholds=thresholds,
                    threshold_label=threshold_label,
                    title=caption,
                    description=description,
                ),
            )
        )


def draw_unit_heatmaps(
    unit: UnitView,
    units: Mapping[UnitKey, UnitView],
    findings: Sequence[FindingView],
    chart_ids: Iterator[str],
) -> None:
    """Draw heatmaps of a two-attribute intersection: selection rate and tested metrics."""
    if len(unit.key) != 2:
        return
    tested = [
        view.entry.get("metric") for view in findings if set(unit_key(view.entry)) & set(unit.key)
    ]
    metrics = [m for m in dict.fromkeys(["selection_rate", *tested]) if m in unit.metrics]

    axes_groups = []
    for position, attribute in enumerate(unit.key):
        declared = units.get((attribute,))
        preferred = [group_key(g["group"])[0] for g in declared.groups] if declared else []
        seen = [group_key(g["group"])[position] for g in unit.groups]
        axes_groups.append(ordered_union(preferred, seen))
    row_labels, column_labels = axes_groups

    for metric in metrics:
        cells = {}
        for group in unit.groups:
            row, column = group_key(group["group"])
            value = (group.get("metrics", {}).get(metric) or {}).get("value")
            cells[(row, column)] = HeatmapCell(value, group.get("n"), bool(group.get("small")))
        caption = f"{sentence_case(metric_label(metric))} by {unit.title}."
        description = (
            f"Heatmap of the {metric_label(metric)} for each {unit.title} group, each cell "
            f"annotated with its value and n. Hatched cells have no defined value; dashed "
            f"borders mark small groups. The group table lists the same numbers."
        )
        unit.heatmaps.append(
            ChartView(
                caption=caption,
                svg=heatmap_chart(
                    cells,
                    chart_id=next(chart_ids),
                    row_labels=row_labels,
                    column_labels=column_labels,
                    row_axis=unit.key[0],
                    column_axis=unit.key[1],
                    value_label=metric_short_label(metric),
                    title=caption,
                    description=description,
                ),
            )
        )
