"""Results of a mitigation comparison and their mitigation.json form."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equilens.mitigate._data import MitigationData
from equilens.mitigate._estimators import MitigatedModel
from equilens.mitigate._recommend import BASELINE
from equilens.mitigate._spec import MitigationSpec
from equilens.plan import AuditPlan
from equilens.result import AuditResult

SCHEMA = "equilens.mitigation/1"


@dataclass
class CandidateResult:
    """One candidate's held-out utility and fairness, or the reason it could not be fitted."""

    name: str
    method: str
    constraint: str | None
    status: str
    reason: str | None = None
    utility: dict[str, Any] = field(default_factory=dict)
    fairness: dict[str, Any] = field(default_factory=dict)
    meets_all: bool = False
    unmet: list[str] = field(default_factory=list)
    frontier: list[str] = field(default_factory=list)
    uses_groups_at_prediction: bool = False
    randomised: bool = False
    fit_seconds: float = 0.0
    audit: AuditResult | None = None
    model: MitigatedModel | None = None
    template: MitigatedModel | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the candidate's entry of mitigation.json."""
        entry = {
            "name": self.name,
            "method": self.method,
            "constraint": self.constraint,
            "status": self.status,
            "utility": self.utility,
            "fairness": self.fairness,
            "meets_all": self.meets_all,
            "unmet": self.unmet,
            "frontier": self.frontier,
            "uses_groups_at_prediction": self.uses_groups_at_prediction,
            "randomised": self.randomised,
            "fit_seconds": round(self.fit_seconds, 3),
        }
        if self.reason:
            entry["reason"] = self.reason
        return entry


@dataclass
class MitigationResult:
    """Everything one mitigation comparison computed.

    Use `to_dict` for the mitigation.json mapping and `write` to save the output files.
    """

    plan: AuditPlan
    spec: MitigationSpec
    data: MitigationData
    run: dict[str, Any]
    candidates: list[CandidateResult]
    recommendation: dict[str, Any]

    def candidate(self, name: str) -> CandidateResult:
        """Return the candidate called `name`."""
        for candidate in self.candidates:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the mitigation.json mapping (schema ``equilens.mitigation/1``)."""
        from equilens.result import _clean

        audit = self.candidate(BASELINE).audit
        hypotheses = [
            {
                "id": finding.id,
                "statement": finding.statement,
                "attributes": list(finding.hypothesis.attributes),
                "metric": finding.hypothesis.metric,
                "comparison": finding.hypothesis.comparison,
                "operator": finding.hypothesis.resolved_operator,
                "threshold": finding.hypothesis.threshold,
            }
            for finding in audit.findings
        ]
        findings = audit.to_dict()
        references = {entry["name"]: entry["reference"] for entry in findings["attributes"]}
        groups = [
            {
                "attribute": entry["attribute"],
                "group": entry["group"],
                "n": entry["n"],
                "reference": entry["group"] == references.get(entry["attribute"]),
            }
            for entry in findings["groups"]
        ]
        return _clean(
            {
                "schema": SCHEMA,
                "run": self.run,
                "hypotheses": hypotheses,
                "groups": groups,
                "baseline": BASELINE,
                "candidates": [candidate.to_dict() for candidate in self.candidates],
                "recommendation": self.recommendation,
            }
        )

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write mitigation.json, mitigation.html, summary.md, and for a recommendation the
        model (model.skops) and its model card (model_card.md)."""
        from equilens.mitigate._write import write_outputs

        return write_outputs(self, Path(out_dir))
