"""Loading a plan for a mitigation comparison."""

from __future__ import annotations

from pathlib import Path

from equilens.errors import PlanError
from equilens.plan import AuditPlan, load_plan


def load_mitigation_plan(path: str | Path) -> AuditPlan:
    """Load an audit plan that has a ``mitigation`` section.

    Relative paths are resolved against the folder of the plan file: the data and model
    paths by `load_plan`, and ``mitigation.training_data`` here.

    Raises
    ------
    PlanError
        When the plan is invalid or has no ``mitigation`` section.
    """
    path = Path(path)
    plan = load_plan(path)
    spec = getattr(plan, "mitigation", None)
    if spec is None:
        raise PlanError(
            f"Plan file {str(path)!r} has no 'mitigation' section, so there is nothing to "
            f"compare. Add one, e.g. 'mitigation: {{test_size: 0.3}}' (see docs/mitigation.md)."
        )
    if spec.training_data is not None and not spec.training_data.is_absolute():
        spec.training_data = path.parent / spec.training_data
    return plan
