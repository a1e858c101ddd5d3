"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG markup.

The figures are built with `matplotlib.figure.Figure` rather than pyplot, so rendering a
report never changes the pyplot backend of a notebook session. Text stays text in the SVG
(`svg.fonttype: none`), so labels are searchable and selectable. matplotlib's SVG writer
escapes `<`, `>` and `&` in text, and `text.parse_math: False` keeps a `$` in a group
label from being parsed as mathtext.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

_RC = {
    "svg.fonttype": "none",
    # A fixed salt makes the generated ids, and so the whole report, reproducible.
    "svg.hashsalt": "equilens-report",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}

VERDICT_COLORS = {"fail": "#b42318", "pass": "#067647", "inconclusive": "#6b7280"}
_NO_VERDICT_COLOR = "#1f4e79"
_THRESHOLD_COLOR = "#b42318"
_PARITY_COLOR = "#374151"
_UNDEFINED_FILL = "#e5e7eb"
_HEATMAP_CMAP = "cividis"


@dataclass(frozen=True)
class ChartPoint:
    """One group's value and interval in a disparity chart."""

    label: str
    n: int | None
    value: float | None
    ci: Sequence[float] | None
    small: bool = False
    verdict: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class HeatmapCell:
    """One cell of an intersectional heatmap. `value` is None when the metric is undefined."""

    value: float | None
    n: int | None
    small: bool = False


def _to_svg(figure: Figure, *, chart_id: str, title: str, description: str) -> Markup:
    """Serialise a figure to SVG markup that can be inlined into HTML next to other charts.

    The XML declaration and DOCTYPE are dropped because they are invalid inside HTML. Every
    id is prefixed with `chart_id`, because matplotlib numbers ids per figure and two
    inlined figures would otherwise share ids such as `axes_1`. The title and description
    are escaped here; matplotlib escapes the text inside the figure.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]

    svg = re.sub(r'\bid="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{chart_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", svg)

    # Drop the fixed size in points so that CSS scales the chart to the page width.
    opening_tag, body = svg.split(">", 1)
    attributes = re.sub(r'\s(?:width|height)="[^"]*"', "", opening_tag[len("<svg") :])
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f"{attributes}>"
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{body}"
    )


def _axis_limits(values: Sequence[float]) -> tuple[float, float]:
    """Pad the range of `values` by 8% on each side."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 0.05
    return low - pad, high + pad


