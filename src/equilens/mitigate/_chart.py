"""The fairness-utility frontier chart, drawn with matplotlib as inline SVG markup.

It uses the report's SVG conventions (`equilens.report._charts`): text stays text,
matplotlib escapes it, mathtext is off, and element ids are prefixed per chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from equilens.mitigate._recommend import BASELINE, UTILITY_LABELS, margin
from equilens.report._charts import _RC, _to_svg
from equilens.report._format import COMPARISON_LABELS, metric_label, threshold_lines

FRONTIER_COLOR = "#1f4e79"
OTHER_COLOR = "#9ca3af"
THRESHOLD_COLOR = "#b42318"


def _bar(entry: Mapping[str, Any]) -> list[list[float]]:
    """Return the asymmetric error bar of a value with an interval (zero without one)."""
    value, ci = entry["value"], entry.get("ci")
    if not ci:
        return [[0.0], [0.0]]
    return [[max(value - ci[0], 0.0)], [max(ci[1] - value, 0.0)]]


def frontier_chart(
    candidates: Sequence[Mapping[str, Any]],
    hypothesis_id: str,
    *,
    measure: str,
    numbers: Mapping[str, int],
    chart_id: str,
) -> Markup | None:
    """Draw each candidate's utility against its value on one hypothesis, with intervals.

    Candidates on the hypothesis's frontier are filled and joined by a line; the others
    are hollow grey. The baseline is a square. Points carry the candidate's number in
    `numbers`, which the table next to the chart explains. Returns None when no candidate
    has both values defined.
    """
    points = []
    for candidate in candidates:
        if candidate.get("status") != "ok":
            continue
        entry = candidate["fairness"].get(hypothesis_id)
        utility = candidate["utility"].get(measure)
        if not entry or entry.get("value") is None or not utility or utility.get("value") is None:
            continue
        points.append((candidate, entry, utility))
    if not points:
        return None

    reference = points[0][1]
    metric = metric_label(reference["metric"])
    comparison = COMPARISON_LABELS.get(reference["comparison"], reference["comparison"])
    utility_label = UTILITY_LABELS.get(measure, measure.replace("_", " "))

    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(7.2, 4.4), layout="constrained")
        axes = figure.add_subplot()
        for threshold in threshold_lines(reference):
            axes.axvline(threshold, color=THRESHOLD_COLOR, linestyle="--", linewidth=1.2)

        on_front = []
        for candidate, entry, utility in points:
            front = hypothesis_id in candidate.get("frontier", [])
            color = FRONTIER_COLOR if front else OTHER_COLOR
            axes.errorbar(
                entry["value"],
                utility["value"],
                xerr=_bar(entry),
                yerr=_bar(utility),
                fmt="s" if candidate["name"] == BASELINE else "o",
                color=color,
                markerfacecolor=color if front else "white",
                markersize=7,
                capsize=2,
                linewidth=1,
                alpha=1.0 if front else 0.8,
            )
            axes.annotate(
                str(numbers[candidate["name"]]),
                (entry["value"], utility["value"]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
                color="#111827",
            )
            if front:
                on_front.append((entry["value"], utility["value"], margin(entry)))

        # Join the frontier in order of increasing margin on the hypothesis.
        on_front.sort(key=lambda point: point[2])
        if len(on_front) > 1:
            axes.plot(
                [x for x, _, _ in on_front],
                [y for _, y, _ in on_front],
                color=FRONTIER_COLOR,
                linewidth=1,
                linestyle=":",
            )

        axes.set_xlabel(f"{metric} {comparison} (worst group)")
        axes.set_ylabel(utility_label)
        axes.grid(color="#e5e7eb", linewidth=0.6)
        axes.set_axisbelow(True)
        handles = [
            Line2D(
                [], [], color=FRONTIER_COLOR, marker="o", linestyle=":", label="on the frontier"
            ),
            Line2D(
                [],
                [],
                color=OTHER_COLOR,
                marker="o",
                markerfacecolor="white",
                linestyle="",
                label="dominated",
            ),
            Line2D([], [], color="#374151", marker="s", linestyle="", label="baseline"),
            Line2D([], [], color=THRESHOLD_COLOR, linestyle="--", label="threshold"),
        ]
        figure.legend(
            handles=handles,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
        return _to_svg(
            figure,
            chart_id=chart_id,
            title=f"Fairness-utility frontier for {hypothesis_id}",
            description=(
                f"{utility_label} against the {metric} {comparison} of each candidate, "
                f"with confidence intervals; frontier candidates are filled."
            ),
        )
