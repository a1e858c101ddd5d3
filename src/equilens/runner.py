"""Running a plan file of either kind: a tabular audit or a text audit (``kind: text``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from equilens.audit import Progress, run_audit
from equilens.plan import load_plan
from equilens.result import AuditResult

TEXT_KIND = "text"


def plan_kind(path: str | Path) -> str:
    """Return ``"text"`` for a plan whose top-level ``kind`` is text, else ``"tabular"``.

    A file that is missing or not YAML is reported by the loader of its kind.
    """
    try:
        raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "tabular"
    if isinstance(raw, dict) and raw.get("kind") == TEXT_KIND:
        return TEXT_KIND
    return "tabular"


def run_plan_file(
    path: str | Path, *, trust_model: bool = False, progress: Progress | None = None
) -> AuditResult:
    """Load a plan file, run the audit it declares and return the result.

    Parameters
    ----------
    path : path
        A tabular audit plan, or a text audit plan with ``kind: text``.
    trust_model : bool
        Allow a tabular plan's pickle or joblib model file to load, which runs code in it.
    progress : callable, optional
        Called with the name of each step as it starts.
    """
    if plan_kind(path) == TEXT_KIND:
        from equilens.text import load_text_plan, run_text_audit

        return run_text_audit(load_text_plan(path), progress=progress)

    plan = load_plan(path)
    if trust_model and plan.model is not None:
        plan.model.trusted = True
    return run_audit(plan, progress=progress)
