"""Reports rendered from a findings mapping: the HTML report and the Markdown one-pager.

The notebook, the command-line interface and `equilens check` all call these functions on
the same parsed `findings.json`, so they show the same result.
"""

from equilens.report._html import render_html
from equilens.report._summary import render_summary
from equilens.report._write import write_report

__all__ = ["render_html", "render_summary", "write_report"]
