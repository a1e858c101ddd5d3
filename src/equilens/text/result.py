"""`TextAuditResult`: an `AuditResult` that keeps its text plan and its text summary."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from equilens.result import AuditResult, rebase_paths
from equilens.text.plan import TextAuditPlan
from equilens.text.summary import text_summary_section

logger = logging.getLogger(__name__)

# The text section goes before this heading of summary.md, so that it follows the
# findings and precedes the general advice.
_INSERT_BEFORE = "## What this means for the business"


@dataclass
class TextAuditResult(AuditResult):
    """The result of a text audit.

    It has every field of an `AuditResult`. There, `plan` is the tabular plan generated
    for the audit's views; `text_plan` is the text plan that ran.
    """

    text_plan: TextAuditPlan | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the findings.json mapping (schema ``equilens.findings/1``)."""
        findings = super().to_dict()
        # NOTE: the report template reads four_fifths_rule.min_ratio, which the engine
        # leaves out when the reference group's selection rate is zero. A null value
        # keeps such a grouping renderable.
        for summary in findings.get("summaries", []):
            summary.get("four_fifths_rule", {}).setdefault("min_ratio", None)
        return findings

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write plan.yaml (the text plan), findings.json, predictions.parquet,
        report.html and summary.md (with the text section) into `out_dir`."""
        paths = super().write(out_dir)
        if self.text_plan is not None:
            plan = rebase_paths(self.text_plan, Path(out_dir))
            paths["plan"].write_text(plan.to_yaml(), encoding="utf-8")

        section = text_summary_section(self.to_dict())
        if section:
            summary = paths["summary"].read_text(encoding="utf-8")
            paths["summary"].write_text(insert_section(summary, section), encoding="utf-8")
        logger.info("Wrote the text audit to %s", out_dir)
        return paths


def insert_section(summary: str, section: str) -> str:
    """Insert a Markdown section before the business-meaning heading, or append it."""
    position = summary.find(_INSERT_BEFORE)
    if position < 0:
        return summary.rstrip("\n") + "\n\n" + section
    return summary[:position] + section + "\n" + summary[position:]
