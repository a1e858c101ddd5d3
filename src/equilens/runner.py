"""Running a plan file of either kind: a tabular audit or a text audit (``kind: text``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from equilens.audit import Progress, run_audit
from equilens.data.columns import AuditWarning
from equilens.data.sources import read_file
from equilens.models.tabular import SklearnPredictor, load_sklearn_model
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
    if plan.probes is None:
        return run_audit(plan, progress=progress)

    # Probes re-predict changed rows, so they need the model itself and the feature rows.
    # A plan that audits prediction columns (such as the demo's plan.yaml) is audited
    # without them, with a warning that reports the skipped probes.
    if plan.model is None or plan.data is None:
        result = run_audit(plan, progress=progress)
        result.warnings.append(
            AuditWarning(
                "probes_skipped",
                "The plan asks for probes, which re-run the model on changed rows, but it "
                "audits prediction columns; add a 'model' section (a .skops file) with the "
                "feature rows in 'data' to run them.",
            )
        )
        return result

    from equilens.probes import run_probes

    predictor = SklearnPredictor(
        load_sklearn_model(plan.model.path, trusted=plan.model.trusted),
        favorable_label=_first(plan.favorable_label),
        features=plan.model.features,
        threshold=plan.model.threshold,
    )
    frame, _ = read_file(plan.data.path, format=plan.data.format, encoding=plan.data.encoding)
    rows = frame.to_pandas()
    result = run_audit(plan, rows, model=predictor, progress=progress)
    run_probes(result, plan, rows, predictor, progress=progress)
    return result


def _first(favorable: Any) -> Any:
    return favorable[0] if isinstance(favorable, list) else favorable
