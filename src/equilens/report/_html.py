"""Render the self-contained HTML report from a findings mapping."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jinja2

from equilens.report._context import build_view
from equilens.report._format import (
    COMPARISON_LABELS,
    SUMMARY_LABELS,
    ci_method_label,
    format_interval,
    format_number,
    format_p,
    format_percent,
    format_share,
    group_label,
    metric_label,
)
from equilens.report._validate import check_findings

logger = logging.getLogger(__name__)

_KNOWN_VERDICTS = frozenset({"pass", "fail", "inconclusive"})
_KNOWN_SEVERITIES = frozenset({"high", "medium", "low", "none"})


def _css_token(value: Any, known: frozenset[str]) -> str:
    """Return `value` when it is a known token, else 'unknown', so data never names a class."""
    return value if value in known else "unknown"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("equilens.report", "templates"),
        # Every string from the findings is escaped unless a filter returns Markup.
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        number=format_number,
        interval=format_interval,
        pvalue=format_p,
        percent=format_percent,
        share=format_share,
        group=group_label,
        metric=metric_label,
        ci_method=ci_method_label,
        comparison=lambda name: COMPARISON_LABELS.get(name, name),
        summary_name=lambda name: SUMMARY_LABELS.get(name, name.replace("_", " ")),
        verdict_class=lambda value: _css_token(value, _KNOWN_VERDICTS),
        severity_class=lambda value: _css_token(value, _KNOWN_SEVERITIES),
    )
    environment.globals["SUMMARY_NAMES"] = list(SUMMARY_LABELS)
    return environment


_ENVIRONMENT = _environment()


def render_html(findings: Mapping[str, Any]) -> str:
    """Render a findings mapping as a self-contained HTML report.

    The page loads nothing from the network: the stylesheet is inline, the charts are
    inline SVG, and there is no JavaScript. A Content-Security-Policy meta tag blocks any
    other fetch. Every string taken from the findings, including the plan name and group
    labels, is HTML-escaped.

    Parameters
    ----------
    findings : Mapping
        A parsed `findings.json` document (schema `equilens.findings/1`).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    equilens.errors.EquilensError
        If `findings` is not a findings document of a supported schema.

    Examples
    --------
    >>> import json, pathlib
    >>> findings = json.loads(pathlib.Path("findings.json").read_text())  # doctest: +SKIP
    >>> html = render_html(findings)  # doctest: +SKIP
    """
    check_findings(findings)
    view = build_view(findings)
    html = _ENVIRONMENT.get_template("report.html.j2").render(view=view)
    logger.debug("rendered HTML report of %d characters", len(html))
    return html
