"""Write the report files of an audit into an output directory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from equilens.report._html import render_html
from equilens.report._summary import render_summary

logger = logging.getLogger(__name__)

HTML_NAME = "report.html"
SUMMARY_NAME = "summary.md"


def write_report(findings: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write `report.html` and `summary.md` for a findings mapping into `out_dir`.

    Both files are rendered before either is written, so an invalid findings document
    leaves `out_dir` untouched. Existing files of the same names are overwritten.

    Parameters
    ----------
    findings : Mapping
        A parsed `findings.json` document (schema `equilens.findings/1`).
    out_dir : pathlib.Path
        Output directory; created with its parents when it does not exist.

    Returns
    -------
    dict of str to pathlib.Path
        The written files under the keys `"html"` and `"summary"`.

    Raises
    ------
    equilens.errors.EquilensError
        If `findings` is not a findings document of a supported schema.

    Examples
    --------
    >>> paths = write_report(findings, Path("equilens-out"))  # doctest: +SKIP
    >>> paths["html"].name
    'report.html'
    """
    html = render_html(findings)
    summary = render_summary(findings)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"html": out_dir / HTML_NAME, "summary": out_dir / SUMMARY_NAME}
    paths["html"].write_text(html, encoding="utf-8")
    paths["summary"].write_text(summary, encoding="utf-8")
    logger.info("wrote %s and %s", paths["html"], paths["summary"])
    return paths
