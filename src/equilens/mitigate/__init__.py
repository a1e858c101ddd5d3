"""Mitigation comparison: fit mitigations, judge them on held-out rows, recommend one.

`run_mitigation` fits a baseline classifier and each candidate mitigation on training
rows: reweighing, fairlearn's correlation remover, exponentiated gradient, grid search and
threshold optimizer, and reject-option classification. It audits their held-out decisions
against the plan's hypotheses and recommends the candidate that meets every hypothesis
with the least utility loss.

Only the plan section `MitigationSpec` is imported eagerly, because `equilens.plan`
imports it while loading; every other name loads on first use, so reading a plan does
not import fairlearn or the audit engine.
"""

from __future__ import annotations

import importlib
from typing import Any

from equilens.mitigate._spec import (
    CandidateSpec,
    EstimatorSpec,
    MitigationSpec,
    OutcomeValues,
    UtilitySpec,
)

_LAZY = {
    "CorrelationRemoverClassifier": "equilens.mitigate._preprocessing",
    "ReweighingClassifier": "equilens.mitigate._preprocessing",
    "reweighing_weights": "equilens.mitigate._preprocessing",
    "RejectOptionClassifier": "equilens.mitigate._reject_option",
    "MitigatedModel": "equilens.mitigate._estimators",
    "WeightedPipeline": "equilens.mitigate._estimators",
    "build_estimator": "equilens.mitigate._estimators",
    "build_mitigator": "equilens.mitigate._estimators",
    "CandidateResult": "equilens.mitigate._result",
    "MitigationResult": "equilens.mitigate._result",
    "run_mitigation": "equilens.mitigate._compare",
    "recommend": "equilens.mitigate._recommend",
    "frontier": "equilens.mitigate._recommend",
    "add_decision_section": "equilens.mitigate._summary",
    "render_decision_section": "equilens.mitigate._summary",
    "render_mitigation_summary": "equilens.mitigate._summary",
    "render_mitigation_html": "equilens.mitigate._html",
    "render_model_card": "equilens.mitigate._card",
    "load_mitigation_plan": "equilens.mitigate._loading",
    "run_loan_mitigation": "equilens.mitigate._loan",
}

__all__ = [
    "CandidateSpec",
    "EstimatorSpec",
    "MitigationSpec",
    "OutcomeValues",
    "UtilitySpec",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'equilens.mitigate' has no attribute {name!r}")