def disparity_chart(
    points: Sequence[ChartPoint],
    *,
    chart_id: str,
    comparison: str,
    axis_label: str,
    thresholds: Sequence[float] = (),
    threshold_label: str = "threshold",
    title: str,
    description: str,
) -> Markup:
    """Draw each group's difference or ratio to the reference with its interval.

    Parameters
    ----------
    points : sequence of ChartPoint
        The groups other than the reference, top to bottom.
    chart_id : str
        Prefix for the SVG element ids, unique within the page.
    comparison : {"difference", "ratio"}
        Sets the parity line: 0 for a difference, 1 for a ratio.
    axis_label : str
        Label of the value axis.
    thresholds : sequence of float
        Positions of the dashed threshold lines.
    threshold_label : str
        Legend entry of the threshold lines.
    title, description : str
        Accessible name and description of the chart.

    Returns
    -------
    markupsafe.Markup
        An `<svg>` element.
    """
    parity = 1.0 if comparison == "ratio" else 0.0

    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(7.2, 1.2 + 0.42 * len(points)), layout="constrained")
        axes = figure.add_subplot()
        axes.axvline(parity, color=_PARITY_COLOR, linewidth=1)
        for threshold in thresholds:
            axes.axvline(threshold, color=_THRESHOLD_COLOR, linestyle="--", linewidth=1.2)

        extent = [parity, *thresholds]
        tick_labels = []
        verdicts_shown = set()
        for position, point in enumerate(points):
            size = f"n={point.n}" if point.n is not None else "n unknown"
            if point.small:
                size += ", small"
            tick_labels.append(f"{point.label}\n{size}")
            if point.value is None:
                # x in axes coordinates: the note starts at the left edge whatever the scale.
                axes.text(
                    0.01,
                    position,
                    f"n/a: {point.reason}",
                    va="center",
                    fontsize=8,
                    color=_PARITY_COLOR,
                    style="italic",
                    transform=axes.get_yaxis_transform(),
                )
                continue

            color = VERDICT_COLORS.get(point.verdict, _NO_VERDICT_COLOR)
            verdicts_shown.add(point.verdict)
            low, high = point.ci if point.ci else (point.value, point.value)
            extent += [low, high, point.value]
            axes.errorbar(
                point.value,
                position,
                xerr=[[max(point.value - low, 0.0)], [max(high - point.value, 0.0)]],
                fmt="o",
                color=color,
                markerfacecolor="white" if point.small else color,
                markersize=6,
                capsize=3,
                linewidth=1.4,
            )
            # Above the marker, so the label does not sit on the whisker.
            axes.annotate(
                f"{point.value:.2f}",
                (point.value, position),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=color,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
            )

        axes.set_xlim(*_axis_limits(extent))
        axes.set_ylim(len(points) - 0.5, -0.5)
        axes.set_yticks(range(len(points)), labels=tick_labels)
        axes.set_xlabel(axis_label)
        axes.grid(axis="x", color="#e5e7eb", linewidth=0.6)
        axes.set_axisbelow(True)

        handles = [Line2D([], [], color=_PARITY_COLOR, linewidth=1, label="parity")]
        if thresholds:
            handles.append(
                Line2D([], [], color=_THRESHOLD_COLOR, linestyle="--", label=threshold_label)
            )
        if None in verdicts_shown:
            handles.append(
                Line2D(
                    [], [], color=_NO_VERDICT_COLOR, marker="o", linestyle="", label="not judged"
                )
            )
        for verdict in ("fail", "pass", "inconclusive"):
            if verdict in verdicts_shown:
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=VERDICT_COLORS[verdict],
                        marker="o",
                        linestyle="",
                        label=verdict,
                    )
                )
        if any(point.small for point in points):
            handles.append(
                Line2D(
                    [],
                    [],
                    color=_PARITY_COLOR,
                    marker="o",
                    linestyle="",
                    markerfacecolor="white",
                    label="small group",
                )
            )
        figure.legend(
            handles=handles,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
        return _to_svg(figure, chart_id=chart_id, title=title, description=description)


def heatmap_chart(
    cells: Mapping[tuple[str, str], HeatmapCell],
    *,
    chart_id: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    row_axis: str,
    column_axis: str,
    value_label: str,
    title: str,
    description: str,
) -> Markup:
    """Draw a metric over the groups of a two-attribute intersection.

    Each cell is annotated with its value and n. A small group gets a dashed border and the
    word 'small'. An undefined value is hatched grey and marked 'n/a', and a combination with
    no rows is marked 'no rows', so that no cell is silently blank.

    Parameters
    ----------
    cells : mapping of (row label, column label) to HeatmapCell
        The intersection's groups.
    chart_id : str
        Prefix for the SVG element ids, unique within the page.
    row_labels, column_labels : sequence of str
        Group labels of the first and second attribute, in report order.
    row_axis, column_axis : str
        Names of the two attributes.
    value_label : str
        Label of the colour bar.
    title, description : str
        Accessible name and description of the chart.

    Returns
    -------
    markupsafe.Markup
        An `<svg>` element.
    """
    values = np.full((len(row_labels), len(column_labels)), np.nan)
    for (row, column), cell in cells.items():
        if cell.value is not None:
            values[row_labels.index(row), column_labels.index(column)] = cell.value
    defined = values[~np.isnan(values)]
    in_unit_range = defined.size == 0 or (defined.min() >= 0 and defined.max() <= 1)
    vmin, vmax = (0.0, 1.0) if in_unit_range else (float(defined.min()), float(defined.max()))

    with matplotlib.rc_context(_RC):
        width = min(2.4 + 1.35 * len(column_labels), 9.0)
        figure = Figure(figsize=(width, 1.0 + 0.8 * len(row_labels)), layout="constrained")
        axes = figure.add_subplot()
        image = axes.imshow(
            np.ma.masked_invalid(values), cmap=_HEATMAP_CMAP, vmin=vmin, vmax=vmax, aspect="auto"
        )
        colormap = image.get_cmap()

        for row_index, row in enumerate(row_labels):
            for column_index, column in enumerate(column_labels):
                cell = cells.get((row, column))
                text_box = None
                if cell is None or cell.value is None:
                    axes.add_patch(
                        Rectangle(
                            (column_index - 0.5, row_index - 0.5),
                            1,
                            1,
                            facecolor=_UNDEFINED_FILL,
                            edgecolor="#9ca3af",
                            hatch="///",
                            linewidth=0,
                        )
                    )
                    text = "no rows" if cell is None else f"n/a\nn={cell.n}"
                    text_color = "#111827"
                    text_box = {"facecolor": _UNDEFINED_FILL, "linewidth": 0, "pad": 1.5}
                else:
                    text = f"{cell.value:.2f}\nn={cell.n}"
                    red, green, blue, _ = colormap((cell.value - vmin) / ((vmax - vmin) or 1))
                    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
                    text_color = "#111827" if luminance > 0.5 else "white"

                if cell is not None and cell.small:
                    text += " (small)"
                    axes.add_patch(
                        Rectangle(
                            (column_index - 0.46, row_index - 0.46),
                            0.92,
                            0.92,
                            fill=False,
                            edgecolor="#f59e0b",
                            linestyle="--",
                            linewidth=1.5,
                        )
                    )
                axes.text(
                    column_index,
                    row_index,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=text_color,
                    bbox=text_box,
                )

        rotate = max(len(label) for label in column_labels) > 12
        axes.set_xticks(
            range(len(column_labels)),
            labels=column_labels,
            rotation=25 if rotate else 0,
            ha="right" if rotate else "center",
        )
        axes.set_yticks(range(len(row_labels)), labels=row_labels)
        axes.set_xlabel(column_axis)
        axes.set_ylabel(row_axis)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        colorbar = figure.colorbar(image, ax=axes, shrink=0.9)
        colorbar.set_label(value_label)
        return _to_svg(figure, chart_id=chart_id, title=title, description=description)
